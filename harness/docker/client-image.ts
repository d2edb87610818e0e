/**
 * The client image of a suite: FROM its toolchain image, plus the packages of the real rseq clients
 * (valgrind). Tagged by a hash of the toolchain tag, the Dockerfile and the package list, so that it
 * is rebuilt whenever one of them changes, and never part of a build key.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type Docker from 'dockerode';
import tar from 'tar-fs';
import { HostError } from '../util/errors.js';
import type { Log } from '../util/log.js';
import { sharedWork } from '../util/shared.js';
import { followBuild, type SuiteImages } from './images.js';

export const CLIENT_PACKAGES = ['valgrind'] as const;
const DOCKERFILE = 'client.Dockerfile';

export async function clientImageTag(imagesDir: string, images: SuiteImages): Promise<string> {
  const dockerfile = await readFile(join(imagesDir, DOCKERFILE), 'utf8');
  const h = createHash('sha256')
    .update(images.toolchain)
    .update('\0')
    .update(dockerfile)
    .update('\0')
    .update(CLIENT_PACKAGES.join(' '))
    .digest('hex')
    .slice(0, 12);
  return `rseq-matrix/client:${images.suite}-${h}`;
}

const inFlight = new Map<string, Promise<string>>();

/** The suite's client image, built where missing; concurrent callers share one build. */
export function ensureClientImage(
  docker: Docker,
  imagesDir: string,
  images: SuiteImages,
  log: Log,
): Promise<string> {
  return sharedWork(inFlight, images.toolchain, () => makeClientImage(docker, imagesDir, images, log));
}

async function makeClientImage(
  docker: Docker,
  imagesDir: string,
  images: SuiteImages,
  log: Log,
): Promise<string> {
  const tag = await clientImageTag(imagesDir, images);
  const present = await docker
    .getImage(tag)
    .inspect()
    .then(() => true)
    .catch(() => false);
  if (present) return tag;
  log.info(`building ${tag} (${CLIENT_PACKAGES.join(', ')})`);
  const started = Date.now();
  const context = tar.pack(imagesDir, { entries: [DOCKERFILE] }) as unknown as NodeJS.ReadableStream;
  const stream = await docker.buildImage(context, {
    t: tag,
    dockerfile: DOCKERFILE,
    networkmode: 'host',
    buildargs: { TOOLCHAIN: images.toolchain, PACKAGES: CLIENT_PACKAGES.join(' ') },
    labels: { 'rseq-matrix.recipe': tag },
    rm: true,
    forcerm: true,
  } as Docker.ImageBuildOptions);
  await followBuild(docker, stream, `docker build of ${tag}`);
  const ok = await docker
    .getImage(tag)
    .inspect()
    .then(() => true)
    .catch(() => false);
  if (!ok) throw new HostError(`docker build of ${tag} reported success but the image is missing`);
  log.info(`built ${tag} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return tag;
}
