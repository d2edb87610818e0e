/**
 * Entries of the cache, made whole or not at all. A folder entry is staged under ROOT/.tmp-KEY-<random>,
 * filled by its caller, sealed (its manifest or `.complete` written) and renamed to ROOT/KEY; a single
 * file is written to FILE.<pid>-<random>.part and renamed over FILE. Whatever fails on the way removes
 * the temporary, so a reader never sees half an entry. Two runs that make the same key at once both
 * succeed: the second finds the first's entry in place, and theirs is as good as ours.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { COMPLETE_FILE, MANIFEST_FILE, PART_SUFFIX, SOURCE_FILE, TMP_PREFIX } from './layout.js';

const random = () => randomBytes(4).toString('hex');

/** The temporary name an entry of `key` is staged under. */
export function stageName(key: string): string {
  return `${TMP_PREFIX}${key}-${random()}`;
}

/** An entry sealed with `.complete` is whole. */
export function hasCompleteMark(dir: string): boolean {
  return existsSync(join(dir, COMPLETE_FILE));
}

export async function writeCompleteMark(dir: string): Promise<void> {
  await writeFile(join(dir, COMPLETE_FILE), `${new Date().toISOString()}\n`);
}

export interface MadeEntry<T> {
  /** ROOT/KEY. */
  dir: string;
  /** What fill returned. */
  value: T;
  /** false: another run published the same key first, and its entry is the one in place. */
  ours: boolean;
}

/**
 * Makes ROOT/KEY: stages it under ROOT/.tmp-KEY-<random>, lets `fill` fill the stage, `seal` mark it
 * whole (default: `.complete`), and renames it into place. The stage is removed whatever happens.
 */
export async function makeEntry<T>(a: {
  root: string;
  key: string;
  fill: (stage: string) => Promise<T>;
  seal?: (stage: string, value: T) => Promise<void>;
  /** Is the folder a whole entry? Default: it has `.complete`. */
  isWhole?: (dir: string) => boolean | Promise<boolean>;
}): Promise<MadeEntry<T>> {
  const dir = join(a.root, a.key);
  const stage = join(a.root, stageName(a.key));
  await mkdir(stage, { recursive: true });
  try {
    const value = await a.fill(stage);
    await (a.seal ?? writeCompleteMark)(stage, value);
    const ours = await publishDir(stage, dir, a.isWhole ?? hasCompleteMark);
    return { dir, value, ours };
  } finally {
    await rm(stage, { recursive: true, force: true }).catch(() => {});
  }
}

/**
 * Renames a finished stage to dest. When dest is already there: a whole entry is kept (another run
 * published it first; false is returned and the caller drops its stage), a broken one is replaced.
 */
export async function publishDir(
  stage: string,
  dest: string,
  isWhole: (dir: string) => boolean | Promise<boolean> = hasCompleteMark,
): Promise<boolean> {
  for (let attempt = 0; ; attempt++) {
    try {
      await rename(stage, dest);
      return true;
    } catch (e) {
      if (existsSync(dest) && (await isWhole(dest))) return false;
      const code = (e as NodeJS.ErrnoException).code;
      if (attempt > 0 || (code !== 'ENOTEMPTY' && code !== 'EEXIST')) throw e;
      // A folder left by an older harness or a damaged entry: not an entry anyone can use.
      await rm(dest, { recursive: true, force: true });
    }
  }
}

/**
 * Writes a file whole or not at all: `write` fills a temporary name beside it (it may also check what
 * it wrote and throw), which is then renamed into place; on failure the temporary is removed.
 */
export async function publishFile(path: string, write: (part: string) => Promise<void>): Promise<void> {
  const part = `${path}.${process.pid}-${random()}${PART_SUFFIX}`;
  try {
    await write(part);
    await rename(part, path);
  } catch (e) {
    await rm(part, { force: true }).catch(() => {});
    throw e;
  }
}

/** Writes a file whole or not at all (to a temporary name beside it, renamed into place). */
export async function writeWhole(path: string, data: string | Buffer, opts: { mkdir?: boolean } = {}) {
  if (opts.mkdir) await mkdir(dirname(path), { recursive: true });
  await publishFile(path, (part) => writeFile(part, data));
}

/** The files whose mtime says when an entry was last used, most telling first. */
const USE_MARKS = [MANIFEST_FILE, COMPLETE_FILE, SOURCE_FILE];

/** When an entry was last used (ms): the mtime of its manifest or mark, else of the folder itself. */
export async function lastUsed(dir: string): Promise<number> {
  for (const f of USE_MARKS) {
    const s = await stat(join(dir, f)).catch(() => undefined);
    if (s) return s.mtimeMs;
  }
  return (await stat(dir)).mtimeMs;
}

/** Marks an entry as used now (`cache gc` keeps what was used recently). */
export async function touchEntry(dir: string): Promise<void> {
  const now = new Date();
  for (const f of USE_MARKS) {
    const p = join(dir, f);
    if (existsSync(p)) {
      await utimes(p, now, now).catch(() => {});
      return;
    }
  }
}
