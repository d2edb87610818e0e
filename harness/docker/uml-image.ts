/**
 * The UML image: bookworm's toolchain image plus Debian's user-mode-linux, a Linux 6.1 kernel built as
 * an ordinary program (without CONFIG_RSEQ), which harness/vm/uml.ts boots with a small initramfs; made
 * as every image on a toolchain is (toolchain-derived.ts). Containers from it run with network none.
 */
import type Docker from 'dockerode';
import type { Log } from '../util/log.js';
import { ensureSuiteImages } from './images.js';
import { type DerivedRecipe, derivedImageTag, ensureDerivedImage } from './toolchain-derived.js';

/** The suite whose toolchain image the UML image builds on (its user-mode-linux and its gcc). */
export const UML_SUITE = 'bookworm';
export const UML_PACKAGES = ['user-mode-linux'] as const;
/** Where the package puts the kernel program. */
export const UML_PROGRAM = '/usr/bin/linux';
const RECIPE: DerivedRecipe = { name: 'uml', dockerfile: 'uml.Dockerfile', packages: UML_PACKAGES };

/** The UML image's tag, from the toolchain image it builds on and its recipe. */
export function umlImageTag(imagesDir: string, toolchainTag: string): Promise<string> {
  return derivedImageTag(imagesDir, RECIPE, UML_SUITE, toolchainTag);
}

/** The UML image's tag, built (with bookworm's toolchain image below it) where missing. */
export async function ensureUmlImage(docker: Docker, imagesDir: string, log: Log): Promise<string> {
  const images = await ensureSuiteImages(docker, imagesDir, UML_SUITE, log);
  return ensureDerivedImage(docker, imagesDir, RECIPE, UML_SUITE, images.toolchain, log);
}
