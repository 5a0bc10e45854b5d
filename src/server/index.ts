/**
 * Start-up and shutdown of a Ferry server: open the engine in the data directory,
 * bootstrap the catalog, build the services sessions share, run the units' installers and
 * start the listeners. Which units run is the caller's argument (`ServerUnits`, the
 * standard list is src/server/units.ts): no unit registers itself by being imported.
 */
import type { FerryConfig } from '../config/index.js';
import { FerryCoordinator } from '../adapter/coordinator.js';
import type { Services } from '../adapter/services.js';
import { bootstrap } from '../catalog/index.js';
import { pgCompatSql } from '../catalog/pg-compat.js';
import { Engine } from '../engine/index.js';
import { unsupported } from '../errors/index.js';
import { createLogger } from '../log/index.js';
import { startPgServer } from '../wire/index.js';
import { startHttpServer, type HttpServer, type MetricSource, type Route } from '../http/index.js';

export interface RunningServer {
  pgPort: number;
  httpPort: number;
  environmentId: string;
  coordinator: FerryCoordinator;
  services: Services;
  close(): Promise<void>;
}

/**
 * How a unit beside the adapter hooks in before the listeners start: it registers its
 * statement handlers in `services`. An installer that starts background work (the export
 * scheduler) returns how to stop it; close() calls those first, before sessions and the
 * engine go away.
 */
export type ServiceStop = () => Promise<void>;
export type ServiceInstaller = (
  services: Services,
  coordinator: FerryCoordinator,
) => Promise<void | ServiceStop> | void | ServiceStop;

/** The extension points of a server, each run or served in the order given. */
export interface ServerUnits {
  /** Run one after another before the listeners start. */
  installers: readonly ServiceInstaller[];
  /** HTTP routes beyond `/api/readyz` and `/metrics`. */
  routes: readonly Route[];
  /** Lines added to `GET /metrics`. */
  metricSources: readonly MetricSource[];
}

export async function startServer(config: FerryConfig, units: ServerUnits): Promise<RunningServer> {
  const log = createLogger('ferry');
  const engine = await Engine.open({
    dataDir: config.dataDir,
    ...(config.memoryLimit ? { memoryLimit: config.memoryLimit } : {}),
  });
  // Bootstrap on a plain connection: the schemas a configured connection expects may not exist yet.
  const bootConn = await engine.instance.connect();
  const { environmentId, created } = await bootstrap(bootConn);
  bootConn.closeSync();
  const systemConn = await engine.connect();
  await engine.installFunctions(systemConn, environmentId);
  // The pg_catalog answers psql and JDBC need, in an in-memory database rebuilt at every
  // start (src/catalog/pg-compat.ts explains why DuckDB's own pg_catalog cannot serve).
  for (const sql of pgCompatSql()) await systemConn.run(sql);
  log.info(created ? 'created data directory' : 'opened data directory', {
    dir: config.dataDir,
    environment_id: environmentId,
  });
  const services: Services = {
    config,
    engine,
    environmentId,
    log,
    schemaEpoch: 0,
    copyTo: () => Promise.reject(unsupported('COPY TO object storage')),
    copyFrom: () => Promise.reject(unsupported('COPY FROM object storage')),
    extraHandlers: new Map(),
  };
  const coordinator = new FerryCoordinator(services, systemConn);
  const stops: ServiceStop[] = [];
  for (const install of units.installers) {
    const stop = await install(services, coordinator);
    if (stop) stops.push(stop);
  }
  const pg = await startPgServer({ config, coordinator, log: log.child('pgwire') });
  let http: HttpServer;
  try {
    http = await startHttpServer(
      { config, coordinator, services, log: log.child('http') },
      { routes: units.routes, metricSources: units.metricSources },
    );
  } catch (err) {
    await pg.close();
    throw err;
  }
  log.info('listening', {
    pgwire: `${config.pgListen.host}:${pg.port}`,
    http: `${config.httpListen.host}:${http.port}`,
  });
  return {
    pgPort: pg.port,
    httpPort: http.port,
    environmentId,
    coordinator,
    services,
    async close() {
      for (const stop of stops.reverse()) await stop();
      await http.close();
      await pg.close();
      for (const s of [...coordinator.sessions]) await s.close();
      try {
        systemConn.closeSync();
      } catch {
        /* already closed */
      }
      engine.close();
      log.info('stopped');
    },
  };
}
