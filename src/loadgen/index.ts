/**
 * Load generator sources: `CREATE SOURCE … FROM LOAD GENERATOR COUNTER | AUCTION | TPCH`
 * and `DROP SOURCE`. Everything is deterministic and lives in the engine:
 *
 *  - COUNTER: the source is a view computing `counter` = 1, 2, 3, … from the source's
 *    creation time and the transaction's `now()`: value n exists once n − 1 − AS OF ticks
 *    have passed (the first value at creation), never beyond UP TO, and with MAX
 *    CARDINALITY m only the newest m values are visible — what Materialize's counter
 *    would show at that moment, recomputed by each query, surviving restarts.
 *  - AUCTION / TPCH (FOR ALL TABLES): the data is generated once at creation (auction.ts,
 *    tpch.ts) into one engine table per generator table in the source's schema, registered
 *    as subsources (catalog kind 'source', type 'subsource'), so SELECT, COPY TO and the
 *    privilege checks treat them like tables; the source itself is an empty relation.
 *  - Every source also gets `<name>_progress` (type 'progress', column `offset`), as
 *    Materialize's EXPOSE PROGRESS default.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { ExecContext, ExecOutcome } from '../adapter/api.js';
import type { FerryCoordinator } from '../adapter/coordinator.js';
import type { HandlerSession, Services } from '../adapter/services.js';
import * as catalog from '../catalog/index.js';
import { textCellOrNull } from '../engine/cells.js';
import { SqlError, quoteIdent } from '../errors/index.js';
import type { QualifiedName, Statement } from '../sql/ast.js';
import { AUCTION_TABLES, auctionStatements } from './auction.js';
import { MULTI_OUTPUT, type LoadGenPlan, planLoadGenerator } from './options.js';
import { TPCH_TABLES, tpchCounts, tpchStatements } from './tpch.js';

export { planLoadGenerator } from './options.js';

/** Registers the handlers (an installer of src/server/units.ts). */
export async function installLoadGenerators(services: Services, coordinator: FerryCoordinator): Promise<void> {
  services.extraHandlers.set('create-source-loadgen', (session, stmt, _sql, ctx) =>
    createSource(session, stmt as Statement & { kind: 'create-source-loadgen' }, ctx),
  );
  services.extraHandlers.set('drop-source', (session, stmt, _sql, ctx) =>
    dropSources(session, stmt as Statement & { kind: 'drop-objects' }, ctx),
  );
  const dropped = await dropPendingTables(coordinator.systemConnection());
  if (dropped) services.log.info('dropped unfinished load generator tables', { tables: dropped });
}

/** Engine-table names of a generator's subsources, in Materialize's order. */
function subsourceTables(plan: LoadGenPlan): Record<string, [string, string][]> {
  switch (plan.generator) {
    case 'AUCTION':
      return AUCTION_TABLES;
    case 'TPCH':
      return TPCH_TABLES;
    default:
      return {};
  }
}

const qn = (schema: string, name: string): string => `${quoteIdent(schema)}.${quoteIdent(name)}`;
const fq = (schema: string, name: string): string => `${quoteIdent(catalog.DEFAULT_DATABASE)}.${qn(schema, name)}`;

function schemaOf(session: HandlerSession, name: QualifiedName): string {
  const parts = name.parts;
  if (parts.length === 3 && parts[0] !== catalog.DEFAULT_DATABASE)
    throw new SqlError('3D000', `unknown database '${parts[0]}'`);
  return session.creationSchema(name);
}

async function engineRelationExists(conn: DuckDBConnection, schema: string, name: string): Promise<boolean> {
  const rows = await catalog.queryRows(
    conn,
    `SELECT 1 FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = $1 AND table_name = $2
     UNION ALL SELECT 1 FROM duckdb_views() WHERE database_name = current_database() AND schema_name = $1 AND view_name = $2`,
    [schema, name],
  );
  return rows.length > 0;
}

/** Table comment marking generated tables whose catalog entries are not written yet. */
export const PENDING = 'ferry: load generator data, pending';

/**
 * Refuses names already taken (catalog items or engine relations); with IF NOT EXISTS an
 * existing source is a notice and `false` (nothing to do). `ours` are tables this
 * statement generated itself (marked PENDING): they, and entries a concurrent catalog sync
 * may have made for them, are not conflicts.
 */
async function checkNames(
  session: HandlerSession,
  stmt: Statement & { kind: 'create-source-loadgen' },
  schema: string,
  names: string[],
  ctx: ExecContext | null,
  ours: string[] = [],
): Promise<boolean> {
  const conn = session.conn;
  if (catalog.SYSTEM_SCHEMAS.includes(schema) || schema === catalog.INTERNAL_SCHEMA || schema === 'main') {
    throw new SqlError('42501', `permission denied for SCHEMA "${catalog.DEFAULT_DATABASE}.${schema}"`);
  }
  if (!(await catalog.findSchema(conn, schema))) {
    const inEngine = await catalog.queryRows(
      conn,
      `SELECT 1 FROM duckdb_schemas() WHERE database_name = current_database() AND schema_name = $1`,
      [schema],
    );
    if (!inEngine.length) throw new SqlError('3F000', `unknown schema '${schema}'`);
  }
  await session.requireCreateIn(schema);
  const name = names[0]!;
  if (await catalog.findItem(conn, schema, name)) {
    if (stmt.ifNotExists) {
      ctx?.notice({ severity: 'NOTICE', code: '42710', message: `source "${name}" already exists, skipping` });
      return false;
    }
    throw new SqlError('42710', `catalog item '${name}' already exists`);
  }
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new SqlError('42710', `catalog item '${dup}' already exists`);
  for (const n of names) {
    if (ours.includes(n)) continue;
    if ((await catalog.findItem(conn, schema, n)) || (await engineRelationExists(conn, schema, n))) {
      throw new SqlError('42710', `catalog item '${n}' already exists`);
    }
  }
  return true;
}

/**
 * CREATE SOURCE … FROM LOAD GENERATOR. Generated data is written first, in a transaction
 * of its own, to the subsource tables (marked PENDING); a second, short transaction then
 * creates the source and progress relations and all catalog entries. A long TPCH
 * generation thus never holds catalog rows that concurrent DDL also writes. Should a
 * concurrent catalog sync register the new tables as plain tables in between, the second
 * step replaces those entries. Inside a transaction block both steps share its transaction.
 */
async function createSource(
  session: HandlerSession,
  stmt: Statement & { kind: 'create-source-loadgen' },
  ctx: ExecContext,
): Promise<ExecOutcome> {
  const plan = planLoadGenerator(stmt.generator, stmt.options, stmt.forAllTables);
  const schema = schemaOf(session, stmt.name);
  const name = stmt.name.parts[stmt.name.parts.length - 1]!;
  const progressName = `${name}_progress`;
  const tables = subsourceTables(plan);
  const tableNames = Object.keys(tables);
  const newNames = [name, progressName, ...tableNames];
  const tag: ExecOutcome = { kind: 'command', tag: 'CREATE SOURCE' };
  const started = Date.now();
  const createdMicros = started * 1000;
  const drop = async (): Promise<void> => {
    for (const t of tableNames) await session.engineRun(`DROP TABLE IF EXISTS ${qn(schema, t)}`);
  };

  // 1. Generated data.
  let generated = false;
  if (tableNames.length) {
    if (!(await session.atomically(() => checkNames(session, stmt, schema, newNames, ctx)))) return tag;
    const identity = Object.fromEntries(tableNames.map((t) => [t, t]));
    const stmts =
      plan.generator === 'TPCH'
        ? tpchStatements(schema, identity, tpchCounts(plan.scaleFactor))
        : auctionStatements(schema, identity, createdMicros, plan.tickMicros);
    await session.atomically(async () => {
      for (const s of stmts) {
        if (session.signal.aborted) throw new SqlError('57014', 'canceling statement due to user request');
        await session.engineRun(s);
      }
      for (const t of tableNames) await session.engineRun(`COMMENT ON TABLE ${qn(schema, t)} IS '${PENDING}'`);
    });
    generated = true;
  }
  const generatedMs = Date.now() - started;

  // 2. Source and progress relations and the catalog entries, in one short transaction.
  try {
    return await session.atomically(async () => {
      const conn = session.conn;
      if (!(await checkNames(session, stmt, schema, newNames, ctx, tableNames))) {
        await drop();
        return tag;
      }
      for (const t of tableNames) {
        const synced = await catalog.findItem(conn, schema, t);
        if (synced) await catalog.deleteObject(conn, synced.id);
        await session.engineRun(`COMMENT ON TABLE ${qn(schema, t)} IS NULL`);
      }
      const ticksExpr = `greatest(0, (epoch_us(now()) - ${createdMicros}::BIGINT) // ${plan.tickMicros})`;
      // Values (or snapshot ticks) emitted so far: AS OF + 1 + elapsed ticks, capped by UP TO.
      const emitted = `least(${plan.upTo === null ? '9223372036854775807' : plan.upTo}::BIGINT, ${plan.asOf + 1}::BIGINT + ${ticksExpr})`;
      if (plan.generator === 'COUNTER') {
        const keep = plan.maxCardinality === null ? '0' : `greatest(0, p.n - ${plan.maxCardinality})`;
        await session.engineRun(
          `CREATE VIEW ${qn(schema, name)} AS SELECT range AS counter FROM (SELECT ${emitted} AS n) p, range(${keep} + 1, p.n + 1) ORDER BY counter`,
        );
        await session.engineRun(`CREATE VIEW ${qn(schema, progressName)} AS SELECT (${emitted})::UBIGINT AS "offset"`);
      } else {
        // The source itself carries no rows; its subsources do.
        await session.engineRun(`CREATE VIEW ${qn(schema, name)} AS SELECT NULL::UBIGINT AS "offset" WHERE false`);
        // Snapshot-only generators: the snapshot is complete (offset 1) from creation on.
        await session.engineRun(`CREATE VIEW ${qn(schema, progressName)} AS SELECT 1::UBIGINT AS "offset"`);
      }

      const owner = session.role.id;
      const withOpts = plan.normalized.length ? ` (${plan.normalized.join(', ')})` : '';
      const createSql =
        `CREATE SOURCE ${fq(schema, name)} IN CLUSTER "quickstart" FROM LOAD GENERATOR ${plan.generator}${withOpts}` +
        `${MULTI_OUTPUT[plan.generator] ? ' FOR ALL TABLES' : ''} EXPOSE PROGRESS AS ${fq(schema, progressName)}`;
      const sourceId = await catalog.allocateId(conn, 'item');
      await catalog.insertObject(conn, {
        id: sourceId,
        kind: 'source',
        schemaName: schema,
        name,
        ownerId: owner,
        createSql,
        redactedSql: createSql,
        details: {
          type: 'load-generator',
          generator: plan.generator,
          created_us: createdMicros,
          tick_us: plan.tickMicros,
          as_of: plan.asOf,
          up_to: plan.upTo,
          max_cardinality: plan.maxCardinality,
          scale_factor: plan.generator === 'TPCH' ? plan.scaleFactor : null,
          subsources: tableNames,
          progress: progressName,
        },
      });
      const sub = async (n: string, type: 'subsource' | 'progress', cols: [string, string][]): Promise<void> => {
        const id = await catalog.allocateId(conn, 'item');
        const colText = cols
          .map(
            ([c, t]) =>
              `${quoteIdent(c)} ${t.toLowerCase().replace('varchar', 'text').replace('timestamptz', 'timestamp with time zone')} NOT NULL`,
          )
          .join(', ');
        const sql =
          type === 'progress'
            ? `CREATE SUBSOURCE ${fq(schema, n)} ("offset" uint8) WITH (PROGRESS = true)`
            : `CREATE SUBSOURCE ${fq(schema, n)} (${colText}) OF SOURCE ${fq(schema, name)} WITH (EXTERNAL REFERENCE = ${quoteIdent('mz_load_generators')}.${quoteIdent(plan.generator.toLowerCase())}.${quoteIdent(n)})`;
        await catalog.insertObject(conn, {
          id,
          kind: 'source',
          schemaName: schema,
          name: n,
          ownerId: owner,
          createSql: sql,
          redactedSql: sql,
          details: { type, source_id: sourceId },
        });
        await catalog.addDependency(conn, id, sourceId);
      };
      await sub(progressName, 'progress', []);
      for (const [t, cols] of Object.entries(tables)) await sub(t, 'subsource', cols);
      session.log.info('load generator source created', {
        source: `${schema}.${name}`,
        generator: plan.generator,
        scale_factor: plan.generator === 'TPCH' ? plan.scaleFactor : null,
        generate_ms: generatedMs,
        ms: Date.now() - started,
      });
      return tag;
    });
  } catch (err) {
    // Outside a transaction block the generated data was committed: remove it.
    if (generated && !session.inTransactionBlock()) {
      await session
        .atomically(async () => {
          for (const t of tableNames) {
            const synced = await catalog.findItem(session.conn, schema, t);
            if (synced && synced.kind === 'table') await catalog.deleteObject(session.conn, synced.id);
          }
          await drop();
        })
        .catch(() => undefined);
    }
    throw err;
  }
}

/**
 * Drops generated tables still marked PENDING (left by a crash or a failure between the
 * two steps of CREATE SOURCE), with any entry a catalog sync made for them. Runs at start.
 */
export async function dropPendingTables(conn: DuckDBConnection): Promise<number> {
  const rows = await catalog.queryRows(
    conn,
    `SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = current_database() AND comment = $1`,
    [PENDING],
  );
  if (!rows.length) return 0;
  await conn.run('BEGIN');
  try {
    for (const r of rows) {
      const s = String(r.schema_name);
      const t = String(r.table_name);
      const entry = await catalog.findItem(conn, s, t);
      if (entry && entry.kind === 'table') await catalog.deleteObject(conn, entry.id);
      await conn.run(`DROP TABLE IF EXISTS ${qn(s, t)}`);
    }
    await conn.run('COMMIT');
  } catch (err) {
    await conn.run('ROLLBACK').catch(() => undefined);
    throw err;
  }
  return rows.length;
}

interface Doomed {
  obj: catalog.CatalogObject;
  engineKind: 'VIEW' | 'TABLE';
}

async function engineKindOf(conn: DuckDBConnection, obj: catalog.CatalogObject): Promise<'VIEW' | 'TABLE' | null> {
  const rows = await catalog.queryRows(
    conn,
    `SELECT 'TABLE' AS k FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = $1 AND table_name = $2
     UNION ALL SELECT 'VIEW' FROM duckdb_views() WHERE database_name = current_database() AND schema_name = $1 AND view_name = $2`,
    [obj.schemaName, obj.name],
  );
  return rows.length ? (String(rows[0]!.k) as 'VIEW' | 'TABLE') : null;
}

/**
 * Catalog items (views, materialized views) whose engine definition reads one of
 * `targets`: DuckDB does not track view dependencies, so the view texts are analysed.
 */
async function readersOf(
  session: HandlerSession,
  targets: catalog.CatalogObject[],
  exclude: Set<string>,
): Promise<catalog.CatalogObject[]> {
  const conn = session.conn;
  const keys = new Set(targets.map((t) => `${t.schemaName}.${t.name}`));
  const views = await catalog.queryRows(
    conn,
    `SELECT schema_name, view_name, sql FROM duckdb_views() WHERE database_name = current_database() AND NOT internal AND NOT temporary`,
  );
  const out: catalog.CatalogObject[] = [];
  for (const v of views) {
    const vs = String(v.schema_name);
    const vn = String(v.view_name);
    if (exclude.has(`${vs}.${vn}`) || vs === catalog.INTERNAL_SCHEMA || catalog.SYSTEM_SCHEMAS.includes(vs)) continue;
    // Parsed, not bound: binding would see through views to the tables beneath.
    const text = textCellOrNull(v.sql) ?? '';
    const query = /^\s*CREATE\s[\s\S]*?\bVIEW\s[\s\S]*?\sAS\s([\s\S]*)$/i.exec(text)?.[1] ?? text;
    let refs: [string, string][];
    try {
      const ast = await catalog.queryRows(conn, 'SELECT json_serialize_sql($1::VARCHAR) AS j', [
        query.replace(/;\s*$/, ''),
      ]);
      refs = baseTables(JSON.parse(textCellOrNull(ast[0]?.j) ?? '{}'));
    } catch {
      continue;
    }
    const hit = refs.some(([rs, rn]) =>
      rs ? keys.has(`${rs}.${rn}`) : keys.has(`${vs}.${rn}`) || [...keys].some((k) => k.endsWith(`.${rn}`)),
    );
    if (!hit) continue;
    const obj = await catalog.findItem(conn, vs, vn);
    if (obj) out.push(obj);
  }
  return out;
}

/** [schema, name] of every table reference in a serialized statement ('' when unqualified). */
function baseTables(node: unknown, out: [string, string][] = []): [string, string][] {
  if (Array.isArray(node)) for (const x of node) baseTables(x, out);
  else if (node && typeof node === 'object') {
    const o = node as Record<string, unknown>;
    if (o.type === 'BASE_TABLE' && typeof o.table_name === 'string')
      out.push([typeof o.schema_name === 'string' ? o.schema_name : '', o.table_name]);
    for (const v of Object.values(o)) baseTables(v, out);
  }
  return out;
}

async function dropSources(
  session: HandlerSession,
  stmt: Statement & { kind: 'drop-objects' },
  ctx: ExecContext,
): Promise<ExecOutcome> {
  return session.atomically(async () => {
    const conn = session.conn;
    for (const name of stmt.names) {
      const obj = await session.findItem(name);
      if (!obj) {
        if (stmt.ifExists) {
          ctx.notice({
            severity: 'NOTICE',
            code: '00000',
            message: `source "${name.parts.join('.')}" does not exist, skipping`,
          });
          continue;
        }
        throw new SqlError('42704', `unknown catalog item '${name.parts.join('.')}'`);
      }
      if (obj.kind !== 'source')
        throw new SqlError('42809', `${catalog.fullName(obj)} is a ${obj.kind.replace('-', ' ')} not a source`);
      await session.requireOwner(obj);
      if (obj.details.type === 'progress') {
        throw new SqlError('42809', `cannot drop progress subsource ${catalog.fullName(obj)}`, {
          hint: 'Drop the source it belongs to instead.',
        });
      }
      // The source and everything that is part of it: subsources and the progress relation.
      const doomed: catalog.CatalogObject[] = [obj];
      const queue = [obj];
      while (queue.length) {
        const cur = queue.shift()!;
        for (const d of await catalog.dependents(conn, cur.id)) {
          if (doomed.some((x) => x.id === d.id)) continue;
          const partOf = d.kind === 'source' && d.details.source_id === cur.id;
          if (!partOf && !stmt.cascade) {
            throw new SqlError(
              '2BP01',
              `cannot drop ${catalog.fullName(obj)}: still depended upon by ${catalog.kindLabel(d.kind).toLowerCase()} ${catalog.fullName(d)}`,
            );
          }
          doomed.push(d);
          queue.push(d);
        }
      }
      // Views over any of them, which the engine would leave dangling.
      const exclude = new Set(doomed.map((d) => `${d.schemaName}.${d.name}`));
      for (
        let more = await readersOf(session, doomed, exclude);
        more.length;
        more = await readersOf(session, doomed, exclude)
      ) {
        if (!stmt.cascade) {
          const d = more[0]!;
          throw new SqlError(
            '2BP01',
            `cannot drop ${catalog.fullName(obj)}: still depended upon by ${catalog.kindLabel(d.kind).toLowerCase()} ${catalog.fullName(d)}`,
            {
              hint: 'Use DROP ... CASCADE to drop the dependent objects too.',
            },
          );
        }
        for (const d of more) {
          await session.requireOwner(d);
          doomed.push(d);
          exclude.add(`${d.schemaName}.${d.name}`);
        }
      }
      const plan: Doomed[] = [];
      for (const d of doomed) {
        const k = await engineKindOf(conn, d);
        if (k) plan.push({ obj: d, engineKind: k });
      }
      // Readers first (the reverse of discovery), then the source's own relations.
      for (const { obj: d, engineKind } of plan.reverse()) {
        await session.engineRun(`DROP ${engineKind} IF EXISTS ${qn(d.schemaName!, d.name)}`);
      }
      for (const d of doomed) await catalog.deleteObject(conn, d.id);
      session.log.info('source dropped', { source: catalog.fullName(obj), objects: doomed.length });
    }
    return { kind: 'command', tag: 'DROP SOURCE' };
  });
}
