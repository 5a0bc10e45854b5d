/**
 * SQL-level prepared statements: PREPARE, EXECUTE, DEALLOCATE (PostgreSQL's, which
 * Materialize keeps). A statement prepared this way is the same object the extended
 * protocol's Parse makes (`Session.prepare`): compiled and authorized at PREPARE, and again
 * at every EXECUTE, so a grant revoked in between is honoured. EXECUTE's arguments are
 * expressions; they are evaluated as one query through the front end and bound as the
 * statement's parameters in PostgreSQL's text form. The names live in the session, apart
 * from the protocol's named statements (docs/compat.md, "Sessions").
 */
import { SqlError, quoteIdent } from '../errors/index.js';
import type { Statement } from '../sql/ast.js';
import { tokenize } from '../sql/lexer.js';
import type { ExecContext, ExecOutcome, PreparedStatement } from './api.js';
import { textRowsOf } from './engine-query.js';
import type { HandlerSession } from './services.js';

export interface PreparedSession extends HandlerSession {
  /** PREPAREd statements by name. */
  readonly sqlPrepared: Map<string, PreparedStatement>;
  prepare(sql: string, paramOids: number[]): Promise<PreparedStatement>;
  execute(stmt: PreparedStatement, params: (string | null)[], ctx: ExecContext): Promise<ExecOutcome>;
}

export async function sequencePrepared(
  session: PreparedSession,
  stmt: Statement & { kind: 'prepare' | 'execute' | 'deallocate' },
  ctx: ExecContext,
): Promise<ExecOutcome> {
  const missing = (name: string): SqlError =>
    new SqlError('26000', `prepared statement ${quoteIdent(name)} does not exist`);
  switch (stmt.kind) {
    case 'prepare': {
      if (session.sqlPrepared.has(stmt.name))
        throw new SqlError('42P05', `prepared statement ${quoteIdent(stmt.name)} already exists`);
      const prepared = await session.prepare(typedParams(stmt.body, stmt.types), []);
      session.sqlPrepared.set(stmt.name, prepared);
      return { kind: 'command', tag: 'PREPARE' };
    }
    case 'execute': {
      const prepared = session.sqlPrepared.get(stmt.name);
      if (!prepared) throw missing(stmt.name);
      if (stmt.args.length !== prepared.paramOids.length) {
        throw new SqlError('42601', `wrong number of parameters for prepared statement ${quoteIdent(stmt.name)}`, {
          detail: `Expected ${prepared.paramOids.length} parameters but got ${stmt.args.length}.`,
        });
      }
      return session.execute(prepared, await argumentValues(session, stmt.args), ctx);
    }
    case 'deallocate':
      if (stmt.name === null) {
        session.sqlPrepared.clear();
        return { kind: 'command', tag: 'DEALLOCATE ALL' };
      }
      if (!session.sqlPrepared.delete(stmt.name)) throw missing(stmt.name);
      return { kind: 'command', tag: 'DEALLOCATE' };
  }
}

/**
 * The statement with each `$n` that has a declared type written as `CAST($n AS type)`, so
 * that the engine types the parameter as declared (PREPARE's type list). The body is still
 * parsed, resolved and authorized by the front end as a whole.
 */
function typedParams(body: string, types: string[]): string {
  if (types.length === 0) return body;
  let out = '';
  let at = 0;
  for (const t of tokenize(body)) {
    if (t.kind !== 'param') continue;
    const type = types[Number(t.value) - 1];
    if (type === undefined) continue;
    out += `${body.slice(at, t.start)}CAST(${t.text} AS ${type})`;
    at = t.end;
  }
  return out + body.slice(at);
}

/** EXECUTE's argument expressions, evaluated together, as PostgreSQL text values. */
async function argumentValues(session: HandlerSession, args: string[]): Promise<(string | null)[]> {
  if (args.length === 0) return [];
  const compiled = await session.compileQuery(`SELECT ${args.map((a) => `(${a})`).join(', ')}`);
  const [first] = await textRowsOf(session.conn, compiled.engineSql, 1);
  return first ?? args.map(() => null);
}
