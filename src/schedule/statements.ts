/**
 * CREATE / ALTER / EXECUTE / DROP EXPORT (docs/scheduling.md). Each changes the
 * catalog in a transaction of its own, then tells the scheduler, which reads the committed
 * entry. That is why none of them may run inside a transaction block: the scheduler could
 * not see an uncommitted export, nor forget one whose DROP is rolled back.
 */
import * as catalog from '../catalog/index.js';
import type { ExecContext, ExecOutcome } from '../adapter/api.js';
import { planCopy } from '../adapter/copy-to.js';
import type { HandlerSession, Services } from '../adapter/services.js';
import { SqlError, quoteIdent } from '../errors/index.js';
import type { ExportSchedule, Statement } from '../sql/ast.js';
import { type ExportDetails, type Scheduler } from './scheduler.js';
import { type ScheduleSpec, checkCron, describeSchedule, nextDueAfter, parseInterval } from './schedule.js';

function outsideTransaction(session: HandlerSession, what: string): void {
  if (session.inTransactionBlock()) throw new SqlError('25001', `${what} cannot run inside a transaction block`);
}

async function timestamptzMs(session: HandlerSession, text: string): Promise<number> {
  try {
    const rows = await catalog.queryRows(session.conn, 'SELECT epoch_ms($1::TIMESTAMPTZ) AS ms', [text]);
    return Number(rows[0]!.ms);
  } catch {
    throw new SqlError('22007', `invalid input syntax for type timestamp with time zone: "${text}"`);
  }
}

/** The schedule as written → a spec with every default filled in (stored, so restarts agree). */
async function resolveSchedule(session: HandlerSession, s: ExportSchedule, now: number): Promise<ScheduleSpec> {
  if (s.kind === 'cron') return checkCron(s.expr, s.timeZone ?? 'UTC');
  const intervalMs = parseInterval(s.interval);
  // As in Materialize's REFRESH EVERY: without ALIGNED TO, due times are aligned to creation.
  const alignedToMs = s.alignedTo === null ? now : await timestamptzMs(session, s.alignedTo);
  return { kind: 'every', interval: s.interval, intervalMs, alignedToMs };
}

async function findExport(
  session: HandlerSession,
  name: Statement & { kind: 'alter-export' | 'execute-export' },
): Promise<catalog.CatalogObject & { details: ExportDetails }> {
  const obj = await session.resolveItem(name.name);
  if (obj.kind !== 'export') throw new SqlError('42809', `${catalog.fullName(obj)} is not an export`);
  return obj as catalog.CatalogObject & { details: ExportDetails };
}

export function installExportHandlers(services: Services, scheduler: Scheduler): void {
  const h = services.extraHandlers;

  h.set('create-export', async (session, stmt, _sql, ctx) => {
    const s = stmt as Statement & { kind: 'create-export' };
    outsideTransaction(session, 'CREATE EXPORT');
    const schemaName = session.creationSchema(s.name);
    const name = s.name.parts[s.name.parts.length - 1]!;
    await session.requireCreateIn(schemaName);
    if (await catalog.findItem(session.conn, schemaName, name)) {
      if (s.ifNotExists) {
        ctx.notice({ severity: 'NOTICE', code: '42710', message: `catalog item '${name}' already exists, skipping` });
        return { kind: 'command', tag: 'CREATE EXPORT' };
      }
      throw new SqlError('42710', `catalog item '${name}' already exists`);
    }
    const now = Date.now();
    const spec = await resolveSchedule(session, s.schedule, now);
    // The checks of an ad-hoc COPY, as the creator (the owner-to-be), without running it;
    // the target is evaluated as the first run will evaluate it.
    const plan = await planCopy(session, s.copy, services, { now: new Date(nextDueAfter(spec, now) ?? now) });
    const id = await session.atomically(async () => {
      const id = await catalog.allocateId(session.conn, 'item');
      const details: ExportDetails = { schedule: describeSchedule(spec), paused: false, spec, copySql: s.copySql };
      const qualified = `${quoteIdent(catalog.DEFAULT_DATABASE)}.${quoteIdent(schemaName)}.${quoteIdent(name)}`;
      const createSql = `CREATE EXPORT ${qualified} REFRESH ${details.schedule} AS ${s.copySql}`;
      await catalog.insertObject(session.conn, {
        id,
        kind: 'export',
        schemaName,
        name,
        ownerId: session.role.id,
        createSql,
        redactedSql: createSql,
        details: details as unknown as Record<string, unknown>,
      });
      // DROP CONNECTION must say an export still uses it (or take it along with CASCADE).
      if (plan.connection) await catalog.addDependency(session.conn, id, plan.connection.id);
      return id;
    });
    session.log.info('export created', { id, name, schedule: describeSchedule(spec) });
    await scheduler.sync(id);
    return { kind: 'command', tag: 'CREATE EXPORT' };
  });

  h.set('alter-export', async (session, stmt) => {
    const s = stmt as Statement & { kind: 'alter-export' };
    outsideTransaction(session, 'ALTER EXPORT');
    const obj = await findExport(session, s);
    await session.requireOwner(obj);
    const wasPaused = obj.details.paused;
    await session.atomically(() =>
      catalog.updateObject(session.conn, obj.id, {
        details: { ...obj.details, paused: s.paused },
      }),
    );
    session.log.info(s.paused ? 'export paused' : 'export resumed', { id: obj.id, name: obj.name });
    await scheduler.sync(obj.id, { resume: wasPaused && !s.paused });
    return { kind: 'command', tag: 'ALTER EXPORT' };
  });

  h.set('execute-export', async (session, stmt, _sql, ctx: ExecContext): Promise<ExecOutcome> => {
    const s = stmt as Statement & { kind: 'execute-export' };
    outsideTransaction(session, 'EXECUTE EXPORT');
    const obj = await findExport(session, s);
    await session.requireOwner(obj);
    const notices = session.vars.get('emit_progress_notices') === 'on';
    // Out of schedule: the run's "scheduled" time, which now() in the target means, is now.
    const result = await scheduler.run(obj.id, Date.now(), {
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
  });

  h.set('drop-export', async (session, stmt, _sql, ctx) => {
    const s = stmt as Statement & { kind: 'drop-objects' };
    outsideTransaction(session, 'DROP EXPORT');
    const dropped = await session.atomically(async () => {
      const ids: string[] = [];
      for (const name of s.names) {
        const obj = await session.findItem(name);
        if (!obj) {
          if (s.ifExists) {
            ctx.notice({
              severity: 'NOTICE',
              code: '00000',
              message: `export "${name.parts.join('.')}" does not exist, skipping`,
            });
            continue;
          }
          throw new SqlError('42704', `unknown catalog item '${name.parts.join('.')}'`);
        }
        if (obj.kind !== 'export') throw new SqlError('42809', `${catalog.fullName(obj)} is not an export`);
        await session.requireOwner(obj);
        await catalog.deleteObject(session.conn, obj.id);
        ids.push(obj.id);
      }
      return ids;
    });
    // A run in progress is canceled: DROP stops the export now, not after its next run.
    for (const id of dropped) await scheduler.sync(id);
    return { kind: 'command', tag: 'DROP EXPORT' };
  });
}
