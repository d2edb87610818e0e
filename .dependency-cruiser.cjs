/**
 * Import rules for harness/ (`npm run lint` runs `depcruise harness --config .dependency-cruiser.cjs`):
 * no import circles; the pure core (matrix, verdict, compare) reaches none of the effectful edges
 * (Docker, the container code of the probes, the command line, the report), not even through another
 * module; the cache layer (harness/cache) imports nothing of the harness but harness/util, and no
 * package but execa. Type-only imports count like any other.
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
      name: 'pure-core-reaches-no-edge',
      severity: 'error',
      comment:
        "harness/matrix, harness/verdict and harness/compare are pure: they must not reach Docker, the probes' " +
        'container code, the CLI or the report, directly or through another module.',
      from: { path: '^harness/(matrix|verdict|compare)/' },
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
