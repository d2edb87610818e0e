// biome-ignore-all lint/style/useTemplate: the page script holds no backtick (test/unit/report.test.ts)
/**
 * The pivot view: any two axes as rows and columns (glibc x kernel, say) for one stage, each pivot cell
 * showing the status mix and the observed states of the cells under it (pivot-data.mts counts them).
 * A pivot cell is a button: it sets the grid's filters to its cells and scrolls to them. The view's
 * choices live in the URL hash (prow, pcol, pstage: state.mts); listeners only, no inline handlers.
 */
import { clear, h, num, plural } from './dom.mjs';
import { LABEL, ORDER, OSYM, obsClass, observedHelp, SYM } from './look.mjs';
import {
  EVERY_STAGE,
  PIVOT_AXES,
  type Pivot,
  type PivotCell,
  pivotChoice,
  pivotFilters,
  pivotOf,
} from './pivot-data.mjs';
import { F, R, refresh, resetF, writeHash } from './state.mjs';

let tableBox: HTMLDivElement;
const selects: { rows?: HTMLSelectElement; cols?: HTMLSelectElement; stage?: HTMLSelectElement } = {};
/** The pivot drawn last, for the clicks on its cells. */
let shown: Pivot | null = null;
/** The choice drawn last: the pivot ignores the filters, so only a new choice draws it again. */
let drawn = '';

function axisSelect(id: string, label: string, onPick: (v: string) => void): HTMLSelectElement {
  const s = h('select', 'sel');
  s.id = id;
  s.setAttribute('aria-label', label);
  for (const a of PIVOT_AXES) {
    const o = h('option', null, a);
    o.value = a;
    s.appendChild(o);
  }
  s.addEventListener('change', () => onPick(s.value));
  return s;
}

function stageSelect(): HTMLSelectElement {
  const s = h('select', 'sel');
  s.id = 'p-stage';
  s.setAttribute('aria-label', 'Pivot stage');
  const all = h('option', null, 'every stage');
  all.value = EVERY_STAGE;
  s.appendChild(all);
  for (const st of R.stages) {
    const o = h('option', null, st);
    o.value = st;
    const help = R.stageHelp.get(st);
    if (help) o.title = help;
    s.appendChild(o);
  }
  s.addEventListener('change', () => {
    F.pstage = s.value;
    renderPivot();
    writeHash();
  });
  return s;
}

/** The pivot section: its controls and its table (drawn by renderPivot). */
export function pivotSection(): HTMLElement {
  const sec = h('section', 'pivotsec');
  sec.id = 'pivot';
  sec.appendChild(
    h('div', 'sechead', [
      h('h2', null, 'Pivot'),
      h(
        'span',
        'pvhint',
        'every cell of the run, whatever the filters; a cell leads to its cells in the grid',
      ),
    ]),
  );
  // Rows and columns on one axis would say nothing: picking the other side's axis swaps the two.
  selects.rows = axisSelect('p-rows', 'Pivot rows', (v) => {
    const now = pivotChoice(R, { rows: F.prow, cols: F.pcol });
    F.prow = v;
    if (v === now.cols) F.pcol = now.rows;
    renderPivot();
    writeHash();
  });
  selects.cols = axisSelect('p-cols', 'Pivot columns', (v) => {
    const now = pivotChoice(R, { rows: F.prow, cols: F.pcol });
    F.pcol = v;
    if (v === now.rows) F.prow = now.cols;
    renderPivot();
    writeHash();
  });
  selects.stage = stageSelect();
  sec.appendChild(
    h('div', 'pivotctl', [
      h('label', 'fl', [h('span', 'fname', 'Rows'), selects.rows]),
      h('label', 'fl', [h('span', 'fname', 'Columns'), selects.cols]),
      h('label', 'fl', [h('span', 'fname', 'Stage'), selects.stage]),
    ]),
  );
  tableBox = h('div', 'pivotwrap');
  tableBox.addEventListener('click', (ev) => {
    const b = ev.target instanceof Element ? ev.target.closest('button.pv') : null;
    const r = b ? Number(b.getAttribute('data-r')) : -1;
    const k = b ? Number(b.getAttribute('data-c')) : -1;
    const p = shown;
    const cell = p && r >= 0 && k >= 0 ? p.cells[r]?.[k] : undefined;
    if (!p || !cell?.cells.length) return;
    resetF();
    const want = pivotFilters(p, cell);
    for (const a of PIVOT_AXES) F[a] = want[a] ?? [];
    refresh(true);
  });
  sec.appendChild(tableBox);
  return sec;
}

function describe(p: Pivot, c: PivotCell): string {
  const where = p.rows + ' ' + c.rowValue + ', ' + p.cols + ' ' + c.colValue;
  const stage =
    p.rows === 'stage' || p.cols === 'stage' ? '' : p.stage === EVERY_STAGE ? '' : ', stage ' + p.stage;
  if (!c.cells.length) return where + stage + ': no cell';
  const mix = ORDER.filter((s) => c.status[s]).map((s) => LABEL[s].toLowerCase() + ' ' + c.status[s]);
  const states = c.states.map((x) => x[0] + ' ' + x[1]);
  return (
    where +
    stage +
    ': ' +
    plural(c.cells.length, 'cell') +
    '; ' +
    mix.join(', ') +
    '; observed ' +
    states.join(', ')
  );
}

function pivotButton(p: Pivot, c: PivotCell, r: number, k: number): HTMLElement {
  if (!c.cells.length) return h('span', 'pvnone', '\u2013');
  const mix = h('span', 'pvmix');
  for (const s of ORDER) {
    const n = c.status[s];
    if (n) mix.appendChild(h('span', 'pvn ' + s, SYM[s] + '\u2009' + num(n)));
  }
  const states = h('span', 'pvstates');
  for (const [st, n] of c.states) {
    const cls = obsClass(st);
    const e = h('span', 'pvo o-' + cls, OSYM[cls] + '\u2009' + (st === 'none' ? 'none' : st) + ' ' + num(n));
    const help = observedHelp(st);
    if (help) e.title = help;
    states.appendChild(e);
  }
  const b = h('button', 'pv ' + (c.worst ?? 'skip'), [mix, states]);
  b.type = 'button';
  b.setAttribute('data-r', String(r));
  b.setAttribute('data-c', String(k));
  const text = describe(p, c);
  b.title = text + '\nShow these cells in the grid';
  b.setAttribute('aria-label', text);
  return b;
}

/** Draws the pivot the hash asks for (or its defaults) and shows the choice in the controls. */
export function renderPivot(): void {
  if (!tableBox) return;
  const choice = pivotChoice(R, { rows: F.prow, cols: F.pcol, stage: F.pstage });
  if (selects.rows) selects.rows.value = choice.rows;
  if (selects.cols) selects.cols.value = choice.cols;
  if (selects.stage) {
    selects.stage.value = choice.stage;
    selects.stage.disabled = choice.rows === 'stage' || choice.cols === 'stage';
  }
  const key = choice.rows + '\n' + choice.cols + '\n' + choice.stage;
  if (key === drawn) return;
  drawn = key;
  const p = pivotOf(R, choice.rows, choice.cols, choice.stage);
  shown = p;
  const table = h('table', 'pivot');
  table.id = 'pivot-table';
  table.setAttribute('data-rows', p.rows);
  table.setAttribute('data-cols', p.cols);
  table.setAttribute('data-stage', p.stage);
  const corner = h('th', 'pvcorner', p.rows + ' \u2193 / ' + p.cols + ' \u2192');
  const head = h('tr', null, corner);
  for (const v of p.colValues) head.appendChild(h('th', 'pvcol', v));
  table.appendChild(h('thead', null, head));
  const body = h('tbody');
  p.rowValues.forEach((rv, r) => {
    const tr = h('tr', null, h('th', 'pvrow', rv));
    p.colValues.forEach((_cv, k) => {
      const c = p.cells[r]?.[k];
      tr.appendChild(h('td', null, c ? pivotButton(p, c, r, k) : null));
    });
    body.appendChild(tr);
  });
  table.appendChild(body);
  clear(tableBox).appendChild(table);
}
