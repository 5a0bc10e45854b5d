/**
 * Registers the statement handlers of the units beside the adapter (connections and
 * secrets, exports, schedules, load generators, HTTP API). Imported once by `ferry serve`
 * and by tests that start a server in-process.
 */
import { installConnections } from '../adapter/install-connections.js';
import { installCopyTo, recoverInterruptedExports } from '../adapter/copy-to.js';
import { installSchedules } from '../schedule/index.js';
import { registerInstaller } from './index.js';
import { installLoadGenerators } from '../loadgen/index.js';

registerInstaller(async (services, coordinator) => {
  const aws = await installConnections(services, coordinator);
  installCopyTo(services);
  await recoverInterruptedExports(services, coordinator.systemConnection());
  // Ends the background principal lookup and closes its engine connection.
  return () => {
    aws.stop();
    return Promise.resolve();
  };
});
// After the COPY TO handler: the scheduler's catch-up runs may start at once.
registerInstaller(installSchedules);
import '../http/api.js';
registerInstaller(installLoadGenerators);
