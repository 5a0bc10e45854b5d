/**
 * COPY … TO <text expression> (docs/exports.md, "Reference"): the checks before anything
 * touches storage, the target's evaluation, privileges, the consistent snapshot, records
 * in mz_internal.mz_copy_to_history / mz_copy_to_files, progress notices, cancellation,
 * and the start-up recovery of exports a crash interrupted. The three storage phases
 * themselves are src/sink's `runExport`.
 */
import { randomBytes } from 'node:crypto';
import type { DuckDBConnection } from '@duckdb/node-api';
import * as catalog from '../catalog/index.js';
import { textCell } from '../engine/cells.js';
import { engineError } from '../engine/errors.js';
import { SqlError, toSqlError, unsupported } from '../errors/index.js';
import type { AwsConnectionSpec } from '../connections/aws/index.js';
import {
  abortUploads,
  checkParquetColumns,
  planCopyToOptionsStaged,
  runExport,
  type CopyToOptions,
  type ExportColumn,
  type ExportResult,
  type ExportTarget,
  type RawCopyOption,
} from '../sink/index.js';
import type { Statement } from '../sql/ast.js';
import { tokenize } from '../sql/lexer.js';
import { pgTypeOf } from '../types/index.js';
import type { ExecContext, ExecOutcome } from './api.js';
import { EngineStatement } from './engine-query.js';
import type { HandlerSession, Services } from './services.js';

const T = catalog.INTERNAL_SCHEMA;

/** The statement text as recorded in history: secret values never appear in COPY, so the text is kept as written. */
function recordedStatement(sql: string): string {
  return sql.length > 4000 ? sql.slice(0, 4000) + '…' : sql;
}

function rawCopyOptions(stmt: Statement & { kind: 'copy' }): RawCopyOption[] {
  return stmt.options.map((o) => {
    const v = o.value;
    if (v.kind === 'secret') throw new SqlError('22023', `invalid ${o.name}: unexpected SECRET`);
    if (v.kind === 'list') return { name: o.name, value: { kind: 'string', text: v.items.join(', ') } };
    return { name: o.name, value: { kind: v.kind, text: v.text } };
  });
}

export interface PlannedCopy {
  options: CopyToOptions;
  /** DuckDB SQL of the rows to export. */
  query: string;
  columns: ExportColumn[];
  uri: string;
  target: { kind: 's3'; bucket: string; prefix: string } | { kind: 'file'; dir: string };
  connection: { id: string; spec: AwsConnectionSpec } | null;
}

/** What planCopy's callers other than a client's COPY statement may pin. */
export interface PlanCopyOptions {
  /**
   * The instant `now()` / `current_timestamp` stand for in the target expression. A
   * scheduled export evaluates its target at the run's *scheduled* time
   * (docs/scheduling.md), so a run's path is deterministic and a retried run writes
   * to the same place. Only the target is rewritten, never the exported query.
   */
  now?: Date;
}

/** `now()` and `current_timestamp[(p)]` in an expression → a timestamptz literal of `at`. */
function pinNow(exprSql: string, at: Date): string {
  const literal = `TIMESTAMPTZ '${at.toISOString()}'`;
  const toks = tokenize(exprSql);
  let out = '';
  let from = 0;
  for (let k = 0; k < toks.length; k++) {
    const t = toks[k]!;
    if (t.kind !== 'word' || (t.value !== 'now' && t.value !== 'current_timestamp')) continue;
    let end = t.end;
    if (toks[k + 1]?.text === '(') {
      const close = toks.findIndex((c, i) => i > k && c.text === ')');
      if (close === -1) continue;
      end = toks[close]!.end;
      k = close;
    } else if (t.value === 'now') continue; // a column named now, not the function
    const qualified = toks[k - 1]?.text === '.' && toks[k - 2]?.value === 'pg_catalog';
    out += exprSql.slice(from, qualified ? toks[k - 2]!.start : t.start) + literal;
    from = end;
  }
  return out + exprSql.slice(from);
}

/**
 * Evaluates the target expression once (`now()` works) and checks its type and value.
 * `direction` names the statement in the errors (COPY FROM's null is Materialize's own text).
 */
export async function evaluateTarget(
  session: HandlerSession,
  exprSql: string,
  now?: Date,
  direction: 'TO' | 'FROM' = 'TO',
): Promise<string> {
  const nullTarget = (): SqlError =>
    direction === 'TO'
      ? new SqlError('22004', 'COPY TO target value can not be null')
      : new SqlError('22004', 'COPY FROM target value cannot be NULL');
  // The target is an expression like any query's: resolved and authorized before it is
  // evaluated, so it cannot read what the role may not (docs/security.md).
  const compiled = await session.compileQuery(`SELECT (${now ? pinNow(exprSql, now) : exprSql})`);
  const sql = compiled.engineSql;
  let es: EngineStatement;
  try {
    es = await EngineStatement.prepare(session.conn, sql, 'select', false);
  } catch (err) {
    throw toSqlError(err);
  }
  try {
    const t = es.shape.types[0]!;
    const name = pgTypeOf(t).name;
    if (!['text', 'varchar'].includes(name)) {
      // DuckDB folds an expression with an untyped NULL (`'s3://b/' || NULL`) to a constant
      // of type NULL, which a prepared statement reports as INTEGER; PostgreSQL types it
      // text, so it is the null check's case, not the type check's.
      const typeofRows = (await session.conn.runAndReadAll(`SELECT typeof(q.x) FROM (${sql}) AS q(x)`)).getRowsJS();
      const typeName = typeofRows[0]?.[0]; // typeof() is VARCHAR
      if (typeName === 'NULL' || typeName === '"NULL"') throw nullTarget();
      throw new SqlError('42804', `COPY ${direction} target must have type text, not type ${pgTypeName(name)}`);
    }
    const reader = await es.prepared.runAndReadAll();
    const v = reader.getRowsJS()[0]?.[0];
    if (v === null || v === undefined) throw nullTarget();
    // VARCHAR and ENUM values read as strings. The DuckDB types reported as text only for
    // want of a PostgreSQL type (UNION, BIT, VARIANT, GEOMETRY) do not, and are no text.
    if (typeof v !== 'string')
      throw new SqlError('42804', `COPY ${direction} target must have type text, not type ${t.toString()}`);
    return v;
  } catch (err) {
    throw err instanceof SqlError ? err : engineError(err);
  } finally {
    es.destroy();
  }
}

function pgTypeName(typname: string): string {
  const names: Record<string, string> = {
    int4: 'integer',
    int8: 'bigint',
    int2: 'smallint',
    float8: 'double precision',
    float4: 'real',
    bool: 'boolean',
  };
  return names[typname] ?? typname;
}

function parseTarget(uri: string): PlannedCopy['target'] {
  // Without a scheme, as Materialize reads a target: text that is a URI reference (a bare
  // path such as '/exports/') names no scheme COPY TO writes to; anything else is unparsable.
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:/.test(uri)) {
    if (uri === '') throw new SqlError('22023', 'could not parse COPY TO target url: empty string');
    const control = [...uri].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f);
    if (control || /[\s"<>\\^`{|}]/.test(uri))
      throw new SqlError('22023', 'could not parse COPY TO target url: invalid uri character');
    throw unsupportedScheme();
  }
  let url: URL;
  try {
    url = new URL(uri);
  } catch (err) {
    throw new SqlError(
      '22023',
      `could not parse COPY TO target url: ${err instanceof Error ? err.message.replace(/^Invalid URL.*/, 'invalid URL') : 'invalid URL'}`,
    );
  }
  if (url.protocol === 's3:') {
    if (!url.hostname) throw new SqlError('22023', 'could not parse COPY TO target url: missing bucket name');
    return { kind: 's3', bucket: url.hostname, prefix: decodeURIComponent(url.pathname).replace(/^\/+|\/+$/g, '') };
  }
  if (url.protocol === 'file:') {
    if (url.host !== '')
      throw new SqlError(
        '22023',
        'could not parse COPY TO target url: file:// URLs name a local absolute path (file:///dir)',
      );
    return { kind: 'file', dir: decodeURIComponent(url.pathname).replace(/\/+$/, '') || '/' };
  }
  throw unsupportedScheme();
}

function unsupportedScheme(): SqlError {
  return new SqlError('0A000', `only 's3://...' and 'file://...' urls are supported as COPY TO target`);
}

/** The planning checks of docs/exports.md in order; nothing touches storage here. */
export async function planCopy(
  session: HandlerSession,
  stmt: Statement & { kind: 'copy' },
  services: Services,
  opts: PlanCopyOptions = {},
): Promise<PlannedCopy> {
  if (stmt.target.kind !== 'expr') throw new SqlError('XX000', 'internal error');
  // Which scheme the target has decides whether an AWS CONNECTION is required (check 6),
  // so the target is evaluated first; its own errors are still reported as check 9.
  let uri: string | null = null;
  let targetError: { error: unknown } | null = null;
  try {
    uri = await evaluateTarget(session, stmt.target.sql, opts.now);
  } catch (err) {
    targetError = { error: err };
  }
  const scheme = uri !== null && /^file:/i.test(uri) ? 'file' : 's3';
  // Checks 1, 2, 3, 7 and 10 (option values) are the sink's; the errors of 7 and 10 are
  // held back until the checks that come before them (4-6, 8-9) have passed.
  const { options, check7, check10 } = planCopyToOptionsStaged(rawCopyOptions(stmt), scheme);
  // Check 4.
  if (stmt.source.kind === 'relation' && stmt.source.columns) {
    // docs/exports.md check 4: the whole sentence is the message.
    throw new SqlError(
      '0A000',
      'specifying columns for COPY <table_name> TO commands not yet supported; use COPY (SELECT...) TO ... instead',
    );
  }
  // Check 5.
  if (stmt.source.kind === 'query' && stmt.source.hasOrderBy) {
    throw new SqlError('0A000', 'ORDER BY is not supported in SELECT query for COPY statements');
  }
  // Check 6.
  let connection: PlannedCopy['connection'] = null;
  if (scheme === 's3') {
    if (options.awsConnection === null)
      throw new SqlError('42601', 'AWS CONNECTION is required for COPY ... TO <expr>');
    const obj = await session.resolveItem({ parts: options.awsConnection.split('.') });
    if (obj.kind !== 'connection' || obj.details.type !== 'aws')
      throw new SqlError('42809', 'only AWS CONNECTION is supported for COPY ... TO <expr>');
    connection = { id: obj.id, spec: obj.details.spec as AwsConnectionSpec };
  } else if (options.awsConnection !== null) {
    throw new SqlError('42601', 'AWS CONNECTION cannot be used with a file:// target');
  }
  // Check 7.
  if (check7) throw check7;
  // The query and its columns (check 8 needs the output types).
  let query: string;
  if (stmt.source.kind === 'relation') {
    const obj = await session.resolveItem(stmt.source.name);
    if (!['table', 'view', 'materialized-view', 'source'].includes(obj.kind))
      throw new SqlError('42809', `${catalog.fullName(obj)} is not a relation`);
    query = (await session.compileQuery(`SELECT * FROM "${obj.schemaName}"."${obj.name}"`)).engineSql;
  } else {
    query = (await session.compileQuery(stmt.source.sql)).engineSql;
  }
  const es = await EngineStatement.prepare(session.conn, query, 'select', false);
  const columns: ExportColumn[] = es.shape.types.map((type, i) => ({ name: es.prepared.columnName(i), type }));
  es.destroy();
  if (options.format === 'parquet') checkParquetColumns(columns);
  // Check 9.
  if (targetError !== null) throw targetError.error;
  const target = parseTarget(uri!);
  // Check 10.
  if (check10) throw check10;
  if (target.kind === 'file' && !session.role.superuser) {
    throw new SqlError('42501', 'permission denied to COPY to a file', {
      detail: "Only superusers may COPY to file:// targets, which write to the server's filesystem.",
    });
  }
  // Check 11: SELECT on what the query reads, USAGE on the connection.
  // (The query was authorized when it was compiled above.)
  if (connection) await services.aws!.forUse(session, options.awsConnection!);
  return { options, query, columns, uri: uri!, target, connection };
}

/** Keeps the history row of one export up to date, on a connection of its own. */
class HistoryRecorder {
  constructor(
    private readonly conn: DuckDBConnection,
    readonly exportId: string,
  ) {}
  async start(stmtSql: string, plan: PlannedCopy, roleId: string): Promise<void> {
    const details = {
      target: plan.target,
      connectionId: plan.connection?.id ?? null,
    };
    await this.conn.run(
      `INSERT INTO ${T}.copy_to_history (export_id, statement, uri, format, started_at, status, rows, bytes, files, role_id, details) VALUES ($1, $2, $3, $4, now(), 'running', 0, 0, 0, $5, $6)`,
      [this.exportId, recordedStatement(stmtSql), plan.uri, plan.options.format, roleId, JSON.stringify(details)],
    );
  }
  async progress(rows: number, bytes: number, files: number): Promise<void> {
    await this.conn.run(`UPDATE ${T}.copy_to_history SET rows = $2, bytes = $3, files = $4 WHERE export_id = $1`, [
      this.exportId,
      rows,
      bytes,
      files,
    ]);
  }
  async finish(result: ExportResult): Promise<void> {
    await this.conn.run('BEGIN');
    await this.conn.run(
      `UPDATE ${T}.copy_to_history SET status = 'succeeded', finished_at = now(), rows = $2, bytes = $3, files = $4 WHERE export_id = $1`,
      [this.exportId, result.rows, result.bytes, result.files.length],
    );
    for (const f of result.files) {
      await this.conn.run(`INSERT INTO ${T}.copy_to_files VALUES ($1, $2, $3, $4, $5)`, [
        this.exportId,
        f.key,
        f.rows,
        f.bytes,
        f.sha256,
      ]);
    }
    await this.conn.run('COMMIT');
  }
  /** Open multipart uploads are recorded as they start and forgotten as they end. */
  private uploads: Promise<unknown> = Promise.resolve();
  upload(e: { state: 'started' | 'ended'; bucket: string; key: string; uploadId: string }): void {
    this.uploads = this.uploads
      .then(() =>
        e.state === 'started'
          ? this.conn.run(`INSERT INTO ${T}.copy_to_uploads VALUES ($1, $2, $3, $4)`, [
              this.exportId,
              e.bucket,
              e.key,
              e.uploadId,
            ])
          : this.conn.run(`DELETE FROM ${T}.copy_to_uploads WHERE export_id = $1 AND upload_id = $2`, [
              this.exportId,
              e.uploadId,
            ]),
      )
      .catch(() => undefined);
  }
  async settled(): Promise<void> {
    await this.uploads;
  }
  async fail(err: SqlError): Promise<void> {
    await this.conn.run(
      `UPDATE ${T}.copy_to_history SET status = 'failed', finished_at = now(), error = $2 WHERE export_id = $1`,
      [this.exportId, err.message],
    );
  }
}

export interface CopyRunResult {
  exportId: string;
  result: ExportResult;
}

/** Runs a planned export with history, snapshot, progress and cancellation. */
export async function runPlannedCopy(
  services: Services,
  plan: PlannedCopy,
  opts: {
    stmtSql: string;
    roleId: string;
    signal: AbortSignal;
    onProgress?: (p: { rows: number; bytes: number; files: number }) => void;
  },
): Promise<CopyRunResult> {
  const exportId = `t${randomBytes(4).toString('hex')}`;
  const historyConn = await services.engine.connect();
  const exportConn = await services.engine.connect();
  const history = new HistoryRecorder(historyConn, exportId);
  const log = services.log.child('copy');
  try {
    await history.start(opts.stmtSql, plan, opts.roleId);
    let target: ExportTarget;
    let client: import('@aws-sdk/client-s3').S3Client | null = null;
    if (plan.target.kind === 's3') {
      const aws = services.aws!;
      client = await aws.exportClient(plan.connection!.spec, aws.context(historyConn, plan.connection!.id));
      target = { kind: 's3', bucket: plan.target.bucket, prefix: plan.target.prefix, client };
    } else target = plan.target;
    log.info('export started', { export_id: exportId, uri: plan.uri, format: plan.options.format });
    // One transaction on a connection of the export's own: every row comes from one snapshot.
    await exportConn.run('BEGIN TRANSACTION');
    let lastRecorded = 0;
    try {
      const result = await runExport({
        exportId,
        conn: exportConn,
        query: plan.query,
        columns: plan.columns,
        options: plan.options,
        target,
        ioDir: services.engine.ioDir,
        signal: opts.signal,
        log,
        onUpload: (e) => history.upload(e),
        onProgress: (p) => {
          opts.onProgress?.(p);
          const now = Date.now();
          if (now - lastRecorded > 1000) {
            lastRecorded = now;
            history.progress(p.rows, p.bytes, p.files).catch(() => undefined);
          }
        },
      });
      await history.settled();
      await history.finish(result);
      return { exportId, result };
    } finally {
      await exportConn.run('ROLLBACK').catch(() => undefined);
      client?.destroy();
    }
  } catch (err) {
    const e = toSqlError(err);
    log.warn('export failed', { export_id: exportId, uri: plan.uri, code: e.code, error: e.message });
    await history.settled();
    await history.fail(e).catch(() => undefined);
    throw e;
  } finally {
    historyConn.closeSync();
    exportConn.closeSync();
  }
}

export function installCopyTo(services: Services): void {
  services.copyTo = async (session: HandlerSession, stmt, sql: string, ctx: ExecContext): Promise<ExecOutcome> => {
    if (stmt.direction !== 'to') throw unsupported('COPY FROM an expression', { hint: 'Use COPY ... FROM STDIN.' });
    const plan = await planCopy(session, stmt, services);
    const notices = session.vars.get('emit_progress_notices') === 'on';
    const { result } = await runPlannedCopy(services, plan, {
      stmtSql: sql,
      roleId: session.role.id,
      signal: session.signal,
      onProgress: (p) => {
        if (notices)
          ctx.notice({
            severity: 'NOTICE',
            code: '00000',
            message: `exported ${p.rows} rows, ${p.bytes} bytes, ${p.files} files so far`,
          });
      },
    });
    return { kind: 'command', tag: `COPY ${result.rows}` };
  };
}

/**
 * After a crash, exports recorded as running never finished: mark them failed and abort
 * the multipart uploads they had open (recorded by id as they started), so no orphaned
 * parts stay billed. The sentinel stays, so nobody takes the partial export for a finished one.
 */
export async function recoverInterruptedExports(services: Services, conn: DuckDBConnection): Promise<void> {
  const rows = await catalog.queryRows(
    conn,
    `SELECT export_id, uri, details FROM ${T}.copy_to_history WHERE status = 'running'`,
  );
  for (const r of rows) {
    const exportId = String(r.export_id);
    await conn.run(
      `UPDATE ${T}.copy_to_history SET status = 'failed', finished_at = now(), error = 'the server stopped while the export was running' WHERE export_id = $1`,
      [exportId],
    );
    services.log.warn('export interrupted by a server stop marked failed', { export_id: exportId, uri: String(r.uri) });
    const uploads = (
      await catalog.queryRows(conn, `SELECT bucket, key, upload_id FROM ${T}.copy_to_uploads WHERE export_id = $1`, [
        exportId,
      ])
    ).map((u) => ({
      bucket: String(u.bucket),
      key: String(u.key),
      uploadId: String(u.upload_id),
    }));
    const details = r.details ? (JSON.parse(textCell(r.details)) as { connectionId?: string | null }) : {};
    if (uploads.length === 0 || !details.connectionId || !services.aws) continue;
    const obj = await catalog.getObjectById(conn, details.connectionId);
    if (!obj) {
      services.log.warn('cannot abort uploads of an interrupted export: its connection was dropped', {
        export_id: exportId,
        uploads: uploads.length,
      });
      continue;
    }
    const client = services.aws.s3Client(obj.details.spec as AwsConnectionSpec, services.aws.context(conn, obj.id));
    try {
      const failed = await abortUploads(client, uploads, { log: services.log.child('copy') });
      for (const u of uploads) {
        if (!failed.some((f) => f.uploadId === u.uploadId))
          await conn.run(`DELETE FROM ${T}.copy_to_uploads WHERE upload_id = $1`, [u.uploadId]);
      }
      services.log.info('aborted multipart uploads of an interrupted export', {
        export_id: exportId,
        aborted: uploads.length - failed.length,
        failed: failed.length,
      });
    } finally {
      client.destroy();
    }
  }
}
