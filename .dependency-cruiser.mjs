// The layer rule of src/ (README "Layers"), checked by `npm run lint:deps` (part of
// `npm run lint`): each folder under src/ may import only the folders listed for it below,
// besides itself. Anything else is an error, a folder not listed here included, so a new
// folder has to be placed in the order before it can import anything. Type-only imports
// count: a layer that names another's types depends on it. No import cycle is allowed
// anywhere in src/.
//
// The order, from the bottom:
//   errors · log · config · types       foundations, used by everyone
//   engine                              DuckDB; knows nothing of the catalog's meaning
//   catalog, sql, sink, sources,        the catalog in DuckDB; parsing and translation
//   connections                         (pure: no catalog, no engine); exports to
//                                       object storage; data in from it; AWS credentials
//   adapter                             sessions: uses all of the above
//   wire                                the protocol; sees only the adapter's interface
//                                       (src/adapter/api.ts)
//   loadgen, schedule, http             units beside the adapter that it never imports
//   server                              start-up: wires every unit together
//   cli                                 the `ferry` command, the top
//
// So the core flows wire → adapter → sql / catalog → engine; sink and connections never
// import wire or sql; http, cli, server and schedule are edges nothing below imports.

const FOUNDATION = ['errors', 'log', 'config', 'types'];

/** For each folder of src/, the other folders (or single files) it may import. */
const MAY_IMPORT = {
  errors: [],
  log: ['errors'],
  config: ['errors'],
  types: ['errors'],
  engine: [...FOUNDATION],
  catalog: [...FOUNDATION, 'engine'],
  sql: [...FOUNDATION],
  sink: [...FOUNDATION, 'engine'],
  sources: [...FOUNDATION, 'engine'],
  connections: [...FOUNDATION],
  adapter: [...FOUNDATION, 'engine', 'catalog', 'sql', 'sink', 'sources', 'connections'],
  wire: [...FOUNDATION, 'adapter/api.ts'],
  loadgen: [...FOUNDATION, 'engine', 'catalog', 'sql', 'adapter'],
  schedule: [...FOUNDATION, 'engine', 'catalog', 'sql', 'sink', 'connections', 'adapter'],
  http: [...FOUNDATION, 'engine', 'catalog', 'sql', 'adapter'],
  server: [
    ...FOUNDATION,
    'engine',
    'catalog',
    'sql',
    'sink',
    'sources',
    'connections',
    'adapter',
    'wire',
    'loadgen',
    'schedule',
    'http',
  ],
  cli: [
    ...FOUNDATION,
    'engine',
    'catalog',
    'sql',
    'sink',
    'sources',
    'connections',
    'adapter',
    'wire',
    'loadgen',
    'schedule',
    'http',
    'server',
  ],
};

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** A folder name matches everything under it; a name ending in .ts matches that file only. */
const target = (t) => (t.endsWith('.ts') ? `^src/${escape(t)}$` : `^src/${escape(t)}/`);

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  allowed: [
    // Within a folder.
    { from: { path: '^src/([^/]+)/' }, to: { path: '^src/$1/' } },
    // Node's built-in modules and the packages of package.json.
    { from: { path: '^src/' }, to: { dependencyTypes: ['core', 'npm', 'npm-dev', 'type-only'], pathNot: '^src/' } },
    ...Object.entries(MAY_IMPORT)
      .filter(([, targets]) => targets.length > 0)
      .map(([layer, targets]) => ({
        from: { path: `^src/${layer}/` },
        to: { path: targets.map(target) },
      })),
  ],
  allowedSeverity: 'error',
  forbidden: [
    {
      name: 'no-cycle',
      comment: 'Import cycles make start-up order fragile and layers meaningless: move the shared part into a leaf.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'src-not-to-dev-dependency',
      comment: 'The server runs with production dependencies only (type-only imports are erased).',
      severity: 'error',
      from: { path: '^src/' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'src-not-to-tests',
      comment: 'Tests, benchmarks and the console build import the server, never the reverse.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench|console)/' },
    },
    {
      name: 'no-unresolvable',
      severity: 'error',
      from: { path: '^src/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    // Type-only imports are dependencies too (see above).
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
