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
import { SqlError } from '../errors/index.js';
import type { Logger } from '../log/index.js';
import type { QualifiedName, Statement } from '../sql/ast.js';
import { type StatementText, splitStatements } from '../sql/lexer.js';
import { parseStatement } from '../sql/parser.js';
import { type CompiledStatement, type NameScope, type ResolvedRelation, compile } from '../sql/frontend.js';
import { planStatement } from '../sql/plan.js';
import { authorizeCompiled, authorizePlan } from './rbac.js';
import { sequencePlan } from './sequence.js';
import type { TransactionState } from './transactions.js';
import type { ExecContext, ExecOutcome, FieldDesc, PreparedStatement, Session, TxnStatus } from './api.js';
import { EngineStatement } from './engine-query.js';
import type { Services } from './services.js';
import { SessionVars, durationMs } from './vars.js';
import { pgTypeOf } from '../types/index.js';
import { handleShow, handleShowCreate } from './ddl.js';
import { TEXT_OID, textField } from './results.js';

interface FerryPrepared extends PreparedStatement {
  statement: Statement;
  engine: EngineStatement | null;
}

export class FerrySession implements Session, TransactionState {
  readonly vars: SessionVars;
  /** 'idle' autocommit, 'block' inside BEGIN, 'failed' after an error inside BEGIN. */
  txn: 'idle' | 'block' | 'failed' = 'idle';
  /** True while an implicit transaction wraps a multi-statement query or a DDL step. */
  implicit = false;
  private running: AbortController | null = null;
  /**
   * Prepared engine statements by SQL text. Repeated queries (drivers, dashboards,
   * `SELECT 1` health checks) then skip two DuckDB prepares, each a thread-pool round
   * trip (docs/benchmarks.md, "SELECT 1"). Entries are tagged with the schema epoch.
   */
  private stmtCache = new Map<string, EngineStatement>();
  private static readonly STMT_CACHE_SIZE = 128;
  /** Front-end results by role, search path and text (compileEngine). */
  /** Longest Query text whose parse is cached. */
  private static readonly PARSE_CACHE_TEXT = 4096;
  private parsedCache = new Map<string, { text: StatementText; stmt: Statement }[]>();
  /** Statements made by SQL PREPARE, by name (src/adapter/prepared.ts). */
  readonly sqlPrepared = new Map<string, PreparedStatement>();
  private compiledCache = new Map<string, { epoch: number; compiled: CompiledStatement }>();
  /** The catalog snapshot name resolution works on, per schema epoch. */
  private relations: {
    epoch: number;
    rels: Map<string, ResolvedRelation>;
    schemas: Set<string>;
  } | null = null;
  private timeoutsCache: {
    stmt: string;
    idle: string;
    value: { statementMs: number; idleInTransactionMs: number };
  } | null = null;
  private closed = false;
  /** DDL ran inside the current transaction block. */
  private blockChangedSchema = false;
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
  /** Asked at every Query and Execute: parsed again only when a value changed. */
  timeouts(): { statementMs: number; idleInTransactionMs: number } {
    const stmt = this.vars.get('statement_timeout');
    const idle = this.vars.get('idle_in_transaction_session_timeout');
    const c = this.timeoutsCache;
    if (c && c.stmt === stmt && c.idle === idle) return c.value;
    const value = {
      statementMs: durationMs('statement_timeout', stmt),
      idleInTransactionMs: durationMs('idle_in_transaction_session_timeout', idle),
    };
    this.timeoutsCache = { stmt, idle, value };
    return value;
  }
  inTransactionBlock(): boolean {
    return this.txn !== 'idle' || this.implicit;
  }

  // -------------------------------------------------------------------------------------
  // Protocol entry points

  async *simpleQuery(sql: string, ctx: ExecContext): AsyncIterable<ExecOutcome> {
    const parsed = this.parsedQuery(sql);
    if (parsed.length === 0) {
      yield { kind: 'empty' };
      return;
    }
    // PostgreSQL runs a multi-statement query as one implicit transaction unless it
    // manages transactions itself.
    const useImplicit =
      parsed.length > 1 &&
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
        await this.engineRollback();
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
      text.tokens.length === 0 ? ({ kind: 'engine', sql: '', verb: '' } as Statement) : parseStatement(text);
    if (statement.kind === 'engine' && statement.sql !== '' && this.txn !== 'failed') {
      const compiled = await this.compileEngine(statement.sql);
      const engineSql = compiled.engineSql;
      const hasReturning = compiled.hasReturning;
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
        paramOids: inferred.map((o, i) => (paramOids[i] ? paramOids[i] : o)),
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

  /**
   * Compiles one engine statement with the front end (src/sql/frontend.ts) against this
   * session's view of the catalog, and authorizes it. Compiled statements are kept per
   * text, search path and role, as prepared statements are; a schema change anywhere
   * invalidates them. Authorization runs every time: grants change without DDL.
   */
  async compileEngine(sql: string): Promise<CompiledStatement> {
    const compiled = await this.compileCached(sql);
    await authorizeCompiled(this, compiled);
    return compiled;
  }

  /**
   * A Query's statements, split and parsed; a repeated text is not parsed again (what a
   * statement means to Ferry's parser depends on its text alone). Only short texts are
   * kept, so the cache stays small however many sessions there are.
   */
  private parsedQuery(sql: string): { text: StatementText; stmt: Statement }[] {
    const hit = this.parsedCache.get(sql);
    if (hit) return hit;
    const parsed = splitStatements(sql).map((s) => ({ text: s, stmt: parseStatement(s) }));
    if (sql.length <= FerrySession.PARSE_CACHE_TEXT) {
      this.parsedCache.set(sql, parsed);
      if (this.parsedCache.size > FerrySession.STMT_CACHE_SIZE) {
        this.parsedCache.delete(this.parsedCache.keys().next().value!);
      }
    }
    return parsed;
  }

  /** The front end's result for `sql`, from the cache when the schema has not changed. */
  private async compileCached(sql: string): Promise<CompiledStatement> {
    const key = `${this.role.id}${this.role.superuser ? '+' : ''}\u0000${this.vars.get('search_path')}\u0000${sql}`;
    const epoch = this.services.schemaEpoch;
    let hit = this.compiledCache.get(key);
    if (!hit || hit.epoch !== epoch) {
      const compiled = await this.compileFresh(sql);
      hit = { epoch, compiled };
      this.compiledCache.set(key, hit);
      if (this.compiledCache.size > FerrySession.STMT_CACHE_SIZE) {
        this.compiledCache.delete(this.compiledCache.keys().next().value!);
      }
    }
    return hit.compiled;
  }

  /** A query (SELECT, VALUES, TABLE, WITH …) compiled and authorized, e.g. COPY's source. */
  async compileQuery(sql: string): Promise<CompiledStatement> {
    const c = await this.compileCached(sql);
    if (c.nodeType !== 'SelectStmt') throw new SqlError('42601', 'a query (SELECT or VALUES) is required here');
    await authorizeCompiled(this, c);
    return c;
  }

  private async compileFresh(sql: string): Promise<CompiledStatement> {
    const once = (scope: NameScope): CompiledStatement => {
      const stmts = compile(sql, scope);
      if (stmts.length !== 1) {
        throw new SqlError('42601', 'cannot insert multiple commands into a prepared statement');
      }
      return stmts[0]!;
    };
    const first = await this.nameScope(false);
    try {
      return once(first.scope);
    } catch (err) {
      // A name another session created since a snapshot taken earlier: look once more with
      // a new one (not when this snapshot was just taken: an unknown name costs one read).
      if (first.loaded || !(err instanceof SqlError) || !['42P01', '3F000'].includes(err.code)) throw err;
      return once((await this.nameScope(true)).scope);
    }
  }

  /** The catalog as the front end sees it: user and system relations, schemas, search path. */
  private async nameScope(fresh: boolean): Promise<{ scope: NameScope; loaded: boolean }> {
    const epoch = this.services.schemaEpoch;
    const loaded = fresh || !this.relations || this.relations.epoch !== epoch;
    if (loaded) {
      const rels = new Map<string, ResolvedRelation>();
      const schemas = new Set<string>(['mz_catalog', 'mz_internal', 'pg_catalog', 'information_schema']);
      const objects = await catalog.queryRows(
        this.conn,
        `SELECT id, kind, schema_name, name FROM ${catalog.INTERNAL_SCHEMA}.objects
         WHERE kind IN ('schema', 'table', 'view', 'materialized-view', 'source')`,
      );
      for (const o of objects) {
        if (o.kind === 'schema') schemas.add(String(o.name));
        else {
          const rel: ResolvedRelation = {
            id: String(o.id),
            schema: String(o.schema_name),
            name: String(o.name),
            kind: o.kind as ResolvedRelation['kind'],
          };
          rels.set(`${rel.schema}\u0000${rel.name}`, rel);
        }
      }
      const system = await catalog.queryRows(
        this.conn,
        `SELECT schema_name, table_name AS name FROM duckdb_tables() WHERE database_name = '${catalog.DEFAULT_DATABASE}' AND schema_name IN ('mz_catalog', 'mz_internal')
         UNION ALL SELECT schema_name, view_name FROM duckdb_views() WHERE database_name = '${catalog.DEFAULT_DATABASE}' AND schema_name IN ('mz_catalog', 'mz_internal')`,
      );
      for (const r of system) {
        const rel: ResolvedRelation = { id: null, schema: String(r.schema_name), name: String(r.name), kind: 'system' };
        rels.set(`${rel.schema}\u0000${rel.name}`, rel);
      }
      this.relations = { epoch, rels, schemas };
    }
    const { rels, schemas } = this.relations!;
    const scope: NameScope = {
      relation: (schema, name) => rels.get(`${schema}\u0000${name}`) ?? null,
      schemaExists: (schema) => schemas.has(schema),
      searchPath: this.searchPath(),
      user: this.role.name,
      // A role sees its own exports in the export history; superusers see all of them.
      rowOwner: this.role.superuser ? null : this.role.id,
    };
    return { scope, loaded };
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

  /** ROLLBACK on the engine, ignoring errors: the transaction is over either way. */
  async engineRollback(): Promise<void> {
    await this.conn.run('ROLLBACK').catch(() => undefined);
  }

  /** A transaction block ended: if it changed the schema, others take a new snapshot. */
  endBlock(): void {
    if (this.blockChangedSchema) this.schemaChanged();
    this.blockChangedSchema = false;
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
    if (this.inTransactionBlock()) {
      this.blockChangedSchema = true;
      return fn();
    }
    await this.engineRun('BEGIN');
    try {
      const out = await fn();
      await this.engineRun('COMMIT');
      return out;
    } catch (err) {
      await this.engineRollback();
      throw err;
    } finally {
      // Again once the change is visible to others: a session that took its catalog
      // snapshot between the first bump and the commit takes a new one.
      this.schemaChanged();
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
      const compiled = stmt.kind === 'engine' && stmt.sql !== '' ? await this.compileCached(stmt.sql) : null;
      const plan = planStatement(stmt, compiled);
      await authorizePlan(this, plan);
      return await sequencePlan(this, plan, text.sql, params, ctx, prepared);
    } catch (err) {
      if (this.txn === 'block') this.txn = 'failed';
      if (err instanceof SqlError) throw err;
      throw engineError(err);
    } finally {
      this.running = null;
    }
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
    return (
      this.vars
        .get('search_path')
        .split(',')
        .map((s) => s.trim())
        // PostgreSQL's identifier rules: a quoted name is exact, an unquoted one folds to lower case.
        .map((s) => (/^".*"$/.test(s) ? s.slice(1, -1).replace(/""/g, '"') : s.toLowerCase()))
        .filter((s) => s !== '')
    );
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
