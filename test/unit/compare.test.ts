/** compareRuns: the verdict of every transition, the exit code, warnings, and the text, markdown and JSON forms. */
import { readFileSync } from 'node:fs';
import t from 'tap';
import {
  compareRuns,
  exitCodeFor,
  formatJson,
  formatMarkdown,
  formatText,
  VERDICTS,
  type Verdict,
  verdictFor,
} from '../../harness/compare/compare.js';
import type { CellResult, CellStatus, GlibcTestOutcome, Results } from '../../harness/model/results.js';
import { cloneResults, summarize } from '../../harness/report/synthetic.js';
import { judgeGlibcTests } from '../../harness/verdict/glibc-tests.js';
import { repoPath } from '../helpers/repo.js';

const small = JSON.parse(readFileSync(repoPath('test/fixtures/results/small.json'), 'utf8')) as Results;

function setStatus(r: Results, id: string, status: CellStatus, reason?: string): void {
  const c = r.cells.find((x) => x.id === id);
  if (!c) throw new Error(`no cell ${id}`);
  c.status = status;
  if (reason) c.reason = reason;
  else delete c.reason;
  r.summary = summarize(r.cells);
}

t.test('verdictFor covers every transition', async (t) => {
  const S: (CellStatus | null)[] = [null, 'pass', 'fail', 'error', 'skip'];
  const table: Record<string, Verdict> = {
    'null>pass': 'NEW',
    'null>fail': 'NEW',
    'null>error': 'INFRA',
    'null>skip': 'NEW',
    'pass>null': 'REMOVED',
    'fail>null': 'REMOVED',
    'error>null': 'REMOVED',
    'skip>null': 'REMOVED',
    'pass>pass': 'UNCHANGED-PASS',
    'pass>fail': 'NEW-FAIL',
    'pass>error': 'INFRA',
    'pass>skip': 'SKIP-CHANGED',
    'fail>pass': 'FIXED',
    'fail>fail': 'STILL-FAIL',
    'fail>error': 'INFRA',
    'fail>skip': 'SKIP-CHANGED',
    'error>pass': 'FIXED',
    'error>fail': 'NEW-FAIL',
    'error>error': 'INFRA',
    'error>skip': 'SKIP-CHANGED',
    'skip>pass': 'SKIP-CHANGED',
    'skip>fail': 'NEW-FAIL',
    'skip>error': 'INFRA',
    'skip>skip': 'UNCHANGED-SKIP',
  };
  for (const a of S)
    for (const b of S) {
      if (a === null && b === null) continue;
      t.equal(verdictFor(a, b), table[`${a}>${b}`], `${a} -> ${b}`);
    }
});

/** A pair of runs in which every verdict occurs exactly once (beyond the unchanged cells). */
function pairWithEveryVerdict(): { old: Results; next: Results } {
  const old = cloneResults(small);
  const next = cloneResults(small);
  next.run.id = 'next-run';
  // small.json: bookworm/stock/shared/tunable-off/thread fails, bullseye/stock/static/default/thread errors.
  // NEW-FAIL: passed before, fails now.
  setStatus(
    next,
    'bookworm/stock/shared/default/main',
    'fail',
    'expected registered, the kernel reports unregistered',
  );
  // FIXED: failed before, passes now.
  setStatus(next, 'bookworm/stock/shared/tunable-off/thread', 'pass');
  // STILL-FAIL: failed in both.
  setStatus(old, 'bookworm/stock/static/default/main', 'fail', 'old');
  setStatus(next, 'bookworm/stock/static/default/main', 'fail', 'still');
  // INFRA: the error cell stays an error (and one more errors now).
  setStatus(next, 'bullseye/stock/shared/default/main', 'error', 'docker: connection refused');
  // SKIP-CHANGED
  setStatus(next, 'bullseye/stock/shared/default/preload-ctor', 'skip', 'not applicable any more');
  // NEW and REMOVED
  const added = cloneResults(small).cells[0] as CellResult;
  added.id = 'trixie/stock/shared/default/main';
  added.glibc = 'trixie';
  next.cells.push(added);
  old.cells.push({
    ...(cloneResults(small).cells[1] as CellResult),
    id: 'sid/stock/shared/default/main',
    glibc: 'sid',
  });
  next.summary = summarize(next.cells);
  old.summary = summarize(old.cells);
  return { old, next };
}

t.test('compareRuns gives every verdict and matches cells by id', async (t) => {
  const { old, next } = pairWithEveryVerdict();
  const c = compareRuns(old, next);
  const by = (v: Verdict) => c.changes.filter((x) => x.verdict === v).map((x) => x.id);
  t.same(by('NEW-FAIL'), ['bookworm/stock/shared/default/main']);
  t.same(by('FIXED'), ['bookworm/stock/shared/tunable-off/thread']);
  t.same(by('STILL-FAIL'), ['bookworm/stock/static/default/main']);
  t.same(by('NEW'), ['trixie/stock/shared/default/main']);
  t.same(by('REMOVED'), ['sid/stock/shared/default/main']);
  t.same(by('INFRA'), ['bullseye/stock/shared/default/main', 'bullseye/stock/static/default/thread']);
  t.same(by('SKIP-CHANGED'), ['bullseye/stock/shared/default/preload-ctor']);
  t.equal(c.counts['UNCHANGED-SKIP'], 4);
  t.equal(c.counts['UNCHANGED-PASS'], 24 - 1 - 1 - 1 - 2 - 1 - 4);
  t.equal(
    Object.values(c.counts).reduce((a, b) => a + b, 0),
    c.changes.length,
    'every cell of both runs has one verdict',
  );
  t.equal(c.changes.length, 26);
  // Ordered by verdict, then id.
  const order = c.changes.map((x) => VERDICTS.indexOf(x.verdict));
  t.same(
    order,
    [...order].sort((a, b) => a - b),
  );
  const nf = c.changes.find((x) => x.verdict === 'NEW-FAIL');
  t.same(nf, {
    id: 'bookworm/stock/shared/default/main',
    verdict: 'NEW-FAIL',
    before: 'pass',
    after: 'fail',
    reason: 'expected registered, the kernel reports unregistered',
  });
  const removed = c.changes.find((x) => x.verdict === 'REMOVED');
  t.equal(removed?.after, null);
  t.equal(exitCodeFor(c), 1, 'a NEW-FAIL fails the job');
  t.same(c.warnings, []);
});

t.test('exit code: only NEW-FAIL counts, never INFRA or STILL-FAIL', async (t) => {
  t.equal(exitCodeFor(compareRuns(small, small)), 0, 'identical runs');
  const next = cloneResults(small);
  for (const c of next.cells) if (c.status === 'pass') c.status = 'error';
  const c = compareRuns(small, next);
  t.equal(c.counts['NEW-FAIL'], 0);
  t.equal(c.counts.INFRA, 19);
  t.equal(c.counts['STILL-FAIL'], 1);
  t.equal(exitCodeFor(c), 0, 'infrastructure errors are not regressions');
  const grown = cloneResults(small);
  grown.cells.push({ ...(grown.cells[0] as CellResult), id: 'x/y/shared/default/main', status: 'fail' });
  t.equal(exitCodeFor(compareRuns(small, grown)), 0, 'a failing NEW cell does not fail the job');
});

t.test('warnings for runs that are hard to compare', async (t) => {
  const next = cloneResults(small);
  next.run.complete = false;
  next.run.interrupted = 'SIGINT';
  next.run.matrix.digest = 'sha256:other';
  next.cells.push(next.cells[0] as CellResult);
  const c = compareRuns(small, next);
  t.match(c.warnings.join('\n'), /digest differs/);
  t.match(c.warnings.join('\n'), /incomplete \(SIGINT\)/);
  t.match(c.warnings.join('\n'), /1 duplicate cell id/);
});

t.test('text, markdown and JSON output', async (t) => {
  const { old, next } = pairWithEveryVerdict();
  setStatus(next, 'bookworm/stock/shared/default/main', 'fail', 'a | pipe, <b>tag</b> and `tick`');
  const c = compareRuns(old, next);
  const text = formatText(c);
  t.match(text, /^Comparing 20250611T031502Z-stock-7f3c \(baseline, 25 cells\) with next-run \(25 cells\)/);
  t.match(
    text,
    /NEW-FAIL \(1\): fails now, did not fail in the baseline\n {2}bookworm\/stock\/shared\/default\/main {2}pass -> fail/,
  );
  t.match(text, /INFRA \(2\)/);
  t.notMatch(text, /UNCHANGED-PASS \(/, 'unchanged cells are only counted');
  t.match(text, /REGRESSION: 1 cell\(s\) fail that did not fail before\n$/);

  const md = formatMarkdown(c);
  t.match(md, /^## rseq-matrix: ❌ 1 new failure\(s\)\n/);
  t.match(md, /\| verdict \| cells \| meaning \|\n\|---\|---:\|---\|\n\| NEW-FAIL \| 1 \|/);
  t.match(md, /<details open><summary><b>NEW-FAIL<\/b> \(1\)<\/summary>/);
  t.match(md, /<details><summary><b>FIXED<\/b> \(1\)<\/summary>/);
  t.match(md, /<details open><summary><b>INFRA<\/b> \(2\)<\/summary>/);
  const row = md.split('\n').find((l) => l.startsWith('| `bookworm/stock/shared/default/main`'));
  t.ok(row, 'the new failure has a table row');
  t.equal(
    row,
    '| `bookworm/stock/shared/default/main` | pass → fail | a \\| pipe, \\<b\\>tag\\</b\\> and \\`tick\\` |',
  );
  t.notMatch(md, /<b>tag/, 'no raw HTML from the data');
  t.equal(formatMarkdown(compareRuns(small, small)).split('\n')[0], '## rseq-matrix: ✅ no new failures');

  const many = cloneResults(small);
  for (const x of many.cells) if (x.status === 'pass') x.status = 'fail';
  const capped = formatMarkdown(compareRuns(small, many), { maxPerVerdict: 5 });
  t.match(capped, /… and 13 more \(see the JSON comparison\)\./);

  const json = JSON.parse(formatJson(c));
  t.equal(json.schemaVersion, 1);
  t.same(json.counts, c.counts);
  t.equal(json.changes.length, c.changes.length);
});

/** Two builds of glibc 2.36 with their judged tests, as a run of matrices/rseq.yaml records them. */
function withJudgedTests(r: Results, outcomes: Record<string, Record<string, string>>): Results {
  const out = cloneResults(r);
  const expected: Record<string, Record<string, GlibcTestOutcome>> = {
    upstream: { 'misc/tst-rseq': 'PASS', 'nptl/tst-rseq-nptl': 'PASS' },
    'libc-tls-abi': { 'misc/tst-rseq': 'FAIL', 'nptl/tst-rseq-nptl': 'PASS' },
  };
  for (const [variant, tests] of Object.entries(outcomes)) {
    const planned = Object.entries(expected[variant] ?? {}).map(([test, outcome], i) => ({
      glibc: 'glibc-2.36',
      variant,
      test,
      expected: { outcome, rule: i, why: `rule ${i}` },
    }));
    out.builds.push({
      key: `k-${variant}`,
      glibc: 'glibc-2.36',
      variant,
      status: 'ok',
      cached: true,
      durationMs: 1,
      description: `2.36 ${variant}`,
      glibcTests: tests,
      glibcTestVerdicts: judgeGlibcTests(planned, tests),
    });
  }
  return out;
}

const AS_PREDICTED = {
  upstream: { 'misc/tst-rseq': 'PASS', 'nptl/tst-rseq-nptl': 'PASS' },
  'libc-tls-abi': { 'misc/tst-rseq': 'FAIL', 'nptl/tst-rseq-nptl': 'PASS' },
};

t.test('glibc tests: a flipped outcome is NEW-FAIL, the flip back FIXED, apart from the cells', async (t) => {
  const old = withJudgedTests(small, AS_PREDICTED);
  const same = compareRuns(old, withJudgedTests(small, AS_PREDICTED));
  t.equal(same.testCounts['UNCHANGED-PASS'], 4);
  t.equal(exitCodeFor(same), 0, 'the same judged outcomes: no regression');

  // upstream's tst-rseq flips to FAIL; libc-tls-abi's tst-rseq-nptl to FAIL (its predicted FAIL).
  const flipped = withJudgedTests(small, {
    upstream: { 'misc/tst-rseq': 'FAIL', 'nptl/tst-rseq-nptl': 'PASS' },
    'libc-tls-abi': { 'misc/tst-rseq': 'FAIL', 'nptl/tst-rseq-nptl': 'FAIL' },
  });
  const c = compareRuns(old, flipped);
  const by = (v: Verdict) => c.tests.filter((x) => x.verdict === v).map((x) => x.id);
  t.same(by('NEW-FAIL'), ['glibc-2.36/libc-tls-abi/nptl/tst-rseq-nptl', 'glibc-2.36/upstream/misc/tst-rseq']);
  t.same(by('UNCHANGED-PASS'), [
    'glibc-2.36/libc-tls-abi/misc/tst-rseq',
    'glibc-2.36/upstream/nptl/tst-rseq-nptl',
  ]);
  t.same(
    c.tests.find((x) => x.id === 'glibc-2.36/upstream/misc/tst-rseq'),
    {
      id: 'glibc-2.36/upstream/misc/tst-rseq',
      verdict: 'NEW-FAIL',
      before: 'pass',
      after: 'fail',
      outcomeBefore: 'PASS',
      outcomeAfter: 'FAIL',
      expected: 'PASS',
      reason: 'expected PASS, got FAIL',
    },
  );
  t.equal(c.counts['NEW-FAIL'], 0, 'the cells did not change');
  t.equal(exitCodeFor(c), 1, 'a glibc test that regressed fails the job');

  const back = compareRuns(flipped, old);
  t.same(
    back.tests.filter((x) => x.verdict === 'FIXED').map((x) => x.id),
    ['glibc-2.36/libc-tls-abi/nptl/tst-rseq-nptl', 'glibc-2.36/upstream/misc/tst-rseq'],
  );
  t.equal(exitCodeFor(back), 0);

  const still = compareRuns(flipped, flipped);
  t.equal(still.testCounts['STILL-FAIL'], 2);
  t.equal(exitCodeFor(still), 0, 'a known failure is no regression');
});

t.test('glibc tests: a failed build is INFRA, a test judged in one run only NEW or REMOVED', async (t) => {
  const old = withJudgedTests(small, AS_PREDICTED);
  const broken = withJudgedTests(small, { upstream: AS_PREDICTED.upstream });
  broken.builds.push({
    key: '',
    glibc: 'glibc-2.36',
    variant: 'libc-tls-abi',
    status: 'error',
    cached: false,
    durationMs: 1,
    description: '',
    reason: 'build glibc-2.36/libc-tls-abi: the build failed in phase make (exit 2)',
  });
  const c = compareRuns(old, broken);
  t.same(
    c.tests.filter((x) => x.verdict === 'INFRA').map((x) => [x.id, x.after, x.reason]),
    [
      [
        'glibc-2.36/libc-tls-abi/misc/tst-rseq',
        'error',
        'build glibc-2.36/libc-tls-abi: the build failed in phase make (exit 2)',
      ],
      [
        'glibc-2.36/libc-tls-abi/nptl/tst-rseq-nptl',
        'error',
        'build glibc-2.36/libc-tls-abi: the build failed in phase make (exit 2)',
      ],
    ],
  );
  t.equal(exitCodeFor(c), 0, 'a broken build is not a regression of its tests');

  // A baseline that judged nothing (older, or a matrix without expectTests): nothing to regress from.
  const unjudged = cloneResults(old);
  for (const b of unjudged.builds) delete b.glibcTestVerdicts;
  const fresh = withJudgedTests(small, {
    upstream: { 'misc/tst-rseq': 'FAIL', 'nptl/tst-rseq-nptl': 'PASS' },
  });
  const n = compareRuns(unjudged, fresh);
  t.same(n.testCounts.NEW, 2);
  t.equal(exitCodeFor(n), 0);
  t.equal(compareRuns(fresh, unjudged).testCounts.REMOVED, 2);
});

t.test('glibc tests in the text, markdown and JSON comparisons', async (t) => {
  const old = withJudgedTests(small, AS_PREDICTED);
  const next = withJudgedTests(small, {
    upstream: { 'misc/tst-rseq': 'FAIL', 'nptl/tst-rseq-nptl': 'PASS' },
    'libc-tls-abi': AS_PREDICTED['libc-tls-abi'],
  });
  const c = compareRuns(old, next);
  const text = formatText(c);
  t.match(text, /\nglibc tests: NEW-FAIL 1, UNCHANGED-PASS 3\n/);
  t.match(
    text,
    /glibc tests NEW-FAIL \(1\): fails now, did not fail in the baseline\n {2}glibc-2\.36\/upstream\/misc\/tst-rseq {2}pass -> fail {2}PASS -> FAIL, expected PASS {2}expected PASS, got FAIL\n/,
  );
  t.match(text, /REGRESSION: 1 glibc test\(s\) fail that did not fail before\n$/);
  t.notMatch(formatText(compareRuns(small, small)), /glibc tests/, 'no section when no test was judged');

  const md = formatMarkdown(c);
  t.match(md, /^## rseq-matrix: ❌ 1 new failure\(s\)\n/);
  t.match(
    md,
    /### glibc's own tests\n\n\| verdict \| tests \| meaning \|\n\|---\|---:\|---\|\n\| NEW-FAIL \| 1 \|/,
  );
  t.match(
    md,
    /\| `glibc-2\.36\/upstream\/misc\/tst-rseq` \| NEW-FAIL \| pass → fail \| PASS → FAIL \| PASS \| expected PASS, got FAIL \|/,
  );

  const json = JSON.parse(formatJson(c));
  t.same(json.testCounts, c.testCounts);
  t.equal(json.tests[0].id, 'glibc-2.36/upstream/misc/tst-rseq');
  t.equal(json.tests[0].verdict, 'NEW-FAIL');

  // Both kinds of regression at once.
  const both = cloneResults(next);
  setStatus(both, 'bookworm/stock/shared/default/main', 'fail', 'flipped');
  t.match(
    formatText(compareRuns(old, both)),
    /REGRESSION: 1 cell\(s\) and 1 glibc test\(s\) fail that did not fail before\n$/,
  );
  t.match(formatMarkdown(compareRuns(old, both)), /^## rseq-matrix: ❌ 2 new failure\(s\)\n/);
});
