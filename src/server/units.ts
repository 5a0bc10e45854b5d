/**
 * The units a Ferry server runs beside the adapter, in the order they start: connections
 * and secrets with exports, schedules, load generators, and the HTTP API with its metrics.
 * `ferry serve` (src/cli/main.ts) passes this list to `startServer`; a caller that wants
 * fewer units passes its own.
 */
import { installConnections } from '../adapter/install-connections.js';
import { installCopyFrom } from '../adapter/copy-from.js';
import { installCopyTo, recoverInterruptedExports } from '../adapter/copy-to.js';
import { apiRoute } from '../http/api.js';
import { sqlApiMetrics } from '../http/sql-api.js';
import { installLoadGenerators } from '../loadgen/index.js';
import { installPostgresSources } from '../adapter/pg-sources.js';
import { installSchedules } from '../schedule/index.js';
import type { ServerUnits } from './index.js';

export function ferryUnits(): ServerUnits {
  return {
    installers: [
      async (services, coordinator) => {
        const aws = await installConnections(services, coordinator);
        installCopyTo(services);
        installCopyFrom(services);
        await recoverInterruptedExports(services, coordinator.systemConnection());
        // Ends the background principal lookup and closes its engine connection.
        return () => {
          aws.stop();
          return Promise.resolve();
        };
      },
      // After the COPY TO handler: the scheduler's catch-up runs may start at once.
      installSchedules,
      installLoadGenerators,
      // After the load generators: it wraps their DROP SOURCE handler.
      installPostgresSources,
    ],
    routes: [apiRoute],
    metricSources: [sqlApiMetrics],
  };
}
