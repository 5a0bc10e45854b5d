/**
 * The catalog: ids (`u1`, `u2`, … never reused), the environment id, roles, objects,
 * privileges and secrets, stored in the `__ferry` schema of the engine's database file
 * (see bootstrap.ts). Every function takes the *session's* engine connection, so catalog
 * reads and writes join that session's transaction: DDL and its catalog entry commit or
 * roll back together.
 *
 * This layer does not parse SQL and does not talk to clients; privilege *checks* live here
 * because they are facts about catalog contents, while the decision of which check a
 * statement needs belongs to the adapter.
 */
import { randomUUID } from 'node:crypto';
import type { DuckDBConnection } from '@duckdb/node-api';
import { textCell, textCellOrNull } from '../engine/cells.js';
import { SqlError } from '../errors/index.js';
import { BOOTSTRAP_SQL, CATALOG_VIEWS_SQL, INTERNAL_SCHEMA } from './bootstrap.js';

export { INTERNAL_SCHEMA, SYSTEM_SCHEMAS } from './bootstrap.js';

export const DEFAULT_ROLE = 'materialize';
export const DEFAULT_DATABASE = 'materialize';
export const DEFAULT_SCHEMA = 'public';
/** Grantee id standing for PUBLIC in grants. */
export const PUBLIC_GRANTEE = 'p';

export type ItemKind =
  'table' | 'view' | 'materialized-view' | 'source' | 'connection' | 'secret' | 'export' | 'index' | 'type';

export interface CatalogObject {
  id: string;
  oid: number;
  kind: ItemKind | 'schema' | 'database';
  schemaName: string | null;
  name: string;
  ownerId: string;
  createSql: string | null;
  redactedSql: string | null;
  details: Record<string, unknown>;
}

export interface Role {
  id: string;
  oid: number;
  name: string;
  login: boolean;
  superuser: boolean;
  inherit: boolean;
  createrole: boolean;
  createdb: boolean;
  scram: string | null;
}

/** Privilege letters as in PostgreSQL's aclitem. */
export type Privilege = 'r' | 'a' | 'w' | 'd' | 'U' | 'C';
export const PRIVILEGE_NAMES: Record<string, Privilege> = {
  SELECT: 'r',
  INSERT: 'a',
  UPDATE: 'w',
  DELETE: 'd',
  USAGE: 'U',
  CREATE: 'C',
};

const T = INTERNAL_SCHEMA;

type Row = Record<string, unknown>;

export async function queryRows(
  conn: DuckDBConnection,
  sql: string,
  params: (string | number | boolean | null)[] = [],
): Promise<Row[]> {
  const reader = await conn.runAndReadAll(sql, params);
  return reader.getRowObjectsJS();
}

async function exec(
  conn: DuckDBConnection,
  sql: string,
  params: (string | number | boolean | null)[] = [],
): Promise<void> {
  await conn.run(sql, params);
}

async function getMeta(conn: DuckDBConnection, key: string): Promise<string | null> {
  const rows = await queryRows(conn, `SELECT value FROM ${T}.meta WHERE key = $1`, [key]);
  return rows.length ? String(rows[0]!.value) : null;
}

async function setMeta(conn: DuckDBConnection, key: string, value: string): Promise<void> {
  await exec(conn, `INSERT OR REPLACE INTO ${T}.meta VALUES ($1, $2)`, [key, value]);
}

/**
 * Allocates the next id of a counter (`u<N>`), inside the caller's transaction. A rolled
 * back statement does not consume its id; a committed one never gives it out again.
 */
export async function allocateId(conn: DuckDBConnection, counter: 'item' | 'role'): Promise<string> {
  const key = `next_${counter}_id`;
  const n = Number((await getMeta(conn, key)) ?? '1');
  await setMeta(conn, key, String(n + 1));
  return `u${n}`;
}

/** OIDs for user objects start where PostgreSQL's user OIDs do. */
export async function allocateOid(conn: DuckDBConnection): Promise<number> {
  const n = Number((await getMeta(conn, 'next_oid')) ?? '20000');
  await setMeta(conn, 'next_oid', String(n + 1));
  return n;
}

export interface BootstrapResult {
  environmentId: string;
  created: boolean;
}

/** Creates the catalog on first start; on later starts only refreshes the views. */
export async function bootstrap(conn: DuckDBConnection): Promise<BootstrapResult> {
  await conn.run('BEGIN');
  try {
    await conn.run(BOOTSTRAP_SQL);
    let environmentId = await getMeta(conn, 'environment_id');
    const created = environmentId === null;
    if (environmentId === null) {
      environmentId = randomUUID();
      await setMeta(conn, 'environment_id', environmentId);
      const roleId = await allocateId(conn, 'role');
      await exec(conn, `INSERT INTO ${T}.roles VALUES ($1, $2, $3, true, true, true, true, true, NULL)`, [
        roleId,
        await allocateOid(conn),
        DEFAULT_ROLE,
      ]);
      await insertObject(conn, {
        id: await allocateId(conn, 'item'),
        kind: 'database',
        schemaName: null,
        name: DEFAULT_DATABASE,
        ownerId: roleId,
        createSql: null,
        redactedSql: null,
        details: {},
      });
      const schemaId = await allocateId(conn, 'item');
      await insertObject(conn, {
        id: schemaId,
        kind: 'schema',
        schemaName: null,
        name: DEFAULT_SCHEMA,
        ownerId: roleId,
        createSql: null,
        redactedSql: null,
        details: {},
      });
      // As in Materialize: everyone may use the public schema; creating in it needs a grant.
      await exec(conn, `INSERT INTO ${T}.grants VALUES ($1, $2, 'U', $3)`, [schemaId, PUBLIC_GRANTEE, roleId]);
    }
    await conn.run(CATALOG_VIEWS_SQL);
    await conn.run('COMMIT');
    return { environmentId, created };
  } catch (err) {
    await conn.run('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

export async function insertObject(
  conn: DuckDBConnection,
  o: Omit<CatalogObject, 'oid'> & { oid?: number },
): Promise<CatalogObject> {
  const oid = o.oid ?? (await allocateOid(conn));
  await exec(
    conn,
    `INSERT INTO ${T}.objects (id, oid, kind, schema_name, name, owner_id, create_sql, redacted_sql, details) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [o.id, oid, o.kind, o.schemaName, o.name, o.ownerId, o.createSql, o.redactedSql, JSON.stringify(o.details)],
  );
  return { ...o, oid };
}

export async function updateObject(
  conn: DuckDBConnection,
  id: string,
  fields: Partial<Pick<CatalogObject, 'name' | 'ownerId' | 'createSql' | 'redactedSql' | 'details' | 'schemaName'>>,
): Promise<void> {
  const sets: string[] = [];
  const params: (string | null)[] = [];
  const add = (col: string, v: string | null): void => {
    params.push(v);
    sets.push(`${col} = $${params.length}`);
  };
  if (fields.name !== undefined) add('name', fields.name);
  if (fields.schemaName !== undefined) add('schema_name', fields.schemaName);
  if (fields.ownerId !== undefined) add('owner_id', fields.ownerId);
  if (fields.createSql !== undefined) add('create_sql', fields.createSql);
  if (fields.redactedSql !== undefined) add('redacted_sql', fields.redactedSql);
  if (fields.details !== undefined) add('details', JSON.stringify(fields.details));
  if (sets.length === 0) return;
  params.push(id);
  await exec(conn, `UPDATE ${T}.objects SET ${sets.join(', ')} WHERE id = $${params.length}`, params);
}

export async function deleteObject(conn: DuckDBConnection, id: string): Promise<void> {
  await exec(conn, `DELETE FROM ${T}.objects WHERE id = $1`, [id]);
  await exec(conn, `DELETE FROM ${T}.grants WHERE object_id = $1`, [id]);
  await exec(conn, `DELETE FROM ${T}.dependencies WHERE object_id = $1 OR depends_on = $1`, [id]);
  await exec(conn, `DELETE FROM ${T}.secret_values WHERE id = $1`, [id]);
}

function toObject(r: Row): CatalogObject {
  return {
    id: String(r.id),
    oid: Number(r.oid),
    kind: r.kind as CatalogObject['kind'],
    schemaName: textCellOrNull(r.schema_name),
    name: String(r.name),
    ownerId: String(r.owner_id),
    createSql: textCellOrNull(r.create_sql),
    redactedSql: textCellOrNull(r.redacted_sql),
    // details is a JSON column: DuckDB hands it over as its text.
    details: r.details ? (JSON.parse(textCell(r.details)) as Record<string, unknown>) : {},
  };
}

const OBJECT_COLS = 'id, oid, kind, schema_name, name, owner_id, create_sql, redacted_sql, details';

export async function getObjectById(conn: DuckDBConnection, id: string): Promise<CatalogObject | null> {
  const rows = await queryRows(conn, `SELECT ${OBJECT_COLS} FROM ${T}.objects WHERE id = $1`, [id]);
  return rows.length ? toObject(rows[0]!) : null;
}

/** Looks an item up by schema and name (any item kind; names are unique per schema). */
export async function findItem(
  conn: DuckDBConnection,
  schemaName: string,
  name: string,
): Promise<CatalogObject | null> {
  const rows = await queryRows(
    conn,
    `SELECT ${OBJECT_COLS} FROM ${T}.objects WHERE schema_name = $1 AND name = $2 AND kind NOT IN ('schema', 'database')`,
    [schemaName, name],
  );
  return rows.length ? toObject(rows[0]!) : null;
}

export async function findSchema(conn: DuckDBConnection, name: string): Promise<CatalogObject | null> {
  const rows = await queryRows(conn, `SELECT ${OBJECT_COLS} FROM ${T}.objects WHERE kind = 'schema' AND name = $1`, [
    name,
  ]);
  return rows.length ? toObject(rows[0]!) : null;
}

export async function listItems(conn: DuckDBConnection, kinds: string[]): Promise<CatalogObject[]> {
  // Kinds are the catalog's own constants, bound one parameter each.
  const params = kinds.map((_, i) => `$${i + 1}`).join(', ');
  const rows = await queryRows(
    conn,
    `SELECT ${OBJECT_COLS} FROM ${T}.objects WHERE kind IN (${params}) ORDER BY id`,
    kinds,
  );
  return rows.map(toObject);
}

export async function getEnvironmentId(conn: DuckDBConnection): Promise<string> {
  const v = await getMeta(conn, 'environment_id');
  if (v === null) throw new SqlError('XX000', 'catalog is not initialized');
  return v;
}

// ---------------------------------------------------------------------------------------
// Roles

function toRole(r: Row): Role {
  return {
    id: String(r.id),
    oid: Number(r.oid),
    name: String(r.name),
    login: Boolean(r.login),
    superuser: Boolean(r.superuser),
    inherit: Boolean(r.inherit),
    createrole: Boolean(r.createrole),
    createdb: Boolean(r.createdb),
    scram: textCellOrNull(r.scram),
  };
}

export async function findRole(conn: DuckDBConnection, name: string): Promise<Role | null> {
  const rows = await queryRows(conn, `SELECT * FROM ${T}.roles WHERE name = $1`, [name]);
  return rows.length ? toRole(rows[0]!) : null;
}

export async function getRoleById(conn: DuckDBConnection, id: string): Promise<Role | null> {
  const rows = await queryRows(conn, `SELECT * FROM ${T}.roles WHERE id = $1`, [id]);
  return rows.length ? toRole(rows[0]!) : null;
}

export async function insertRole(conn: DuckDBConnection, r: Omit<Role, 'id' | 'oid'>): Promise<Role> {
  const id = await allocateId(conn, 'role');
  const oid = await allocateOid(conn);
  await exec(conn, `INSERT INTO ${T}.roles VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, [
    id,
    oid,
    r.name,
    r.login,
    r.superuser,
    r.inherit,
    r.createrole,
    r.createdb,
    r.scram,
  ]);
  return { ...r, id, oid };
}

export async function updateRole(conn: DuckDBConnection, r: Role): Promise<void> {
  await exec(
    conn,
    `UPDATE ${T}.roles SET login = $2, superuser = $3, inherit = $4, createrole = $5, createdb = $6, scram = $7 WHERE id = $1`,
    [r.id, r.login, r.superuser, r.inherit, r.createrole, r.createdb, r.scram],
  );
}

export async function deleteRole(conn: DuckDBConnection, id: string): Promise<void> {
  const owned = await queryRows(conn, `SELECT name FROM ${T}.objects WHERE owner_id = $1 LIMIT 1`, [id]);
  if (owned.length) {
    const role = await getRoleById(conn, id);
    throw new SqlError('2BP01', `role "${role?.name ?? id}" cannot be dropped because some objects depend on it`, {
      detail: `owner of ${String(owned[0]!.name)}`,
    });
  }
  await exec(conn, `DELETE FROM ${T}.roles WHERE id = $1`, [id]);
  await exec(conn, `DELETE FROM ${T}.grants WHERE grantee_id = $1`, [id]);
  await exec(conn, `DELETE FROM ${T}.role_members WHERE role_id = $1 OR member_id = $1`, [id]);
}

export async function addRoleMember(conn: DuckDBConnection, roleId: string, memberId: string): Promise<void> {
  await exec(conn, `DELETE FROM ${T}.role_members WHERE role_id = $1 AND member_id = $2`, [roleId, memberId]);
  await exec(conn, `INSERT INTO ${T}.role_members VALUES ($1, $2)`, [roleId, memberId]);
}

export async function removeRoleMember(conn: DuckDBConnection, roleId: string, memberId: string): Promise<void> {
  await exec(conn, `DELETE FROM ${T}.role_members WHERE role_id = $1 AND member_id = $2`, [roleId, memberId]);
}

// ---------------------------------------------------------------------------------------
// Privileges

export async function grant(
  conn: DuckDBConnection,
  objectId: string,
  granteeId: string,
  priv: Privilege,
  grantorId: string,
): Promise<void> {
  await revoke(conn, objectId, granteeId, priv);
  await exec(conn, `INSERT INTO ${T}.grants VALUES ($1, $2, $3, $4)`, [objectId, granteeId, priv, grantorId]);
}

export async function revoke(
  conn: DuckDBConnection,
  objectId: string,
  granteeId: string,
  priv: Privilege,
): Promise<void> {
  await exec(conn, `DELETE FROM ${T}.grants WHERE object_id = $1 AND grantee_id = $2 AND privilege = $3`, [
    objectId,
    granteeId,
    priv,
  ]);
}

/** Role ids whose privileges `role` holds: itself and, with INHERIT, the roles it is a member of. */
async function effectiveRoleIds(conn: DuckDBConnection, role: Role): Promise<string[]> {
  const ids = [role.id];
  if (!role.inherit) return ids;
  const rows = await queryRows(
    conn,
    `WITH RECURSIVE m(id) AS (SELECT role_id FROM ${T}.role_members WHERE member_id = $1
       UNION SELECT rm.role_id FROM ${T}.role_members rm JOIN m ON rm.member_id = m.id) SELECT id FROM m`,
    [role.id],
  );
  return ids.concat(rows.map((r) => String(r.id)));
}

export async function hasPrivilege(
  conn: DuckDBConnection,
  role: Role,
  obj: CatalogObject,
  priv: Privilege,
): Promise<boolean> {
  if (role.superuser) return true;
  const ids = await effectiveRoleIds(conn, role);
  if (ids.includes(obj.ownerId)) return true;
  const rows = await queryRows(
    conn,
    `SELECT 1 FROM ${T}.grants WHERE object_id = $1 AND privilege = $2 AND (grantee_id = '${PUBLIC_GRANTEE}' OR list_contains($3::TEXT[], grantee_id)) LIMIT 1`,
    [obj.id, priv, `[${ids.join(',')}]`],
  );
  return rows.length > 0;
}

export async function isOwner(conn: DuckDBConnection, role: Role, obj: CatalogObject): Promise<boolean> {
  if (role.superuser) return true;
  return (await effectiveRoleIds(conn, role)).includes(obj.ownerId);
}

/** Materialize's names for object kinds in privilege errors, e.g. `TABLE`, `CONNECTION`. */
export function kindLabel(kind: CatalogObject['kind']): string {
  switch (kind) {
    case 'materialized-view':
      return 'MATERIALIZED VIEW';
    default:
      return kind.toUpperCase();
  }
}

export function fullName(obj: Pick<CatalogObject, 'schemaName' | 'name'> & { kind?: CatalogObject['kind'] }): string {
  if (obj.kind === 'schema') return `${DEFAULT_DATABASE}.${obj.name}`;
  return obj.schemaName === null ? obj.name : `${DEFAULT_DATABASE}.${obj.schemaName}.${obj.name}`;
}

/** `42501 permission denied for TABLE "materialize.public.t"` with Materialize's DETAIL. */
export function permissionDenied(obj: CatalogObject, role: Role, privName: string): SqlError {
  const label = kindLabel(obj.kind);
  const name = fullName(obj);
  return new SqlError('42501', `permission denied for ${label} "${name}"`, {
    detail: `The '${role.name}' role needs ${privName} privileges on ${label} "${name}"`,
  });
}

export async function addDependency(conn: DuckDBConnection, objectId: string, dependsOn: string): Promise<void> {
  await exec(conn, `INSERT INTO ${T}.dependencies VALUES ($1, $2)`, [objectId, dependsOn]);
}

export async function dependents(conn: DuckDBConnection, id: string): Promise<CatalogObject[]> {
  const rows = await queryRows(
    conn,
    `SELECT ${OBJECT_COLS} FROM ${T}.objects WHERE id IN (SELECT object_id FROM ${T}.dependencies WHERE depends_on = $1)`,
    [id],
  );
  return rows.map(toObject);
}

export async function putSecretValue(conn: DuckDBConnection, id: string, ciphertext: Buffer): Promise<void> {
  await exec(conn, `DELETE FROM ${T}.secret_values WHERE id = $1`, [id]);
  await conn.run(`INSERT INTO ${T}.secret_values VALUES ($1, from_base64($2))`, [id, ciphertext.toString('base64')]);
}

export async function getSecretValue(conn: DuckDBConnection, id: string): Promise<Buffer | null> {
  const rows = await queryRows(conn, `SELECT to_base64(ciphertext) AS c FROM ${T}.secret_values WHERE id = $1`, [id]);
  return rows.length ? Buffer.from(String(rows[0]!.c), 'base64') : null;
}
