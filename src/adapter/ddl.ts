/**
 * Statements about the catalog itself: roles, grants, ownership, SHOW and SHOW CREATE,
 * DROP of Ferry-owned objects, and keeping catalog entries in step with DDL the engine ran.
 * Secrets, connections, sources and exports are handled by the units registered in
 * `Services.extraHandlers`.
 */
import * as catalog from '../catalog/index.js';
import { makeScramVerifier } from '../catalog/scram.js';
import { SqlError, quoteIdent, unsupported } from '../errors/index.js';
import type { ObjectKind, QualifiedName, Statement } from '../sql/ast.js';
import type { CompiledStatement } from '../sql/frontend.js';
import { tokenize } from '../sql/lexer.js';
import type { ExecContext, ExecOutcome, FieldDesc } from './api.js';
import { textRowsOf } from './engine-query.js';
import { staticRows, textField } from './results.js';
import type { HandlerSession } from './services.js';

const T = catalog.INTERNAL_SCHEMA;

export async function handleDdl(
  session: HandlerSession,
  stmt: Statement,
  sql: string,
  ctx: ExecContext,
): Promise<ExecOutcome> {
  const extra = session.services.extraHandlers.get(
    stmt.kind === 'drop-objects' ? `drop-${stmt.objectKind}` : stmt.kind,
  );
  if (extra) return extra(session, stmt, sql, ctx);
  switch (stmt.kind) {
    case 'create-role':
    case 'alter-role':
    case 'drop-role':
      return session.atomically(() => roleStatement(session, stmt));
    case 'grant':
    case 'revoke':
      return session.atomically(() => grantStatement(session, stmt));
    case 'grant-role':
    case 'revoke-role':
      return session.atomically(() => roleMembership(session, stmt));
    case 'alter-owner':
      return session.atomically(() => alterOwner(session, stmt));
    case 'drop-objects':
      if (stmt.objectKind === 'materialized-view') {
        return session.atomically(async () => {
          for (const name of stmt.names) {
            const obj = await session.findItem(name);
            if (!obj) {
              if (stmt.ifExists) {
                ctx.notice({
                  severity: 'NOTICE',
                  code: '00000',
                  message: `materialized view "${name.parts.join('.')}" does not exist, skipping`,
                });
                continue;
              }
              throw new SqlError('42704', `unknown catalog item '${name.parts.join('.')}'`);
            }
            if (obj.kind !== 'materialized-view')
              throw new SqlError(
                '42809',
                `${catalog.fullName(obj)} is a ${obj.kind.replace('-', ' ')} not a materialized view`,
              );
            await session.requireOwner(obj);
            await session.engineRun(
              `DROP VIEW ${quoteIdent(obj.schemaName!)}.${quoteIdent(obj.name)}${stmt.cascade ? ' CASCADE' : ''}`,
            );
            await syncCatalog(session, null);
          }
          return { kind: 'command', tag: 'DROP MATERIALIZED VIEW' };
        });
      }
      throw unsupported(`DROP ${stmt.objectKind.toUpperCase()}`);
    default:
      throw unsupported(describeKind(stmt));
  }
}

function describeKind(stmt: Statement): string {
  return stmt.kind.replace(/-/g, ' ').toUpperCase();
}

async function roleStatement(
  session: HandlerSession,
  stmt: Statement & { kind: 'create-role' | 'alter-role' | 'drop-role' },
): Promise<ExecOutcome> {
  const me = session.role;
  if (!me.superuser && !me.createrole)
    throw new SqlError('42501', 'permission denied to create role', {
      detail: `The '${me.name}' role needs the CREATEROLE attribute.`,
    });
  const conn = session.conn;
  if (stmt.kind === 'drop-role') {
    for (const name of stmt.names) {
      const r = await catalog.findRole(conn, name);
      if (!r) {
        if (stmt.ifExists) continue;
        throw new SqlError('42704', `unknown role '${name}'`);
      }
      if (r.id === me.id) throw new SqlError('55006', 'current role cannot be dropped');
      if (r.name === catalog.DEFAULT_ROLE) throw new SqlError('42501', `cannot drop the default role "${r.name}"`);
      await catalog.deleteRole(conn, r.id);
    }
    return { kind: 'command', tag: 'DROP ROLE' };
  }
  const apply = (r: Omit<catalog.Role, 'id' | 'oid'>): void => {
    for (const o of stmt.options) {
      switch (o.kind) {
        case 'login':
          r.login = o.value;
          break;
        case 'superuser':
          if (!me.superuser)
            throw new SqlError('42501', 'permission denied to set SUPERUSER', {
              detail: 'Only superusers may create or alter superusers.',
            });
          r.superuser = o.value;
          break;
        case 'inherit':
          r.inherit = o.value;
          break;
        case 'createrole':
          r.createrole = o.value;
          break;
        case 'createdb':
          r.createdb = o.value;
          break;
        case 'createcluster':
          break;
        case 'password':
          r.scram = o.value === null ? null : makeScramVerifier(o.value);
          break;
      }
    }
  };
  if (stmt.kind === 'create-role') {
    if (/^(mz_|pg_)/.test(stmt.name) || stmt.name === 'public')
      throw new SqlError('42939', `role name "${stmt.name}" is reserved`);
    if (await catalog.findRole(conn, stmt.name)) {
      if (stmt.ifNotExists) return { kind: 'command', tag: 'CREATE ROLE' };
      throw new SqlError('42710', `role '${stmt.name}' already exists`);
    }
    const r = {
      name: stmt.name,
      login: false,
      superuser: false,
      inherit: true,
      createrole: false,
      createdb: false,
      scram: null as string | null,
    };
    apply(r);
    await catalog.insertRole(conn, r);
    session.log.info('role created', { role: stmt.name });
    return { kind: 'command', tag: 'CREATE ROLE' };
  }
  const r = await catalog.findRole(conn, stmt.name);
  if (!r) throw new SqlError('42704', `unknown role '${stmt.name}'`);
  apply(r);
  await catalog.updateRole(conn, r);
  return { kind: 'command', tag: 'ALTER ROLE' };
}

const KIND_PRIVS: Partial<Record<ObjectKind, string[]>> = {
  table: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
  view: ['SELECT'],
  'materialized-view': ['SELECT'],
  source: ['SELECT'],
  connection: ['USAGE'],
  secret: ['USAGE'],
  schema: ['USAGE', 'CREATE'],
  database: ['USAGE', 'CREATE'],
  cluster: ['USAGE', 'CREATE'],
};

async function grantStatement(
  session: HandlerSession,
  stmt: Statement & { kind: 'grant' | 'revoke' },
): Promise<ExecOutcome> {
  const conn = session.conn;
  const targets: catalog.CatalogObject[] = [];
  if (stmt.allInSchema) {
    for (const s of stmt.objects) {
      const kinds = stmt.objectKind === 'table' ? ['table', 'view', 'materialized-view', 'source'] : [stmt.objectKind];
      const items = await catalog.listItems(conn, kinds);
      targets.push(...items.filter((o) => o.schemaName === s.parts[s.parts.length - 1]));
    }
  } else {
    for (const name of stmt.objects) {
      if (stmt.objectKind === 'schema') {
        const s = await catalog.findSchema(conn, name.parts[name.parts.length - 1]!);
        if (!s) throw new SqlError('3F000', `unknown schema '${name.parts.join('.')}'`);
        targets.push(s);
      } else if (stmt.objectKind === 'database' || stmt.objectKind === 'cluster') {
        // One database and one cluster: privileges on them are accepted and mean nothing more.
        continue;
      } else {
        const obj = await session.resolveItem(name);
        const fits =
          stmt.objectKind === 'table'
            ? ['table', 'view', 'materialized-view', 'source'].includes(obj.kind)
            : obj.kind === stmt.objectKind;
        if (!fits)
          throw new SqlError('42809', `${catalog.fullName(obj)} is not a ${stmt.objectKind.replace('-', ' ')}`);
        targets.push(obj);
      }
    }
  }
  const grantees: string[] = [];
  for (const r of stmt.roles) {
    if (r === 'public') grantees.push(catalog.PUBLIC_GRANTEE);
    else {
      const role = await catalog.findRole(conn, r);
      if (!role) throw new SqlError('42704', `unknown role '${r}'`);
      grantees.push(role.id);
    }
  }
  for (const obj of targets) {
    await session.requireOwner(obj);
    const allowed = KIND_PRIVS[obj.kind as ObjectKind] ?? [];
    const privs = stmt.privileges === 'ALL' ? allowed : stmt.privileges;
    for (const p of privs) {
      const letter = catalog.PRIVILEGE_NAMES[p];
      if (!letter || !allowed.includes(p))
        throw new SqlError('0LP01', `invalid privilege types ${p} for ${catalog.kindLabel(obj.kind)}`);
      for (const g of grantees) {
        if (stmt.kind === 'grant') await catalog.grant(conn, obj.id, g, letter, obj.ownerId);
        else await catalog.revoke(conn, obj.id, g, letter);
      }
    }
  }
  return { kind: 'command', tag: stmt.kind === 'grant' ? 'GRANT' : 'REVOKE' };
}

async function roleMembership(
  session: HandlerSession,
  stmt: Statement & { kind: 'grant-role' | 'revoke-role' },
): Promise<ExecOutcome> {
  if (!session.role.superuser && !session.role.createrole)
    throw new SqlError('42501', 'permission denied to grant role');
  for (const r of stmt.roles) {
    const role = await catalog.findRole(session.conn, r);
    if (!role) throw new SqlError('42704', `unknown role '${r}'`);
    for (const m of stmt.members) {
      const member = await catalog.findRole(session.conn, m);
      if (!member) throw new SqlError('42704', `unknown role '${m}'`);
      if (stmt.kind === 'grant-role') await catalog.addRoleMember(session.conn, role.id, member.id);
      else await catalog.removeRoleMember(session.conn, role.id, member.id);
    }
  }
  return { kind: 'command', tag: stmt.kind === 'grant-role' ? 'GRANT ROLE' : 'REVOKE ROLE' };
}

async function alterOwner(session: HandlerSession, stmt: Statement & { kind: 'alter-owner' }): Promise<ExecOutcome> {
  const obj =
    stmt.objectKind === 'schema'
      ? await catalog.findSchema(session.conn, stmt.name.parts[stmt.name.parts.length - 1]!)
      : await session.resolveItem(stmt.name);
  if (!obj) throw new SqlError('3F000', `unknown schema '${stmt.name.parts.join('.')}'`);
  await session.requireOwner(obj);
  const owner = await catalog.findRole(session.conn, stmt.owner);
  if (!owner) throw new SqlError('42704', `unknown role '${stmt.owner}'`);
  await catalog.updateObject(session.conn, obj.id, { ownerId: owner.id });
  return { kind: 'command', tag: `ALTER ${catalog.kindLabel(obj.kind)}` };
}

/**
 * Brings the catalog in step with the engine after DDL: relations the engine has and the
 * catalog lacks get new ids (and the statement's kind, e.g. materialized view); relations
 * the engine no longer has are removed. Runs inside the DDL statement's transaction.
 */
export async function syncCatalog(
  session: HandlerSession,
  created: { sql: string; creates: NonNullable<CompiledStatement['creates']> } | null,
): Promise<void> {
  const conn = session.conn;
  const engineRels = await catalog.queryRows(
    conn,
    `SELECT schema_name, table_name AS name, 'table' AS k, sql FROM duckdb_tables() WHERE database_name = current_database() AND NOT temporary
     UNION ALL SELECT schema_name, view_name, 'view', sql FROM duckdb_views() WHERE database_name = current_database() AND NOT internal AND NOT temporary`,
  );
  const skip = new Set([
    catalog.INTERNAL_SCHEMA,
    'mz_catalog',
    'mz_internal',
    'main',
    'pg_catalog',
    'information_schema',
  ]);
  await syncSchemas(session, skip);
  const present = new Map<string, { k: string; sql: string }>();
  for (const r of engineRels) {
    const s = String(r.schema_name);
    if (skip.has(s)) continue;
    present.set(`${s}.${String(r.name)}`, { k: String(r.k), sql: typeof r.sql === 'string' ? r.sql : '' });
  }
  const known = await catalog.listItems(conn, ['table', 'view', 'materialized-view', 'source']);
  // The object the statement created, as the front end resolved it (schema and exact name).
  const target = created ? `${created.creates.schema}.${created.creates.name}` : null;
  const describe = (
    kind: catalog.ItemKind,
    schemaName: string,
    name: string,
    engineSql: string,
  ): Pick<catalog.CatalogObject, 'createSql' | 'redactedSql' | 'details'> => {
    const text = created && target === `${schemaName}.${name}` ? created.sql : null;
    const createSql = text !== null ? normalizeCreate(text, kind, schemaName, name) : engineSql;
    const definition = kind !== 'table' ? (/\bas\s+([\s\S]*)$/i.exec(text ?? engineSql)?.[1]?.trim() ?? null) : null;
    return {
      createSql,
      redactedSql: createSql,
      details: definition ? { definition: definition.endsWith(';') ? definition : definition + ';' } : {},
    };
  };
  const knownKeys = new Set(known.map((o) => `${o.schemaName}.${o.name}`));
  const vanished = known.filter((o) => !present.has(`${o.schemaName}.${o.name}`));
  const appeared = [...present.keys()].filter((k) => !knownKeys.has(k));
  // ALTER … RENAME: one relation gone and one new of the same engine kind in the same
  // schema. It stays the same object (id, owner, grants, dependencies), as in Materialize.
  if (!created && vanished.length === 1 && appeared.length === 1) {
    const o = vanished[0]!;
    const key = appeared[0]!;
    const dot = key.indexOf('.');
    const eng = present.get(key)!;
    const engineKind = eng.k === 'view' ? ['view', 'materialized-view'] : ['table', 'source'];
    if (key.slice(0, dot) === o.schemaName && engineKind.includes(o.kind)) {
      await catalog.updateObject(conn, o.id, { name: key.slice(dot + 1), createSql: eng.sql, redactedSql: eng.sql });
      return;
    }
  }
  for (const o of known) {
    const key = `${o.schemaName}.${o.name}`;
    const eng = present.get(key);
    // A source's tables are dropped with the source; other vanished relations are removed.
    if (!eng) await catalog.deleteObject(conn, o.id);
    // CREATE OR REPLACE VIEW: the same object, with the new definition.
    else if (key === target)
      await catalog.updateObject(conn, o.id, describe(o.kind as catalog.ItemKind, o.schemaName!, o.name, eng.sql));
  }
  for (const [key, eng] of present) {
    if (knownKeys.has(key)) continue;
    const dot = key.indexOf('.');
    const schemaName = key.slice(0, dot);
    const name = key.slice(dot + 1);
    let kind: catalog.ItemKind = eng.k === 'view' ? 'view' : 'table';
    if (key === target && created!.creates.kind === 'materialized-view') kind = 'materialized-view';
    await catalog.insertObject(conn, {
      id: await catalog.allocateId(conn, 'item'),
      kind,
      schemaName,
      name,
      ownerId: session.role.id,
      ...describe(kind, schemaName, name, eng.sql),
    });
  }
}

/** CREATE / DROP SCHEMA: user schemas in the engine and in the catalog agree. */
async function syncSchemas(session: HandlerSession, skip: Set<string>): Promise<void> {
  const conn = session.conn;
  const engine = new Set(
    (
      await catalog.queryRows(
        conn,
        `SELECT schema_name FROM duckdb_schemas() WHERE database_name = current_database() AND NOT internal`,
      )
    )
      .map((r) => String(r.schema_name))
      .filter((n) => !skip.has(n) && !n.startsWith('__')),
  );
  const known = await catalog.queryRows(conn, `SELECT id, name FROM ${T}.objects WHERE kind = 'schema'`);
  const knownNames = new Set(known.map((r) => String(r.name)));
  for (const r of known) if (!engine.has(String(r.name))) await catalog.deleteObject(conn, String(r.id));
  for (const name of engine) {
    if (knownNames.has(name)) continue;
    const id = await catalog.allocateId(conn, 'item');
    await catalog.insertObject(conn, {
      id,
      kind: 'schema',
      schemaName: null,
      name,
      ownerId: session.role.id,
      createSql: null,
      redactedSql: null,
      details: {},
    });
  }
}

/** `CREATE TABLE t …` → `CREATE TABLE "materialize"."public"."t" …` (names fully qualified). */
function normalizeCreate(sql: string, kind: catalog.ItemKind, schemaName: string, name: string): string {
  const toks = tokenize(sql);
  const nameStart = (() => {
    let k = 1;
    const skip = [
      'or',
      'replace',
      'temp',
      'temporary',
      'unlogged',
      'table',
      'view',
      'materialized',
      'if',
      'not',
      'exists',
    ];
    while (toks[k] && toks[k]!.kind === 'word' && skip.includes(toks[k]!.value)) k++;
    return k;
  })();
  let end = nameStart;
  while (toks[end + 1]?.text === '.' && toks[end + 2]) end += 2;
  const a = toks[nameStart];
  const b = toks[end];
  const head =
    kind === 'materialized-view' ? 'CREATE MATERIALIZED VIEW' : kind === 'view' ? 'CREATE VIEW' : 'CREATE TABLE';
  if (!a || !b) return sql;
  return `${head} ${quoteIdent(catalog.DEFAULT_DATABASE)}.${quoteIdent(schemaName)}.${quoteIdent(name)}${sql.slice(b.end)}`;
}

// ---------------------------------------------------------------------------------------
// SHOW

const SHOW_QUERIES: Partial<Record<string, { kinds: string[]; cols: string }>> = {
  tables: { kinds: ['table'], cols: 'name, comment' },
  views: { kinds: ['view'], cols: 'name, comment' },
  'materialized views': { kinds: ['materialized-view'], cols: 'name, cluster, comment' },
  sources: { kinds: ['source'], cols: 'name, type, cluster, comment' },
  connections: { kinds: ['connection'], cols: 'name, type, comment' },
  secrets: { kinds: ['secret'], cols: 'name, comment' },
  objects: {
    kinds: ['table', 'view', 'materialized-view', 'source', 'connection', 'secret', 'export'],
    cols: 'name, type, comment',
  },
  exports: { kinds: ['export'], cols: 'name, schedule, paused, comment' },
};

function likeToRegex(pat: string): RegExp {
  let re = '';
  for (const ch of pat) re += ch === '%' ? '.*' : ch === '_' ? '.' : ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${re}$`, 's');
}

/**
 * A SHOW's rows, filtered by its WHERE clause when it has one. The condition is the user's
 * SQL over the SHOW's columns, so it goes through the front end like any query (compiled,
 * resolved, authorized, printed): the rows become a VALUES list it filters, in their order.
 */
async function showAnswer(
  session: HandlerSession,
  where: string | null,
  fields: FieldDesc[],
  rows: (string | null)[][],
  tag: (n: number) => string,
): Promise<ExecOutcome> {
  if (where === null) return staticRows(fields, rows, tag);
  const names = fields.map((f) => quoteIdent(f.name));
  const lit = (v: string | null): string => (v === null ? 'NULL::text' : `'${v.replace(/'/g, "''")}'::text`);
  const source = rows.length
    ? `(VALUES ${rows.map((r, i) => `(${i}, ${r.map(lit).join(', ')})`).join(', ')}) AS __show(__ord, ${names.join(', ')})`
    : `(SELECT 0 AS __ord, ${names.map((n) => `NULL::text AS ${n}`).join(', ')} WHERE false) AS __show`;
  const compiled = await session.compileQuery(
    `SELECT ${names.join(', ')} FROM ${source} WHERE ${where} ORDER BY __ord`,
  );
  return staticRows(fields, await textRowsOf(session.conn, compiled.engineSql), tag);
}

export async function handleShow(session: HandlerSession, stmt: Statement & { kind: 'show' }): Promise<ExecOutcome> {
  const like = stmt.like === null ? null : likeToRegex(stmt.like);
  const keep = (name: string): boolean => like === null || like.test(name);
  const conn = session.conn;
  if (stmt.what === 'schemas') {
    const rows = await catalog.queryRows(conn, `SELECT name FROM mz_catalog.mz_schemas ORDER BY name`);
    return showAnswer(
      session,
      stmt.where,
      [textField('name'), textField('comment')],
      rows
        .map((r) => String(r.name))
        .filter(keep)
        .map((n) => [n, '']),
      (n) => `SELECT ${n}`,
    );
  }
  if (stmt.what === 'databases') {
    return showAnswer(
      session,
      stmt.where,
      [textField('name'), textField('comment')],
      [[catalog.DEFAULT_DATABASE, '']].filter((r) => keep(r[0]!)),
      (n) => `SELECT ${n}`,
    );
  }
  if (stmt.what === 'clusters') {
    return showAnswer(
      session,
      stmt.where,
      [textField('name'), textField('replicas'), textField('comment')],
      [['quickstart', 'r1 (local)', '']].filter((r) => keep(r[0]!)),
      (n) => `SELECT ${n}`,
    );
  }
  if (stmt.what === 'roles') {
    const rows = await catalog.queryRows(conn, `SELECT name FROM ${T}.roles ORDER BY name`);
    return showAnswer(
      session,
      stmt.where,
      [textField('name'), textField('comment')],
      rows
        .map((r) => String(r.name))
        .filter(keep)
        .map((n) => [n, '']),
      (n) => `SELECT ${n}`,
    );
  }
  if (stmt.what === 'columns') {
    if (!stmt.onRelation) throw new SqlError('42601', 'SHOW COLUMNS requires FROM <relation>');
    const obj = await session.resolveItem(stmt.onRelation);
    await session.requirePrivilege(obj, 'r', 'SELECT');
    const rows = await catalog.queryRows(
      conn,
      `SELECT column_name, is_nullable, lower(data_type) AS t FROM duckdb_columns() WHERE database_name = current_database() AND schema_name = $1 AND table_name = $2 ORDER BY column_index`,
      [obj.schemaName, obj.name],
    );
    return showAnswer(
      session,
      stmt.where,
      [textField('name'), textField('nullable', 16), textField('type'), textField('comment')],
      rows
        .filter((r) => keep(String(r.column_name)))
        .map((r) => [String(r.column_name), r.is_nullable ? 't' : 'f', String(r.t), '']),
      (n) => `SELECT ${n}`,
    );
  }
  const q = SHOW_QUERIES[stmt.what];
  if (!q) throw unsupported(`SHOW ${stmt.what.toUpperCase()}`);
  const schema = stmt.from
    ? stmt.from.parts[stmt.from.parts.length - 1]!
    : (session.searchPath()[0] ?? catalog.DEFAULT_SCHEMA);
  if (stmt.from && !(await catalog.findSchema(conn, schema)) && !catalog.SYSTEM_SCHEMAS.includes(schema)) {
    throw new SqlError('3F000', `unknown schema '${schema}'`);
  }
  const items = (await catalog.listItems(conn, q.kinds)).filter((o) => o.schemaName === schema && keep(o.name));
  items.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const cols = q.cols.split(', ');
  const rows = items.map((o) =>
    cols.map((c) => {
      switch (c) {
        case 'name':
          return o.name;
        case 'comment':
          return '';
        case 'cluster':
          return 'quickstart';
        case 'type':
          return stmt.what === 'objects'
            ? o.kind.replace('-', ' ')
            : typeof o.details.type === 'string'
              ? o.details.type
              : o.kind;
        case 'schedule':
          return typeof o.details.schedule === 'string' ? o.details.schedule : '';
        case 'paused':
          return o.details.paused ? 't' : 'f';
        default:
          return null;
      }
    }),
  );
  return showAnswer(
    session,
    stmt.where,
    cols.map((c) => textField(c, c === 'paused' ? 16 : 25)),
    rows,
    (n) => `SELECT ${n}`,
  );
}

export async function handleShowCreate(
  session: HandlerSession,
  stmt: Statement & { kind: 'show-create' },
): Promise<ExecOutcome> {
  const obj = await session.resolveItem(stmt.name);
  const want = stmt.objectKind;
  const kindOk = want === obj.kind || (want === 'table' && obj.kind === 'table');
  if (!kindOk) throw new SqlError('42809', `${catalog.fullName(obj)} is not a ${want.replace('-', ' ')}`);
  if (obj.kind !== 'secret' && obj.kind !== 'connection' && !session.role.superuser) {
    // Seeing a definition needs some privilege on the object, as in Materialize.
    await session.requirePrivilege(obj, obj.kind === 'export' ? 'U' : 'r', 'SELECT');
  }
  let sql = obj.redactedSql ?? obj.createSql ?? '';
  if (obj.kind === 'table' && !obj.createSql) sql = await describeTable(session, obj);
  return staticRows([textField('name'), textField('create_sql')], [[catalog.fullName(obj), sql]], () => 'SELECT 1');
}

async function describeTable(session: HandlerSession, obj: catalog.CatalogObject): Promise<string> {
  const rows = await catalog.queryRows(
    session.conn,
    `SELECT column_name, data_type, is_nullable FROM duckdb_columns() WHERE database_name = current_database() AND schema_name = $1 AND table_name = $2 ORDER BY column_index`,
    [obj.schemaName, obj.name],
  );
  const cols = rows.map(
    (r) =>
      `${quoteIdent(String(r.column_name))} ${String(r.data_type).toLowerCase()}${r.is_nullable ? '' : ' NOT NULL'}`,
  );
  return `CREATE TABLE ${quoteIdent(catalog.DEFAULT_DATABASE)}.${quoteIdent(obj.schemaName!)}.${quoteIdent(obj.name)} (${cols.join(', ')})`;
}

export type { QualifiedName };
