/**
 * The glibc builds in the cache, for `npm run bench`: `cache ls` and `cache gc` of every kind of entry
 * are in harness/cache/gc.ts.
 */
import { type CacheEntry, listCache as listEntries } from '../cache/gc.js';

export type { CacheEntry };

/** The cached glibc builds, least recently used first. */
export function listCache(cacheDir: string): Promise<CacheEntry[]> {
  return listEntries(cacheDir, ['builds']);
}
