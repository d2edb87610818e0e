/**
 * The Linux rseq selftests, from Debian's `linux` source package: its orig tarball (about 150 MB) is
 * streamed once from the mirror, checked against the sha256 its .dsc lists while it streams, and only
 * the selftests and the few headers they include are kept, in the cache under the tarball's checksum:
 *
 *   <cache>/clients/selftests/<sha256[:16]>/tree/{tools/testing/selftests/rseq, ...}
 *   <cache>/clients/selftests/<sha256[:16]>/source.json
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { execa } from 'execa';
import type { Log } from '../util/log.js';
import { sharedWork } from '../util/shared.js';
import { compareDebianVersions, parseDeb822, sha256Files, upstreamVersion } from './debian.js';
import { DEFAULT_MIRROR, httpGet, packageVersions, SourceError, writeWhole } from './sources.js';

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
  const mirrorId = createHash('sha256').update(mirror).digest('hex').slice(0, 8);
  const cached = join(cacheDir, 'sources', 'index', `linux-${suite}-${day}-${mirrorId}.json`);
  if (existsSync(cached))
    return JSON.parse(await readFile(cached, 'utf8')) as { version: string; directory: string }[];
  const url = `${mirror}/dists/${suite}/main/source/Sources.xz`;
  log.info(`resolving the newest linux source package in ${suite} (${url})`);
  const res = await httpGet(url);
  const versions = await packageVersions(res, 'linux');
  if (!versions.length) throw new SourceError(`no linux source package in ${suite} (${url})`);
  await mkdir(join(cached, '..'), { recursive: true });
  await writeWhole(cached, JSON.stringify(versions));
  return versions;
}

async function readSource(dir: string): Promise<SelftestsSource | undefined> {
  try {
    const s = JSON.parse(await readFile(join(dir, 'source.json'), 'utf8')) as Omit<SelftestsSource, 'dir'>;
    return existsSync(join(dir, 'tree', 'tools/testing/selftests/rseq/rseq.c'))
      ? { ...s, dir: join(dir, 'tree') }
      : undefined;
  } catch {
    return undefined;
  }
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
  const root = join(cacheDir, 'clients', 'selftests');
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
      return kept[0];
    }
    throw e;
  }
  for (const c of candidates) {
    const kept = keptTrees.find((s) => s.debianVersion === c.version);
    if (kept) return kept;
    const dscName = `linux_${c.version.replace(/^\d+:/, '')}.dsc`;
    const dscUrl = `${mirror}/${c.directory}/${dscName}`;
    // A version the index lists but the pool lacks is remembered for the day, and skipped quietly.
    const missing = join(
      cacheDir,
      'sources',
      'index',
      `missing-${dscName}-${new Date().toISOString().slice(0, 10)}`,
    );
    if (existsSync(missing)) continue;
    let dscText: string;
    try {
      dscText = await (await httpGet(dscUrl)).text();
    } catch (e) {
      if (/HTTP 404/.test((e as Error).message)) {
        log.warn(`${mirror} lists linux ${c.version} in ${suite}, but its pool has no .dsc for it`);
        await mkdir(join(missing, '..'), { recursive: true });
        await writeWhole(missing, `${dscUrl}\n`);
        continue;
      }
      throw e;
    }
    const dsc = parseDeb822(dscText)[0];
    const orig = (dsc ? sha256Files(dsc) : []).find((f) => /\.orig\.tar\.xz$/.test(f.name));
    if (!orig) throw new SourceError(`${dscName} lists no .orig.tar.xz`);
    const dir = join(root, orig.sha256.slice(0, 16));
    const already = await readSource(dir);
    if (already) return already;
    const url = `${mirror}/${c.directory}/${orig.name}`;
    await streamSubset(url, orig.sha256, dir, log);
    const source: Omit<SelftestsSource, 'dir'> = {
      digest: orig.sha256,
      debianVersion: c.version,
      kernelVersion: upstreamVersion(c.version),
      suite,
      url,
    };
    await writeWhole(join(dir, 'source.json'), `${JSON.stringify(source, null, 2)}\n`);
    return { ...source, dir: join(dir, 'tree') };
  }
  throw new SourceError(`no .dsc of linux ${wanted} (${suite}) on ${mirror}`);
}

/**
 * Streams the tarball through a sha256 and `tar -xJ` of the kept members into a temporary folder,
 * published as `dir/tree` only when the digest matches; nothing else of the tarball touches the disk.
 */
async function streamSubset(url: string, sha256: string, dir: string, log: Log): Promise<void> {
  const tmp = `${dir}.tmp-${randomBytes(4).toString('hex')}`;
  await mkdir(tmp, { recursive: true });
  try {
    log.info(`streaming the rseq selftests out of ${url}`);
    const res = await httpGet(url);
    const h = createHash('sha256');
    const body = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream);
    body.on('data', (b: Buffer) => h.update(b));
    const untar = execa(
      'tar',
      ['-xJ', '-C', tmp, '--wildcards', '--no-same-owner', ...SELFTESTS_KEEP.map((m) => `*/${m}`)],
      { input: body, reject: false, stripFinalNewline: true },
    );
    const r = await untar;
    const got = h.digest('hex');
    if (got !== sha256)
      throw new SourceError(`checksum mismatch for ${url}: expected sha256 ${sha256}, got ${got}`);
    if (r.exitCode !== 0)
      throw new SourceError(
        `unpacking the selftests from ${url} failed: ${r.stderr.trim().split('\n').pop()}`,
      );
    const [top] = await readdir(tmp);
    if (!top || !existsSync(join(tmp, top, 'tools/testing/selftests/rseq/rseq.c')))
      throw new SourceError(`${url} holds no tools/testing/selftests/rseq`);
    await mkdir(dir, { recursive: true });
    await rm(join(dir, 'tree'), { recursive: true, force: true });
    await rename(join(tmp, top), join(dir, 'tree'));
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
