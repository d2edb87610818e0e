/**
 * glibc's own tests, judged: each recorded outcome against the matrix's expectTests (pure), the failing
 * ones that make a run exit 1, the CLI's closing table, and the results schema of the verdicts.
 */
import { readFileSync } from 'node:fs';
import t from 'tap';
import { summaryTable } from '../../harness/cli/table.js';
import { validateMatrix } from '../../harness/matrix/validate.js';
import type { BuildResult, Results } from '../../harness/model/results.js';
import { resultsProblem } from '../../harness/model/results-schema.js';
import { cloneResults } from '../../harness/report/synthetic.js';
import {
  failedTests,
  glibcTestId,
  judgeGlibcTests,
  type PlannedGlibcTest,
} from '../../harness/verdict/glibc-tests.js';
import { repoPath } from '../helpers/repo.js';

const small = JSON.parse(readFileSync(repoPath('test/fixtures/results/small.json'), 'utf8')) as Results;

const rseq = validateMatrix(readFileSync('matrices/rseq.yaml', 'utf8'), 'matrices/rseq.yaml');
const planOf = (variant: string): PlannedGlibcTest[] =>
  rseq.glibcTestPlan.filter((p) => p.glibc === 'glibc-2.36' && p.variant === variant);

function build(variant: string, tests: Record<string, string> | undefined): BuildResult {
  return {
    key: `k-${variant}`,
    glibc: 'glibc-2.36',
    variant,
    status: 'ok',
    cached: true,
    durationMs: 1,
    description: variant,
    ...(tests ? { glibcTests: tests } : {}),
    glibcTestVerdicts: judgeGlibcTests(planOf(variant), tests),
  };
}

const ALL_PASS = { 'misc/tst-rseq': 'PASS', 'misc/tst-rseq-disable': 'PASS', 'nptl/tst-rseq-nptl': 'PASS' };

t.test('judging: the outcome against the expected one, with the rule and its why', async (t) => {
  const up = judgeGlibcTests(planOf('upstream'), ALL_PASS);
  t.same(
    up.map((v) => [v.test, v.outcome, v.expected, v.verdict]),
    [
      ['misc/tst-rseq', 'PASS', 'PASS', 'pass'],
      ['misc/tst-rseq-disable', 'PASS', 'PASS', 'pass'],
      ['nptl/tst-rseq-nptl', 'PASS', 'PASS', 'pass'],
    ],
    'in the order of options.glibcTests',
  );
  t.ok(
    up.every((v) => v.rule === 0 && v.why === rseq.doc.expectTests?.[0]?.why && v.reason === undefined),
    'the default rule decided, and a pass has no reason',
  );

  // The 2019 ABI: tst-rseq is expected to FAIL, so its PASS would be the news.
  const abi = judgeGlibcTests(planOf('libc-tls-abi'), { ...ALL_PASS, 'misc/tst-rseq': 'FAIL' });
  t.ok(
    abi.every((v) => v.verdict === 'pass'),
    'FAIL where FAIL is expected is as expected',
  );
  t.match(abi[0], { test: 'misc/tst-rseq', outcome: 'FAIL', expected: 'FAIL', rule: 1, why: /__rseq_size/ });
  const flipped = judgeGlibcTests(planOf('libc-tls-abi'), ALL_PASS);
  t.match(flipped[0], {
    verdict: 'fail',
    outcome: 'PASS',
    expected: 'FAIL',
    reason: 'expected FAIL, got PASS',
  });

  const missing = judgeGlibcTests(planOf('upstream'), { 'misc/tst-rseq': 'PASS' });
  t.same(
    missing.map((v) => [v.test, v.outcome, v.verdict]),
    [
      ['misc/tst-rseq', 'PASS', 'pass'],
      ['misc/tst-rseq-disable', null, 'fail'],
      ['nptl/tst-rseq-nptl', null, 'fail'],
    ],
    'a test the build was asked to run and recorded nothing for fails',
  );
  t.equal(missing[1]?.reason, 'expected PASS, but the build recorded no outcome for misc/tst-rseq-disable');
  t.ok(
    judgeGlibcTests(planOf('upstream'), undefined).every((v) => v.verdict === 'fail' && v.outcome === null),
    'no outcomes at all',
  );
  t.same(judgeGlibcTests([], ALL_PASS), [], 'nothing planned, nothing judged');
  t.equal(glibcTestId({ glibc: 'g', variant: 'v', test: 'misc/tst-rseq' }), 'g/v/misc/tst-rseq');
});

t.test('failing verdicts: what a run counts for its exit status', async (t) => {
  const builds = [
    build('upstream', { ...ALL_PASS, 'misc/tst-rseq': 'FAIL' }),
    build('libc-tls-abi', { ...ALL_PASS, 'misc/tst-rseq': 'FAIL' }),
    { ...build('early-init', ALL_PASS), glibcTestVerdicts: undefined },
  ];
  t.same(
    failedTests(builds).map((v) => [v.id, v.reason]),
    [['glibc-2.36/upstream/misc/tst-rseq', 'expected PASS, got FAIL']],
  );
  t.same(failedTests([build('upstream', ALL_PASS)]), []);
});

t.test("the CLI's closing table shows every judged outcome and lists the mismatches", async (t) => {
  const r = cloneResults(small);
  t.notMatch(summaryTable(r), /glibc tests/, 'no judged test, no table');
  r.builds.push(
    build('upstream', { ...ALL_PASS, 'misc/tst-rseq': 'FAIL' }),
    build('libc-tls-abi', { ...ALL_PASS, 'misc/tst-rseq': 'FAIL' }),
  );
  const text = summaryTable(r);
  const lines = text.split('\n');
  const head = lines.findIndex((l) => /^glibc\/variant /.test(l));
  t.ok(head > 0, 'a table of judged tests');
  t.match(lines[head], /^glibc\/variant\s+misc\/tst-rseq\s+misc\/tst-rseq-disable\s+nptl\/tst-rseq-nptl$/);
  t.match(lines[head + 2], /^glibc-2\.36\/upstream\s+✗ FAIL \(expected PASS\)\s+✓ PASS\s+✓ PASS$/);
  t.match(lines[head + 3], /^glibc-2\.36\/libc-tls-abi\s+✓ FAIL\s+✓ PASS\s+✓ PASS$/);
  t.match(text, /\n6 glibc tests: 5 as expected, 1 not {2}\(✓ as expected ✗ not\)\n/);
  t.match(text, /\nFAIL glibc test glibc-2\.36\/upstream\/misc\/tst-rseq: expected PASS, got FAIL$/);
});

t.test('results.json: judged tests fit the schema, a wrong verdict is named', async (t) => {
  const r = cloneResults(small);
  r.builds.push(build('upstream', ALL_PASS), build('libc-tls-abi', ALL_PASS));
  t.equal(resultsProblem(JSON.parse(JSON.stringify(r))), undefined);
  const bad = JSON.parse(JSON.stringify(r)) as Results;
  (bad.builds[2]?.glibcTestVerdicts?.[1] as unknown as Record<string, unknown>).verdict = 'PASS';
  t.same(resultsProblem(bad), {
    path: ['builds', 2, 'glibcTestVerdicts', 1, 'verdict'],
    message: 'must be one of pass, fail, not "PASS"',
  });
  const noOutcome = JSON.parse(JSON.stringify(r)) as Results;
  (noOutcome.builds[3]?.glibcTestVerdicts?.[0] as unknown as Record<string, unknown>).expected = 'OK';
  t.match(resultsProblem(noOutcome), {
    path: ['builds', 3, 'glibcTestVerdicts', 0, 'expected'],
    message: /must be one of PASS, FAIL, UNSUPPORTED, XPASS, XFAIL, UNRESOLVED/,
  });
  const oldStyle = cloneResults(small);
  oldStyle.builds.push({ ...build('upstream', ALL_PASS), glibcTestVerdicts: undefined });
  delete oldStyle.builds[2]?.glibcTestVerdicts;
  t.equal(resultsProblem(JSON.parse(JSON.stringify(oldStyle))), undefined, 'glibcTests alone, as before');
});
