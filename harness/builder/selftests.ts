/**
 * The Linux rseq selftests, from Debian's `linux` source package: its orig tarball (about 150 MB) is
 * streamed once from the mirror, checked against the sha256 its .dsc lists while it streams, and only
 * the selftests and the few headers they include are kept, in the cache under the tarball's checksum:
 *
 *   <cache>/clients/selftests/<sha256[:16]>/tree/{tools/testing/selftests/rseq, ...}
 *   <cache>/clients/selftests/<sha256[:16]>/source.json
 *
 * An entry is staged under a temporary name and renamed into place whole (harness/cache/entry.ts).
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { execa } from 'execa';
import { sha256Tap, sha256Text } from '../cache/digest.js';
import { makeEntry, touchEntry, writeWhole } from '../cache/entry.js';
import { cachePath, SOURCE_FILE } from '../cache/layout.js';
import type { Log } from '../util/log.js';
import { sharedWork } from '../util/shared.js';
import { compareDebianVersions, parseDeb822, sha256Files, upstreamVersion } from './debian.js';
import { DEFAULT_MIRROR, httpGet, packageVersions, SourceError } from './sources.js';

export interface SelftestsConfig {
  suite?: string;
  version?: string;
  mirror?: string;
}

/** The default: the selftests of Debian trixie's kernel (6.12), which has all three basic tests. */
export const SELFTESTS_DEFAULT = { suite: 'trixie', version: 'latest' } as const;

/** What is kept of the kernel tree (member names below its top folder). */
export const SELFTESTS_KEEP = [
  'tools/testing/selftests/rseq/*',
  'tools/testing/selftests/kselftest.h',
  'tools/include/linux/*',
  'include/uapi/linux/auxvec.h',
  'include/uapi/linux/membarrier.h',
  'include/uapi/linux/rseq.h',
] as const;

export interface SelftestsSource {
  /** Host folder holding the kept part of the kernel tree. */
  dir: string;
  /** Identifies the tree: the orig tarball's sha256. Part of the compiled clients' cache key. */
  digest: string;
  /** Debian's version of the `linux` source package, e.g. 6.12.8-1. */
  debianVersion: string;
  /** The kernel version, e.g. 6.12.8. */
  kernelVersion: string;
  suite: string;
  url: string;
}

/** The `linux` versions a suite's Sources index lists, newest first; cached per day. */
async function linuxVersions(mirror: string, suite: string, cacheDir: string, log: Log) {
  const day = new Date().toISOString().slice(0, 10);
  // Per mirror: another mirror may list other versions.
  const mirrorId = sha256Text(mirror).slice(0, 8);
  const cached = cachePath(cacheDir, 'sourceIndex', `linux-${suite}-${day}-${mirrorId}.json`);
  if (existsSync(cached))
    return JSON.parse(await readFile(cached, 'utf8')) as { version: string; directory: string }[];
  const url = `${mirror}/dists/${suite}/main/source/Sources.xz`;
  log.info(`resolving the newest linux source package in ${suite} (${url})`);
  const res = await httpGet(url);
  const versions = await packageVersions(res, 'linux');
  if (!versions.length) throw new SourceError(`no linux source package in ${suite} (${url})`);
  await writeWhole(cached, JSON.stringify(versions), { mkdir: true });
  return versions;
}

/** The selftests' main file: a kept tree without it is not whole. */
const RSEQ_C = 'tools/testing/selftests/rseq/rseq.c';

async function readSource(dir: string): Promise<SelftestsSource | undefined> {
  try {
    const s = JSON.parse(await readFile(join(dir, SOURCE_FILE), 'utf8')) as Omit<SelftestsSource, 'dir'>;
    return existsSync(join(dir, 'tree', RSEQ_C)) ? { ...s, dir: join(dir, 'tree') } : undefined;
  } catch {
    return undefined;
  }
}

/** A kept tree, marked as used now (`cache gc` keeps what was used recently). */
async function used(s: SelftestsSource): Promise<SelftestsSource> {
  await touchEntry(dirname(s.dir));
  return s;
}

/** Selftest trees already in the cache, newest Debian version first. */
async function cachedTrees(root: string, suite: string): Promise<SelftestsSource[]> {
  const names = await readdir(root).catch(() => [] as string[]);
  const out: SelftestsSource[] = [];
  for (const n of names) {
    const s = await readSource(join(root, n));
    if (s && s.suite === suite) out.push(s);
  }
  return out.sort((a, b) => compareDebianVersions(b.debianVersion, a.debianVersion));
}

const inFlight = new Map<string, Promise<SelftestsSource>>();

/** The selftests tree for a matrix's `clients.selftests`; concurrent callers share one download. */
export function ensureSelftests(
  cfg: SelftestsConfig | undefined,
  cacheDir: string,
  log: Log,
): Promise<SelftestsSource> {
  const suite = cfg?.suite ?? SELFTESTS_DEFAULT.suite;
  const version = cfg?.version ?? SELFTESTS_DEFAULT.version;
  const mirror = cfg?.mirror ?? DEFAULT_MIRROR;
  const key = `${cacheDir}\0${suite}\0${version}\0${mirror}`;
  return sharedWork(inFlight, key, () => fetchSelftests(suite, version, mirror, cacheDir, log));
}

async function fetchSelftests(
  suite: string,
  wanted: string,
  mirror: string,
  cacheDir: string,
  log: Log,
): Promise<SelftestsSource> {
  const root = cachePath(cacheDir, 'selftests');
  // The trees kept already, read once: every candidate is looked up in them before the mirror is asked.
  const keptTrees = await cachedTrees(root, suite);
  let candidates: { version: string; directory: string }[];
  try {
    candidates =
      wanted === 'latest'
        ? await linuxVersions(mirror, suite, cacheDir, log)
        : [{ version: wanted, directory: 'pool/main/l/linux' }];
  } catch (e) {
    // Offline, or the mirror is down: the newest tree already kept for the suite will do.
    const kept = keptTrees.filter((s) => wanted === 'latest' || s.debianVersion === wanted);
    if (kept[0]) {
      log.warn(`${(e as Error).message}: using the cached selftests of linux ${kept[0].debianVersion}`);
      return used(kept[0]);
    }
    throw e;
  }
  for (const c of candidates) {
    const kept = keptTrees.find((s) => s.debianVersion === c.version);
    if (kept) return used(kept);
    const dscName = `linux_${c.version.replace(/^\d+:/, '')}.dsc`;
    const dscUrl = `${mirror}/${c.directory}/${dscName}`;
    // A version the index lists but the pool lacks is remembered for the day, and skipped quietly.
    const missing = cachePath(
      cacheDir,
      'sourceIndex',
      `missing-${dscName}-${new Date().toISOString().slice(0, 10)}`,
    );
    if (existsSync(missing)) continue;
    let dscText: string;
    try {
      dscText = await (await httpGet(dscUrl)).text();
    } catch (e) {
      if (/HTTP 404/.test((e as Error).message)) {
        log.warn(`${mirror} lists linux ${c.version} in ${suite}, but its pool has no .dsc for it`);
        await writeWhole(missing, `${dscUrl}\n`, { mkdir: true });
        continue;
      }
      throw e;
    }
    const dsc = parseDeb822(dscText)[0];
    const orig = (dsc ? sha256Files(dsc) : []).find((f) => /\.orig\.tar\.xz$/.test(f.name));
    if (!orig) throw new SourceError(`${dscName} lists no .orig.tar.xz`);
    const key = orig.sha256.slice(0, 16);
    const already = await readSource(join(root, key));
    if (already) return used(already);
    const url = `${mirror}/${c.directory}/${orig.name}`;
    const source: Omit<SelftestsSource, 'dir'> = {
      digest: orig.sha256,
      debianVersion: c.version,
      kernelVersion: upstreamVersion(c.version),
      suite,
      url,
    };
    // source.json is the entry's seal: a folder without it (left by an older harness) is replaced.
    const made = await makeEntry({
      root,
      key,
      fill: (stage) => streamSubset(url, orig.sha256, stage, log),
      seal: (stage) => writeFile(join(stage, SOURCE_FILE), `${JSON.stringify(source, null, 2)}\n`),
      isWhole: (d) => existsSync(join(d, SOURCE_FILE)) && existsSync(join(d, 'tree', RSEQ_C)),
    });
    return (await readSource(made.dir)) ?? { ...source, dir: join(made.dir, 'tree') };
  }
  throw new SourceError(`no .dsc of linux ${wanted} (${suite}) on ${mirror}`);
}

/**
 * Streams the tarball through a sha256 and `tar -xJ` of the kept members into the staged entry, kept as
 * `stage/tree` only when the digest matches; nothing else of the tarball touches the disk.
 */
async function streamSubset(url: string, sha256: string, stage: string, log: Log): Promise<void> {
  const tmp = join(stage, 'unpack');
  await mkdir(tmp, { recursive: true });
  try {
    log.info(`streaming the rseq selftests out of ${url}`);
    const res = await httpGet(url);
    const body = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream);
    const h = sha256Tap(body);
    const untar = execa(
      'tar',
      ['-xJ', '-C', tmp, '--wildcards', '--no-same-owner', ...SELFTESTS_KEEP.map((m) => `*/${m}`)],
      { input: body, reject: false, stripFinalNewline: true },
    );
    const r = await untar;
    const got = h.digest();
    if (got !== sha256)
      throw new SourceError(`checksum mismatch for ${url}: expected sha256 ${sha256}, got ${got}`);
    if (r.exitCode !== 0)
      throw new SourceError(
        `unpacking the selftests from ${url} failed: ${r.stderr.trim().split('\n').pop()}`,
      );
    const [top] = await readdir(tmp);
    if (!top || !existsSync(join(tmp, top, RSEQ_C)))
      throw new SourceError(`${url} holds no tools/testing/selftests/rseq`);
    await rename(join(tmp, top), join(stage, 'tree'));
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
