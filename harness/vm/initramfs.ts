/**
 * Initramfs archives for the VMs of harness/vm/boot.ts: a gzip-compressed cpio archive in the "newc"
 * format the kernel unpacks into its root file system (Linux's Documentation/driver-api/early-userspace/
 * buffer-format.rst). The format is written here, not by a cpio program: each member is a 110-byte ASCII
 * header ("070701" and thirteen 8-digit hex fields), its NUL-terminated name and its data, each padded to
 * a multiple of 4 bytes; a member named TRAILER!!! ends the archive. Owners, times and inode numbers are
 * fixed, so the same entries always give the same bytes. The formatting is pure; reading host files and
 * the cache are the thin edge below it. An archive is made once per set of inputs and kept in the cache
 * under a digest of them.
 */
import { createHash } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { hasCompleteMark, makeEntry, touchEntry } from '../cache/entry.js';
import { cachePath } from '../cache/layout.js';

/** A member of an initramfs, as callers describe it. Paths are absolute in the VM ("/init"). */
export type InitramfsEntry =
  | { kind: 'dir'; path: string; mode?: number }
  /** A regular file from the host (its permission bits unless `mode` is given). */
  | { kind: 'file'; path: string; from: string; mode?: number }
  /** A regular file from memory (mode 0644 unless given). */
  | { kind: 'file'; path: string; data: Buffer | string; mode?: number }
  | { kind: 'symlink'; path: string; target: string }
  | { kind: 'chardev'; path: string; major: number; minor: number; mode?: number };

/** A member with its content in memory: what the formatter writes. */
export interface CpioMember {
  /** The name in the archive: relative, no leading slash ("init", "dev/console"). */
  name: string;
  /** File type and permission bits, as st_mode. */
  mode: number;
  data: Buffer;
  rdevMajor: number;
  rdevMinor: number;
}

export const S_IFMT = 0o170000;
export const S_IFDIR = 0o040000;
export const S_IFREG = 0o100000;
export const S_IFLNK = 0o120000;
export const S_IFCHR = 0o020000;

export const NEWC_MAGIC = '070701';
export const NEWC_HEADER_SIZE = 110;
export const TRAILER_NAME = 'TRAILER!!!';

/** Bump when the bytes made from the same entries change: it is part of the cache key. */
const FORMAT_VERSION = 1;

/** The archive name of a VM path: "/sbin/init" → "sbin/init". Throws on an empty path or one with "..". */
export function memberName(path: string): string {
  const name = posix.normalize(path).replace(/^\/+/, '').replace(/\/+$/, '');
  // ".." is refused as written, not only where it climbs out: "/x/../../etc" is a mistake, not "/etc".
  if (!name || name === '.' || path.split('/').includes('..'))
    throw new Error(`not a path inside the initramfs: "${path}"`);
  return name;
}

const pad4 = (n: number) => (4 - (n % 4)) % 4;

function hex8(value: number, field: string): string {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff)
    throw new Error(`cpio field ${field} out of range: ${value}`);
  return value.toString(16).toUpperCase().padStart(8, '0');
}

/** One newc header: magic and 13 fields, 110 ASCII bytes. */
export function newcHeader(h: {
  ino: number;
  mode: number;
  nlink: number;
  fileSize: number;
  nameSize: number;
  rdevMajor?: number;
  rdevMinor?: number;
}): Buffer {
  const fields: [string, number][] = [
    ['ino', h.ino],
    ['mode', h.mode],
    ['uid', 0],
    ['gid', 0],
    ['nlink', h.nlink],
    ['mtime', 0],
    ['filesize', h.fileSize],
    ['devmajor', 0],
    ['devminor', 0],
    ['rdevmajor', h.rdevMajor ?? 0],
    ['rdevminor', h.rdevMinor ?? 0],
    ['namesize', h.nameSize],
    ['check', 0],
  ];
  return Buffer.from(NEWC_MAGIC + fields.map(([f, v]) => hex8(v, f)).join(''), 'ascii');
}

function memberBytes(ino: number, m: Pick<CpioMember, 'name' | 'mode' | 'data'> & Partial<CpioMember>) {
  const name = Buffer.from(`${m.name}\0`, 'utf8');
  const header = newcHeader({
    ino,
    mode: m.mode,
    nlink: (m.mode & S_IFMT) === S_IFDIR ? 2 : 1,
    fileSize: m.data.length,
    nameSize: name.length,
    rdevMajor: m.rdevMajor ?? 0,
    rdevMinor: m.rdevMinor ?? 0,
  });
  return [
    header,
    name,
    Buffer.alloc(pad4(NEWC_HEADER_SIZE + name.length)),
    m.data,
    Buffer.alloc(pad4(m.data.length)),
  ];
}

/**
 * The members in archive order: every folder above a member comes before it (added with mode 0755
 * when not given), and a path may appear once only.
 */
export function withParents(members: readonly CpioMember[]): CpioMember[] {
  const seen = new Set<string>();
  /** Folders added for a member below them, by name: one named later takes their place. */
  const implicit = new Map<string, CpioMember>();
  const out: CpioMember[] = [];
  for (const m of members) {
    const parts = m.name.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (seen.has(dir)) continue;
      seen.add(dir);
      const made = { name: dir, mode: S_IFDIR | 0o755, data: Buffer.alloc(0), rdevMajor: 0, rdevMinor: 0 };
      implicit.set(dir, made);
      out.push(made);
    }
    const made = implicit.get(m.name);
    if (made && (m.mode & S_IFMT) === S_IFDIR) {
      // Named after a member below it: the folder keeps its place, with the mode asked for.
      made.mode = m.mode;
      implicit.delete(m.name);
      continue;
    }
    if (seen.has(m.name)) throw new Error(`"/${m.name}" is in the initramfs twice`);
    seen.add(m.name);
    out.push(m);
  }
  return out;
}

/** The uncompressed newc archive of the members (their folders added), ending with TRAILER!!!. */
export function cpioArchive(members: readonly CpioMember[]): Buffer {
  const parts: Buffer[] = [];
  let ino = 1;
  for (const m of withParents(members)) parts.push(...memberBytes(ino++, m));
  parts.push(...memberBytes(0, { name: TRAILER_NAME, mode: 0, data: Buffer.alloc(0) }));
  return Buffer.concat(parts);
}

/** A member from an entry whose content is known (no host file to read). */
export function memberOf(entry: InitramfsEntry, content?: Buffer, hostMode?: number): CpioMember {
  const name = memberName(entry.path);
  const none = Buffer.alloc(0);
  switch (entry.kind) {
    case 'dir':
      return { name, mode: S_IFDIR | (entry.mode ?? 0o755), data: none, rdevMajor: 0, rdevMinor: 0 };
    case 'symlink':
      if (!entry.target) throw new Error(`symlink /${name} has no target`);
      return { name, mode: S_IFLNK | 0o777, data: Buffer.from(entry.target), rdevMajor: 0, rdevMinor: 0 };
    case 'chardev':
      return {
        name,
        mode: S_IFCHR | (entry.mode ?? 0o600),
        data: none,
        rdevMajor: entry.major,
        rdevMinor: entry.minor,
      };
    case 'file': {
      const data = 'data' in entry ? Buffer.from(entry.data) : content;
      if (!data) throw new Error(`file /${name}: its content from the host was not read`);
      const perm = entry.mode ?? ('data' in entry ? 0o644 : (hostMode ?? 0o644) & 0o7777);
      return { name, mode: S_IFREG | (perm & 0o7777), data, rdevMajor: 0, rdevMinor: 0 };
    }
  }
}

/** A digest of what the members are (names, modes, devices, contents): the archive's cache key. */
export function membersDigest(members: readonly CpioMember[]): string {
  const h = createHash('sha256').update(`newc-gzip-v${FORMAT_VERSION}\0`);
  for (const m of members) {
    const content = createHash('sha256').update(m.data).digest('hex');
    h.update(`${m.name}\0${m.mode.toString(8)}\0${m.rdevMajor}:${m.rdevMinor}\0${content}\n`);
  }
  return h.digest('hex').slice(0, 16);
}

// ---- the edge: host files, gzip, the cache ----

/** The members of the entries, host files read. */
export async function readMembers(entries: readonly InitramfsEntry[]): Promise<CpioMember[]> {
  const out: CpioMember[] = [];
  for (const e of entries) {
    if (e.kind === 'file' && 'from' in e) {
      const st = await stat(e.from);
      if (!st.isFile()) throw new Error(`${e.from} (for /${memberName(e.path)}) is not a regular file`);
      out.push(memberOf(e, await readFile(e.from), st.mode));
    } else out.push(memberOf(e));
  }
  return out;
}

export const gzipAsync = promisify(gzip);

/** Writes the gzip-compressed archive of the entries to `path`. */
export async function writeInitramfs(entries: readonly InitramfsEntry[], path: string): Promise<void> {
  await writeFile(path, await gzipAsync(cpioArchive(await readMembers(entries)), { level: 9 }));
}

export const INITRAMFS_FILE = 'initramfs.cpio.gz';

/** Where the cache keeps initramfs archives, one folder per digest of inputs. */
export function initramfsRoot(cacheDir: string): string {
  return cachePath(cacheDir, 'initramfs');
}

/**
 * The initramfs of these entries from the cache, made there when missing: `path` is the archive,
 * `key` the digest of its inputs, `cached` whether it was already there.
 */
export async function ensureInitramfs(
  entries: readonly InitramfsEntry[],
  cacheDir: string,
): Promise<{ path: string; key: string; cached: boolean }> {
  const members = await readMembers(entries);
  const key = membersDigest(withParents(members));
  const root = initramfsRoot(cacheDir);
  const path = join(root, key, INITRAMFS_FILE);
  if (hasCompleteMark(join(root, key))) {
    await touchEntry(join(root, key));
    return { path, key, cached: true };
  }
  await makeEntry({
    root,
    key,
    fill: async (stage) => {
      await writeFile(join(stage, INITRAMFS_FILE), await gzipAsync(cpioArchive(members), { level: 9 }));
    },
  });
  return { path, key, cached: false };
}
