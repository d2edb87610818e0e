/**
 * Which of a variant build's ccache misses its patches explain, for `npm run bench`'s quiet rows
 * (bench-builds.ts). A compile must miss when one of its inputs changed: the base tree's dependency
 * files (glibc writes one `.d` per object: target, then the source, then every header read) say which
 * compiles read a file the variant's patches change. Pure: the caller reads the files.
 */
import { posix } from 'node:path';

/** The files a unified diff changes, as paths in the source tree (`+++ b/<path>`). */
export function patchedFiles(diff: string): string[] {
  const out = new Set<string>();
  for (const m of diff.matchAll(/^\+\+\+ (?:b\/)?(\S+)/gm)) if (m[1] && m[1] !== '/dev/null') out.add(m[1]);
  return [...out];
}

/** One object's dependency file: the source it was compiled from and every file it read. */
export interface Dependencies {
  /** As the compiler was given it (relative to the subdirectory), as ccache's log names it. */
  source: string;
  /** As the compiler saw them: relative to the source subdirectory, or absolute. */
  files: string[];
}

/**
 * Reads a make dependency file as gcc -MD writes it; undefined when it names no prerequisite. With
 * `subdir` (where the compiler ran, `nptl`), the files are resolved to source-tree paths
 * (`sysdeps/unix/sysv/linux/rseq-internal.h`); a file outside the source tree keeps its absolute path.
 */
export function parseDependencies(
  text: string,
  subdir?: string,
  srcRoot = '/work/src',
): Dependencies | undefined {
  // The first rule is the object's; -MP adds empty `header:` rules after it, which name nothing new.
  const first = text.split(/\n(?=\S)/)[0] ?? '';
  const colon = first.search(/:(\s|$)/);
  if (colon < 0) return undefined;
  const files = first
    .slice(colon + 1)
    .replace(/\\\n/g, ' ')
    .split(/\s+/)
    .filter((w) => w && w !== '\\');
  const source = files[0];
  if (!source) return undefined;
  return { source, files: subdir === undefined ? files : files.map((f) => treePath(f, subdir, srcRoot)) };
}

/** A path as the compiler saw it in `subdir`, as a path in the source tree (or absolute, outside it). */
export function treePath(seen: string, subdir: string, srcRoot = '/work/src'): string {
  const abs = posix.isAbsolute(seen) ? posix.normalize(seen) : posix.join(srcRoot, subdir, seen);
  return abs.startsWith(`${srcRoot}/`) ? abs.slice(srcRoot.length + 1) : abs;
}

export interface MissAccount {
  /** Compiles in the base tree that read a file the patches change: the misses no cache can avoid. */
  mustMiss: number;
  /** This build's misses (by source, as the compiler was given it). */
  misses: number;
  /** Misses of a source some compile of which reads a changed file. */
  explained: number;
  /** The other misses' sources, in the order they were logged. */
  unexplained: string[];
}

/**
 * Accounts for a build's misses. `deps` are the base tree's dependency files, `changed` the files the
 * patches change (source-tree paths), `missed` the sources of this build's misses (the `ccache-miss:`
 * lines of its log, relative to a subdirectory: matched to the dependency files by that name).
 */
export function accountMisses(
  deps: readonly Dependencies[],
  changed: readonly string[],
  missed: readonly string[],
): MissAccount {
  const changedSet = new Set(changed);
  const readsChanged = (d: Dependencies) => d.files.some((f) => changedSet.has(f));
  let mustMiss = 0;
  const explainedSources = new Set<string>();
  for (const d of deps) {
    if (!readsChanged(d)) continue;
    mustMiss++;
    explainedSources.add(d.source);
  }
  const unexplained: string[] = [];
  let explained = 0;
  for (const s of missed) {
    // A source the patches change or add is its own reason, whether or not the base tree compiled it.
    if (explainedSources.has(s) || changed.some((c) => s === c || s.endsWith(`/${c}`))) explained++;
    else unexplained.push(s);
  }
  return { mustMiss, misses: missed.length, explained, unexplained };
}

/** The sources a build log names as ccache misses (images/glibc-build.sh's `ccache-miss:` lines). */
export function missedSources(log: string): string[] {
  return [...log.matchAll(/^ccache-miss: (.+)$/gm)].map((m) => (m[1] ?? '').trim()).filter(Boolean);
}
