/**
 * Images built on a suite's toolchain image with a few more packages (the client image with valgrind,
 * the VM image with QEMU, the UML image with user-mode-linux): one recipe file in images/, the packages
 * as a build argument, a tag that hashes the toolchain tag, the recipe and the package list (so a changed
 * one is built again and an unchanged one reused), built with network mode host only to fetch packages.
 * Concurrent callers share one build. None of them is ever part of a build key.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type Docker from 'dockerode';
import tar from 'tar-fs';
import { HostError } from '../util/errors.js';
import type { Log } from '../util/log.js';
import { sharedWork } from '../util/shared.js';
import { followBuild } from './images.js';

export interface DerivedRecipe {
  /** The image's name: rseq-matrix/NAME:SUITE-HASH. */
  name: string;
  /** Its Dockerfile in the images folder (ARG TOOLCHAIN, ARG PACKAGES). */
  dockerfile: string;
  packages: readonly string[];
}

/** The tag of a recipe's image on a toolchain image of a suite. */
export async function derivedImageTag(
  imagesDir: string,
  recipe: DerivedRecipe,
  suite: string,
  toolchainTag: string,
): Promise<string> {
  const dockerfile = await readFile(join(imagesDir, recipe.dockerfile), 'utf8');
  const h = createHash('sha256')
    .update(toolchainTag)
    .update('\0')
    .update(dockerfile)
    .update('\0')
    .update(recipe.packages.join(' '))
    .digest('hex')
    .slice(0, 12);
  return `rseq-matrix/${recipe.name}:${suite}-${h}`;
}

const inFlight = new Map<string, Promise<string>>();

/** The recipe's image on this toolchain image, built where missing. */
export function ensureDerivedImage(
  docker: Docker,
  imagesDir: string,
  recipe: DerivedRecipe,
  suite: string,
  toolchainTag: string,
  log: Log,
): Promise<string> {
  return sharedWork(inFlight, `${recipe.name}\0${imagesDir}\0${toolchainTag}`, () =>
    makeDerivedImage(docker, imagesDir, recipe, suite, toolchainTag, log),
  );
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

async function makeDerivedImage(
  docker: Docker,
  imagesDir: string,
  recipe: DerivedRecipe,
  suite: string,
  toolchainTag: string,
  log: Log,
): Promise<string> {
  const tag = await derivedImageTag(imagesDir, recipe, suite, toolchainTag);
  if (await present(docker, tag)) return tag;
  log.info(`building ${tag} (${recipe.packages.join(', ')})`);
  const started = Date.now();
  const context = tar.pack(imagesDir, { entries: [recipe.dockerfile] }) as unknown as NodeJS.ReadableStream;
  const stream = await docker.buildImage(context, {
    t: tag,
    dockerfile: recipe.dockerfile,
    networkmode: 'host',
    buildargs: { TOOLCHAIN: toolchainTag, PACKAGES: recipe.packages.join(' ') },
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
