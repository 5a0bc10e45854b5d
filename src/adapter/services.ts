/**
 * What sessions share: the engine, configuration, the environment id and the handlers of
 * statements whose work lives in other units (exports, connections). Passed down
 * explicitly from the coordinator; nothing here is global.
 *
 * Also the two narrow views those units get of their neighbours: `HandlerSession`, the
 * session as a statement handler sees it (src/adapter/session.ts's FerrySession has every
 * member), and `AwsAccess`, what exports need of the AWS connections (AwsConnections in
 * connections.ts implements it). Handlers import these types from here, never the session
 * or the connections module, so the adapter has no import cycle.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { CatalogObject, Privilege, Role } from '../catalog/index.js';
import type { FerryConfig } from '../config/index.js';
import type { AwsConnectionContext, AwsConnectionSpec } from '../connections/aws/index.js';
import type { SecretRef } from '../connections/aws/options.js';
import type { Engine } from '../engine/index.js';
import type { Logger } from '../log/index.js';
import type { QualifiedName, Statement } from '../sql/ast.js';
import type { CompiledStatement } from '../sql/frontend.js';
import type { EngineStatement } from './engine-query.js';
import type { ExecContext, ExecOutcome } from './api.js';
import type { SessionVars } from './vars.js';

export interface Services {
  config: FerryConfig;
  engine: Engine;
  environmentId: string;
  log: Logger;
  /**
   * Incremented by every statement that may change the schema (any session). Cached
   * prepared statements of an older epoch are prepared again, so a result's shape never
   * lags behind an ALTER or DROP.
   */
  schemaEpoch: number;
  /** COPY … TO <expression> (object storage or file://). */
  copyTo(
    session: HandlerSession,
    stmt: Statement & { kind: 'copy' },
    sql: string,
    ctx: ExecContext,
  ): Promise<ExecOutcome>;
  /** COPY … FROM 's3://…' (object storage into a table). */
  copyFrom(
    session: HandlerSession,
    stmt: Statement & { kind: 'copy' },
    sql: string,
    ctx: ExecContext,
  ): Promise<ExecOutcome>;
  /** AWS connections and secrets (set at start-up by install-connections.ts). */
  aws?: AwsAccess;
  /**
   * Checks before a statement reads these relations (catalog ids): waits for a subsource
   * whose snapshot is not committed yet, refuses one in an error state (src/adapter/pg-sources.ts).
   */
  relationGate?: (ids: string[], signal: AbortSignal) => Promise<void>;
  /** A connection's options changed (committed): its users reconnect (src/adapter/pg-sources.ts). */
  connectionAltered?: (connectionId: string) => Promise<void>;
  /** Statements about secrets, connections and exports, by statement kind. */
  extraHandlers: Map<
    string,
    (session: HandlerSession, stmt: Statement, sql: string, ctx: ExecContext) => Promise<ExecOutcome>
  >;
}

/** The session as statement handlers outside src/adapter/session.ts use it. */
export interface HandlerSession {
  readonly services: Services;
  readonly conn: DuckDBConnection;
  readonly role: Role;
  readonly vars: SessionVars;
  readonly log: Logger;
  /** An abort signal for the statement now running (CancelRequest triggers it). */
  readonly signal: AbortSignal;
  inTransactionBlock(): boolean;
  /** Runs SQL on the session's engine connection; engine errors become SqlErrors. */
  engineRun(sql: string): Promise<void>;
  /** Runs `fn` inside the session's transaction block, or in a transaction of its own. */
  atomically<T>(fn: () => Promise<T>): Promise<T>;
  /** Resolves an object name as written, or throws `unknown catalog item`. */
  resolveItem(name: QualifiedName): Promise<CatalogObject>;
  findItem(name: QualifiedName): Promise<CatalogObject | null>;
  searchPath(): string[];
  /** Schema in which an unqualified new object is created. */
  creationSchema(name: QualifiedName): string;
  requirePrivilege(obj: CatalogObject, priv: Privilege, privName: string): Promise<void>;
  requireOwner(obj: CatalogObject): Promise<void>;
  /** CREATE on the schema an object is created in (superusers always may). */
  requireCreateIn(schemaName: string): Promise<void>;
  /**
   * A query (SELECT, VALUES, TABLE, WITH …) through the front end: parsed, resolved,
   * authorized, and printed as the engine's SQL.
   */
  compileQuery(sql: string): Promise<CompiledStatement>;
}

/** The session as the engine plans' sequencer uses it (src/adapter/engine-plans.ts). */
export interface EngineSession extends HandlerSession {
  /** A prepared statement for the engine's SQL, from the session's cache when still valid. */
  cachedStatement(engineSql: string, verb: string, hasReturning: boolean): Promise<EngineStatement>;
}

/** What exports need of the AWS connections. */
export interface AwsAccess {
  /** Looks up an AWS connection for use by COPY / VALIDATE: kind and USAGE checked. */
  forUse(
    session: HandlerSession,
    name: string,
  ): Promise<{ obj: CatalogObject; spec: AwsConnectionSpec; ctx: AwsConnectionContext }>;
  /** Decrypts the current value of a referenced secret (by id, as stored at CREATE). */
  secretValue(conn: DuckDBConnection, ref: SecretRef): Promise<string>;
  /** Credentials context of a connection; secrets are read through `conn` at each use. */
  context(conn: DuckDBConnection, connectionId: string): AwsConnectionContext;
  s3Client(spec: AwsConnectionSpec, ctx: AwsConnectionContext): S3Client;
  /** An export's S3 client, with the connection's credentials obtained first. */
  exportClient(spec: AwsConnectionSpec, ctx: AwsConnectionContext): Promise<S3Client>;
}
