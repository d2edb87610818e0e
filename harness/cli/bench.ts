/**
 * `npm run bench`: the speed and size targets, measured (never asserted by a test).
 *
 *   1. cold build of one key through the harness / a plain `configure && make -jN && make install` of
 *      the same tree in the same image (target <= 1.05)            [--cold; about 20 minutes]
 *   2. incremental variant / its cold base build (target <= 0.15), from the cache's manifests
 *   3. warm rerun of the default matrix with every build cached (target <= 60 s)
 *   4. the probe phase per cell, averaged over that run
 *   5. the report of 10,000 cells: size (target < 5 MB) and time until usable in Chromium (target < 2 s)
 *
 * Prints a table and writes reports/bench.json.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { listCache } from '../build/cache.js';
import type { Manifest } from '../build/glibc.js';
import type { Results } from '../model/results.js';
import { renderReport } from '../report/html.js';
import { largeResults } from '../report/synthetic.js';
import { defaultCacheDir, ROOT } from '../util/paths.js';

interface Row {
  what: string;
  value: string;
  target: string;
  ok: boolean | null;
}

const cli = join(ROOT, 'dist', 'harness', 'cli', 'main.js');
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
  for (const m of manifests.values()) {
    if (m.mode !== 'incremental' || !m.baseKey) continue;
    const base = manifests.get(m.baseKey);
    if (base?.mode !== 'cold') continue;
    any = true;
    // A cached cold build may have shared the machine with other builds; the --cold one did not.
    const coldMs = quietColdMs && base.description.includes('2.36') ? quietColdMs : base.durationMs;
    const ratio = m.durationMs / coldMs;
    add(
      `incremental / cold: ${m.description.replace(/^.* \+ /, '')}`,
      `${ratio.toFixed(3)} (${(m.durationMs / 1000).toFixed(0)} s vs ${(coldMs / 1000).toFixed(0)} s cold, ${m.compiledFiles} files compiled)`,
      '<= 0.15',
      ratio <= 0.15,
    );
  }
  if (!any)
    add(
      'incremental / cold',
      'no incremental build in the cache: run `npm run matrix` first',
      '<= 0.15',
      null,
    );
}

/** 3 and 4: the default matrix again, everything cached. */
async function warmRerun(): Promise<void> {
  const out = mkdtempSync(join(tmpdir(), 'rm-bench-warm-'));
  try {
    const [r, sec] = await timed(() =>
      execa('node', [cli, 'run', join(ROOT, 'matrices/rseq.yaml'), '--out', out, '--json'], {
        reject: false,
      }),
    );
    const o = JSON.parse(r.stdout || '{}') as { results?: string };
    const results = JSON.parse(readFileSync(o.results ?? '', 'utf8')) as Results;
    const rebuilt = results.builds.filter((b) => !b.cached && b.key).length;
    add(
      'warm rerun of the default matrix',
      `${sec.toFixed(1)} s (${results.cells.length} cells, ${rebuilt} builds not from the cache)`,
      '<= 60 s',
      sec <= 60 && rebuilt === 0,
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
  } finally {
    rmSync(out, { recursive: true, force: true });
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

async function main(): Promise<void> {
  const args = new Set(process.argv.slice(2));
  if (args.has('--cold')) await coldRatio();
  await incrementalRatios();
  if (!args.has('--no-warm')) await warmRerun();
  await reportSize();
  const lines = rows.map(
    (r) => `${r.ok === null ? '    ' : r.ok ? 'ok  ' : 'MISS'} ${r.what}: ${r.value}  [target ${r.target}]`,
  );
  process.stdout.write(`${lines.join('\n')}\n`);
  mkdirSync(join(ROOT, 'reports'), { recursive: true });
  writeFileSync(
    join(ROOT, 'reports', 'bench.json'),
    `${JSON.stringify({ at: new Date().toISOString(), rows }, null, 1)}\n`,
  );
  if (!args.has('--cold'))
    process.stdout.write('(add --cold for the harness/plain cold build ratio: about 20 minutes)\n');
}

main().catch((e) => {
  process.stderr.write(`bench: ${(e as Error).message}\n`);
  process.exitCode = 1;
});
