/**
 * What the parts of `npm run bench` (bench.ts) share: the table of rows it prints and the figures it
 * keeps in reports/bench.json, both filled as the measurements go; and the small helpers that measure:
 * a timer, the median, and a timed run of the command line with its results and phase timings.
 * Nothing runs on import.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import type { Results } from '../model/results.js';
import { readResults } from '../results/store.js';
import { defaultCacheDir, ROOT } from '../util/paths.js';
import type { Timings } from '../util/timing.js';

export interface Row {
  what: string;
  value: string;
  target: string;
  ok: boolean | null;
}

export const cli = join(ROOT, 'dist', 'harness', 'cli', 'main.js');
export const DEFAULT_MATRIX = 'matrices/rseq.yaml';
export const cache = defaultCacheDir();
export const rows: Row[] = [];
export const add = (what: string, value: string, target: string, ok: boolean | null) => {
  rows.push({ what, value, target, ok });
  process.stderr.write(`bench: ${what}: ${value} (${target})\n`);
};

export async function timed<T>(f: () => Promise<T>): Promise<[T, number]> {
  const t0 = process.hrtime.bigint();
  const v = await f();
  return [v, Number(process.hrtime.bigint() - t0) / 1e9];
}

/** A run of the command line, timed from outside, with its results and phase timings. */
export interface CliRun {
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
export async function runCli(matrix: string, extra: string[], how: { npx?: boolean } = {}): Promise<CliRun> {
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
export async function warmRun(matrix: string, extra: string[], how: { npx?: boolean } = {}): Promise<CliRun> {
  const first = await runCli(matrix, extra, how);
  return first.made ? runCli(matrix, extra, how) : first;
}

/** Milliseconds as the breakdown shows them: a tenth where they are few. */
export const msText = (ms: number) => ms.toFixed(ms < 10 ? 1 : 0);

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

export const figures: Record<string, { value: number; unit: 's'; target: number }> = {};

export function figure(
  key: string,
  what: string,
  value: number,
  target: number,
  note: string,
  ok = true,
): void {
  figures[key] = { value: Math.round(value * 1000) / 1000, unit: 's', target };
  add(
    what,
    `${value.toFixed(value < 10 ? 2 : 1)} s${note ? ` (${note})` : ''}`,
    `<= ${target} s`,
    ok && value <= target,
  );
}
