/**
 * The equality checks of builds: a build key already in a cache, built again in a fresh cache of its
 * own, and every installed file compared. Two kinds:
 * - coldTwin: the same key built cold from the tarball (no ccache: the harness compiles cold builds
 *   directly), so an incremental build is checked against a cold one. Costs a cold build.
 * - incrementalTwin: the same key built incrementally again on a copy of its base's cache entry, with
 *   a copy of the first cache's ccache directory (the variant's compiles are then ccache hits) or with
 *   ccache off (they are the compiler's): a result built with ccache against one built without it.
 *   Costs about an incremental build.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
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

export interface Twin {
  exitCode: number | undefined;
  stderr: string;
  /** The twin build's record in its run's results. */
  build: BuildResult | undefined;
  /** Installed files whose content differs between the two builds (or that only one has). */
  differ: string[];
  /** The twin build's log (images/glibc-build.sh's output, ccache's statistics at its end). */
  log: string;
}

interface TwinOptions {
  matrix: string;
  variant: string;
  /** The cache that holds build `key`. */
  cache: string;
  key: string | undefined;
  out: string;
  timeout: number;
}

/**
 * Runs `variant` of `matrix` in a fresh cache (made by `prepare`, then removed) with `extra` arguments
 * and compares it with build `o.key` of `o.cache`.
 */
async function twin(o: TwinOptions, prepare: (fresh: string) => void, extra: string[]): Promise<Twin> {
  const fresh = mkdtempSync(join(tmpdir(), 'rm-twin-cache-'));
  try {
    // The source tarballs too: the twin needs no download.
    cpSync(join(o.cache, 'sources'), join(fresh, 'sources'), { recursive: true });
    prepare(fresh);
    const r = await runCli(
      [
        'run',
        o.matrix,
        '--out',
        o.out,
        '--cache',
        fresh,
        '--filter',
        `variant=${o.variant}`,
        '--json',
        ...extra,
      ],
      { timeout: o.timeout, all: false },
    );
    const summary = r.stdout ? JSON.parse(r.stdout) : {};
    const results = summary.results
      ? (JSON.parse(readFileSync(summary.results, 'utf8')) as Results)
      : undefined;
    const build = results?.builds.find((b) => b.variant === o.variant);
    if (!build?.key || build.status !== 'ok')
      return { exitCode: r.exitCode, stderr: r.stderr, build, differ: ['(no twin build)'], log: '' };
    const a = readManifest(o.cache, o.key).files;
    const z = readManifest(fresh, build.key).files;
    const differ = Object.keys({ ...a, ...z }).filter((f) => a[f] !== z[f]);
    const log = readFileSync(join(fresh, 'builds', build.key, 'logs', 'build.log'), 'utf8');
    return { exitCode: r.exitCode, stderr: r.stderr, build, differ, log };
  } finally {
    rmSync(fresh, { recursive: true, force: true });
  }
}

/** Builds `variant` of `matrix` cold in a fresh cache and compares it with build `key` of `cache`. */
export function coldTwin(o: TwinOptions): Promise<Twin> {
  return twin(o, () => {}, ['--no-incremental']);
}

/**
 * Builds `variant` of `matrix` incrementally again, in a fresh cache that holds a copy of its base's
 * entry (build `baseKey` of `cache`, with its trees) and, when `ccache` is true, a copy of `cache`'s
 * ccache directory with its counters reset (so its statistics are this build's); with `ccache` false
 * the twin compiles without ccache. Compares it with build `key` of `cache`.
 */
export function incrementalTwin(
  o: TwinOptions & { baseKey: string | undefined; ccache: boolean },
): Promise<Twin> {
  const prepare = (fresh: string) => {
    // cp(1): the tree's 40,000 files in seconds, their times kept (make reads them).
    mkdirSync(join(fresh, 'builds'));
    execFileSync('cp', [
      '-a',
      '--reflink=auto',
      join(o.cache, 'builds', o.baseKey ?? ''),
      join(fresh, 'builds'),
    ]);
    if (!o.ccache) return;
    cpSync(join(o.cache, 'ccache'), join(fresh, 'ccache'), { recursive: true });
    for (const f of readdirSync(join(fresh, 'ccache'), { recursive: true }) as string[])
      if (/(^|\/)stats$/.test(f)) rmSync(join(fresh, 'ccache', f));
  };
  return twin(o, prepare, o.ccache ? [] : ['--no-ccache']);
}

/** ccache's hits and cacheable calls in a build log (the script prints ccache's per-build statistics). */
export function ccacheHits(log: string): { hits: number; calls: number } | undefined {
  const m = /ccache:\s+Hits:\s+(\d+) \/\s*(\d+)/.exec(log);
  return m ? { hits: Number(m[1]), calls: Number(m[2]) } : undefined;
}
