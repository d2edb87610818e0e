/**
 * The review's plan: a matrix, written as a file beside the series' patches, whose variants are the base
 * (no patch) and each prefix of the series (patch-k: patches 1..k), on one glibc entry taken from another
 * matrix, probed at that matrix's links, scenarios and stages with no expectation (`expect: any`): the
 * base is the baseline. Being a matrix file, any cell of a review reruns with `rseq-matrix run`. Pure.
 */
import { isAbsolute, join, resolve } from 'node:path';
import { dump } from 'js-yaml';
import type { GlibcEntry, MatrixDoc } from '../matrix/schema.js';
import { InputError } from '../util/errors.js';
import { didYouMean } from '../util/suggest.js';
import { stepVariant } from './review.js';

export interface ReviewPlanInput {
  /** The matrix the base glibc entry comes from (and, without `plan`, the links, scenarios and stages). */
  source: { doc: MatrixDoc; file: string; dir: string };
  /** A matrix whose links, scenarios, stages, clients and options replace the source's (`--plan`). */
  plan?: { doc: MatrixDoc; file: string };
  /** The id of the base glibc entry in the source matrix. */
  base: string;
  /** The series' patch files, in order, relative to the review's patches folder. */
  patchFiles: readonly string[];
  /** The review's patches folder, relative to the review's matrix file. */
  patchesDir: string;
  title: string;
}

/** A relative path of a glibc entry (a tarball or git tree) made absolute against its matrix's folder. */
function anchored(entry: GlibcEntry, dir: string): GlibcEntry {
  const at = (p: string) => (isAbsolute(p) ? p : resolve(dir, p));
  if (entry.source === 'tarball' && entry.tarball.path)
    return { ...entry, tarball: { ...entry.tarball, path: at(entry.tarball.path) } };
  if (entry.source === 'git') return { ...entry, git: { ...entry.git, path: at(entry.git.path) } };
  return entry;
}

/** The review's matrix, as YAML text. */
export function reviewMatrix(input: ReviewPlanInput): string {
  const { doc, file, dir } = input.source;
  const entry = doc.glibc.find((g) => g.id === input.base);
  if (!entry)
    throw new InputError(
      `--base: "${input.base}" is no glibc entry of ${file}${didYouMean(
        input.base,
        doc.glibc.map((g) => g.id),
      )}; entries: ${doc.glibc.map((g) => g.id).join(', ')}`,
    );
  if (entry.source === 'stock')
    throw new InputError(
      `--base: "${input.base}" of ${file} is the image's own libc (source: stock), which cannot be patched`,
    );
  const shape = input.plan?.doc ?? doc;
  const options = {
    ...(shape.options?.probeTimeout ? { probeTimeout: shape.options.probeTimeout } : {}),
    ...(shape.options?.glibcTests?.length ? { glibcTests: shape.options.glibcTests } : {}),
    patchesDir: input.patchesDir,
  };
  const review: Record<string, unknown> = {
    schemaVersion: doc.schemaVersion,
    name: 'review',
    description: input.title,
    glibc: [anchored(entry, dir)],
    variants: [
      { id: stepVariant(0), description: `${input.base} as the source gives it (no patch of the series)` },
      ...input.patchFiles.map((_, i) => ({
        id: stepVariant(i + 1),
        description: `${input.base} with patches 1..${i + 1} of the series`,
        patches: input.patchFiles.slice(0, i + 1).map((p) => join(p)),
      })),
    ],
    links: shape.links,
    scenarios: shape.scenarios,
    stages: shape.stages,
    expect: [
      {
        expect: 'any',
        why: 'a review records what each step shows: the base is the baseline, no expectation is written',
      },
    ],
    ...(shape.clients ? { clients: shape.clients } : {}),
    options,
  };
  return `# Written by rseq-matrix review: ${input.title.replace(/\n/g, ' ')}\n${dump(review, { lineWidth: 120, noRefs: true })}`;
}
