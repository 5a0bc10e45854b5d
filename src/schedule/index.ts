/**
 * Built-in export schedules (docs/scheduling.md): the EXPORT statements, the
 * scheduler that runs them on time in the server, and the records of every run.
 *
 * This unit does not plan or write exports itself — a run is the adapter's COPY TO
 * (planCopy + runPlannedCopy) executed as the export's owner — and it does not parse SQL
 * (src/sql produces the EXPORT statements). External schedulers (cron, Airflow) need
 * nothing from here; see docs/scheduling.md and the `ferry export` verb (src/cli/export.ts).
 */
import type { FerryCoordinator } from '../adapter/coordinator.js';
import type { Services } from '../adapter/services.js';
import { RunLog, SCHEDULE_STATE_SQL } from './runs.js';
import { Scheduler } from './scheduler.js';
import { installExportHandlers } from './statements.js';

export { Scheduler } from './scheduler.js';

/** Server installer: registers the statements, settles missed runs, starts the timers; returns how to stop. */
export async function installSchedules(
  services: Services,
  coordinator: FerryCoordinator,
): Promise<() => Promise<void>> {
  await coordinator.systemConnection().run(SCHEDULE_STATE_SQL);
  // A connection of the scheduler's own: its writes never join a session's transaction.
  const conn = await services.engine.connect();
  const scheduler = new Scheduler(services, new RunLog(conn));
  installExportHandlers(services, scheduler);
  await scheduler.start();
  return async () => {
    await scheduler.stop();
    try {
      conn.closeSync();
    } catch {
      /* already closed */
    }
  };
}
