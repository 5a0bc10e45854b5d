/**
 * PostgreSQL sources in the catalog (docs/sources.md, "PostgreSQL sources"):
 * `CREATE SOURCE … FROM POSTGRES CONNECTION …` and what DROP SOURCE must add for them,
 * the runners (src/sources/postgres/runner.ts) of every such source while the server
 * runs, their statuses and statistics in mz_internal, and the read gate that keeps a
 * subsource unreadable until its snapshot is committed.
 *
 * CREATE SOURCE checks everything Materialize checks before creating anything (the
 * connection as VALIDATE does, the publication, the tables, their replica identity,
 * privileges and types), then creates the subsource tables, the progress table and the
 * catalog entries in one transaction, and waits for the runner's snapshot to commit. A
 * failed or cancelled snapshot removes the source again (and its replication slot), so a
 * CREATE that fails leaves nothing behind. A snapshot interrupted by a crash is taken again
 * at the next start.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type pg from 'pg';
import * as catalog from '../catalog/index.js';
import type { SecretRef } from '../connections/aws/options.js';
import {
  type PostgresConnectionSpec,
  clientConfig,
  connectUpstream,
  upstreamError,
  validatePostgresConnection,
} from '../connections/postgres/index.js';
import { SqlError, quoteIdent } from '../errors/index.js';
import type { PgSourceTables, QualifiedName, Statement } from '../sql/ast.js';
import {
  PostgresSourceRunner,
  type RunnerSpec,
  type RunnerTable,
  type SourceStatus,
} from '../sources/postgres/runner.js';
import { upstreamSessionOptions } from '../sources/postgres/types.js';
import { type SourceTable, type TableSelection, discoverTables } from '../sources/postgres/upstream.js';
import type { ExecContext } from './api.js';
import type { FerryCoordinator } from './coordinator.js';
import type { HandlerSession, Services } from './services.js';

type CreateStmt = Statement & { kind: 'create-source-postgres' };

const T = catalog.INTERNAL_SCHEMA;
const qn = (schema: string, name: string): string => `${quoteIdent(schema)}.${quoteIdent(name)}`;
const fq = (schema: string, name: string): string => `${quoteIdent(catalog.DEFAULT_DATABASE)}.${qn(schema, name)}`;
const lit = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/** How often statistics are written to mz_internal.mz_source_statistics. */
const STATISTICS_INTERVAL_MS = 1000;

interface StoredTable extends SourceTable {
  id: string;
  schemaName: string;
}

/** The source's catalog details (`objects.details` of the source). */
interface SourceDetails {
  type: 'postgres';
  connection_id: string;
  publication: string;
  slot: string;
  timeline_id: string | null;
  progress: string;
  progress_id: string;
  tables: StoredTable[];
}

/** Registers the handlers and starts the runner of every PostgreSQL source (an installer of src/server/units.ts). */
export async function installPostgresSources(
  services: Services,
  coordinator: FerryCoordinator,
): Promise<() => Promise<void>> {
  const log = services.log.child('sources');
  const runners = new Map<string, PostgresSourceRunner>();
  const statusConn = await services.engine.connect();
  let writes: Promise<unknown> = Promise.resolve();
  /** Status and statistics rows are written in order, one small transaction each. */
  const write = (sql: string, params: (string | number | boolean | null)[]): void => {
    writes = writes
      .then(() => statusConn.run(sql, params))
      .catch((err: unknown) => {
        log.warn('source status not recorded', { error: err instanceof Error ? err.message : String(err) });
      });
  };
  const onStatus = (id: string, status: SourceStatus, error: string | null): void => {
    write(`INSERT OR REPLACE INTO ${T}.source_statuses VALUES ($1, now(), $2, $3)`, [id, status, error]);
  };
  const secret = (ref: SecretRef): Promise<string> => {
    if (!services.aws) throw new SqlError('0A000', 'secrets are not available on this server');
    return services.aws.secretValue(coordinator.systemConnection(), ref);
  };

  const startRunner = (obj: catalog.CatalogObject, connSpec: PostgresConnectionSpec): PostgresSourceRunner => {
    const d = obj.details as unknown as SourceDetails;
    const spec: RunnerSpec = {
      id: obj.id,
      name: catalog.fullName(obj),
      slot: d.slot,
      publication: d.publication,
      progressTable: qn(obj.schemaName!, d.progress),
      tables: d.tables.map((t): RunnerTable => ({ ...t, engineTable: qn(t.schemaName, t.subsource) })),
    };
    const runner = new PostgresSourceRunner(spec, {
      connect: () => services.engine.connect(),
      clientConfig: async (replication) => ({
        ...(await clientConfig(connSpec, secret, replication)),
        options: upstreamSessionOptions(),
      }),
      log,
      tableErrors: async () => {
        const ids = d.tables.map((t) => t.id);
        const rows = await catalog.queryRows(
          coordinator.systemConnection(),
          `SELECT id, error FROM ${T}.source_errors WHERE list_contains(CAST($1 AS VARCHAR[]), id)`,
          [JSON.stringify(ids)],
        );
        return Object.fromEntries(rows.map((r) => [String(r.id), String(r.error)]));
      },
      onTableError: async (id, error) => {
        write(`INSERT OR REPLACE INTO ${T}.source_errors VALUES ($1, $2)`, [id, error]);
        await writes;
      },
      onStatus: (id, status, error) => {
        onStatus(id, status, error);
        // Subsources follow the source, unless they are in an error state of their own.
        if (id === obj.id) {
          for (const t of d.tables) if (!runner.tableErrors.has(t.id)) onStatus(t.id, status, error);
        }
      },
    });
    runners.set(obj.id, runner);
    runner.start();
    return runner;
  };

  const connectionSpec = async (conn: DuckDBConnection, id: string): Promise<PostgresConnectionSpec> => {
    const c = await catalog.getObjectById(conn, id);
    if (!c) throw new SqlError('XX000', `connection ${id} of a source is missing`);
    return c.details.spec as PostgresConnectionSpec;
  };

  // Statistics, written while they change.
  const written = new Map<string, string>();
  const statsTimer = setInterval(() => {
    for (const [id, r] of runners) {
      const s = r.stats;
      const row = [
        id,
        s.messagesReceived,
        s.bytesReceived,
        s.updatesStaged,
        s.updatesCommitted,
        s.snapshotRecordsKnown,
        s.snapshotRecordsStaged,
        s.snapshotCommitted,
        s.offsetKnown.toString(),
        s.offsetCommitted.toString(),
      ];
      const key = JSON.stringify(row);
      if (written.get(id) === key) continue;
      written.set(id, key);
      write(
        `INSERT OR REPLACE INTO ${T}.source_statistics VALUES ($1, $2, $3, $4, $5, $6, $7, $8, CAST($9 AS UBIGINT), CAST($10 AS UBIGINT))`,
        row,
      );
    }
  }, STATISTICS_INTERVAL_MS);
  statsTimer.unref();

  /** Drops the slot upstream; a failure is a warning (and a NOTICE when a client is there). */
  const dropSlot = async (connSpec: PostgresConnectionSpec, slot: string, ctx: ExecContext | null): Promise<void> => {
    let client: pg.Client | null = null;
    try {
      client = await connectUpstream(connSpec, secret);
      const active = await client.query(`SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1`, [slot]);
      if (!active.rows.length) return;
      const pid = (active.rows[0] as { active_pid: number | null }).active_pid;
      if (pid !== null) await client.query(`SELECT pg_terminate_backend($1)`, [pid]);
      for (let i = 0; ; i++) {
        try {
          await client.query(`SELECT pg_drop_replication_slot($1)`, [slot]);
          break;
        } catch (err) {
          // The terminated walsender may hold the slot for a moment.
          if (i >= 20) throw err;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      log.info('replication slot dropped', { slot });
    } catch (err) {
      const text = err instanceof Error ? err.message : String(err);
      log.warn('replication slot not dropped', { slot, error: text });
      ctx?.notice({
        severity: 'WARNING',
        code: '01000',
        message: `could not drop replication slot "${slot}" upstream: ${text}`,
        hint: `Drop it on the PostgreSQL server: SELECT pg_drop_replication_slot('${slot}');`,
      });
    } finally {
      await client?.end().catch(() => undefined);
    }
  };

  /** Removes a source's relations and catalog entries (after its runner has stopped). */
  const removeSource = async (conn: DuckDBConnection, obj: catalog.CatalogObject): Promise<void> => {
    const d = obj.details as unknown as SourceDetails;
    for (const t of d.tables) {
      await conn.run(`DROP TABLE IF EXISTS ${qn(t.schemaName, t.subsource)}`);
      await catalog.deleteObject(conn, t.id);
      await conn.run(`DELETE FROM ${T}.source_errors WHERE id = $1`, [t.id]);
    }
    await conn.run(`DROP TABLE IF EXISTS ${qn(obj.schemaName!, d.progress)}`);
    await conn.run(`DROP VIEW IF EXISTS ${qn(obj.schemaName!, obj.name)}`);
    await catalog.deleteObject(conn, d.progress_id);
    await catalog.deleteObject(conn, obj.id);
  };

  services.extraHandlers.set('create-source-postgres', async (session, stmt, _sql, ctx) => {
    const s = stmt as CreateStmt;
    const planned = planSourceOptions(s);
    if (session.inTransactionBlock())
      throw new SqlError('25001', 'CREATE SOURCE cannot be run inside a transaction block');
    const name = s.name.parts[s.name.parts.length - 1]!;
    const schema = schemaOf(session, s.name);
    await session.requireCreateIn(schema);
    const connObj = await session.resolveItem(s.connection);
    if (connObj.kind !== 'connection' || connObj.details.type !== 'postgres')
      throw new SqlError('42809', `${catalog.fullName(connObj)} is not a POSTGRES CONNECTION`);
    await session.requirePrivilege(connObj, 'U', 'USAGE');
    if (await catalog.findItem(session.conn, schema, name)) {
      if (s.ifNotExists) {
        ctx.notice({ severity: 'NOTICE', code: '42710', message: `source "${name}" already exists, skipping` });
        return { kind: 'command', tag: 'CREATE SOURCE' };
      }
      throw new SqlError('42710', `catalog item '${name}' already exists`);
    }
    const connSpec = connObj.details.spec as PostgresConnectionSpec;
    const resolve = (ref: SecretRef): Promise<string> => services.aws!.secretValue(session.conn, ref);

    // Upstream checks, as VALIDATE CONNECTION and then the publication and its tables.
    await validatePostgresConnection(connSpec, resolve);
    const client = await connectUpstream(connSpec, resolve);
    let tables: SourceTable[];
    let timeline: string | null = null;
    try {
      tables = await discoverTables(client, {
        publication: planned.publication,
        selection: planned.selection,
        textColumns: planned.textColumns,
        excludeColumns: planned.excludeColumns,
      });
      const tl = await client.query(`SELECT timeline_id::text AS t FROM pg_control_checkpoint()`).catch(() => null);
      timeline = (tl?.rows[0] as { t?: string } | undefined)?.t ?? null;
    } catch (err) {
      throw err instanceof SqlError ? err : upstreamError(err);
    } finally {
      await client.end().catch(() => undefined);
    }
    const progressName = s.progress ? s.progress.parts[s.progress.parts.length - 1]! : `${name}_progress`;
    const subNames = tables.map((t) => t.subsource);
    const allNames = [name, progressName, ...subNames];
    const dup = allNames.find((n, i) => allNames.indexOf(n) !== i);
    if (dup) throw new SqlError('42710', `catalog item '${dup}' already exists`);

    // One transaction: subsource tables, the progress table, the catalog entries.
    const obj = await session.atomically(async () => {
      const conn = session.conn;
      for (const n of allNames) {
        if (await catalog.findItem(conn, schema, n)) throw new SqlError('42710', `catalog item '${n}' already exists`);
        const inEngine = await catalog.queryRows(
          conn,
          `SELECT 1 FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = $1 AND table_name = $2
           UNION ALL SELECT 1 FROM duckdb_views() WHERE database_name = current_database() AND schema_name = $1 AND view_name = $2`,
          [schema, n],
        );
        if (inEngine.length) throw new SqlError('42710', `catalog item '${n}' already exists`);
      }
      const owner = session.role.id;
      const sourceId = await catalog.allocateId(conn, 'item');
      const progressId = await catalog.allocateId(conn, 'item');
      const slot =
        `ferry_${session.services.environmentId.replace(/[^a-z0-9]/gi, '').slice(0, 24)}_${sourceId}`.toLowerCase();
      const stored: StoredTable[] = [];
      for (const t of tables) stored.push({ ...t, id: await catalog.allocateId(conn, 'item'), schemaName: schema });

      for (const t of stored) {
        const cols = t.columns
          .map((c) => `${quoteIdent(c.name)} ${c.engineType}${c.notNull ? ' NOT NULL' : ''}`)
          .join(', ');
        await session.engineRun(`CREATE TABLE ${qn(schema, t.subsource)} (${cols})`);
      }
      await session.engineRun(`CREATE TABLE ${qn(schema, progressName)} (lsn UBIGINT)`);
      // The source itself carries no rows (its subsources do), as in Materialize.
      await session.engineRun(`CREATE VIEW ${qn(schema, name)} AS SELECT CAST(NULL AS UBIGINT) AS lsn WHERE false`);

      const details: SourceDetails = {
        type: 'postgres',
        connection_id: connObj.id,
        publication: planned.publication,
        slot,
        timeline_id: timeline,
        progress: progressName,
        progress_id: progressId,
        tables: stored,
      };
      const createSql = sourceSql(schema, name, connObj, planned, s.tables!, progressName);
      const source = await catalog.insertObject(conn, {
        id: sourceId,
        kind: 'source',
        schemaName: schema,
        name,
        ownerId: owner,
        createSql,
        redactedSql: createSql,
        details: details as unknown as Record<string, unknown>,
      });
      await catalog.addDependency(conn, sourceId, connObj.id);
      const progressSql = `CREATE SUBSOURCE ${fq(schema, progressName)} (lsn uint8) WITH (PROGRESS = true)`;
      await catalog.insertObject(conn, {
        id: progressId,
        kind: 'source',
        schemaName: schema,
        name: progressName,
        ownerId: owner,
        createSql: progressSql,
        redactedSql: progressSql,
        details: { type: 'progress', source_id: sourceId },
      });
      await catalog.addDependency(conn, progressId, sourceId);
      for (const t of stored) {
        const cols = t.columns.map((c) => `${quoteIdent(c.name)} ${c.sqlType}${c.notNull ? ' NOT NULL' : ''}`);
        const sql =
          `CREATE SUBSOURCE ${fq(schema, t.subsource)} (${cols.join(', ')}) OF SOURCE ${fq(schema, name)}` +
          ` WITH (EXTERNAL REFERENCE = ${qn(t.schema, t.table)})`;
        await catalog.insertObject(conn, {
          id: t.id,
          kind: 'source',
          schemaName: schema,
          name: t.subsource,
          ownerId: owner,
          createSql: sql,
          redactedSql: sql,
          details: { type: 'subsource', source_id: sourceId, upstream: `${t.schema}.${t.table}` },
        });
        await catalog.addDependency(conn, t.id, sourceId);
      }
      for (const id of [sourceId, ...stored.map((t) => t.id)]) {
        await conn.run(`INSERT OR REPLACE INTO ${T}.source_statuses VALUES ($1, now(), 'created', NULL)`, [id]);
      }
      return source;
    });

    // The snapshot, with this statement waiting for it (and cancellable).
    const runner = startRunner(obj, connSpec);
    const cancelled = new Promise<never>((_, reject) => {
      const onAbort = (): void => reject(new SqlError('57014', 'canceling statement due to user request'));
      if (session.signal.aborted) onAbort();
      session.signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      await Promise.race([runner.snapshotDone(true), cancelled]);
    } catch (err) {
      await runner.stop();
      runners.delete(obj.id);
      await session.atomically(() => removeSource(session.conn, obj));
      await dropSlot(connSpec, (obj.details as unknown as SourceDetails).slot, null);
      throw err;
    }
    session.log.info('postgres source created', {
      source: catalog.fullName(obj),
      publication: planned.publication,
      tables: tables.length,
      slot: (obj.details as unknown as SourceDetails).slot,
    });
    return { kind: 'command', tag: 'CREATE SOURCE' };
  });

  // DROP SOURCE: the runner stops before its tables go, and the slot goes after them.
  const innerDrop = services.extraHandlers.get('drop-source');
  services.extraHandlers.set('drop-source', async (session, stmt, sql, ctx) => {
    const s = stmt as Statement & { kind: 'drop-objects' };
    const affected: catalog.CatalogObject[] = [];
    for (const n of s.names) {
      const obj = await session.findItem(n);
      if (!obj || obj.kind !== 'source') continue;
      // Only its owner may stop a source, even for a moment.
      await session.requireOwner(obj);
      const owner =
        obj.details.type === 'postgres'
          ? obj
          : typeof obj.details.source_id === 'string'
            ? await catalog.getObjectById(session.conn, obj.details.source_id)
            : null;
      if (owner?.details.type === 'postgres' && !affected.some((a) => a.id === owner.id)) affected.push(owner);
    }
    const stopped: catalog.CatalogObject[] = [];
    for (const a of affected) {
      const r = runners.get(a.id);
      if (r) {
        await r.stop();
        runners.delete(a.id);
        stopped.push(a);
      }
    }
    try {
      if (!innerDrop) throw new SqlError('0A000', 'DROP SOURCE is not available on this server');
      return await innerDrop(session, stmt, sql, ctx);
    } finally {
      for (const a of affected) {
        const still = await catalog.getObjectById(session.conn, a.id);
        const connSpec = await connectionSpec(session.conn, String(a.details.connection_id)).catch(() => null);
        if (still) {
          // Only a subsource went (or the drop failed): the source runs on with what is left.
          const tables = (still.details as unknown as SourceDetails).tables;
          const left: StoredTable[] = [];
          for (const t of tables) if (await catalog.getObjectById(session.conn, t.id)) left.push(t);
          if (left.length !== tables.length) {
            const details = { ...still.details, tables: left };
            await catalog.updateObject(session.conn, still.id, { details });
            still.details = details;
          }
          if (connSpec && stopped.some((x) => x.id === a.id)) startRunner(still, connSpec);
        } else {
          await statusConn
            .run(`DELETE FROM ${T}.source_errors WHERE list_contains(CAST($1 AS VARCHAR[]), id)`, [
              JSON.stringify((a.details as unknown as SourceDetails).tables.map((t) => t.id)),
            ])
            .catch(() => undefined);
          await statusConn
            .run(`DELETE FROM ${T}.source_statuses WHERE list_contains(CAST($1 AS VARCHAR[]), id)`, [
              JSON.stringify([a.id, ...(a.details as unknown as SourceDetails).tables.map((t) => t.id)]),
            ])
            .catch(() => undefined);
          if (connSpec) await dropSlot(connSpec, String(a.details.slot), ctx);
        }
      }
    }
  });

  services.connectionAltered = async (connectionId) => {
    const conn = coordinator.systemConnection();
    for (const [id, r] of [...runners]) {
      const obj = await catalog.getObjectById(conn, id);
      if (!obj || obj.details.connection_id !== connectionId) continue;
      await r.stop();
      runners.delete(id);
      startRunner(obj, await connectionSpec(conn, connectionId));
      log.info('source reconnecting with the altered connection', { source: catalog.fullName(obj) });
    }
  };

  services.relationGate = async (ids, signal) => {
    if (!runners.size) return;
    for (const r of runners.values()) {
      const hit = r.spec.tables.filter((t) => ids.includes(t.id));
      if (!hit.length) continue;
      for (const t of hit) {
        const err = r.tableErrors.get(t.id);
        if (err) throw new SqlError('55000', err, { detail: `subsource ${t.subsource} is in an error state` });
      }
      if (!r.stats.snapshotCommitted) {
        await Promise.race([
          r.snapshotDone(false),
          new Promise<never>((_, reject) => {
            const onAbort = (): void => reject(new SqlError('57014', 'canceling statement due to user request'));
            if (signal.aborted) onAbort();
            signal.addEventListener('abort', onAbort, { once: true });
          }),
        ]);
      }
    }
  };

  // Every PostgreSQL source resumes where it stopped.
  const conn = coordinator.systemConnection();
  for (const obj of await catalog.listItems(conn, ['source'])) {
    if (obj.details.type !== 'postgres') continue;
    try {
      startRunner(obj, await connectionSpec(conn, String(obj.details.connection_id)));
    } catch (err) {
      log.error('source not started', { source: catalog.fullName(obj), error: String(err) });
    }
  }

  return async () => {
    clearInterval(statsTimer);
    await Promise.all([...runners.values()].map((r) => r.stop()));
    runners.clear();
    await writes;
    statusConn.closeSync();
  };
}

function schemaOf(session: HandlerSession, name: QualifiedName): string {
  const parts = name.parts;
  if (parts.length === 3 && parts[0] !== catalog.DEFAULT_DATABASE)
    throw new SqlError('3D000', `unknown database '${parts[0]}'`);
  const schema = session.creationSchema(name);
  if (catalog.SYSTEM_SCHEMAS.includes(schema) || schema === catalog.INTERNAL_SCHEMA || schema === 'main')
    throw new SqlError('42501', `permission denied for SCHEMA "${catalog.DEFAULT_DATABASE}.${schema}"`);
  return schema;
}

interface PlannedSource {
  publication: string;
  textColumns: string[][];
  excludeColumns: string[][];
  selection: TableSelection;
}

/** The statement's options, refused with Materialize's texts. */
export function planSourceOptions(s: CreateStmt): PlannedSource {
  let publication: string | null = null;
  let textColumns: string[][] = [];
  let excludeColumns: string[][] = [];
  const seen = new Set<string>();
  for (const o of s.options) {
    if (seen.has(o.name)) throw new SqlError('42601', `${o.name} specified more than once`);
    seen.add(o.name);
    if (o.name === 'PUBLICATION') {
      if (o.value.kind !== 'string' && o.value.kind !== 'ident')
        throw new SqlError('22023', 'invalid PUBLICATION: must provide a string value');
      publication = o.value.text;
    } else if (o.name === 'TEXT COLUMNS') textColumns = (o.columns ?? []).map((q) => q.parts);
    else if (o.name === 'EXCLUDE COLUMNS') excludeColumns = (o.columns ?? []).map((q) => q.parts);
    else throw new SqlError('42601', `POSTGRES sources do not support ${o.name} values`);
  }
  if (publication === null) throw new SqlError('42601', 'CONNECTION must specify PUBLICATION');
  for (const ref of [...textColumns, ...excludeColumns]) {
    if (ref.length < 2 || ref.length > 3)
      throw new SqlError('42601', `column name '${ref.join('.')}' must have at least a table qualification`);
  }
  const both = textColumns.find((t) => excludeColumns.some((e) => e.join('.') === t.join('.')));
  if (both) throw new SqlError('42601', `column ${both.join('.')} cannot be both a TEXT COLUMN and an EXCLUDE COLUMN`);
  if (!s.tables) throw new SqlError('42601', 'missing TABLES specification');
  return { publication, textColumns, excludeColumns, selection: selectionOf(s.tables) };
}

function selectionOf(t: PgSourceTables): TableSelection {
  if (t.kind === 'all') return { kind: 'all' };
  if (t.kind === 'schemas') return { kind: 'schemas', schemas: t.schemas };
  return {
    kind: 'tables',
    items: t.items.map((it) => {
      const p = it.ref.parts;
      // `db.schema.table` names the upstream database first (the connection's).
      const table = p[p.length - 1]!;
      const schema = p.length >= 2 ? p[p.length - 2]! : null;
      const alias = it.alias ? it.alias.parts[it.alias.parts.length - 1]! : null;
      return { schema, table, alias };
    }),
  };
}

/** The statement as SHOW CREATE SOURCE prints it, names fully qualified. */
function sourceSql(
  schema: string,
  name: string,
  connObj: catalog.CatalogObject,
  p: PlannedSource,
  tables: PgSourceTables,
  progress: string,
): string {
  const opts = [`PUBLICATION = ${lit(p.publication)}`];
  const cols = (refs: string[][]): string => `(${refs.map((r) => r.map(quoteIdent).join('.')).join(', ')})`;
  if (p.textColumns.length) opts.push(`TEXT COLUMNS = ${cols(p.textColumns)}`);
  if (p.excludeColumns.length) opts.push(`EXCLUDE COLUMNS = ${cols(p.excludeColumns)}`);
  let forClause: string;
  if (tables.kind === 'all') forClause = 'FOR ALL TABLES';
  else if (tables.kind === 'schemas') forClause = `FOR SCHEMAS (${tables.schemas.map(quoteIdent).join(', ')})`;
  else
    forClause = `FOR TABLES (${tables.items
      .map(
        (it) =>
          `${it.ref.parts.map(quoteIdent).join('.')}${it.alias ? ` AS ${it.alias.parts.map(quoteIdent).join('.')}` : ''}`,
      )
      .join(', ')})`;
  return (
    `CREATE SOURCE ${fq(schema, name)} IN CLUSTER "quickstart" FROM POSTGRES CONNECTION ` +
    `${fq(connObj.schemaName!, connObj.name)} (${opts.join(', ')}) ${forClause} EXPOSE PROGRESS AS ${fq(schema, progress)}`
  );
}
