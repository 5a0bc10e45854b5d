/**
 * Authorization: the one check over a plan before it runs, exhaustive over plan kinds.
 * For engine plans the privileges follow from what the front end resolved (every relation
 * read, written, owned or created); Materialize derives them the same way from its
 * resolved plans. docs/security.md has the table of what each statement needs.
 */
import * as catalog from '../catalog/index.js';
import { SqlError } from '../errors/index.js';
import { type CompiledStatement, type ResolvedRelation, writeTargetError } from '../sql/frontend.js';
import type { Plan } from '../sql/plan.js';
import type { HandlerSession } from './services.js';

export async function authorizePlan(session: HandlerSession, plan: Plan): Promise<void> {
  switch (plan.kind) {
    case 'read':
    case 'write':
    case 'schema-change':
      return authorizeCompiled(session, plan.compiled);
    // Statements that change nothing but the session, or answer from the catalog what
    // every role may see (mz_catalog is readable by all, as in Materialize).
    case 'empty':
    case 'transaction':
    case 'variable':
    case 'show':
      return;
    // The prepared statement is compiled and authorized when PREPARE runs and again at
    // each EXECUTE (grants change without DDL); EXECUTE's arguments are a query of their own.
    case 'prepared':
      return;
    // These check in the order their specifications fix, so that the first error a user
    // sees is the one Materialize reports: COPY … TO in its numbered checks (check 11:
    // SELECT through the front end, then USAGE on the connection; docs/exports.md),
    // COPY … TO STDOUT through the front end, COPY … FROM STDIN INSERT on the table;
    // roles, grants and ownership (src/adapter/ddl.ts: CREATEROLE, grant options,
    // ownership); drops (ownership); connections, secrets, exports and sources in their
    // units (ownership, CREATE on the schema, USAGE on connections and secrets).
    case 'copy':
    case 'access-control':
    case 'drop-objects':
    case 'extension':
      return;
    default: {
      const never: never = plan;
      throw new SqlError('XX000', `no authorization rule for ${(never as Plan).kind}`);
    }
  }
}

/**
 * SELECT on every relation read (a view as itself), INSERT / UPDATE / DELETE on what is
 * written, ownership for ALTER, DROP, CREATE INDEX and OR REPLACE, CREATE on the schema of
 * a new object. System relations are readable by everyone; the front end refuses writes to
 * them. Writes to views and sources are refused after this check, so that a role without
 * privileges learns nothing more than `permission denied`.
 */
export async function authorizeCompiled(session: HandlerSession, c: CompiledStatement): Promise<void> {
  if (!session.role.superuser) {
    const seen = new Set<string>();
    const need = async (rel: ResolvedRelation, priv: catalog.Privilege, name: string): Promise<void> => {
      if (rel.id === null || seen.has(`${rel.id}${priv}`)) return;
      seen.add(`${rel.id}${priv}`);
      const obj = await catalog.getObjectById(session.conn, rel.id);
      if (!obj) throw new SqlError('42P01', `unknown catalog item '${rel.name}'`);
      await usage(obj.schemaName);
      await session.requirePrivilege(obj, priv, name);
    };
    // As in Materialize, naming anything in a schema needs USAGE on it (PUBLIC has it on
    // `public`; system schemas are open to all).
    const usage = async (schemaName: string | null): Promise<void> => {
      if (schemaName === null || seen.has(`schema:${schemaName}`)) return;
      seen.add(`schema:${schemaName}`);
      if (catalog.SYSTEM_SCHEMAS.includes(schemaName)) return;
      const schema = await catalog.findSchema(session.conn, schemaName);
      if (schema) await session.requirePrivilege(schema, 'U', 'USAGE');
    };
    for (const w of c.writes) {
      const priv = w.priv === 'insert' ? 'a' : w.priv === 'update' ? 'w' : 'd';
      await need(w.rel, priv, w.priv.toUpperCase());
    }
    for (const r of c.reads) await need(r, 'r', 'SELECT');
    for (const o of c.owns) {
      if (o.id === null) throw new SqlError('42501', `must be owner of ${o.schema}.${o.name}`);
      const obj = await catalog.getObjectById(session.conn, o.id);
      if (obj) await session.requireOwner(obj);
    }
    if (c.creates) await session.requireCreateIn(c.creates.schema);
    if (c.schemaCreate !== null && !session.role.createdb) {
      throw new SqlError('42501', `permission denied for DATABASE "${catalog.DEFAULT_DATABASE}"`, {
        detail: `The '${session.role.name}' role needs CREATE privileges on DATABASE "${catalog.DEFAULT_DATABASE}"`,
      });
    }
    for (const name of c.schemaDrops) {
      const schema = await catalog.findSchema(session.conn, name);
      if (schema) await session.requireOwner(schema);
    }
  }
  const refused = writeTargetError(c);
  if (refused) throw refused;
}
