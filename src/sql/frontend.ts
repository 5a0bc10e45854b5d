/**
 * The front end for every statement the engine runs: parse with PostgreSQL's grammar,
 * resolve every name against Ferry's catalog, record what the statement reads, writes,
 * creates and must own (the adapter authorizes that, in one place), transform PostgreSQL
 * and Materialize semantics on the tree, and print the engine's SQL from the tree.
 *
 * Nothing the user wrote reaches the engine as text: the engine receives the printed
 * tree, in which every relation is fully qualified, every function is from the allow-list
 * (src/sql/functions.ts), every type is one Ferry knows, and every node type is one this
 * module understands. Anything else is an error here, before the engine sees anything
 * (fail closed). This module does no I/O: catalog lookups come through `NameScope`,
 * which the adapter fills from a snapshot of the catalog.
 */
import { Deparser } from 'pgsql-deparser';
import { SqlError } from '../errors/index.js';
import { PG_COMPAT_DB, PG_COMPAT_RELATIONS, INFORMATION_SCHEMA_RELATIONS } from '../types/pg-catalog-names.js';
import { type PgArrayValue, parsePgArrayTree } from '../types/array-literal.js';
import { extractCall, intervalFromText, intervalTypmod } from './datetime.js';
import { FUNCTION_SCHEMAS, engineFunctionName, lookupFunction } from './functions.js';
import { type PgNode, type PgStatement, parsePg } from './pg/parse.js';
import { type Prepassed, TYPE_PLACEHOLDER_PREFIX, prepass } from './prepass.js';
import { UNCONSTRAINED_NUMERIC } from '../types/index.js';
import { toCharFormat } from './datetime.js';

/** The database every user object lives in (the DuckDB file is named after it). */
export const USER_DATABASE = 'materialize';

/** A relation the statement names, as resolved. */
export interface ResolvedRelation {
  /** Catalog id (`u1`, …) for user objects; null for system relations. */
  id: string | null;
  schema: string;
  name: string;
  kind: 'table' | 'view' | 'materialized-view' | 'source' | 'system';
}

/** What the adapter knows about names; a snapshot, so resolution itself is synchronous. */
export interface NameScope {
  /** A user or system relation in `schema` with exactly this name. */
  relation(schema: string, name: string): ResolvedRelation | null;
  /** User schemas and system schemas a user may name. */
  schemaExists(schema: string): boolean;
  /** The session's search path as validated names (user schemas first). */
  searchPath: readonly string[];
  /** The session's role, for CURRENT_USER and friends. */
  user: string;
  /**
   * The role id whose rows of per-role system relations (ROW_FILTERED) a statement sees;
   * null for a superuser, who sees every row.
   */
  rowOwner: string | null;
}

/**
 * System relations that hold one row per action of some role: a role reads its own rows
 * only (docs/security.md). Each maps to the query, over Ferry's internal tables, that the
 * relation is replaced by; `$role` stands for the role id.
 */
const ROW_FILTERED: Record<string, string> = {
  'mz_internal.mz_copy_to_history': `SELECT h.* FROM materialize.mz_internal.mz_copy_to_history AS h
    WHERE h.export_id IN (SELECT export_id FROM materialize.__ferry.copy_to_history WHERE role_id = $role)`,
  'mz_internal.mz_copy_to_files': `SELECT f.* FROM materialize.mz_internal.mz_copy_to_files AS f
    WHERE f.export_id IN (SELECT export_id FROM materialize.__ferry.copy_to_history WHERE role_id = $role)`,
};

export type WritePrivilege = 'insert' | 'update' | 'delete';

export interface CompiledStatement {
  /** PostgreSQL's node name, e.g. `SelectStmt`. */
  nodeType: string;
  /** The command verb for tags and logs, e.g. `select`, `insert`, `create table`. */
  verb: string;
  /** The engine's SQL, printed from the resolved tree. */
  engineSql: string;
  /** Relations read (SELECT privilege). */
  reads: ResolvedRelation[];
  /** Relations written, with the privilege each write needs. */
  writes: { rel: ResolvedRelation; priv: WritePrivilege }[];
  /** Objects the role must own (ALTER, DROP, CREATE INDEX, OR REPLACE). */
  owns: ResolvedRelation[];
  /** A new relation: CREATE privilege on its schema is needed. */
  creates: { schema: string; name: string; kind: 'table' | 'view' | 'materialized-view' | 'index' } | null;
  /** CREATE SCHEMA / DROP SCHEMA targets. */
  schemaCreate: string | null;
  schemaDrops: string[];
  /** Relations dropped (for the catalog): their ids. */
  drops: ResolvedRelation[];
  /** DDL: the engine statement changes the schema. */
  ddl: boolean;
  hasReturning: boolean;
  /**
   * The result has at most ONE_CHUNK_ROWS rows, whatever the data: the engine may
   * materialize it (one thread-pool round trip instead of a stream's three) without
   * holding more than a streamed chunk would.
   */
  fewRows: boolean;
}

/** Rows in one DuckDB vector, the most a streamed chunk holds. */
export const ONE_CHUNK_ROWS = 2048;

/** Set-returning functions whose result is one column (named after a FROM alias). */
const SINGLE_COLUMN_SRFS = new Set([
  'generate_series',
  'jsonb_object_keys',
  'json_object_keys',
  'unnest',
  'generate_subscripts',
  'regexp_split_to_table',
  'jsonb_array_elements',
  'jsonb_array_elements_text',
  'json_array_elements',
  'json_array_elements_text',
]);

/** Schemas no user statement may name: Ferry's internal state and the engine's own. */
const HIDDEN_SCHEMAS = new Set(['__ferry', PG_COMPAT_DB, 'main', 'temp', 'system', 'pg_temp']);
const SYSTEM_SCHEMAS = new Set(['mz_catalog', 'mz_internal', 'pg_catalog', 'information_schema']);
const COMPAT_RELATIONS = new Set(PG_COMPAT_RELATIONS);
const INFO_RELATIONS = new Set(INFORMATION_SCHEMA_RELATIONS);

/** Node types that may appear anywhere in a statement Ferry runs. Others fail closed. */
const EXPRESSION_NODES = new Set([
  'A_Const',
  'A_Expr',
  'A_ArrayExpr',
  'A_Indices',
  'A_Indirection',
  'A_Star',
  'Alias',
  'BoolExpr',
  'BooleanTest',
  'CaseExpr',
  'CaseWhen',
  'CoalesceExpr',
  'CollateClause',
  'ColumnRef',
  'CommonTableExpr',
  'FuncCall',
  'GroupingFunc',
  'GroupingSet',
  'JoinExpr',
  'List',
  'MinMaxExpr',
  'MultiAssignRef',
  'NamedArgExpr',
  'NullTest',
  'ParamRef',
  'RangeFunction',
  'RangeSubselect',
  'RangeVar',
  'ResTarget',
  'RowExpr',
  'SQLValueFunction',
  'SelectStmt',
  'SetToDefault',
  'SortBy',
  'String',
  'Integer',
  'Float',
  'Boolean',
  'BitString',
  'SubLink',
  'TypeCast',
  'TypeName',
  'WindowDef',
  'WithClause',
  'ColumnDef',
  'Constraint',
  'IndexElem',
  'OnConflictClause',
  'InferClause',
  'AlterTableCmd',
  'DefElem',
]);

/** Type names a user may write (PostgreSQL's and Materialize's), lower case. */
const TYPE_NAMES = new Set([
  'bool',
  'boolean',
  'int2',
  'int4',
  'int8',
  'smallint',
  'integer',
  'int',
  'bigint',
  'float4',
  'float8',
  'real',
  'float',
  'double',
  'numeric',
  'decimal',
  'text',
  'varchar',
  'bpchar',
  'char',
  'character',
  'name',
  'string',
  'bytea',
  'date',
  'time',
  'timetz',
  'timestamp',
  'timestamptz',
  'interval',
  'uuid',
  'json',
  'jsonb',
  'oid',
  'regclass',
  'regtype',
  'regproc',
  'uint2',
  'uint4',
  'uint8',
  'mz_timestamp',
  'record',
]);

/** Materialize type names the engine spells differently. */
const ENGINE_TYPES: Record<string, string> = {
  uint2: 'usmallint',
  uint4: 'uinteger',
  uint8: 'ubigint',
  jsonb: 'json',
  json: 'json',
  bytea: 'blob',
  float: 'double',
  string: 'varchar',
  mz_timestamp: 'ubigint',
  oid: 'uinteger',
  regclass: 'uinteger',
  regtype: 'uinteger',
  regproc: 'uinteger',
  name: 'varchar',
  bpchar: 'varchar',
};

const MAX_NUMERIC_PRECISION = 38;
/** The scale of unconstrained `numeric` (DECIMAL(38,10), docs/compat.md). */
const NUMERIC_DEFAULT_SCALE = 10;

/** PostgreSQL's LIKE operators and the engine's functions that take an escape character. */
const LIKE_FUNCTIONS: Record<string, string> = {
  '~~': 'like_escape',
  '!~~': 'not_like_escape',
  '~~*': 'ilike_escape',
  '!~~*': 'not_ilike_escape',
};

/** Parses, resolves and prints `sql`, one or more statements. */
export function compile(sql: string, scope: NameScope): CompiledStatement[] {
  const pre = prepass(sql);
  const stmts = parsePg(pre.sql);
  const types = mapTypeTexts(pre.types, scope);
  return stmts.map((s) => compileOne(s, types, pre.replaceMaterializedView, scope));
}

/**
 * The engine's text for each `map[K=>V]` placeholder of the pre-pass: K and V are printed
 * with the front end's own type rules (so `map[text=>int list]` is `MAP(VARCHAR, int4[])`),
 * nested maps first. Only text keys are supported, as the engine's maps here.
 */
function mapTypeTexts(raw: Prepassed['types'], scope: NameScope): Map<string, string> {
  const out = new Map<string, string>();
  const types = new Compiler(scope, new Set(raw.keys()));
  const print = (text: string): string => {
    const stmts = parsePg(`SELECT CAST(NULL AS ${text})`);
    const target = (body(stmts[0]!.stmt).targetList as PgNode[] | undefined)?.[0];
    const cast = target && (body(target).val as { TypeCast?: Record<string, unknown> } | undefined)?.TypeCast;
    if (stmts.length !== 1 || !cast) throw new SqlError('42601', `invalid type in map[…]: ${text}`);
    const typeName = cast.typeName as Record<string, unknown>;
    types.typeName(typeName);
    let printed = Deparser.deparse({ TypeName: typeName }, { pretty: false });
    for (const name of raw.keys()) if (printed.includes(name)) printed = printed.split(name).join(expand(name));
    return printed;
  };
  const expand = (name: string): string => {
    const done = out.get(name);
    if (done !== undefined) return done;
    const { key, value } = raw.get(name)!;
    if (!['text', 'varchar', 'string'].includes(print(key).toLowerCase())) {
      throw new SqlError('0A000', 'map key type other than text not yet supported');
    }
    const text = `MAP(VARCHAR, ${print(value)})`;
    out.set(name, text);
    return text;
  };
  for (const name of raw.keys()) expand(name);
  return out;
}

function nodeType(n: PgNode): string {
  const k = Object.keys(n);
  if (k.length !== 1) throw new SqlError('XX000', 'malformed parse tree');
  return k[0]!;
}

function body(n: PgNode): Record<string, unknown> {
  return n[nodeType(n)] as Record<string, unknown>;
}

function str(n: unknown): string {
  const s = (n as { String?: { sval?: string } }).String?.sval;
  if (s === undefined) throw new SqlError('XX000', 'malformed name in parse tree');
  return s;
}

function names(list: unknown): string[] {
  return Array.isArray(list) ? list.map(str) : [];
}

function unsupportedNode(kind: string): SqlError {
  return new SqlError('0A000', `${describeNode(kind)} not supported`);
}

function describeNode(kind: string): string {
  return kind
    .replace(/Stmt$/, '')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toUpperCase();
}

interface Resolved {
  reads: ResolvedRelation[];
  writes: { rel: ResolvedRelation; priv: WritePrivilege }[];
  owns: ResolvedRelation[];
}

class Compiler {
  readonly out: Resolved = { reads: [], writes: [], owns: [] };
  /** VALUES lists left as they are: an INSERT's (DEFAULT is valid only there), and the ones `values` made. */
  readonly plainValues = new WeakSet<object>();
  constructor(
    readonly scope: NameScope,
    readonly placeholderTypes: ReadonlySet<string>,
  ) {}

  // ---------------------------------------------------------------------------------------
  // Names

  /**
   * A relation as named in a FROM list or a write, in the scope of `ctes`. CTE names shadow
   * relations only when unqualified, as in PostgreSQL. Returns null for a CTE reference.
   */
  resolveRangeVar(rv: Record<string, unknown>, ctes: ReadonlySet<string>): ResolvedRelation | null {
    const name = String(rv.relname);
    const schema = rv.schemaname as string | undefined;
    const database = rv.catalogname as string | undefined;
    if (database !== undefined && database !== USER_DATABASE) {
      throw new SqlError('3D000', `unknown database '${database}'`);
    }
    if (schema === undefined && database === undefined && ctes.has(name)) return null;
    const rel = this.lookup(schema ?? null, name);
    this.qualify(rv, rel);
    return rel;
  }

  lookup(schema: string | null, name: string): ResolvedRelation {
    const display = schema === null ? name : `${schema}.${name}`;
    if (schema !== null) {
      if (HIDDEN_SCHEMAS.has(schema) || schema.startsWith('__ferry')) {
        throw new SqlError('3F000', `unknown schema '${schema}'`);
      }
      if (schema === 'pg_catalog' && COMPAT_RELATIONS.has(name)) return systemRel('pg_catalog', name);
      if (schema === 'information_schema' && INFO_RELATIONS.has(name)) return systemRel('information_schema', name);
      if (!this.scope.schemaExists(schema)) throw new SqlError('3F000', `unknown schema '${schema}'`);
      const rel = this.scope.relation(schema, name);
      if (!rel) throw new SqlError('42P01', `unknown catalog item '${display}'`);
      return rel;
    }
    for (const s of this.searchOrder()) {
      if (s === 'pg_catalog') {
        if (COMPAT_RELATIONS.has(name)) return systemRel('pg_catalog', name);
        continue;
      }
      const rel = this.scope.relation(s, name);
      if (rel) return rel;
    }
    throw new SqlError('42P01', `unknown catalog item '${display}'`);
  }

  /** The schemas an unqualified relation name is looked up in, in order. */
  searchOrder(): string[] {
    const path = this.scope.searchPath.filter((s) => !HIDDEN_SCHEMAS.has(s) && !s.startsWith('__ferry'));
    for (const s of ['mz_catalog', 'pg_catalog']) if (!path.includes(s)) path.push(s);
    return path;
  }

  /** Rewrites a RangeVar so the engine can only find `rel`. */
  qualify(rv: Record<string, unknown>, rel: ResolvedRelation): void {
    if (rel.kind === 'system' && rel.schema === 'pg_catalog') {
      rv.catalogname = PG_COMPAT_DB;
      rv.schemaname = 'main';
      rv.relname = rel.name;
    } else if (rel.kind === 'system' && rel.schema === 'information_schema') {
      rv.catalogname = PG_COMPAT_DB;
      rv.schemaname = 'main';
      rv.relname = `information_schema_${rel.name}`;
      // The engine's name differs from PostgreSQL's: keep the one columns are qualified by.
      rv.alias ??= { aliasname: rel.name };
    } else {
      rv.catalogname = USER_DATABASE;
      rv.schemaname = rel.schema;
      rv.relname = rel.name;
    }
  }

  /** The schema a new object named `parts` goes into, validated. */
  creationSchema(schema: string | undefined, database: string | undefined): string {
    if (database !== undefined && database !== USER_DATABASE)
      throw new SqlError('3D000', `unknown database '${database}'`);
    const s = schema ?? this.searchOrder()[0] ?? 'public';
    if (HIDDEN_SCHEMAS.has(s) || s.startsWith('__ferry')) throw new SqlError('3F000', `unknown schema '${s}'`);
    if (SYSTEM_SCHEMAS.has(s)) {
      throw new SqlError('42501', `permission denied for SCHEMA "${USER_DATABASE}.${s}"`, {
        detail: 'System schemas cannot be modified.',
      });
    }
    if (!this.scope.schemaExists(s)) throw new SqlError('3F000', `unknown schema '${s}'`);
    return s;
  }

  // ---------------------------------------------------------------------------------------
  // The walk: every node is checked, names resolved, semantics transformed in place.

  /** Walks `value` (a node, a list, or a plain struct) and returns its replacement. */
  walk(value: unknown, ctes: ReadonlySet<string>): unknown {
    if (Array.isArray(value)) return value.map((v) => this.walk(v, ctes));
    if (value === null || typeof value !== 'object') return value;
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj);
    if (keys.length === 1 && /^[A-Z]/.test(keys[0]!)) return this.node(obj, ctes);
    // An unwrapped struct (a RangeVar in `relation`, a TypeName in `typeName`, …):
    // recognized by shape, so that no name escapes resolution wherever it stands.
    if (typeof obj.relname === 'string') {
      this.readRangeVar(obj, ctes);
      return obj;
    }
    if (Array.isArray(obj.names) && ('typemod' in obj || 'typmods' in obj || 'arrayBounds' in obj)) {
      this.typeName(obj);
      this.walkFields(obj, ctes, ['names']);
      return obj;
    }
    if (Array.isArray(obj.ctes)) return (this.walkFields(obj, ctes), obj);
    this.walkFields(obj, ctes);
    return obj;
  }

  walkFields(obj: Record<string, unknown>, ctes: ReadonlySet<string>, skip: string[] = []): void {
    for (const k of Object.keys(obj)) {
      if (skip.includes(k)) continue;
      const v = obj[k];
      if (v !== null && typeof v === 'object') obj[k] = this.walk(v, ctes);
    }
  }

  readRangeVar(rv: Record<string, unknown>, ctes: ReadonlySet<string>): void {
    const rel = this.resolveRangeVar(rv, ctes);
    if (rel) this.out.reads.push(rel);
    if (rv.alias) this.walk(rv.alias, ctes);
  }

  node(n: PgNode, ctes: ReadonlySet<string>): unknown {
    const kind = nodeType(n);
    const b = body(n);
    switch (kind) {
      case 'SelectStmt':
        this.select(b, ctes);
        return n;
      case 'RangeVar': {
        this.readRangeVar(b, ctes);
        return this.rowFiltered(b) ?? n;
      }
      case 'FuncCall':
        return this.funcCall(n, b, ctes, false);
      case 'RangeFunction':
        this.rangeFunction(b, ctes);
        return n;
      case 'TypeCast':
        return this.typeCast(n, b, ctes);
      case 'TypeName':
        this.typeName(b);
        this.walkFields(b, ctes, ['names']);
        return n;
      case 'A_Expr':
        return this.aExpr(n, b, ctes);
      case 'NullTest':
      case 'BooleanTest':
        this.walkFields(b, ctes);
        b.arg = grouped(b.arg);
        return n;
      case 'BoolExpr':
        this.walkFields(b, ctes);
        // NOT of a non-boolean is an error in PostgreSQL; the engine would cast it.
        if (b.boolop === 'NOT_EXPR' && Array.isArray(b.args) && b.args.length === 1)
          b.args = [funcNode([PG_COMPAT_DB, 'bool_arg'], [b.args[0]])];
        return n;
      case 'SQLValueFunction':
        return this.sqlValueFunction(n, b);
      case 'CollateClause': {
        const coll = names(b.collname);
        const last = (coll[coll.length - 1] ?? '').toLowerCase();
        if (!['default', 'c', 'posix'].includes(last)) {
          throw new SqlError('42704', `collation "${coll.join('.')}" does not exist`);
        }
        // Text compares bytewise in the engine, which is the C collation: drop the clause.
        return this.walk(b.arg, ctes);
      }
      case 'A_Const':
        return this.constant(n, b);
      case 'ColumnRef':
        return n;
      default:
        if (!EXPRESSION_NODES.has(kind)) throw unsupportedNode(kind);
        this.walkFields(b, ctes);
        return n;
    }
  }

  /** The per-role replacement of a ROW_FILTERED system relation, or null. */
  rowFiltered(rv: Record<string, unknown>): PgNode | null {
    if (this.scope.rowOwner === null || rv.catalogname !== USER_DATABASE) return null;
    const key = `${String(rv.schemaname)}.${String(rv.relname)}`;
    const sql = ROW_FILTERED[key];
    if (sql === undefined) return null;
    // Ferry's own text, parsed but not resolved: it is the one place internal tables appear.
    const role = `'${this.scope.rowOwner.replace(/'/g, "''")}'`;
    const subquery = parsePg(sql.replace('$role', role))[0]!.stmt;
    const alias = (rv.alias as Record<string, unknown> | undefined) ?? { aliasname: String(rv.relname) };
    return { RangeSubselect: { subquery, alias } };
  }

  select(b: Record<string, unknown>, outer: ReadonlySet<string>): void {
    if (b.intoClause) throw new SqlError('0A000', 'SELECT … INTO not supported');
    if (b.lockingClause) throw new SqlError('0A000', 'SELECT … FOR UPDATE not supported');
    // A subquery's or WITH query's columns get PostgreSQL's names too, so an outer query
    // can name them (`SELECT max(unnest) FROM (SELECT unnest(…))`).
    nameOutputColumns(b);
    this.valuesIn(b);
    const ctes = this.withClause(b.withClause, outer);
    this.walkFields(b, ctes, ['withClause']);
  }

  /**
   * VALUES names its columns column1, column2, … in PostgreSQL and Materialize (the engine
   * says col0, col1, …): `VALUES …` becomes `SELECT * FROM (VALUES …) AS __values(column1,
   * …)`, keeping its ORDER BY and LIMIT outside, where they can name those columns.
   */
  valuesIn(b: Record<string, unknown>): void {
    if (Array.isArray(b.valuesLists) && !this.plainValues.has(b)) this.values(b);
    // The arms of a set operation are bare SelectStmt bodies, which the walk does not visit as selects.
    for (const arm of [b.larg, b.rarg])
      if (arm && typeof arm === 'object') this.valuesIn(arm as Record<string, unknown>);
  }

  values(b: Record<string, unknown>): void {
    const lists = b.valuesLists as { List?: { items?: unknown[] } }[];
    const width = lists[0]?.List?.items?.length ?? 0;
    const inner: Record<string, unknown> = {
      valuesLists: lists,
      limitOption: 'LIMIT_OPTION_DEFAULT',
      op: 'SETOP_NONE',
    };
    this.plainValues.add(inner);
    delete b.valuesLists;
    b.targetList = [{ ResTarget: { val: { ColumnRef: { fields: [{ A_Star: {} }] } } } }];
    b.fromClause = [
      {
        RangeSubselect: {
          subquery: { SelectStmt: inner },
          alias: {
            aliasname: '__values',
            colnames: Array.from({ length: width }, (_, i) => ({ String: { sval: `column${i + 1}` } })),
          },
        },
      },
    ];
  }

  /** CTEs in scope: each sees the earlier ones (and itself when RECURSIVE). */
  withClause(w: unknown, outer: ReadonlySet<string>): ReadonlySet<string> {
    if (!w || typeof w !== 'object') return outer;
    const wc = ('WithClause' in w ? w.WithClause : w) as {
      ctes?: PgNode[];
      recursive?: boolean;
    };
    const scope = new Set(outer);
    const list = wc.ctes ?? [];
    if (wc.recursive) for (const c of list) scope.add(String(body(c).ctename));
    for (const c of list) {
      const cb = body(c);
      if (cb.search_clause || cb.cycle_clause) throw new SqlError('0A000', 'WITH … SEARCH / CYCLE not supported');
      cb.ctequery = this.walk(cb.ctequery, new Set(scope));
      scope.add(String(cb.ctename));
    }
    return scope;
  }

  funcCall(n: PgNode, b: Record<string, unknown>, ctes: ReadonlySet<string>, inFrom: boolean): unknown {
    const parts = names(b.funcname);
    const fname = parts[parts.length - 1]!;
    const schema = parts.length > 1 ? parts[parts.length - 2]! : null;
    if (parts.length > 2 || (schema !== null && !FUNCTION_SCHEMAS.has(schema))) throw missingFunction(parts, b);
    const entry = lookupFunction(fname);
    // jsonb's set-returning functions in a select list: one row per element, as unnest gives.
    const jsonList = JSON_SRF_LISTS[fname.replace(/^jsonb?_/, '')];
    if (entry && !inFrom && /^jsonb?_/.test(fname) && jsonList !== undefined) {
      const args = (this.walk(b.args ?? [], ctes) as PgNode[]) ?? [];
      if (args.length !== 1 || jsonList === null) {
        if (jsonList === null)
          throw new SqlError('0A000', `${fname} is supported in FROM only`, {
            hint: `SELECT … FROM ${fname}(…) AS t(key, value)`,
          });
        throw missingFunction(parts, b);
      }
      const [fn, path] = jsonList;
      const value = castNode(args[0], ['json']);
      return funcNode(['unnest'], [path === null ? funcNode([fn], [value]) : funcNode([fn], [value, path])]);
    }
    if (!entry || (entry.table && !inFrom && !['unnest', 'generate_series'].includes(fname))) {
      throw missingFunction(parts, b);
    }
    b.funcname = engineFunctionName(fname, entry).map((s) => ({ String: { sval: s } }));
    this.walkFields(b, ctes, ['funcname']);
    // generate_series in an expression returns rows in PostgreSQL; the engine's scalar
    // form returns one list, which unnest turns into those rows.
    if (fname === 'generate_series' && !inFrom) return funcNode(['unnest'], [n]);
    // current_schemas(implicit): the search path Ferry resolves with (the engine's own
    // would name its internal schemas).
    if (fname === 'current_schemas') return this.currentSchemas((b.args as PgNode[] | undefined) ?? []);
    const args = b.args as PgNode[] | undefined;
    // mod(x, 0) fails with 22012 as x % 0 does; the engine's mod returns NULL.
    if (fname === 'mod' && args?.length === 2) args[1] = funcNode([PG_COMPAT_DB, 'nonzero'], [args[1]]);
    // extract(field from x): PostgreSQL's numeric, from the engine's date_part.
    if (fname === 'extract') return extractCall(args ?? []);
    if (fname === 'regexp_match') return regexpMatch(args ?? []);
    if (fname === 'regexp_matches') {
      if (inFrom)
        throw new SqlError('0A000', 'regexp_matches is supported in a select list only', {
          hint: "SELECT regexp_matches(s, '…', 'g') FROM …",
        });
      return regexpMatches(args ?? []);
    }
    // to_char(x, 'pattern'): the engine's strftime with the translated pattern.
    if (fname === 'to_char' && args?.length === 2) {
      const pattern = constString(args[1]);
      if (pattern !== null) {
        return funcNode(
          ['strftime'],
          [castNode(args[0]!, ['timestamp']), { A_Const: { sval: { sval: toCharFormat(pattern) } } }],
        );
      }
    }
    return n;
  }

  currentSchemas(args: PgNode[]): PgNode {
    if (args.length !== 1) throw missingFunction(['current_schemas'], { args });
    const explicit = this.scope.searchPath.filter((s) => this.visibleSchema(s));
    const implicit = this.searchOrder().filter((s) => this.visibleSchema(s));
    const list = (schemas: string[]): PgNode =>
      castNode({ A_ArrayExpr: { elements: schemas.map((sval) => ({ A_Const: { sval: { sval } } })) } }, ['text'], true);
    return { CaseExpr: { args: [{ CaseWhen: { expr: args[0], result: list(implicit) } }], defresult: list(explicit) } };
  }

  /** A schema a user can name that exists (PostgreSQL leaves missing ones out of current_schemas). */
  visibleSchema(s: string): boolean {
    return !HIDDEN_SCHEMAS.has(s) && !s.startsWith('__ferry') && this.scope.schemaExists(s);
  }

  rangeFunction(b: Record<string, unknown>, ctes: ReadonlySet<string>): void {
    if (b.is_rowsfrom) throw new SqlError('0A000', 'ROWS FROM not supported');
    // The name as written (funcCall rewrites it to the engine's).
    const first = ((b.functions as { List?: { items?: PgNode[] } }[] | undefined)?.[0]?.List?.items ?? [])[0];
    const written = first && nodeType(first) === 'FuncCall' ? names(body(first).funcname).pop() : undefined;
    for (const item of (b.functions as PgNode[] | undefined) ?? []) {
      const items = (item as { List?: { items?: unknown[] } }).List?.items ?? [];
      const fn = items[0] as PgNode | undefined;
      if (!fn || nodeType(fn) !== 'FuncCall') throw new SqlError('0A000', 'only function calls are supported in FROM');
      this.funcCall(fn, body(fn), ctes, true);
      for (const extra of items.slice(1)) this.walk(extra, ctes);
    }
    if (b.alias) this.walk(b.alias, ctes);
    if (b.coldeflist) this.walk(b.coldeflist, ctes);
    // `FROM generate_series(1, 3) AS x`: in PostgreSQL a function returning one column
    // names that column after the alias, so `SELECT x` is the value; the engine would give
    // the row. The alias's column list says it.
    const fns = (b.functions as PgNode[] | undefined) ?? [];
    const alias = b.alias as { aliasname?: string; colnames?: unknown[] } | undefined;
    const only = ((fns[0] as { List?: { items?: PgNode[] } } | undefined)?.List?.items ?? [])[0];
    const fname = written;
    if (
      alias?.aliasname &&
      !alias.colnames &&
      fns.length === 1 &&
      fname &&
      SINGLE_COLUMN_SRFS.has(fname) &&
      !b.ordinality
    ) {
      const args = (body(only!).args as unknown[] | undefined) ?? [];
      if (fname !== 'unnest' || args.length === 1) alias.colnames = [{ String: { sval: alias.aliasname } }];
    }
  }

  typeName(t: Record<string, unknown>): void {
    const parts = names(t.names);
    let name = parts[parts.length - 1]!;
    const schema = parts.length > 1 ? parts[0] : null;
    if (t.setof || t.pct_type) throw new SqlError('0A000', 'SETOF and %TYPE not supported');
    if (parts.length > 2 || (schema !== null && schema !== 'pg_catalog')) {
      throw new SqlError('42704', `type "${parts.join('.')}" does not exist`);
    }
    if (this.placeholderTypes.has(name)) {
      // Printed as the placeholder, replaced by the engine's type text after printing.
      t.names = [{ String: { sval: name } }];
      return;
    }
    if (name.startsWith(TYPE_PLACEHOLDER_PREFIX) || !TYPE_NAMES.has(name)) {
      throw new SqlError('42704', `type "${parts.join('.')}" does not exist`);
    }
    const mods = (t.typmods as PgNode[] | undefined) ?? [];
    if (name === 'numeric' || name === 'decimal') {
      if (mods.length === 0) {
        t.names = [{ String: { sval: 'decimal' } }];
        const { width, scale } = UNCONSTRAINED_NUMERIC;
        t.typmods = [width, scale].map((v) => ({ A_Const: { ival: { ival: v } } }));
        return;
      }
      const p = constInt(mods[0]!);
      if (p !== null && p > MAX_NUMERIC_PRECISION) {
        throw new SqlError('0A000', `numeric precision ${p} not yet supported`, {
          detail: `The engine stores numeric values with at most ${MAX_NUMERIC_PRECISION} digits of precision.`,
        });
      }
      t.names = [{ String: { sval: 'decimal' } }];
      return;
    }
    if (name === 'double' || name === 'float8' || name === 'float4' || name === 'real') {
      t.names = [{ String: { sval: name === 'float4' || name === 'real' ? 'float' : 'double' } }];
      return;
    }
    name = ENGINE_TYPES[name] ?? name;
    // Bare engine names: the printer would otherwise qualify PostgreSQL's internal names.
    t.names = [{ String: { sval: name } }];
  }

  typeCast(n: PgNode, b: Record<string, unknown>, ctes: ReadonlySet<string>): unknown {
    const tn = b.typeName as Record<string, unknown>;
    const parts = names(tn.names);
    const tname = parts[parts.length - 1]!;
    const lit = constString(b.arg as PgNode);
    const isArray = Array.isArray(tn.arrayBounds) && tn.arrayBounds.length > 0;
    if (tname === 'interval' && Array.isArray(tn.typmods) && tn.typmods.length > 0 && !isArray) {
      // A field qualifier or precision: the engine would ignore it (src/sql/datetime.ts).
      const t = intervalTypmod((tn.typmods as PgNode[]).map(constInt));
      if (lit !== null) return intervalFromText(lit, t);
      if ((b.arg as { A_Const?: { isnull?: boolean } }).A_Const?.isnull) return castNode(b.arg, ['interval']);
      throw new SqlError('0A000', 'interval field qualifiers and precisions are supported on constants only', {
        hint: "Cast to plain interval, or write the unit in the text: (x || ' days')::interval.",
      });
    }
    if (lit !== null && tname === 'regclass') {
      return funcNode([PG_COMPAT_DB, 'regclass_in'], [{ A_Const: { sval: { sval: lit } } }]);
    }
    // Text constant to an integer type: checked here, since the engine would round '1.5'
    // to 2 where PostgreSQL and Materialize refuse it.
    if (lit !== null && !isArray && INTEGER_TYPE_NAMES[tname] !== undefined)
      checkIntegerText(lit, INTEGER_TYPE_NAMES[tname]);
    // A float or bytea as text: PostgreSQL's form (1, not 1.0; Infinity; \x61), which the
    // engine's cast does not give. float_text folds to the plain cast on any other type.
    if (
      lit === null &&
      !isArray &&
      ['text', 'varchar'].includes(tname) &&
      !(Array.isArray(tn.typmods) && tn.typmods.length > 0) &&
      !['A_Const', 'ParamRef'].includes(nodeType(b.arg as PgNode))
    ) {
      return funcNode([PG_COMPAT_DB, 'pg_text'], [this.walk(b.arg, ctes)]);
    }
    // Any other operand is checked while the query runs, when it is text (int_text folds
    // away on other types). A parameter is left as it is: its type is inferred from the cast.
    const argKind = nodeType(b.arg as PgNode);
    if (
      lit === null &&
      !isArray &&
      INTEGER_TYPE_NAMES[tname] !== undefined &&
      !['A_Const', 'ParamRef'].includes(argKind)
    ) {
      b.arg = funcNode(
        [PG_COMPAT_DB, 'int_text'],
        [this.walk(b.arg, ctes), { A_Const: { sval: { sval: INTEGER_TYPE_NAMES[tname].name } } }],
      );
      this.walk(b.typeName, ctes);
      return n;
    }
    // A constant cast to numeric without precision: the engine's DECIMAL(38,10) would
    // round away digits past the tenth decimal, so a value it cannot hold exactly fails.
    if (['numeric', 'decimal'].includes(tname) && !isArray && !(Array.isArray(tn.typmods) && tn.typmods.length > 0)) {
      const text = lit ?? (b.arg as { A_Const?: { fval?: { fval?: string } } }).A_Const?.fval?.fval ?? null;
      if (text !== null) checkUnconstrainedNumeric(text);
    }
    if (lit !== null && tname === 'regproc') {
      return { A_Const: { sval: { sval: lit.replace(/^pg_catalog\./, '') } } };
    }
    if (lit !== null && tname === 'bytea' && /^\\x([0-9a-fA-F]{2})*$/.test(lit)) {
      return funcNode(['unhex'], [{ A_Const: { sval: { sval: lit.slice(2) } } }]);
    }
    // '{1,2}'::int[] → a list of text elements cast to the element type: the engine casts
    // only its own `[…]` spelling from text.
    if (lit !== null && isArray && /^\s*\{/.test(lit)) {
      const tree = parsePgArrayTree(lit);
      if (tree) {
        // An n-dimensional literal is a list of n levels (docs/compat.md).
        const bounds = Array.from({ length: tree.depth }, () => ({ Integer: { ival: -1 } }));
        const build = (v: PgArrayValue, depth: number): PgNode => ({
          A_ArrayExpr: {
            elements: (v as unknown[]).map((x) =>
              depth > 1
                ? build(x as PgArrayValue, depth - 1)
                : x === null
                  ? { A_Const: { isnull: true } }
                  : { A_Const: { sval: { sval: x as string } } },
            ),
          },
        });
        const arg = castNode(build(tree.value, tree.depth), ['varchar'], true);
        (body(arg).typeName as Record<string, unknown>).arrayBounds = bounds;
        b.arg = arg;
        // int[] is any number of dimensions in PostgreSQL; a declared depth (int list
        // list) is kept.
        if ((tn.arrayBounds as unknown[]).length < tree.depth) tn.arrayBounds = bounds;
        this.walk(b.typeName, ctes);
        return n;
      }
    }
    this.walkFields(b, ctes);
    return n;
  }

  aExpr(n: PgNode, b: Record<string, unknown>, ctes: ReadonlySet<string>): unknown {
    const op = names(b.name);
    if (op.length > 1) {
      if (op.length !== 2 || op[0] !== 'pg_catalog')
        throw new SqlError('42883', `operator does not exist: ${op.join('.')}`);
      b.name = [{ String: { sval: op[1]! } }];
    }
    const o = op[op.length - 1]!;
    const likeFunction = LIKE_FUNCTIONS[o];
    if (likeFunction && b.lexpr && ['AEXPR_LIKE', 'AEXPR_ILIKE', 'AEXPR_OP'].includes(String(b.kind))) {
      return this.like(b, likeFunction, ctes);
    }
    const jsonOperand = isJsonb(b.lexpr) || isJsonb(b.rexpr);
    // A path or key list is text[] ('{a,b}' is read as an array literal).
    if (b.kind === 'AEXPR_OP' && b.lexpr && ['?|', '?&', '#>', '#>>'].includes(o))
      b.rexpr = castNode(b.rexpr, ['text'], true);
    this.walkFields(b, ctes, ['name']);
    b.lexpr = grouped(b.lexpr);
    b.rexpr = grouped(b.rexpr);
    if (b.kind === 'AEXPR_OP' && b.lexpr) {
      // Operators that exist for jsonb only; `||` on jsonb where an operand shows it is
      // jsonb (the engine would concatenate the texts).
      const jsonFn = JSONB_OPERATORS[o] ?? (o === '||' && jsonOperand ? 'jsonb_cat' : undefined);
      if (jsonFn) {
        return funcNode([PG_COMPAT_DB, jsonFn], [b.lexpr, b.rexpr]);
      }
    }
    if (b.kind === 'AEXPR_OP' && b.lexpr && ['~', '!~', '~*', '!~*'].includes(o)) {
      // PostgreSQL's `~` finds the pattern anywhere; the engine's is a full match.
      const args = [b.lexpr, b.rexpr] as PgNode[];
      if (o.endsWith('*')) args.push({ A_Const: { sval: { sval: 'i' } } });
      const call = funcNode(['regexp_matches'], args);
      return o.startsWith('!') ? { BoolExpr: { boolop: 'NOT_EXPR', args: [call] } } : call;
    }
    // Unary minus: refused on the unsigned types, as in Materialize (the engine wraps around).
    if (b.kind === 'AEXPR_OP' && o === '-' && !b.lexpr && b.rexpr && nodeType(b.rexpr as PgNode) !== 'A_Const')
      return funcNode([PG_COMPAT_DB, 'neg'], [b.rexpr]);
    // `#` is PostgreSQL's bitwise xor on integers; the engine spells it xor().
    if (b.kind === 'AEXPR_OP' && o === '#' && b.lexpr) return funcNode(['xor'], [b.lexpr, b.rexpr]);
    if (b.kind === 'AEXPR_OP' && (o === '/' || o === '%') && b.lexpr) {
      // The engine returns NULL for a division by zero; PostgreSQL fails with 22012.
      b.rexpr = funcNode([PG_COMPAT_DB, 'nonzero'], [b.rexpr]);
    }
    return n;
  }

  /**
   * `x [NOT] [I]LIKE p [ESCAPE e]`: PostgreSQL escapes with a backslash unless ESCAPE names
   * another character (or none); the engine's LIKE has no escape character. A constant
   * pattern without a backslash means the same in both and stays a LIKE (which the engine
   * optimizes); anything else is the engine's like_escape with PostgreSQL's escape.
   */
  like(b: Record<string, unknown>, fn: string, ctes: ReadonlySet<string>): unknown {
    let pattern = b.rexpr as PgNode;
    let escape: unknown = null;
    const call = (pattern as { FuncCall?: { funcname?: unknown; args?: PgNode[] } }).FuncCall;
    const callName = call ? names(call.funcname) : [];
    if (callName.join('.') === 'pg_catalog.like_escape' && call?.args?.length === 2) {
      // How the grammar spells `p ESCAPE e`.
      pattern = call.args[0]!;
      escape = this.walk(call.args[1], ctes);
    }
    const x = this.walk(b.lexpr, ctes);
    pattern = this.walk(pattern, ctes) as PgNode;
    const lit = constString(pattern);
    if (escape === null && lit !== null && !lit.includes('\\')) {
      b.lexpr = x;
      b.rexpr = pattern;
      return { A_Expr: b };
    }
    return funcNode([fn], [x, pattern, escape ?? { A_Const: { sval: { sval: '\\' } } }]);
  }

  sqlValueFunction(n: PgNode, b: Record<string, unknown>): unknown {
    switch (b.op) {
      case 'SVFOP_CURRENT_USER':
      case 'SVFOP_CURRENT_ROLE':
      case 'SVFOP_SESSION_USER':
      case 'SVFOP_USER':
        return { A_Const: { sval: { sval: this.scope.user } } };
      case 'SVFOP_CURRENT_CATALOG':
        return { A_Const: { sval: { sval: USER_DATABASE } } };
      case 'SVFOP_CURRENT_SCHEMA':
        return { A_Const: { sval: { sval: this.searchOrder()[0] ?? 'public' } } };
      default:
        return n;
    }
  }

  constant(n: PgNode, b: Record<string, unknown>): unknown {
    const f = (b.fval as { fval?: string } | undefined)?.fval;
    if (f === undefined || /[eE]/.test(f)) return n;
    // A decimal literal stays exact: the engine would read a long one as a double.
    const digits = f.replace(/^[-+]/, '').replace('.', '').replace(/^0+/, '');
    if (digits.length <= 15) return n;
    const scale = f.includes('.') ? f.length - f.indexOf('.') - 1 : 0;
    if (digits.length > MAX_NUMERIC_PRECISION || scale > MAX_NUMERIC_PRECISION) {
      throw new SqlError('22003', 'numeric field overflow', {
        detail: `The engine stores numeric values with at most ${MAX_NUMERIC_PRECISION} digits of precision.`,
      });
    }
    return castNode({ A_Const: { sval: { sval: f } } }, ['decimal'], false, [MAX_NUMERIC_PRECISION, scale]);
  }

  // ---------------------------------------------------------------------------------------
  // Statements

  target(rv: Record<string, unknown>, priv: WritePrivilege, ctes: ReadonlySet<string>): ResolvedRelation {
    const rel = this.resolveRangeVar(rv, ctes);
    if (!rel) throw new SqlError('0A000', 'writing to a WITH query not supported');
    if (rel.kind === 'system' || SYSTEM_SCHEMAS.has(rel.schema)) {
      throw new SqlError('42501', `permission denied for TABLE "${USER_DATABASE}.${rel.schema}.${rel.name}"`, {
        detail: 'System relations are read-only.',
      });
    }
    // Views and sources are refused after authorization (writeTargetError), so that a role
    // without privileges learns no more than `permission denied`.
    this.out.writes.push({ rel, priv });
    return rel;
  }
}

/** Only tables can be written: the error for a write to a view or a source, else null. */
export function writeTargetError(c: CompiledStatement): SqlError | null {
  for (const { rel, priv } of c.writes) {
    if (rel.kind === 'table') continue;
    const what = rel.kind === 'source' ? 'source' : rel.kind === 'materialized-view' ? 'materialized view' : 'view';
    const verb = priv === 'insert' ? 'insert into' : priv;
    return new SqlError('42809', `cannot ${verb} ${what} "${USER_DATABASE}.${rel.schema}.${rel.name}"`);
  }
  return null;
}

/**
 * Names every unnamed output column of a query as PostgreSQL would (FigureColname in its
 * parser: a column's name, a function's name, a cast's type, `?column?` otherwise), before
 * any transform changes the expression, so the name the client sees is PostgreSQL's and
 * not the engine's spelling of the printed expression.
 */
function nameOutputColumns(b: Record<string, unknown>): void {
  let q = b;
  while (q.op && q.op !== 'SETOP_NONE' && q.larg) q = q.larg as Record<string, unknown>;
  for (const t of (q.targetList as PgNode[] | undefined) ?? []) {
    const rt = (t as { ResTarget?: Record<string, unknown> }).ResTarget;
    if (!rt || rt.name !== undefined) continue;
    const val = rt.val as PgNode | undefined;
    if (!val) continue;
    const cr = (val as { ColumnRef?: { fields?: unknown[] } }).ColumnRef;
    // A plain column keeps its name in the engine too (and an alias would change what
    // the engine reports for an unknown column).
    if (cr) continue;
    rt.name = figureColname(val) ?? '?column?';
  }
}

function figureColname(n: PgNode): string | null {
  const kind = nodeType(n);
  const b = body(n);
  switch (kind) {
    case 'ColumnRef': {
      const fields = (b.fields as unknown[]) ?? [];
      const last = fields[fields.length - 1] as { String?: { sval?: string } } | undefined;
      return last?.String?.sval ?? null;
    }
    case 'A_Indirection': {
      const ind = (b.indirection as unknown[]) ?? [];
      const last = ind[ind.length - 1] as { String?: { sval?: string } } | undefined;
      return last?.String?.sval ?? figureColname(b.arg as PgNode);
    }
    case 'FuncCall': {
      const parts = names(b.funcname);
      const last = parts[parts.length - 1] ?? null;
      return last === '__ferry_map' ? 'map' : last;
    }
    case 'A_Expr':
      return b.kind === 'AEXPR_NULLIF' ? 'nullif' : null;
    case 'TypeCast': {
      const inner = figureColname(b.arg as PgNode);
      if (inner !== null) return inner;
      const tn = names((b.typeName as Record<string, unknown>).names);
      const last = tn[tn.length - 1] ?? null;
      return last?.startsWith(TYPE_PLACEHOLDER_PREFIX) ? 'map' : last;
    }
    case 'CollateClause':
      return figureColname(b.arg as PgNode);
    case 'CaseExpr':
      return 'case';
    case 'A_ArrayExpr':
      return 'array';
    case 'RowExpr':
      return 'row';
    case 'CoalesceExpr':
      return 'coalesce';
    case 'MinMaxExpr':
      return b.op === 'IS_GREATEST' ? 'greatest' : 'least';
    case 'GroupingFunc':
      return 'grouping';
    case 'SQLValueFunction':
      return String(b.op)
        .replace(/^SVFOP_/, '')
        .toLowerCase()
        .replace(/_n$/, '');
    case 'SubLink':
      if (b.subLinkType === 'EXISTS_SUBLINK') return 'exists';
      if (b.subLinkType === 'ARRAY_SUBLINK') return 'array';
      if (b.subLinkType === 'EXPR_SUBLINK') {
        const sub = body(b.subselect as PgNode);
        const first = ((sub.targetList as PgNode[] | undefined) ?? [])[0] as
          { ResTarget?: Record<string, unknown> } | undefined;
        const rt = first?.ResTarget;
        if (typeof rt?.name === 'string') return rt.name;
        return rt?.val ? figureColname(rt.val as PgNode) : null;
      }
      return null;
    default:
      return null;
  }
}

function systemRel(schema: string, name: string): ResolvedRelation {
  return { id: null, schema, name, kind: 'system' };
}

function constString(n: PgNode | undefined): string | null {
  const c = (n as { A_Const?: { sval?: { sval?: string } } } | undefined)?.A_Const;
  return c?.sval?.sval ?? (c && 'sval' in c ? '' : null);
}

function constInt(n: PgNode): number | null {
  const c = (n as { A_Const?: { ival?: { ival?: number } } }).A_Const;
  return c?.ival ? (c.ival.ival ?? 0) : null;
}

/**
 * Whether a query provably returns at most ONE_CHUNK_ROWS rows: a constant LIMIT that
 * small, or a single SELECT without FROM (or a short VALUES list) that calls no
 * function anywhere, since any function might return a set. Errs towards false.
 */
function atMostOneChunk(b: Record<string, unknown>): boolean {
  if (b.limitOption === 'LIMIT_OPTION_COUNT' && b.limitCount !== undefined) {
    const n = constInt(b.limitCount as PgNode);
    if (n !== null && n >= 0 && n <= ONE_CHUNK_ROWS) return true;
  }
  if (b.op !== 'SETOP_NONE' || b.fromClause !== undefined) return false;
  if (Array.isArray(b.valuesLists) && b.valuesLists.length > ONE_CHUNK_ROWS) return false;
  return !containsNode(b, 'FuncCall');
}

function containsNode(tree: unknown, type: string): boolean {
  if (Array.isArray(tree)) return tree.some((t) => containsNode(t, type));
  if (tree === null || typeof tree !== 'object') return false;
  for (const [k, v] of Object.entries(tree)) if (k === type || containsNode(v, type)) return true;
  return false;
}

/**
 * regexp_match(s, pattern [, flags]): the capture groups of the first match as text[] (the
 * whole match when the pattern has none), NULL when nothing matches. The engine has no such
 * function; with a constant pattern the groups are counted here and each is the engine's
 * regexp_extract. An optional group that took no part in the match is '' (PostgreSQL: NULL);
 * docs/compat.md says so.
 */
function regexpMatch(args: PgNode[]): PgNode {
  const { groups, extra } = regexpArgs('regexp_match', args);
  const parts = groups.map((g) => funcNode(['regexp_extract'], [args[0], args[1], g, ...extra]));
  const list = castNode({ A_ArrayExpr: { elements: parts } }, ['text'], true);
  return {
    CaseExpr: {
      args: [{ CaseWhen: { expr: funcNode(['regexp_matches'], [args[0], args[1], ...extra]), result: list } }],
    },
  };
}

/**
 * regexp_matches(s, pattern [, flags]) in a select list: one text[] row per match with `g`,
 * at most one without. Each group is the engine's regexp_extract_all, unnested side by side
 * (the engine unnests several lists in one select list in step).
 */
function regexpMatches(args: PgNode[]): PgNode {
  const { groups, extra, global } = regexpArgs('regexp_matches', args);
  const parts = groups.map((g) => {
    const all: PgNode = funcNode(['regexp_extract_all'], [args[0], args[1], g, ...extra]);
    const first: PgNode = {
      A_Indirection: {
        arg: all,
        indirection: [
          {
            A_Indices: {
              is_slice: true,
              lidx: { A_Const: { ival: { ival: 1 } } },
              uidx: { A_Const: { ival: { ival: 1 } } },
            },
          },
        ],
      },
    };
    return funcNode(['unnest'], [global ? all : first]);
  });
  return castNode({ A_ArrayExpr: { elements: parts } }, ['text'], true);
}

/** The checked flags and the group numbers (0: the whole match) of a regexp_match(es) call. */
function regexpArgs(fn: string, args: PgNode[]): { groups: PgNode[]; extra: PgNode[]; global: boolean } {
  if (args.length < 2 || args.length > 3) throw missingFunction([fn], { args });
  const pattern = constString(args[1]);
  if (pattern === null) throw new SqlError('0A000', `${fn} is supported with a constant pattern only`);
  let options = '';
  let global = false;
  if (args.length === 3) {
    const flags = constString(args[2]);
    if (flags === null) throw new SqlError('0A000', `${fn} is supported with constant flags only`);
    for (const f of flags) {
      if (f === 'g' && fn === 'regexp_match')
        throw new SqlError('22023', 'regexp_match() does not support the "global" option', {
          hint: 'Use the regexp_matches function instead.',
        });
      if (f === 'g') global = true;
      else if (f === 'i' || f === 'c') options = f;
      else throw new SqlError('22023', `invalid regular expression option: "${f}"`);
    }
  }
  const count = captureGroups(pattern);
  const numbers = count === 0 ? [0] : Array.from({ length: count }, (_, i) => i + 1);
  return {
    groups: numbers.map((ival) => ({ A_Const: { ival: { ival } } })),
    extra: options === '' ? [] : [{ A_Const: { sval: { sval: options } } }],
    global,
  };
}

/** How many capturing groups a regular expression has: `(…)` and named groups, not `(?:…)`, `\(` or `[(]`. */
function captureGroups(re: string): number {
  let count = 0;
  for (let i = 0; i < re.length; i++) {
    const c = re[i];
    if (c === '\\') {
      i++;
    } else if (c === '[') {
      // A bracket expression: `]` right after `[` or `[^` is a member, not the end.
      i++;
      if (re[i] === '^') i++;
      if (re[i] === ']') i++;
      while (i < re.length && re[i] !== ']') i += re[i] === '\\' ? 2 : 1;
    } else if (c === '(') {
      if (re[i + 1] !== '?') count++;
      else if (/^\(\?P?<[A-Za-z_]/.test(re.slice(i))) count++;
    }
  }
  return count;
}

/** Integer type names as written (libpg-query spells int as int4) → PostgreSQL's name and range. */
const INTEGER_TYPE_NAMES: Record<string, { name: string; min: bigint; max: bigint }> = (() => {
  const int2 = { name: 'smallint', min: -(2n ** 15n), max: 2n ** 15n - 1n };
  const int4 = { name: 'integer', min: -(2n ** 31n), max: 2n ** 31n - 1n };
  const int8 = { name: 'bigint', min: -(2n ** 63n), max: 2n ** 63n - 1n };
  return { int2, smallint: int2, int4, int: int4, integer: int4, int8, bigint: int8 };
})();

/** A text constant cast to an integer type must be an integer in range, as PostgreSQL reads it. */
function checkIntegerText(text: string, t: { name: string; min: bigint; max: bigint }): void {
  const v = text.trim();
  if (v === '')
    throw new SqlError(
      '22P02',
      `invalid input syntax for type ${t.name}: cannot parse integer from empty string: "${text}"`,
    );
  if (!/^[+-]?\d+$/.test(v))
    throw new SqlError('22P02', `invalid input syntax for type ${t.name}: invalid digit found in string: "${text}"`);
  const n = BigInt(v);
  if (n < t.min || n > t.max) throw new SqlError('22003', `"${text}" ${t.name} out of range`);
}

/**
 * A numeric constant that unconstrained `numeric` (the engine's DECIMAL(38,10)) holds
 * exactly: at most 28 digits before the decimal point and 10 after, trailing zeros aside.
 * Text that is not a number is left to the engine's own error.
 */
function checkUnconstrainedNumeric(text: string): void {
  const m = /^\s*[+-]?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?\s*$/.exec(text);
  if (!m || (m[1] === '' && (m[2] ?? '') === '')) return;
  const digits = (m[1] ?? '') + (m[2] ?? '');
  // The decimal point sits after `point` digits of `digits`.
  const point = (m[1] ?? '').length + Number(m[3] ?? 0);
  const first = digits.search(/[1-9]/);
  if (first < 0) return;
  const last = digits.length - 1 - [...digits].reverse().findIndex((c) => c !== '0');
  const scale = Math.max(0, last + 1 - point);
  const whole = Math.max(0, point - first);
  if (scale > NUMERIC_DEFAULT_SCALE || whole > MAX_NUMERIC_PRECISION - NUMERIC_DEFAULT_SCALE) {
    throw new SqlError('22003', 'numeric field overflow', {
      detail: `numeric without a precision holds at most ${MAX_NUMERIC_PRECISION - NUMERIC_DEFAULT_SCALE} digits before the decimal point and ${NUMERIC_DEFAULT_SCALE} after; "${text.trim()}" would change.`,
      hint: 'Give the type a precision and scale that fit, e.g. numeric(38,20), or round the value first.',
    });
  }
}

/**
 * An AND / OR / NOT under IS [NOT] NULL, IS [NOT] TRUE … or an operator, kept together:
 * the printer leaves out the parentheses there, and `(a AND b) IS NULL` came out as
 * `a AND b IS NULL`, which reads `a AND (b IS NULL)`. A one-argument COALESCE is the
 * same value and always prints whole.
 */
/** jsonb_X / json_X set-returning functions in a select list: the engine list each unnests (null: FROM only). */
const JSON_SRF_LISTS: Record<string, [string, PgNode | null] | null> = {
  array_elements: ['json_extract', { A_Const: { sval: { sval: '$[*]' } } }],
  array_elements_text: ['json_extract_string', { A_Const: { sval: { sval: '$[*]' } } }],
  object_keys: ['json_keys', null],
  each: null,
  each_text: null,
};

/** jsonb's operators that no other type has, and the compat macros that implement them. */
const JSONB_OPERATORS: Record<string, string> = {
  '?': 'jsonb_exists',
  '?|': 'jsonb_exists_any',
  '?&': 'jsonb_exists_all',
  '#>': 'jsonb_path',
  '#>>': 'jsonb_path_text',
};

const JSONB_FUNCTIONS = new Set([
  'to_json',
  'to_jsonb',
  'json_build_object',
  'jsonb_build_object',
  'json_build_array',
  'jsonb_build_array',
  'json_agg',
  'jsonb_agg',
  'json_object_agg',
  'jsonb_object_agg',
]);

/** Whether an operand is evidently json(b) as written: a cast to it, a json(b) constructor, `->`, `#>`. */
function isJsonb(n: unknown): boolean {
  if (n === null || typeof n !== 'object') return false;
  const node = n as PgNode;
  const kind = nodeType(node);
  const b = body(node);
  if (kind === 'TypeCast') {
    const tn = b.typeName as Record<string, unknown>;
    const last = names(tn.names).pop();
    return (last === 'json' || last === 'jsonb') && !(Array.isArray(tn.arrayBounds) && tn.arrayBounds.length > 0);
  }
  if (kind === 'FuncCall') return JSONB_FUNCTIONS.has(names(b.funcname).pop() ?? '');
  if (kind === 'A_Expr' && b.kind === 'AEXPR_OP') {
    const op = names(b.name).pop();
    return op === '->' || op === '#>' || (op === '||' && (isJsonb(b.lexpr) || isJsonb(b.rexpr)));
  }
  return false;
}

function grouped(n: unknown): unknown {
  return n && typeof n === 'object' && 'BoolExpr' in n ? { CoalesceExpr: { args: [n] } } : n;
}

function funcNode(name: string[], args: unknown[]): PgNode {
  return {
    FuncCall: { funcname: name.map((s) => ({ String: { sval: s } })), args, funcformat: 'COERCE_EXPLICIT_CALL' },
  };
}

function castNode(arg: unknown, type: string[], array = false, mods: number[] = []): PgNode {
  return {
    TypeCast: {
      arg,
      typeName: {
        names: type.map((s) => ({ String: { sval: s } })),
        typemod: -1,
        ...(mods.length ? { typmods: mods.map((v) => ({ A_Const: { ival: { ival: v } } })) } : {}),
        ...(array ? { arrayBounds: [{ Integer: { ival: -1 } }] } : {}),
      },
    },
  };
}

function missingFunction(parts: string[], b: Record<string, unknown>): SqlError {
  const args = ((b.args as PgNode[] | undefined) ?? []).map(argType);
  const star = b.agg_star ? '*' : args.join(', ');
  return new SqlError('42883', `function ${parts.join('.')}(${star}) does not exist`);
}

/** The type PostgreSQL would report for an argument in a "does not exist" error. */
function argType(n: PgNode): string {
  const c = (n as { A_Const?: Record<string, unknown> }).A_Const;
  if (c) {
    if ('ival' in c) return 'integer';
    if ('fval' in c) return 'numeric';
    if ('boolval' in c) return 'boolean';
    if ('isnull' in c) return 'unknown';
    return 'unknown';
  }
  const tc = (n as { TypeCast?: { typeName?: { names?: unknown[] } } }).TypeCast;
  if (tc?.typeName?.names) {
    const ns = names(tc.typeName.names);
    return ns[ns.length - 1] ?? 'unknown';
  }
  return 'unknown';
}

// -----------------------------------------------------------------------------------------

function compileOne(
  s: PgStatement,
  types: Map<string, string>,
  replaceMatview: boolean,
  scope: NameScope,
): CompiledStatement {
  const c = new Compiler(scope, new Set(types.keys()));
  const kind = nodeType(s.stmt);
  const b = body(s.stmt);
  const none: ReadonlySet<string> = new Set();
  const result: CompiledStatement = {
    nodeType: kind,
    verb: '',
    engineSql: '',
    reads: c.out.reads,
    writes: c.out.writes,
    owns: c.out.owns,
    creates: null,
    schemaCreate: null,
    schemaDrops: [],
    drops: [],
    ddl: false,
    hasReturning: Array.isArray(b.returningList) && b.returningList.length > 0,
    fewRows: false,
  };
  let tree: PgNode = s.stmt;
  switch (kind) {
    case 'SelectStmt':
      result.verb = b.valuesLists ? 'values' : 'select';
      nameOutputColumns(b);
      // Before the transforms, which add calls (nonzero, …) that return no sets.
      result.fewRows = atMostOneChunk(b);
      c.select(b, none);
      break;
    case 'ExplainStmt': {
      result.verb = 'explain';
      const q = b.query as PgNode;
      if (nodeType(q) !== 'SelectStmt') throw new SqlError('0A000', 'EXPLAIN is supported for queries only');
      if (b.options) throw new SqlError('0A000', 'EXPLAIN options not supported');
      c.select(body(q), none);
      break;
    }
    case 'InsertStmt': {
      result.verb = 'insert';
      const ctes = c.withClause(b.withClause, none);
      const rel = c.target(b.relation as Record<string, unknown>, 'insert', ctes);
      if (b.onConflictClause) {
        const oc = b.onConflictClause as Record<string, unknown>;
        if (oc.action === 'ONCONFLICT_UPDATE') c.out.writes.push({ rel, priv: 'update' });
      }
      if (result.hasReturning) c.out.reads.push(rel);
      const source = b.selectStmt as PgNode | undefined;
      if (source && nodeType(source) === 'SelectStmt') c.plainValues.add(body(source));
      c.walkFields(b, ctes, ['relation', 'withClause']);
      break;
    }
    case 'UpdateStmt':
    case 'DeleteStmt': {
      const priv = kind === 'UpdateStmt' ? 'update' : 'delete';
      result.verb = priv;
      const ctes = c.withClause(b.withClause, none);
      const rel = c.target(b.relation as Record<string, unknown>, priv, ctes);
      // Reading the target's rows (WHERE, RETURNING, SET from columns) needs SELECT too.
      if (b.whereClause || result.hasReturning || priv === 'update') c.out.reads.push(rel);
      c.walkFields(b, ctes, ['relation', 'withClause']);
      break;
    }
    case 'TruncateStmt': {
      result.verb = 'truncate';
      for (const r of (b.relations as PgNode[] | undefined) ?? []) c.target(body(r), 'delete', none);
      break;
    }
    case 'CreateStmt': {
      result.verb = 'create table';
      result.ddl = true;
      if (b.inhRelations || b.partspec || b.ofTypename)
        throw new SqlError('0A000', 'CREATE TABLE … INHERITS / PARTITION / OF not supported');
      if (b.oncommit && b.oncommit !== 'ONCOMMIT_NOOP') throw new SqlError('0A000', 'ON COMMIT not supported');
      const rv = b.relation as Record<string, unknown>;
      if (rv.relpersistence === 't') throw new SqlError('0A000', 'CREATE TEMPORARY TABLE not supported');
      const schema = c.creationSchema(rv.schemaname as string | undefined, rv.catalogname as string | undefined);
      const name = String(rv.relname);
      if (!b.if_not_exists && scope.relation(schema, name)) {
        throw new SqlError('42P07', `catalog item '${name}' already exists`);
      }
      result.creates = { schema, name, kind: 'table' };
      Object.assign(rv, { catalogname: USER_DATABASE, schemaname: schema });
      c.walkFields(b, none, ['relation']);
      break;
    }
    case 'ViewStmt': {
      result.verb = 'create view';
      result.ddl = true;
      const rv = b.view as Record<string, unknown>;
      if (rv.relpersistence === 't') throw new SqlError('0A000', 'CREATE TEMPORARY VIEW not supported');
      if (b.withCheckOption && b.withCheckOption !== 'NO_CHECK_OPTION')
        throw new SqlError('0A000', 'WITH CHECK OPTION not supported');
      const schema = c.creationSchema(rv.schemaname as string | undefined, rv.catalogname as string | undefined);
      const name = String(rv.relname);
      createOrReplace(c, result, schema, name, Boolean(b.replace), 'view');
      Object.assign(rv, { catalogname: USER_DATABASE, schemaname: schema });
      c.walk(b.query, none);
      break;
    }
    case 'CreateTableAsStmt': {
      const into = b.into as Record<string, unknown>;
      const rv = into.rel as Record<string, unknown>;
      const matview = b.objtype === 'OBJECT_MATVIEW';
      result.verb = matview ? 'create materialized view' : 'create table';
      result.ddl = true;
      if (rv.relpersistence === 't') throw new SqlError('0A000', 'CREATE TEMPORARY TABLE not supported');
      const schema = c.creationSchema(rv.schemaname as string | undefined, rv.catalogname as string | undefined);
      const name = String(rv.relname);
      if (matview) {
        createOrReplace(c, result, schema, name, replaceMatview, 'materialized-view');
      } else {
        if (!b.if_not_exists && scope.relation(schema, name))
          throw new SqlError('42P07', `catalog item '${name}' already exists`);
        result.creates = { schema, name, kind: 'table' };
      }
      Object.assign(rv, { catalogname: USER_DATABASE, schemaname: schema });
      c.walk(b.query, none);
      if (matview) {
        // A view is always consistent with its inputs when read: the guarantee Materialize
        // gives for materialized views (docs/compat.md).
        tree = {
          ViewStmt: {
            view: rv,
            aliases: into.colNames,
            query: b.query,
            replace: replaceMatview,
            withCheckOption: 'NO_CHECK_OPTION',
          },
        };
      }
      break;
    }
    case 'DropStmt':
      compileDrop(c, result, b);
      break;
    case 'AlterTableStmt': {
      result.verb = 'alter table';
      result.ddl = true;
      const rel = c.resolveRangeVar(b.relation as Record<string, unknown>, none);
      if (!rel) throw new SqlError('42P01', 'unknown catalog item');
      requireUserRel(rel);
      c.out.owns.push(rel);
      for (const cmd of (b.cmds as PgNode[] | undefined) ?? []) {
        const cb = body(cmd);
        if (
          ![
            'AT_AddColumn',
            'AT_DropColumn',
            'AT_ColumnDefault',
            'AT_SetNotNull',
            'AT_DropNotNull',
            'AT_AlterColumnType',
          ].includes(String(cb.subtype))
        ) {
          throw new SqlError('0A000', `ALTER TABLE ${String(cb.subtype).replace(/^AT_/, '')} not supported`);
        }
      }
      c.walkFields(b, none, ['relation']);
      break;
    }
    case 'RenameStmt': {
      result.verb = 'alter table';
      result.ddl = true;
      if (!['OBJECT_TABLE', 'OBJECT_VIEW', 'OBJECT_MATVIEW', 'OBJECT_COLUMN'].includes(String(b.renameType))) {
        throw new SqlError(
          '0A000',
          `ALTER … RENAME of ${String(b.renameType)
            .replace(/^OBJECT_/, '')
            .toLowerCase()} not supported`,
        );
      }
      const rel = c.resolveRangeVar(b.relation as Record<string, unknown>, none);
      if (!rel) throw new SqlError('42P01', 'unknown catalog item');
      requireUserRel(rel);
      c.out.owns.push(rel);
      if (b.renameType !== 'OBJECT_COLUMN' && scope.relation(rel.schema, String(b.newname))) {
        throw new SqlError('42P07', `catalog item '${String(b.newname)}' already exists`);
      }
      break;
    }
    case 'IndexStmt': {
      result.verb = 'create index';
      result.ddl = true;
      const rel = c.resolveRangeVar(b.relation as Record<string, unknown>, none);
      if (!rel) throw new SqlError('42P01', 'unknown catalog item');
      requireUserRel(rel);
      c.out.owns.push(rel);
      if (b.whereClause || b.indexIncludingParams)
        throw new SqlError('0A000', 'partial or covering indexes not supported');
      c.walkFields(b, none, ['relation']);
      break;
    }
    case 'CreateSchemaStmt': {
      result.verb = 'create schema';
      result.ddl = true;
      if (b.schemaElts || b.authrole)
        throw new SqlError('0A000', 'CREATE SCHEMA … AUTHORIZATION / elements not supported');
      const name = String(b.schemaname);
      if (
        HIDDEN_SCHEMAS.has(name) ||
        name.startsWith('__ferry') ||
        SYSTEM_SCHEMAS.has(name) ||
        name.startsWith('mz_') ||
        name.startsWith('pg_')
      ) {
        throw new SqlError('42939', `unacceptable schema name '${name}'`);
      }
      result.schemaCreate = name;
      break;
    }
    default:
      throw unsupportedNode(kind);
  }
  if (kind === 'DropStmt' && (b.objects as unknown[]).length === 0) return result;
  if (kind === 'DropStmt' && b.removeType === 'OBJECT_SCHEMA' && result.schemaDrops.length === 0) return result;
  const printed = Deparser.deparse(tree, { pretty: false });
  let engineSql = printed;
  for (const [name, text] of types) engineSql = engineSql.split(name).join(text);
  result.engineSql = engineSql;
  return result;
}

function requireUserRel(rel: ResolvedRelation): void {
  if (rel.kind === 'system' || rel.id === null) {
    throw new SqlError('42501', `permission denied for ${rel.schema}.${rel.name}`, {
      detail: 'System relations cannot be modified.',
    });
  }
}

function createOrReplace(
  c: Compiler,
  result: CompiledStatement,
  schema: string,
  name: string,
  replace: boolean,
  kind: 'view' | 'materialized-view',
): void {
  const existing = c.scope.relation(schema, name);
  if (existing && !replace) throw new SqlError('42P07', `catalog item '${name}' already exists`);
  if (existing) {
    if (existing.kind !== kind) {
      throw new SqlError(
        '42809',
        `${schema}.${name} is a ${existing.kind.replace('-', ' ')}, not a ${kind.replace('-', ' ')}`,
      );
    }
    c.out.owns.push(existing);
  }
  result.creates = { schema, name, kind };
}

const DROP_KINDS: Record<string, ResolvedRelation['kind'][]> = {
  OBJECT_TABLE: ['table'],
  OBJECT_VIEW: ['view'],
  OBJECT_MATVIEW: ['materialized-view'],
};

function compileDrop(c: Compiler, result: CompiledStatement, b: Record<string, unknown>): void {
  result.ddl = true;
  const type = String(b.removeType);
  const missingOk = Boolean(b.missing_ok);
  if (type === 'OBJECT_SCHEMA') {
    result.verb = 'drop schema';
    for (const o of (b.objects as unknown[]) ?? []) {
      const name = str(o);
      if (HIDDEN_SCHEMAS.has(name) || name.startsWith('__ferry'))
        throw new SqlError('3F000', `unknown schema '${name}'`);
      if (SYSTEM_SCHEMAS.has(name))
        throw new SqlError('42501', `permission denied for SCHEMA "${USER_DATABASE}.${name}"`);
      if (!c.scope.schemaExists(name)) {
        if (missingOk) continue;
        throw new SqlError('3F000', `unknown schema '${name}'`);
      }
      result.schemaDrops.push(name);
    }
    b.objects = result.schemaDrops.map((sval) => ({ String: { sval } }));
    return;
  }
  const kinds = DROP_KINDS[type];
  if (!kinds) throw new SqlError('0A000', `DROP ${type.replace(/^OBJECT_/, '')} not supported`);
  result.verb = `drop ${type === 'OBJECT_MATVIEW' ? 'materialized view' : type.replace(/^OBJECT_/, '').toLowerCase()}`;
  const kept: unknown[] = [];
  for (const o of (b.objects as unknown[]) ?? []) {
    const parts = names((o as { List?: { items?: unknown[] } }).List?.items);
    const name = parts[parts.length - 1]!;
    const schema = parts.length >= 2 ? parts[parts.length - 2]! : null;
    if (parts.length === 3 && parts[0] !== USER_DATABASE) throw new SqlError('3D000', `unknown database '${parts[0]}'`);
    let rel: ResolvedRelation;
    try {
      rel = c.lookup(schema, name);
    } catch (err) {
      if (missingOk && err instanceof SqlError && (err.code === '42P01' || err.code === '3F000')) continue;
      throw err;
    }
    if (rel.kind === 'system' || rel.id === null || SYSTEM_SCHEMAS.has(rel.schema)) {
      throw new SqlError('42501', `permission denied for ${rel.schema}.${rel.name}`, {
        detail: 'System relations cannot be dropped.',
      });
    }
    if (!kinds.includes(rel.kind)) {
      throw new SqlError('42809', `${rel.schema}.${rel.name} is not a ${kinds[0]!.replace('-', ' ')}`);
    }
    c.out.owns.push(rel);
    result.drops.push(rel);
    kept.push({ List: { items: [USER_DATABASE, rel.schema, rel.name].map((s) => ({ String: { sval: s } })) } });
  }
  b.objects = kept;
  if (b.removeType === 'OBJECT_MATVIEW') b.removeType = 'OBJECT_VIEW';
  if (kept.length === 0) result.engineSql = '';
}
