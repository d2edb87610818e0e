/**
 * Compares two runs cell by cell (cells are matched by `id`). Pure: no I/O.
 *
 * Verdicts, decided from the baseline status (old) and the status now (next), first match wins:
 *
 * | verdict        | when                                                                        |
 * |----------------|-----------------------------------------------------------------------------|
 * | INFRA          | the cell is `error` now: the harness or host broke, nothing was measured.   |
 * |                | Never a regression, whatever the baseline said (also for cells new now).    |
 * | REMOVED        | the cell is in the baseline only.                                           |
 * | NEW            | the cell is in this run only (pass, fail or skip: its status is kept).      |
 * |                | A new cell has nothing to regress from, so a failing new cell is NEW, not   |
 * |                | NEW-FAIL: a growing matrix must not break a nightly job. Look at its status.|
 * | NEW-FAIL       | fails now, and did not fail in the baseline: "passed before" is read as    |
 * |                | "was not known to fail": pass -> fail, but also error -> fail (the baseline |
 * |                | measured nothing) and skip -> fail (the cell was not measured before).      |
 * | STILL-FAIL     | fail -> fail.                                                               |
 * | FIXED          | fail -> pass, error -> pass.                                                |
 * | SKIP-CHANGED   | skip -> pass, or pass/fail/error -> skip: the cell's applicability changed. |
 * |                | (A fail that became a skip is listed here, so it cannot hide.)              |
 * | UNCHANGED-PASS | pass -> pass.                                                               |
 * | UNCHANGED-SKIP | skip -> skip.                                                               |
 *
 * glibc's own tests are compared the same way, judged test by judged test (BuildResult.glibcTestVerdicts,
 * matched by glibc/variant/test): a test whose verdict is `pass` counts as a passing cell, `fail` as a
 * failing one, and a test of a build that failed (status `error`) as an error. A test judged in one run
 * only is NEW or REMOVED, so a baseline that judged no tests (older, or without expectTests) regresses
 * nothing. Their verdicts are counted apart from the cells' (`testCounts`, `tests`).
 *
 * `exitCodeFor` is 1 only when there is a NEW-FAIL, of a cell or of a glibc test.
 */
import type { BuildResult, CellResult, CellStatus, Results } from '../model/results.js';
import { glibcTestId } from '../verdict/glibc-tests.js';

export const COMPARISON_SCHEMA_VERSION = 1;

/** In the order reports list them: what needs a reviewer first. */
export const VERDICTS = [
  'NEW-FAIL',
  'FIXED',
  'STILL-FAIL',
  'NEW',
  'REMOVED',
  'INFRA',
  'SKIP-CHANGED',
  'UNCHANGED-PASS',
  'UNCHANGED-SKIP',
] as const;
export type Verdict = (typeof VERDICTS)[number];

export const VERDICT_HELP: Record<Verdict, string> = {
  'NEW-FAIL': 'fails now, did not fail in the baseline',
  FIXED: 'failed or errored in the baseline, passes now',
  'STILL-FAIL': 'failed in both runs',
  NEW: 'not in the baseline',
  REMOVED: 'in the baseline only',
  INFRA: 'harness or host error now: not a regression',
  'SKIP-CHANGED': 'skipped in one run only',
  'UNCHANGED-PASS': 'passed in both runs',
  'UNCHANGED-SKIP': 'skipped in both runs',
};

export interface CellChange {
  id: string;
  verdict: Verdict;
  /** Status in the baseline; null: not in the baseline. */
  before: CellStatus | null;
  /** Status now; null: not in this run. */
  after: CellStatus | null;
  /** The reason of the newer side that has one (now, else the baseline's). */
  reason?: string;
}

/** One glibc test of one build across the two runs. */
export interface TestChange {
  /** glibc/variant/test, e.g. glibc-2.36/upstream/misc/tst-rseq. */
  id: string;
  verdict: Verdict;
  /** The judged test's verdict (pass/fail), `error` when its build failed; null: not judged in that run. */
  before: CellStatus | null;
  after: CellStatus | null;
  /** The outcomes glibc reported (PASS, FAIL, ...), null where there was none. */
  outcomeBefore: string | null;
  outcomeAfter: string | null;
  /** The outcome expected now (else in the baseline). */
  expected?: string;
  /** The reason of the newer side that has one. */
  reason?: string;
}

export interface RunRef {
  id: string;
  matrix: string;
  digest: string;
  startedAt: string;
  complete: boolean;
  cells: number;
}

export interface Comparison {
  schemaVersion: number;
  old: RunRef;
  next: RunRef;
  counts: Record<Verdict, number>;
  /** Every cell of both runs, in VERDICTS order, then by id. */
  changes: CellChange[];
  /** The glibc tests' verdicts, counted apart from the cells'. */
  testCounts: Record<Verdict, number>;
  /** Every judged glibc test of both runs, in VERDICTS order, then by id. */
  tests: TestChange[];
  /** Things that make the comparison less trustworthy (other matrix, interrupted run, duplicate ids). */
  warnings: string[];
}

export function verdictFor(before: CellStatus | null, after: CellStatus | null): Verdict {
  if (after === 'error') return 'INFRA';
  if (after === null) return 'REMOVED';
  if (before === null) return 'NEW';
  if (after === 'fail') return before === 'fail' ? 'STILL-FAIL' : 'NEW-FAIL';
  if (after === 'pass') {
    if (before === 'pass') return 'UNCHANGED-PASS';
    if (before === 'skip') return 'SKIP-CHANGED';
    return 'FIXED';
  }
  // after === 'skip'
  return before === 'skip' ? 'UNCHANGED-SKIP' : 'SKIP-CHANGED';
}

function runRef(r: Results): RunRef {
  return {
    id: r.run.id,
    matrix: r.run.matrix.name,
    digest: r.run.matrix.digest,
    startedAt: r.run.startedAt,
    complete: r.run.complete,
    cells: r.cells.length,
  };
}

function byId(r: Results, label: string, warnings: string[]): Map<string, CellResult> {
  const m = new Map<string, CellResult>();
  let dups = 0;
  for (const c of r.cells) {
    if (m.has(c.id)) dups++;
    m.set(c.id, c);
  }
  if (dups) warnings.push(`${label} run has ${dups} duplicate cell id(s); the last of each was used`);
  return m;
}

function emptyCounts(): Record<Verdict, number> {
  return Object.fromEntries(VERDICTS.map((v) => [v, 0])) as Record<Verdict, number>;
}

export function compareRuns(old: Results, next: Results): Comparison {
  const warnings: string[] = [];
  if (old.run.matrix.name !== next.run.matrix.name)
    warnings.push(`different matrices: baseline "${old.run.matrix.name}", now "${next.run.matrix.name}"`);
  else if (old.run.matrix.digest !== next.run.matrix.digest)
    warnings.push('the matrix file changed between the runs (digest differs): expectations may differ');
  if (!next.run.complete)
    warnings.push(
      `this run is incomplete (${next.run.interrupted ?? 'interrupted'}): cells it did not reach are REMOVED`,
    );
  if (!old.run.complete)
    warnings.push(
      `the baseline is incomplete (${old.run.interrupted ?? 'interrupted'}): cells it lacks are NEW`,
    );
  if (old.run.filter !== next.run.filter)
    warnings.push(
      `different cell filters: baseline ${old.run.filter ?? 'none'}, now ${next.run.filter ?? 'none'}`,
    );

  const a = byId(old, 'the baseline', warnings);
  const b = byId(next, 'this', warnings);
  const changes: CellChange[] = [];
  const counts = emptyCounts();
  const ids = new Set<string>([...a.keys(), ...b.keys()]);
  for (const id of ids) {
    const o = a.get(id);
    const n = b.get(id);
    const verdict = verdictFor(o?.status ?? null, n?.status ?? null);
    const ch: CellChange = { id, verdict, before: o?.status ?? null, after: n?.status ?? null };
    const reason = n ? n.reason : o?.reason;
    if (reason) ch.reason = reason;
    changes.push(ch);
    counts[verdict]++;
  }
  const { tests, testCounts } = compareTests(old.builds, next.builds);
  changes.sort(byVerdictThenId);
  return {
    schemaVersion: COMPARISON_SCHEMA_VERSION,
    old: runRef(old),
    next: runRef(next),
    counts,
    changes,
    testCounts,
    tests,
    warnings,
  };
}

const VERDICT_ORDER = new Map<Verdict, number>(VERDICTS.map((v, i) => [v, i]));
function byVerdictThenId(x: { verdict: Verdict; id: string }, y: { verdict: Verdict; id: string }): number {
  return (
    (VERDICT_ORDER.get(x.verdict) ?? 0) - (VERDICT_ORDER.get(y.verdict) ?? 0) ||
    (x.id < y.id ? -1 : x.id > y.id ? 1 : 0)
  );
}

interface TestSide {
  status: CellStatus;
  outcome: string | null;
  expected?: string;
  reason?: string;
}

/** Each judged test of a run by id; every test a failed build judged in the other run is an error here. */
function testsById(builds: readonly BuildResult[]): {
  judged: Map<string, TestSide>;
  failedBuilds: Map<string, string>;
} {
  const judged = new Map<string, TestSide>();
  const failedBuilds = new Map<string, string>();
  for (const b of builds) {
    if (b.status === 'error') failedBuilds.set(`${b.glibc}/${b.variant}`, b.reason ?? 'the build failed');
    for (const v of b.glibcTestVerdicts ?? [])
      judged.set(glibcTestId({ glibc: b.glibc, variant: b.variant, test: v.test }), {
        status: v.verdict,
        outcome: v.outcome,
        expected: v.expected,
        ...(v.reason ? { reason: v.reason } : {}),
      });
  }
  return { judged, failedBuilds };
}

function compareTests(
  oldBuilds: readonly BuildResult[],
  nextBuilds: readonly BuildResult[],
): { tests: TestChange[]; testCounts: Record<Verdict, number> } {
  const a = testsById(oldBuilds);
  const b = testsById(nextBuilds);
  const testCounts = emptyCounts();
  const tests: TestChange[] = [];
  // A test judged in one run whose build failed in the other: an error there, not an absence.
  const side = (run: typeof a, id: string): TestSide | undefined => {
    const j = run.judged.get(id);
    if (j) return j;
    const failed = run.failedBuilds.get(id.split('/').slice(0, 2).join('/'));
    return failed === undefined ? undefined : { status: 'error', outcome: null, reason: failed };
  };
  for (const id of new Set([...a.judged.keys(), ...b.judged.keys()])) {
    const o = side(a, id);
    const n = side(b, id);
    const verdict = verdictFor(o?.status ?? null, n?.status ?? null);
    const ch: TestChange = {
      id,
      verdict,
      before: o?.status ?? null,
      after: n?.status ?? null,
      outcomeBefore: o?.outcome ?? null,
      outcomeAfter: n?.outcome ?? null,
    };
    const expected = n?.expected ?? o?.expected;
    if (expected) ch.expected = expected;
    const reason = n ? n.reason : o?.reason;
    if (reason) ch.reason = reason;
    tests.push(ch);
    testCounts[verdict]++;
  }
  tests.sort(byVerdictThenId);
  return { tests, testCounts };
}

/** 1 when the comparison holds a NEW-FAIL (a regression: a cell or a glibc test), else 0. INFRA never fails the job. */
export function exitCodeFor(c: Comparison): 0 | 1 {
  return c.counts['NEW-FAIL'] + newTestFails(c) > 0 ? 1 : 0;
}

/** NEW-FAILs among the glibc tests (0 for a comparison written before they were compared). */
function newTestFails(c: Comparison): number {
  return c.testCounts?.['NEW-FAIL'] ?? 0;
}

/** Verdicts that a summary lists cell by cell (the unchanged ones are only counted). */
export const LISTED_VERDICTS: readonly Verdict[] = VERDICTS.filter((v) => !v.startsWith('UNCHANGED'));

function oneLine(s: string, max = 200): string {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

function transition(c: CellChange | TestChange): string {
  return `${c.before ?? '-'} -> ${c.after ?? '-'}`;
}

function group(c: Comparison, v: Verdict): CellChange[] {
  return c.changes.filter((x) => x.verdict === v);
}

export interface FormatOptions {
  /** Cells listed per verdict at most (default 50 for text, 30 for markdown). */
  maxPerVerdict?: number;
}

export function formatText(c: Comparison, opts: FormatOptions = {}): string {
  const max = opts.maxPerVerdict ?? 50;
  const out: string[] = [];
  out.push(
    `Comparing ${c.old.id} (baseline, ${c.old.cells} cells) with ${c.next.id} (${c.next.cells} cells)`,
  );
  for (const w of c.warnings) out.push(`warning: ${w}`);
  out.push(
    VERDICTS.filter((v) => c.counts[v] > 0)
      .map((v) => `${v} ${c.counts[v]}`)
      .join(', ') || 'no cells in either run',
  );
  for (const v of LISTED_VERDICTS) {
    const g = group(c, v);
    if (!g.length) continue;
    out.push('', `${v} (${g.length}): ${VERDICT_HELP[v]}`);
    for (const x of g.slice(0, max))
      out.push(`  ${x.id}  ${transition(x)}${x.reason ? `  ${oneLine(x.reason)}` : ''}`);
    if (g.length > max) out.push(`  ... and ${g.length - max} more`);
  }
  if (c.tests?.length) {
    out.push(
      '',
      `glibc tests: ${VERDICTS.filter((v) => c.testCounts[v] > 0)
        .map((v) => `${v} ${c.testCounts[v]}`)
        .join(', ')}`,
    );
    for (const v of LISTED_VERDICTS) {
      const g = c.tests.filter((x) => x.verdict === v);
      if (!g.length) continue;
      out.push('', `glibc tests ${v} (${g.length}): ${VERDICT_HELP[v]}`);
      for (const x of g.slice(0, max))
        out.push(
          `  ${x.id}  ${transition(x)}  ${testOutcomes(x)}${x.reason ? `  ${oneLine(x.reason)}` : ''}`,
        );
      if (g.length > max) out.push(`  ... and ${g.length - max} more`);
    }
  }
  out.push(
    '',
    exitCodeFor(c) ? `REGRESSION: ${regressions(c)} fail that did not fail before` : 'no regression',
  );
  return `${out.join('\n')}\n`;
}

/** "1 cell(s)", "2 glibc test(s)", or both joined: what regressed. */
function regressions(c: Comparison): string {
  const parts: string[] = [];
  if (c.counts['NEW-FAIL']) parts.push(`${c.counts['NEW-FAIL']} cell(s)`);
  if (newTestFails(c)) parts.push(`${newTestFails(c)} glibc test(s)`);
  return parts.join(' and ');
}

/** The outcomes glibc reported in both runs and the one expected, e.g. "PASS -> FAIL, expected PASS". */
function testOutcomes(x: TestChange): string {
  return `${x.outcomeBefore ?? '-'} -> ${x.outcomeAfter ?? '-'}${x.expected ? `, expected ${x.expected}` : ''}`;
}

/** Escapes text for a GitHub-flavoured markdown table cell or list item (no HTML, no links). */
function mdEscape(s: string): string {
  return oneLine(s)
    .replace(/[\\`*_{}[\]()#+!|<>~]/g, (ch) => `\\${ch}`)
    .replace(/&/g, '&amp;');
}

function mdCode(s: string): string {
  // In a GFM table a pipe splits the cell even inside a code span, unless escaped.
  const t = oneLine(s).replace(/`/g, "'").replace(/\|/g, '\\|');
  return `\`${t}\``;
}

/** Markdown for a CI job summary (e.g. $GITHUB_STEP_SUMMARY): counts first, then the cells to look at. */
export function formatMarkdown(c: Comparison, opts: FormatOptions = {}): string {
  const max = opts.maxPerVerdict ?? 30;
  const out: string[] = [];
  const bad = exitCodeFor(c) === 1;
  out.push(
    `## rseq-matrix: ${bad ? `❌ ${c.counts['NEW-FAIL'] + newTestFails(c)} new failure(s)` : '✅ no new failures'}`,
    '',
    `Baseline ${mdCode(c.old.id)} (${c.old.cells} cells) → this run ${mdCode(c.next.id)} (${c.next.cells} cells), matrix ${mdCode(c.next.matrix)}.`,
    '',
  );
  for (const w of c.warnings) out.push(`> ⚠️ ${mdEscape(w)}`, '');
  out.push('| verdict | cells | meaning |', '|---|---:|---|');
  for (const v of VERDICTS) out.push(`| ${v} | ${c.counts[v]} | ${VERDICT_HELP[v]} |`);
  out.push('');
  for (const v of LISTED_VERDICTS) {
    const g = group(c, v);
    if (!g.length) continue;
    const open = v === 'NEW-FAIL' || v === 'INFRA' ? ' open' : '';
    out.push(`<details${open}><summary><b>${v}</b> (${g.length})</summary>`, '');
    out.push('| cell | before → now | reason |', '|---|---|---|');
    for (const x of g.slice(0, max))
      out.push(
        `| ${mdCode(x.id)} | ${x.before ?? '–'} → ${x.after ?? '–'} | ${x.reason ? mdEscape(x.reason) : ''} |`,
      );
    if (g.length > max) out.push('', `… and ${g.length - max} more (see the JSON comparison).`);
    out.push('', '</details>', '');
  }
  if (c.tests?.length) {
    out.push("### glibc's own tests", '', '| verdict | tests | meaning |', '|---|---:|---|');
    for (const v of VERDICTS)
      if (c.testCounts[v]) out.push(`| ${v} | ${c.testCounts[v]} | ${VERDICT_HELP[v]} |`);
    out.push('');
    const listed = c.tests.filter((x) => LISTED_VERDICTS.includes(x.verdict));
    if (listed.length) {
      out.push('| test | verdict | before → now | outcome before → now | expected | reason |');
      out.push('|---|---|---|---|---|---|');
      for (const x of listed.slice(0, max))
        out.push(
          `| ${mdCode(x.id)} | ${x.verdict} | ${x.before ?? '–'} → ${x.after ?? '–'} | ${x.outcomeBefore ?? '–'} → ${x.outcomeAfter ?? '–'} | ${x.expected ?? ''} | ${x.reason ? mdEscape(x.reason) : ''} |`,
        );
      if (listed.length > max) out.push('', `… and ${listed.length - max} more (see the JSON comparison).`);
      out.push('');
    }
  }
  return `${out.join('\n')}\n`;
}

export function formatJson(c: Comparison): string {
  return `${JSON.stringify(c, null, 2)}\n`;
}
