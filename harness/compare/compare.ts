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
 * `exitCodeFor` is 1 only when there is a NEW-FAIL.
 */
import type { CellResult, CellStatus, Results } from '../model/results.js';

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
  const order = new Map<Verdict, number>(VERDICTS.map((v, i) => [v, i]));
  changes.sort(
    (x, y) =>
      (order.get(x.verdict) ?? 0) - (order.get(y.verdict) ?? 0) || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0),
  );
  return {
    schemaVersion: COMPARISON_SCHEMA_VERSION,
    old: runRef(old),
    next: runRef(next),
    counts,
    changes,
    warnings,
  };
}

/** 1 when the comparison holds a NEW-FAIL (a regression), else 0. INFRA never fails the job. */
export function exitCodeFor(c: Comparison): 0 | 1 {
  return c.counts['NEW-FAIL'] > 0 ? 1 : 0;
}

/** Verdicts that a summary lists cell by cell (the unchanged ones are only counted). */
export const LISTED_VERDICTS: readonly Verdict[] = VERDICTS.filter((v) => !v.startsWith('UNCHANGED'));

function oneLine(s: string, max = 200): string {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

function transition(c: CellChange): string {
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
  out.push(
    '',
    exitCodeFor(c)
      ? `REGRESSION: ${c.counts['NEW-FAIL']} cell(s) fail that did not fail before`
      : 'no regression',
  );
  return `${out.join('\n')}\n`;
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
    `## rseq-matrix: ${bad ? `❌ ${c.counts['NEW-FAIL']} new failure(s)` : '✅ no new failures'}`,
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
  return `${out.join('\n')}\n`;
}

export function formatJson(c: Comparison): string {
  return `${JSON.stringify(c, null, 2)}\n`;
}
