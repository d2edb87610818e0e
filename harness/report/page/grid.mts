// biome-ignore-all lint/style/useTemplate: the page script holds no backtick (test/unit/report.test.ts)
/**
 * The matrix: the grid of cells (rows glibc x variant x kernel x link x scenario, the kernel only when a
 * run has another than the host's; columns stages), its legends and counts, and apply(), which shows the
 * cells the filters keep.
 *
 * Rows are flex rows of fixed-width cells (not a <table>): with content-visibility the browser lays out
 * and paints only the rows near the view, so 10,000 cells stay fast to show and to filter.
 */
import { type CellRef, fullCell, inconsistencyOf, reasonOf } from './decode.mjs';
import { add, clear, div, h, num, plural } from './dom.mjs';
import { filters } from './filters.mjs';
import {
  INC_SYM,
  isListed,
  LABEL,
  ORDER,
  OSYM,
  obsClass,
  observedHelp,
  observedStates,
  SYM,
} from './look.mjs';
import { actions, F, filtering, R, type Show } from './state.mjs';

interface RowEls {
  tr: HTMLDivElement;
  labs: HTMLDivElement[];
  tds: HTMLDivElement[];
}
const rowEls: RowEls[] = [];
/** The grid cell of each cell, by cell index. */
const tds: HTMLDivElement[] = [];
const colHeads: HTMLDivElement[] = [];
let table: HTMLDivElement;
let countEl: HTMLSpanElement;
let emptyEl: HTMLParagraphElement;
/** What the cells show now (set again only when the view changes). */
let shownView: Show | null = null;
let focused: CellRef | null = null;
let selTd: HTMLDivElement | null = null;
/** Lower-case text the search looks in, by cell index (made when first searched). */
const texts: (string | undefined)[] = [];

export function tdOf(c: CellRef): HTMLDivElement | undefined {
  return tds[c.i];
}

/** Is the cell's row shown (some cell of it passes the filters)? */
export function rowShown(c: CellRef): boolean {
  return !rowEls[c.row.i]?.tr.hidden;
}

/** Does the cell pass the filters (shown, not dimmed)? */
export function cellShown(c: CellRef): boolean {
  const td = tds[c.i];
  return !!td && !td.classList.contains('dim') && !td.hidden && rowShown(c);
}

function searchText(c: CellRef): string {
  let t = texts[c.i];
  if (t === undefined) {
    const f = fullCell(R, c).cell;
    t = [
      c.id,
      c.status,
      'observed ' + c.ostate,
      f.reason ?? '',
      f.expected.why,
      f.observed.inconsistency || '',
      f.buildKey,
      f.patches.join(' '),
      c.change ? c.change.verdict : '',
    ]
      .join('\n')
      .toLowerCase();
    texts[c.i] = t;
  }
  return t;
}

function titleOf(c: CellRef): string {
  const r = reasonOf(R, c);
  const help = observedHelp(c.ostate);
  const lines = [
    c.id,
    'Verdict: ' + LABEL[c.status] + (r ? ': ' + r : ''),
    'Observed: ' + c.ostate + (help ? ' (' + help + ')' : ''),
  ];
  if (c.inc) {
    const why = inconsistencyOf(R, c);
    lines.push(INC_SYM + ' Observers disagree' + (why ? ': ' + why : ''));
  }
  if (c.change && isListed(c.change.verdict)) lines.push(c.change.verdict);
  return lines.join('\n');
}

function ariaOf(c: CellRef, observed: boolean): string {
  const v = observed
    ? 'Observed ' + c.ostate + ', verdict ' + LABEL[c.status]
    : LABEL[c.status] + ', observed ' + c.ostate;
  return v + (c.inc ? ', observers disagree' : '');
}

const cellAt = (td: EventTarget | null): CellRef | undefined => {
  const i = td instanceof HTMLElement ? td.getAttribute('data-i') : null;
  return i === null ? undefined : R.cells[Number(i)];
};

function buildGrid(): HTMLDivElement {
  const NS = R.stages.length;
  table = div('grid', 'grid');
  table.id = 'grid';
  const axes = R.rowAxes;
  table.setAttribute(
    'aria-label',
    'Cells: rows are ' +
      axes.slice(0, -1).join(', ') +
      ' and ' +
      axes[axes.length - 1] +
      '; columns are stages',
  );
  table.setAttribute('aria-rowcount', String(R.rows.length + 1));
  // Label columns as wide as their longest value (monospace: 1ch per character).
  axes.forEach((a, k) => {
    let w = a.length;
    for (const r of R.rows) if (r[a].length > w) w = r[a].length;
    table.style.setProperty('--w' + k, Math.min(w, 48) + 2 + 'ch');
  });
  // The cells start with what the view shows (readHash ran), so paintView has nothing to do at first.
  const obsView = F.show === 'observed';
  shownView = F.show;
  if (obsView) table.classList.add('obsview');
  const head = div('grow ghead', 'row');
  // The heading text sits in a span: the label keeps the rows' font, so its width in ch matches theirs.
  axes.forEach((a, k) => {
    head.appendChild(add(div('lab head a' + k, 'columnheader'), h('span', null, a)));
  });
  for (const st of R.stages) {
    const th = div('stage', 'columnheader');
    th.appendChild(h('span', null, st));
    const help = R.stageHelp.get(st);
    th.title = st + (help ? ': ' + help : '');
    colHeads.push(th);
    head.appendChild(th);
  }
  table.appendChild(head);
  const body = div('gbody', 'rowgroup');
  const frag = document.createDocumentFragment();
  for (const row of R.rows) {
    const tr = div('grow', 'row');
    const labs: HTMLDivElement[] = [];
    axes.forEach((a, k) => {
      const th = div('lab a' + k, 'rowheader');
      th.textContent = row[a];
      const help = a === 'scenario' ? R.scenarioHelp.get(row.scenario) : undefined;
      if (help) th.title = help;
      labs.push(th);
      tr.appendChild(th);
    });
    const rowTds: HTMLDivElement[] = [];
    for (let col = 0; col < NS; col++) {
      const ci = R.grid[row.i * NS + col] ?? -1;
      const c = ci >= 0 ? R.cells[ci] : undefined;
      let td: HTMLDivElement;
      if (!c) td = div('none', 'gridcell');
      else {
        td = div('c ' + c.status, 'gridcell');
        td.textContent = obsView ? (OSYM[obsClass(c.ostate)] ?? '') : SYM[c.status];
        td.setAttribute('aria-label', ariaOf(c, obsView));
        td.setAttribute('data-i', String(ci));
        td.tabIndex = -1;
        // Cells that need a second look carry their title from the start; the others get it on hover.
        if (c.inc || c.status === 'fail' || c.status === 'error') td.title = titleOf(c);
        tds[ci] = td;
      }
      rowTds.push(td);
      tr.appendChild(td);
    }
    rowEls.push({ tr, labs, tds: rowTds });
    frag.appendChild(tr);
  }
  body.appendChild(frag);
  table.appendChild(body);
  const first = R.cells[0] ? tds[0] : undefined;
  if (first) first.tabIndex = 0;

  table.addEventListener('click', (ev) => {
    const td = ev.target instanceof Element ? ev.target.closest('.c[data-i]') : null;
    const c = cellAt(td);
    if (c) actions.openCell(c.id);
  });
  table.addEventListener('mouseover', (ev) => {
    const td = ev.target;
    if (!(td instanceof HTMLElement) || td.title) return;
    const c = cellAt(td);
    if (c) td.title = titleOf(c);
  });
  table.addEventListener('keydown', (ev) => {
    const c = cellAt(ev.target);
    if (!c) return;
    if (ev.key === 'Enter' || ev.key === ' ') {
      ev.preventDefault();
      actions.openCell(c.id);
      return;
    }
    const moves: Record<string, [number, number]> = {
      ArrowLeft: [0, -1],
      ArrowRight: [0, 1],
      ArrowUp: [-1, 0],
      ArrowDown: [1, 0],
    };
    const d = moves[ev.key];
    if (!d) return;
    ev.preventDefault();
    let r = c.row.i;
    let k = c.col;
    for (let step = 0; step < R.rows.length + NS; step++) {
      r += d[0];
      k += d[1];
      if (r < 0 || r >= R.rows.length || k < 0 || k >= NS) return;
      const n = R.grid[r * NS + k] ?? -1;
      const next = n >= 0 ? R.cells[n] : undefined;
      if (next && !rowEls[r]?.tr.hidden && !rowEls[r]?.tds[k]?.hidden) {
        focusCell(next);
        return;
      }
    }
  });
  return table;
}

/** Makes the cell the one the grid's keyboard focus starts from; focuses it too unless only marking. */
export function focusCell(c: CellRef, move = true): void {
  if (focused) {
    const old = tds[focused.i];
    if (old) old.tabIndex = -1;
  }
  focused = c;
  const td = tds[c.i];
  if (!td) return;
  td.tabIndex = 0;
  if (move) td.focus();
}

/** Marks the open cell in the grid. */
export function markSelected(): void {
  selTd?.classList.remove('sel');
  const c = R.byId.get(F.cell);
  selTd = c ? (tds[c.i] ?? null) : null;
  selTd?.classList.add('sel');
}

// Two legends, one per view; the counts are of the cells shown.
let legendV: HTMLDivElement;
let legendO: HTMLDivElement;
const legendN = new Map<string, HTMLSpanElement[]>();

function countSpan(key: string): HTMLSpanElement {
  const e = h('span', 'ln', '');
  const list = legendN.get(key);
  if (list) list.push(e);
  else legendN.set(key, [e]);
  return e;
}

function legendItem(sw: HTMLElement, label: string, key?: string, title?: string): HTMLSpanElement {
  const li = h('span', 'li', [sw, ' ' + label, key ? countSpan(key) : null]);
  if (title) li.title = title;
  return li;
}

function legend(): HTMLDivElement {
  legendV = h('div', 'legend');
  for (const st of ORDER)
    legendV.appendChild(legendItem(h('span', 'c ' + st + ' sw', SYM[st]), LABEL[st], st));
  const incItem = () =>
    legendItem(
      h('span', 'c blank inc sw', ''),
      'observers disagree',
      'inc',
      'observed.consistent is false: hover the cell for why',
    );
  legendV.appendChild(incItem());
  legendV.appendChild(legendItem(h('span', 'c pass dim sw', SYM.pass), 'filtered out'));
  legendV.appendChild(legendItem(h('span', 'none sw', ''), 'not in the matrix'));
  legendO = h('div', 'legend obsview');
  for (const st of observedStates()) {
    const sw = h('span', 'c o-' + obsClass(st) + ' sw', OSYM[obsClass(st)]);
    legendO.appendChild(legendItem(sw, st === 'none' ? 'none / skip' : st, 'o-' + st, observedHelp(st)));
  }
  legendO.appendChild(
    legendItem(
      h('span', 'c fail o-blank sw', ''),
      'verdict fail',
      'fail',
      'red frame and corner: the observation did not match the expectation',
    ),
  );
  legendO.appendChild(
    legendItem(
      h('span', 'c error o-blank sw', ''),
      'verdict error',
      'error',
      'dashed frame and corner: no trustworthy observation',
    ),
  );
  legendO.appendChild(incItem());
  legendO.hidden = true;
  return h('div', 'legends', [legendV, legendO]);
}

/** The matrix section: heading and count, filters, legends, the grid. */
export function matrixSection(): HTMLElement {
  const sec = h('section', 'matrix');
  sec.id = 'matrix';
  countEl = h('span', 'count');
  sec.appendChild(h('div', 'sechead', [h('h2', null, 'Matrix'), countEl]));
  sec.appendChild(filters());
  sec.appendChild(legend());
  sec.appendChild(h('div', 'gridwrap', buildGrid()));
  emptyEl = h('p', 'emptymsg', 'No cell matches the filters.');
  emptyEl.id = 'empty';
  emptyEl.hidden = true;
  sec.appendChild(emptyEl);
  return sec;
}

/** Shows in each cell its verdict or its observed state, as F.show says. */
function paintView(): void {
  const obsView = F.show === 'observed';
  legendV.hidden = obsView;
  legendO.hidden = !obsView;
  if (shownView === F.show) return;
  shownView = F.show;
  table.classList.toggle('obsview', obsView);
  for (const c of R.cells) {
    const td = tds[c.i];
    if (!td) continue;
    td.textContent = obsView ? (OSYM[obsClass(c.ostate)] ?? '') : SYM[c.status];
    td.setAttribute('aria-label', ariaOf(c, obsView));
  }
}

const matchList = (list: readonly string[], v: string) => !list.length || list.indexOf(v) >= 0;

/** Shows the cells the filters keep, dims the others, hides empty rows and filtered columns; counts. */
export function apply(): void {
  paintView();
  const NS = R.stages.length;
  const q = F.q.toLowerCase();
  const nV = new Map<string, number>();
  const nO = new Map<string, number>();
  let nInc = 0;
  const colOn = R.stages.map((st) => matchList(F.stage, st));
  colHeads.forEach((th, k) => {
    th.hidden = !colOn[k];
  });
  let shown = 0;
  let rowsShown = 0;
  let prevRow: (typeof R.rows)[number] | null = null;
  for (const row of R.rows) {
    const els = rowEls[row.i];
    if (!els) continue;
    const rowOn =
      matchList(F.glibc, row.glibc) &&
      matchList(F.variant, row.variant) &&
      matchList(F.kernel, row.kernel) &&
      matchList(F.link, row.link) &&
      matchList(F.scenario, row.scenario);
    let any = false;
    for (let k = 0; k < NS; k++) {
      const td = els.tds[k];
      if (!td) continue;
      td.hidden = !colOn[k];
      const ci = R.grid[row.i * NS + k] ?? -1;
      const c = ci >= 0 ? R.cells[ci] : undefined;
      if (!c) continue;
      const on =
        rowOn &&
        !!colOn[k] &&
        matchList(F.status, c.status) &&
        matchList(F.observed, c.ostate) &&
        (!F.inc || c.inc) &&
        (!F.change.length || (!!c.change && F.change.indexOf(c.change.verdict) >= 0)) &&
        (!q || searchText(c).indexOf(q) >= 0);
      const ocls = obsClass(c.ostate);
      td.className =
        'c ' +
        c.status +
        ' o-' +
        ocls +
        (c.inc ? ' inc' : '') +
        (on ? '' : ' dim') +
        (c.id === F.cell ? ' sel' : '');
      if (on) {
        any = true;
        shown++;
        nV.set(c.status, (nV.get(c.status) ?? 0) + 1);
        nO.set(ocls, (nO.get(ocls) ?? 0) + 1);
        if (c.inc) nInc++;
      }
    }
    els.tr.hidden = !any;
    if (any) {
      rowsShown++;
      // A label that repeats the row above (and all labels before it do) is not shown again; the last
      // axis (scenario) always is.
      const axes = R.rowAxes;
      let same = !!prevRow;
      for (let k = 0; k < axes.length; k++) {
        const a = axes[k] as (typeof axes)[number];
        same = same && !!prevRow && prevRow[a] === row[a];
        if (k === 0) els.tr.className = 'grow' + (same ? '' : ' gstart');
        else if (k === 1 && !same && els.tr.className === 'grow') els.tr.className = 'grow vstart';
        const lab = els.labs[k];
        if (lab) lab.className = 'lab a' + k + (same && k < axes.length - 1 ? ' rep' : '');
      }
      prevRow = row;
    }
  }
  for (const [k, els] of legendN) {
    const n = k === 'inc' ? nInc : k.indexOf('o-') === 0 ? (nO.get(k.slice(2)) ?? 0) : (nV.get(k) ?? 0);
    for (const el of els) {
      el.textContent = num(n);
      el.parentElement?.classList.toggle('zero', !n);
    }
  }
  clear(countEl).appendChild(
    document.createTextNode(
      filtering()
        ? 'Showing ' +
            num(shown) +
            ' of ' +
            plural(R.cells.length, 'cell') +
            ' in ' +
            plural(rowsShown, 'row')
        : plural(R.cells.length, 'cell') + ' in ' + plural(R.rows.length, 'row'),
    ),
  );
  emptyEl.hidden = shown > 0;
}
