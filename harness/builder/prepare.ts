/**
 * From a (glibc entry, variant) of the matrix to a ReadyBuild: the suite's images, then either the
 * image's own libc (stock) or a glibc built from its source with the variant's patches.
 */
import { join } from 'node:path';
import type Docker from 'dockerode';
import { sha256File } from '../cache/digest.js';
import { ensureSuiteImages } from '../docker/images.js';
import { toolchainSuite } from '../matrix/expand.js';
import type { GlibcEntry, VariantEntry } from '../matrix/schema.js';
import { IMAGES_DIR } from '../util/paths.js';
import { sharedWork } from '../util/shared.js';
import { type ReadyBuild, stockBuild } from './build.js';
import { ensureGlibcBuild, type GlibcBuildContext, type PatchFile } from './glibc.js';
import { type ResolvedSource, resolveSource } from './sources.js';

export interface PrepareContext extends GlibcBuildContext {
  docker: Docker;
  /** Relative tarball and git paths of the matrix are taken from here. */
  matrixDir: string;
  /** Where the variants' patch paths are taken from (the repository's patches/, or options.patchesDir). */
  patchesDir: string;
}

/** One source resolution per glibc entry, however many variants ask for it at once. */
const sources = new Map<string, Promise<ResolvedSource>>();

export async function prepareBuild(
  ctx: PrepareContext,
  entry: GlibcEntry,
  variant: VariantEntry,
  patchNames: readonly string[],
): Promise<ReadyBuild> {
  const images = await ensureSuiteImages(ctx.docker, IMAGES_DIR, toolchainSuite(entry), ctx.log);
  if (entry.source === 'stock') return stockBuild(entry, variant, images);
  const key = `${ctx.cacheDir}\0${entry.id}`;
  const source = sharedWork(sources, key, () => resolveSource(entry, ctx.cacheDir, ctx.matrixDir, ctx.log));
  const patches: PatchFile[] = [];
  for (const name of patchNames) {
    const path = join(ctx.patchesDir, name);
    patches.push({ name, path, sha256: await sha256File(path) });
  }
  return ensureGlibcBuild(ctx, { glibc: entry, variant, images, source: await source, patches });
}
