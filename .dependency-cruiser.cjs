/**
 * Import rules for harness/ (`npm run lint` runs `depcruise harness --config .dependency-cruiser.cjs`),
 * the layers of README.md's "Layout": no import circles; the model (harness/model: the catalogue, cell
 * coordinates, the results types and schema) is the floor and imports nothing else of the harness, and
 * harness/util likewise; the pure core (matrix, verdict, compare) reaches none of the effectful edges
 * (Docker, the container code of the probes, the command line, the report), not even through another
 * module; the cache layer (harness/cache) imports nothing of the harness but harness/util, and no
 * package but execa; nothing imports the command line (harness/cli), the top. Type-only imports count
 * like any other.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import circle: move what both sides need into a third module.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'model-is-the-floor',
      severity: 'error',
      comment: 'harness/model may import node built-ins, npm packages and itself only: everything else builds on it.',
      from: { path: '^harness/model/' },
      to: { path: '^harness/', pathNot: '^harness/model/' },
    },
    {
      name: 'util-is-a-floor',
      severity: 'error',
      comment: 'harness/util may import node built-ins, npm packages and itself only.',
      from: { path: '^harness/util/' },
      to: { path: '^harness/', pathNot: '^harness/util/' },
    },
    {
      name: 'pure-core-reaches-no-edge',
      severity: 'error',
      comment:
        "harness/matrix, harness/verdict, harness/compare and harness/review (but its file reader) are pure: they must not reach Docker, the probes' " +
        'container code, the CLI or the report, directly or through another module.',
      from: { path: '^harness/(matrix|verdict|compare|review)/', pathNot: '^harness/review/series-files\\.ts$' },
      to: {
        path: '^harness/(docker/|cli/|report/|probe/(execute|clients)\\.ts$)',
        reachable: true,
      },
    },
    {
      name: 'cache-is-a-low-layer',
      severity: 'error',
      comment: 'harness/cache may import node built-ins, harness/util and itself only.',
      from: { path: '^harness/cache/' },
      to: { path: '^harness/', pathNot: '^harness/(cache|util)/' },
    },
    {
      name: 'cache-packages',
      severity: 'error',
      comment: 'harness/cache may use execa at most of the npm packages.',
      from: { path: '^harness/cache/' },
      to: {
        dependencyTypes: ['npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-no-pkg', 'npm-unknown'],
        pathNot: 'node_modules/execa/',
      },
    },
    {
      name: 'cli-is-the-top',
      severity: 'error',
      comment: 'Nothing outside harness/cli imports the command line.',
      from: { path: '^harness/', pathNot: '^harness/cli/' },
      to: { path: '^harness/cli/' },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'An import that resolves to no file.',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    includeOnly: { path: ['^harness/', 'node_modules/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.mts', '.js', '.mjs', '.cjs', '.d.ts'],
    },
  },
};
