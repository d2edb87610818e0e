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
  /** Source-tree paths (`nptl/pthread_create.c`) when read with a subdirectory; absolute outside the tree. */
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
  if (subdir === undefined) return { source, files };
  return {
    source: withoutVariables(source, subdir, srcRoot),
    files: files.map((f) => treePath(f, subdir, srcRoot)),
  };
}

/**
 * glibc's rules write the object directory and the source top in .d files as make variables; the
 * compiler (and ccache's log) saw them as `/work/build/...` and `../`.
 */
function withoutVariables(seen: string, subdir: string, srcRoot: string): string {
  return seen
    .replace(/^\$\(common-objpfx\)/, `${posix.join(srcRoot, '..', 'build')}/`)
    .replace(/^\$\(\.\.\)/, subdir ? '../' : '');
}

/** A path as the compiler saw it in `subdir`, as a path in the source tree (or absolute, outside it). */
export function treePath(seen: string, subdir: string, srcRoot = '/work/src'): string {
  const plain = withoutVariables(seen, subdir, srcRoot);
  const abs = posix.isAbsolute(plain) ? posix.normalize(plain) : posix.join(srcRoot, subdir, plain);
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
  /**
   * The generated header (in the object directory) that most of the other misses read, and how many
   * of them do: a header the build regenerates with new text (first-versions.h, when a variant adds
   * symbols to a version map) is a real change the patches themselves do not show.
   */
  generated?: { header: string; readers: number };
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
  // For each generated header, which sources of the other misses have a compile that reads it, and
  // how many compiles of the whole tree read it.
  const readersOf = new Map<string, Set<string>>();
  const treeReaders = new Map<string, number>();
  const others = new Set(unexplained);
  for (const d of deps)
    for (const f of d.files) {
      if (!posix.isAbsolute(f) || !f.endsWith('.h') || f.startsWith('/usr/')) continue;
      treeReaders.set(f, (treeReaders.get(f) ?? 0) + 1);
      if (!others.has(d.source)) continue;
      const r = readersOf.get(f) ?? new Set<string>();
      r.add(d.source);
      readersOf.set(f, r);
    }
  // The most specific header most misses share: among the most read, the fewest readers in the tree.
  const inTree = (h: string) => treeReaders.get(h) ?? 0;
  let generated: MissAccount['generated'];
  let best = { n: 0, tree: Number.POSITIVE_INFINITY };
  for (const [header, r] of readersOf) {
    const n = unexplained.filter((s) => r.has(s)).length;
    if (n < best.n) continue;
    const tree = inTree(header);
    if (n > best.n || tree < best.tree) {
      best = { n, tree };
      generated = { header, readers: n };
    }
  }
  return { mustMiss, misses: missed.length, explained, unexplained, ...(generated ? { generated } : {}) };
}

/** The sources a build log names as ccache misses (images/glibc-build.sh's `ccache-miss:` lines). */
export function missedSources(log: string): string[] {
  return [...log.matchAll(/^ccache-miss: (.+)$/gm)].map((m) => (m[1] ?? '').trim()).filter(Boolean);
}
