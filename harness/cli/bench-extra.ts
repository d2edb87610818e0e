/**
 * The figures of `npm run bench` (bench.ts) beyond the builds and the warm reruns: a review of a
 * 3-patch series it writes itself (--review), the kernel axis in VMs (--kernels), and the report of
 * 10,000 cells, its size and its time until usable in Chromium. Nothing runs on import.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { renderReport } from '../report/html.js';
import { largeResults } from '../report/synthetic.js';
import { ROOT } from '../util/paths.js';
import { add, cache, cli, DEFAULT_MATRIX, figure, timed, warmRun } from './bench-table.js';

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
export async function reviewRatio(): Promise<void> {
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
export async function kernelFigures(): Promise<void> {
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
export async function reportSize(): Promise<void> {
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
