/**
 * The coordinator: opens sessions for authenticated roles and answers role look-ups for
 * authentication. It owns one engine connection of its own for catalog reads that happen
 * outside any session (login).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import * as catalog from '../catalog/index.js';
import { parseScramVerifier } from '../catalog/scram.js';
import { SqlError } from '../errors/index.js';
import { initPgParser } from '../sql/pg/parse.js';
import type { Coordinator, RoleAuth, Session } from './api.js';
import type { Services } from './services.js';
import { FerrySession } from './session.js';

export class FerryCoordinator implements Coordinator {
  private nextConnectionId = 1;
  readonly sessions = new Set<FerrySession>();

  constructor(
    readonly services: Services,
    private readonly systemConn: DuckDBConnection,
  ) {}

  /** The coordinator's own engine connection, for start-up work outside any session. */
  systemConnection(): DuckDBConnection {
    return this.systemConn;
  }

  async lookupRole(name: string): Promise<RoleAuth | null> {
    const r = await catalog.findRole(this.systemConn, name);
    if (!r) return null;
    return { name: r.name, canLogin: r.login || r.superuser, scram: r.scram ? parseScramVerifier(r.scram) : null };
  }

  async openSession(opts: { user: string; database: string; params: Record<string, string> }): Promise<Session> {
    if (opts.database !== catalog.DEFAULT_DATABASE) {
      throw new SqlError('3D000', `database "${opts.database}" does not exist`);
    }
    const role = await catalog.findRole(this.systemConn, opts.user);
    if (!role) throw new SqlError('28000', `role "${opts.user}" does not exist`);
    // LOGIN is the authenticators' business (src/wire, src/http): it is checked with the
    // password under --auth password; without passwords every role may connect, as in
    // Materialize, which derives LOGIN when a role connects (docs/compat.md, "Roles").
    await initPgParser();
    const conn = await this.services.engine.connect();
    const id = this.nextConnectionId++;
    const session = new FerrySession(this.services, conn, role, opts.params, id);
    this.sessions.add(session);
    const close = session.close.bind(session);
    session.close = async () => {
      this.sessions.delete(session);
      await close();
    };
    this.services.log.debug('session opened', { connection: id, user: role.name });
    return session;
  }
}
