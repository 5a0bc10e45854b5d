/**
 * Names of the PostgreSQL catalog relations and functions Ferry answers itself. Shared by
 * the dialect translator (src/sql/translate.ts, which redirects these names) and the
 * catalog (src/catalog/pg-compat.ts, which defines them), so both layers agree without
 * importing each other.
 */

/** The attached in-memory database holding the compatibility objects. */
export const PG_COMPAT_DB = '__ferry_pg';

/** pg_catalog relations that Ferry answers itself (translate.ts redirects them). */
export const PG_COMPAT_RELATIONS = [
  'pg_type', 'pg_namespace', 'pg_class', 'pg_attribute', 'pg_roles', 'pg_authid', 'pg_user', 'pg_auth_members',
  'pg_database', 'pg_description', 'pg_shdescription', 'pg_attrdef', 'pg_index', 'pg_constraint', 'pg_inherits',
  'pg_trigger', 'pg_policy', 'pg_rewrite', 'pg_am', 'pg_collation', 'pg_tablespace', 'pg_statistic_ext',
  'pg_publication', 'pg_publication_rel', 'pg_publication_namespace', 'pg_extension', 'pg_foreign_table',
  'pg_partitioned_table', 'pg_proc', 'pg_tables', 'pg_views', 'pg_matviews', 'pg_enum', 'pg_range',
  'pg_depend', 'pg_event_trigger', 'pg_sequence', 'pg_settings', 'pg_language', 'pg_operator', 'pg_cast',
  'pg_default_acl', 'pg_foreign_server', 'pg_foreign_data_wrapper', 'pg_user_mapping', 'pg_conversion',
  'pg_opclass', 'pg_opfamily', 'pg_ts_config', 'pg_ts_dict', 'pg_ts_parser', 'pg_ts_template', 'pg_aggregate',
  'pg_stat_activity', 'pg_locks', 'pg_indexes', 'pg_db_role_setting',
];

/** information_schema views Ferry answers itself, installed as `__ferry_pg.information_schema_<name>`. */
export const INFORMATION_SCHEMA_RELATIONS = ['schemata', 'tables', 'columns', 'views', 'table_constraints', 'key_column_usage', 'referential_constraints', 'check_constraints', 'constraint_column_usage', 'constraint_table_usage', 'character_sets'];

/** pg_catalog functions Ferry answers itself (macros in `__ferry_pg`). */
export const PG_COMPAT_FUNCTIONS = [
  'pg_get_userbyid', 'pg_table_is_visible', 'pg_type_is_visible', 'pg_function_is_visible', 'format_type', 'pg_get_expr',
  'pg_get_viewdef', 'pg_encoding_to_char', 'pg_get_constraintdef', 'pg_get_indexdef', 'pg_get_triggerdef',
  'pg_get_ruledef', 'pg_get_statisticsobjdef_columns', 'obj_description', 'col_description', 'shobj_description',
  'pg_relation_size', 'pg_total_relation_size', 'pg_table_size', 'pg_indexes_size', 'array_upper', 'array_lower',
  'regclass_in', 'pg_get_function_result', 'pg_get_function_arguments', 'pg_get_function_identity_arguments',
  'pg_get_partkeydef', 'pg_get_serial_sequence', 'pg_backend_pid', 'pg_has_role', 'version', 'pg_postmaster_start_time',
  'pg_tablespace_location', 'pg_database_size', 'array_remove', '_pg_expandarray', 'pg_typeof',
];

