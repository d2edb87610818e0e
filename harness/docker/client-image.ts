/**
 * The client image of a suite: FROM its toolchain image, plus the packages of the real rseq clients
 * (valgrind); made as every image on a toolchain is (toolchain-derived.ts), never part of a build key.
 */
import type Docker from 'dockerode';
import type { Log } from '../util/log.js';
import type { SuiteImages } from './images.js';
import { type DerivedRecipe, derivedImageTag, ensureDerivedImage } from './toolchain-derived.js';

export const CLIENT_PACKAGES = ['valgrind'] as const;
const RECIPE: DerivedRecipe = { name: 'client', dockerfile: 'client.Dockerfile', packages: CLIENT_PACKAGES };

export function clientImageTag(imagesDir: string, images: SuiteImages): Promise<string> {
  return derivedImageTag(imagesDir, RECIPE, images.suite, images.toolchain);
}

/** The suite's client image, built where missing; concurrent callers share one build. */
export function ensureClientImage(
  docker: Docker,
  imagesDir: string,
  images: SuiteImages,
  log: Log,
): Promise<string> {
  return ensureDerivedImage(docker, imagesDir, RECIPE, images.suite, images.toolchain, log);
}
