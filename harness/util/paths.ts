/** Where the package's own folders are (probes, images, patches) and where the build cache goes by default. */
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package root: harness/util/paths.ts runs from dist/harness/util/paths.js, or from the sources
 * themselves (the tests import them).
 */
const here = dirname(fileURLToPath(import.meta.url));
export const ROOT =
  basename(resolve(here, '..', '..')) === 'dist'
    ? resolve(here, '..', '..', '..')
    : resolve(here, '..', '..');
export const PROBES_DIR = join(ROOT, 'probes');
/** The image recipes; RSEQ_MATRIX_IMAGES names another folder of them (same file names). */
export const IMAGES_DIR = process.env.RSEQ_MATRIX_IMAGES || join(ROOT, 'images');
export const PATCHES_DIR = join(ROOT, 'patches');

export function defaultCacheDir(): string {
  if (process.env.RSEQ_MATRIX_CACHE) return resolve(process.env.RSEQ_MATRIX_CACHE);
  const xdg = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(xdg, 'rseq-matrix');
}
