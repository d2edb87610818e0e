/**
 * Base and toolchain images. No registry is reachable, so a base image is made by debootstrap and
 * `docker import`; the toolchain image is built on it from images/toolchain.Dockerfile. Both are
 * tagged by a hash of their recipe: a changed recipe builds anew, an unchanged one is reused.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { execa } from 'execa';
import tar from 'tar-fs';
import { HostError } from '../util/errors.js';
import type { Log } from '../util/log.js';
import { sharedWork } from '../util/shared.js';
import { ensureDebootstrap, tail } from './host-setup.js';
import { toolchainFingerprint } from './toolchain-fingerprint.js';

/** Bump when the way images are made changes (not their recipe files). */
export const IMAGE_RECIPE_VERSION = 1;

export interface SuiteRecipe {
  suite: string;
  mirror: string;
  debootstrapVariant: string;
  toolchain: string[];
  /**
   * Accept an expired Release file. Suites whose Release carries a Valid-Until (sid, testing) expire
   * when the mirror is a frozen snapshot; apt then refuses them unless told otherwise.
   */
  aptIgnoreValidUntil?: boolean;
}

export interface SuiteImages {
  suite: string;
  base: string;
  toolchain: string;
  /**
   * The toolchain in every build key: the image's recipe tag and the fingerprint of its installed
   * packages (toolchain-fingerprint.ts), not the engine's image id, so that an image made again from
   * the same recipe keeps the keys of the builds made with it.
   */
  toolchainId: string;
}

export async function readRecipe(imagesDir: string, suite: string): Promise<SuiteRecipe> {
  const text = await readFile(join(imagesDir, `${suite}.json`), 'utf8').catch(() => {
    throw new HostError(
      `no image recipe for suite "${suite}": ${join(imagesDir, `${suite}.json`)} is missing`,
    );
  });
  return JSON.parse(text) as SuiteRecipe;
}

function hash(...parts: string[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('hex').slice(0, 12);
}

/** Image tags follow from the recipe alone, so they can be computed before anything is built. */
export async function imageTags(imagesDir: string, suite: string) {
  const recipe = await readRecipe(imagesDir, suite);
  const dockerfile = await readFile(join(imagesDir, 'toolchain.Dockerfile'), 'utf8');
  const baseHash = hash(
    String(IMAGE_RECIPE_VERSION),
    recipe.suite,
    recipe.mirror,
    recipe.debootstrapVariant,
    ...(recipe.aptIgnoreValidUntil ? ['apt-ignore-valid-until'] : []),
  );
  const base = `rseq-matrix/base:${suite}-${baseHash}`;
  const toolchain = `rseq-matrix/toolchain:${suite}-${hash(base, dockerfile, recipe.toolchain.join(' '))}`;
  return { recipe, dockerfile, base, toolchain };
}

async function imageId(docker: Docker, tag: string): Promise<string | undefined> {
  try {
    return (await docker.getImage(tag).inspect()).Id;
  } catch (e) {
    // Only "no such image" means it must be made; an engine that does not answer is not a reason to
    // run debootstrap for minutes.
    if ((e as { statusCode?: number }).statusCode === 404) return undefined;
    throw e;
  }
}

/**
 * The stop signal of the run in progress (harness/cli/run.ts): debootstrap, the import and the
 * toolchain build end when it fires, instead of running on for minutes after Ctrl-C or SIGTERM.
 */
let stopSignal: AbortSignal | undefined;
export function stopImageWorkOn(signal: AbortSignal | undefined): void {
  stopSignal = signal;
}

function checkStop(): void {
  if (stopSignal?.aborted) throw new HostError('image work stopped: the run is being stopped');
}

const inFlight = new Map<string, Promise<SuiteImages>>();

/** Forgets the images this process made or found, e.g. after they were removed from the engine. */
export function forgetSuiteImages(): void {
  inFlight.clear();
}

/** The suite's base and toolchain images, made where missing. Concurrent callers share one build. */
export function ensureSuiteImages(
  docker: Docker,
  imagesDir: string,
  suite: string,
  log: Log,
): Promise<SuiteImages> {
  return sharedWork(inFlight, suite, () => makeSuiteImages(docker, imagesDir, suite, log));
}

async function makeSuiteImages(
  docker: Docker,
  imagesDir: string,
  suite: string,
  log: Log,
): Promise<SuiteImages> {
  const { recipe, base, toolchain } = await imageTags(imagesDir, suite);
  checkStop();
  if (!(await imageId(docker, base))) await importBase(docker, recipe, base, log);
  let id = await imageId(docker, toolchain);
  if (!id) {
    checkStop();
    log.info(`building ${toolchain} (${recipe.toolchain.length} packages)`);
    const started = Date.now();
    const context = tar.pack(imagesDir, {
      entries: ['toolchain.Dockerfile'],
    }) as unknown as NodeJS.ReadableStream;
    const stream = await docker.buildImage(context, {
      t: toolchain,
      dockerfile: 'toolchain.Dockerfile',
      networkmode: 'host',
      buildargs: { BASE: base, PACKAGES: recipe.toolchain.join(' ') },
      labels: { 'rseq-matrix.recipe': toolchain },
      rm: true,
      forcerm: true,
    } as Docker.ImageBuildOptions);
    await untilStopped(stream, followBuild(docker, stream, `docker build of ${toolchain}`));
    id = await imageId(docker, toolchain);
    if (!id) throw new HostError(`docker build of ${toolchain} reported success but the image is missing`);
    log.info(`built ${toolchain} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }
  const fingerprint = await toolchainFingerprint(docker, toolchain, suite, log);
  return { suite, base, toolchain, toolchainId: `${toolchain}@${fingerprint}` };
}

/**
 * Follows an image build's progress stream. The engine answers 200 even when the build fails and puts
 * the error into an `errorDetail` line: any such line is a failure, shown with the output before it.
 */
export function followBuild(docker: Docker, stream: NodeJS.ReadableStream, what: string): Promise<string[]> {
  const lines: string[] = [];
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (err: Error | null, events: { error?: string; errorDetail?: { message?: string } }[]) => {
        const failed = events?.find((e) => e.error || e.errorDetail);
        if (err || failed) {
          const msg = failed?.errorDetail?.message ?? failed?.error ?? String(err);
          reject(new HostError(`${what} failed: ${msg.trim()}`, undefined, lines.slice(-30).join('')));
        } else resolve(lines);
      },
      (event: { stream?: string; status?: string }) => {
        if (event.stream) lines.push(event.stream);
        else if (event.status) lines.push(`${event.status}\n`);
      },
    );
  });
}

/**
 * Waits for an engine stream's work (an image build, an import); when the run is stopped, destroys
 * the stream, which ends the request: the engine then cancels the build and removes its containers.
 */
async function untilStopped<T>(stream: NodeJS.ReadableStream, work: Promise<T>): Promise<T> {
  const signal = stopSignal;
  if (!signal) return work;
  const onStop = () => (stream as unknown as { destroy?: () => void }).destroy?.();
  signal.addEventListener('abort', onStop, { once: true });
  try {
    return await work;
  } catch (e) {
    checkStop();
    throw e;
  } finally {
    signal.removeEventListener('abort', onStop);
  }
}

/** Unmounts whatever a killed debootstrap left mounted in its target (proc, sys), deepest first. */
async function unmountUnder(dir: string): Promise<void> {
  const mounts = (await readFile('/proc/mounts', 'utf8').catch(() => ''))
    .split('\n')
    .map((l) => (l.split(' ')[1] ?? '').replace(/\\040/g, ' '))
    .filter((m) => m.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) await execa('umount', ['-l', m], { reject: false });
}

async function importBase(docker: Docker, recipe: SuiteRecipe, tag: string, log: Log): Promise<void> {
  const debootstrap = await ensureDebootstrap(log);
  checkStop();
  const root = await mkdtemp(join(process.env.RSEQ_MATRIX_TMP ?? tmpdir(), `rseq-matrix-${recipe.suite}-`));
  const started = Date.now();
  try {
    log.info(`debootstrap --variant=${recipe.debootstrapVariant} ${recipe.suite} (${recipe.mirror})`);
    const r = await execa(
      debootstrap,
      [`--variant=${recipe.debootstrapVariant}`, recipe.suite, join(root, 'rootfs'), recipe.mirror],
      { reject: false, all: true, ...(stopSignal ? { cancelSignal: stopSignal } : {}) },
    );
    checkStop();
    if (r.exitCode !== 0)
      throw new HostError(
        `debootstrap of ${recipe.suite} failed (exit ${r.exitCode})`,
        undefined,
        tail(r.all),
      );
    if (recipe.aptIgnoreValidUntil)
      await writeFile(
        join(root, 'rootfs', 'etc', 'apt', 'apt.conf.d', '99rseq-matrix-valid-until'),
        '// rseq-matrix: the mirror may be a frozen snapshot whose Release files have expired.\nAcquire::Check-Valid-Until "false";\n',
      );
    const [repo, version] = tag.split(':') as [string, string];
    const packer = execa('tar', ['-C', join(root, 'rootfs'), '--numeric-owner', '-c', '.'], {
      buffer: false,
      stdout: 'pipe',
      stderr: 'pipe',
      reject: false,
      ...(stopSignal ? { cancelSignal: stopSignal } : {}),
    });
    const stream = await docker.importImage(
      packer.stdout as NodeJS.ReadableStream,
      {
        repo,
        tag: version,
        changes: [
          'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
          'CMD ["/bin/bash"]',
        ],
      } as object,
    );
    await untilStopped(stream, followBuild(docker, stream, `docker import of ${tag}`));
    const packed = await packer;
    if (packed.exitCode !== 0)
      throw new HostError(`tar of the ${recipe.suite} root file system failed (exit ${packed.exitCode})`);
    log.info(`imported ${tag} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  } finally {
    await unmountUnder(root);
    await rm(root, { recursive: true, force: true });
  }
}
