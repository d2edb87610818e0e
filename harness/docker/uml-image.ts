/**
 * The UML image: bookworm's toolchain image plus Debian's user-mode-linux, a Linux 6.1 kernel built as
 * an ordinary program (without CONFIG_RSEQ), which harness/vm/uml.ts boots with a small initramfs. Tagged
 * by a hash of the toolchain tag, images/uml.Dockerfile and the package list, so that it is made again
 * whenever one of them changes and reused otherwise. Built with network mode host (only to fetch
 * packages); containers from it run with network none.
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

/** The suite whose toolchain image the UML image builds on (its user-mode-linux and its gcc). */
export const UML_SUITE = 'bookworm';
export const UML_PACKAGES = ['user-mode-linux'] as const;
/** Where the package puts the kernel program. */
export const UML_PROGRAM = '/usr/bin/linux';
const DOCKERFILE = 'uml.Dockerfile';

/** The UML image's tag, from the toolchain image it builds on and its recipe. */
export async function umlImageTag(imagesDir: string, toolchainTag: string): Promise<string> {
  const dockerfile = await readFile(join(imagesDir, DOCKERFILE), 'utf8');
  const h = createHash('sha256')
    .update(toolchainTag)
    .update('\0')
    .update(dockerfile)
    .update('\0')
    .update(UML_PACKAGES.join(' '))
    .digest('hex')
    .slice(0, 12);
  return `rseq-matrix/uml:${UML_SUITE}-${h}`;
}

const inFlight = new Map<string, Promise<string>>();

/** The UML image's tag, built (with bookworm's toolchain image below it) where missing. */
export function ensureUmlImage(docker: Docker, imagesDir: string, log: Log): Promise<string> {
  return sharedWork(inFlight, imagesDir, () => makeUmlImage(docker, imagesDir, log));
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

async function makeUmlImage(docker: Docker, imagesDir: string, log: Log): Promise<string> {
  const images = await ensureSuiteImages(docker, imagesDir, UML_SUITE, log);
  const tag = await umlImageTag(imagesDir, images.toolchain);
  if (await present(docker, tag)) return tag;
  log.info(`building ${tag} (${UML_PACKAGES.join(', ')})`);
  const started = Date.now();
  const context = tar.pack(imagesDir, { entries: [DOCKERFILE] }) as unknown as NodeJS.ReadableStream;
  const stream = await docker.buildImage(context, {
    t: tag,
    dockerfile: DOCKERFILE,
    networkmode: 'host',
    buildargs: { TOOLCHAIN: images.toolchain, PACKAGES: UML_PACKAGES.join(' ') },
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
