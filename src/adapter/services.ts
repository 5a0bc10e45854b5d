/**
 * What sessions share: the engine, configuration, the environment id and the handlers of
 * statements whose work lives in other units (exports, connections). Passed down
 * explicitly from the coordinator; nothing here is global.
 */
import type { FerryConfig } from '../config/index.js';
import type { Engine } from '../engine/index.js';
import type { Logger } from '../log/index.js';
import type { Statement } from '../sql/ast.js';
import type { ExecContext, ExecOutcome } from './api.js';
import type { FerrySession } from './session.js';

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
    session: FerrySession,
    stmt: Statement & { kind: 'copy' },
    sql: string,
    ctx: ExecContext,
  ): Promise<ExecOutcome>;
  /** Statements about secrets, connections and exports, by statement kind. */
  /** AWS connections and secrets (set at start-up by install-connections.ts). */
  aws?: import('./connections.js').AwsConnections;
  extraHandlers: Map<
    string,
    (session: FerrySession, stmt: Statement, sql: string, ctx: ExecContext) => Promise<ExecOutcome>
  >;
}
