/**
 * The catalog's storage: tables in the hidden `__ferry` schema of the same DuckDB file as
 * the data, so that a DDL statement and its catalog entry commit or roll back together,
 * and a crash can never leave one without the other. The `mz_catalog` / `mz_internal`
 * relations users query are views over these tables.
 */

export const INTERNAL_SCHEMA = '__ferry';
/** Schemas users may read but never write. */
export const SYSTEM_SCHEMAS = ['mz_catalog', 'mz_internal', 'pg_catalog', 'information_schema'];

export const BOOTSTRAP_SQL = `
CREATE SCHEMA IF NOT EXISTS public;
CREATE SCHEMA IF NOT EXISTS mz_catalog;
CREATE SCHEMA IF NOT EXISTS mz_internal;
CREATE SCHEMA IF NOT EXISTS ${INTERNAL_SCHEMA};
CREATE TABLE IF NOT EXISTS ${INTERNAL_SCHEMA}.meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ${INTERNAL_SCHEMA}.roles (
  id TEXT PRIMARY KEY, oid INTEGER NOT NULL, name TEXT NOT NULL UNIQUE,
  login BOOLEAN NOT NULL, superuser BOOLEAN NOT NULL, inherit BOOLEAN NOT NULL,
  createrole BOOLEAN NOT NULL, createdb BOOLEAN NOT NULL,
  -- SCRAM-SHA-256 verifier in PostgreSQL's pg_authid format, never the password.
  scram TEXT);
CREATE TABLE IF NOT EXISTS ${INTERNAL_SCHEMA}.role_members (role_id TEXT NOT NULL, member_id TEXT NOT NULL);
-- Databases, schemas and items (tables, views, sources, connections, secrets, exports).
CREATE TABLE IF NOT EXISTS ${INTERNAL_SCHEMA}.objects (
  id TEXT PRIMARY KEY, oid INTEGER NOT NULL, kind TEXT NOT NULL,
  schema_name TEXT, name TEXT NOT NULL, owner_id TEXT NOT NULL,
  create_sql TEXT, redacted_sql TEXT, details JSON,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now());
-- Explicit grants; owners hold every privilege implicitly. grantee 'p' is PUBLIC.
CREATE TABLE IF NOT EXISTS ${INTERNAL_SCHEMA}.grants (
  object_id TEXT NOT NULL, grantee_id TEXT NOT NULL, privilege TEXT NOT NULL, grantor_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ${INTERNAL_SCHEMA}.dependencies (object_id TEXT NOT NULL, depends_on TEXT NOT NULL);
-- Secret values, AES-256-GCM ciphertext only (src/catalog/secret-box.ts).
CREATE TABLE IF NOT EXISTS ${INTERNAL_SCHEMA}.secret_values (id TEXT PRIMARY KEY, ciphertext BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS ${INTERNAL_SCHEMA}.copy_to_history (
  export_id TEXT PRIMARY KEY, statement TEXT, uri TEXT, format TEXT, started_at TIMESTAMPTZ,
  finished_at TIMESTAMPTZ, status TEXT, rows BIGINT, bytes BIGINT, files INTEGER, error TEXT,
  role_id TEXT, details JSON);
CREATE TABLE IF NOT EXISTS ${INTERNAL_SCHEMA}.copy_to_files (
  export_id TEXT NOT NULL, key TEXT NOT NULL, rows BIGINT, bytes BIGINT, sha256 TEXT);
-- Multipart uploads an export has open, so a restart after a crash can abort them by id
-- (which needs only s3:AbortMultipartUpload, part of the least-privilege policy).
CREATE TABLE IF NOT EXISTS ${INTERNAL_SCHEMA}.copy_to_uploads (
  export_id TEXT NOT NULL, bucket TEXT NOT NULL, key TEXT NOT NULL, upload_id TEXT NOT NULL);
-- The run-time state of sources and subsources (src/adapter/pg-sources.ts writes it).
CREATE TABLE IF NOT EXISTS ${INTERNAL_SCHEMA}.source_statuses (
  id TEXT PRIMARY KEY, last_status_change_at TIMESTAMPTZ NOT NULL, status TEXT NOT NULL, error TEXT);
-- Subsources in an error state (TRUNCATE, incompatible schema change): kept across restarts.
CREATE TABLE IF NOT EXISTS ${INTERNAL_SCHEMA}.source_errors (id TEXT PRIMARY KEY, error TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ${INTERNAL_SCHEMA}.source_statistics (
  id TEXT PRIMARY KEY, messages_received UBIGINT, bytes_received UBIGINT, updates_staged UBIGINT,
  updates_committed UBIGINT, snapshot_records_known UBIGINT, snapshot_records_staged UBIGINT,
  snapshot_committed BOOLEAN, offset_known UBIGINT, offset_committed UBIGINT);
CREATE TABLE IF NOT EXISTS ${INTERNAL_SCHEMA}.export_runs (
  export_id TEXT NOT NULL, run_id TEXT NOT NULL, scheduled_for TIMESTAMPTZ, started_at TIMESTAMPTZ,
  finished_at TIMESTAMPTZ, status TEXT NOT NULL, rows BIGINT, bytes BIGINT, files INTEGER, uri TEXT, error TEXT);
`;

/** Text of an aclitem list for an object: `grantee=privs/grantor`, owner first. */
const ACL = (idCol: string, ownerCol: string, ownerPrivs: string): string => `
  list_concat(
    [ (SELECT r.name FROM ${INTERNAL_SCHEMA}.roles r WHERE r.id = ${ownerCol}) || '=${ownerPrivs}/' ||
      (SELECT r.name FROM ${INTERNAL_SCHEMA}.roles r WHERE r.id = ${ownerCol}) ],
    coalesce((SELECT list(coalesce(gr.name, '') || '=' || g.privs || '/' || gg.name ORDER BY coalesce(gr.name, ''))
       FROM (SELECT grantee_id, grantor_id, string_agg(privilege, '' ORDER BY privilege) AS privs
             FROM ${INTERNAL_SCHEMA}.grants WHERE object_id = ${idCol} GROUP BY grantee_id, grantor_id) g
       LEFT JOIN ${INTERNAL_SCHEMA}.roles gr ON gr.id = g.grantee_id
       LEFT JOIN ${INTERNAL_SCHEMA}.roles gg ON gg.id = g.grantor_id), []))`;

const SCHEMA_ID = (schemaCol: string): string =>
  `coalesce((SELECT s.id FROM ${INTERNAL_SCHEMA}.objects s WHERE s.kind = 'schema' AND s.name = ${schemaCol}),
    CASE ${schemaCol} WHEN 'mz_catalog' THEN 's1' WHEN 'pg_catalog' THEN 's2' WHEN 'mz_internal' THEN 's4' WHEN 'information_schema' THEN 's5' END)`;

/** Views that make up the user-visible catalog. Recreated at every start (they hold no data). */
export const CATALOG_VIEWS_SQL = `
CREATE OR REPLACE VIEW mz_catalog.mz_roles AS
  SELECT id, oid, name, inherit, login AS rolcanlogin, superuser AS rolsuper, createrole AS rolcreaterole, createdb AS rolcreatedb
  FROM ${INTERNAL_SCHEMA}.roles;
CREATE OR REPLACE VIEW mz_catalog.mz_role_members AS
  SELECT role_id, member_id, 'u1' AS grantor_id FROM ${INTERNAL_SCHEMA}.role_members;
CREATE OR REPLACE VIEW mz_catalog.mz_databases AS
  SELECT o.id, o.oid, o.name, o.owner_id, ${ACL('o.id', 'o.owner_id', 'UC')} AS privileges
  FROM ${INTERNAL_SCHEMA}.objects o WHERE o.kind = 'database';
CREATE OR REPLACE VIEW mz_catalog.mz_schemas AS
  SELECT o.id, o.oid, 'u1' AS database_id, o.name, o.owner_id, ${ACL('o.id', 'o.owner_id', 'UC')} AS privileges
  FROM ${INTERNAL_SCHEMA}.objects o WHERE o.kind = 'schema'
  UNION ALL SELECT * FROM (VALUES ('s1', 16400, NULL, 'mz_catalog', 's1', ['=U/mz_system']),
                                  ('s2', 11, NULL, 'pg_catalog', 's1', ['=U/mz_system']),
                                  ('s4', 16401, NULL, 'mz_internal', 's1', ['=U/mz_system']),
                                  ('s5', 16402, NULL, 'information_schema', 's1', ['=U/mz_system']))
    AS v(id, oid, database_id, name, owner_id, privileges);
CREATE OR REPLACE VIEW mz_catalog.mz_tables AS
  SELECT o.id, o.oid, ${SCHEMA_ID('o.schema_name')} AS schema_id, o.name, o.owner_id,
    ${ACL('o.id', 'o.owner_id', 'arwd')} AS privileges, o.create_sql, o.redacted_sql AS redacted_create_sql,
    json_extract_string(o.details, '$.source_id') AS source_id
  FROM ${INTERNAL_SCHEMA}.objects o WHERE o.kind = 'table';
CREATE OR REPLACE VIEW mz_catalog.mz_views AS
  SELECT o.id, o.oid, ${SCHEMA_ID('o.schema_name')} AS schema_id, o.name,
    json_extract_string(o.details, '$.definition') AS definition, o.owner_id,
    ${ACL('o.id', 'o.owner_id', 'r')} AS privileges, o.create_sql, o.redacted_sql AS redacted_create_sql
  FROM ${INTERNAL_SCHEMA}.objects o WHERE o.kind = 'view';
CREATE OR REPLACE VIEW mz_catalog.mz_materialized_views AS
  SELECT o.id, o.oid, ${SCHEMA_ID('o.schema_name')} AS schema_id, o.name, 'u1' AS cluster_id,
    json_extract_string(o.details, '$.definition') AS definition, o.owner_id,
    ${ACL('o.id', 'o.owner_id', 'r')} AS privileges, o.create_sql, o.redacted_sql AS redacted_create_sql
  FROM ${INTERNAL_SCHEMA}.objects o WHERE o.kind = 'materialized-view';
CREATE OR REPLACE VIEW mz_catalog.mz_sources AS
  SELECT o.id, o.oid, ${SCHEMA_ID('o.schema_name')} AS schema_id, o.name,
    json_extract_string(o.details, '$.type') AS type, json_extract_string(o.details, '$.connection_id') AS connection_id, NULL::TEXT AS size,
    NULL::TEXT AS envelope_type, NULL::TEXT AS key_format, NULL::TEXT AS value_format, 'u1' AS cluster_id, o.owner_id,
    ${ACL('o.id', 'o.owner_id', 'r')} AS privileges, o.create_sql, o.redacted_sql AS redacted_create_sql
  FROM ${INTERNAL_SCHEMA}.objects o WHERE o.kind = 'source';
CREATE OR REPLACE VIEW mz_catalog.mz_connections AS
  SELECT o.id, o.oid, ${SCHEMA_ID('o.schema_name')} AS schema_id, o.name,
    json_extract_string(o.details, '$.type') AS type, o.owner_id,
    ${ACL('o.id', 'o.owner_id', 'U')} AS privileges, o.create_sql, o.redacted_sql AS redacted_create_sql
  FROM ${INTERNAL_SCHEMA}.objects o WHERE o.kind = 'connection';
CREATE OR REPLACE VIEW mz_catalog.mz_secrets AS
  SELECT o.id, o.oid, ${SCHEMA_ID('o.schema_name')} AS schema_id, o.name, o.owner_id,
    ${ACL('o.id', 'o.owner_id', 'U')} AS privileges
  FROM ${INTERNAL_SCHEMA}.objects o WHERE o.kind = 'secret';
CREATE OR REPLACE VIEW mz_catalog.mz_objects AS
  SELECT o.id, o.oid, ${SCHEMA_ID('o.schema_name')} AS schema_id, o.name,
    replace(o.kind, '-', ' ') AS type, o.owner_id,
    CASE WHEN o.kind IN ('materialized-view', 'source') THEN 'u1' END AS cluster_id,
    ${ACL('o.id', 'o.owner_id', 'r')} AS privileges
  FROM ${INTERNAL_SCHEMA}.objects o WHERE o.kind NOT IN ('database', 'schema');
CREATE OR REPLACE VIEW mz_catalog.mz_columns AS
  SELECT o.id, c.column_name AS name, c.column_index AS position, c.is_nullable AS nullable,
    lower(c.data_type) AS type, c.column_default AS "default", NULL::INTEGER AS type_oid, -1 AS type_mod
  FROM ${INTERNAL_SCHEMA}.objects o
  JOIN duckdb_columns() c ON c.schema_name = o.schema_name AND c.table_name = o.name AND c.database_name = current_database()
  WHERE o.kind IN ('table', 'view', 'materialized-view', 'source');
CREATE OR REPLACE VIEW mz_catalog.mz_clusters AS
  SELECT * FROM (VALUES ('u1', 'quickstart', 'u1')) AS v(id, name, owner_id);
CREATE OR REPLACE VIEW mz_internal.mz_copy_to_history AS
  SELECT export_id, statement, uri, format, started_at, finished_at, status, rows, bytes, files, error
  FROM ${INTERNAL_SCHEMA}.copy_to_history;
CREATE OR REPLACE VIEW mz_internal.mz_copy_to_files AS
  SELECT export_id, key, rows, bytes, sha256 FROM ${INTERNAL_SCHEMA}.copy_to_files;
CREATE OR REPLACE VIEW mz_internal.mz_source_statuses AS
  SELECT o.id, o.name, json_extract_string(o.details, '$.type') AS type, s.last_status_change_at, s.status, s.error,
    CAST(NULL AS JSON) AS details
  FROM ${INTERNAL_SCHEMA}.objects o JOIN ${INTERNAL_SCHEMA}.source_statuses s ON s.id = o.id WHERE o.kind = 'source';
CREATE OR REPLACE VIEW mz_internal.mz_source_statistics AS
  SELECT s.id, 'u1' AS replica_id, s.messages_received, s.bytes_received, s.updates_staged, s.updates_committed,
    s.snapshot_records_known, s.snapshot_records_staged, s.snapshot_committed, s.offset_known, s.offset_committed
  FROM ${INTERNAL_SCHEMA}.source_statistics s JOIN ${INTERNAL_SCHEMA}.objects o ON o.id = s.id;
CREATE OR REPLACE VIEW mz_internal.mz_postgres_sources AS
  SELECT o.id, json_extract_string(o.details, '$.slot') AS replication_slot,
    CAST(json_extract_string(o.details, '$.timeline_id') AS UBIGINT) AS timeline_id
  FROM ${INTERNAL_SCHEMA}.objects o WHERE o.kind = 'source' AND json_extract_string(o.details, '$.type') = 'postgres';
CREATE OR REPLACE VIEW mz_internal.mz_export_runs AS
  SELECT export_id, run_id, scheduled_for, started_at, finished_at, status, rows, bytes, files, uri, error
  FROM ${INTERNAL_SCHEMA}.export_runs;
`;
