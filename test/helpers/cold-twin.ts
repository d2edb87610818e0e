/**
 * The equality check of incremental builds: a build key already in a cache, built again cold from the
 * tarball in a cache of its own that holds a copy of the first cache's ccache directory (so nearly every
 * object comes from a ccache hit, and the rebuild costs minutes, not a quarter of an hour). Equal
 * installed files mean the incremental build equals a cold one and ccache's objects equal the compiler's.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BuildResult, Results } from '../../harness/model/results.js';
import { runCli } from './cli.js';

/** A build's manifest: the installed files (path to content hash) and how long it took. */
export interface BuildManifest {
  files: Record<string, string>;
  durationMs: number;
}

export function readManifest(cache: string, key: string | undefined): BuildManifest {
  return JSON.parse(readFileSync(join(cache, 'builds', key ?? '', 'manifest.json'), 'utf8'));
}

export interface ColdTwin {
  exitCode: number | undefined;
  stderr: string;
  /** The cold build's record in its run's results. */
  build: BuildResult | undefined;
  /** Installed files whose content differs between the two builds (or that only one has). */
  differ: string[];
  /** The cold build's log (images/glibc-build.sh's output, ccache's statistics at its end). */
  log: string;
}

/**
 * Builds `variant` of `matrix` cold in a fresh cache seeded with `cache`'s ccache (its counters reset,
 * so its statistics are this build's), compares its installed files with the build of key `key` in
 * `cache`, and removes the fresh cache.
 */
export async function coldTwin(o: {
  matrix: string;
  variant: string;
  cache: string;
  key: string | undefined;
  out: string;
  timeout: number;
}): Promise<ColdTwin> {
  const cold = mkdtempSync(join(tmpdir(), 'rm-cold-cache-'));
  try {
    cpSync(join(o.cache, 'ccache'), join(cold, 'ccache'), { recursive: true });
    for (const f of readdirSync(join(cold, 'ccache'), { recursive: true }) as string[])
      if (/(^|\/)stats$/.test(f)) rmSync(join(cold, 'ccache', f));
    const r = await runCli(
      [
        'run',
        o.matrix,
        '--out',
        o.out,
        '--cache',
        cold,
        '--no-incremental',
        '--filter',
        `variant=${o.variant}`,
        '--json',
      ],
      { timeout: o.timeout, all: false },
    );
    const summary = r.stdout ? JSON.parse(r.stdout) : {};
    const results = summary.results
      ? (JSON.parse(readFileSync(summary.results, 'utf8')) as Results)
      : undefined;
    const build = results?.builds.find((b) => b.variant === o.variant);
    if (!build?.key || build.status !== 'ok')
      return { exitCode: r.exitCode, stderr: r.stderr, build, differ: ['(no cold build)'], log: '' };
    const a = readManifest(o.cache, o.key).files;
    const z = readManifest(cold, build.key).files;
    const differ = Object.keys({ ...a, ...z }).filter((f) => a[f] !== z[f]);
    const log = readFileSync(join(cold, 'builds', build.key, 'logs', 'build.log'), 'utf8');
    return { exitCode: r.exitCode, stderr: r.stderr, build, differ, log };
  } finally {
    rmSync(cold, { recursive: true, force: true });
  }
}

/** ccache's hits and cacheable calls in a build log (the script prints ccache's per-build statistics). */
export function ccacheHits(log: string): { hits: number; calls: number } | undefined {
  const m = /ccache:\s+Hits:\s+(\d+) \/\s*(\d+)/.exec(log);
  return m ? { hits: Number(m[1]), calls: Number(m[2]) } : undefined;
}
