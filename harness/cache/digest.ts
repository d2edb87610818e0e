/**
 * Digests and walks of what the cache holds: the sha256 of a file or a text, and one walker of a folder
 * tree that serves the per-file digests of a manifest, the per-file sizes and mtimes of its cheap check,
 * an entry's size, and the sorted file list a source digest is made of.
 */
import { createHash } from 'node:crypto';
import { createReadStream, type Dirent, type Stats } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { pipeline } from 'node:stream/promises';

export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  await pipeline(createReadStream(path), h);
  return h.digest('hex');
}

export function sha256Text(...parts: (string | Buffer)[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
}

/** Hashes what a stream yields as it is read by someone else; digest() once it has ended. */
export function sha256Tap(stream: NodeJS.ReadableStream): { digest: () => string } {
  const h = createHash('sha256');
  stream.on('data', (b: Buffer) => h.update(b));
  return { digest: () => h.digest('hex') };
}

export interface TreeItem {
  /** The path as the walk found it (under the walked folder). */
  path: string;
  /** The path relative to the walked folder. */
  rel: string;
  kind: 'file' | 'link' | 'dir';
}

/**
 * Visits every regular file and symlink under dir (folders are descended, symlinks not followed;
 * anything else is skipped). With `dirs`, folders are visited too, before their contents, and one whose
 * visit returns false is not descended. Throws when dir or a folder in it cannot be read.
 */
export async function walkTree(
  dir: string,
  visit: (item: TreeItem) => unknown,
  opts: { dirs?: boolean } = {},
): Promise<void> {
  const walk = async (d: string) => {
    for (const e of (await readdir(d, { withFileTypes: true })) as Dirent[]) {
      const p = join(d, e.name);
      if (e.isDirectory()) {
        if (!opts.dirs || (await visit({ path: p, rel: relative(dir, p), kind: 'dir' })) !== false)
          await walk(p);
      } else if (e.isSymbolicLink()) await visit({ path: p, rel: relative(dir, p), kind: 'link' });
      else if (e.isFile()) await visit({ path: p, rel: relative(dir, p), kind: 'file' });
    }
  };
  await walk(dir);
}

function sortedRecord<T>(r: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(r).sort(([a], [b]) => a.localeCompare(b)));
}

/** A symlink's entry in a digest list: its target text. */
export const linkDigest = (target: string) => `link:${target}`;

/**
 * Every regular file under dir with its sha256 (symlinks by their target text), sorted by path.
 * `onFile` sees each file's lstat taken before it is hashed (the cheap check's record).
 */
export async function treeDigests(
  dir: string,
  opts: { hash?: (path: string) => Promise<string>; onFile?: (rel: string, s: Stats) => void } = {},
): Promise<Record<string, string>> {
  const hash = opts.hash ?? sha256File;
  const out: Record<string, string> = {};
  await walkTree(dir, async ({ path, rel, kind }) => {
    if (kind === 'link') out[rel] = linkDigest(await readlink(path));
    else {
      if (opts.onFile) opts.onFile(rel, await lstat(path));
      out[rel] = await hash(path);
    }
  });
  return sortedRecord(out);
}

/** A file's size and mtime (ms), as a manifest records them for the cheap check. */
export type FileStat = [size: number, mtimeMs: number];

export function fileStat(s: Stats): FileStat {
  return [s.size, s.mtimeMs];
}

/** Every regular file under dir with its size and mtime, and every symlink with its target; no hashing. */
export async function treeStats(
  dir: string,
): Promise<{ files: Record<string, FileStat>; links: Record<string, string> }> {
  const files: Record<string, FileStat> = {};
  const links: Record<string, string> = {};
  await walkTree(dir, async ({ path, rel, kind }) => {
    if (kind === 'link') links[rel] = linkDigest(await readlink(path));
    else files[rel] = fileStat(await lstat(path));
  });
  return { files, links };
}

/** The bytes of the regular files under dir; what could not be read counts as nothing. */
export async function treeSize(dir: string): Promise<number> {
  let total = 0;
  await walkTree(dir, async ({ path, kind }) => {
    if (kind === 'file') total += (await lstat(path).catch(() => ({ size: 0 }))).size;
  }).catch(() => {});
  return total;
}

/** The regular files under dir, sorted (absolute when dir is). */
export async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  await walkTree(dir, ({ path, kind }) => {
    if (kind === 'file') out.push(path);
  });
  return out.sort();
}
