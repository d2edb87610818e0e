/** The summary table a run prints: one row per glibc/variant/link/scenario, one column per stage. */
import { rowId } from '../model/cell.js';
import type { CellResult, CellStatus, Results } from '../model/results.js';

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
  return lines.join('\n');
}
