/**
 * `rseq-matrix cache ls|gc`: what the build cache holds, and trimming it.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, rm, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { entrySize, type Manifest } from './glibc.js';

export interface CacheEntry {
  key: string;
  description: string;
  mode: string;
  createdAt: string;
  lastUsed: string;
  bytes: number;
  hasTree: boolean;
}

export async function listCache(cacheDir: string): Promise<CacheEntry[]> {
  const root = join(cacheDir, 'builds');
  if (!existsSync(root)) return [];
  const out: CacheEntry[] = [];
  for (const name of await readdir(root)) {
    if (name.startsWith('.') || name.endsWith('.lock') || name === 'failed') continue;
    const dir = join(root, name);
    let m: Partial<Manifest> = {};
    try {
      m = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Manifest;
    } catch {
      /* listed as damaged */
    }
    const used = await stat(join(dir, 'manifest.json')).catch(() => stat(dir));
    out.push({
      key: name,
      description: m.description ?? '(damaged: no manifest)',
      mode: m.mode ?? '?',
      createdAt: m.createdAt ?? '',
      lastUsed: used.mtime.toISOString(),
      bytes: await entrySize(dir),
      hasTree: existsSync(join(dir, 'tree')),
    });
  }
  return out.sort((a, b) => a.lastUsed.localeCompare(b.lastUsed));
}

/** Marks an entry as used now (gc keeps what was used recently). */
export async function touchEntry(dir: string): Promise<void> {
  const now = new Date();
  await utimes(join(dir, 'manifest.json'), now, now).catch(() => {});
}

/** Removes leftovers of dead builds and entries unused for more than `days` days. */
export async function gcCache(cacheDir: string, days: number): Promise<{ removed: string[]; freed: number }> {
  const removed: string[] = [];
  let freed = 0;
  const cutoff = Date.now() - days * 86_400_000;
  for (const sub of ['builds', 'probes', 'clients']) {
    const root = join(cacheDir, sub);
    if (!existsSync(root)) continue;
    for (const name of await readdir(root)) {
      const dir = join(root, name);
      if (name.endsWith('.lock')) continue;
      if (existsSync(`${dir}.lock`)) continue; // in use by a live or dying run: leave it
      const s = await stat(join(dir, 'manifest.json')).catch(() => stat(dir));
      const leftover = name.startsWith('.tmp-') && Date.now() - s.mtimeMs > 3600_000;
      if (leftover || s.mtimeMs < cutoff) {
        freed += await entrySize(dir);
        await rm(dir, { recursive: true, force: true });
        removed.push(`${sub}/${name}`);
      }
    }
  }
  // ccache: its files, not its folders, are the entries; ccache touches a file each time it is hit.
  const cc = await trimOlderThan(join(cacheDir, 'ccache'), cutoff);
  if (cc.files) removed.push(`ccache: ${cc.files} files`);
  freed += cc.bytes;
  return { removed, freed };
}

/** Removes every file under dir last used before cutoff (ms); keeps ccache's own configuration. */
async function trimOlderThan(dir: string, cutoff: number): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile() && e.name !== 'ccache.conf') {
        const s = await stat(p).catch(() => undefined);
        if (s && Math.max(s.mtimeMs, s.atimeMs) < cutoff) {
          await rm(p, { force: true });
          files++;
          bytes += s.size;
        }
      }
    }
  };
  await walk(dir);
  return { files, bytes };
}
