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
 *   (images/glibc-build.sh), so without this no object of a cold build could be a hit for a variant:
 *   the first 2019-ABI variant recompiled its 2,852 files as misses (323 s against 102-107 s for the
 *   next ones, 2026-12-07). The build log lists each build's misses (`ccache-miss:` lines).
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
