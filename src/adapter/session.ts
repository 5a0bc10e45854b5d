/**
 * A session: one client's state (role, variables, transaction) and its engine connection.
 * It parses each statement (src/sql), checks privileges against the catalog, and either
 * handles the statement itself (roles, grants, SHOW, COPY, connections …) or runs it on the
 * engine, keeping the catalog in step with DDL inside the same engine transaction.
 *
 * Transaction semantics follow PostgreSQL: statements outside BEGIN autocommit; an error
 * inside a block fails the block (`25P02` until ROLLBACK); a multi-statement simple query
 * runs as one implicit transaction.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import * as catalog from '../catalog/index.js';
import { engineError } from '../engine/errors.js';
import { SqlError, unsupported } from '../errors/index.js';
import type { Logger } from '../log/index.js';
import type { QualifiedName, Statement } from '../sql/ast.js';
import { type StatementText, splitStatements, tokenize } from '../sql/lexer.js';
import { parseStatement } from '../sql/parser.js';
import { translateSql } from '../sql/translate.js';
import type { ExecContext, ExecOutcome, FieldDesc, PreparedStatement, Session, TxnStatus } from './api.js';
import { EngineStatement, bindParams, rowStreamOf } from './engine-query.js';
import type { Services } from './services.js';
import { SessionVars } from './vars.js';
import { pgTypeOf } from '../types/index.js';
import { copyFromStdin, copyToStdout } from './copy-stdio.js';
import { handleDdl, handleShow, handleShowCreate, syncCatalog } from './ddl.js';
import { ddlObjectName } from './ddl-names.js';
import { TEXT_OID, staticRows, textField } from './results.js';

interface FerryPrepared extends PreparedStatement {
  statement: Statement;
  engine: EngineStatement | null;
}

export class FerrySession implements Session {
  readonly vars: SessionVars;
  /** 'idle' autocommit, 'block' inside BEGIN, 'failed' after an error inside BEGIN. */
  private txn: 'idle' | 'block' | 'failed' = 'idle';
  /** True while an implicit transaction wraps a multi-statement query or a DDL step. */
  private implicit = false;
  private running: AbortController | null = null;
  /**
   * Prepared engine statements by SQL text. Repeated queries (drivers, dashboards,
   * `SELECT 1` health checks) then skip two DuckDB prepares, each a thread-pool round
   * trip (docs/benchmarks.md, "SELECT 1"). Entries are tagged with the schema epoch.
   */
  private stmtCache = new Map<string, EngineStatement>();
  private static readonly STMT_CACHE_SIZE = 128;
  /** Relations named by a SELECT's text (relationsNamedIn), by text. */
  private namesCache = new Map<string, string[]>();
  private closed = false;
  readonly log: Logger;

  constructor(
    readonly services: Services,
    readonly conn: DuckDBConnection,
    public role: catalog.Role,
    params: Record<string, string>,
    readonly connectionId: number,
  ) {
    this.vars = new SessionVars(params);
    this.vars.force('is_superuser', role.superuser ? 'on' : 'off');
    this.log = services.log.child(`session${connectionId}`);
  }

  parameterStatus(): [string, string][] {
    return this.vars.reported();
  }
  takeChangedParameters(): [string, string][] {
    return this.vars.takeChanged();
  }
  txnStatus(): TxnStatus {
    return this.txn === 'idle' ? 'I' : this.txn === 'block' ? 'T' : 'E';
  }
  inTransactionBlock(): boolean {
    return this.txn !== 'idle' || this.implicit;
  }

  // -------------------------------------------------------------------------------------
  // Protocol entry points

  async *simpleQuery(sql: string, ctx: ExecContext): AsyncIterable<ExecOutcome> {
    const stmts = splitStatements(sql);
    if (stmts.length === 0) {
      yield { kind: 'empty' };
      return;
    }
    const parsed = stmts.map((s) => ({ text: s, stmt: parseStatement(s) }));
    // PostgreSQL runs a multi-statement query as one implicit transaction unless it
    // manages transactions itself.
    const useImplicit =
      stmts.length > 1 &&
      this.txn === 'idle' &&
      !parsed.some((p) => ['begin', 'commit', 'rollback'].includes(p.stmt.kind));
    if (useImplicit) {
      await this.engineRun('BEGIN');
      this.implicit = true;
    }
    try {
      for (const { text, stmt } of parsed) {
        yield await this.executeStatement(stmt, text, [], ctx, null);
      }
      if (useImplicit) {
        this.implicit = false;
        await this.engineRun('COMMIT');
      }
    } catch (err) {
      if (useImplicit) {
        this.implicit = false;
        await this.engineRun('ROLLBACK').catch(() => undefined);
      }
      throw err;
    } finally {
      this.implicit = false;
    }
  }

  async prepare(sql: string, paramOids: number[]): Promise<FerryPrepared> {
    const stmts = splitStatements(sql);
    if (stmts.length > 1) throw new SqlError('42601', 'cannot insert multiple commands into a prepared statement');
    const text: StatementText = stmts[0] ?? { sql: '', tokens: [], offset: 0 };
    const statement =
      text.tokens.length === 0
        ? ({ kind: 'engine', sql: '', verb: '', createsKind: null } as Statement)
        : parseStatement(text);
    if (statement.kind === 'engine' && statement.sql !== '' && this.txn !== 'failed') {
      const engineSql = this.translate(statement.sql);
      const hasReturning = text.tokens.some((t) => t.kind === 'word' && t.value === 'returning');
      // DDL cannot be prepared ahead in DuckDB when it depends on earlier statements of
      // the same batch; describe what we can and prepare again at execution.
      let engine: EngineStatement | null = null;
      try {
        engine = /^(create|drop|alter)/.test(statement.verb)
          ? await EngineStatement.prepare(this.conn, engineSql, statement.verb, hasReturning)
          : await this.cachedStatement(engineSql, statement.verb, hasReturning);
      } catch (err) {
        if (!/^(create|drop|alter)/.test(statement.verb)) throw err;
      }
      const inferred = engine ? engine.shape.paramTypes.map((t) => (t ? pgOid(t) : TEXT_OID)) : [];
      return {
        sql,
        statement,
        engine,
        paramOids: inferred.map((o, i) => (paramOids[i] ? paramOids[i]! : o)),
        fields: engine && engine.shape.returnsRows ? engine.shape.fields : null,
      };
    }
    const fields = await this.describeStatement(statement);
    return { sql, statement, engine: null, paramOids: paramOids.slice(), fields };
  }

  async execute(stmt: PreparedStatement, params: (string | null)[], ctx: ExecContext): Promise<ExecOutcome> {
    const p = stmt as FerryPrepared;
    const text: StatementText = splitStatements(p.sql)[0] ?? { sql: '', tokens: [], offset: 0 };
    return this.executeStatement(p.statement, text, params, ctx, p.engine);
  }

  async sync(): Promise<void> {
    // Nothing to do: autocommit statements have committed, blocks wait for COMMIT.
  }

  cancel(): void {
    this.running?.abort();
    try {
      this.conn.interrupt();
    } catch {
      // Interrupting an idle connection is harmless.
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.cancel();
    try {
      if (this.txn !== 'idle') await this.conn.run('ROLLBACK');
    } catch {
      // The connection is going away anyway.
    }
    try {
      this.conn.closeSync();
    } catch {
      /* already closed */
    }
  }

  // -------------------------------------------------------------------------------------
  // Statement execution

  translate(sql: string): string {
    return translateSql(sql, { user: this.role.name });
  }

  async engineRun(sql: string): Promise<void> {
    try {
      await this.conn.run(sql);
    } catch (err) {
      throw engineError(err);
    }
  }

  /** An abort signal for the statement now running (CancelRequest triggers it). */
  get signal(): AbortSignal {
    return (this.running ??= new AbortController()).signal;
  }

  /** A prepared statement for `engineSql`, from the cache when the schema has not changed. */
  async cachedStatement(engineSql: string, verb: string, hasReturning: boolean): Promise<EngineStatement> {
    const key = `${hasReturning ? 'R' : 'N'}${verb}\u0000${engineSql}`;
    const hit = this.stmtCache.get(key);
    if (hit && hit.epoch === this.services.schemaEpoch) {
      // Refresh its position: the Map's insertion order is the eviction order.
      this.stmtCache.delete(key);
      this.stmtCache.set(key, hit);
      return hit;
    }
    const epoch = this.services.schemaEpoch;
    const es = await EngineStatement.prepare(this.conn, engineSql, verb, hasReturning);
    es.epoch = epoch;
    this.stmtCache.set(key, es);
    if (this.stmtCache.size > FerrySession.STMT_CACHE_SIZE) {
      // Evicted statements are not destroyed here: a portal may still be reading one.
      this.stmtCache.delete(this.stmtCache.keys().next().value!);
    }
    return es;
  }

  /** Marks every cached statement of every session as possibly stale. */
  schemaChanged(): void {
    this.services.schemaEpoch++;
  }

  /**
   * Runs `fn` atomically: inside the session's transaction block if there is one,
   * otherwise in a transaction of its own.
   */
  async atomically<T>(fn: () => Promise<T>): Promise<T> {
    this.schemaChanged();
    if (this.inTransactionBlock()) return fn();
    await this.engineRun('BEGIN');
    try {
      const out = await fn();
      await this.engineRun('COMMIT');
      return out;
    } catch (err) {
      await this.conn.run('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  private async executeStatement(
    stmt: Statement,
    text: StatementText,
    params: (string | null)[],
    ctx: ExecContext,
    prepared: EngineStatement | null,
  ): Promise<ExecOutcome> {
    if (this.txn === 'failed' && stmt.kind !== 'rollback' && stmt.kind !== 'commit') {
      throw new SqlError('25P02', 'current transaction is aborted, commands ignored until end of transaction block');
    }
    this.running = new AbortController();
    try {
      return await this.dispatch(stmt, text, params, ctx, prepared);
    } catch (err) {
      if (this.txn === 'block') this.txn = 'failed';
      if (err instanceof SqlError) throw err;
      throw engineError(err);
    } finally {
      this.running = null;
    }
  }

  private async dispatch(
    stmt: Statement,
    text: StatementText,
    params: (string | null)[],
    ctx: ExecContext,
    prepared: EngineStatement | null,
  ): Promise<ExecOutcome> {
    switch (stmt.kind) {
      case 'begin':
        if (this.txn !== 'idle') {
          ctx.notice({ severity: 'WARNING', code: '25001', message: 'there is already a transaction in progress' });
          return { kind: 'command', tag: 'BEGIN' };
        }
        if (!this.implicit) await this.engineRun('BEGIN');
        this.txn = 'block';
        return { kind: 'command', tag: 'BEGIN' };
      case 'commit': {
        if (this.txn === 'idle') {
          ctx.notice({ severity: 'WARNING', code: '25P01', message: 'there is no transaction in progress' });
          return { kind: 'command', tag: 'COMMIT' };
        }
        const failed = this.txn === 'failed';
        this.txn = 'idle';
        if (failed) {
          await this.conn.run('ROLLBACK').catch(() => undefined);
          return { kind: 'command', tag: 'ROLLBACK' };
        }
        await this.engineRun('COMMIT');
        return { kind: 'command', tag: 'COMMIT' };
      }
      case 'rollback':
        if (this.txn === 'idle') {
          ctx.notice({ severity: 'WARNING', code: '25P01', message: 'there is no transaction in progress' });
          return { kind: 'command', tag: 'ROLLBACK' };
        }
        this.txn = 'idle';
        await this.conn.run('ROLLBACK').catch(() => undefined);
        return { kind: 'command', tag: 'ROLLBACK' };
      case 'set':
        if (stmt.name.toLowerCase() === 'search_path' && stmt.value !== null) {
          await this.setSearchPath(stmt.value);
        }
        this.vars.set(stmt.name, stmt.value);
        return { kind: 'command', tag: 'SET' };
      case 'reset':
        if (stmt.name === 'all') {
          for (const v of this.vars.all()) {
            try {
              this.vars.set(v.name, null);
            } catch {
              /* read-only */
            }
          }
        } else this.vars.set(stmt.name, null);
        return { kind: 'command', tag: 'RESET' };
      case 'discard-all':
        if (this.txn !== 'idle') throw new SqlError('25001', 'DISCARD ALL cannot run inside a transaction block');
        return { kind: 'command', tag: 'DISCARD ALL' };
      case 'show-var': {
        if (stmt.name === 'all') {
          return staticRows(
            [textField('name'), textField('setting'), textField('description')],
            this.vars.all().map((v) => [v.name, v.setting, v.description]),
            (n) => `SHOW ${n}`,
          );
        }
        const name = stmt.name === 'transaction isolation level' ? 'transaction_isolation' : stmt.name;
        return staticRows([textField(name)], [[this.vars.get(name)]], () => 'SHOW');
      }
      case 'show':
        return handleShow(this, stmt);
      case 'show-create':
        return handleShowCreate(this, stmt);
      case 'copy':
        if (stmt.target.kind === 'stdout') return copyToStdout(this, stmt);
        if (stmt.target.kind === 'stdin') return copyFromStdin(this, stmt);
        return this.services.copyTo(this, stmt, text.sql, ctx);
      case 'engine':
        return this.runEngine(stmt, text, params, prepared);
      case 'create-cluster':
        throw unsupported('CREATE CLUSTER', {
          detail: 'Ferry runs every statement on its one engine; the default cluster is quickstart.',
        });
      default:
        return handleDdl(this, stmt, text, ctx);
    }
  }

  private async setSearchPath(value: string): Promise<void> {
    const schemas = value
      .split(',')
      .map((s) => s.trim().replace(/^"(.*)"$/, '$1'))
      .filter((s) => s !== '');
    // mz_catalog is searched after the user's schemas, as Materialize resolves `mz_tables`.
    const path = [...schemas, 'mz_catalog', 'main'].map((s) => s.replace(/'/g, "''")).join(',');
    await this.engineRun(`SET search_path = '${path}'`);
  }

  /** Resolves an object name as written to a catalog item, or throws `unknown catalog item`. */
  async resolveItem(name: QualifiedName): Promise<catalog.CatalogObject> {
    const obj = await this.findItem(name);
    if (!obj) throw new SqlError('42704', `unknown catalog item '${name.parts.join('.')}'`);
    return obj;
  }

  async findItem(name: QualifiedName): Promise<catalog.CatalogObject | null> {
    const parts = name.parts;
    const objName = parts[parts.length - 1]!;
    if (parts.length === 3 && parts[0] !== catalog.DEFAULT_DATABASE) {
      throw new SqlError('3D000', `unknown database '${parts[0]}'`);
    }
    const schemas = parts.length >= 2 ? [parts[parts.length - 2]!] : this.searchPath();
    for (const s of schemas) {
      const obj = await catalog.findItem(this.conn, s, objName);
      if (obj) return obj;
    }
    return null;
  }

  searchPath(): string[] {
    return this.vars
      .get('search_path')
      .split(',')
      .map((s) => s.trim().replace(/^"(.*)"$/, '$1'))
      .filter((s) => s !== '');
  }

  /** Schema in which an unqualified new object is created (the first on the search path). */
  creationSchema(name: QualifiedName): string {
    if (name.parts.length >= 2) return name.parts[name.parts.length - 2]!;
    return this.searchPath()[0] ?? catalog.DEFAULT_SCHEMA;
  }

  async requirePrivilege(obj: catalog.CatalogObject, priv: catalog.Privilege, privName: string): Promise<void> {
    if (!(await catalog.hasPrivilege(this.conn, this.role, obj, priv)))
      throw catalog.permissionDenied(obj, this.role, privName);
  }

  async requireOwner(obj: catalog.CatalogObject): Promise<void> {
    if (!(await catalog.isOwner(this.conn, this.role, obj))) {
      throw new SqlError('42501', `must be owner of ${catalog.kindLabel(obj.kind)} ${catalog.fullName(obj)}`);
    }
  }

  /** CREATE on the schema an object is created in (superusers always may). */
  async requireCreateIn(schemaName: string): Promise<void> {
    if (this.role.superuser) return;
    if (catalog.SYSTEM_SCHEMAS.includes(schemaName) || schemaName === catalog.INTERNAL_SCHEMA) {
      throw new SqlError('42501', `permission denied for SCHEMA "${schemaName}"`);
    }
    const schema = await catalog.findSchema(this.conn, schemaName);
    if (!schema) throw new SqlError('3F000', `unknown schema '${schemaName}'`);
    if (!(await catalog.hasPrivilege(this.conn, this.role, schema, 'C'))) {
      throw new SqlError('42501', `permission denied for SCHEMA "${catalog.DEFAULT_DATABASE}.${schemaName}"`, {
        detail: `The '${this.role.name}' role needs CREATE privileges on SCHEMA "${catalog.DEFAULT_DATABASE}.${schemaName}"`,
      });
    }
  }

  /**
   * Privilege checks for a statement the engine runs: reading needs SELECT on every
   * relation it names (views are checked as themselves, not their inputs), writing needs
   * INSERT / UPDATE / DELETE on the target, DDL needs CREATE on the schema or ownership.
   * The internal schema is never reachable, and system schemas are read-only.
   */
  async checkEngineStatement(
    stmt: Statement & { kind: 'engine' },
    tokens: ReturnType<typeof tokenize>,
    engineSql: string,
  ): Promise<void> {
    for (const t of tokens) {
      if ((t.kind === 'word' || t.kind === 'qident') && t.value.toLowerCase() === catalog.INTERNAL_SCHEMA) {
        throw new SqlError('42501', `permission denied for SCHEMA "${catalog.INTERNAL_SCHEMA}"`);
      }
    }
    const verb = stmt.verb;
    const writes = ['insert', 'update', 'delete', 'truncate', 'merge'].includes(verb);
    const ddl = /^(create|drop|alter|comment) /.test(verb) || verb === 'create' || verb === 'drop' || verb === 'alter';
    if (
      [
        'attach',
        'detach',
        'install',
        'load',
        'export',
        'import',
        'checkpoint',
        'force',
        'vacuum',
        'copy',
        'pragma',
        'call',
        'use',
      ].includes(verb) &&
      !this.role.superuser
    ) {
      throw new SqlError('42501', `permission denied to run ${verb.toUpperCase()}`, {
        detail: 'Only superusers may run engine maintenance statements.',
      });
    }
    // Relations as *named* in the statement: a view is checked as itself, never through
    // its definition (DuckDB's getTableNames binds and expands views, so it serves only
    // statements the parse tree cannot describe).
    let names: string[] = [];
    if (['select', 'with', 'values', 'table', ''].includes(verb)) {
      // A superuser may read everything; reading needs no further look at the names.
      if (this.role.superuser) return;
      names = await this.relationsNamedIn(engineSql);
    } else {
      try {
        names = [...this.conn.getTableNames(engineSql, true)];
      } catch {
        // Statements DuckDB cannot analyse here fail at execution with the engine's error.
      }
      const sel = tokens.findIndex(
        (t, k) => k > 0 && t.kind === 'word' && (t.value === 'select' || t.value === 'with'),
      );
      if (sel !== -1 && (writes || /^create (table|view|materialized view)/.test(verb))) {
        names.push(...(await this.relationsNamedIn(this.translate(engineSqlFrom(tokens, sel, stmt.sql)))));
      }
    }
    const target = writes ? writeTarget(tokens) : null;
    // DuckDB does not list a write's target among the tables it reads; add it.
    if (target && !names.some((n) => sameName(n.split('.'), target))) names.push(target.join('.'));
    for (const n of names) {
      const parts = n.split('.').map((p) => p.replace(/^"(.*)"$/, '$1'));
      const obj = await this.findItem({ parts });
      const schema = obj?.schemaName ?? (parts.length >= 2 ? parts[parts.length - 2]! : null);
      const isTarget = target !== null && sameName(parts, target);
      if (isTarget && schema && catalog.SYSTEM_SCHEMAS.includes(schema)) {
        throw new SqlError('42501', `permission denied for TABLE "${parts.join('.')}"`, {
          detail: 'System relations are read-only.',
        });
      }
      if (!obj || this.role.superuser) continue;
      if (isTarget) {
        const priv = verb === 'insert' ? 'a' : verb === 'update' ? 'w' : 'd';
        await this.requirePrivilege(obj, priv, verb === 'insert' ? 'INSERT' : verb === 'update' ? 'UPDATE' : 'DELETE');
        if (verb !== 'insert' && tokens.some((t) => t.value === 'where' || t.value === 'returning'))
          await this.requirePrivilege(obj, 'r', 'SELECT');
      } else {
        await this.requirePrivilege(obj, 'r', 'SELECT');
      }
    }
    if (ddl && !this.role.superuser) await this.checkDdlPrivileges(stmt, tokens);
  }

  /**
   * Base relations a SELECT names (CTE names excluded), from DuckDB's unbound parse tree.
   * The names depend on the text alone, so they are kept per text like prepared statements:
   * a repeated query by a non-superuser costs no extra engine round trip for them.
   */
  async relationsNamedIn(sql: string): Promise<string[]> {
    const hit = this.namesCache.get(sql);
    if (hit) return hit;
    const names = await this.parseRelationsNamedIn(sql);
    if (names === null) return []; // not kept: the failure may pass (an aborted transaction)
    this.namesCache.set(sql, names);
    if (this.namesCache.size > FerrySession.STMT_CACHE_SIZE)
      this.namesCache.delete(this.namesCache.keys().next().value!);
    return names;
  }

  /** null when DuckDB could not give the parse tree. */
  private async parseRelationsNamedIn(sql: string): Promise<string[] | null> {
    let tree: unknown;
    try {
      const r = await this.conn.runAndReadAll('SELECT json_serialize_sql($1::VARCHAR)', [sql]);
      tree = JSON.parse(String(r.getRowsJS()[0]?.[0] ?? '{}'));
    } catch {
      return null;
    }
    const refs: string[][] = [];
    const ctes = new Set<string>();
    const walk = (n: unknown): void => {
      if (Array.isArray(n)) n.forEach(walk);
      else if (n && typeof n === 'object') {
        const o = n as Record<string, unknown>;
        if (o.type === 'BASE_TABLE' && typeof o.table_name === 'string') {
          refs.push([String(o.schema_name ?? ''), o.table_name].filter((p) => p !== ''));
        }
        const map = (o.cte_map as { map?: { key?: string }[] } | undefined)?.map;
        if (Array.isArray(map)) for (const e of map) if (typeof e.key === 'string') ctes.add(e.key.toLowerCase());
        Object.values(o).forEach(walk);
      }
    };
    walk(tree);
    return refs.filter((r) => !(r.length === 1 && ctes.has(r[0]!.toLowerCase()))).map((r) => r.join('.'));
  }

  private async checkDdlPrivileges(
    stmt: Statement & { kind: 'engine' },
    tokens: ReturnType<typeof tokenize>,
  ): Promise<void> {
    const name = ddlObjectName(tokens);
    if (!name) return;
    if (stmt.verb.startsWith('create')) {
      if (stmt.verb === 'create schema') {
        if (!this.role.superuser && !this.role.createdb)
          throw new SqlError('42501', 'permission denied for DATABASE "materialize"');
        return;
      }
      await this.requireCreateIn(this.creationSchema(name));
      return;
    }
    const obj = await this.findItem(name);
    if (obj) await this.requireOwner(obj);
  }

  private async runEngine(
    stmt: Statement & { kind: 'engine' },
    text: StatementText,
    params: (string | null)[],
    prepared: EngineStatement | null,
  ): Promise<ExecOutcome> {
    if (stmt.sql === '') return { kind: 'empty' };
    const engineSql = prepared?.sql ?? this.translate(stmt.sql);
    await this.checkEngineStatement(stmt, text.tokens, engineSql);
    const isDdl = /^(create|drop|alter) /.test(stmt.verb);
    if (isDdl) {
      return this.atomically(async () => {
        await this.engineRun(engineSql);
        await syncCatalog(this, stmt);
        return { kind: 'command', tag: ddlTag(stmt.verb) } as ExecOutcome;
      });
    }
    const hasReturning = text.tokens.some((t) => t.kind === 'word' && t.value === 'returning');
    const es =
      prepared && prepared.epoch === this.services.schemaEpoch
        ? prepared
        : await this.cachedStatement(engineSql, stmt.verb, hasReturning);
    const shape = es.shape;
    if (shape.returnsRows) {
      const verbTag = ['insert', 'update', 'delete'].includes(stmt.verb)
        ? stmt.verb.toUpperCase()
        : shape.statementType === 2
          ? 'EXPLAIN'
          : 'SELECT';
      const tag = (n: number): string =>
        verbTag === 'INSERT' ? `INSERT 0 ${n}` : verbTag === 'EXPLAIN' ? 'EXPLAIN' : `${verbTag} ${n}`;
      if (shape.wrappable) {
        const ts = await es.textStatement(this.conn);
        bindParams(ts, shape, params);
        return { kind: 'rows', fields: shape.fields, tag, rows: rowStreamOf(() => ts.stream(), 'text') };
      }
      bindParams(es.prepared, shape, params);
      return { kind: 'rows', fields: shape.fields, tag, rows: rowStreamOf(() => es.prepared.stream(), shape.types) };
    }
    bindParams(es.prepared, shape, params);
    let changed = 0;
    try {
      const result = await es.prepared.run();
      changed = Number(result.rowsChanged);
    } catch (err) {
      throw engineError(err);
    }
    switch (stmt.verb) {
      case 'insert':
        return { kind: 'command', tag: `INSERT 0 ${changed}` };
      case 'update':
      case 'delete':
      case 'merge':
        return { kind: 'command', tag: `${stmt.verb.toUpperCase()} ${changed}` };
      case 'truncate':
        return { kind: 'command', tag: 'TRUNCATE TABLE' };
      default:
        return { kind: 'command', tag: stmt.verb.toUpperCase() || 'OK' };
    }
  }

  private async describeStatement(stmt: Statement): Promise<FieldDesc[] | null> {
    switch (stmt.kind) {
      case 'show-var':
        return stmt.name === 'all'
          ? [textField('name'), textField('setting'), textField('description')]
          : [textField(stmt.name)];
      case 'show-permission-policy':
        return [
          textField('connection'),
          textField('uri'),
          textField('permission_policy', 3802),
          textField('trust_policy', 3802),
        ];
      case 'show':
      case 'show-create': {
        // Describe by running: these statements are cheap and side-effect free.
        const out = stmt.kind === 'show' ? await handleShow(this, stmt) : await handleShowCreate(this, stmt);
        if (out.kind === 'rows') {
          await out.rows.close();
          return out.fields;
        }
        return null;
      }
      default:
        return null;
    }
  }
}

function pgOid(t: import('@duckdb/node-api').DuckDBType): number {
  return pgTypeOf(t).oid;
}

/** `INSERT INTO x`, `UPDATE x`, `DELETE FROM x`, `TRUNCATE [TABLE] x` → x's name parts. */
function writeTarget(tokens: ReturnType<typeof tokenize>): string[] | null {
  let k = tokens.findIndex(
    (t) => t.kind === 'word' && ['insert', 'update', 'delete', 'truncate', 'merge'].includes(t.value),
  );
  if (k === -1) return null;
  k++;
  while (tokens[k] && tokens[k]!.kind === 'word' && ['into', 'from', 'table', 'only'].includes(tokens[k]!.value)) k++;
  const parts: string[] = [];
  while (tokens[k] && (tokens[k]!.kind === 'word' || tokens[k]!.kind === 'qident')) {
    parts.push(tokens[k]!.value);
    if (tokens[k + 1]?.text !== '.') break;
    k += 2;
  }
  return parts.length ? parts : null;
}

/** The statement text from token `k` on (e.g. the SELECT of an INSERT … SELECT). */
function engineSqlFrom(tokens: ReturnType<typeof tokenize>, k: number, sql: string): string {
  return sql.slice(tokens[k]!.start);
}

function sameName(a: string[], b: string[]): boolean {
  const n = Math.min(a.length, b.length);
  return a.slice(-n).join('.').toLowerCase() === b.slice(-n).join('.').toLowerCase();
}

function ddlTag(verb: string): string {
  return verb.toUpperCase();
}
