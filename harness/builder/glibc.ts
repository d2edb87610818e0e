/**
 * Real glibc builds in containers, cached by build key. A build with no patches is built cold and keeps
 * its source and object trees; a variant (a patch series) starts from a copy of those trees, applies its
 * patches and runs `make install`, so a patch touching a few files recompiles a few files.
 *
 * Cache entry: CACHE/builds/<key>/{install/, tree/ (unpatched builds only), logs/build.log, manifest.json}.
 * Entries are staged under a temporary name and renamed into place (harness/cache/entry.ts); manifest.json
 * lists every installed file's sha256, size and mtime. On use the sizes and mtimes are compared (a stat
 * walk); where one differs the sha256s are (harness/cache/verify.ts), and `run --verify` always compares
 * them, so a damaged entry is rebuilt rather than trusted.
 */
import { existsSync } from 'node:fs';
import { cp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { type FileStat, sha256Text } from '../cache/digest.js';
import { makeEntry, touchEntry } from '../cache/entry.js';
import { cachePath, isEntryName, lockPath, MANIFEST_FILE } from '../cache/layout.js';
import { withLock } from '../cache/lock.js';
import {
  type CheckOptions,
  type CheckResult,
  checkEntry,
  manifestText,
  recordTree,
} from '../cache/verify.js';
import type { ContainerSession } from '../docker/containers.js';
import { tail } from '../docker/host-setup.js';
import type { SuiteImages } from '../docker/images.js';
import type { GlibcEntry, VariantEntry } from '../matrix/schema.js';
import { EngineLostError, errorMessage, isNoSpace, NO_SPACE } from '../util/errors.js';
import type { Log } from '../util/log.js';
import { IMAGES_DIR } from '../util/paths.js';
import type { ReadyBuild } from './build.js';
import { buildKey } from './build.js';
import {
  BASE_CONFIGURE,
  BUILD_PATHS,
  BUILD_SCRIPT_FILE,
  CCACHE_ENV,
  type CcachePolicy,
  classifyLine,
  PATCH_FAILED_EXIT,
  type Phase,
  usesCcache,
} from './recipe.js';

let scriptText: string | undefined;
export async function buildScript(): Promise<string> {
  scriptText ??= await readFile(join(IMAGES_DIR, BUILD_SCRIPT_FILE), 'utf8');
  return scriptText;
}

import type { ResolvedSource } from './sources.js';

export interface PatchFile {
  /** As the matrix names it, relative to patches/. */
  name: string;
  path: string;
  sha256: string;
}

export type BuildProgress = (ev: {
  build: string;
  phase?: Phase;
  compiled?: number;
  /** How many files an earlier build of the same source, patches and mode compiled (for an estimate). */
  expected?: number;
  note?: string;
}) => void;

export interface GlibcBuildContext {
  session: ContainerSession;
  cacheDir: string;
  log: Log;
  /** Cores this run may keep busy with builds; each build takes what is free when it starts (at least 1). */
  cores: number;
  rebuild: boolean;
  /** Compare every installed file's sha256 on use, not only its size and mtime (`run --verify`). */
  verify?: boolean;
  /** false: build every variant cold, from the tarball (to check that incremental builds are equal). */
  incremental?: boolean;
  /**
   * Which builds compile through ccache, whose files live in CACHE/ccache (not part of the build key:
   * same result): see CcachePolicy. Default: incremental builds only.
   */
  ccache?: CcachePolicy;
  progress?: BuildProgress;
  /** glibc tests to run from the variant's build tree (e.g. misc/tst-rseq). */
  glibcTests: string[];
}

export interface BuildSpec {
  glibc: GlibcEntry;
  variant: VariantEntry;
  images: SuiteImages;
  source: ResolvedSource;
  patches: PatchFile[];
}

/** make -j slots handed out to running builds of this process. */
let coresInUse = 0;

export class BuildError extends Error {
  constructor(
    message: string,
    readonly phase: Phase | 'prepare',
    readonly logTail: string,
    readonly logPath?: string,
    /** The disk under the cache filled up: a fault of the host, not of the source or its patches. */
    readonly noSpace = false,
  ) {
    super(message);
  }
}

export interface Manifest {
  key: string;
  description: string;
  createdAt: string;
  mode: 'cold' | 'incremental';
  baseKey?: string;
  durationMs: number;
  phases: Partial<Record<Phase, number>>;
  compiledFiles: number;
  /** The source digest and patch digests, so that a later build of the same can estimate its progress. */
  source?: string;
  patches?: string[];
  /** Every installed file's sha256 (a symlink: `link:TARGET`), by its path under install/. */
  files: Record<string, string>;
  /** Every installed regular file's [size, mtimeMs], for the cheap check on use (absent in older manifests). */
  stats?: Record<string, FileStat>;
  glibcTests?: Record<string, string>;
}

export function configureArgs(entry: GlibcEntry): string[] {
  return [...BASE_CONFIGURE, ...('configure' in entry && entry.configure ? entry.configure : [])];
}

export async function keyOf(
  spec: BuildSpec,
  patches: readonly PatchFile[],
  glibcTests: readonly string[],
): Promise<string> {
  const script = await buildScript();
  return buildKey({
    ...(glibcTests.length ? { glibcTests } : {}),
    source: spec.source.digest,
    configure: configureArgs(spec.glibc),
    toolchain: spec.images.toolchainId,
    script: sha256Text(script),
    patches: patches.map((p) => p.sha256),
  });
}

/**
 * Checks an entry's install/ against its manifest: sizes and mtimes, and where one differs (or `full`)
 * every sha256. Returns why the entry is damaged, or undefined. A manifest without sizes and mtimes gets
 * them after a full check that passed.
 */
export async function verifyEntry(dir: string, opts: CheckOptions = {}): Promise<string | undefined> {
  return (await checkEntry(dir, 'install', opts)).damage;
}

async function readManifest(dir: string): Promise<Manifest> {
  return JSON.parse(await readFile(join(dir, MANIFEST_FILE), 'utf8')) as Manifest;
}

function ready(spec: BuildSpec, key: string, dir: string, m: Manifest, cached: boolean): ReadyBuild {
  return {
    key,
    glibc: spec.glibc.id,
    variant: spec.variant.id,
    image: spec.images.toolchain,
    probeMakeVars: { GLIBC_PREFIX: BUILD_PATHS.prefix },
    binds: [`${join(dir, 'install')}:${BUILD_PATHS.prefix}:ro`],
    description: m.description,
    cached,
    durationMs: cached ? 0 : m.durationMs,
    ...(m.glibcTests ? { glibcTests: m.glibcTests } : {}),
    buildInfo: {
      mode: m.mode,
      compiledFiles: m.compiledFiles,
      phases: m.phases,
      ...(m.baseKey ? { baseKey: m.baseKey } : {}),
    },
  };
}

/** The installed glibc for a (source, variant), built where the cache lacks it or holds a damaged copy. */
export async function ensureGlibcBuild(ctx: GlibcBuildContext, spec: BuildSpec): Promise<ReadyBuild> {
  const key = await keyOf(spec, spec.patches, ctx.glibcTests);
  const root = cachePath(ctx.cacheDir, 'builds');
  const dir = join(root, key);
  await mkdir(root, { recursive: true });
  return withLock(
    lockPath(root, key),
    async () => {
      if (existsSync(dir)) {
        const check: CheckResult = ctx.rebuild
          ? { check: 'full', damage: 'a rebuild was asked for' }
          : await checkEntry(dir, 'install', { full: ctx.verify === true });
        const damage = check.damage;
        if (!damage) {
          if (check.why) ctx.log.debug(`build ${key}: every file's sha256 checked (${check.why})`);
          await touchEntry(dir);
          return ready(spec, key, dir, await readManifest(dir), true);
        }
        ctx.log.warn(`build ${key} (${spec.glibc.id}/${spec.variant.id}): ${damage}; building it again`);
        await rm(dir, { recursive: true, force: true });
      }
      let base: { key: string; dir: string } | undefined;
      if (spec.patches.length && ctx.incremental !== false) {
        const baseSpec: BuildSpec = { ...spec, patches: [], variant: { id: `${spec.variant.id}~base` } };
        const b = await ensureGlibcBuild({ ...ctx, rebuild: false }, baseSpec);
        base = { key: b.key, dir: join(root, b.key) };
        if (!existsSync(join(base.dir, 'tree', 'build'))) base = undefined;
      }
      const m = await runBuild(ctx, spec, key, base);
      return ready(spec, key, dir, m, false);
    },
    () =>
      ctx.log.info(
        `${spec.glibc.id}/${spec.variant.id}: waiting for build ${key}, which another job or run is making`,
      ),
  );
}

async function runBuild(
  ctx: GlibcBuildContext,
  spec: BuildSpec,
  key: string,
  base: { key: string; dir: string } | undefined,
): Promise<Manifest> {
  const label = `${spec.glibc.id}/${spec.variant.id}`;
  const started = Date.now();
  const phases: Partial<Record<Phase, number>> = {};
  let phase: Phase | 'prepare' = 'prepare';
  let phaseStart = started;
  let compiled = 0;
  let failedPatch: string | undefined;
  const mode = base ? 'incremental' : 'cold';
  // Fills the staged entry; the manifest it returns seals it (harness/cache/entry.ts renames it into place).
  const fill = async (tmp: string): Promise<Manifest> => {
    await mkdir(join(tmp, 'meta', 'patches'), { recursive: true });
    await mkdir(join(tmp, 'install'), { recursive: true });
    await mkdir(join(tmp, 'logs'), { recursive: true });
    await writeFile(join(tmp, 'meta', 'build.sh'), await buildScript(), { mode: 0o755 });
    await writeFile(join(tmp, 'meta', 'configure.args'), `${configureArgs(spec.glibc).join('\n')}\n`);
    await writeFile(join(tmp, 'meta', 'tests.txt'), ctx.glibcTests.map((t) => `${t}\n`).join(''));
    const patchNames = new Map<string, string>();
    for (const [i, p] of spec.patches.entries()) {
      const file = `${String(i + 1).padStart(4, '0')}-${p.name.replace(/\.(patch|diff)$/, '').replace(/[^A-Za-z0-9._-]+/g, '_')}.patch`;
      patchNames.set(file, p.name);
      await cp(p.path, join(tmp, 'meta', 'patches', file));
    }
    if (base) {
      ctx.progress?.({ build: label, note: `copying the build tree of ${base.key}` });
      // cp(1) copies the 40,000 files of a glibc tree in seconds; fs.cp takes most of a minute.
      const c = await execa('cp', ['-a', '--reflink=auto', join(base.dir, 'tree'), join(tmp, 'tree')], {
        reject: false,
        all: true,
      });
      if (c.exitCode !== 0) throw new Error(`copying the build tree failed: ${tail(c.all, 5)}`);
    } else await mkdir(join(tmp, 'tree'), { recursive: true });
    const logFile = join(tmp, 'logs', 'build.log');
    const expected = await earlierCompileCount(
      ctx.cacheDir,
      spec.source.digest,
      spec.patches.map((p) => p.sha256),
      mode,
    );
    if (expected) ctx.progress?.({ build: label, expected });
    const useCcache = usesCcache(ctx.ccache ?? 'incremental', mode);
    if (useCcache) await mkdir(cachePath(ctx.cacheDir, 'ccache'), { recursive: true });
    // A build that starts alone gets every core; one that starts beside others gets what is left.
    const makeJobs = Math.max(1, ctx.cores - coresInUse);
    coresInUse += makeJobs;
    const r = await ctx.session
      .run({
        image: spec.images.toolchain,
        cmd: ['/bin/bash', `${BUILD_PATHS.meta}/build.sh`],
        env: {
          MODE: mode,
          MAKE_JOBS: String(makeJobs),
          LANG: 'C.UTF-8',
          ...(useCcache ? { USE_CCACHE: '1', CCACHE_DIR: BUILD_PATHS.ccache, ...CCACHE_ENV } : {}),
        },
        binds: [
          ...(useCcache ? [`${cachePath(ctx.cacheDir, 'ccache')}:${BUILD_PATHS.ccache}`] : []),
          `${spec.source.tarball}:${BUILD_PATHS.source}:ro`,
          ...(spec.source.debianTarball ? [`${spec.source.debianTarball}:${BUILD_PATHS.debian}:ro`] : []),
          `${join(tmp, 'meta')}:${BUILD_PATHS.meta}:ro`,
          `${join(tmp, 'tree')}:${BUILD_PATHS.tree}`,
          `${join(tmp, 'install')}:${BUILD_PATHS.prefix}`,
        ],
        network: 'none',
        timeoutMs: 3 * 3600_000,
        purpose: `build ${label}`,
        logFile,
        onLine: (line) => {
          const c = classifyLine(line);
          if (c.phase) {
            const now = Date.now();
            if (phase !== 'prepare') phases[phase] = now - phaseStart;
            phase = c.phase;
            phaseStart = now;
            ctx.progress?.({ build: label, phase: c.phase, compiled });
          } else if (c.compiled) {
            compiled++;
            if (compiled % 25 === 0)
              ctx.progress?.({ build: label, phase: phase === 'prepare' ? 'make' : phase, compiled });
          } else if (c.failedPatch) failedPatch = c.failedPatch;
        },
      })
      .finally(() => {
        coresInUse -= makeJobs;
      });
    if (r.exitCode !== 0) {
      // Our own stop removed the container: nothing failed, and no failure log is kept.
      if (ctx.session.stopped) throw new BuildError('the build was stopped with the run', phase, '');
      const output = `${r.stdout}\n${r.stderr}`;
      // A log the disk had no room for is cut short: the container's output (its last 64 KiB) has the end.
      const log = r.logError ? output : await readFile(logFile, 'utf8').catch(() => output);
      const noSpace = isNoSpace(r.logError) || output.includes(NO_SPACE) || log.includes(NO_SPACE);
      // Free the trees first: on a full disk there is no room for the failure log otherwise.
      await rm(join(tmp, 'tree'), { recursive: true, force: true }).catch(() => {});
      await rm(join(tmp, 'install'), { recursive: true, force: true }).catch(() => {});
      const failedLog = cachePath(ctx.cacheDir, 'failedBuilds', `${key}.log`);
      const kept = await mkdir(join(failedLog, '..'), { recursive: true })
        .then(() => (r.logError ? writeFile(failedLog, log) : cp(logFile, failedLog)))
        .then(
          () => failedLog,
          () =>
            rm(failedLog, { force: true }).then(
              () => undefined,
              () => undefined,
            ),
        );
      if (r.exitCode === PATCH_FAILED_EXIT && failedPatch)
        throw new BuildError(
          `patch ${patchNames.get(failedPatch) ?? failedPatch} does not apply`,
          'patch',
          tail(log, 40),
          kept,
        );
      const how = r.timedOut ? 'timed out' : `exit ${r.exitCode}`;
      if (noSpace)
        throw new BuildError(
          `${NO_SPACE} in the build cache ${ctx.cacheDir} (the build stopped in phase ${phase}, ${how})`,
          phase,
          tail(log, 40),
          kept,
          true,
        );
      throw new BuildError(`the build failed in phase ${phase} (${how})`, phase, tail(log, 40), kept);
    }
    const last = phase as Phase | 'prepare';
    if (last !== 'prepare') phases[last] = Date.now() - phaseStart;
    const testsFile = join(tmp, 'install', '.rseq-matrix', 'glibc-tests.txt');
    const glibcTests = existsSync(testsFile)
      ? Object.fromEntries(
          (await readFile(testsFile, 'utf8'))
            .split('\n')
            .filter(Boolean)
            .map((l) => l.split(' ') as [string, string]),
        )
      : undefined;
    // A variant keeps only what it installed; the unpatched build keeps its trees for the variants.
    if (spec.patches.length) await rm(join(tmp, 'tree'), { recursive: true, force: true });
    const durationMs = Date.now() - started;
    const installed = await recordTree(join(tmp, 'install'));
    return {
      key,
      description: `${spec.source.description}${spec.patches.length ? ` + ${spec.patches.map((p) => p.name).join(', ')}` : ''}`,
      createdAt: new Date().toISOString(),
      mode,
      ...(base ? { baseKey: base.key } : {}),
      durationMs,
      phases,
      compiledFiles: compiled,
      source: spec.source.digest,
      patches: spec.patches.map((p) => p.sha256),
      files: installed.files,
      stats: installed.stats,
      ...(glibcTests ? { glibcTests } : {}),
    };
  };
  try {
    const made = await makeEntry({
      root: cachePath(ctx.cacheDir, 'builds'),
      key,
      fill,
      seal: (tmp, m) => writeFile(join(tmp, MANIFEST_FILE), manifestText(m)),
      isWhole: (d) => existsSync(join(d, MANIFEST_FILE)),
    });
    // Under the key's lock no other run publishes it; should one have, its entry is as good as ours.
    const manifest = made.ours ? made.value : await readManifest(made.dir);
    ctx.log.info(
      `built ${label} (${mode}, ${compiled} files compiled) in ${(manifest.durationMs / 1000).toFixed(0)} s: ${key}`,
    );
    return manifest;
  } catch (e) {
    // An engine that went away is the run's problem, not this build's: it keeps its own error.
    if (e instanceof BuildError || e instanceof EngineLostError) throw e;
    if (isNoSpace(e))
      throw new BuildError(
        `${NO_SPACE} in the build cache ${ctx.cacheDir} (${errorMessage(e)})`,
        phase,
        '',
        undefined,
        true,
      );
    throw new BuildError(errorMessage(e), phase, '');
  }
}

/**
 * How many files the newest earlier build of the same source, patches and mode compiled, from the
 * manifests in the cache (any build key: another toolchain image compiles the same files); undefined
 * when there was none.
 */
export async function earlierCompileCount(
  cacheDir: string,
  source: string,
  patches: readonly string[],
  mode: 'cold' | 'incremental',
): Promise<number | undefined> {
  const root = cachePath(cacheDir, 'builds');
  let best: { at: string; n: number } | undefined;
  for (const name of await readdir(root).catch(() => [] as string[])) {
    if (!isEntryName(name)) continue;
    const m = await readManifest(join(root, name)).catch(() => undefined);
    if (!m || m.source !== source || m.mode !== mode || !m.compiledFiles) continue;
    if ((m.patches ?? []).join(' ') !== patches.join(' ')) continue;
    if (!best || m.createdAt > best.at) best = { at: m.createdAt, n: m.compiledFiles };
  }
  return best?.n;
}
