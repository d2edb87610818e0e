/**
 * The VM image: bookworm's toolchain image plus QEMU, in which harness/vm/boot.ts boots Debian kernels
 * with a small initramfs. Tagged by a hash of the toolchain tag, images/vm.Dockerfile and the package
 * list, so that it is made again whenever one of them changes and reused otherwise. Built with network
 * mode host (only to fetch packages); containers from it run with network none.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type Docker from 'dockerode';
import tar from 'tar-fs';
import { HostError } from '../util/errors.js';
import type { Log } from '../util/log.js';
import { sharedWork } from '../util/shared.js';
import { ensureSuiteImages, followBuild } from './images.js';

/** The suite whose toolchain image the VM image builds on (its QEMU and its gcc for the static init). */
export const VM_SUITE = 'bookworm';
export const VM_PACKAGES = ['qemu-system-x86'] as const;
const DOCKERFILE = 'vm.Dockerfile';

/** The VM image's tag, from the toolchain image it builds on and its recipe. */
export async function vmImageTag(imagesDir: string, toolchainTag: string): Promise<string> {
  const dockerfile = await readFile(join(imagesDir, DOCKERFILE), 'utf8');
  const h = createHash('sha256')
    .update(toolchainTag)
    .update('\0')
    .update(dockerfile)
    .update('\0')
    .update(VM_PACKAGES.join(' '))
    .digest('hex')
    .slice(0, 12);
  return `rseq-matrix/vm:${VM_SUITE}-${h}`;
}

const inFlight = new Map<string, Promise<string>>();

/** The VM image's tag, built (with bookworm's toolchain image below it) where missing. */
export function ensureVmImage(docker: Docker, imagesDir: string, log: Log): Promise<string> {
  return sharedWork(inFlight, imagesDir, () => makeVmImage(docker, imagesDir, log));
}

async function present(docker: Docker, tag: string): Promise<boolean> {
  try {
    await docker.getImage(tag).inspect();
    return true;
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode === 404) return false;
    throw e;
  }
}

async function makeVmImage(docker: Docker, imagesDir: string, log: Log): Promise<string> {
  const images = await ensureSuiteImages(docker, imagesDir, VM_SUITE, log);
  const tag = await vmImageTag(imagesDir, images.toolchain);
  if (await present(docker, tag)) return tag;
  log.info(`building ${tag} (${VM_PACKAGES.join(', ')})`);
  const started = Date.now();
  const context = tar.pack(imagesDir, { entries: [DOCKERFILE] }) as unknown as NodeJS.ReadableStream;
  const stream = await docker.buildImage(context, {
    t: tag,
    dockerfile: DOCKERFILE,
    networkmode: 'host',
    buildargs: { TOOLCHAIN: images.toolchain, PACKAGES: VM_PACKAGES.join(' ') },
    labels: { 'rseq-matrix.recipe': tag },
    rm: true,
    forcerm: true,
  } as Docker.ImageBuildOptions);
  await followBuild(docker, stream, `docker build of ${tag}`);
  if (!(await present(docker, tag)))
    throw new HostError(`docker build of ${tag} reported success but the image is missing`);
  log.info(`built ${tag} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return tag;
}
