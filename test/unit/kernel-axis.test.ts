/**
 * The kernel axis outside the executor: `kernels:` in a matrix (expansion, ids, rules, filters), the ids
 * (host cells keep their old ids), results version 2 and the reading of version 1, --shard and merge by
 * build x kernel, and compare across a version-1 baseline and a version-2 run.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { compareRuns } from '../../harness/compare/compare.js';
import { kernelEntry, kernelKind, matrixKernels } from '../../harness/matrix/expand.js';
import { parseFilter } from '../../harness/matrix/filter.js';
import { selectCells, validateMatrix } from '../../harness/matrix/validate.js';
import { AXES, HOST_KERNEL } from '../../harness/model/catalogue.js';
import { cellId, groupId, rowId } from '../../harness/model/cell.js';
import { type BuildResult, RESULTS_SCHEMA_VERSION, type Results } from '../../harness/model/results.js';
import { upgradeCell, upgradeResults } from '../../harness/model/results-upgrade.js';
import { cloneResults, generateResults } from '../../harness/report/synthetic.js';
import {
  buildGroupId,
  mergeShards,
  planShards,
  type ShardFile,
  shardCells,
  uniqueBuilds,
} from '../../harness/results/merge.js';
import { parseJournal } from '../../harness/results/resume.js';
import { readResults, summarize } from '../../harness/results/store.js';

const V1 = 'test/fixtures/results/small-v1.json';
const V2 = 'test/fixtures/results/small.json';

/** A matrix of two glibc entries on three kernels, with rules that pin the kernel. */
const KERNELS_MATRIX = `schemaVersion: 1
name: kernels
glibc:
  - id: bullseye
    source: stock
    suite: bullseye
  - id: bookworm
    source: stock
    suite: bookworm
variants:
  - id: stock
kernels:
  - id: host
    host: true
  - id: k6.1
    description: Debian 12's cloud kernel
    debian: { suite: bookworm, package: linux-image-cloud-amd64, version: latest }
  - id: uml
    uml: true
links: [shared, static]
scenarios: [default]
stages: [main, thread]
expect:
  - match: { glibc: bullseye }
    expect: unregistered
    why: glibc 2.31 never calls rseq(2)
  - match: { glibc: bookworm }
    expect: registered
    why: 2.36 registers in __tls_init_tp
  - match: { glibc: [bullseye, bookworm], kernel: uml }
    expect: unavailable
    why: user-mode-linux has no rseq(2), whatever glibc does
`;

t.test('ids: the host kernel is left out, any other follows the variant', async (t) => {
  t.same(AXES, ['glibc', 'variant', 'kernel', 'link', 'scenario', 'stage']);
  const host = {
    glibc: 'g',
    variant: 'v',
    kernel: HOST_KERNEL,
    link: 'shared',
    scenario: 'default',
  } as const;
  t.equal(cellId({ ...host, stage: 'main' }), 'g/v/shared/default/main', 'as before the axis');
  t.equal(cellId({ ...host, kernel: 'k6.1', stage: 'main' }), 'g/v/k6.1/shared/default/main');
  t.equal(rowId(host), 'g/v/shared/default');
  t.equal(rowId({ ...host, kernel: 'uml' }), 'g/v/uml/shared/default');
  t.equal(groupId({ glibc: 'g', variant: 'v' }), 'g/v', 'no kernel: the host group');
  t.equal(groupId({ glibc: 'g', variant: 'v', kernel: HOST_KERNEL }), 'g/v');
  t.equal(groupId({ glibc: 'g', variant: 'v', kernel: 'uml' }), 'g/v/uml');
});

t.test('a matrix without kernels: every cell on the host, with the ids it always had', async (t) => {
  const m = validateMatrix(readFileSync('matrices/stock.yaml', 'utf8'), 'matrices/stock.yaml');
  t.same(matrixKernels(m.doc), [{ id: 'host', host: true }]);
  t.ok(
    m.cells.every((c) => c.kernel === HOST_KERNEL),
    'every cell on the host kernel',
  );
  t.ok(
    m.cells.every((c) => c.id.split('/').length === 5 && c.id === cellId(c)),
    'glibc/variant/link/scenario/stage',
  );
  t.ok(
    m.cells.some((c) => c.id === 'bookworm/stock/shared/default/main'),
    'an id of the old form',
  );
});

t.test('a matrix with kernels: every build on every kernel, rules and filters on the axis', async (t) => {
  const m = validateMatrix(KERNELS_MATRIX, 'kernels.yaml');
  t.same(
    matrixKernels(m.doc).map((k) => [k.id, kernelKind(k)]),
    [
      ['host', 'host'],
      ['k6.1', 'debian'],
      ['uml', 'uml'],
    ],
  );
  t.match(kernelEntry(m.doc, 'k6.1'), {
    id: 'k6.1',
    debian: { suite: 'bookworm', package: 'linux-image-cloud-amd64', version: 'latest' },
  });
  t.equal(kernelEntry(m.doc, 'k6.2'), undefined);
  t.equal(m.cells.length, 2 * 1 * 3 * 2 * 1 * 2, 'glibc x variant x kernel x link x scenario x stage');
  t.equal(new Set(m.cells.map((c) => c.id)).size, m.cells.length, 'ids are unique');
  t.same(
    m.cells.slice(0, 6).map((c) => c.id),
    [
      'bullseye/stock/shared/default/main',
      'bullseye/stock/shared/default/thread',
      'bullseye/stock/static/default/main',
      'bullseye/stock/static/default/thread',
      'bullseye/stock/k6.1/shared/default/main',
      'bullseye/stock/k6.1/shared/default/thread',
    ],
    'glibc, variant, kernel, link, scenario, stage order',
  );
  const byId = new Map(m.cells.map((c) => [c.id, c]));
  t.match(byId.get('bookworm/stock/shared/default/main')?.expected, { state: 'registered', rule: 1 });
  t.match(byId.get('bookworm/stock/k6.1/shared/default/main')?.expected, { state: 'registered', rule: 1 });
  t.match(
    byId.get('bookworm/stock/uml/static/default/thread')?.expected,
    { state: 'unavailable', rule: 2 },
    'two pinned axes beat one: the kernel counts in specificity',
  );
  t.match(byId.get('bullseye/stock/uml/shared/default/main')?.expected, { state: 'unavailable', rule: 2 });
  t.match(byId.get('bullseye/stock/k6.1/shared/default/main')?.expected, { state: 'unregistered', rule: 0 });

  const uml = selectCells(m.cells, parseFilter('kernel=uml'));
  t.equal(uml.length, 8);
  t.ok(uml.every((c) => c.kernel === 'uml'));
  const notHost = selectCells(m.cells, parseFilter('kernel!=host,stage=main'));
  t.same([...new Set(notHost.map((c) => c.kernel))], ['k6.1', 'uml']);
  t.equal(selectCells(m.cells, parseFilter('kernel=k*')).length, 8, 'a glob');
  t.equal(
    m.where(['kernels', 1, 'debian']),
    'kernels.yaml:17: kernels[1].debian',
    'where(): file:line: field, for what is checked later',
  );
});

t.test('reading version 1: every cell on the host kernel, in one place', async (t) => {
  const v1 = JSON.parse(readFileSync(V1, 'utf8')) as Record<string, unknown>;
  t.equal(v1.schemaVersion, 1);
  const upgraded = upgradeResults(v1) as Results;
  t.not(upgraded, v1, 'a new object');
  t.equal(v1.schemaVersion, 1, 'the input is left as it was');
  t.equal(upgraded.schemaVersion, RESULTS_SCHEMA_VERSION);
  t.same(
    JSON.parse(JSON.stringify(upgraded)),
    JSON.parse(readFileSync(V2, 'utf8')),
    'the version-1 fixture upgraded is the version-2 fixture, member for member',
  );
  t.same(
    Object.keys(upgraded.cells[0] ?? {}).slice(0, 5),
    ['id', 'glibc', 'variant', 'kernel', 'link'],
    'the kernel after the variant, where a current cell has it',
  );
  t.equal(upgradeResults(upgraded), upgraded, 'a current file is left alone');
  const future = { schemaVersion: 3, cells: [{ id: 'x' }] };
  t.equal(upgradeResults(future), future, 'so is one of a version it cannot read');
  t.same(upgradeCell({ id: 'a', kernel: 'uml' }), { id: 'a', kernel: 'uml' });
  t.same(upgradeCell({ id: 'a' }), { id: 'a', kernel: 'host' });

  const read = await readResults(V1);
  t.equal(read.schemaVersion, 2);
  t.ok(read.cells.every((c) => c.kernel === 'host'));
  t.same(read, await readResults(V2), 'readResults: version 1 and its version-2 twin read the same');

  const dir = mkdtempSync(join(tmpdir(), 'rseq-kernel-axis-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const damaged = JSON.parse(readFileSync(V1, 'utf8'));
  damaged.cells[3].link = 'dynamic';
  const file = join(dir, 'damaged-v1.json');
  writeFileSync(file, JSON.stringify(damaged));
  await t.rejects(readResults(file), {
    name: 'InputError',
    message: `${file}: cells[3].link: must be one of shared, static, static-pie, not "dynamic"`,
  });
  const v2WithoutKernel = JSON.parse(readFileSync(V2, 'utf8'));
  delete v2WithoutKernel.cells[2].kernel;
  writeFileSync(file, JSON.stringify(v2WithoutKernel));
  await t.rejects(
    readResults(file),
    { message: `${file}: cells[2].kernel: missing` },
    'a version-2 cell must name its kernel',
  );
});

t.test('resume: a journal written before the kernel axis holds host cells', async (t) => {
  const text = [
    JSON.stringify({ type: 'run', run: { id: 'r1', matrix: { path: 'm', name: 'm', digest: 'd' } } }),
    JSON.stringify({
      type: 'cell',
      cell: { id: 'g/v/shared/default/main', glibc: 'g', variant: 'v', status: 'pass' },
    }),
    JSON.stringify({
      type: 'cell',
      cell: { id: 'g/v/uml/shared/default/main', glibc: 'g', variant: 'v', kernel: 'uml', status: 'pass' },
    }),
  ].join('\n');
  const saved = parseJournal(text, 'journal.jsonl', 'd');
  t.same(
    saved?.cells.map((c) => [c.id, c.kernel]),
    [
      ['g/v/shared/default/main', 'host'],
      ['g/v/uml/shared/default/main', 'uml'],
    ],
  );
});

/** A generated run on three kernels: 3 glibc x 2 variants x 3 kernels = 18 groups. */
const onKernels = generateResults({
  glibcs: ['bullseye', 'bookworm', 'trixie'],
  variants: ['stock', 'early-init'],
  kernels: ['host', 'k6.1', 'uml'],
  scenarios: ['default', 'tunable-off'],
  seed: 11,
});

t.test('--shard deals build x kernel groups; merge keeps each build once', async (t) => {
  const groups = new Set(onKernels.cells.map(buildGroupId));
  t.equal(groups.size, 18, 'one group per glibc x variant x kernel');
  t.ok(groups.has('bookworm/stock') && groups.has('bookworm/stock/uml'), 'host groups keep the old id');
  for (const n of [1, 2, 5, 18, 20]) {
    const plan = planShards(onKernels.cells, n);
    t.equal(plan.flat().length, 18, `N=${n}: every group dealt once`);
    const slices = Array.from({ length: n }, (_, index) => shardCells(onKernels.cells, { index, count: n }));
    t.equal(
      slices.reduce((s, x) => s + x.length, 0),
      onKernels.cells.length,
      `N=${n}: the slices partition the cells`,
    );
    for (const [k, s] of slices.entries())
      t.same(
        [...new Set(s.map(buildGroupId))].sort(),
        plan[k],
        `N=${n}: slice ${k + 1} holds exactly its groups`,
      );
  }
  // Three shards as run --shard writes them: each records the builds of its groups, so a build whose
  // kernels fell to two shards is recorded twice; the merged run has it once.
  const shards: ShardFile[] = [0, 1, 2].map((index) => {
    const r = cloneResults(onKernels);
    r.run.shard = { index, count: 3 };
    r.cells = shardCells(r.cells, { index, count: 3 });
    const builds = new Set(r.cells.map((c) => `${c.glibc}/${c.variant}`));
    r.builds = r.builds.filter((b) => builds.has(`${b.glibc}/${b.variant}`));
    r.summary = summarize(r.cells);
    return { file: `s${index + 1}/results.json`, results: r };
  });
  const recorded = shards.reduce((n, s) => n + s.results.builds.length, 0);
  t.ok(recorded > onKernels.builds.length, `builds recorded by more than one shard (${recorded})`);
  const merged = mergeShards(shards, { id: 'm', argv: [], order: onKernels.cells.map((c) => c.id) });
  t.same(
    merged.builds.map((b) => b.key).sort(),
    onKernels.builds.map((b) => b.key).sort(),
    'each build once',
  );
  t.same(
    merged.cells.map((c) => c.id),
    onKernels.cells.map((c) => c.id),
    'every cell, in matrix order',
  );
  t.equal(merged.summary.total, onKernels.cells.length);
  t.equal(merged.run.complete, true);
});

t.test('uniqueBuilds: one result per build key, a working one over a failed one', async (t) => {
  const b = (key: string, status: 'ok' | 'error', description: string): BuildResult => ({
    key,
    glibc: 'g',
    variant: key,
    status,
    cached: false,
    durationMs: 1,
    description,
  });
  t.same(
    uniqueBuilds([b('a', 'error', 'a1'), b('b', 'ok', 'b1'), b('a', 'ok', 'a2'), b('b', 'ok', 'b2')]).map(
      (x) => x.description,
    ),
    ['a2', 'b1'],
    'first-seen order; ok over error; of equals, the first',
  );
});

t.test('compare: a version-1 baseline and a version-2 run with more kernels', async (t) => {
  const baseline = await readResults(V1);
  const now = cloneResults(await readResults(V2));
  const extra = now.cells
    .filter((c) => c.glibc === 'bookworm')
    .map((c) => ({ ...c, kernel: 'uml', id: cellId({ ...c, kernel: 'uml' }) }));
  now.cells.push(...extra);
  now.summary = summarize(now.cells);
  const cmp = compareRuns(baseline, now);
  t.equal(cmp.counts.NEW, extra.length, 'the cells on the new kernel are NEW');
  t.equal(cmp.counts.REMOVED, 0, 'no host cell is lost between the versions');
  t.equal(
    cmp.changes.filter((x) => x.before !== null && x.before === x.after).length,
    baseline.cells.length,
    'every host cell of the version-1 baseline is the same cell now',
  );
  t.ok(
    cmp.changes.filter((x) => x.verdict === 'NEW').every((x) => x.id.includes('/uml/')),
    'NEW only on the new kernel',
  );
  // The same without readResults: a version-1 object whose cells lack the kernel still matches by id.
  const raw = JSON.parse(readFileSync(V1, 'utf8')) as Results;
  t.same(compareRuns(raw, now).counts, cmp.counts, 'ids alone match host cells across the versions');
});
