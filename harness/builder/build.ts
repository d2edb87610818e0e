/**
 * Builds: turn a (glibc entry, variant) into something probes can run against, identified by a build key
 * (a hash of everything that changes the result). A `stock` entry is the toolchain image's own libc:
 * nothing to compile, and its key follows from the image.
 */
import { createHash } from 'node:crypto';
import type { SuiteImages } from '../docker/images.js';
import type { GlibcEntry, VariantEntry } from '../matrix/schema.js';

/** Bump when the build recipe changes in a way that changes what a build produces. */
export const BUILD_RECIPE_VERSION = 1;

export interface ReadyBuild {
  key: string;
  glibc: string;
  variant: string;
  /** The image probes compile and run in. */
  image: string;
  /** Extra make variables for the probe suite (GLIBC_PREFIX for a glibc installed elsewhere). */
  probeMakeVars: Record<string, string>;
  /** Extra read-only mounts (an installed glibc prefix). */
  binds: string[];
  description: string;
  cached: boolean;
  durationMs: number;
  /** Outcomes of glibc's own tests run from the build tree (test name -> PASS, FAIL, ...). */
  glibcTests?: Record<string, string>;
  buildInfo?: {
    mode: 'cold' | 'incremental';
    compiledFiles: number;
    phases: Record<string, number>;
    baseKey?: string;
  };
}

export function buildKey(parts: Record<string, unknown>): string {
  return createHash('sha256')
    .update(JSON.stringify({ recipe: BUILD_RECIPE_VERSION, ...parts }))
    .digest('hex')
    .slice(0, 16);
}

export function stockBuild(glibc: GlibcEntry, variant: VariantEntry, images: SuiteImages): ReadyBuild {
  return {
    key: buildKey({ source: 'stock', suite: glibc.suite, toolchain: images.toolchainId }),
    glibc: glibc.id,
    variant: variant.id,
    image: images.toolchain,
    probeMakeVars: {},
    binds: [],
    description: `Debian ${glibc.suite}'s own glibc in ${images.toolchain}`,
    cached: true,
    durationMs: 0,
  };
}
