/**
 * The UML image: sid's toolchain image plus Debian's user-mode-linux, a Linux kernel (7.2 in sid on
 * 2026-12-06) built as an ordinary program without CONFIG_RSEQ, which harness/vm/uml.ts boots with a
 * small initramfs; made as every image on a toolchain is (toolchain-derived.ts). Containers from it run
 * with network none.
 *
 * Why sid's: on a host whose CPU has AMX (its XSAVE area is about 11 KB), bookworm's UML (6.1) and
 * trixie's (6.12) kill the guest's first process with SIGSEGV (fatal_sigsegv after put_fp_registers: the
 * floating-point state they hand back to the host through ptrace no longer fits), so every cell was an
 * error; sid's 7.2 boots there and answers rseq with ENOSYS as the older ones did (measured 2026-12-06 on
 * an AMX Xeon: 6.1 and 6.12 panicked with "Attempted to kill init! exitcode=0x0000000b", 7.2 ran the init).
 */
import type Docker from 'dockerode';
import type { Log } from '../util/log.js';
import { ensureSuiteImages } from './images.js';
import { type DerivedRecipe, derivedImageTag, ensureDerivedImage } from './toolchain-derived.js';

/** The suite whose toolchain image the UML image builds on (its user-mode-linux and its gcc). */
export const UML_SUITE = 'sid';
export const UML_PACKAGES = ['user-mode-linux'] as const;
/** Where the package puts the kernel program. */
export const UML_PROGRAM = '/usr/bin/linux';
const RECIPE: DerivedRecipe = { name: 'uml', dockerfile: 'uml.Dockerfile', packages: UML_PACKAGES };

/** The UML image's tag, from the toolchain image it builds on and its recipe. */
export function umlImageTag(imagesDir: string, toolchainTag: string): Promise<string> {
  return derivedImageTag(imagesDir, RECIPE, UML_SUITE, toolchainTag);
}

/** The UML image's tag, built (with sid's toolchain image below it) where missing. */
export async function ensureUmlImage(docker: Docker, imagesDir: string, log: Log): Promise<string> {
  const images = await ensureSuiteImages(docker, imagesDir, UML_SUITE, log);
  return ensureDerivedImage(docker, imagesDir, RECIPE, UML_SUITE, images.toolchain, log);
}
