/**
 * The build recipe: where things are in a build container and the phases its script announces. Pure.
 */

export const PHASES = [
  'unpack',
  'debian-patches',
  'patch',
  'configure',
  'make',
  'install',
  'glibc-tests',
  'done',
] as const;
export type Phase = (typeof PHASES)[number];

/** Inside the build container. */
export const BUILD_PATHS = {
  /** The source tarball (read-only). */
  source: '/in/source.tar',
  debian: '/in/debian.tar',
  /** configure.args, patches/NNNN-*.patch, tests.txt (read-only). */
  meta: '/in/meta',
  /** src/ and build/ (the trees incremental builds start from). */
  tree: '/work',
  prefix: '/opt/glibc',
  /** The cache's ccache directory (read-write, shared by every build). */
  ccache: '/ccache',
} as const;

export const PATCH_FAILED_EXIT = 10;

/**
 * Which builds compile through ccache (`run --ccache <when>`; `--no-ccache` is `off`):
 * - incremental (the default): builds that start from a copy of their base's tree. Their compiles are
 *   what a later build of the matrix asks for again (the 2019-ABI variants recompile the same 801
 *   `first-versions.h` readers; a build of the same key again after `cache gc`).
 * - all: cold builds too. A cold build's objects are read back only when the same source is built cold
 *   again with the same configuration and compiler (a harness change that changes every build key, a
 *   cold twin in the tests); storing them costs every cold build: 7,553 ccache misses in 2.36, measured
 *   at 1.04-1.14 x a plain build on 2 cores (median 1.087 of three pairs, 2026-12-07), above the
 *   harness's target of 1.05. No variant of the matrices read a cold build's objects back: each 2019-ABI
 *   variant's first build missed on every compile, all of them explained by its changed headers.
 * - off: nothing.
 */
export type CcachePolicy = 'incremental' | 'all' | 'off';

export const CCACHE_POLICIES: readonly CcachePolicy[] = ['incremental', 'all', 'off'];

/** Whether a build of `mode` compiles through ccache under `policy`. */
export function usesCcache(policy: CcachePolicy, mode: 'cold' | 'incremental'): boolean {
  return policy === 'all' || (policy === 'incremental' && mode === 'incremental');
}

/**
 * How every compile through ccache is cached: the build container's environment (images/glibc-build.sh
 * puts /usr/lib/ccache first in PATH when USE_CCACHE=1), the same for `bench --cold`'s plain build.
 * Not part of a build key: each setting changes how objects are found, never what they are.
 * - CCACHE_DEPEND: depend mode. A miss runs the compiler alone (with -MD, which glibc's rules pass
 *   anyway) and no preprocessor; a hit is a direct-mode hit (source, arguments and the contents of
 *   every header the compiler read). glibc's rules rewrite abi-versions.h (Makerules:99-102, `mv -f`,
 *   not move-if-change) whenever a Versions file changes, which made make recompile every file that
 *   includes shlib-compat.h (about 2,050 in 2.36, all hits: the header's text changes only when a
 *   version name appears that no library had; scripts/versionlist.awk:38-42 gives every library every
 *   GLIBC_* version any library has). images/glibc-build.sh now writes it through move-if-change, so
 *   those files are not recompiled at all; the first-versions.h readers still are (real misses).
 * - CCACHE_COMPILERCHECK=content: the compiler is known by its contents, not its mtime (images are
 *   rebuilt with the same gcc).
 * - CCACHE_SLOPPINESS=locale: ccache hashes LANG and the LC_* variables (they translate diagnostics),
 *   and glibc's top-level Makefile runs `make install` with LC_ALL=C but `make` without it
 *   (Makefile.in:8-13). A cold build compiles in its `make`, an incremental one in its `make install`
 *   (images/glibc-build.sh), so without this no object of a cold build made with `--ccache all` could
 *   be a hit for a variant: the first 2019-ABI variant recompiled its 2,852 files as misses (323 s
 *   against 102-107 s for the next ones, 2026-12-07, when cold builds stored their objects). The build
 *   log lists each build's misses (`ccache-miss:` lines).
 */
export const CCACHE_ENV = {
  CCACHE_DEPEND: '1',
  CCACHE_COMPILERCHECK: 'content',
  CCACHE_SLOPPINESS: 'locale',
  CCACHE_MAXSIZE: '5G',
} as const;

/** The script itself lives in images/glibc-build.sh; its text is part of every build key. */
export const BUILD_SCRIPT_FILE = 'glibc-build.sh';

/** Options the harness always gives configure; a matrix entry's own come after them. */
export const BASE_CONFIGURE = ['--disable-werror', '--disable-profile', '--without-selinux'];

/** Reads a line of build output: a phase marker, a compiled file, or nothing of note. */
export function classifyLine(line: string): { phase?: Phase; compiled?: boolean; failedPatch?: string } {
  if (line.startsWith('@@phase ')) {
    const p = line.slice(8).trim() as Phase;
    return PHASES.includes(p) ? { phase: p } : {};
  }
  if (line.startsWith('@@failed-patch ')) return { failedPatch: line.slice(15).trim() };
  if (/^(gcc|cc|g\+\+)\s.*\s-c(\s|$)/.test(line)) return { compiled: true };
  return {};
}
