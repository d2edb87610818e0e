/**
 * Checking an entry's files against its manifest. The manifest lists every file's sha256 (`files`) and,
 * beside it, its size and mtime (`stats`). On use the cheap check compares sizes, mtimes and symlink
 * targets only (a stat walk, no reading); when anything differs, or a file is missing or extra, or the
 * manifest has no stats (written before they were recorded), the full check hashes every file. A full
 * check that passes gives the stats to record, so the next use is cheap again. `full` always hashes.
 *
 * What the cheap check cannot see: a file rewritten with the same size and its mtime set back (`touch -r`).
 * `run --verify` (full) catches that too.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type FileStat, fileStat, treeDigests, treeStats } from './digest.js';
import { writeWhole } from './entry.js';
import { MANIFEST_FILE } from './layout.js';

/** The part of a manifest that lists a tree's files. */
export interface TreeRecord {
  /** Path -> sha256, or `link:TARGET` for a symlink. */
  files: Record<string, string>;
  /** Path -> [size, mtimeMs] of each regular file, for the cheap check (absent in old manifests). */
  stats?: Record<string, FileStat>;
}

export interface CheckOptions {
  /** Hash every file whatever the stats say (`run --verify`). */
  full?: boolean;
  /** The file hash (tests count its calls). */
  hash?: (path: string) => Promise<string>;
}

export interface CheckResult {
  /** Why the tree does not match its record; undefined when it does. */
  damage?: string;
  /** Which check decided. */
  check: 'cheap' | 'full';
  /** Why the full check ran (no stats, a stat that differs, a missing or extra file, asked for). */
  why?: string;
  /** After a full check that passed: the stats to record, when they differ from the recorded ones. */
  stats?: Record<string, FileStat>;
}

/** Records a tree for a manifest: every file's digest and, for the cheap check, its size and mtime. */
export async function recordTree(
  dir: string,
  opts: Pick<CheckOptions, 'hash'> = {},
): Promise<Required<TreeRecord>> {
  const stats: Record<string, FileStat> = {};
  const files = await treeDigests(dir, {
    ...(opts.hash ? { hash: opts.hash } : {}),
    onFile: (rel, s) => {
      stats[rel] = fileStat(s);
    },
  });
  return { files, stats: sortLike(files, stats) };
}

function sortLike<T>(order: Record<string, unknown>, r: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of Object.keys(order)) if (r[k] !== undefined) out[k] = r[k] as T;
  return out;
}

/** Why the cheap check cannot vouch for the tree, or undefined when every size, mtime and link matches. */
async function cheapMismatch(dir: string, rec: TreeRecord): Promise<string | undefined> {
  if (!rec.stats) return 'the manifest records no sizes and mtimes';
  let now: Awaited<ReturnType<typeof treeStats>>;
  try {
    now = await treeStats(dir);
  } catch {
    return 'the tree cannot be read';
  }
  for (const [f, d] of Object.entries(rec.files)) {
    if (d.startsWith('link:')) {
      if (now.links[f] !== d) return `${f} is not the recorded symlink`;
      continue;
    }
    const was = rec.stats[f];
    const is = now.files[f];
    if (!is) return `${f} is missing`;
    if (!was) return `${f} has no recorded size and mtime`;
    if (is[0] !== was[0] || is[1] !== was[1]) return `${f} changed size or mtime`;
  }
  const listed = (f: string) => rec.files[f] !== undefined;
  const extra = [...Object.keys(now.files), ...Object.keys(now.links)].find((f) => !listed(f));
  if (extra) return `${extra} is not in the manifest`;
  return undefined;
}

/** Checks the tree under dir against its record: cheaply where the stats allow, else in full. */
export async function checkTree(dir: string, rec: TreeRecord, opts: CheckOptions = {}): Promise<CheckResult> {
  const why = opts.full ? 'a full check was asked for' : await cheapMismatch(dir, rec);
  if (!why) return { check: 'cheap' };
  const stats: Record<string, FileStat> = {};
  const now = await treeDigests(dir, {
    ...(opts.hash ? { hash: opts.hash } : {}),
    onFile: (rel, s) => {
      stats[rel] = fileStat(s);
    },
  }).catch(() => ({}) as Record<string, string>);
  for (const [f, d] of Object.entries(rec.files)) {
    if (now[f] === undefined) return { check: 'full', why, damage: `${f} is missing` };
    if (now[f] !== d) return { check: 'full', why, damage: `${f} does not match its checksum` };
  }
  const fresh = sortLike(rec.files, stats);
  const same =
    rec.stats !== undefined &&
    Object.keys(fresh).length === Object.keys(rec.stats).length &&
    Object.entries(fresh).every(([f, s]) => rec.stats?.[f]?.[0] === s[0] && rec.stats?.[f]?.[1] === s[1]);
  return { check: 'full', why, ...(same ? {} : { stats: fresh }) };
}

/**
 * Checks ENTRY/<tree> against ENTRY/manifest.json; after a full check that passed with other stats
 * than recorded (an old manifest, a copied tree), writes them into the manifest so the next check is
 * cheap. Returns the check's result; a missing or unreadable manifest is damage.
 */
export async function checkEntry(entry: string, tree: string, opts: CheckOptions = {}): Promise<CheckResult> {
  const path = join(entry, MANIFEST_FILE);
  let m: TreeRecord & Record<string, unknown>;
  try {
    m = JSON.parse(await readFile(path, 'utf8'));
    if (!m || typeof m.files !== 'object') throw new Error('no files');
  } catch {
    return { check: 'full', damage: `${MANIFEST_FILE} is missing or unreadable` };
  }
  const r = await checkTree(join(entry, tree), m, opts);
  if (!r.damage && r.stats) await writeWhole(path, manifestText({ ...m, stats: r.stats })).catch(() => {});
  return r;
}

/** A manifest as JSON: one key a line, each [size, mtime] pair on its key's line. */
export function manifestText(m: object): string {
  return `${JSON.stringify(m, null, 1).replace(/\[\n\s*(-?[\d.e+]+),\n\s*(-?[\d.e+]+)\n\s*\]/g, '[$1, $2]')}\n`;
}
