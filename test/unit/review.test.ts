/**
 * The review of a patch series: what reviewRun finds per step (against the previous step and the base),
 * how builds that failed make steps tell nothing, glibc's test deltas, reviewAgainst (v(N+1) against
 * v(N)), and the review's forms: the markdown for libc-alpha, the terminal text and the HTML file.
 */
import { createHash } from 'node:crypto';
import t from 'tap';
import { isClientStage } from '../../harness/model/catalogue.js';
import type { CellResult, Results } from '../../harness/model/results.js';
import { renderReview } from '../../harness/report/review-html.js';
import { generateResults, observation, summarize } from '../../harness/report/synthetic.js';
import {
  changeLines,
  describeChange,
  formatReviewMarkdown,
  formatReviewText,
} from '../../harness/review/format.js';
import {
  type CellDelta,
  type CellOutcome,
  normalizeInconsistency,
  outcomeOf,
  type Review,
  type ReviewInput,
  reviewAgainst,
  reviewRun,
  type StepPatch,
  type StepReview,
} from '../../harness/review/review.js';

const GLIBC = 'glibc-2.36';
const STAGES = ['exe-ctor', 'main', 'thread'];

/**
 * A run of a review's plan: the base and two patches of glibc-2.36, shared and static, default and
 * tunable-off, three stages. Every cell passes, registered in default and unregistered with tunable-off
 * (__rseq_size 20 and 0), and every step built; the tests change what they need.
 */
function run(steps = 2): Results {
  return generateResults({
    glibcs: [GLIBC],
    variants: ['base', ...Array.from({ length: steps }, (_, i) => `patch-${i + 1}`)],
    links: ['shared', 'static'],
    scenarios: ['default', 'tunable-off'],
    stages: STAGES,
    failRate: 0,
    errorRate: 0,
    runId: 'review-run',
  });
}

function find(r: Results, variant: string, link: string, scenario: string, stage: string): CellResult {
  const c = r.cells.find(
    (x) => x.variant === variant && x.link === link && x.scenario === scenario && x.stage === stage,
  );
  if (!c) throw new Error(`no cell ${variant}/${link}/${scenario}/${stage}`);
  return c;
}

/** The kernel and glibc now say this in one cell. */
function show(c: CellResult, registered: boolean, rseqSize: number, inconsistency?: string): void {
  c.status = 'pass';
  delete c.reason;
  c.observations = [observation(c.stage, registered, { pid: 7, rseqSize })];
  c.observed = {
    state: registered ? 'registered' : 'unregistered',
    registered,
    consistent: !inconsistency,
    ...(inconsistency ? { inconsistency } : {}),
  };
}

/** The cell measured nothing. */
function fail(c: CellResult, reason: string): void {
  c.status = 'error';
  c.reason = reason;
  c.observations = [];
  c.observed = { state: null, registered: null, consistent: null };
}

/** In these variants, the same change. */
function inVariants(r: Results, variants: string[], link: string, scenario: string, stage: string) {
  return (f: (c: CellResult) => void) => {
    for (const v of variants) f(find(r, v, link, scenario, stage));
  };
}

function patch(index: number, subject: string, total = 2): StepPatch {
  return {
    index,
    total,
    version: 'v2',
    subject,
    author: 'A. Developer <dev@example.org>',
    date: 'Mon, 1 Dec 2025 10:00:00 +0100',
    files: [`nptl/file-${index}.c`, 'sysdeps/nptl/dl-tls_init_tp.c'],
    origin: `series/000${index}.patch`,
  };
}

function input(
  results: Results,
  patches: StepPatch[] = [patch(1, 'nptl: one'), patch(2, 'nptl: two')],
): ReviewInput {
  results.summary = summarize(results.cells);
  return {
    results,
    base: { glibc: GLIBC, description: 'glibc 2.36 from the release tarball' },
    patches,
    cover: {
      subject: '[PATCH v2 0/2] nptl: rseq registration',
      author: 'A. Developer <dev@example.org>',
      date: 'Mon, 1 Dec 2025 09:59:00 +0100',
      body: 'This series moves the registration.\n\n<b>bold</b> & more',
    },
    version: 'v2',
    isClient: isClientStage,
    paths: { results: 'run/results.json', report: 'run/report.html' },
  };
}

const keys = (ds: readonly CellDelta[]) => ds.map((d) => d.key).sort();
const step = (r: Review, n: number) => r.steps[n] as StepReview;

/**
 * patch-1 registers main with tunable-off (shared and static, __rseq_size 0 -> 32); patch-2 keeps that
 * and breaks thread in shared/default (nothing measured) and changes exe-ctor's __rseq_size only.
 */
function twoPatches(): Results {
  const r = run();
  for (const link of ['shared', 'static'])
    inVariants(r, ['patch-1', 'patch-2'], link, 'tunable-off', 'main')((c) => show(c, true, 32));
  fail(find(r, 'patch-2', 'shared', 'default', 'thread'), 'probe timed out after 30000 ms; no observation');
  show(find(r, 'patch-2', 'static', 'default', 'exe-ctor'), true, 32);
  return r;
}

t.test('a series that changes nothing: every step measured, no delta', async (t) => {
  const review = reviewRun(input(run()));
  t.equal(review.steps.length, 3);
  t.same(
    review.steps.map((s) => s.variant),
    ['base', 'patch-1', 'patch-2'],
  );
  for (const s of review.steps) {
    t.equal(s.unknown, undefined, `step ${s.step} is known`);
    t.equal(s.cells, 12);
    t.equal(s.measured, 12);
    t.same(s.vsPrevious, []);
    t.same(s.vsBase, []);
  }
  t.same(review.seriesVsBase, { step: 2, cells: [], tests: [] });
  t.same(review.warnings, []);
});

t.test(
  'reviewRun finds exactly the cells each step changes, against the previous step and the base',
  async (t) => {
    const review = reviewRun(input(twoPatches()));
    const one = step(review, 1);
    const two = step(review, 2);
    t.same(keys(one.vsPrevious), ['shared/tunable-off/main', 'static/tunable-off/main']);
    t.same(keys(one.vsBase), keys(one.vsPrevious));
    const main = one.vsPrevious[0] as CellDelta;
    t.same(main.fields, ['state', 'rseqSize']);
    t.equal(main.before?.state, 'unregistered');
    t.equal(main.after?.state, 'registered');
    t.equal(main.before?.rseqSize, '0');
    t.equal(main.after?.rseqSize, '32');
    t.equal(main.beforeId, `${GLIBC}/base/${main.link}/tunable-off/main`);
    t.equal(main.afterId, `${GLIBC}/patch-1/${main.link}/tunable-off/main`);
    t.notOk(main.breaks);

    t.same(keys(two.vsPrevious), ['shared/default/thread', 'static/default/exe-ctor']);
    const thread = two.vsPrevious.find((d) => d.stage === 'thread') as CellDelta;
    t.ok(thread.breaks, 'a measured cell that measures nothing now breaks');
    t.equal(thread.after?.status, 'error');
    t.equal(thread.after?.reason, 'probe timed out after 30000 ms; no observation');
    t.ok(thread.fields.includes('status'));
    const exe = two.vsPrevious.find((d) => d.stage === 'exe-ctor') as CellDelta;
    t.same(exe.fields, ['rseqSize'], 'the same state, another __rseq_size');
    t.notOk(exe.breaks);
    t.same(keys(two.vsBase), [
      'shared/default/thread',
      'shared/tunable-off/main',
      'static/default/exe-ctor',
      'static/tunable-off/main',
    ]);
    t.equal(two.measured, 11);
    t.same(review.seriesVsBase?.step, 2);
    t.same(keys(review.seriesVsBase?.cells ?? []), keys(two.vsBase));
  },
);

t.test(
  'a cell that was an error and is measured now does not break; a missing cell differs in status',
  async (t) => {
    const r = run();
    fail(find(r, 'base', 'shared', 'default', 'main'), 'no observation');
    r.cells = r.cells.filter(
      (c) => !(c.variant === 'patch-2' && c.link === 'static' && c.stage === 'thread'),
    );
    const review = reviewRun(input(r));
    const fixed = step(review, 1).vsPrevious;
    t.same(keys(fixed), ['shared/default/main']);
    t.notOk(fixed[0]?.breaks);
    t.equal(fixed[0]?.before?.status, 'error');
    const gone = step(review, 2).vsPrevious;
    t.same(keys(gone), ['static/default/thread', 'static/tunable-off/thread']);
    for (const d of gone) {
      t.same(d.fields, ['status']);
      t.equal(d.after, null);
      t.equal(d.afterId, null);
      t.notOk(d.breaks);
    }
  },
);

t.test('normalizeInconsistency drops CPU numbers and thread ids, but keeps cpu_id -1 and -2', async (t) => {
  t.equal(normalizeInconsistency(undefined), null);
  t.equal(normalizeInconsistency(''), null);
  t.equal(
    normalizeInconsistency(
      'glibc claims a registration (__rseq_size 32, cpu_id 3) that the kernel does not have',
    ),
    'glibc claims a registration (__rseq_size 32, cpu_id N) that the kernel does not have',
  );
  t.equal(
    normalizeInconsistency('strace saw rseq(...) = 0 in thread 4711, inherited through fork'),
    'strace saw rseq(...) = 0 in thread N, inherited through fork',
  );
  const minus = "the kernel has this thread's __rseq_abi registered, but its cpu_id reads -1 (cpu_id -1)";
  t.equal(normalizeInconsistency(minus), minus);
  t.match(normalizeInconsistency('cpu_id -2 and cpu_id 11') ?? '', /^cpu_id -2 and cpu_id N$/);

  // Two steps whose observers disagree on different CPUs are the same outcome; -1 against a CPU is not.
  const r = run();
  const why = (cpu: string) =>
    `glibc claims a registration (__rseq_size 32, cpu_id ${cpu}) that the kernel does not have`;
  show(find(r, 'base', 'shared', 'default', 'main'), true, 32, why('0'));
  show(find(r, 'patch-1', 'shared', 'default', 'main'), true, 32, why('1'));
  show(find(r, 'patch-2', 'shared', 'default', 'main'), true, 32, why('-1'));
  const review = reviewRun(input(r));
  t.same(step(review, 1).vsPrevious, [], 'another CPU is no change');
  const d = step(review, 2).vsPrevious;
  t.same(keys(d), ['shared/default/main']);
  t.same(d[0]?.fields, ['inconsistency']);
  t.match(d[0]?.after?.inconsistency ?? '', /cpu_id -1/);
});

t.test('outcomeOf: a client that ran and one that fails; owners', async (t) => {
  const r = run();
  const c = find(r, 'base', 'shared', 'default', 'main');
  const asClient = { ...c, stage: 'client:basic_test', observed: { ...c.observed, owner: 'glibc' as const } };
  const ran = outcomeOf(asClient, true);
  t.equal(ran.client, 'ran');
  t.equal(ran.owner, 'glibc');
  const failed = outcomeOf(
    {
      ...asClient,
      status: 'error',
      probe: { ...(c.probe as NonNullable<CellResult['probe']>), exitCode: 1 },
    },
    true,
  );
  t.equal(failed.status, 'measured', 'a client that failed was still observed');
  t.equal(failed.client, 'failed (exit 1)');
  const skipped = outcomeOf({ ...c, status: 'skip', reason: 'not applicable' }, false);
  t.same(skipped, {
    status: 'skip',
    state: null,
    rseqSize: null,
    inconsistency: null,
    reason: 'not applicable',
  });
});

t.test('a build that failed makes its step and the later ones tell nothing, with the reason', async (t) => {
  const r = twoPatches();
  for (const b of r.builds)
    if (b.variant !== 'base') {
      b.status = 'error';
      b.reason = 'make: *** [nptl/pthread_create.o] Error 1';
      b.logTail = 'pthread_create.c:42: error: <rseq_area> undeclared';
    }
  r.cells = r.cells.filter((c) => c.variant === 'base');
  const review = reviewRun(input(r));
  t.equal(step(review, 0).unknown, undefined);
  t.equal(step(review, 1).unknown, 'its build failed: make: *** [nptl/pthread_create.o] Error 1');
  t.equal(step(review, 2).unknown, 'it includes patch 1, whose step did not build');
  for (const s of review.steps.slice(1)) {
    t.same(s.vsPrevious, []);
    t.same(s.vsBase, []);
  }
  t.equal(review.seriesVsBase, null, 'no step after the base tells anything');

  const md = formatReviewMarkdown(review);
  t.match(md, 'Tells nothing: its build failed: make: *** [nptl/pthread_create.o] Error 1.');
  t.match(md, 'Tells nothing: it includes patch 1, whose step did not build.');
  t.match(md, 'Build: failed\n', 'the reason is said once, in the line that says why');
  t.match(md, 'Nothing to say');
  const html = renderReview(review);
  t.match(html, 'build failed');
  t.match(html, 'pthread_create.c:42: error: &lt;rseq_area&gt; undeclared');
  t.equal((html.match(/<tr class="patch unknown/g) ?? []).length, 2);
});

t.test(
  'a failure in the middle: the series against the base is up to the last step that built',
  async (t) => {
    const r = run(3);
    show(find(r, 'patch-1', 'shared', 'tunable-off', 'main'), true, 32);
    for (const v of ['patch-2', 'patch-3']) {
      const b = r.builds.find((x) => x.variant === v);
      if (b) {
        b.status = 'error';
        b.reason = v === 'patch-2' ? 'patch does not build' : 'patch 2 did not build';
      }
    }
    r.cells = r.cells.filter((c) => c.variant !== 'patch-2' && c.variant !== 'patch-3');
    const review = reviewRun(input(r, [patch(1, 'a', 3), patch(2, 'b', 3), patch(3, 'c', 3)]));
    t.equal(step(review, 2).unknown, 'its build failed: patch does not build');
    t.equal(step(review, 3).unknown, 'it includes patch 2, whose step did not build');
    t.equal(review.seriesVsBase?.step, 1);
    t.same(keys(review.seriesVsBase?.cells ?? []), ['shared/tunable-off/main']);
    t.match(formatReviewMarkdown(review), 'Up to patch 1, the last step that built');
  },
);

t.test("glibc's own tests: the deltas against the previous step and the base", async (t) => {
  const r = run();
  const tests: Record<string, Record<string, string>> = {
    base: { 'misc/tst-rseq': 'PASS', 'nptl/tst-rseq-nptl': 'PASS' },
    'patch-1': { 'misc/tst-rseq': 'FAIL', 'nptl/tst-rseq-nptl': 'PASS' },
    'patch-2': { 'misc/tst-rseq': 'FAIL', 'nptl/tst-rseq-nptl': 'PASS', 'elf/tst-new': 'UNSUPPORTED' },
  };
  for (const b of r.builds) b.glibcTests = tests[b.variant] as Record<string, string>;
  const review = reviewRun(input(r));
  t.same(step(review, 1).testsVsPrevious, [{ test: 'misc/tst-rseq', before: 'PASS', after: 'FAIL' }]);
  t.same(step(review, 2).testsVsPrevious, [{ test: 'elf/tst-new', before: null, after: 'UNSUPPORTED' }]);
  t.same(step(review, 2).testsVsBase, [
    { test: 'elf/tst-new', before: null, after: 'UNSUPPORTED' },
    { test: 'misc/tst-rseq', before: 'PASS', after: 'FAIL' },
  ]);
  t.same(review.seriesVsBase?.tests, step(review, 2).testsVsBase);
  const md = formatReviewMarkdown(review);
  t.match(md, '- misc/tst-rseq: PASS -> FAIL');
  t.match(md, '- elf/tst-new: not run -> UNSUPPORTED');
});

t.test('an incomplete run and a base without cells are warned about', async (t) => {
  const r = run();
  r.run.complete = false;
  r.run.interrupted = 'SIGINT';
  r.cells = r.cells.filter((c) => c.variant !== 'base');
  const review = reviewRun(input(r));
  t.equal(step(review, 0).unknown, 'the run has no cell of this step');
  t.match(review.warnings.join('\n'), /not complete \(SIGINT\)/);
  t.match(review.warnings.join('\n'), /the base tells nothing/);
  t.equal(review.seriesVsBase, null);
  t.match(formatReviewMarkdown(review), /### Warnings\n\n- the run was not complete/);
  t.match(formatReviewText(review), /warning: the base tells nothing/);
});

/** A delta of main in link/scenario whose after state is `to` (for reviews made by hand). */
function delta(place: string, to: string, stage = 'main'): CellDelta {
  const [link, scenario] = place.split('/') as [string, string];
  const o = (state: string): CellOutcome => ({
    status: 'measured',
    state,
    rseqSize: null,
    inconsistency: null,
  });
  return {
    key: `${place}/${stage}`,
    link,
    scenario,
    stage,
    beforeId: null,
    afterId: null,
    before: o('unregistered'),
    after: o(to),
    fields: ['state'],
    breaks: false,
  };
}

function handReview(version: string, steps: { subject: string; changes: CellDelta[] }[]): Review {
  const base = reviewRun(input(run(0), []));
  const all: StepReview[] = [
    step(base, 0),
    ...steps.map((s, i) => ({
      ...step(base, 0),
      step: i + 1,
      variant: `patch-${i + 1}`,
      patch: { ...patch(i + 1, s.subject, steps.length), version },
      vsPrevious: s.changes,
      vsBase: s.changes,
    })),
  ];
  const last = all[all.length - 1] as StepReview;
  return {
    ...base,
    run: { ...base.run, id: `run-${version}` },
    series: { version, patches: steps.length, cover: null },
    steps: all,
    seriesVsBase: { step: last.step, cells: last.vsBase, tests: [] },
  };
}

t.test(
  'reviewAgainst matches patches by subject and lists newly, no longer and otherwise changed cells',
  async (t) => {
    const v1 = handReview('v1', [
      { subject: 'nptl: one', changes: [delta('shared/default', 'registered')] },
      {
        subject: 'elf: two',
        changes: [delta('static/default', 'registered'), delta('shared/tunable-off', 'registered')],
      },
      { subject: 'misc: dropped', changes: [delta('static/tunable-off', 'registered')] },
    ]);
    const v2 = handReview('v2', [
      { subject: 'nptl: one', changes: [delta('shared/default', 'registered')] },
      { subject: 'x86: new', changes: [delta('static/tunable-off', 'registered', 'thread')] },
      {
        subject: 'elf: two',
        changes: [delta('static/default', 'unavailable'), delta('static/tunable-off', 'registered')],
      },
    ]);
    const a = reviewAgainst(v1, v2);
    t.same(a.previous, { run: 'run-v1', version: 'v1', patches: 3 });
    t.same(
      a.patches.map((p) => [p.now?.index ?? null, p.before?.index ?? null]),
      [
        [1, 1],
        [2, null],
        [3, 2],
        [null, 3],
      ],
      'by subject; a new subject does not take the place of one that moved',
    );
    const [one, added, two, dropped] = a.patches;
    t.same([one?.newlyChanged, one?.noLongerChanged, one?.changedOtherwise], [[], [], []]);
    t.same(added?.newlyChanged, ['static/tunable-off/thread']);
    t.same(two?.newlyChanged, ['static/tunable-off/main']);
    t.same(two?.noLongerChanged, ['shared/tunable-off/main']);
    t.same(two?.changedOtherwise, ['static/default/main']);
    t.same(dropped?.noLongerChanged, ['static/tunable-off/main']);
    t.same(a.series, {
      newlyChanged: ['static/default/main'],
      noLongerChanged: [],
      changedOtherwise: [],
    });

    const md = formatReviewMarkdown(v2, a);
    t.match(md, '### Against v1 (run run-v1, 3 patches)');
    t.match(md, '- [PATCH v2 1/3] nptl: one: the same changes');
    t.match(md, '- [PATCH v2 2/3] x86: new: new in this version; newly changes thread (static/tunable-off)');
    t.match(
      md,
      '- [PATCH v2 3/3] elf: two (was patch 2): newly changes main (static/tunable-off); no longer changes main (shared/tunable-off); changes otherwise main (static/default)',
    );
    t.match(
      md,
      '- (was [PATCH v1 3/3] misc: dropped): dropped from this version; no longer changes main (static/tunable-off)',
    );
    t.match(formatReviewText(v2, a), 'against v1: 3 of 4 patches differ');
    const html = renderReview(v2, a);
    t.equal((html.match(/<tr class="against/g) ?? []).length, 4);
    t.equal((html.match(/<tr class="against same/g) ?? []).length, 1);
  },
);

t.test(
  'the markdown: a section per patch, changes grouped by stage, identical changes collapsed, breaks marked',
  async (t) => {
    const review = reviewRun(input(twoPatches()));
    const md = formatReviewMarkdown(review);
    t.match(md, /^## rseq-matrix review of v2 \(2 patches\) against glibc-2\.36\n/);
    t.match(md, 'Series: [PATCH v2 0/2] nptl: rseq registration');
    t.match(md, '### [PATCH v2 1/2] nptl: one');
    t.match(md, '### [PATCH v2 2/2] nptl: two');
    t.match(md, 'Build: ok');
    t.match(
      md,
      '- main (shared/tunable-off, static/tunable-off): unregistered -> registered; __rseq_size 0 -> 32',
    );
    t.match(
      md,
      '- thread: shared/default BREAKS: registered -> error (probe timed out after 30000 ms; no observation)',
    );
    t.match(md, '- exe-ctor: static/default __rseq_size 20 -> 32');
    t.match(md, 'Changed against the previous step: 2 cells, 1 break');

    // Each step's lines: the stages in catalogue order (exe-ctor, main, thread), whatever the cell order.
    const series = md.slice(md.indexOf('### The series against the base'));
    const lines = series.split('\n').filter((l) => l.startsWith('- '));
    t.same(
      lines.map((l) => l.slice(2).split(/[ :]/)[0]),
      ['exe-ctor', 'main', 'thread'],
      'one line per stage here, in stage order',
    );
    for (const s of review.steps)
      for (const d of s.vsPrevious) t.match(md, `- ${d.stage}`, `the changed stage ${d.stage} is named`);

    const text = formatReviewText(review);
    t.match(text, /^review of v2: 2 patches on glibc-2\.36, run review-run\n/);
    t.match(text, /1\/2 +2 changed, 2 vs base +nptl: one\n +stages: main\n/);
    t.match(text, /2\/2 +2 changed \(1 break\), 4 vs base +nptl: two\n +stages: exe-ctor, thread\n/);
    t.match(text, 'series vs base: 4 cells changed (1 break) in exe-ctor, main, thread');
    t.ok(text.split('\n').length < 12, 'short');
  },
);

t.test('changeLines collapses only identical changes, and says each changed field old -> new', async (t) => {
  const a = delta('shared/default', 'registered');
  const b = delta('static/default', 'registered');
  const c = delta('shared/tunable-off', 'unavailable');
  const d = delta('static/tunable-off', 'registered', 'thread');
  const lines = changeLines([d, c, b, a]);
  t.same(
    lines.map((l) => [l.stage, l.places, l.change]),
    [
      ['main', ['shared/default', 'static/default'], 'unregistered -> registered'],
      ['main', ['shared/tunable-off'], 'unregistered -> unavailable'],
      ['thread', ['static/tunable-off'], 'unregistered -> registered'],
    ],
  );
  const owner: CellDelta = {
    ...a,
    before: { status: 'measured', state: 'registered', rseqSize: '32', inconsistency: null, owner: 'glibc' },
    after: { status: 'measured', state: 'registered', rseqSize: '0,32', inconsistency: 'x', owner: 'test' },
    fields: ['rseqSize', 'inconsistency', 'owner'],
  };
  t.equal(describeChange(owner), '__rseq_size 32 -> 0,32; owner glibc -> test; observers now disagree: x');
  const client: CellDelta = {
    ...a,
    before: { status: 'measured', state: 'registered', rseqSize: '32', inconsistency: null, client: 'ran' },
    after: { status: 'measured', state: 'registered', rseqSize: '32', inconsistency: null, client: 'hung' },
    fields: ['client'],
    breaks: true,
  };
  t.equal(describeChange(client), 'BREAKS: client ran -> hung');
});

/** The tags of an HTML text nest properly (void elements aside); returns the first problem. */
function nestingProblem(html: string): string | null {
  const VOID = new Set(['meta', 'link', 'br', 'hr', 'img', 'input', 'col', 'wbr']);
  const stack: string[] = [];
  for (const m of html.matchAll(/<(\/?)([a-zA-Z][a-zA-Z0-9]*)\b[^>]*>/g)) {
    const [, close, raw] = m;
    const name = (raw as string).toLowerCase();
    if (VOID.has(name)) continue;
    if (!close) stack.push(name);
    else if (stack.pop() !== name) return `</${name}> at ${m.index}`;
  }
  return stack.length ? `unclosed ${stack.join(' ')}` : null;
}

t.test('the HTML: one file, escaped, a strict policy, a row per patch, links to the evidence', async (t) => {
  const r = twoPatches();
  const hostile = '<script>alert(1)</script> & "quoted"';
  const inp = input(r, [patch(1, hostile), patch(2, 'nptl: two')]);
  inp.patches[0] = { ...(inp.patches[0] as StepPatch), author: '<img src=x onerror=alert(2)>' };
  const review = reviewRun(inp);
  const html = renderReview(review);
  t.match(html, /^<!doctype html>/);
  t.equal(nestingProblem(html), null, 'the tags nest');
  t.notMatch(html, /<script/i, 'no script at all, and none from the data');
  t.notMatch(html, '<img src=x');
  t.match(html, '&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quoted&quot;');
  t.match(html, '&lt;b&gt;bold&lt;/b&gt; &amp; more', 'the cover letter, escaped');
  t.notMatch(html, /https?:\/\//, 'nothing from the network');

  const csp = (/<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html)?.[1] ?? '')
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&');
  t.match(csp, "default-src 'none'");
  t.notMatch(csp, 'script-src');
  const styles = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1] as string);
  t.equal(styles.length, 2);
  for (const s of styles)
    t.match(
      csp,
      `'sha256-${createHash('sha256').update(s, 'utf8').digest('base64')}'`,
      'each style by its hash',
    );

  t.equal((html.match(/<tr class="patch[ "]/g) ?? []).length, review.series.patches, 'a row per patch');
  t.equal((html.match(/<tr class="base[ "]/g) ?? []).length, 1);
  t.match(html, 'href="run/report.html#cell=glibc-2.36/patch-2/shared/default/thread"');
  t.match(html, 'href="run/report.html#cell=glibc-2.36/patch-1/shared/default/thread"');
  t.match(html, 'href="run/report.html#cell=glibc-2.36/base/static/tunable-off/main"');
  t.match(html, 'href="run/results.json"');
  // The changed cells of the series against the base, grouped by stage in catalogue order.
  const series = html.slice(html.indexOf('<section id="series">'));
  t.same(
    [...series.matchAll(/<tbody class="rv-stage" data-stage="([^"]*)"/g)].map((m) => m[1]),
    ['exe-ctor', 'main', 'thread'],
  );
  t.equal((series.match(/<tr class="cell breaks"/g) ?? []).length, 1);
  t.match(html, /<td class="num brk">1<\/td>/, 'the breaks count of patch 2');
});

t.test('a step that returns to what the base shows breaks nothing; leaving it does', async (t) => {
  const r = run();
  fail(find(r, 'base', 'shared', 'default', 'main'), 'the probe was killed by SIGSEGV');
  // patch-1 fixes main; patch-2 returns to the base's crash: a change, not a break.
  fail(find(r, 'patch-2', 'shared', 'default', 'main'), 'the probe was killed by SIGSEGV');
  // thread works on the base and in patch-1, and crashes with patch-2: a break.
  fail(find(r, 'patch-2', 'shared', 'default', 'thread'), 'the probe was killed by SIGABRT');
  r.summary = summarize(r.cells);
  const review = reviewRun(input(r));
  const p2 = review.steps[2]?.vsPrevious ?? [];
  t.same(
    p2.map((d) => [d.key, d.breaks]),
    [
      ['shared/default/main', false],
      ['shared/default/thread', true],
    ],
    'main returns to the base (no break), thread breaks',
  );
});

t.test('the review plan is a matrix: base and every prefix, no expectation, patches beside it', async (t) => {
  const { validateMatrix } = await import('../../harness/matrix/validate.js');
  const { reviewMatrix } = await import('../../harness/review/plan.js');
  const { readFileSync } = await import('node:fs');
  const source = validateMatrix(readFileSync('matrices/rseq.yaml', 'utf8'), 'matrices/rseq.yaml');
  const text = reviewMatrix({
    source: { doc: source.doc, file: 'matrices/rseq.yaml', dir: 'matrices' },
    base: 'glibc-2.36',
    patchFiles: ['0001-a.patch', '0002-b.patch', '0003-c.patch'],
    patchesDir: 'patches',
    title: 'a <series>',
  });
  const seen: [string, string | undefined][] = [];
  const m = validateMatrix(text, 'review/matrix.yaml', {
    patchFileProblem: (p, dir) => {
      seen.push([p, dir]);
      return undefined;
    },
  });
  t.same(
    m.doc.variants.map((v) => [v.id, v.patches ?? []]),
    [
      ['base', []],
      ['patch-1', ['0001-a.patch']],
      ['patch-2', ['0001-a.patch', '0002-b.patch']],
      ['patch-3', ['0001-a.patch', '0002-b.patch', '0003-c.patch']],
    ],
    'the base and each prefix',
  );
  t.ok(seen.length > 0 && seen.every(([, d]) => d === 'patches'), 'patch paths are checked under patchesDir');
  t.same(m.doc.stages, source.doc.stages, "the source matrix's stages");
  t.same(m.doc.links, source.doc.links, 'and links');
  t.ok(
    m.cells.every((c) => c.expected.state === 'any' || c.expected.rule === -1),
    'no expectation but the stages’ own applicability',
  );
  t.same(
    m.doc.glibc.map((g) => g.id),
    ['glibc-2.36'],
    'one glibc: the base',
  );
  t.throws(
    () =>
      reviewMatrix({
        source: { doc: source.doc, file: 'matrices/rseq.yaml', dir: 'matrices' },
        base: 'glibc-2.63',
        patchFiles: [],
        patchesDir: 'patches',
        title: 't',
      }),
    /--base: "glibc-2\.63" is no glibc entry of matrices\/rseq\.yaml \(did you mean "glibc-2\.36"\?\)/,
  );
  t.throws(
    () =>
      reviewMatrix({
        source: { doc: source.doc, file: 'matrices/rseq.yaml', dir: 'matrices' },
        base: 'bullseye',
        patchFiles: [],
        patchesDir: 'patches',
        title: 't',
      }),
    /image's own libc/,
  );
});
