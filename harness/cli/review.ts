/**
 * `rseq-matrix review SERIES --base GLIBC`: what each patch of a posted series changes at every start-up
 * stage. Reads the series (an mbox, or a folder of .patch files), writes its patches and the review's plan
 * (a matrix: the base and every prefix of the series, harness/review/plan.ts) into the review's folder,
 * runs that matrix like `run` does, and writes review.json, review.md and review.html from the results.
 */
import { existsSync, statSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { stageDef } from '../model/catalogue.js';
import { renderReview } from '../report/review-html.js';
import { formatReviewMarkdown } from '../review/format.js';
import { reviewMatrix } from '../review/plan.js';
import {
  REVIEW_SCHEMA_VERSION,
  type Review,
  type ReviewAgainst,
  reviewAgainst,
  reviewRun,
  type StepPatch,
} from '../review/review.js';
import type { Series } from '../review/series.js';
import { readSeries } from '../review/series-files.js';
import { errorMessage, InputError } from '../util/errors.js';
import { ROOT } from '../util/paths.js';
import { loadMatrix, type RunOptions, runMatrix } from './run.js';

export interface ReviewOptions
  extends Pick<
    RunOptions,
    'jobs' | 'cacheDir' | 'autoSetup' | 'log' | 'argv' | 'ccache' | 'progress' | 'thorough' | 'writeReport'
  > {
  series: string;
  base: string;
  /** The matrix the base comes from (default: matrices/rseq.yaml). */
  matrixPath: string;
  /** A matrix whose links, scenarios and stages replace the default plan's. */
  planPath?: string;
  outDir?: string;
  /** A previous review (its review.json or folder): what changed between the versions. */
  againstPath?: string;
  filter?: string;
}

export interface ReviewOutcome {
  review: Review;
  against?: ReviewAgainst;
  paths: { json: string; markdown: string; html: string; matrix: string };
  exitCode: number;
}

/** A file-system-safe slug of a subject, for the patch files' names. */
export function slug(text: string, max = 48): string {
  const s = text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return s.slice(0, max).replace(/-+$/, '') || 'patch';
}

/**
 * The patch file a step applies: its subject for a reader, then the diff (patch -p1 skips the subject).
 * Nothing else of the message goes in, so that the same patch in another version of the series (or
 * posted by someone else, on another day) has the same build key and is built once.
 */
function patchFileText(series: Series, i: number): string {
  const p = series.patches[i];
  if (!p) throw new Error(`no patch ${i + 1}`);
  return `Subject: ${p.subject}\n\n${p.diff.endsWith('\n') ? p.diff : `${p.diff}\n`}`;
}

/** A previous review, from its review.json or its folder; an unreadable one is the user's mistake. */
export async function readReview(path: string): Promise<Review> {
  const file = existsSync(path) && statSync(path).isDirectory() ? join(path, 'review.json') : path;
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(
      `--against: ${file}: ${code ? `cannot read it (${code})` : `not JSON (${errorMessage(e)})`}`,
    );
  }
  const r = value as Partial<Review> | null;
  if (!r || typeof r !== 'object' || !Array.isArray(r.steps) || !r.run || !r.series)
    throw new InputError(`--against: ${file}: not a review.json written by rseq-matrix review`);
  if (r.schemaVersion !== REVIEW_SCHEMA_VERSION)
    throw new InputError(
      `--against: ${file}: schemaVersion ${String(r.schemaVersion)}, this tool reads ${REVIEW_SCHEMA_VERSION}`,
    );
  return r as Review;
}

export async function runReview(opts: ReviewOptions): Promise<ReviewOutcome> {
  const { log } = opts;
  // Everything a user can get wrong is checked before anything is built.
  const series = await readSeries(opts.series);
  const source = await loadMatrix(opts.matrixPath);
  const plan = opts.planPath ? await loadMatrix(opts.planPath) : undefined;
  const previous = opts.againstPath ? await readReview(opts.againstPath) : undefined;
  const outDir = resolve(opts.outDir ?? join(ROOT, 'reports', 'review', slug(basename(opts.series))));
  const patchFiles = series.patches.map(
    (p, i) => `${String(i + 1).padStart(4, '0')}-${slug(p.subject)}.patch`,
  );
  const title = series.cover?.subject
    ? `${series.cover.subject} (${series.patches.length} patches) on ${opts.base}`
    : `${series.patches.length}-patch series "${series.patches[0]?.subject ?? ''}" on ${opts.base}`;
  // Made before anything is written: an unknown --base is an input error.
  const matrixText = reviewMatrix({
    source: { doc: source.doc, file: source.file, dir: dirname(resolve(opts.matrixPath)) },
    ...(plan ? { plan: { doc: plan.doc, file: plan.file } } : {}),
    base: opts.base,
    patchFiles,
    patchesDir: 'patches',
    title,
  });
  const patchesDir = join(outDir, 'patches');
  await rm(patchesDir, { recursive: true, force: true });
  await mkdir(patchesDir, { recursive: true });
  for (const [i, f] of patchFiles.entries()) await writeFile(join(patchesDir, f), patchFileText(series, i));
  const matrixPath = join(outDir, 'matrix.yaml');
  await writeFile(matrixPath, matrixText);
  log.info(
    `review: ${series.patches.length} patch${series.patches.length === 1 ? '' : 'es'} on ${opts.base}; plan ${relative(process.cwd(), matrixPath)}`,
  );
  const runDir = join(outDir, 'run');
  const outcome = await runMatrix({
    ...opts,
    matrixPath,
    outDir: runDir,
    ...(opts.filter ? { filter: opts.filter } : {}),
  });
  const baseEntry = source.doc.glibc.find((g) => g.id === opts.base);
  const patches: StepPatch[] = series.patches.map((p) => ({
    index: p.index,
    total: p.total,
    version: p.version,
    subject: p.subject,
    author: p.author,
    date: p.date,
    files: p.files,
    origin: p.origin,
  }));
  const review = reviewRun({
    results: outcome.results,
    base: { glibc: opts.base, description: baseEntry?.description ?? opts.base },
    patches,
    cover: series.cover
      ? {
          subject: series.cover.subject,
          author: series.cover.author,
          date: series.cover.date,
          body: series.cover.body,
        }
      : null,
    version: series.version,
    isClient: (stage) => stageDef(stage)?.client !== undefined,
    paths: {
      results: relative(outDir, outcome.resultsPath),
      report: outcome.reportPath ? relative(outDir, outcome.reportPath) : 'run/report.html',
    },
  });
  const against = previous ? reviewAgainst(previous, review) : undefined;
  const paths = {
    json: join(outDir, 'review.json'),
    markdown: join(outDir, 'review.md'),
    html: join(outDir, 'review.html'),
    matrix: matrixPath,
  };
  await writeFile(paths.json, `${JSON.stringify(against ? { ...review, against } : review, null, 2)}\n`);
  await writeFile(paths.markdown, formatReviewMarkdown(review, against));
  await writeFile(paths.html, renderReview(review, against));
  // Interrupted (130) or the engine lost (3) as the run says; else 1 when a patch breaks a stage that
  // worked, or a step does not build; 0 otherwise, however many cells the series changes.
  const troubled = review.steps.some((s) => s.build.status === 'error' || s.vsPrevious.some((d) => d.breaks));
  const exitCode = outcome.exitCode === 130 || outcome.exitCode === 3 ? outcome.exitCode : troubled ? 1 : 0;
  return { review, ...(against ? { against } : {}), paths, exitCode };
}
