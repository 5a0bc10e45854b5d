/**
 * PostgreSQL catalog compatibility: the `pg_catalog` relations and functions that psql's
 * describe commands (`\d`, `\dt`, `\dn`, `\du`, `\l` …) and the JDBC driver's
 * DatabaseMetaData send, answered from Ferry's catalog.
 *
 * Why a separate database: DuckDB ships a partial `pg_catalog` of its own, but it lives in
 * DuckDB's read-only system catalog (`CREATE VIEW pg_catalog.x` fails with "Cannot create
 * entry in system catalog"), it reports DuckDB's owners (none) and oids, and it shows the
 * internal `__ferry` schema. So Ferry installs its own versions into an in-memory database
 * attached as `__ferry_pg` at every start (nothing of it is persisted in the data
 * directory), and the front end (src/sql/frontend.ts) resolves `pg_catalog.<name>` (and
 * the unqualified names of these relations and functions) to `__ferry_pg.<name>`. A name
 * not listed here does not exist for user statements: DuckDB's own `pg_catalog` is never
 * reached.
 *
 * What these views promise: oids of user objects are Ferry's (`mz_objects.oid`), owners
 * resolve to Ferry role names, `mz_catalog` / `mz_internal` / `public` and user schemas are
 * visible, `__ferry` and DuckDB's `main` never are. Relations Ferry has no use for
 * (indexes, constraints, triggers, policies, inheritance, rules) exist with PostgreSQL's
 * column names and no rows, so describe queries that join them succeed.
 */
import { INTERNAL_SCHEMA } from './bootstrap.js';
import { BLOB, DOUBLE, FLOAT } from '@duckdb/node-api';
import { textExpr } from '../types/text-sql.js';

export {
  PG_COMPAT_DB,
  PG_COMPAT_RELATIONS,
  INFORMATION_SCHEMA_RELATIONS,
  PG_COMPAT_FUNCTIONS,
} from '../types/pg-catalog-names.js';
import { INFORMATION_SCHEMA_RELATIONS, PG_COMPAT_DB } from '../types/pg-catalog-names.js';

const M = 'materialize';
const F = `${M}.${INTERNAL_SCHEMA}`;
const P = PG_COMPAT_DB;

/**
 * pg_type rows: [oid, typname, SQL name (format_type), typlen, array oid, category,
 * DuckDB type names that map to it]. OIDs are PostgreSQL's, Materialize's for uint2/4/8,
 * list and map (see src/types/pgtype.ts, which reports the same OIDs in RowDescription).
 */
const SCALARS: [number, string, string, number, number, string, string[]][] = [
  [16, 'bool', 'boolean', 1, 1000, 'B', ['BOOLEAN']],
  [17, 'bytea', 'bytea', -1, 1001, 'U', ['BLOB']],
  [18, 'char', '"char"', 1, 1002, 'S', []],
  [19, 'name', 'name', 64, 1003, 'S', []],
  [20, 'int8', 'bigint', 8, 1016, 'N', ['BIGINT']],
  [21, 'int2', 'smallint', 2, 1005, 'N', ['SMALLINT', 'TINYINT', 'UTINYINT']],
  [23, 'int4', 'integer', 4, 1007, 'N', ['INTEGER']],
  [24, 'regproc', 'regproc', 4, 1008, 'N', []],
  [25, 'text', 'text', -1, 1009, 'S', ['VARCHAR']],
  [26, 'oid', 'oid', 4, 1028, 'N', []],
  [700, 'float4', 'real', 4, 1021, 'N', ['FLOAT']],
  [701, 'float8', 'double precision', 8, 1022, 'N', ['DOUBLE']],
  [1042, 'bpchar', 'character', -1, 1014, 'S', []],
  [1043, 'varchar', 'character varying', -1, 1015, 'S', []],
  [1082, 'date', 'date', 4, 1182, 'D', ['DATE']],
  [1083, 'time', 'time without time zone', 8, 1183, 'D', ['TIME', 'TIME_NS']],
  [
    1114,
    'timestamp',
    'timestamp without time zone',
    8,
    1115,
    'D',
    ['TIMESTAMP', 'TIMESTAMP_S', 'TIMESTAMP_MS', 'TIMESTAMP_NS'],
  ],
  [1184, 'timestamptz', 'timestamp with time zone', 8, 1185, 'D', ['TIMESTAMP WITH TIME ZONE']],
  [1186, 'interval', 'interval', 16, 1187, 'T', ['INTERVAL']],
  [1266, 'timetz', 'time with time zone', 12, 1270, 'D', ['TIME WITH TIME ZONE']],
  [1700, 'numeric', 'numeric', -1, 1231, 'N', ['HUGEINT', 'UHUGEINT', 'BIGNUM']],
  [2205, 'regclass', 'regclass', 4, 2210, 'N', []],
  [2206, 'regtype', 'regtype', 4, 2211, 'N', []],
  [2249, 'record', 'record', -1, 2287, 'P', []],
  [2950, 'uuid', 'uuid', 16, 2951, 'U', ['UUID']],
  [3802, 'jsonb', 'jsonb', -1, 3807, 'U', ['JSON']],
  [16460, 'uint2', 'uint2', 2, 16461, 'N', ['USMALLINT']],
  [16462, 'uint4', 'uint4', 4, 16463, 'N', ['UINTEGER']],
  [16464, 'uint8', 'uint8', 8, 16465, 'N', ['UBIGINT']],
  [16384, 'list', 'list', -1, 0, 'U', []],
  [16385, 'map', 'map', -1, 0, 'U', []],
];

const q = (s: string): string => `'${s.replace(/'/g, "''")}'`;

function typeRows(): string {
  const rows: string[] = [];
  for (const [oid, name, fmt, len, arr, cat] of SCALARS) {
    rows.push(`(${oid}, ${q(name)}, ${q(fmt)}, ${len}, ${arr}, 0, ${q(cat)}, ${q(name + 'in')})`);
    if (arr !== 0) rows.push(`(${arr}, ${q('_' + name)}, ${q(fmt + '[]')}, -1, 0, ${oid}, 'A', 'array_in')`);
  }
  return rows.join(',\n  ');
}

/** `WHEN '<duckdb type>' THEN <oid or array oid>` for every DuckDB type name with a pg_type. */
function duckCase(col: 'oid' | 'arr'): string {
  const out: string[] = [];
  for (const [oid, , , , arr, , ducks] of SCALARS)
    for (const d of ducks) out.push(`WHEN ${q(d)} THEN ${col === 'oid' ? oid : arr}`);
  return out.join(' ');
}

/** `WHEN <oid> THEN <value>` over the scalars (or their array types). */
function oidCase(value: (r: (typeof SCALARS)[number]) => string, arrays = false): string {
  return SCALARS.filter((r) => !arrays || r[4] !== 0)
    .map((r) => `WHEN ${arrays ? r[4] : r[0]} THEN ${value(r)}`)
    .join(' ');
}

/** An empty relation with PostgreSQL's column names; `cols` is `name TYPE, …`. */
function empty(name: string, cols: string): string {
  const list = cols
    .split(',')
    .map((c) => c.trim())
    .filter((c) => c !== '');
  const sel = list.map((c) => {
    const sp = c.indexOf(' ');
    return `NULL::${c.slice(sp + 1)} AS ${c.slice(0, sp)}`;
  });
  // tableoid: psql's \dd unions several catalogs and reads this system column of each.
  return `CREATE OR REPLACE VIEW ${P}.${name} AS SELECT ${sel.join(', ')}, NULL::INTEGER AS tableoid WHERE false;`;
}

/**
 * Statements that (re)create the compatibility database; run once at server start. Order
 * matters: DuckDB binds the tables and macros a view or macro names when it is created.
 */
export function pgCompatSql(): string[] {
  return [
    `ATTACH IF NOT EXISTS ':memory:' AS ${P}`,
    `CREATE OR REPLACE TABLE ${P}.types (oid INTEGER, typname VARCHAR, fmt VARCHAR, typlen SMALLINT, typarray INTEGER, typelem INTEGER, typcategory VARCHAR, typinput VARCHAR);
     INSERT INTO ${P}.types VALUES ${typeRows()};`,
    // DuckDB type text (duckdb_columns().data_type) → PostgreSQL type oid and typmod, as
    // src/types/pgtype.ts reports the same columns in RowDescription.
    `CREATE OR REPLACE MACRO ${P}.duck_oid(p_dt) AS CASE
       WHEN p_dt LIKE '%[]' THEN CASE regexp_replace(p_dt, '\\[\\]$', '') ${duckCase('arr')}
                                 WHEN 'DECIMAL' THEN 1231 ELSE CASE WHEN p_dt LIKE 'DECIMAL%[]' THEN 1231 ELSE 1009 END END
       WHEN p_dt LIKE 'DECIMAL(%' THEN 1700
       WHEN p_dt LIKE 'MAP(%' THEN 16385
       WHEN p_dt LIKE 'STRUCT(%' THEN 2249
       ELSE CASE p_dt ${duckCase('oid')} ELSE 25 END END`,
    `CREATE OR REPLACE MACRO ${P}.oid_typlen(p_oid) AS CASE p_oid ${oidCase((r) => String(r[3]))} ELSE -1 END`,
    `CREATE OR REPLACE MACRO ${P}.duck_typmod(p_dt) AS CASE
       WHEN p_dt LIKE 'DECIMAL(%' AND p_dt <> 'DECIMAL(38,10)' THEN
         ((CAST(regexp_extract(p_dt, 'DECIMAL\\((\\d+),', 1) AS INTEGER) << 16) | CAST(regexp_extract(p_dt, ',(\\d+)\\)', 1) AS INTEGER)) + 4
       ELSE -1 END`,
    // --- functions ---------------------------------------------------------------------
    `CREATE OR REPLACE MACRO ${P}.pg_get_userbyid(p_id) AS
       coalesce((SELECT name FROM ${F}.roles WHERE oid = p_id), CASE WHEN p_id = 10 THEN 'mz_system' END, 'unknown (OID=' || p_id || ')')`,
    `CREATE OR REPLACE MACRO ${P}.pg_type_is_visible(id) AS true`,
    `CREATE OR REPLACE MACRO ${P}.pg_function_is_visible(id) AS true`,
    `CREATE OR REPLACE MACRO ${P}.format_type(p_id, p_typmod) AS CASE
       WHEN p_id IS NULL THEN NULL
       WHEN p_id = 1700 AND p_typmod >= 4 THEN 'numeric(' || ((p_typmod - 4) >> 16) || ',' || ((p_typmod - 4) & 65535) || ')'
       ELSE CASE p_id ${oidCase((r) => q(r[2]))} ${oidCase((r) => q(r[2] + '[]'), true)} ELSE '???' END END`,
    `CREATE OR REPLACE MACRO ${P}.pg_get_expr(e, r) AS e, (e, r, pretty) AS e`,
    `CREATE OR REPLACE MACRO ${P}.pg_encoding_to_char(e) AS CASE WHEN e = 6 THEN 'UTF8' ELSE '' END`,
    `CREATE OR REPLACE MACRO ${P}.pg_get_constraintdef(id) AS NULL::VARCHAR, (id, pretty) AS NULL::VARCHAR`,
    `CREATE OR REPLACE MACRO ${P}.pg_get_indexdef(id) AS NULL::VARCHAR, (id, col, pretty) AS NULL::VARCHAR`,
    `CREATE OR REPLACE MACRO ${P}.pg_get_triggerdef(id) AS NULL::VARCHAR, (id, pretty) AS NULL::VARCHAR`,
    `CREATE OR REPLACE MACRO ${P}.pg_get_ruledef(id) AS NULL::VARCHAR, (id, pretty) AS NULL::VARCHAR`,
    `CREATE OR REPLACE MACRO ${P}.pg_get_statisticsobjdef_columns(id) AS NULL::VARCHAR`,
    `CREATE OR REPLACE MACRO ${P}.pg_get_partkeydef(id) AS NULL::VARCHAR`,
    `CREATE OR REPLACE MACRO ${P}.pg_get_serial_sequence(t, c) AS NULL::VARCHAR`,
    `CREATE OR REPLACE MACRO ${P}.pg_get_function_result(id) AS NULL::VARCHAR`,
    `CREATE OR REPLACE MACRO ${P}.pg_get_function_arguments(id) AS NULL::VARCHAR`,
    `CREATE OR REPLACE MACRO ${P}.pg_get_function_identity_arguments(id) AS NULL::VARCHAR`,
    `CREATE OR REPLACE MACRO ${P}.obj_description(id) AS NULL::VARCHAR, (id, cat) AS NULL::VARCHAR`,
    `CREATE OR REPLACE MACRO ${P}.col_description(id, n) AS NULL::VARCHAR`,
    `CREATE OR REPLACE MACRO ${P}.shobj_description(id, cat) AS NULL::VARCHAR`,
    // Sizes are not tracked per relation (DuckDB stores row groups, not PostgreSQL pages).
    `CREATE OR REPLACE MACRO ${P}.pg_relation_size(id) AS 0::BIGINT, (id, fork) AS 0::BIGINT`,
    `CREATE OR REPLACE MACRO ${P}.pg_total_relation_size(id) AS 0::BIGINT`,
    `CREATE OR REPLACE MACRO ${P}.pg_table_size(id) AS 0::BIGINT`,
    `CREATE OR REPLACE MACRO ${P}.pg_indexes_size(id) AS 0::BIGINT`,
    `CREATE OR REPLACE MACRO ${P}.array_upper(a, d) AS CASE WHEN len(a) = 0 THEN NULL ELSE len(a) END`,
    `CREATE OR REPLACE MACRO ${P}.array_lower(a, d) AS CASE WHEN len(a) = 0 THEN NULL ELSE 1 END`,
    `CREATE OR REPLACE MACRO ${P}.pg_tablespace_location(p_oid) AS ''`,
    `CREATE OR REPLACE MACRO ${P}.pg_database_size(p_db) AS 0::BIGINT`,
    `CREATE OR REPLACE MACRO ${P}.array_remove(p_arr, p_elem) AS list_filter(p_arr, lambda e: e IS DISTINCT FROM p_elem)`,
    // information_schema._pg_expandarray(array): one row (x = element, n = position) per element.
    `CREATE OR REPLACE MACRO ${P}._pg_expandarray(p_arr) AS
       unnest(list_transform(range(1, len(p_arr) + 1), lambda k: {'x': p_arr[k], 'n': k}))`,
    // pg_typeof names the PostgreSQL type a value is reported as (`integer`, `uint2`,
    // `numeric`), not DuckDB's (`INTEGER`, `USMALLINT`, `DECIMAL(38,10)`).
    `CREATE OR REPLACE MACRO ${P}.pg_typeof(p_val) AS ${P}.format_type(${P}.duck_oid(typeof(p_val)), -1)`,
    // Divisors pass through this (src/sql/frontend.ts wraps every divisor): PostgreSQL fails
    // on division by zero where DuckDB returns NULL or Infinity.
    `CREATE OR REPLACE MACRO ${P}.nonzero(p_x) AS CASE WHEN p_x = 0 THEN error('division by zero') ELSE p_x END`,
    // Text read as an integer (src/sql/frontend.ts wraps a cast to an integer type of
    // anything but a constant; COPY FROM wraps every integer field): PostgreSQL accepts
    // only digits with a sign and surrounding white space, where the engine rounds '1.5'
    // to 2 and reads '1e2', '0x10' and '1_000'. On any other type the CASE folds away.
    `CREATE OR REPLACE MACRO ${P}.int_text(p_x, p_t) AS CASE
       WHEN typeof(p_x) <> 'VARCHAR' OR p_x IS NULL THEN p_x
       WHEN regexp_full_match(p_x::VARCHAR, '\\s*[+-]?[0-9]+\\s*') THEN p_x
       WHEN trim(p_x::VARCHAR) = '' THEN error('invalid input syntax for type ' || p_t || ': cannot parse integer from empty string: "' || p_x::VARCHAR || '"')
       ELSE error('invalid input syntax for type ' || p_t || ': invalid digit found in string: "' || p_x::VARCHAR || '"') END`,
    // Unary minus (src/sql/frontend.ts wraps it when its operand is not a constant):
    // Materialize has none for the unsigned types, where the engine wraps around
    // (-(666::uint2) was 64870). On any other type the CASE folds away at planning.
    `CREATE OR REPLACE MACRO ${P}.neg(p_x) AS CASE
       WHEN typeof(p_x) IN ('UTINYINT', 'USMALLINT', 'UINTEGER', 'UBIGINT')
       THEN error('operator does not exist: - ' || ${P}.pg_typeof(p_x)) ELSE -p_x END`,
    // jsonb operators (src/sql/frontend.ts maps them; docs/compat.md "jsonb"). jsonb_cat is
    // `||` when an operand is evidently jsonb: objects merge shallowly (the right side
    // wins, keys in jsonb's order: shorter first, then bytewise), anything else becomes one
    // array, as PostgreSQL's jsonb_concat does.
    `CREATE OR REPLACE MACRO ${P}.jsonb_cat(p_a, p_b) AS CASE
       WHEN p_a IS NULL OR p_b IS NULL THEN NULL
       WHEN json_type(p_a::JSON) = 'OBJECT' AND json_type(p_b::JSON) = 'OBJECT' THEN (
         '{' || array_to_string(list_transform(
           list_transform(list_sort(list_transform(
             list_distinct(list_concat(json_keys(p_a::JSON), json_keys(p_b::JSON))),
             lambda k: {'l': length(k), 'k': k})), lambda e: e.k),
           lambda k: to_json(k)::VARCHAR || ':' || (CASE WHEN list_contains(json_keys(p_b::JSON), k)
             THEN json_extract(p_b::JSON, '$."' || replace(k, '"', '\\"') || '"')
             ELSE json_extract(p_a::JSON, '$."' || replace(k, '"', '\\"') || '"') END)::VARCHAR), ',') || '}')::JSON
       ELSE to_json(list_concat(
         CASE WHEN json_type(p_a::JSON) = 'ARRAY' THEN json_extract(p_a::JSON, '$[*]') ELSE [p_a::JSON] END,
         CASE WHEN json_type(p_b::JSON) = 'ARRAY' THEN json_extract(p_b::JSON, '$[*]') ELSE [p_b::JSON] END))
       END`,
    // j ? k: k is a key of the object, a string element of the array, or the string itself.
    `CREATE OR REPLACE MACRO ${P}.jsonb_exists(p_j, p_k) AS CASE json_type(p_j::JSON)
       WHEN 'OBJECT' THEN list_contains(json_keys(p_j::JSON), p_k)
       WHEN 'ARRAY' THEN list_contains(list_transform(json_extract(p_j::JSON, '$[*]'),
         lambda e: CASE WHEN json_type(e) = 'VARCHAR' THEN e ->> '$' END), p_k)
       WHEN 'VARCHAR' THEN (p_j::JSON) ->> '$' = p_k
       ELSE CASE WHEN p_j IS NULL OR p_k IS NULL THEN NULL ELSE false END END`,
    `CREATE OR REPLACE MACRO ${P}.jsonb_exists_any(p_j, p_ks) AS
       list_bool_or(list_transform(p_ks, lambda k: ${P}.jsonb_exists(p_j, k)))`,
    `CREATE OR REPLACE MACRO ${P}.jsonb_exists_all(p_j, p_ks) AS
       coalesce(list_bool_and(list_transform(p_ks, lambda k: ${P}.jsonb_exists(p_j, k))), p_j IS NOT NULL)`,
    // j #> path / j #>> path: a path element is an array index where it is an integer.
    `CREATE OR REPLACE MACRO ${P}.jsonb_path_query(p_p) AS '$' || array_to_string(list_transform(p_p, lambda e:
       CASE WHEN regexp_full_match(e, '[0-9]+') THEN '[' || e || ']'
            WHEN regexp_full_match(e, '-[0-9]+') THEN '[#' || e || ']'
            ELSE '."' || replace(e, '"', '\\"') || '"' END), '')`,
    `CREATE OR REPLACE MACRO ${P}.jsonb_path(p_j, p_p) AS json_extract(p_j::JSON, ${P}.jsonb_path_query(p_p))`,
    `CREATE OR REPLACE MACRO ${P}.jsonb_path_text(p_j, p_p) AS json_extract_string(p_j::JSON, ${P}.jsonb_path_query(p_p))`,
    // jsonb's set-returning functions in FROM (src/sql/frontend.ts picks these there, and
    // unnest over the same lists in a select list), with PostgreSQL's column names.
    `CREATE OR REPLACE MACRO ${P}.jsonb_array_elements_t(p_j) AS TABLE
       SELECT unnest(json_extract(p_j::JSON, '$[*]')) AS value`,
    `CREATE OR REPLACE MACRO ${P}.jsonb_array_elements_text_t(p_j) AS TABLE
       SELECT unnest(json_extract_string(p_j::JSON, '$[*]')) AS value`,
    `CREATE OR REPLACE MACRO ${P}.jsonb_each_t(p_j) AS TABLE
       SELECT k AS key, json_extract(p_j::JSON, '$."' || replace(k, '"', '\\"') || '"') AS value
       FROM (SELECT unnest(json_keys(p_j::JSON)) AS k)`,
    `CREATE OR REPLACE MACRO ${P}.jsonb_each_text_t(p_j) AS TABLE
       SELECT k AS key, json_extract_string(p_j::JSON, '$."' || replace(k, '"', '\\"') || '"') AS value
       FROM (SELECT unnest(json_keys(p_j::JSON)) AS k)`,
    `CREATE OR REPLACE MACRO ${P}.jsonb_object_keys_t(p_j) AS TABLE
       SELECT unnest(json_keys(p_j::JSON)) AS jsonb_object_keys`,
    // A cast to text of anything but a constant (src/sql/frontend.ts): floats and bytea in
    // PostgreSQL's text form, where the engine prints 1.0, inf and printable bytes as they
    // are. On any other type the CASE folds to the engine's cast at planning.
    `CREATE OR REPLACE MACRO ${P}.pg_text(p_x) AS CASE
       WHEN typeof(p_x) = 'DOUBLE' THEN ${textExpr('TRY_CAST(p_x AS DOUBLE)', DOUBLE)}
       WHEN typeof(p_x) = 'FLOAT' THEN ${textExpr('TRY_CAST(p_x AS FLOAT)', FLOAT)}
       WHEN typeof(p_x) = 'BLOB' THEN ${textExpr('TRY_CAST(p_x AS BLOB)', BLOB)}
       ELSE CAST(p_x AS VARCHAR) END`,
    // NOT's argument (src/sql/frontend.ts wraps it): PostgreSQL refuses a non-boolean where
    // DuckDB casts (NOT 1 was false). On a boolean the CASE folds away at planning.
    `CREATE OR REPLACE MACRO ${P}.bool_arg(p_x) AS CASE WHEN typeof(p_x) IN ('BOOLEAN', '"NULL"') THEN CAST(p_x AS BOOLEAN)
       ELSE CAST(error('argument of NOT must be type boolean, not type ' || ${P}.pg_typeof(p_x)) AS BOOLEAN) END`,
    // substring(s from a for n) / substr(s, a, n) (src/sql/functions.ts): PostgreSQL takes
    // the characters at positions a … a + n - 1 that exist, so a start before 1 shortens
    // the result; DuckDB counts a negative start from the end. A negative n is an error.
    `CREATE OR REPLACE MACRO ${P}.pg_substring(p_s, p_start) AS substring(p_s, CASE WHEN p_start < 1 THEN 1 ELSE p_start END),
       (p_s, p_start, p_len) AS CASE WHEN p_len < 0 THEN error('negative substring length not allowed')
         ELSE substring(p_s, CASE WHEN p_start < 1 THEN 1 ELSE p_start END,
           CASE WHEN CAST(p_start AS BIGINT) + p_len < 1 THEN 0
             ELSE CAST(p_start AS BIGINT) + p_len - CASE WHEN p_start < 1 THEN 1 ELSE p_start END END) END`,
    // initcap: the first letter of each run of letters and digits upper case, the rest lower.
    `CREATE OR REPLACE MACRO ${P}.initcap(p_s) AS array_to_string(list_transform(range(1, length(p_s) + 1), lambda i:
       CASE WHEN i = 1 OR NOT regexp_matches(substring(p_s, i - 1, 1), '^[\\pL\\pN]$') THEN upper(substring(p_s, i, 1))
         ELSE lower(substring(p_s, i, 1)) END), '')`,
    // jsonb_typeof / json_typeof: PostgreSQL's names of the JSON value kinds.
    `CREATE OR REPLACE MACRO ${P}.jsonb_typeof(p_j) AS CASE WHEN p_j IS NULL THEN NULL
       ELSE CASE json_type(p_j) WHEN 'OBJECT' THEN 'object' WHEN 'ARRAY' THEN 'array' WHEN 'VARCHAR' THEN 'string'
         WHEN 'BOOLEAN' THEN 'boolean' WHEN 'NULL' THEN 'null' ELSE 'number' END END`,
    // An interval's three fields (months, days, microseconds) and back; the justify_*
    // functions move whole days into months (30 days) and whole 24 hours into days, with
    // PostgreSQL's sign rules (timestamp.c interval_justify_*).
    `CREATE OR REPLACE MACRO ${P}.iv_months(p_i) AS CAST(date_part('year', CAST(p_i AS INTERVAL)) AS BIGINT) * 12 + date_part('month', CAST(p_i AS INTERVAL))`,
    `CREATE OR REPLACE MACRO ${P}.iv_days(p_i) AS CAST(date_part('day', CAST(p_i AS INTERVAL)) AS BIGINT)`,
    `CREATE OR REPLACE MACRO ${P}.iv_micros(p_i) AS CAST(date_part('hour', CAST(p_i AS INTERVAL)) AS BIGINT) * 3600000000
       + CAST(date_part('minute', CAST(p_i AS INTERVAL)) AS BIGINT) * 60000000 + date_part('microseconds', CAST(p_i AS INTERVAL))`,
    `CREATE OR REPLACE MACRO ${P}.make_iv(p_m, p_d, p_us) AS
       to_months(CAST(p_m AS INTEGER)) + to_days(CAST(p_d AS INTEGER)) + to_microseconds(CAST(p_us AS BIGINT))`,
    `CREATE OR REPLACE MACRO ${P}.jd_fix(p_m, p_d, p_us) AS CASE WHEN p_m > 0 AND p_d < 0 THEN ${P}.make_iv(p_m - 1, p_d + 30, p_us)
       WHEN p_m < 0 AND p_d > 0 THEN ${P}.make_iv(p_m + 1, p_d - 30, p_us) ELSE ${P}.make_iv(p_m, p_d, p_us) END`,
    `CREATE OR REPLACE MACRO ${P}.justify_days(p_i) AS ${P}.jd_fix(${P}.iv_months(p_i) + ${P}.iv_days(p_i) // 30, ${P}.iv_days(p_i) % 30, ${P}.iv_micros(p_i))`,
    `CREATE OR REPLACE MACRO ${P}.jh_fix(p_m, p_d, p_us) AS CASE WHEN p_d > 0 AND p_us < 0 THEN ${P}.make_iv(p_m, p_d - 1, p_us + 86400000000)
       WHEN p_d < 0 AND p_us > 0 THEN ${P}.make_iv(p_m, p_d + 1, p_us - 86400000000) ELSE ${P}.make_iv(p_m, p_d, p_us) END`,
    `CREATE OR REPLACE MACRO ${P}.justify_hours(p_i) AS ${P}.jh_fix(${P}.iv_months(p_i),
       ${P}.iv_days(p_i) + ${P}.iv_micros(p_i) // 86400000000, ${P}.iv_micros(p_i) % 86400000000)`,
    `CREATE OR REPLACE MACRO ${P}.ji_month(p_m, p_d, p_us) AS
       CASE WHEN p_m > 0 AND (p_d < 0 OR (p_d = 0 AND p_us < 0)) THEN ${P}.jh_fix(p_m - 1, p_d + 30, p_us)
         WHEN p_m < 0 AND (p_d > 0 OR (p_d = 0 AND p_us > 0)) THEN ${P}.jh_fix(p_m + 1, p_d - 30, p_us)
         ELSE ${P}.jh_fix(p_m, p_d, p_us) END`,
    `CREATE OR REPLACE MACRO ${P}.ji_days(p_m, p_d, p_us) AS ${P}.ji_month(p_m + p_d // 30, p_d % 30, p_us)`,
    `CREATE OR REPLACE MACRO ${P}.justify_interval(p_i) AS ${P}.ji_days(${P}.iv_months(p_i),
       ${P}.iv_days(p_i) + ${P}.iv_micros(p_i) // 86400000000, ${P}.iv_micros(p_i) % 86400000000)`,
    // date_bin(stride, source [, origin]): the start of the stride-wide bin, counted from
    // origin (the Unix epoch by default), that holds source. Strides of months or years
    // and non-positive strides are refused, as in PostgreSQL.
    `CREATE OR REPLACE MACRO ${P}.bin_from(p_s, p_t, p_o) AS CASE
       WHEN ${P}.iv_months(p_s) <> 0 THEN error('timestamps cannot be binned into intervals containing months or years')
       WHEN ${P}.iv_days(p_s) * 86400000000 + ${P}.iv_micros(p_s) <= 0 THEN error('stride must be greater than zero')
       ELSE time_bucket(CAST(p_s AS INTERVAL), p_t, p_o) END`,
    `CREATE OR REPLACE MACRO ${P}.date_bin(p_s, p_t) AS ${P}.bin_from(p_s, p_t, CAST('1970-01-01' AS TIMESTAMP)),
       (p_s, p_t, p_o) AS ${P}.bin_from(p_s, p_t, p_o)`,
    `CREATE OR REPLACE MACRO ${P}.pg_backend_pid() AS 0`,
    `CREATE OR REPLACE MACRO ${P}.pg_postmaster_start_time() AS now()`,
    `CREATE OR REPLACE MACRO ${P}.pg_has_role(r, m) AS true, (u, r, m) AS true`,
    `CREATE OR REPLACE MACRO ${P}.version() AS 'PostgreSQL 9.5.0 on x86_64-pc-linux-gnu, compiled by ferry, 64-bit (Ferry, Materialize-compatible)'`,
    // --- namespaces, relations, attributes -------------------------------------------
    `CREATE OR REPLACE VIEW ${P}.pg_namespace AS
       SELECT s.oid::INTEGER AS oid, s.name AS nspname, coalesce(r.oid, 10) AS nspowner, s.privileges AS nspacl
       FROM ${M}.mz_catalog.mz_schemas s LEFT JOIN ${F}.roles r ON r.id = s.owner_id`,
    // Every relation a client may describe: Ferry's tables, views, materialized views and
    // sources (when the engine holds a relation for them), the mz_catalog / mz_internal
    // views (system oids from 16500, in name order), and these compatibility views as
    // pg_catalog relations (oids from 15000).
    `CREATE OR REPLACE VIEW ${P}.rels AS
       WITH duck AS (
         SELECT database_name, schema_name, table_name AS name, 'table' AS kind, sql FROM duckdb_tables() WHERE NOT temporary
         UNION ALL SELECT database_name, schema_name, view_name, 'view', sql FROM duckdb_views() WHERE NOT temporary AND NOT internal)
       SELECT o.oid::INTEGER AS oid, o.schema_name, o.name, CASE o.kind WHEN 'view' THEN 'v' WHEN 'materialized-view' THEN 'm' ELSE 'r' END AS relkind,
         coalesce(r.oid, 10) AS relowner, '${M}' AS db, o.schema_name AS duck_schema,
         coalesce(json_extract_string(o.details, '$.definition'), d.sql) AS definition, o.id AS ferry_id
       FROM ${F}.objects o JOIN duck d ON d.database_name = '${M}' AND d.schema_name = o.schema_name AND d.name = o.name
       LEFT JOIN ${F}.roles r ON r.id = o.owner_id
       WHERE o.kind IN ('table', 'view', 'materialized-view', 'source')
       UNION ALL
       SELECT (16500 + row_number() OVER (ORDER BY schema_name, name))::INTEGER, schema_name, name, 'v', 10, '${M}', schema_name, sql, NULL
       FROM duck WHERE database_name = '${M}' AND schema_name IN ('mz_catalog', 'mz_internal')
       UNION ALL
       SELECT (15000 + row_number() OVER (ORDER BY name))::INTEGER, 'pg_catalog', name, 'v', 10, '${P}', 'main', NULL, NULL
       FROM duck WHERE database_name = '${P}' AND name LIKE 'pg\\_%' ESCAPE '\\'`,
    `CREATE OR REPLACE VIEW ${P}.pg_class AS
       SELECT r.oid, r.name AS relname, n.oid AS relnamespace, 0 AS reltype, 0 AS reloftype, r.relowner,
         0 AS relam, 0 AS relfilenode, 0 AS reltablespace, 0 AS relpages, -1::FLOAT AS reltuples, 0 AS relallvisible,
         0 AS reltoastrelid, false AS relhasindex, false AS relisshared, 'p' AS relpersistence, r.relkind,
         coalesce(nc.n, 0)::SMALLINT AS relnatts,
         0::SMALLINT AS relchecks, false AS relhasoids, false AS relhaspkey, false AS relhasrules, false AS relhastriggers,
         false AS relhassubclass, false AS relrowsecurity, false AS relforcerowsecurity, true AS relispopulated,
         'd' AS relreplident, false AS relispartition, 0 AS relrewrite, 0 AS relfrozenxid, 0 AS relminmxid,
         mo.privileges AS relacl, NULL::VARCHAR[] AS reloptions, NULL::VARCHAR AS relpartbound, 1259 AS tableoid
       FROM ${P}.rels r JOIN ${P}.pg_namespace n ON n.nspname = r.schema_name
       LEFT JOIN ${M}.mz_catalog.mz_objects mo ON mo.id = r.ferry_id
       LEFT JOIN (SELECT database_name, schema_name, table_name, count(*) AS n FROM duckdb_columns() GROUP BY ALL) nc
         ON nc.database_name = r.db AND nc.schema_name = r.duck_schema AND nc.table_name = r.name`,
    // atttypid is computed in an inner query: DuckDB expands `CASE x WHEN …` by repeating
    // x in every branch, so nesting the type macros directly multiplies their cost.
    `CREATE OR REPLACE VIEW ${P}.pg_attribute AS
       SELECT attrelid, attname, atttypid, -1 AS attstattarget, ${P}.oid_typlen(atttypid) AS attlen, attnum,
         CASE WHEN data_type LIKE '%[]' THEN 1 ELSE 0 END AS attndims, -1 AS attcacheoff,
         ${P}.duck_typmod(data_type) AS atttypmod, false AS attbyval, 'i' AS attalign, 'x' AS attstorage, '' AS attcompression,
         attnotnull, __default IS NOT NULL AS atthasdef, false AS atthasmissing, '' AS attidentity,
         '' AS attgenerated, false AS attisdropped, true AS attislocal, 0 AS attinhcount, 0 AS attcollation,
         NULL::VARCHAR[] AS attacl, NULL::VARCHAR[] AS attoptions, NULL::VARCHAR[] AS attfdwoptions, __default
       FROM (SELECT r.oid AS attrelid, c.column_name AS attname, ${P}.duck_oid(c.data_type) AS atttypid, c.data_type,
               c.column_index::SMALLINT AS attnum, NOT c.is_nullable AS attnotnull, c.column_default AS __default
             FROM ${P}.rels r JOIN duckdb_columns() c
               ON c.database_name = r.db AND c.schema_name = r.duck_schema AND c.table_name = r.name)`,
    `CREATE OR REPLACE VIEW ${P}.pg_attrdef AS
       SELECT (attrelid * 1000 + attnum)::BIGINT AS oid, attrelid AS adrelid, attnum AS adnum, __default AS adbin
       FROM ${P}.pg_attribute WHERE __default IS NOT NULL`,
    `CREATE OR REPLACE VIEW ${P}.pg_type AS
       SELECT t.oid, t.typname, (SELECT oid FROM ${P}.pg_namespace WHERE nspname = CASE WHEN t.oid >= 16384 THEN 'mz_catalog' ELSE 'pg_catalog' END) AS typnamespace,
         10 AS typowner, t.typlen, t.typlen > 0 AS typbyval, CASE WHEN t.typname = 'record' THEN 'p' ELSE 'b' END AS typtype,
         t.typcategory, false AS typispreferred, true AS typisdefined, ',' AS typdelim, 0 AS typrelid, t.typelem, t.typarray,
         t.typinput, replace(t.typinput, 'in', 'out') AS typoutput, 'i' AS typalign, 'x' AS typstorage, false AS typnotnull, 0 AS typbasetype,
         -1 AS typtypmod, 0 AS typndims, 0 AS typcollation, NULL::VARCHAR AS typdefault, NULL::VARCHAR[] AS typacl, t.fmt AS __fmt
       FROM ${P}.types t`,
    // --- roles and databases ---------------------------------------------------------
    `CREATE OR REPLACE VIEW ${P}.pg_roles AS
       SELECT r.oid, r.name AS rolname, r.superuser AS rolsuper, r.inherit AS rolinherit, r.createrole AS rolcreaterole,
         r.createdb AS rolcreatedb, r.login AS rolcanlogin, false AS rolreplication, -1 AS rolconnlimit,
         '********' AS rolpassword, NULL::TIMESTAMPTZ AS rolvaliduntil, false AS rolbypassrls, NULL::VARCHAR[] AS rolconfig
       FROM ${F}.roles r`,
    `CREATE OR REPLACE VIEW ${P}.pg_authid AS
       SELECT oid, rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, rolreplication, rolbypassrls,
         rolconnlimit, NULL::VARCHAR AS rolpassword, rolvaliduntil FROM ${P}.pg_roles`,
    `CREATE OR REPLACE VIEW ${P}.pg_user AS
       SELECT rolname AS usename, oid AS usesysid, rolcreatedb AS usecreatedb, rolsuper AS usesuper, false AS userepl,
         false AS usebypassrls, '********' AS passwd, rolvaliduntil AS valuntil, NULL::VARCHAR[] AS useconfig
       FROM ${P}.pg_roles WHERE rolcanlogin`,
    `CREATE OR REPLACE VIEW ${P}.pg_auth_members AS
       SELECT r.oid AS roleid, m.oid AS member, 10 AS grantor, false AS admin_option
       FROM ${F}.role_members rm JOIN ${F}.roles r ON r.id = rm.role_id JOIN ${F}.roles m ON m.id = rm.member_id`,
    `CREATE OR REPLACE VIEW ${P}.pg_database AS
       SELECT d.oid::INTEGER AS oid, d.name AS datname, coalesce(r.oid, 10) AS datdba, 6 AS encoding, 'C' AS datcollate,
         'C' AS datctype, false AS datistemplate, true AS datallowconn, -1 AS datconnlimit, 0 AS datlastsysoid,
         0 AS datfrozenxid, 0 AS datminmxid, 1663 AS dattablespace, d.privileges AS datacl
       FROM ${M}.mz_catalog.mz_databases d LEFT JOIN ${F}.roles r ON r.id = d.owner_id`,
    // --- convenience views --------------------------------------------------------------
    `CREATE OR REPLACE VIEW ${P}.pg_tables AS
       SELECT n.nspname AS schemaname, c.relname AS tablename, ${P}.pg_get_userbyid(c.relowner) AS tableowner,
         NULL::VARCHAR AS tablespace, false AS hasindexes, false AS hasrules, false AS hastriggers, false AS rowsecurity
       FROM ${P}.pg_class c JOIN ${P}.pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r'`,
    `CREATE OR REPLACE VIEW ${P}.pg_views AS
       SELECT r.schema_name AS schemaname, r.name AS viewname, ${P}.pg_get_userbyid(r.relowner) AS viewowner, r.definition
       FROM ${P}.rels r WHERE r.relkind = 'v'`,
    `CREATE OR REPLACE VIEW ${P}.pg_matviews AS
       SELECT r.schema_name AS schemaname, r.name AS matviewname, ${P}.pg_get_userbyid(r.relowner) AS matviewowner,
         NULL::VARCHAR AS tablespace, false AS hasindexes, true AS ispopulated, r.definition
       FROM ${P}.rels r WHERE r.relkind = 'm'`,
    // amcanorder and friends are the 9.5 layout, which JDBC reads for a 9.5 server.
    `CREATE OR REPLACE VIEW ${P}.pg_am AS SELECT * FROM (VALUES (2, 'heap', 'heap_tableam_handler', 't', false, false, false, false, false))
       AS v(oid, amname, amhandler, amtype, amcanorder, amcanorderbyop, amcanbackward, amcanunique, amcanmulticol)`,
    `CREATE OR REPLACE VIEW ${P}.pg_collation AS SELECT * FROM (VALUES (100, 'default', 11, 10, 'd', true, -1, NULL::VARCHAR, NULL::VARCHAR)) AS v(oid, collname, collnamespace, collowner, collprovider, collisdeterministic, collencoding, collcollate, collctype)`,
    `CREATE OR REPLACE VIEW ${P}.pg_tablespace AS SELECT * FROM (VALUES (1663, 'pg_default', 10, NULL::VARCHAR[], NULL::VARCHAR[])) AS v(oid, spcname, spcowner, spcacl, spcoptions)`,
    // The settings drivers read at connect time (JDBC reads max_index_keys for key metadata).
    `CREATE OR REPLACE VIEW ${P}.pg_settings AS SELECT name, setting, NULL::VARCHAR AS unit, 'Ferry' AS category,
       '' AS short_desc, NULL::VARCHAR AS extra_desc, 'internal' AS context, 'string' AS vartype, 'default' AS source,
       NULL::VARCHAR AS min_val, NULL::VARCHAR AS max_val, NULL::VARCHAR[] AS enumvals, setting AS boot_val,
       setting AS reset_val, NULL::VARCHAR AS sourcefile, NULL::INTEGER AS sourceline, false AS pending_restart
       FROM (VALUES ('max_index_keys', '32'), ('max_identifier_length', '255'), ('server_version', '9.5.0'),
                    ('server_version_num', '90500'), ('server_encoding', 'UTF8'), ('TimeZone', 'UTC'),
                    ('standard_conforming_strings', 'on'), ('integer_datetimes', 'on')) AS v(name, setting)`,
    empty('pg_description', 'objoid INTEGER, classoid INTEGER, objsubid INTEGER, description VARCHAR'),
    empty('pg_shdescription', 'objoid INTEGER, classoid INTEGER, description VARCHAR'),
    empty(
      'pg_index',
      'indexrelid INTEGER, indrelid INTEGER, indnatts SMALLINT, indnkeyatts SMALLINT, indisunique BOOLEAN, indnullsnotdistinct BOOLEAN, indisprimary BOOLEAN, indisexclusion BOOLEAN, indimmediate BOOLEAN, indisclustered BOOLEAN, indisvalid BOOLEAN, indcheckxmin BOOLEAN, indisready BOOLEAN, indislive BOOLEAN, indisreplident BOOLEAN, indkey SMALLINT[], indcollation INTEGER[], indclass INTEGER[], indoption SMALLINT[], indexprs VARCHAR, indpred VARCHAR',
    ),
    empty(
      'pg_indexes',
      'schemaname VARCHAR, tablename VARCHAR, indexname VARCHAR, tablespace VARCHAR, indexdef VARCHAR',
    ),
    empty(
      'pg_constraint',
      'oid INTEGER, conname VARCHAR, connamespace INTEGER, contype VARCHAR, condeferrable BOOLEAN, condeferred BOOLEAN, convalidated BOOLEAN, conrelid INTEGER, contypid INTEGER, conindid INTEGER, conparentid INTEGER, confrelid INTEGER, confupdtype VARCHAR, confdeltype VARCHAR, confmatchtype VARCHAR, conislocal BOOLEAN, coninhcount INTEGER, connoinherit BOOLEAN, conkey SMALLINT[], confkey SMALLINT[], conpfeqop INTEGER[], conppeqop INTEGER[], conffeqop INTEGER[], conexclop INTEGER[], conbin VARCHAR',
    ),
    empty('pg_inherits', 'inhrelid INTEGER, inhparent INTEGER, inhseqno INTEGER, inhdetachpending BOOLEAN'),
    empty(
      'pg_trigger',
      'oid INTEGER, tgrelid INTEGER, tgparentid INTEGER, tgname VARCHAR, tgfoid INTEGER, tgtype SMALLINT, tgenabled VARCHAR, tgisinternal BOOLEAN, tgconstrrelid INTEGER, tgconstrindid INTEGER, tgconstraint INTEGER, tgdeferrable BOOLEAN, tginitdeferred BOOLEAN, tgnargs SMALLINT, tgattr SMALLINT[], tgargs BLOB, tgqual VARCHAR',
    ),
    empty(
      'pg_policy',
      'oid INTEGER, polname VARCHAR, polrelid INTEGER, polcmd VARCHAR, polpermissive BOOLEAN, polroles INTEGER[], polqual VARCHAR, polwithcheck VARCHAR',
    ),
    empty(
      'pg_rewrite',
      'oid INTEGER, rulename VARCHAR, ev_class INTEGER, ev_type VARCHAR, ev_enabled VARCHAR, is_instead BOOLEAN, ev_qual VARCHAR, ev_action VARCHAR',
    ),
    empty(
      'pg_statistic_ext',
      'oid INTEGER, stxrelid INTEGER, stxname VARCHAR, stxnamespace INTEGER, stxowner INTEGER, stxstattarget INTEGER, stxkeys SMALLINT[], stxkind VARCHAR[], stxexprs VARCHAR',
    ),
    empty(
      'pg_publication',
      'oid INTEGER, pubname VARCHAR, pubowner INTEGER, puballtables BOOLEAN, pubinsert BOOLEAN, pubupdate BOOLEAN, pubdelete BOOLEAN, pubtruncate BOOLEAN, pubviaroot BOOLEAN',
    ),
    empty('pg_publication_rel', 'oid INTEGER, prpubid INTEGER, prrelid INTEGER, prqual VARCHAR, prattrs SMALLINT[]'),
    empty('pg_publication_namespace', 'oid INTEGER, pnpubid INTEGER, pnnspid INTEGER'),
    empty(
      'pg_extension',
      'oid INTEGER, extname VARCHAR, extowner INTEGER, extnamespace INTEGER, extrelocatable BOOLEAN, extversion VARCHAR, extconfig INTEGER[], extcondition VARCHAR[]',
    ),
    empty('pg_foreign_table', 'ftrelid INTEGER, ftserver INTEGER, ftoptions VARCHAR[]'),
    empty(
      'pg_foreign_server',
      'oid INTEGER, srvname VARCHAR, srvowner INTEGER, srvfdw INTEGER, srvtype VARCHAR, srvversion VARCHAR, srvacl VARCHAR[], srvoptions VARCHAR[]',
    ),
    empty(
      'pg_foreign_data_wrapper',
      'oid INTEGER, fdwname VARCHAR, fdwowner INTEGER, fdwhandler INTEGER, fdwvalidator INTEGER, fdwacl VARCHAR[], fdwoptions VARCHAR[]',
    ),
    empty('pg_user_mapping', 'oid INTEGER, umuser INTEGER, umserver INTEGER, umoptions VARCHAR[]'),
    empty(
      'pg_partitioned_table',
      'partrelid INTEGER, partstrat VARCHAR, partnatts SMALLINT, partdefid INTEGER, partattrs SMALLINT[]',
    ),
    empty(
      'pg_proc',
      'oid INTEGER, proname VARCHAR, pronamespace INTEGER, proowner INTEGER, prolang INTEGER, procost FLOAT, prorows FLOAT, provariadic INTEGER, prosupport INTEGER, prokind VARCHAR, proisagg BOOLEAN, proiswindow BOOLEAN, prosecdef BOOLEAN, proleakproof BOOLEAN, proisstrict BOOLEAN, proretset BOOLEAN, provolatile VARCHAR, proparallel VARCHAR, pronargs SMALLINT, pronargdefaults SMALLINT, prorettype INTEGER, proargtypes INTEGER[], proallargtypes INTEGER[], proargmodes VARCHAR[], proargnames VARCHAR[], prosrc VARCHAR, proacl VARCHAR[]',
    ),
    empty('pg_aggregate', 'aggfnoid INTEGER, aggkind VARCHAR, aggnumdirectargs SMALLINT'),
    empty('pg_enum', 'oid INTEGER, enumtypid INTEGER, enumsortorder FLOAT, enumlabel VARCHAR'),
    empty('pg_range', 'rngtypid INTEGER, rngsubtype INTEGER, rngmultitypid INTEGER'),
    empty(
      'pg_depend',
      'classid INTEGER, objid INTEGER, objsubid INTEGER, refclassid INTEGER, refobjid INTEGER, refobjsubid INTEGER, deptype VARCHAR',
    ),
    empty(
      'pg_event_trigger',
      'oid INTEGER, evtname VARCHAR, evtevent VARCHAR, evtowner INTEGER, evtfoid INTEGER, evtenabled VARCHAR, evttags VARCHAR[]',
    ),
    empty(
      'pg_sequence',
      'seqrelid INTEGER, seqtypid INTEGER, seqstart BIGINT, seqincrement BIGINT, seqmax BIGINT, seqmin BIGINT, seqcache BIGINT, seqcycle BOOLEAN',
    ),
    empty(
      'pg_language',
      'oid INTEGER, lanname VARCHAR, lanowner INTEGER, lanispl BOOLEAN, lanpltrusted BOOLEAN, lanplcallfoid INTEGER, laninline INTEGER, lanvalidator INTEGER, lanacl VARCHAR[]',
    ),
    empty(
      'pg_operator',
      'oid INTEGER, oprname VARCHAR, oprnamespace INTEGER, oprowner INTEGER, oprkind VARCHAR, oprleft INTEGER, oprright INTEGER, oprresult INTEGER, oprcode VARCHAR',
    ),
    empty(
      'pg_cast',
      'oid INTEGER, castsource INTEGER, casttarget INTEGER, castfunc INTEGER, castcontext VARCHAR, castmethod VARCHAR',
    ),
    empty(
      'pg_default_acl',
      'oid INTEGER, defaclrole INTEGER, defaclnamespace INTEGER, defaclobjtype VARCHAR, defaclacl VARCHAR[]',
    ),
    empty(
      'pg_conversion',
      'oid INTEGER, conname VARCHAR, connamespace INTEGER, conowner INTEGER, conforencoding INTEGER, contoencoding INTEGER, conproc VARCHAR, condefault BOOLEAN',
    ),
    empty(
      'pg_opclass',
      'oid INTEGER, opcmethod INTEGER, opcname VARCHAR, opcnamespace INTEGER, opcowner INTEGER, opcfamily INTEGER, opcintype INTEGER, opcdefault BOOLEAN, opckeytype INTEGER',
    ),
    empty('pg_opfamily', 'oid INTEGER, opfmethod INTEGER, opfname VARCHAR, opfnamespace INTEGER, opfowner INTEGER'),
    empty('pg_ts_config', 'oid INTEGER, cfgname VARCHAR, cfgnamespace INTEGER, cfgowner INTEGER, cfgparser INTEGER'),
    empty(
      'pg_ts_dict',
      'oid INTEGER, dictname VARCHAR, dictnamespace INTEGER, dictowner INTEGER, dicttemplate INTEGER, dictinitoption VARCHAR',
    ),
    empty('pg_ts_parser', 'oid INTEGER, prsname VARCHAR, prsnamespace INTEGER'),
    empty('pg_ts_template', 'oid INTEGER, tmplname VARCHAR, tmplnamespace INTEGER'),
    empty('pg_db_role_setting', 'setdatabase INTEGER, setrole INTEGER, setconfig VARCHAR[]'),
    empty(
      'pg_locks',
      'locktype VARCHAR, database INTEGER, relation INTEGER, pid INTEGER, mode VARCHAR, granted BOOLEAN',
    ),
    empty(
      'pg_stat_activity',
      'datid INTEGER, datname VARCHAR, pid INTEGER, usesysid INTEGER, usename VARCHAR, application_name VARCHAR, client_addr VARCHAR, backend_start TIMESTAMPTZ, xact_start TIMESTAMPTZ, query_start TIMESTAMPTZ, state_change TIMESTAMPTZ, wait_event_type VARCHAR, wait_event VARCHAR, state VARCHAR, backend_xid INTEGER, backend_xmin INTEGER, query VARCHAR, backend_type VARCHAR',
    ),
    // --- information_schema: DuckDB's own views, with the internal schemas and the
    // compatibility database filtered out.
    ...INFORMATION_SCHEMA_RELATIONS.map((v) => {
      const col = ['schemata'].includes(v)
        ? ['catalog_name', 'schema_name']
        : v === 'character_sets'
          ? null
          : ['table_catalog', 'table_schema'];
      const where = col === null ? '' : ` WHERE ${col[0]} = '${M}' AND ${col[1]} NOT IN ('${INTERNAL_SCHEMA}', 'main')`;
      const key = v.endsWith('constraints') || v.endsWith('usage') ? ['constraint_catalog', 'constraint_schema'] : col;
      const w =
        v === 'check_constraints' || v === 'referential_constraints'
          ? ` WHERE ${key![0]} = '${M}' AND ${key![1]} NOT IN ('${INTERNAL_SCHEMA}', 'main')`
          : where;
      return `CREATE OR REPLACE VIEW ${P}.information_schema_${v} AS SELECT * FROM system.information_schema.${v}${w}`;
    }),
    // Macros over the relations above (DuckDB binds a macro's tables when it is created).
    `CREATE OR REPLACE MACRO ${P}.pg_get_viewdef(p_id) AS (SELECT definition FROM ${P}.rels WHERE oid = p_id),
       (p_id, p_pretty) AS (SELECT definition FROM ${P}.rels WHERE oid = p_id)`,
    // 'name'::regclass: the oid of the relation so named (schema-qualified or by search
    // path order public, mz_catalog, pg_catalog), or a 42P01 error as in PostgreSQL.
    `CREATE OR REPLACE MACRO ${P}.regclass_in(p_name) AS coalesce(
       (SELECT oid FROM ${P}.rels r
         WHERE r.name = lower(string_split(p_name, '.')[-1])
           AND (len(string_split(p_name, '.')) = 1 OR r.schema_name = lower(string_split(p_name, '.')[-2]))
         ORDER BY CASE r.schema_name WHEN 'public' THEN 0 WHEN 'mz_catalog' THEN 1 WHEN 'pg_catalog' THEN 2 ELSE 3 END
         LIMIT 1),
       error('relation "' || p_name || '" does not exist'))`,
    // A relation is visible when its schema is on the session's search path (DuckDB's
    // current_schemas follows SET search_path); name shadowing is not emulated. mz_catalog,
    // which Ferry searches implicitly, is left out so that psql's \d lists user objects only.
    `CREATE OR REPLACE MACRO ${P}.pg_table_is_visible(p_id) AS
       list_contains(list_filter(current_schemas(true), lambda s: s <> 'mz_catalog'), (SELECT schema_name FROM ${P}.rels WHERE oid = p_id))`,
  ];
}
