/**
 * `npm run bench`: the speed and size targets, measured (never asserted by a test).
 *
 *   1. cold build of one key through the harness / a plain `configure && make -jN && make install` of
 *      the same tree in the same image (target <= 1.05)            [--cold; about 20 minutes]
 *   2. incremental variant / its cold base build (target <= 0.15; 2019-ABI variants <= 0.30), from the cache's manifests
 *   3. warm rerun of the default matrix with every build cached (target <= 30 s), broken into its
 *      phases from `run --timings` (harness/util/timing.ts): each phase's busy time and share
 *   4. the probe phase per cell, averaged over that run
 *   5. one cell through its reproduce command (target <= 3 s), the fixed cost of a run from that
 *      cell's timings (start to first probe plus last probe to exit; target <= 1.5 s), and the stock
 *      matrix without the percpu selftests (target <= 15 s)
 *   6. the report of 10,000 cells: size (target < 5 MB) and time until usable in Chromium (target < 2 s)
 *   8. the kernel axis: one build x kernel x scenario group in a VM (7.3 under TCG) with the default
 *      matrix's stages and two links, boot to power-off (target <= 20 s), and the warm rerun of
 *      matrices/kernels.yaml (target <= 10 minutes)                                        [--kernels]
 *   7. `review` of a 3-patch series touching two files each, warm base, against one incremental variant
 *      build plus its probes (a 1-patch review's patch step alone; target <= 4 x)     [--review]
 *
 * Prints a table and writes reports/bench.json; the phases and figures are compared with the previous
 * reports/bench.json, and each more than 25 % slower is named. Options: --cold, --review, --kernels, --no-warm, --no-figures,
 * --matrix FILE and --filter EXPR (the run broken into phases; default the whole default matrix).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { listCache } from '../builder/cache.js';
import type { Manifest } from '../builder/glibc.js';
import type { Results } from '../model/results.js';
import { renderReport } from '../report/html.js';
import { largeResults } from '../report/synthetic.js';
import { readResults } from '../results/store.js';
import { defaultCacheDir, ROOT } from '../util/paths.js';
import { aggregate, formatBreakdown, type Slower, slowerPhases, type Timings } from '../util/timing.js';

interface Row {
  what: string;
  value: string;
  target: string;
  ok: boolean | null;
}

const cli = join(ROOT, 'dist', 'harness', 'cli', 'main.js');
const DEFAULT_MATRIX = 'matrices/rseq.yaml';
const cache = defaultCacheDir();
const rows: Row[] = [];
const add = (what: string, value: string, target: string, ok: boolean | null) => {
  rows.push({ what, value, target, ok });
  process.stderr.write(`bench: ${what}: ${value} (${target})\n`);
};

async function timed<T>(f: () => Promise<T>): Promise<[T, number]> {
  const t0 = process.hrtime.bigint();
  const v = await f();
  return [v, Number(process.hrtime.bigint() - t0) / 1e9];
}

/** The harness's cold build time of 2.36 measured by --cold on a quiet machine, in ms (0: not measured). */
let quietColdMs = 0;

/** 1: the harness's cold build against the same build done by hand in the same image. */
async function coldRatio(): Promise<void> {
  const tmpCache = mkdtempSync(join(tmpdir(), 'rm-bench-cache-'));
  try {
    const [r, harnessSec] = await timed(() =>
      execa(
        'node',
        [
          cli,
          'run',
          join(ROOT, 'matrices/pristine-2.36.yaml'),
          '--cache',
          tmpCache,
          '--out',
          join(tmpCache, 'out'),
          '--filter',
          'link=shared,scenario=default,stage=main',
          '--json',
        ],
        { reject: false },
      ),
    );
    const out = JSON.parse(r.stdout || '{}') as { results?: string };
    const results = JSON.parse(readFileSync(out.results ?? '', 'utf8')) as Results;
    const build = results.builds[0];
    const key = build?.key ?? '';
    const buildSec = (build?.durationMs ?? 0) / 1000;
    const manifest = JSON.parse(
      readFileSync(join(tmpCache, 'builds', key, 'manifest.json'), 'utf8'),
    ) as Manifest;
    const image = (
      await execa('docker', ['images', '--format', '{{.Repository}}:{{.Tag}}', 'rseq-matrix/toolchain'])
    ).stdout
      .split('\n')
      .find((t) => t.includes(':bookworm-'));
    const tarball = (
      await execa('sh', ['-c', `ls ${tmpCache}/sources/blobs/*glibc_2.36.orig.tar.xz`])
    ).stdout.trim();
    const jobs = availableParallelism();
    const script = [
      'set -e; mkdir -p /w/src /w/build; tar -xf /in/src.tar.xz -C /w/src --strip-components=1',
      "mkdir -p /w/src/manual; printf 'subdir := manual\\ninclude ../Makeconfig\\ninclude ../Rules\\n' > /w/src/manual/Makefile",
      's=$(date +%s%N); cd /w/build',
      '../src/configure --prefix=/opt/glibc --disable-werror --disable-profile --without-selinux >/dev/null',
      `make -j${jobs} >/dev/null 2>&1; make -j${jobs} install >/dev/null 2>&1`,
      'e=$(date +%s%N); echo $(( (e - s) / 1000000 ))',
    ].join('\n');
    const plain = await execa('docker', [
      'run',
      '--rm',
      '--network',
      'none',
      '-v',
      `${tarball}:/in/src.tar.xz:ro`,
      image ?? '',
      'bash',
      '-c',
      script,
    ]);
    const plainSec = Number(plain.stdout.trim().split('\n').pop()) / 1000;
    const harnessBuildSec =
      (manifest.phases.configure ?? 0) / 1000 +
      (manifest.phases.make ?? 0) / 1000 +
      (manifest.phases.install ?? 0) / 1000;
    add(
      'cold build, harness (whole run incl. fetch, unpack, checksums, probes)',
      `${harnessSec.toFixed(0)} s`,
      'information',
      null,
    );
    add('cold build, harness build phase', `${buildSec.toFixed(0)} s`, 'information', null);
    add(
      'cold build, plain configure+make+install',
      `${plainSec.toFixed(0)} s (same phases in the harness: ${harnessBuildSec.toFixed(0)} s)`,
      'information',
      null,
    );
    quietColdMs = manifest.durationMs;
    const ratio = buildSec / plainSec;
    add('cold build ratio harness/plain', ratio.toFixed(3), '<= 1.05', ratio <= 1.05);
  } finally {
    rmSync(tmpCache, { recursive: true, force: true });
  }
}

/** 2: every incremental build in the cache against its cold base. */
async function incrementalRatios(): Promise<void> {
  const entries = await listCache(cache);
  const manifests = new Map<string, Manifest>();
  for (const e of entries) {
    try {
      manifests.set(
        e.key,
        JSON.parse(readFileSync(join(cache, 'builds', e.key, 'manifest.json'), 'utf8')) as Manifest,
      );
    } catch {
      /* damaged entries are not measured */
    }
  }
  let any = false;
  let reviewSteps = 0;
  for (const m of manifests.values()) {
    if (m.mode !== 'incremental' || !m.baseKey) continue;
    // A review's steps (and this bench's) name their patches by file name alone, the repository's
    // variants by their path under patches/: the targets are the variants'. Review steps are often
    // built two at a time, each on half the machine.
    if (!/ \+ [^,]*\//.test(m.description)) {
      reviewSteps++;
      continue;
    }
    const base = manifests.get(m.baseKey);
    if (base?.mode !== 'cold') continue;
    any = true;
    // A cached cold build may have shared the machine with other builds; the --cold one did not.
    const coldMs = quietColdMs && base.description.includes('2.36') ? quietColdMs : base.durationMs;
    const ratio = m.durationMs / coldMs;
    // A 2019-ABI variant changes glibc's version maps, so make recompiles most of libc (ccache answers
    // most of it): its target is 0.30; every other variant's 0.15. v10 is one too (its own patch).
    const target = /libc-tls-abi|\/v10\//.test(m.description) ? 0.3 : 0.15;
    add(
      `incremental / cold: ${m.description.replace(/^.* \+ /, '')}`,
      `${ratio.toFixed(3)} (${(m.durationMs / 1000).toFixed(0)} s vs ${(coldMs / 1000).toFixed(0)} s cold, ${m.compiledFiles} files compiled)`,
      `<= ${target.toFixed(2)}`,
      ratio <= target,
    );
  }
  if (reviewSteps)
    add(
      'incremental builds of review steps in the cache (not judged: see the review row)',
      String(reviewSteps),
      'information',
      null,
    );
  if (!any)
    add(
      'incremental / cold',
      'no incremental build in the cache: run `npm run matrix` first',
      '<= 0.15',
      null,
    );
}

/** A run of the command line, timed from outside, with its results and phase timings. */
interface CliRun {
  sec: number;
  exitCode: number;
  results: Results;
  timings: Timings;
  /** Builds not taken from the cache, and probe or client compilations done (the run was not warm). */
  made: number;
}

/**
 * Runs `rseq-matrix run MATRIX ...` into a temporary folder with --timings. `npx`: through npx, as the
 * reproduce command a report shows is typed.
 */
async function runCli(matrix: string, extra: string[], how: { npx?: boolean } = {}): Promise<CliRun> {
  const out = mkdtempSync(join(tmpdir(), 'rm-bench-run-'));
  try {
    const timingsFile = join(out, 'timings.json');
    const args = ['run', matrix, ...extra, '--out', join(out, 'out'), '--timings', timingsFile, '--json'];
    const [r, sec] = await timed(() =>
      how.npx
        ? execa('npx', ['rseq-matrix', ...args], { cwd: ROOT, reject: false })
        : execa('node', [cli, ...args], { cwd: ROOT, reject: false }),
    );
    const o = JSON.parse(r.stdout || '{}') as { results?: string };
    if (!o.results) throw new Error(`rseq-matrix run ${matrix} ${extra.join(' ')}: ${r.stderr.slice(-2000)}`);
    const results = await readResults(o.results);
    const timings = JSON.parse(readFileSync(timingsFile, 'utf8')) as Timings;
    const made = results.builds.filter(
      (b) => (b.key && !b.cached) || (b.probeCompileMs ?? 0) > 0 || (b.clients?.compileMs ?? 0) > 0,
    ).length;
    return { sec, exitCode: r.exitCode ?? -1, results, timings, made };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** A warm run: once more when the first had to build or compile something. */
async function warmRun(matrix: string, extra: string[], how: { npx?: boolean } = {}): Promise<CliRun> {
  const first = await runCli(matrix, extra, how);
  return first.made ? runCli(matrix, extra, how) : first;
}

/** Milliseconds as the breakdown shows them: a tenth where they are few. */
const msText = (ms: number) => ms.toFixed(ms < 10 ? 1 : 0);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

/** What bench.json keeps of the phase breakdown. */
interface SavedBreakdown {
  matrix: string;
  filter: string | null;
  wallMs: number;
  busyMs: number;
  fixedMs: number | null;
  phases: { phase: string; busyMs: number; share: number; spans: number; coveredMs: number }[];
}

let breakdown: SavedBreakdown | undefined;
let slower: Slower[] = [];
const figures: Record<string, { value: number; unit: 's'; target: number }> = {};

function figure(key: string, what: string, value: number, target: number, note: string, ok = true): void {
  figures[key] = { value: Math.round(value * 1000) / 1000, unit: 's', target };
  add(
    what,
    `${value.toFixed(value < 10 ? 2 : 1)} s${note ? ` (${note})` : ''}`,
    `<= ${target} s`,
    ok && value <= target,
  );
}

/** 3 and 4: the default matrix again, everything cached, broken into its phases. */
async function warmRerun(matrix: string, filter: string | undefined): Promise<void> {
  const extra = filter ? ['--filter', filter] : [];
  const run = await warmRun(join(ROOT, matrix), extra);
  const { results, sec, timings } = run;
  const what = `warm rerun of ${matrix}${filter ? ` --filter '${filter}'` : ''}`;
  const notWarm = run.made ? `, NOT WARM: ${run.made} builds or compilations made` : '';
  const cells = `${results.cells.length} cells, ${results.cells.filter((c) => c.probe).length} probed`;
  if (matrix === DEFAULT_MATRIX && !filter)
    figure('warmDefault', what, sec, 30, `${cells}${notWarm}`, !run.made);
  else
    add(
      what,
      `${sec.toFixed(1)} s (${cells}${notWarm})`,
      'information (the target is for the whole default matrix)',
      null,
    );
  const probed = results.cells.filter((c) => c.probe);
  const avg = probed.reduce((a, c) => a + (c.probe?.durationMs ?? 0), 0) / Math.max(1, probed.length);
  add(
    'probe phase per cell (the probe process, averaged)',
    `${avg.toFixed(1)} ms over ${probed.length} cells`,
    'information',
    null,
  );
  add(
    'run time per measured cell (wall / cells)',
    `${((sec * 1000) / Math.max(1, probed.length)).toFixed(1)} ms`,
    'information',
    null,
  );
  const b = aggregate(timings);
  const exitMs = Math.max(0, sec * 1000 - timings.wallMs);
  process.stderr.write(
    `\nbench: phases of the ${what} (${(sec).toFixed(1)} s from outside; ${exitMs.toFixed(0)} ms of it after the timings were written: process start before Node's clock and exit)\n${formatBreakdown(b)}\n\n`,
  );
  breakdown = {
    matrix,
    filter: filter ?? null,
    wallMs: b.wallMs,
    busyMs: b.busyMs,
    fixedMs: b.fixedMs ?? null,
    phases: b.phases.map((p) => ({
      phase: p.phase,
      busyMs: p.busyMs,
      share: Math.round(p.share * 10000) / 10000,
      spans: p.spans,
      coveredMs: p.coveredMs,
    })),
  };
  if (b.fixedMs !== undefined)
    add(
      `fixed cost of that run (start to first probe ${b.probing?.firstMs.toFixed(0)} ms, last probe to exit)`,
      `${(b.fixedMs / 1000).toFixed(2)} s`,
      'information',
      null,
    );
}

/** The four figures of issue 17 besides the warm default rerun: one cell, the fixed cost, the stock matrix. */
async function oneCellAndStock(): Promise<void> {
  const oneCell = ['--filter', 'glibc=glibc-2.36,variant=upstream,link=shared,scenario=default,stage=main'];
  await runCli(DEFAULT_MATRIX, oneCell); // warm-up: builds, compiles, the file system's cache
  const runs: CliRun[] = [];
  for (let i = 0; i < 3; i++) runs.push(await runCli(DEFAULT_MATRIX, oneCell, { npx: true }));
  const made = runs.reduce((a, r) => a + r.made, 0);
  figure(
    'oneCell',
    'one cell through its reproduce command (npx rseq-matrix run matrices/rseq.yaml --filter ...; median of 3)',
    median(runs.map((r) => r.sec)),
    3,
    made
      ? `NOT WARM: ${made} builds or compilations made`
      : `${runs.map((r) => r.sec.toFixed(2)).join(', ')} s`,
    made === 0,
  );
  const fixed = runs.map((r) => aggregate(r.timings));
  const fixedSec = median(fixed.map((b) => (b.fixedMs ?? Number.POSITIVE_INFINITY) / 1000));
  const first = median(fixed.map((b) => b.probing?.firstMs ?? 0));
  const afterLast = median(fixed.map((b) => b.wallMs - (b.probing?.lastMs ?? b.wallMs)));
  figure(
    'fixedCost',
    'fixed cost of a run, from its timings (that one cell: start to first probe plus last probe to exit; median of 3)',
    fixedSec,
    1.5,
    `${first.toFixed(0)} ms before the first probe, ${afterLast.toFixed(0)} ms after the last`,
  );
  const stock = await warmRun(join(ROOT, 'matrices/stock.yaml'), [
    '--filter',
    'stage!=client:basic_percpu_ops*',
  ]);
  figure(
    'stock',
    "stock matrix without the percpu selftests (matrices/stock.yaml --filter 'stage!=client:basic_percpu_ops*')",
    stock.sec,
    15,
    `${stock.results.cells.length} cells${stock.made ? `, NOT WARM: ${stock.made} builds or compilations made` : ''}`,
    stock.made === 0,
  );
}

/** Files the review bench's patches change: each compiled into libc once, none included elsewhere. */
const REVIEW_FILES = [
  'stdlib/getenv.c',
  'stdlib/setenv.c',
  'string/strsep.c',
  'string/strtok.c',
  'misc/getauxval.c',
  'misc/mntent.c',
];

/**
 * A series of `count` patches, two files each, written as bare diffs into `dir`: each adds a variable
 * with this bench's nonce, so that every bench builds new keys and compiles what the patch changed.
 */
async function benchSeries(tarball: string, dir: string, count: number, nonce: string): Promise<void> {
  const tree = join(dir, 'tree');
  mkdirSync(tree, { recursive: true });
  const files = REVIEW_FILES.slice(0, count * 2);
  await execa('tar', [
    '-xf',
    tarball,
    '-C',
    tree,
    '--strip-components=1',
    ...files.map((f) => `glibc-2.36/${f}`),
  ]);
  mkdirSync(join(dir, 'series'), { recursive: true });
  for (let k = 0; k < count; k++) {
    const diffs: string[] = [];
    for (const f of files.slice(k * 2, k * 2 + 2)) {
      const old = readFileSync(join(tree, f), 'utf8');
      const name = f.replace(/\W/g, '_');
      writeFileSync(
        join(tree, `${f}.new`),
        `${old}\nconst char bench_${name}_${nonce}[] __attribute__ ((used)) = "${nonce}";\n`,
      );
      const d = await execa(
        'diff',
        ['-u', '--label', `a/${f}`, '--label', `b/${f}`, join(tree, f), join(tree, `${f}.new`)],
        {
          reject: false,
        },
      );
      diffs.push(d.stdout.endsWith('\n') ? d.stdout : `${d.stdout}\n`);
    }
    writeFileSync(
      join(dir, 'series', `000${k + 1}-bench.patch`),
      `bench: patch ${k + 1} of ${count}\n\n${diffs.join('')}`,
    );
  }
}

/** 7: a 3-patch review against one incremental variant build plus its probes. */
async function reviewRatio(): Promise<void> {
  const tarball = (
    await execa('sh', ['-c', `ls ${cache}/sources/blobs/*glibc_2.36.orig.tar.xz | head -1`], {
      reject: false,
    })
  ).stdout.trim();
  if (!tarball) {
    add(
      'review of a 3-patch series',
      'no glibc 2.36 tarball in the cache: run `npm run matrix` first',
      '<= 4 x',
      null,
    );
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'rm-bench-review-'));
  const nonce = Date.now().toString(36);
  const review = async (series: string, out: string, extra: string[]) => {
    const [r, sec] = await timed(() =>
      execa(
        'node',
        [cli, 'review', series, '--base', 'glibc-2.36', '--out', out, '--format', 'json', ...extra],
        {
          cwd: ROOT,
          reject: false,
        },
      ),
    );
    const o = JSON.parse(r.stdout || '{}') as {
      review?: { steps: { build: { status: string; cached?: boolean } }[] };
    };
    if (!o.review) throw new Error(`rseq-matrix review: ${r.stderr.slice(-2000)}`);
    return { sec, steps: o.review.steps };
  };
  try {
    // The base warm first (its build, the probes' compilation), so neither figure pays for it.
    await benchSeries(tarball, join(dir, 'one'), 1, `${nonce}a`);
    await review(join(dir, 'one', 'series'), join(dir, 'warm'), ['--filter', 'variant=base']);
    const one = await review(join(dir, 'one', 'series'), join(dir, 'one-out'), [
      '--filter',
      'variant=patch-1',
    ]);
    await benchSeries(tarball, join(dir, 'three'), 3, `${nonce}b`);
    const three = await review(join(dir, 'three', 'series'), join(dir, 'three-out'), []);
    const built = three.steps.filter((s) => s.build.status === 'ok' && !s.build.cached).length;
    add(
      'one incremental variant build plus its probes (a 1-patch review, patch step only)',
      `${one.sec.toFixed(0)} s`,
      'information',
      null,
    );
    const ratio = three.sec / one.sec;
    add(
      'review of a 3-patch series (two files each), warm base, / one variant build plus probes',
      `${ratio.toFixed(2)} (${three.sec.toFixed(0)} s vs ${one.sec.toFixed(0)} s; ${built} steps built)`,
      '<= 4',
      ratio <= 4 && built === 3,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** 8: one VM group with the default matrix's stages, and the whole of matrices/kernels.yaml, warm. */
async function kernelFigures(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'rm-bench-kernels-'));
  try {
    const rseq = readFileSync(join(ROOT, DEFAULT_MATRIX), 'utf8');
    const stages = /\nstages:\n((?: {2}- .*\n| {2}#.*\n)+)/.exec(rseq)?.[1] ?? '';
    const probeStages = stages
      .split('\n')
      .map((l) => /^ {2}- (\S+)/.exec(l)?.[1])
      .filter((s): s is string => Boolean(s) && !s?.startsWith('client:'));
    const matrix = join(dir, 'one-group.yaml');
    writeFileSync(
      matrix,
      [
        'schemaVersion: 1',
        'name: bench-vm-group',
        'glibc:',
        '  - { id: glibc-2.36, source: debian, debian: { suite: bookworm, version: latest, debianPatches: false } }',
        'variants: [{ id: upstream }]',
        'kernels: [{ id: k7.3, debian: { suite: trixie-backports, package: linux-image-cloud-amd64 } }]',
        'options: { glibcTests: [misc/tst-rseq, misc/tst-rseq-disable, nptl/tst-rseq-nptl] }',
        'links: [shared, static]',
        'scenarios: [default]',
        `stages: [${probeStages.join(', ')}]`,
        "expect: [{ expect: any, why: 'bench: recorded, not judged' }]",
        '',
      ].join('\n'),
    );
    const one = await warmRun(matrix, []);
    const boots = one.timings.spans.filter((s) => s.phase === 'vm-boot');
    const bootSec = boots.reduce((a, s) => a + (s.endMs - s.startMs), 0) / 1000;
    const probed = one.results.cells.filter((c) => c.probe).length;
    figure(
      'vmGroup',
      `one build x kernel x scenario group in a VM (7.3, TCG; ${probeStages.length} stages x 2 links, ${probed} cells probed), boot to power-off`,
      bootSec,
      20,
      `${one.made ? `NOT WARM: ${one.made} made; ` : ''}${boots.length} boot(s); the whole run ${one.sec.toFixed(1)} s`,
      one.made === 0 && boots.length === 1,
    );
    const all = await warmRun(join(ROOT, 'matrices/kernels.yaml'), []);
    figure(
      'kernelsMatrix',
      `warm rerun of matrices/kernels.yaml (${all.results.cells.length} cells, ${new Set(all.results.cells.map((c) => c.kernel)).size} kernels)`,
      all.sec,
      600,
      all.made ? `NOT WARM: ${all.made} builds or compilations made` : `exit ${all.exitCode}`,
      all.made === 0 && all.exitCode === 0,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** 5: the report of 10,000 cells. */
async function reportSize(): Promise<void> {
  const results = largeResults(10_000);
  const [html, sec] = await timed(async () => renderReport(results));
  const mb = Buffer.byteLength(html) / 1e6;
  add(
    'report of 10,000 cells: size',
    `${mb.toFixed(2)} MB (rendered in ${sec.toFixed(2)} s)`,
    '< 5 MB',
    mb < 5,
  );
  let chromium: typeof import('playwright-core').chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch {
    add('report of 10,000 cells: usable in Chromium', 'playwright-core is not installed', '< 2 s', null);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'rm-bench-report-'));
  const file = join(dir, 'report.html');
  writeFileSync(file, html);
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  try {
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const page = await browser.newPage();
      const t0 = Date.now();
      await page.goto(`file://${file}`);
      // Usable: the grid has its cells and a click on one opens its panel.
      await page.waitForSelector('html[data-ready="true"]', { timeout: 30_000 });
      await page.locator('#grid .c[data-i]').first().click();
      times.push((Date.now() - t0) / 1000);
      await page.close();
    }
    const med = times.sort((a, b) => a - b)[1] ?? 0;
    add('report of 10,000 cells: usable in Chromium (median of 3)', `${med.toFixed(2)} s`, '< 2 s', med < 2);
  } finally {
    await browser.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What else the machine is doing: the load, and glibc builds (another run's) in progress. */
async function machineState(): Promise<{ load1: number; cores: number; glibcBuilds: number }> {
  // The build script as a file, or as it runs in a build container (BUILD_PATHS.meta/build.sh).
  const builds = await execa('pgrep', ['-f', 'glibc-build\\.sh|/in/meta/build\\.sh'], { reject: false });
  return {
    load1: Math.round((loadavg()[0] ?? 0) * 100) / 100,
    cores: availableParallelism(),
    glibcBuilds: builds.stdout.split('\n').filter(Boolean).length,
  };
}

function option(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const args = new Set(argv);
  // The breakdown's run: the default matrix unless told (e.g. what the cache already holds).
  const matrix = option(argv, '--matrix') ?? DEFAULT_MATRIX;
  const filter = option(argv, '--filter');
  const benchFile = join(ROOT, 'reports', 'bench.json');
  let previous: { at?: string; breakdown?: SavedBreakdown; figures?: typeof figures } | undefined;
  try {
    previous = JSON.parse(readFileSync(benchFile, 'utf8'));
  } catch {
    previous = undefined;
  }
  const before = await machineState();
  if (before.glibcBuilds)
    process.stderr.write(
      `bench: warning: ${before.glibcBuilds} glibc build(s) running: the figures share the machine\n`,
    );
  if (args.has('--cold')) await coldRatio();
  if (args.has('--review')) await reviewRatio();
  if (args.has('--kernels')) await kernelFigures();
  await incrementalRatios();
  if (!args.has('--no-warm')) await warmRerun(matrix, filter);
  if (!args.has('--no-figures')) await oneCellAndStock();
  await reportSize();
  const after = await machineState();
  if (breakdown && previous?.breakdown) {
    const same =
      previous.breakdown.matrix === breakdown.matrix && previous.breakdown.filter === breakdown.filter;
    slower = same ? slowerPhases(previous.breakdown.phases, breakdown.phases) : [];
    if (!same)
      process.stderr.write(
        `bench: the previous bench.json broke down another run (${previous.breakdown.matrix} ${previous.breakdown.filter ?? ''}): phases not compared\n`,
      );
  }
  const slowerFigures = Object.entries(figures)
    .filter(([k, f]) => {
      const was = previous?.figures?.[k]?.value;
      return was !== undefined && f.value > was * 1.25;
    })
    .map(([k, f]) => ({ figure: k, before: previous?.figures?.[k]?.value, now: f.value }));
  const lines = rows.map(
    (r) => `${r.ok === null ? '    ' : r.ok ? 'ok  ' : 'MISS'} ${r.what}: ${r.value}  [target ${r.target}]`,
  );
  process.stdout.write(`${lines.join('\n')}\n`);
  if (previous?.at && breakdown) {
    process.stdout.write(
      slower.length
        ? `phases more than 25 % slower than in the bench of ${previous.at}:\n${slower.map((p) => `  ${p.phase}: ${msText(p.beforeMs)} -> ${msText(p.nowMs)} ms busy (+${Number.isFinite(p.increase) ? (p.increase * 100).toFixed(0) : 'inf'} %)${p.nowMs < 50 ? ' (small: noise likely)' : ''}`).join('\n')}\n`
        : `no phase more than 25 % slower than in the bench of ${previous.at}\n`,
    );
  }
  for (const f of slowerFigures)
    process.stdout.write(`figure ${f.figure} more than 25 % slower: ${f.before} -> ${f.now} s\n`);
  process.stdout.write(
    `machine: ${after.cores} cores, load ${before.load1} at the start and ${after.load1} at the end; glibc builds running: ${before.glibcBuilds} at the start, ${after.glibcBuilds} at the end\n`,
  );
  mkdirSync(join(ROOT, 'reports'), { recursive: true });
  writeFileSync(
    benchFile,
    `${JSON.stringify(
      {
        at: new Date().toISOString(),
        machine: { before, after },
        rows,
        figures,
        ...(breakdown ? { breakdown } : {}),
        ...(previous?.at ? { comparedWith: previous.at, slowerPhases: slower, slowerFigures } : {}),
      },
      null,
      1,
    )}\n`,
  );
  if (!args.has('--cold'))
    process.stdout.write('(add --cold for the harness/plain cold build ratio: about 20 minutes)\n');
}

main().catch((e) => {
  process.stderr.write(`bench: ${(e as Error).message}\n`);
  process.exitCode = 1;
});
