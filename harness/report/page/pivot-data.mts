// biome-ignore-all lint/style/useTemplate: the page script holds no backtick (test/unit/report.test.ts)
/**
 * The pivot's data: the cells of one stage counted under any two axes, one as rows and one as columns
 * (glibc x kernel at main, say), each pivot cell with its status mix and the observed states of the cells
 * under it. Pure: no DOM (pivot.mts draws it; test/unit/report-page.test.ts runs this in Node). It reads
 * every cell of the report, whatever the grid's filters: a pivot cell leads to its cells in the grid.
 */
import type { CellStatus } from '../../model/results.js';
import type { CellRef, Report } from './decode.mjs';

/** The axes a pivot can put on its rows or columns. */
export const PIVOT_AXES = ['glibc', 'variant', 'kernel', 'link', 'scenario', 'stage'] as const;
export type PivotAxis = (typeof PIVOT_AXES)[number];
/** The pivot's stage value that takes every stage (the hash's pstage=*). */
export const EVERY_STAGE = '*';

/** Statuses from the worst: a pivot cell is marked by the worst status under it. */
const WORST_FIRST: readonly CellStatus[] = ['fail', 'error', 'pass', 'skip'];

export interface PivotCell {
  rowValue: string;
  colValue: string;
  /** The cells under it, in the report's order. */
  cells: CellRef[];
  /** How many cells have each status (only the statuses present). */
  status: Partial<Record<CellStatus, number>>;
  /** The observed states (CellRef.ostate) present, with how many cells show each, in the report's order. */
  states: [state: string, count: number][];
  /** The worst status present (fail, error, pass, skip); null for an empty pivot cell. */
  worst: CellStatus | null;
}

export interface Pivot {
  rows: PivotAxis;
  cols: PivotAxis;
  /** The stage counted (EVERY_STAGE: every stage); ignored when rows or columns are the stage. */
  stage: string;
  rowValues: string[];
  colValues: string[];
  /** [row][column]. */
  cells: PivotCell[][];
}

export function isPivotAxis(s: string): s is PivotAxis {
  return (PIVOT_AXES as readonly string[]).indexOf(s) >= 0;
}

/** The cell's value on an axis. */
export function axisValue(c: CellRef, a: PivotAxis): string {
  return a === 'stage' ? c.stage : c.row[a];
}

/** The values of an axis the report holds, in the grid's order (rows, then the stage columns). */
export function axisValues(R: Report, a: PivotAxis): string[] {
  if (a === 'stage') return R.stages.slice();
  const seen: string[] = [];
  for (const r of R.rows) if (seen.indexOf(r[a]) < 0) seen.push(r[a]);
  return seen;
}

/**
 * The pivot a view asks for, its gaps and mistakes filled with defaults: rows glibc; columns the kernel
 * when the report has more than one, else the variant when it has more than one, else the link; the
 * stage main when there is one, else the first; two different axes.
 */
export function pivotChoice(
  R: Report,
  asked: { rows?: string; cols?: string; stage?: string },
): { rows: PivotAxis; cols: PivotAxis; stage: string } {
  const many = (a: PivotAxis) => axisValues(R, a).length > 1;
  const rows: PivotAxis = asked.rows && isPivotAxis(asked.rows) ? asked.rows : 'glibc';
  const preferred: PivotAxis[] = [
    ...(asked.cols && isPivotAxis(asked.cols) ? [asked.cols] : []),
    ...(['kernel', 'variant', 'link', 'scenario', 'glibc', 'stage'] as const).filter(many),
    'stage',
    'link',
  ];
  const cols = preferred.find((a) => a !== rows) as PivotAxis;
  const stage =
    asked.stage === EVERY_STAGE || (asked.stage && R.stages.indexOf(asked.stage) >= 0)
      ? asked.stage
      : R.stages.indexOf('main') >= 0
        ? 'main'
        : (R.stages[0] ?? EVERY_STAGE);
  return { rows, cols, stage };
}

/** The cells of the report under `rows` x `cols`, of one stage (or all: EVERY_STAGE). */
export function pivotOf(R: Report, rows: PivotAxis, cols: PivotAxis, stage: string): Pivot {
  const rowValues = axisValues(R, rows);
  const colValues = axisValues(R, cols);
  const ri = new Map(rowValues.map((v, i) => [v, i]));
  const ci = new Map(colValues.map((v, i) => [v, i]));
  const cells: PivotCell[][] = rowValues.map((rv) =>
    colValues.map((cv) => ({ rowValue: rv, colValue: cv, cells: [], status: {}, states: [], worst: null })),
  );
  const byStage = rows !== 'stage' && cols !== 'stage' && stage !== EVERY_STAGE;
  for (const c of R.cells) {
    if (byStage && c.stage !== stage) continue;
    const r = ri.get(axisValue(c, rows));
    const k = ci.get(axisValue(c, cols));
    const p = r === undefined || k === undefined ? undefined : cells[r]?.[k];
    if (!p) continue;
    p.cells.push(c);
    p.status[c.status] = (p.status[c.status] ?? 0) + 1;
    const s = p.states.find((x) => x[0] === c.ostate);
    if (s) s[1]++;
    else p.states.push([c.ostate, 1]);
  }
  const rank = new Map(R.vocab.observed.map((x, i) => [x[0], i]));
  const rankOf = (s: string) => rank.get(s) ?? rank.size;
  for (const row of cells)
    for (const p of row) {
      p.states.sort((a, b) => rankOf(a[0]) - rankOf(b[0]));
      p.worst = WORST_FIRST.find((s) => (p.status[s] ?? 0) > 0) ?? null;
    }
  return { rows, cols, stage, rowValues, colValues, cells };
}

/**
 * The grid filters that show a pivot cell's cells: its row value and column value, and the stage unless
 * one of the axes is the stage or the pivot counts every stage.
 */
export function pivotFilters(p: Pivot, cell: PivotCell): Partial<Record<PivotAxis, string[]>> {
  const out: Partial<Record<PivotAxis, string[]>> = {
    [p.rows]: [cell.rowValue],
    [p.cols]: [cell.colValue],
  };
  if (p.rows !== 'stage' && p.cols !== 'stage' && p.stage !== EVERY_STAGE) out.stage = [p.stage];
  return out;
}
