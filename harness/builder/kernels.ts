/**
 * Debian's kernels on the host, for booting under QEMU: a kernel a matrix names (suite, package,
 * version) becomes a verified vmlinuz and its config in the cache. The suite's Release file gives the
 * sha256 of its Packages.xz, which gives the sha256 and size of the kernel's .deb; the .deb is unpacked
 * with `dpkg-deb --fsys-tarfile | tar -x` and only the image and the config are kept:
 *
 *   <cache>/kernels/<sha256[:16] of the .deb>/{boot/vmlinuz, boot/config, manifest.json}
 *   <cache>/sources/index/kernels-<suite>-<arch>-<mirror id>-<day>.json   the suite's kernel stanzas, a day
 *
 * No signature is checked: the Release file is fetched over plain HTTP and not checked against
 * Debian's archive key (InRelease/Release.gpg), as no keyring is assumed on the host. The chain of
 * sha256 sums from Release to the .deb guards against damage and a partial mirror, not against a
 * mirror that lies.
 *
 * The .deb is not kept (`deb: null`): it is the modules' bulk (26 MB for 6.1 cloud, against an 8 MB
 * image), a module-less boot needs none of it, and its sha256 in the manifest names it should it be
 * wanted again. An entry is staged and renamed into place whole, under a lock per key
 * (harness/cache/entry.ts, lock.ts); on use its files are checked against the manifest
 * (harness/cache/verify.ts).
 */
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { execa } from 'execa';
import { sha256Tap, sha256Text } from '../cache/digest.js';
import { makeEntry, touchEntry, writeWhole } from '../cache/entry.js';
import { cachePath, lockPath, MANIFEST_FILE } from '../cache/layout.js';
import { withLock } from '../cache/lock.js';
import { checkEntry, manifestText, recordTree } from '../cache/verify.js';
import { HostError, NO_SPACE } from '../util/errors.js';
import type { Log } from '../util/log.js';
import { sharedWork } from '../util/shared.js';
import {
  CONFIG_MEMBERS,
  chooseKernel,
  DEFAULT_KERNEL_ARCH,
  DEFAULT_KERNEL_MIRROR,
  IMAGE_MEMBERS,
  type KernelChoice,
  type KernelSpec,
  kernelLabel,
  kernelStanzas,
  type PackageEntry,
  releaseChecksum,
  releaseOfMember,
} from './kernel-index.js';
import { httpGet, SourceError } from './sources.js';

export type { KernelChoice, KernelSpec, PackageEntry } from './kernel-index.js';
export { kernelFeatures } from './kernel-index.js';

export interface ResolvedKernel {
  spec: KernelSpec;
  /**
   * The binary package that holds the image (a metapackage like linux-image-cloud-amd64 resolved
   * through its Depends to linux-image-6.1.0-41-cloud-amd64, or to linux-binary-7.3.4+deb13-cloud-amd64
   * from 7.x on; an -unsigned variant when the signed one turned out to hold none).
   */
  package: string;
  version: string;
  /** Its path on the mirror (pool/main/...). */
  filename: string;
  sha256: string;
  size: number;
  /** The kernel release, e.g. 6.1.0-41-cloud-amd64 (from the image's file name in the package). */
  release: string;
  /** The packages followed from the named one to the image's holder. */
  chain: string[];
  /** Host paths in the cache. */
  vmlinuz: string;
  config: string | null;
  /** The .deb, when kept; it is not (see the file's comment), so null. */
  deb: string | null;
  /** The cache entry's folder. */
  dir: string;
}

/** The folder of kernel entries in a cache. */
export function kernelsRoot(cacheDir: string): string {
  return cachePath(cacheDir, 'kernels');
}

/** What an entry's manifest.json records beside its files' digests. */
interface KernelManifest {
  kind: 'kernel';
  release: string;
  package: string;
  version: string;
  filename: string;
  sha256: string;
  size: number;
  chain: string[];
  suite: string;
  mirror: string;
  arch: string;
  /** The package the config came from (the image's own, or linux-base-RELEASE). */
  configFrom: string | null;
  createdAt: string;
}

/** The tree of an entry its manifest lists: boot/vmlinuz and boot/config. */
const TREE = 'boot';

/** A suite's kernel stanzas, as kept for the day. */
interface KernelIndex {
  url: string;
  fetchedAt: string;
  packagesXzSha256: string;
  entries: PackageEntry[];
}

function withDefaults(spec: KernelSpec): Required<Omit<KernelSpec, 'id'>> & KernelSpec {
  return {
    ...spec,
    version: spec.version ?? 'latest',
    mirror: (spec.mirror ?? DEFAULT_KERNEL_MIRROR).replace(/\/+$/, ''),
    arch: spec.arch ?? DEFAULT_KERNEL_ARCH,
  };
}

/** What a failed fetch() says, in one line: its cause where it has one. */
function failure(e: unknown): string {
  const cause = (e as { cause?: unknown }).cause;
  if (cause instanceof Error) return cause.message || (cause as NodeJS.ErrnoException).code || String(cause);
  return e instanceof Error ? e.message : String(e);
}

/** `GET url` as bytes; a 404 is the caller's to word (undefined), any other failure a download error. */
async function getBytes(url: string, label: string): Promise<Buffer | undefined> {
  try {
    const res = await fetch(url, { redirect: 'follow' });
    if (res.status === 404) return undefined;
    if (!res.ok) throw new SourceError(`${label}: download of ${url} failed: HTTP ${res.status}`, true);
    return Buffer.from(await res.arrayBuffer());
  } catch (e) {
    if (e instanceof SourceError) throw e;
    throw new SourceError(`${label}: download of ${url} failed: ${failure(e)}`, true);
  }
}

/** Fetches a suite's Release and Packages.xz, checks one against the other, keeps the kernel stanzas. */
async function downloadIndex(spec: ReturnType<typeof withDefaults>, log: Log): Promise<KernelIndex> {
  const label = kernelLabel(spec);
  const releaseUrl = `${spec.mirror}/dists/${spec.suite}/Release`;
  const release = await getBytes(releaseUrl, label);
  if (!release) throw new SourceError(`${label}: suite "${spec.suite}" is not on ${spec.mirror}: HTTP 404`);
  const path = `main/binary-${spec.arch}/Packages.xz`;
  const listed = releaseChecksum(release.toString('utf8'), path);
  if (!listed)
    throw new SourceError(
      `${label}: ${releaseUrl} lists no ${path} (is ${spec.arch} an architecture of ${spec.suite}?)`,
    );
  const url = `${spec.mirror}/dists/${spec.suite}/${path}`;
  log.info(`${label}: reading the kernels of ${spec.suite} (${url}, ${mb(listed.size)})`);
  const xz = await getBytes(url, label);
  if (!xz) throw new SourceError(`${label}: download of ${url} failed: HTTP 404`, true);
  if (xz.length !== listed.size)
    throw new SourceError(`${label}: size of ${url} is ${xz.length}, the Release file says ${listed.size}`);
  const got = sha256Text(xz);
  if (got !== listed.sha256)
    throw new SourceError(`${label}: sha256 of ${url} is ${got}, the Release file says ${listed.sha256}`);
  const text = await execa('xz', ['-dc'], {
    input: xz,
    encoding: 'utf8',
    reject: false,
    maxBuffer: 2 ** 30,
  }).catch((e: NodeJS.ErrnoException) => {
    throw new HostError(`${label}: cannot run xz to read ${url}: ${e.code ?? e.message}`);
  });
  if (text.exitCode !== 0)
    throw new SourceError(`${label}: ${url} does not decompress: ${String(text.stderr).trim()}`);
  return {
    url,
    fetchedAt: new Date().toISOString(),
    packagesXzSha256: listed.sha256,
    entries: kernelStanzas(String(text.stdout)),
  };
}

/**
 * A suite's kernel stanzas: today's from the cache, else from the mirror. When the mirror does not
 * answer, the newest kept index of an earlier day is used, with a warning.
 */
async function suiteIndex(
  spec: ReturnType<typeof withDefaults>,
  cacheDir: string,
  log: Log,
): Promise<KernelIndex> {
  const day = new Date().toISOString().slice(0, 10);
  const stem = `kernels-${spec.suite}-${spec.arch}-${sha256Text(spec.mirror).slice(0, 8)}-`;
  const dir = cachePath(cacheDir, 'sourceIndex');
  const today = join(dir, `${stem}${day}.json`);
  if (existsSync(today)) return JSON.parse(await readFile(today, 'utf8')) as KernelIndex;
  let index: KernelIndex;
  try {
    index = await downloadIndex(spec, log);
  } catch (e) {
    if (!(e instanceof SourceError && e.download)) throw e;
    const older = (await readdir(dir).catch(() => [] as string[]))
      .filter((f) => f.startsWith(stem) && /^\d{4}-\d{2}-\d{2}\.json$/.test(f.slice(stem.length)))
      .sort()
      .at(-1);
    if (!older) throw e;
    log.warn(`${e.message}; using the cached index ${older} instead`);
    return JSON.parse(await readFile(join(dir, older), 'utf8')) as KernelIndex;
  }
  await writeWhole(today, JSON.stringify(index), { mkdir: true });
  return index;
}

/**
 * What the suite's index says about a spec, without downloading the kernel: the package that holds
 * its image (and the chain to it), with its filename, sha256 and size.
 */
export async function resolveKernel(spec: KernelSpec, cacheDir: string, log: Log): Promise<KernelChoice> {
  const s = withDefaults(spec);
  return chooseKernel((await suiteIndex(s, cacheDir, log)).entries, s);
}

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;

/** Downloads a package into `dest`, checking its size and sha256 against the index as it streams. */
async function downloadDeb(
  mirror: string,
  entry: PackageEntry,
  dest: string,
  label: string,
  log: Log,
): Promise<void> {
  const url = `${mirror}/${entry.filename}`;
  log.info(`${label}: fetching ${url} (${mb(entry.size)})`);
  let res: Response;
  try {
    res = await httpGet(url);
  } catch (e) {
    throw new SourceError(`${label}: ${(e as Error).message}`, true);
  }
  const body = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream);
  const hash = sha256Tap(body);
  let bytes = 0;
  body.on('data', (b: Buffer) => {
    bytes += b.length;
  });
  try {
    await pipeline(body, createWriteStream(dest));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOSPC')
      throw new SourceError(`${label}: ${NO_SPACE}: cannot write ${dest}`);
    throw new SourceError(`${label}: download of ${url} failed: ${failure(e)}`, true);
  }
  if (bytes !== entry.size)
    throw new SourceError(`${label}: size of ${entry.filename} is ${bytes}, the index says ${entry.size}`);
  const got = hash.digest();
  if (got !== entry.sha256)
    throw new SourceError(`${label}: sha256 of ${entry.filename} is ${got}, the index says ${entry.sha256}`);
}

/** Unpacks the members of a .deb that match `patterns` into `into`; returns the files it wrote, relative. */
async function unpackMembers(deb: string, into: string, patterns: readonly string[], label: string) {
  await mkdir(into, { recursive: true });
  // dpkg-deb's output (the whole file system, 100 MB and more) is streamed to tar, never buffered.
  const tar = await execa('dpkg-deb', ['--fsys-tarfile', deb], { reject: false, buffer: { stdout: false } })
    .pipe('tar', ['-x', '-C', into, '--no-same-owner', '--wildcards', ...patterns], { reject: false })
    .catch((e: NodeJS.ErrnoException) => {
      throw new HostError(
        `${label}: cannot unpack ${deb}: ${e.code === 'ENOENT' ? "dpkg-deb or tar is not installed (Debian's dpkg and tar packages)" : e.message}`,
      );
    });
  const from = tar.pipedFrom[0];
  if (from?.failed) {
    if (from.code === 'ENOENT')
      throw new HostError(
        `${label}: dpkg-deb is not installed (Debian's dpkg package): it unpacks the kernel's .deb`,
      );
    const why = String(from.stderr ?? '').trim();
    throw new SourceError(`${label}: dpkg-deb cannot read ${deb}: ${why.split('\n').pop()}`);
  }
  // tar ends with status 2 when a pattern matches nothing: only that is not a failure here.
  const complaints = String(tar.stderr)
    .split('\n')
    .filter(
      (l) => l.trim() && !/Not found in archive|Exiting with failure status due to previous errors/.test(l),
    );
  if (tar.exitCode !== 0 && complaints.length)
    throw new SourceError(`${label}: unpacking ${deb} failed: ${complaints.at(-1)}`);
  const found: string[] = [];
  const walk = async (d: string, rel: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(join(d, e.name), r);
      else found.push(r);
    }
  };
  await walk(into, '');
  return found.sort();
}

/** The image (and config, if there) a .deb holds, unpacked under `into`; the release is the image's. */
async function openPackage(deb: string, into: string, label: string) {
  const files = await unpackMembers(deb, into, [...IMAGE_MEMBERS, ...CONFIG_MEMBERS], label);
  const image = files.find((f) => releaseOfMember(f, 'vmlinuz'));
  const release = image ? releaseOfMember(image, 'vmlinuz') : undefined;
  const config =
    files.find((f) => release && releaseOfMember(f, 'config') === release) ??
    files.find((f) => releaseOfMember(f, 'config'));
  return { image, release, config };
}

/** Fills a staged entry: downloads and opens the packages, keeps boot/vmlinuz and boot/config. */
async function fillEntry(
  s: ReturnType<typeof withDefaults>,
  choice: KernelChoice,
  stage: string,
  log: Log,
): Promise<KernelManifest> {
  const label = kernelLabel(s);
  const work = join(stage, 'work');
  const boot = join(stage, TREE);
  await mkdir(boot, { recursive: true });
  let holder: PackageEntry | undefined;
  let release: string | undefined;
  let configFrom: string | null = null;
  let n = 0;
  try {
    for (const candidate of [choice.image, ...choice.fallbacks]) {
      const deb = join(work, `${n}.deb`);
      const into = join(work, String(n++));
      await mkdir(work, { recursive: true });
      await downloadDeb(s.mirror, candidate, deb, label, log);
      const got = await openPackage(deb, into, label);
      await rm(deb, { force: true });
      if (!got.image || !got.release) {
        log.warn(`${label}: ${candidate.package} ${candidate.version} holds no kernel image`);
        continue;
      }
      holder = candidate;
      release = got.release;
      await rename(join(into, got.image), join(boot, 'vmlinuz'));
      if (got.config) {
        await rename(join(into, got.config), join(boot, 'config'));
        configFrom = candidate.package;
      }
      break;
    }
    if (!holder || !release)
      throw new SourceError(
        `${label}: ${[choice.image, ...choice.fallbacks].map((e) => `${e.package} ${e.version}`).join(' and ')} hold no kernel image (${IMAGE_MEMBERS.join(' or ')})`,
      );
    // From 7.x the config is in linux-base-RELEASE, a small package beside the image's.
    for (const base of configFrom ? [] : choice.configHolders) {
      const deb = join(work, `${n}.deb`);
      const into = join(work, String(n++));
      await downloadDeb(s.mirror, base, deb, label, log);
      const got = await openPackage(deb, into, label);
      if (got.config && releaseOfMember(got.config, 'config') === release) {
        await rename(join(into, got.config), join(boot, 'config'));
        configFrom = base.package;
        break;
      }
    }
    if (!configFrom) log.warn(`${label}: no config of ${release} found; its features cannot be read`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return {
    kind: 'kernel',
    release,
    package: holder.package,
    version: holder.version,
    filename: holder.filename,
    sha256: holder.sha256,
    size: holder.size,
    chain: [...choice.chain.map((e) => e.package), ...(holder === choice.image ? [] : [holder.package])],
    suite: s.suite,
    mirror: s.mirror,
    arch: s.arch,
    configFrom,
    createdAt: new Date().toISOString(),
  };
}

/** An entry's manifest, when the entry is whole and its files match it; undefined otherwise. */
async function usableEntry(dir: string, label: string, log: Log): Promise<KernelManifest | undefined> {
  if (!existsSync(join(dir, MANIFEST_FILE))) return undefined;
  const check = await checkEntry(dir, TREE);
  if (check.damage) {
    log.warn(`${label}: the cached kernel in ${dir} is damaged (${check.damage}): fetching it again`);
    await rm(dir, { recursive: true, force: true });
    return undefined;
  }
  try {
    const m = JSON.parse(await readFile(join(dir, MANIFEST_FILE), 'utf8')) as KernelManifest;
    return m.kind === 'kernel' && m.release ? m : undefined;
  } catch {
    return undefined;
  }
}

function resolved(spec: KernelSpec, dir: string, m: KernelManifest): ResolvedKernel {
  const config = join(dir, TREE, 'config');
  return {
    spec,
    package: m.package,
    version: m.version,
    filename: m.filename,
    sha256: m.sha256,
    size: m.size,
    release: m.release,
    chain: m.chain,
    vmlinuz: join(dir, TREE, 'vmlinuz'),
    config: existsSync(config) ? config : null,
    deb: null,
    dir,
  };
}

const inFlight = new Map<string, Promise<ResolvedKernel>>();

/**
 * The kernel a spec names, as a verified vmlinuz (and config) in the cache: resolved in the suite's
 * index (cached for the day), downloaded and unpacked once, then found by the .deb's sha256 and
 * checked against its manifest. Callers in one process that ask for the same spec at once share one
 * download; processes share by lock.
 */
export function ensureKernel(spec: KernelSpec, cacheDir: string, log: Log): Promise<ResolvedKernel> {
  const s = withDefaults(spec);
  const key = [cacheDir, s.suite, s.package, s.version, s.mirror, s.arch].join('\0');
  const work = sharedWork(inFlight, key, () => fetchKernel(spec, cacheDir, log));
  // Shared while it runs only: a later call checks the entry again (it may have been damaged since).
  work.then(
    () => inFlight.get(key) === work && inFlight.delete(key),
    () => {},
  );
  return work;
}

async function fetchKernel(spec: KernelSpec, cacheDir: string, log: Log): Promise<ResolvedKernel> {
  const s = withDefaults(spec);
  const label = kernelLabel(s);
  const choice = chooseKernel((await suiteIndex(s, cacheDir, log)).entries, s);
  const root = kernelsRoot(cacheDir);
  const key = choice.image.sha256.slice(0, 16);
  const dir = join(root, key);
  const hit = async () => {
    const m = await usableEntry(dir, label, log);
    if (!m) return undefined;
    await touchEntry(dir);
    log.info(`${label}: ${m.release} (${m.package} ${m.version}) from the cache, ${dir}`);
    return resolved(spec, dir, m);
  };
  const cached = await hit();
  if (cached) return cached;
  await mkdir(root, { recursive: true });
  return withLock(
    lockPath(root, key),
    async () => {
      const now = await hit();
      if (now) return now;
      const made = await makeEntry({
        root,
        key,
        fill: (stage) => fillEntry(s, choice, stage, log),
        seal: async (stage, m) => {
          const files = await recordTree(join(stage, TREE));
          await writeFile(join(stage, MANIFEST_FILE), manifestText({ ...m, ...files }));
        },
        isWhole: (d) => existsSync(join(d, MANIFEST_FILE)) && existsSync(join(d, TREE, 'vmlinuz')),
      });
      log.info(
        `${label}: ${made.value.release} (${made.value.package} ${made.value.version}) in ${made.dir}`,
      );
      return resolved(spec, made.dir, made.value);
    },
    () => log.info(`${label}: waiting for another run that is fetching the same kernel`),
  );
}
