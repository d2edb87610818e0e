/**
 * `npm run bench`: the speed and size targets, measured (never asserted by a test).
 *
 *   1. cold build of one key through the harness / a plain `configure && make -jN && make install` of
 *      the same tree in the same image (target <= 1.05), and a third build, the plain one through an
 *      empty ccache: what `--ccache all` would cost a cold build (information); then every
 *      2.36 variant built incrementally, one at a time, on that cold build (target <= 0.15; 2019-ABI
 *      variants <= 0.30)                                           [--cold; about an hour]
 *   2. incremental variant / its cold base build, from the cache's manifests (judged without --cold)
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
 * reports/bench.json, and each more than 25 % slower is named. Options: --cold (with --repeat N: N pairs of
 * harness and plain cold builds, judged on the median ratio; --no-variants: without the variants built
 * on the cold build), --review, --kernels, --no-warm, --no-figures,
 * --matrix FILE and --filter EXPR (the run broken into phases; default the whole default matrix).
 *
 * This file holds the warm figures (3, 4, 5) and main; the table and the helpers they share are
 * bench-table.ts's, 1 and 2 bench-builds.ts's, 6, 7 and 8 bench-extra.ts's.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { ROOT } from '../util/paths.js';
import { aggregate, formatBreakdown, type Slower, slowerPhases } from '../util/timing.js';
import { coldRatio, incrementalRatios } from './bench-builds.js';
import { kernelFigures, reportSize, reviewRatio } from './bench-extra.js';
import {
  add,
  type CliRun,
  DEFAULT_MATRIX,
  figure,
  figures,
  median,
  msText,
  rows,
  runCli,
  warmRun,
} from './bench-table.js';

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
  // How many harness/plain pairs of cold builds --cold times (the judged ratio is their median).
  const repeatText = option(argv, '--repeat') ?? '1';
  const repeat = Number(repeatText);
  if (!Number.isInteger(repeat) || repeat < 1 || repeat > 9) {
    process.stderr.write(`bench: --repeat: expected a whole number from 1 to 9, got ${repeatText}\n`);
    process.exit(2);
  }
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
  if (args.has('--cold')) await coldRatio(repeat, !args.has('--no-variants'));
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
    process.stdout.write('(add --cold for the build ratios of one run: about an hour)\n');
}

main().catch((e) => {
  process.stderr.write(`bench: ${(e as Error).message}\n`);
  process.exitCode = 1;
});
