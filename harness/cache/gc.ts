/**
 * `rseq-matrix cache ls|gc`: what the cache holds, and trimming it. Every kind of entry is covered:
 * glibc builds (and their failure logs), compiled probes, compiled clients, selftest trees, leftovers
 * of dead runs (temporary entries, `.part` files, stale locks) anywhere, and ccache's files by age.
 * An entry whose key is locked by a live process is never touched.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { treeSize, walkTree } from './digest.js';
import { lastUsed } from './entry.js';
import {
  CACHE_DIRS,
  cachePath,
  ENTRY_KINDS,
  type EntryKind,
  isEntryName,
  LOCK_SUFFIX,
  lockPath,
  MANIFEST_FILE,
  PART_SUFFIX,
  SOURCE_FILE,
  TMP_PREFIX,
  tempKey,
} from './layout.js';
import { lockHeld } from './lock.js';

export interface CacheEntry {
  kind: EntryKind;
  /** The folder of the cache it is in: builds, probes, clients/bin, clients/selftests. */
  folder: string;
  key: string;
  description: string;
  /** cold | incremental for a build; the kind for the others. */
  mode: string;
  createdAt: string;
  lastUsed: string;
  bytes: number;
  /** A build that keeps its source and object trees (for incremental variants). */
  hasTree: boolean;
}

/** A temporary entry or file that no live run is making is removed once it is this old. */
export const LEFTOVER_AGE_MS = 3600_000;

/** `.tmp-KEY-<random>`, and `NAME.tmp-<random>` of older harnesses. */
const isTemp = (name: string) => name.includes(TMP_PREFIX);

async function describe(kind: EntryKind, dir: string, key: string) {
  const json = async (f: string) =>
    JSON.parse(await readFile(join(dir, f), 'utf8').catch(() => '{}')) as Record<string, unknown>;
  if (kind === 'builds') {
    const m = await json(MANIFEST_FILE).catch(() => ({}) as Record<string, unknown>);
    return {
      description: typeof m.description === 'string' ? m.description : '(damaged: no manifest)',
      mode: typeof m.mode === 'string' ? m.mode : '?',
      createdAt: typeof m.createdAt === 'string' ? m.createdAt : '',
    };
  }
  if (kind === 'kernels') {
    const m = await json(MANIFEST_FILE).catch(() => ({}) as Record<string, unknown>);
    return {
      description:
        typeof m.release === 'string'
          ? `Linux ${m.release} (${String(m.package)} ${String(m.version)})`
          : '(damaged: no manifest)',
      mode: kind,
      createdAt: '',
    };
  }
  if (kind === 'selftests') {
    const s = await json(SOURCE_FILE).catch(() => ({}) as Record<string, unknown>);
    return {
      description: s.debianVersion
        ? `Linux rseq selftests of linux ${s.debianVersion} (${s.suite})`
        : '(incomplete: no source.json)',
      mode: kind,
      createdAt: '',
    };
  }
  if (kind === 'vmInit' || kind === 'initramfs')
    return {
      description: kind === 'vmInit' ? 'the static init of a VM (probes/vm-init.c)' : 'an initramfs archive',
      mode: kind,
      createdAt: '',
    };
  const build = key.split('-')[0];
  const what = kind === 'probes' ? 'probes' : 'rseq selftests';
  return { description: `${what} compiled against build ${build}`, mode: kind, createdAt: '' };
}

/** Every entry of the given kinds (default: all), least recently used first. */
export async function listCache(
  cacheDir: string,
  kinds: readonly EntryKind[] = ENTRY_KINDS,
): Promise<CacheEntry[]> {
  const out: CacheEntry[] = [];
  for (const kind of kinds) {
    const root = cachePath(cacheDir, kind);
    for (const key of await readdir(root).catch(() => [] as string[])) {
      if (!isEntryName(key)) continue;
      const dir = join(root, key);
      if (!(await stat(dir).catch(() => undefined))?.isDirectory()) continue;
      out.push({
        kind,
        folder: CACHE_DIRS[kind],
        key,
        ...(await describe(kind, dir, key)),
        lastUsed: new Date(await lastUsed(dir)).toISOString(),
        bytes: await treeSize(dir),
        hasTree: kind === 'builds' && existsSync(join(dir, 'tree')),
      });
    }
  }
  return out.sort((a, b) => a.lastUsed.localeCompare(b.lastUsed));
}

export interface GcOptions {
  /** The time to measure ages from (ms); tests set it. */
  now?: number;
}

/**
 * Removes leftovers of dead runs and entries unused for more than `days` days: builds, probes, clients,
 * selftest trees, failure logs, sources' `.part` files and temporaries, ccache's files; stale locks too.
 */
export async function gcCache(
  cacheDir: string,
  days: number,
  opts: GcOptions = {},
): Promise<{ removed: string[]; freed: number }> {
  const now = opts.now ?? Date.now();
  const cutoff = now - days * 86_400_000;
  const removed: string[] = [];
  let freed = 0;
  const remove = async (path: string, label: string) => {
    freed += (await stat(path).catch(() => undefined))?.isDirectory()
      ? await treeSize(path)
      : await fileSize(path);
    await rm(path, { recursive: true, force: true });
    removed.push(label);
  };
  for (const kind of ENTRY_KINDS) {
    const sub = CACHE_DIRS[kind];
    const root = cachePath(cacheDir, kind);
    const names = await readdir(root).catch(() => [] as string[]);
    // Locks first: a stale one (its owner died) is a leftover, and no longer guards its key.
    for (const name of names.filter((n) => n.endsWith(LOCK_SUFFIX)))
      if (!lockHeld(join(root, name))) await remove(join(root, name), `${sub}/${name}`);
    for (const name of names) {
      const path = join(root, name);
      if (name.endsWith(LOCK_SUFFIX)) continue;
      if (kind === 'builds' && name === 'failed') {
        for (const log of await readdir(path).catch(() => [] as string[]))
          if ((await mtime(join(path, log))) < cutoff) await remove(join(path, log), `${sub}/failed/${log}`);
        continue;
      }
      if (isTemp(name) || name.endsWith(PART_SUFFIX)) {
        // A build is staged only under its key's lock: without a live holder, its stage is dead.
        const key = tempKey(name);
        if (key && lockHeld(lockPath(root, key))) continue;
        if (kind === 'builds' || now - (await mtime(path)) > LEFTOVER_AGE_MS)
          await remove(path, `${sub}/${name}`);
        continue;
      }
      if (lockHeld(lockPath(root, name))) continue; // in use by a live run: leave it
      const used = await lastUsed(path).catch(() => now);
      if (used < cutoff) await remove(path, `${sub}/${name}`);
    }
  }
  // Sources are kept (a pinned version needs no mirror); only what dead downloads left is removed.
  const sources = cachePath(cacheDir, 'sources');
  const leftovers: { path: string; rel: string }[] = [];
  await walkTree(
    sources,
    ({ path, rel }) => {
      const name = basename(rel);
      if (!name.endsWith(PART_SUFFIX) && !isTemp(name)) return true;
      leftovers.push({ path, rel });
      return false;
    },
    { dirs: true },
  ).catch(() => {});
  for (const { path, rel } of leftovers)
    if (now - (await mtime(path)) > LEFTOVER_AGE_MS) await remove(path, join(CACHE_DIRS.sources, rel));
  // ccache: its files, not its folders, are the entries; ccache touches a file each time it is hit.
  const cc = await trimOlderThan(cachePath(cacheDir, 'ccache'), cutoff);
  if (cc.files) removed.push(`${CACHE_DIRS.ccache}: ${cc.files} files`);
  freed += cc.bytes;
  return { removed, freed };
}

async function mtime(path: string): Promise<number> {
  return (await stat(path).catch(() => ({ mtimeMs: Number.POSITIVE_INFINITY }))).mtimeMs;
}

async function fileSize(path: string): Promise<number> {
  return (await stat(path).catch(() => ({ size: 0 }))).size;
}

/** Removes every file under dir last used before cutoff (ms); keeps ccache's own configuration. */
async function trimOlderThan(dir: string, cutoff: number): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  await walkTree(dir, async ({ path, kind }) => {
    if (kind !== 'file' || path.endsWith('/ccache.conf')) return;
    const s = await stat(path).catch(() => undefined);
    if (s && Math.max(s.mtimeMs, s.atimeMs) < cutoff) {
      await rm(path, { force: true });
      files++;
      bytes += s.size;
    }
  }).catch(() => {});
  return { files, bytes };
}
