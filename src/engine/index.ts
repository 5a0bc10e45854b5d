/**
 * The engine: one embedded DuckDB database file in the data directory, one DuckDB
 * connection per session (DuckDB gives each connection its own MVCC transaction, so a
 * session's BEGIN … COMMIT and an export's snapshot work as in PostgreSQL).
 *
 * This layer knows nothing of the catalog's meaning or of the wire protocol: it opens the
 * database, configures connections so values come out in the PostgreSQL conventions Ferry
 * needs (UTC, `public` first on the search path), and installs the few SQL functions that
 * Materialize users call and DuckDB lacks.
 */
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';

/** The one directory the engine may touch: `<data dir>/engine-io`, mode 0700 (docs/security.md). */
export const ENGINE_IO_DIR = 'engine-io';

/** The DuckDB file is named after the database so that current_database() answers `materialize`. */
export const DATABASE_NAME = 'materialize';

export interface EngineOptions {
  dataDir: string;
  /** DuckDB memory_limit, e.g. '2GB'; DuckDB spills larger intermediate results to disk. */
  memoryLimit?: string;
  threads?: number;
}

export class Engine {
  private constructor(
    readonly instance: DuckDBInstance,
    readonly path: string,
    /** Where the sink makes its named pipes: the only directory DuckDB may open files in. */
    readonly ioDir: string,
  ) {}

  static async open(opts: EngineOptions): Promise<Engine> {
    mkdirSync(opts.dataDir, { recursive: true });
    const path = join(opts.dataDir, `${DATABASE_NAME}.duckdb`);
    const ioDir = join(opts.dataDir, ENGINE_IO_DIR);
    const config: Record<string, string> = {};
    if (opts.memoryLimit) config.memory_limit = opts.memoryLimit;
    if (opts.threads) config.threads = String(opts.threads);
    const instance = await openConfined(path, ioDir, config);
    return new Engine(instance, path, ioDir);
  }

  /** A connection configured for a Ferry session. */
  async connect(): Promise<DuckDBConnection> {
    const conn = await this.instance.connect();
    // Unqualified names resolve in public, then mz_catalog (Materialize searches it
    // implicitly). The other settings are global and locked (openConfined).
    await conn.run(`SET search_path = 'public,mz_catalog,main'`);
    return conn;
  }

  /** Installs Ferry's SQL functions (idempotent; runs once at start-up). */
  async installFunctions(conn: DuckDBConnection, environmentId: string): Promise<void> {
    const q = (s: string): string => `'${s.replace(/'/g, "''")}'`;
    await conn.run(`
      CREATE OR REPLACE MACRO main.mz_environment_id() AS ${q(environmentId)};
      CREATE OR REPLACE MACRO main.mz_version() AS 'v0.1.0 (ferry)';
      CREATE OR REPLACE MACRO main.mz_version_num() AS 100;
    `);
  }

  close(): void {
    this.instance.closeSync();
  }
}

/**
 * Opens a DuckDB database that can reach nothing of the machine beyond its own file and
 * `ioDir`: no extension is loaded or downloaded on demand, and external access is off, so
 * no file reader, COPY, ATTACH or URL reaches anything outside `ioDir` (`ioDir/spill`
 * holds spilled intermediates). DuckDB itself refuses to widen this once it is set
 * (`Cannot enable external access while database is running`, `Cannot change
 * allowed_directories when enable_external_access is disabled`, `Modifying the
 * temp_directory has been disabled by configuration`). `allowed_directories` is a list,
 * which the node-api config object refuses, so it is set through SQL before the first
 * other connection exists. Then the configuration is locked: no statement can change a
 * setting of the engine any more (only a connection's search_path).
 *
 * What this does not stop (the front end's function allow-list does): DuckDB lets a
 * connection read its own database file and WAL, and `enable_logging` with file storage
 * breaks every later statement (docs/security.md, "Engine confinement").
 */
export async function openConfined(
  path: string,
  ioDir: string,
  config: Record<string, string> = {},
): Promise<DuckDBInstance> {
  mkdirSync(ioDir, { recursive: true, mode: 0o700 });
  chmodSync(ioDir, 0o700); // an existing directory keeps its mode otherwise
  const instance = await DuckDBInstance.create(path, {
    ...config,
    autoload_known_extensions: 'false',
    autoinstall_known_extensions: 'false',
    temp_directory: join(ioDir, 'spill'),
  });
  const boot = await instance.connect();
  try {
    const dir = `${ioDir.replace(/\/+$/, '')}/`.replace(/'/g, "''");
    await boot.run(`SET GLOBAL allowed_directories = ['${dir}']`);
    await boot.run('SET GLOBAL enable_external_access = false');
    // TimeZone UTC: timestamptz text output is `…+00`, as docs/formats.md requires.
    // integer_division: `/` on two integers truncates, as in PostgreSQL and Materialize
    // (DuckDB's default returns a double, so 3 / 2 would be 1.5).
    await boot.run(`SET GLOBAL TimeZone = 'UTC'`);
    await boot.run('SET GLOBAL integer_division = true');
    // Ferry keeps prepared statements and runs them again (its statement cache, the
    // extended protocol). This engine's statistics propagation rewrites a prepared plan
    // from the table contents at PREPARE time — a filter over a then-empty table becomes
    // an empty result forever — so later executions would miss rows inserted since.
    // Without it every execution sees the data as it is now (test/engine/prepared-stale.test.ts).
    await boot.run(`SET GLOBAL disabled_optimizers = 'statistics_propagation'`);
    // From here no setting can change (memory_limit, threads, …); search_path stays per connection.
    await boot.run('SET GLOBAL lock_configuration = true');
  } catch (err) {
    boot.closeSync();
    instance.closeSync();
    throw err;
  }
  boot.closeSync();
  return instance;
}
