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

// Each name below is one the engine implements with PostgreSQL's meaning (checked against
// duckdb_functions() when the list changed), or one the front end rewrites (extract,
// to_char, substring, current_schemas). Syntax that is no call (CURRENT_TIMESTAMP,
// COALESCE, …) needs no entry. Left out on
// purpose although the engine has a function of that name: current_setting (it reads the
// engine's settings, not the session's), format, encode and decode (other arguments and
// meaning), has_*_privilege (the engine's answer is always true).
const SCALAR = `
abs cbrt ceil ceiling degrees exp floor ln log log10 mod pi power pow radians round sign sqrt trunc
acos asin atan atan2 cos cot sin tan cosh sinh tanh acosh asinh atanh gcd lcm factorial random
bit_length char_length character_length length octet_length lower upper left right lpad rpad ltrim rtrim
trim repeat replace reverse split_part strpos position substr substring starts_with concat concat_ws
ascii chr md5 sha256 to_hex translate regexp_replace regexp_split_to_array regexp_match regexp_matches
string_to_array array_to_string array_length array_cat array_append array_prepend array_position
cardinality unnest list_append list_prepend list_cat list_contains
now current_date transaction_timestamp date_trunc date_part age make_date make_time make_timestamp
make_timestamptz to_timestamp to_char extract isfinite timezone
nullif greatest least
to_json json_extract_path json_extract_path_text json_array_length row_to_json array_to_json
gen_random_uuid
current_database current_catalog current_schema current_schemas pg_typeof
mz_environment_id mz_version mz_version_num inet_server_addr inet_server_port txid_current
get_bit set_bit bit_count
`;

const AGGREGATE = `
count sum avg min max bool_and bool_or string_agg array_agg list_agg stddev stddev_pop stddev_samp
variance var_pop var_samp corr covar_pop covar_samp regr_slope regr_intercept regr_count regr_r2
bit_and bit_or bit_xor mode percentile_cont percentile_disc median any_value
`;

const WINDOW = `
row_number rank dense_rank percent_rank cume_dist ntile lag lead first_value last_value nth_value
`;

const TABLE = `
generate_series generate_subscripts unnest regexp_split_to_table json_each
`;

/** Ferry's macros in the engine's main schema (src/engine/index.ts installs them). */
const FERRY = new Set(['mz_environment_id', 'mz_version', 'mz_version_num']);

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
  m.set('list_length', { home: 'builtin', engineName: 'len' });
  m.set('btrim', { home: 'builtin', engineName: 'trim' });
  m.set('every', { home: 'builtin', engineName: 'bool_and' });
  // json and jsonb are both the engine's JSON (docs/compat.md: object keys keep their order).
  for (const [pgName, engineName] of [
    ['build_array', 'json_array'],
    ['build_object', 'json_object'],
    ['agg', 'json_group_array'],
    ['object_agg', 'json_group_object'],
    ['array_length', 'json_array_length'],
  ]) {
    m.set(`json_${pgName}`, { home: 'builtin', engineName });
    m.set(`jsonb_${pgName}`, { home: 'builtin', engineName });
  }
  m.set('to_jsonb', { home: 'builtin', engineName: 'to_json' });
  m.set('jsonb_pretty', { home: 'builtin', engineName: 'json_pretty' });
  // Set-returning: a table macro in FROM, unnest of a list in a select list (frontend.ts).
  for (const f of ['array_elements', 'array_elements_text', 'each', 'each_text', 'object_keys']) {
    m.set(`jsonb_${f}`, { home: 'compat', table: true, engineName: `jsonb_${f}_t` });
    m.set(`json_${f}`, { home: 'compat', table: true, engineName: `jsonb_${f}_t` });
  }
  m.set('json_typeof', { home: 'compat', engineName: 'jsonb_typeof' });
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
