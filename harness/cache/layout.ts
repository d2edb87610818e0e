/**
 * The cache's folder and file names, in one place. A cache (`--cache`, default ~/.cache/rseq-matrix) holds:
 *
 *   builds/<key>/{install/, tree/, logs/, manifest.json}   glibc builds (harness/builder/glibc.ts)
 *   builds/<key>.lock                                      the lock of a key while a run works on it
 *   builds/failed/<key>.log                                the log of a failed build
 *   probes/<key>/{..., .complete}                          compiled probes (harness/probe/execute.ts)
 *   clients/bin/<key>/{..., make.log, .complete}           compiled selftests (harness/probe/clients.ts)
 *   clients/selftests/<sha16>/{tree/, source.json}         selftest trees (harness/builder/selftests.ts)
 *   sources/{blobs,dsc,git,index}/...                      glibc sources and mirror indexes (harness/builder/sources.ts)
 *   kernels/<sha16>/{boot/vmlinuz, boot/config, manifest.json}  Debian kernels (harness/builder/kernels.ts)
 *   vm/init/<key>/vm-init, vm/initramfs/<digest>/initramfs.cpio(.gz)   a VM's init and archives (harness/vm/)
 *   ccache/                                                ccache's own files, shared by every build
 *
 * Every entry is made under a temporary name (`.tmp-<key>-<random>`, or `<file>.<pid>-<random>.part` for
 * a single file) and renamed into place when it is whole (harness/cache/entry.ts).
 */
import { join } from 'node:path';

/** Folders of the cache, relative to its root. */
export const CACHE_DIRS = {
  builds: 'builds',
  failedBuilds: join('builds', 'failed'),
  probes: 'probes',
  clientBins: join('clients', 'bin'),
  selftests: join('clients', 'selftests'),
  sources: 'sources',
  sourceIndex: join('sources', 'index'),
  sourceDsc: join('sources', 'dsc'),
  sourceBlobs: join('sources', 'blobs'),
  sourceGit: join('sources', 'git'),
  ccache: 'ccache',
  kernels: 'kernels',
  vmInit: join('vm', 'init'),
  initramfs: join('vm', 'initramfs'),
} as const;

export type CacheDirName = keyof typeof CACHE_DIRS;

/** The entry kinds `cache ls` and `cache gc` know, each a folder of entries named by key. */
export const ENTRY_KINDS = [
  'builds',
  'probes',
  'clientBins',
  'selftests',
  'kernels',
  'vmInit',
  'initramfs',
] as const satisfies readonly CacheDirName[];
export type EntryKind = (typeof ENTRY_KINDS)[number];

/** An entry's record of what it holds (a glibc build's file list) and its last use (its mtime). */
export const MANIFEST_FILE = 'manifest.json';
/** The mark of a finished entry that has no manifest (compiled probes and clients). */
export const COMPLETE_FILE = '.complete';
/** The description of a selftests tree (which Debian version, which URL). */
export const SOURCE_FILE = 'source.json';

export const TMP_PREFIX = '.tmp-';
export const LOCK_SUFFIX = '.lock';
export const PART_SUFFIX = '.part';

/** A folder of the cache. */
export function cachePath(cacheDir: string, dir: CacheDirName, ...rest: string[]): string {
  return join(cacheDir, CACHE_DIRS[dir], ...rest);
}

/** The lock of a key in a folder of entries. */
export function lockPath(root: string, key: string): string {
  return join(root, `${key}${LOCK_SUFFIX}`);
}

/** The key a temporary entry `.tmp-<key>-<random>` is made for (the random part has no dash). */
export function tempKey(name: string): string | undefined {
  if (!name.startsWith(TMP_PREFIX)) return undefined;
  const rest = name.slice(TMP_PREFIX.length);
  const dash = rest.lastIndexOf('-');
  return dash > 0 ? rest.slice(0, dash) : undefined;
}

/** Names in a folder of entries that are not entries: temporaries, locks, the failure logs. */
export function isEntryName(name: string): boolean {
  return (
    !name.startsWith('.') && !name.endsWith(LOCK_SUFFIX) && !name.endsWith(PART_SUFFIX) && name !== 'failed'
  );
}
