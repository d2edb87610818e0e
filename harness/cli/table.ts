/**
 * The summary table a run prints: one row per glibc/variant/link/scenario, one column per stage; then
 * glibc's own tests, judged, one row per build.
 */
import { rowId } from '../model/cell.js';
import type { CellResult, CellStatus, Results } from '../model/results.js';
import { judgedTests } from '../verdict/glibc-tests.js';

const SYMBOL: Record<CellStatus, string> = { pass: '✓', fail: '✗', error: '!', skip: '-' };

export function summaryTable(results: Results): string {
  const stages = [...new Set(results.cells.map((c) => c.stage))];
  const rows = new Map<string, Map<string, CellResult>>();
  for (const c of results.cells) {
    const key = rowId(c);
    const row = rows.get(key) ?? new Map<string, CellResult>();
    rows.set(key, row);
    row.set(c.stage, c);
  }
  const head = ['glibc/variant/link/scenario', ...stages];
  const body = [...rows].map(([k, row]) => [
    k,
    ...stages.map((s) => {
      const cell = row.get(s);
      return cell ? SYMBOL[cell.status] : ' ';
    }),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? '').length)));
  const fmt = (r: string[]) =>
    r
      .map((v, i) => v.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  const s = results.summary;
  const lines = [fmt(head), fmt(widths.map((w) => '-'.repeat(w))), ...body.map(fmt)];
  lines.push(
    '',
    `${s.total} cells: ${s.pass} pass, ${s.fail} fail, ${s.error} error, ${s.skip} skip  (✓ pass ✗ fail ! error - skip)`,
  );
  if (results.run.interrupted)
    lines.push(
      `interrupted by ${results.run.interrupted}: the ${s.total} cells above are all that was measured`,
    );
  const bad = results.cells.filter((c) => c.status === 'fail' || c.status === 'error');
  for (const c of bad.slice(0, 20)) lines.push(`${c.status.toUpperCase()} ${c.id}: ${c.reason ?? ''}`);
  if (bad.length > 20) lines.push(`... and ${bad.length - 20} more`);
  lines.push(...glibcTestsTable(results));
  return lines.join('\n');
}

/**
 * glibc's own tests, judged (BuildResult.glibcTestVerdicts): one row per build, one column per test,
 * each the outcome marked ✓ (as expected) or ✗ (not, with the expected one); then every mismatch.
 */
function glibcTestsTable(results: Results): string[] {
  const judged = results.builds.filter((b) => b.glibcTestVerdicts?.length);
  if (!judged.length) return [];
  const tests = [...new Set(judged.flatMap((b) => (b.glibcTestVerdicts ?? []).map((v) => v.test)))];
  const head = ['glibc/variant', ...tests];
  const body = judged.map((b) => [
    `${b.glibc}/${b.variant}`,
    ...tests.map((t) => {
      const v = b.glibcTestVerdicts?.find((x) => x.test === t);
      if (!v) return ' ';
      const outcome = v.outcome ?? 'none';
      return v.verdict === 'pass' ? `✓ ${outcome}` : `✗ ${outcome} (expected ${v.expected})`;
    }),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? '').length)));
  const fmt = (r: string[]) =>
    r
      .map((v, i) => v.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  const all = judgedTests(judged);
  const failed = all.filter((v) => v.verdict === 'fail');
  const out = [
    '',
    "glibc's own tests, judged against the matrix's expectTests:",
    fmt(head),
    fmt(widths.map((w) => '-'.repeat(w))),
    ...body.map(fmt),
    '',
    `${all.length} glibc tests: ${all.length - failed.length} as expected, ${failed.length} not  (✓ as expected ✗ not)`,
  ];
  for (const v of failed) out.push(`FAIL glibc test ${v.id}: ${v.reason ?? ''}`);
  return out;
}
