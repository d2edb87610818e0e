/**
 * The VM image: bookworm's toolchain image plus QEMU, in which harness/vm/boot.ts boots Debian kernels
 * with a small initramfs (its gcc compiles the static init); made as every image on a toolchain is
 * (toolchain-derived.ts). Containers from it run with network none.
 */
import type Docker from 'dockerode';
import type { Log } from '../util/log.js';
import { ensureSuiteImages } from './images.js';
import { type DerivedRecipe, derivedImageTag, ensureDerivedImage } from './toolchain-derived.js';

/** The suite whose toolchain image the VM image builds on (its QEMU and its gcc for the static init). */
export const VM_SUITE = 'bookworm';
export const VM_PACKAGES = ['qemu-system-x86'] as const;
const RECIPE: DerivedRecipe = { name: 'vm', dockerfile: 'vm.Dockerfile', packages: VM_PACKAGES };

/** The VM image's tag, from the toolchain image it builds on and its recipe. */
export function vmImageTag(imagesDir: string, toolchainTag: string): Promise<string> {
  return derivedImageTag(imagesDir, RECIPE, VM_SUITE, toolchainTag);
}

/** The VM image's tag, built (with bookworm's toolchain image below it) where missing. */
export async function ensureVmImage(docker: Docker, imagesDir: string, log: Log): Promise<string> {
  const images = await ensureSuiteImages(docker, imagesDir, VM_SUITE, log);
  return ensureDerivedImage(docker, imagesDir, RECIPE, VM_SUITE, images.toolchain, log);
}
