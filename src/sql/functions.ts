/**
 * The functions a user may call, by PostgreSQL / Materialize name. This is an allow-list:
 * a name that is not here is `42883 function … does not exist`, whoever calls it. DuckDB's
 * own file, network, introspection and global-state functions (read_*, glob, query,
 * enable_*, pragma_*, duckdb_*, …) are absent on purpose: Materialize has none of them and
 * each one reaches outside the database (docs/security.md, "What user SQL can call").
 *
 * Each entry says where the engine finds the implementation: `builtin` (DuckDB's function
 * of the same name), `compat` (a macro Ferry installs in its pg_catalog emulation database,
 * src/catalog/pg-compat.ts), or `ferry` (a macro Ferry installs in the engine's `main`
 * schema at start-up, src/engine/index.ts).
 */
import { PG_COMPAT_DB, PG_COMPAT_FUNCTIONS } from '../types/pg-catalog-names.js';

export type FunctionHome = 'builtin' | 'compat' | 'ferry';

export interface FunctionEntry {
  home: FunctionHome;
  /** The engine's name when it differs from the user's. */
  engineName?: string;
  /** Only valid in FROM (a set-returning function) or also in expressions. */
  table?: boolean;
}

const SCALAR = `
abs cbrt ceil ceiling degrees div exp floor ln log log10 mod pi power pow radians round sign sqrt trunc
acos asin atan atan2 cos cot sin tan cosh sinh tanh acosh asinh atanh gcd lcm factorial isnan isinf random
bit_length char_length character_length length octet_length lower upper initcap left right lpad rpad ltrim rtrim
btrim trim repeat replace reverse split_part strpos position substr substring starts_with concat concat_ws
ascii chr md5 sha256 encode decode format quote_ident quote_literal quote_nullable to_hex translate
regexp_replace regexp_split_to_array 
string_to_array array_to_string array_length array_cat array_append array_prepend array_position
array_positions cardinality array_dims unnest list_length list_append list_prepend list_cat list_contains

now current_timestamp current_date localtimestamp localtime clock_timestamp statement_timestamp
transaction_timestamp timeofday date_trunc date_part extract date_bin age make_date make_time make_timestamp
make_timestamptz make_interval to_timestamp to_date to_char to_number justify_days justify_hours
justify_interval isfinite timezone 
coalesce nullif greatest least
to_json to_jsonb json_typeof jsonb_typeof json_build_object jsonb_build_object json_build_array
jsonb_build_array json_extract_path json_extract_path_text jsonb_extract_path jsonb_extract_path_text
json_array_length jsonb_array_length jsonb_strip_nulls jsonb_pretty json_object_keys jsonb_object_keys
row_to_json array_to_json 
gen_random_uuid 
current_database current_catalog current_schema current_schemas current_setting pg_typeof
mz_environment_id mz_version mz_version_num has_table_privilege has_schema_privilege
has_database_privilege pg_is_in_recovery inet_server_addr inet_server_port txid_current
get_bit get_byte set_bit set_byte bit_count

`;

const AGGREGATE = `
count sum avg min max bool_and bool_or every string_agg array_agg list_agg jsonb_agg json_agg
jsonb_object_agg json_object_agg stddev stddev_pop stddev_samp variance var_pop var_samp corr covar_pop
covar_samp regr_slope regr_intercept regr_count regr_r2 bit_and bit_or bit_xor mode percentile_cont
percentile_disc median any_value 
`;

const WINDOW = `
row_number rank dense_rank percent_rank cume_dist ntile lag lead first_value last_value nth_value
`;

const TABLE = `
generate_series generate_subscripts unnest regexp_split_to_table jsonb_each jsonb_each_text
jsonb_array_elements jsonb_array_elements_text json_each json_each_text json_array_elements
json_array_elements_text
`;

/** Ferry's macros in the engine's main schema (src/engine/index.ts installs them). */
const FERRY = new Set(['mz_environment_id', 'mz_version']);

function words(s: string): string[] {
  return s.split(/\s+/).filter((w) => w !== '');
}

/** The allow-list, built once from the word lists above. */
const ENTRIES: ReadonlyMap<string, FunctionEntry> = (() => {
  const m = new Map<string, FunctionEntry>();
  for (const w of [...words(SCALAR), ...words(AGGREGATE), ...words(WINDOW)]) {
    m.set(w, { home: FERRY.has(w) ? 'ferry' : 'builtin' });
  }
  for (const w of words(TABLE)) m.set(w, { home: 'builtin', table: true });
  for (const w of PG_COMPAT_FUNCTIONS) m.set(w, { home: 'compat' });
  // Names whose DuckDB spelling differs.
  m.set('list_agg', { home: 'builtin', engineName: 'list' });
  // PostgreSQL's positions, where DuckDB counts a negative start from the end (pg-compat.ts).
  m.set('substring', { home: 'compat', engineName: 'pg_substring' });
  m.set('substr', { home: 'compat', engineName: 'pg_substring' });
  // MAP[k => v, …] (src/sql/prepass.ts rewrites the constructor into this call).
  m.set('__ferry_map', { home: 'builtin', engineName: 'map' });
  return m;
})();

/** The schemas a user may name a function in: they hold PostgreSQL's and Materialize's builtins. */
export const FUNCTION_SCHEMAS = new Set(['pg_catalog', 'mz_catalog', 'mz_internal', 'information_schema']);

/** The allow-list entry for `name` (lower case as the parser folds it), or null. */
export function lookupFunction(name: string): FunctionEntry | null {
  return ENTRIES.get(name) ?? null;
}

/** The qualified name parts the engine is given for an allowed function. */
export function engineFunctionName(name: string, entry: FunctionEntry): string[] {
  const n = entry.engineName ?? name;
  switch (entry.home) {
    case 'compat':
      return [PG_COMPAT_DB, n];
    case 'ferry':
      return ['main', n];
    case 'builtin':
      return [n];
  }
}
