/**
 * glibc sources on the host: Debian source packages fetched over HTTP from the mirror and verified
 * against the checksums their .dsc lists, a developer's tarball (path or URL, with its sha256), or a
 * git tree (exported with `git archive`). Each ends up as one verified tarball in the cache, named by
 * its digest, which is what builds unpack.
 */
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { execa } from 'execa';
import { sha256File, sha256Tap, sha256Text } from '../cache/digest.js';
import { publishFile, writeWhole } from '../cache/entry.js';
import { cachePath } from '../cache/layout.js';
import type { GlibcEntry } from '../matrix/schema.js';
import { HostError, NO_SPACE } from '../util/errors.js';
import type { Log } from '../util/log.js';
import {
  compareDebianVersions,
  parseDeb822,
  sha256Files,
  sourceVersions,
  upstreamVersion,
} from './debian.js';

export const DEFAULT_MIRROR = 'http://deb.debian.org/debian';

export interface ResolvedSource {
  /** What the source is, for people: "Debian glibc 2.36-9+deb12u14 (orig only)". */
  description: string;
  /** Digest of everything that goes into the unpacked tree. Part of the build key. */
  digest: string;
  /** Tarball of the upstream tree (host path). */
  tarball: string;
  /** Debian's packaging tarball, when its patch series is applied. */
  debianTarball?: string;
  version: string;
}

export class SourceError extends Error {
  override name = 'SourceError';
  constructor(
    message: string,
    /** The mirror could not be reached or did not answer properly: a fault of the network or the mirror. */
    readonly download = false,
  ) {
    super(message);
  }
}

/** What a failed fetch() says, in one line: its cause ("connect ECONNREFUSED 127.0.0.1:9") where it has one. */
function fetchFailure(e: unknown): string {
  const cause = (e as { cause?: unknown }).cause;
  if (cause instanceof Error) return cause.message || (cause as NodeJS.ErrnoException).code || String(cause);
  if (cause) return String(cause);
  return e instanceof Error ? e.message : String(e);
}

function noSpace(path: string): SourceError {
  return new SourceError(`${NO_SPACE}: cannot write ${path}`);
}

export async function httpGet(url: string): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url, { redirect: 'follow' });
  } catch (e) {
    throw new SourceError(`download of ${url} failed: ${fetchFailure(e)}`, true);
  }
  if (!res.ok || !res.body) throw new SourceError(`download of ${url} failed: HTTP ${res.status}`, true);
  return res;
}

/**
 * Downloads `url` to `dest` unless `dest` already holds a file with the expected sha256. The file is
 * written beside its destination and renamed into place only once its digest matches.
 */
export async function fetchVerified(url: string, dest: string, sha256: string, log: Log): Promise<void> {
  if (existsSync(dest)) {
    if ((await sha256File(dest)) === sha256) return;
    log.warn(`${dest} does not match its checksum: downloading it again`);
    await rm(dest, { force: true });
  }
  await mkdir(dirname(dest), { recursive: true });
  log.info(`fetching ${url}`);
  const res = await httpGet(url);
  await publishFile(dest, async (part) => {
    const body = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream);
    const h = sha256Tap(body);
    try {
      await pipeline(body, createWriteStream(part));
    } catch (e) {
      // A full disk is the host's problem, not the mirror's.
      if ((e as NodeJS.ErrnoException).code === 'ENOSPC') throw noSpace(dest);
      throw new SourceError(`download of ${url} failed: ${fetchFailure(e)}`, true);
    }
    const got = h.digest();
    if (got !== sha256)
      throw new SourceError(`checksum mismatch for ${url}: expected sha256 ${sha256}, got ${got}`);
  });
}

/** The versions of glibc a suite's Sources index lists, newest first; cached per day. */
async function suiteVersions(
  mirror: string,
  suite: string,
  cacheDir: string,
  log: Log,
): Promise<{ version: string; directory: string }[]> {
  const day = new Date().toISOString().slice(0, 10);
  const indexDir = cachePath(cacheDir, 'sourceIndex');
  const cached = join(indexDir, `${suite}-${day}.v2.json`);
  if (existsSync(cached)) return JSON.parse(await readFile(cached, 'utf8'));
  const url = `${mirror}/dists/${suite}/main/source/Sources.xz`;
  log.info(`resolving the newest glibc in ${suite} (${url})`);
  let res: Response;
  try {
    res = await httpGet(url);
  } catch (e) {
    // The mirror cannot be reached: an index of an earlier day is better than no build at all.
    const older = (await readdir(indexDir).catch(() => [] as string[]))
      .filter((f) => new RegExp(`^${suite}-\\d{4}-\\d{2}-\\d{2}\\.v2\\.json$`).test(f))
      .sort()
      .at(-1);
    if (!older) throw e;
    log.warn(`${(e as Error).message}; using the cached index ${older} instead`);
    return JSON.parse(await readFile(join(indexDir, older), 'utf8'));
  }
  const versions = await packageVersions(res, 'glibc');
  if (!versions.length) throw new SourceError(`no glibc source package in ${suite} (${url})`);
  await mkdir(indexDir, { recursive: true });
  await writeWhole(cached, JSON.stringify(versions));
  return versions;
}

/** The versions of a source package that a suite's Sources.xz (the response) lists, newest first. */
export async function packageVersions(
  sourcesXz: Response,
  pkg: string,
): Promise<{ version: string; directory: string }[]> {
  const xz = await execa('xz', ['-dc'], {
    input: Buffer.from(await sourcesXz.arrayBuffer()),
    encoding: 'utf8',
    reject: false,
    maxBuffer: 512 * 2 ** 20,
  });
  return sourceVersions(parseDeb822(String(xz.stdout)), pkg).sort((x, y) =>
    compareDebianVersions(y.version, x.version),
  );
}

/** A .dsc from the cache or the mirror; undefined when the mirror has no such file (404). */
async function fetchDsc(
  mirror: string,
  directory: string,
  version: string,
  cacheDir: string,
): Promise<string | undefined> {
  const dscName = `glibc_${version.replace(/^\d+:/, '')}.dsc`;
  const dscPath = cachePath(cacheDir, 'sourceDsc', dscName);
  if (existsSync(dscPath)) return dscPath;
  const url = `${mirror}/${directory}/${dscName}`;
  let res: Response;
  let body: Buffer;
  try {
    res = await fetch(url, { redirect: 'follow' });
    body = Buffer.from(await res.arrayBuffer());
  } catch (e) {
    throw new SourceError(`download of ${url} failed: ${fetchFailure(e)}`, true);
  }
  if (res.status === 404) return undefined;
  if (!res.ok) throw new SourceError(`download of ${url} failed: HTTP ${res.status}`, true);
  await mkdir(dirname(dscPath), { recursive: true });
  // Whole or not at all: a .dsc cut short by a full disk would be trusted by every later run.
  await writeWhole(dscPath, body);
  return dscPath;
}

/** A cached copy of a file whose digest is known: the cache is keyed by content. */
function cachedBlob(cacheDir: string, sha256: string, name: string): string {
  return cachePath(cacheDir, 'sourceBlobs', `${sha256.slice(0, 16)}-${name}`);
}

export async function resolveSource(
  entry: GlibcEntry,
  cacheDir: string,
  baseDir: string,
  log: Log,
): Promise<ResolvedSource> {
  if (entry.source === 'debian') {
    const mirror = entry.debian.mirror ?? DEFAULT_MIRROR;
    const wanted = entry.debian.version ?? 'latest';
    const candidates =
      wanted === 'latest'
        ? await suiteVersions(mirror, entry.debian.suite, cacheDir, log)
        : [{ version: wanted, directory: 'pool/main/g/glibc' }];
    let version = '';
    let directory = '';
    let dscPath: string | undefined;
    // A mirror between syncs can list a version its pool does not hold yet: take the newest it has.
    for (const c of candidates) {
      dscPath = await fetchDsc(mirror, c.directory, c.version, cacheDir);
      if (dscPath) {
        ({ version, directory } = c);
        break;
      }
      log.warn(
        `${mirror} lists glibc ${c.version} in ${entry.debian.suite}, but its pool has no .dsc for it`,
      );
    }
    if (!dscPath) throw new SourceError(`no .dsc of glibc ${wanted} (${entry.debian.suite}) on ${mirror}`);
    const dscName = `glibc_${version.replace(/^\d+:/, '')}.dsc`;
    const dsc = parseDeb822(await readFile(dscPath, 'utf8'))[0];
    const files = dsc ? sha256Files(dsc) : [];
    const orig = files.find((f) => /\.orig\.tar\.(xz|gz|bz2)$/.test(f.name));
    if (!orig) throw new SourceError(`${dscName} lists no orig tarball`);
    const tarball = cachedBlob(cacheDir, orig.sha256, orig.name);
    await fetchVerified(`${mirror}/${directory}/${orig.name}`, tarball, orig.sha256, log);
    let debianTarball: string | undefined;
    let digest = orig.sha256;
    if (entry.debian.debianPatches) {
      const deb = files.find((f) => /\.debian\.tar\.(xz|gz|bz2)$/.test(f.name));
      if (!deb) throw new SourceError(`${dscName} lists no debian tarball`);
      debianTarball = cachedBlob(cacheDir, deb.sha256, deb.name);
      await fetchVerified(`${mirror}/${directory}/${deb.name}`, debianTarball, deb.sha256, log);
      digest = sha256Text(orig.sha256, deb.sha256);
    }
    return {
      description: `Debian glibc ${version} (${entry.debian.debianPatches ? "with Debian's patch series" : 'upstream tree from the orig tarball'})`,
      digest,
      tarball,
      ...(debianTarball ? { debianTarball } : {}),
      version: upstreamVersion(version),
    };
  }
  if (entry.source === 'tarball') {
    const t = entry.tarball;
    const name = (t.url ?? t.path ?? 'glibc.tar').split('/').pop() ?? 'glibc.tar';
    const tarball = cachedBlob(cacheDir, t.sha256, name);
    if (t.url) await fetchVerified(t.url, tarball, t.sha256, log);
    else {
      const src = isAbsolute(t.path ?? '') ? (t.path as string) : resolve(baseDir, t.path ?? '');
      const got = await sha256File(src).catch((e: NodeJS.ErrnoException) => {
        throw new SourceError(`cannot read ${src}: ${e.code ?? e.message}`);
      });
      if (got !== t.sha256)
        throw new SourceError(`checksum mismatch for ${src}: expected sha256 ${t.sha256}, got ${got}`);
      if (!existsSync(tarball)) {
        await mkdir(dirname(tarball), { recursive: true });
        await publishFile(tarball, (part) => pipeline(createReadStream(src), createWriteStream(part))).catch(
          (e: NodeJS.ErrnoException) => {
            throw e.code === 'ENOSPC' ? noSpace(tarball) : e;
          },
        );
      }
    }
    return { description: `tarball ${name}`, digest: t.sha256, tarball, version: name };
  }
  if (entry.source === 'git') {
    const repo = isAbsolute(entry.git.path) ? entry.git.path : resolve(baseDir, entry.git.path);
    const ref = entry.git.ref ?? 'HEAD';
    const rev = await execa('git', ['-C', repo, 'rev-parse', '--verify', `${ref}^{commit}`], {
      reject: false,
    });
    if (rev.exitCode !== 0) throw new SourceError(`git ${repo}: cannot resolve ${ref}: ${rev.stderr.trim()}`);
    const commit = rev.stdout.trim();
    const tarball = cachePath(cacheDir, 'sourceGit', `${commit}.tar`);
    if (!existsSync(tarball)) {
      await mkdir(dirname(tarball), { recursive: true });
      await publishFile(tarball, async (part) => {
        const r = await execa(
          'git',
          ['-C', repo, 'archive', '--format=tar', `--prefix=glibc/`, '-o', part, commit],
          { reject: false },
        );
        if (r.exitCode !== 0) throw new SourceError(`git archive of ${commit} failed: ${r.stderr.trim()}`);
      });
    }
    return {
      description: `git ${repo} ${ref} (${commit.slice(0, 12)})`,
      digest: `git:${commit}`,
      tarball,
      version: commit.slice(0, 12),
    };
  }
  throw new HostError(`glibc entry ${entry.id}: source ${(entry as { source: string }).source} has no build`);
}
