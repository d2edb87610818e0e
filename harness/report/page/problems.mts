// biome-ignore-all lint/style/useTemplate: the page script holds no backtick (test/unit/report.test.ts)
/** Failures, errors and observer disagreements among the cells shown, grouped by reason. */
import type { CellStatus } from '../../model/results.js';
import { type CellRef, inconsistencyOf, reasonOf } from './decode.mjs';
import { btn, clear, h } from './dom.mjs';
import { cellShown } from './grid.mjs';
import { INC_SYM, statusBadge } from './look.mjs';
import { actions, filtering, R } from './state.mjs';

type Kind = Extract<CellStatus, 'fail' | 'error'> | 'inc';
interface Group {
  kind: Kind;
  reason: string;
  cells: CellRef[];
}
const RANK: Record<Kind, number> = { fail: 0, error: 1, inc: 2 };

let box: HTMLDivElement | null = null;

export function problemsSection(): HTMLElement {
  box = h('div', 'problems');
  return h('section', 'probsec', [
    h('h2', null, 'Failures, errors and observer disagreements, by reason'),
    box,
  ]);
}

export function renderProblems(): void {
  if (!box) return;
  clear(box);
  const groups = new Map<string, Group>();
  const put = (kind: Kind, reason: string, c: CellRef) => {
    // Reasons that differ only in numbers (pids, sizes, cpu ids) are one group.
    const key = kind + '\u0000' + reason.replace(/\d+/g, '#');
    let g = groups.get(key);
    if (!g) {
      g = { kind, reason, cells: [] };
      groups.set(key, g);
    }
    g.cells.push(c);
  };
  for (const c of R.cells) {
    if (c.status !== 'fail' && c.status !== 'error' && !c.inc) continue;
    if (!cellShown(c)) continue;
    if (c.status === 'fail' || c.status === 'error') put(c.status, reasonOf(R, c) || '(no reason given)', c);
    if (c.inc) put('inc', inconsistencyOf(R, c) || '(no detail recorded)', c);
  }
  const list = Array.from(groups.values()).sort(
    (a, b) => RANK[a.kind] - RANK[b.kind] || b.cells.length - a.cells.length,
  );
  if (!list.length) {
    box.appendChild(
      h(
        'p',
        'sub',
        filtering()
          ? 'No failures, errors or disagreements among the cells shown.'
          : 'No failures, no errors, and the observers agree everywhere.',
      ),
    );
    return;
  }
  for (const g of list) {
    const det = h('details', 'pgroup ' + g.kind);
    det.open = list.length <= 8;
    const badge =
      g.kind === 'inc'
        ? h('span', 'badge inc', [h('span', 'sym', INC_SYM), ' Observers disagree'])
        : statusBadge(g.kind);
    det.appendChild(
      h('summary', null, [
        badge,
        h('span', 'pcount', '\u00d7 ' + g.cells.length),
        h('span', 'preason', g.reason),
      ]),
    );
    const ul = h('ul', 'plist');
    const LIMIT = 60;
    const addCells = (from: number, to?: number) => {
      for (const c of g.cells.slice(from, to))
        ul.appendChild(
          h(
            'li',
            null,
            btn('plink', c.id, () => actions.openCell(c.id)),
          ),
        );
    };
    addCells(0, LIMIT);
    det.appendChild(ul);
    if (g.cells.length > LIMIT) {
      const more = btn('more', 'Show all ' + g.cells.length, () => {
        addCells(LIMIT);
        more.remove();
      });
      det.appendChild(more);
    }
    box.appendChild(det);
  }
}
