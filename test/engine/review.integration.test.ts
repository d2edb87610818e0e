/**
 * `rseq-matrix review` for real: the repository's early-init design exported as a 2-patch series with a
 * cover letter by `git format-patch` (test/helpers/series.ts) and reviewed against pristine glibc 2.36.
 * The cells the review finds changed by the whole series must be exactly those in which a matrix run of
 * `early-init` differs from `upstream`; patch 1 alone (which only defers the main thread's registration)
 * must leave the main thread unregistered. Then a second version of the series, reviewed --against the
 * first, and a series that does not apply to the base (recorded for its patch, exit 1).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import yaml from 'js-yaml';
import t from 'tap';
import { resolveSource } from '../../harness/builder/sources.js';
import type { GlibcEntry } from '../../harness/matrix/schema.js';
import { stageDef } from '../../harness/model/catalogue.js';
import type { CellResult, Results } from '../../harness/model/results.js';
import { cellDeltas, outcomeDiff, type Review } from '../../harness/review/review.js';
import { silentLog } from '../../harness/util/log.js';
import { defaultCacheDir } from '../../harness/util/paths.js';
import { REPO, runCli } from '../helpers/cli.js';
import { pinnedMatrix } from '../helpers/pins.js';
import { exportSeries } from '../helpers/series.js';

const COMMON = 'patches/2.36/common/0001-defer-main-thread-registration.patch';
const EARLY = 'patches/2.36/early-init/0002-register-in-libc-early-init.patch';
const isClient = (stage: string) => stageDef(stage)?.client !== undefined;

function cellsOf(r: Results, variant: string): Map<string, CellResult> {
  return new Map(
    r.cells
      .filter((c) => c.glibc === 'glibc-2.36' && c.variant === variant)
      .map((c) => [`${c.link}/${c.scenario}/${c.stage}`, c]),
  );
}

t.test('review of early-init as a posted series', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rm-review-'));
  const matrix = await pinnedMatrix(t, 'matrices/rseq.yaml', dir);
  if (!matrix) return;
  const doc = yaml.load(readFileSync(matrix, 'utf8')) as { glibc: GlibcEntry[] };
  const entry = doc.glibc.find((g) => g.id === 'glibc-2.36');
  if (!entry) throw new Error('no glibc-2.36 in matrices/rseq.yaml');
  // The upstream tarball the series was "written against" (downloaded and verified when not cached).
  const source = await resolveSource(entry, defaultCacheDir(), dirname(matrix), silentLog);
  const mbox = await exportSeries({
    tarball: source.tarball,
    patches: [
      { path: resolve(REPO, COMMON), subject: 'rseq: defer the main thread registration' },
      { path: resolve(REPO, EARLY), subject: 'rseq: register the main thread in __libc_early_init' },
    ],
    cover: {
      subject: 'rseq: register from __libc_early_init',
      body: 'Move the main thread registration out of __tls_init_tp into __libc_early_init.',
    },
    version: 'v2',
    out: join(dir, 'early-init-v2.mbox'),
  });

  // The matrix run the review must agree with (the same builds' cells, as the default matrix has them).
  const runOut = join(dir, 'run');
  const run = await runCli(
    ['run', matrix, '--out', runOut, '--json', '--filter', 'glibc=glibc-2.36,variant=upstream|early-init'],
    { timeout: 3 * 3_600_000 },
  );
  t.equal(run.exitCode, 0, 'the matrix run passes');
  if (run.exitCode !== 0) t.comment(run.stderr.slice(-2000));
  const results = JSON.parse(readFileSync(join(runOut, 'results.json'), 'utf8')) as Results;

  const reviewOut = join(dir, 'review');
  const r = await runCli(
    ['review', mbox, '--base', 'glibc-2.36', '--matrix', matrix, '--out', reviewOut, '--format', 'markdown'],
    { timeout: 3 * 3_600_000 },
  );
  // Exit 1: patch 1 alone breaks a client that works on the base (below).
  t.equal(r.exitCode, 1, 'the review ends with 1: a patch breaks a stage');
  if (r.exitCode !== 1) t.comment(r.stderr.slice(-3000));
  t.match(r.stdout, /\[PATCH v2 1\/2\]/, 'the markdown summary names patch 1/2');
  t.match(r.stdout, /review: .*review\.html/, 'and the review page');
  const review = JSON.parse(readFileSync(join(reviewOut, 'review.json'), 'utf8')) as Review;
  t.equal(review.steps.length, 3, 'base and two prefixes');
  t.equal(review.series.cover?.subject, 'rseq: register from __libc_early_init', 'the cover letter is kept');
  t.same(
    review.steps.map((s) => s.build.status),
    ['ok', 'ok', 'ok'],
    'every step built',
  );
  t.same(
    review.steps.map((s) => s.patch?.subject ?? null),
    [null, 'rseq: defer the main thread registration', 'rseq: register the main thread in __libc_early_init'],
    'steps in the series order',
  );
  // Each prefix is an incremental build from the base's tree (a cached one keeps the mode it was built in).
  for (const s of review.steps.slice(1)) t.equal(s.build.mode, 'incremental', `step ${s.step} incremental`);

  // The whole series against the base = early-init against upstream in the matrix run, cell by cell,
  // wherever the matrix measures both (a cell its expectations skip is not measured there).
  const up = cellsOf(results, 'upstream');
  const ei = cellsOf(results, 'early-init');
  const measuredInRun = (k: string) =>
    [up.get(k), ei.get(k)].every((c) => c && !(c.status === 'skip' && c.expected.rule >= 0));
  const fromRun = cellDeltas(up, ei, isClient).filter((d) => measuredInRun(d.key));
  const fromReview = (review.seriesVsBase?.cells ?? []).filter((d) => measuredInRun(d.key));
  t.ok(fromRun.length > 0, `early-init differs from upstream in ${fromRun.length} cells`);
  t.same(
    fromReview.map((d) => d.key).sort(),
    fromRun.map((d) => d.key).sort(),
    'the review finds exactly the cells the matrix run shows as changed',
  );
  const runByKey = new Map(fromRun.map((d) => [d.key, d]));
  for (const d of fromReview) {
    const m = runByKey.get(d.key);
    if (!m) continue;
    t.same(outcomeDiff(d.before, m.before), [], `${d.key}: the base as upstream`, { diagnostic: false });
    t.same(outcomeDiff(d.after, m.after), [], `${d.key}: the series as early-init`, { diagnostic: false });
  }

  // Patch 1 alone defers the registration and registers nowhere: main runs unregistered (predicted from
  // the patch: __tls_init_tp no longer calls rseq_register_current_thread for the main thread).
  const step1 = review.steps[1];
  const main1 = step1?.vsBase.find((d) => d.key === 'shared/default/main');
  t.equal(main1?.before?.state, 'registered', 'main registered on the base');
  t.equal(main1?.after?.state, 'unregistered', 'main unregistered after patch 1');
  const main2 = review.steps[2]?.vsPrevious.find((d) => d.key === 'shared/default/main');
  t.equal(main2?.after?.state, 'registered', 'patch 2 registers main again');
  // Patch 1 alone leaves __rseq_size 32 with no registration. The selftests' basic_test, which takes
  // __rseq_size > 0 to mean glibc registered the thread, was killed by SIGABRT in the first review run
  // (2026-12-06; docs/findings.md, "Reviewing a series"); patch 2 registers again and breaks nothing.
  const broken1 = step1?.vsPrevious.filter((d) => d.breaks).map((d) => d.key) ?? [];
  t.ok(
    broken1.includes('shared/default/client:basic_test'),
    `patch 1 breaks basic_test: ${broken1.join(', ')}`,
  );
  t.same(
    review.steps[2]?.vsPrevious.filter((d) => d.breaks).map((d) => d.key),
    [],
    'patch 2 breaks nothing (a client that returns to what it does on the base is no break)',
  );

  const md = readFileSync(join(reviewOut, 'review.md'), 'utf8');
  t.match(md, /main/, 'the markdown names the main stage');
  const html = readFileSync(join(reviewOut, 'review.html'), 'utf8');
  t.match(html, /Content-Security-Policy/, 'the review page has its CSP');
  t.match(html, /run\/report\.html#cell=/, "and links cells to the run's report");

  // v3: patch 2 dropped. Reviewed against v2, patch 2's changes are gone and the series as a whole changes.
  const v3 = await exportSeries({
    tarball: source.tarball,
    patches: [{ path: resolve(REPO, COMMON), subject: 'rseq: defer the main thread registration' }],
    version: 'v3',
    out: join(dir, 'early-init-v3.mbox'),
  });
  const r3 = await runCli(
    [
      'review',
      v3,
      '--base',
      'glibc-2.36',
      '--matrix',
      matrix,
      '--out',
      join(dir, 'review-v3'),
      '--against',
      reviewOut,
      '--format',
      'json',
    ],
    { timeout: 3_600_000 },
  );
  t.equal(r3.exitCode, 1, 'v3 reviewed (its one patch breaks basic_test, as above)');
  if (r3.exitCode !== 1) t.comment(r3.stderr.slice(-2000));
  const out3 = JSON.parse(r3.stdout) as {
    against: { patches: { now: unknown; before: unknown }[] } & Record<
      string,
      { newlyChanged: string[]; noLongerChanged: string[] }
    >;
  };
  const gone = out3.against.patches.find((p) => p.now === null);
  t.ok(gone, 'patch 2 of v2 is listed as gone');
  t.ok(
    (out3.against.series?.newlyChanged.length ?? 0) + (out3.against.series?.noLongerChanged.length ?? 0) > 0,
    'the series as a whole changes other cells than v2 did',
  );
});

t.test('a series that does not apply to the base: recorded for its patch, exit 1', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rm-review-bad-'));
  const matrix = await pinnedMatrix(t, 'matrices/rseq.yaml', dir);
  if (!matrix) return;
  const series = join(dir, 'series');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(series);
  // Well formed, but its context is in no glibc: `patch` rejects its hunk in the build.
  writeFileSync(
    join(series, '0001-does-not-apply.patch'),
    [
      'csu: a line no glibc has',
      '',
      '--- a/csu/version.c',
      '+++ b/csu/version.c',
      '@@ -23,2 +23,2 @@',
      '-static const char __libc_release[] = "this line is in no glibc";',
      '+static const char __libc_release[] = "and neither is this one";',
      ' static const char __libc_version[] = VERSION;',
      '',
    ].join('\n'),
  );
  const r = await runCli(
    [
      'review',
      series,
      '--base',
      'glibc-2.36',
      '--matrix',
      matrix,
      '--out',
      join(dir, 'review'),
      '--filter',
      'stage=main',
      '--format',
      'json',
    ],
    { timeout: 3_600_000 },
  );
  t.equal(r.exitCode, 1, 'a step that does not build: exit 1');
  if (r.exitCode !== 1) t.comment(r.stderr.slice(-2000));
  const out = JSON.parse(r.stdout) as { review: Review };
  const step = out.review.steps[1];
  t.equal(step?.build.status, 'error', 'the patch step failed to build');
  t.match(step?.unknown ?? '', /build failed/, 'and says why it tells nothing');
  t.match(
    `${step?.build.reason ?? ''}\n${step?.build.logTail ?? ''}`,
    /does-not-apply|Hunk|FAILED|apply/i,
    'naming the patch or hunk',
  );
  t.equal(out.review.steps[0]?.build.status, 'ok', 'the base built');
});
