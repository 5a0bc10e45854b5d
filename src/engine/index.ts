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
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';

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
  ) {}

  static async open(opts: EngineOptions): Promise<Engine> {
    mkdirSync(opts.dataDir, { recursive: true });
    const path = join(opts.dataDir, `${DATABASE_NAME}.duckdb`);
    const config: Record<string, string> = {
      // Temporary files (spilled intermediates) stay inside the data directory.
      temp_directory: join(opts.dataDir, 'tmp'),
    };
    if (opts.memoryLimit) config.memory_limit = opts.memoryLimit;
    if (opts.threads) config.threads = String(opts.threads);
    const instance = await DuckDBInstance.create(path, config);
    return new Engine(instance, path);
  }

  /** A connection configured for a Ferry session. */
  async connect(): Promise<DuckDBConnection> {
    const conn = await this.instance.connect();
    // TimeZone UTC: timestamptz text output is `…+00`, as docs/formats.md requires. Unqualified
    // names resolve in public, then mz_catalog (Materialize searches it implicitly).
    // integer_division: `/` on two integers truncates, as in PostgreSQL and Materialize
    // (DuckDB's default returns a double, so 3 / 2 would be 1.5).
    await conn.run(`SET TimeZone = 'UTC'; SET search_path = 'public,mz_catalog,main'; SET integer_division = true`);
    return conn;
  }

  /** Installs Ferry's SQL functions (idempotent; runs once at start-up). */
  async installFunctions(conn: DuckDBConnection, environmentId: string): Promise<void> {
    const q = (s: string): string => `'${s.replace(/'/g, "''")}'`;
    await conn.run(`
      CREATE OR REPLACE MACRO main.mz_environment_id() AS ${q(environmentId)};
      CREATE OR REPLACE MACRO main.mz_version() AS 'v0.1.0 (ferry)';
    `);
  }

  close(): void {
    this.instance.closeSync();
  }
}
