// biome-ignore-all lint/style/useTemplate: the page script holds no backtick (test/unit/report.test.ts)
/** The filter bar above the grid, and syncControls, which shows the filters' state in every control. */
import type { CellStatus } from '../../model/results.js';
import { btn, h, num } from './dom.mjs';
import { LABEL, ORDER, OSYM, obsClass, observedHelp, rankObserved, SYM, verdictHelp } from './look.mjs';
import {
  actions,
  F,
  R,
  refresh,
  resetF,
  SELECT_KEYS,
  type SelectKey,
  type Show,
  writeHash,
} from './state.mjs';

/** The controls that show a filter, so that syncControls can show its state. */
export const controls = {
  status: new Map<CellStatus, HTMLButtonElement>(),
  show: new Map<Show, HTMLButtonElement>(),
  /** The summary's chips of observed states (summary.mts). */
  ochips: new Map<string, HTMLButtonElement>(),
  /** The summary's chip of cells whose observers disagree. */
  incchip: null as HTMLButtonElement | null,
  selects: new Map<SelectKey, HTMLSelectElement>(),
  inc: null as HTMLInputElement | null,
  q: null as HTMLInputElement | null,
};

function uniq(key: 'glibc' | 'variant' | 'kernel' | 'link' | 'scenario'): string[] {
  return Array.from(new Set(R.rows.map((r) => r[key])));
}

function selectFor(
  key: SelectKey,
  label: string,
  values: string[],
  help?: (v: string) => string | undefined,
  all?: string,
): HTMLLabelElement {
  const s = h('select', 'sel');
  s.id = 'f-' + key;
  s.setAttribute('aria-label', label);
  const o = h('option', null, all || 'All ' + label + 's');
  o.value = '';
  s.appendChild(o);
  for (const v of values) {
    const opt = h('option', null, key === 'observed' ? OSYM[obsClass(v)] + ' ' + v : v);
    opt.value = v;
    const title = help?.(v);
    if (title) opt.title = title;
    s.appendChild(opt);
  }
  s.addEventListener('change', () => {
    F[key] = s.value ? s.value.split(',') : [];
    actions.apply();
    writeHash();
  });
  controls.selects.set(key, s);
  return h('label', 'fl', [h('span', 'fname', label), s]);
}

function setShow(v: Show): void {
  if (F.show === v) return;
  F.show = v;
  refresh();
}

function showSwitch(): HTMLDivElement {
  const g = h('div', 'chips showsw');
  g.setAttribute('role', 'group');
  g.setAttribute('aria-label', 'Show in each cell');
  const views: [Show, string, string, string][] = [
    [
      'verdict',
      'Verdict',
      SYM.pass + SYM.fail,
      'Each cell shows its verdict: did the observation match the expectation?',
    ],
    [
      'observed',
      'Observed',
      (OSYM.registered ?? '') + (OSYM.unregistered ?? ''),
      'Each cell shows what the kernel reported at that stage: was rseq registered? (fail and error cells keep a red mark)',
    ],
  ];
  for (const [view, label, sym, title] of views) {
    const b = btn('chip show', [h('span', 'sym', sym), ' ' + label], () => setShow(view), title);
    b.setAttribute('data-show', view);
    b.setAttribute('aria-pressed', 'false');
    controls.show.set(view, b);
    g.appendChild(b);
  }
  return h('div', 'fl', [h('span', 'fname', 'Show'), g]);
}

function incFilter(): HTMLLabelElement {
  const n = R.cells.filter((c) => c.inc).length;
  const cb = h('input');
  cb.type = 'checkbox';
  cb.id = 'f-inconsistent';
  cb.addEventListener('change', () => {
    F.inc = cb.checked;
    refresh();
  });
  controls.inc = cb;
  const lab = h('label', 'fl incf' + (n ? '' : ' zero'), [
    cb,
    h('span', 'incdot'),
    'Inconsistent only',
    h('span', 'dim-text', '(' + num(n) + ')'),
  ]);
  lab.title =
    'Only cells whose observers disagree (observed.consistent is false): the kernel check against glibc\u2019s claim and strace\u2019s view';
  return lab;
}

export function filters(): HTMLDivElement {
  const box = h('div', 'filters');
  box.appendChild(showSwitch());
  box.appendChild(h('span', 'vsep'));
  const chips = h('div', 'chips');
  chips.setAttribute('role', 'group');
  chips.setAttribute('aria-label', 'Status');
  for (const st of ORDER) {
    const b = btn(
      'chip ' + st,
      [h('span', 'sym', SYM[st]), ' ' + LABEL[st]],
      () => {
        const i = F.status.indexOf(st);
        if (i >= 0) F.status.splice(i, 1);
        else F.status.push(st);
        refresh();
      },
      'Show ' + LABEL[st].toLowerCase() + ' cells',
    );
    b.setAttribute('aria-pressed', 'false');
    b.setAttribute('data-status', st);
    controls.status.set(st, b);
    chips.appendChild(b);
  }
  box.appendChild(chips);
  box.appendChild(incFilter());
  box.appendChild(h('span', 'break'));
  box.appendChild(selectFor('glibc', 'glibc', uniq('glibc')));
  box.appendChild(selectFor('variant', 'variant', uniq('variant')));
  if (R.rowAxes.indexOf('kernel') >= 0) box.appendChild(selectFor('kernel', 'kernel', R.kernels));
  box.appendChild(selectFor('link', 'link', uniq('link')));
  box.appendChild(selectFor('scenario', 'scenario', uniq('scenario'), (v) => R.scenarioHelp.get(v)));
  box.appendChild(selectFor('stage', 'stage', R.stages, (v) => R.stageHelp.get(v)));
  const present = Array.from(new Set(R.cells.map((c) => c.ostate)));
  present.sort((a, b) => rankObserved(a) - rankObserved(b));
  box.appendChild(selectFor('observed', 'observed', present, observedHelp, 'Any observed state'));
  const base = R.data.base;
  if (base)
    box.appendChild(
      selectFor(
        'change',
        'change',
        R.vocab.verdicts.filter((v) => (base.counts[v] ?? 0) > 0),
        verdictHelp,
      ),
    );
  const q = h('input', 'search');
  q.type = 'search';
  q.id = 'f-q';
  q.placeholder = 'Search id, reason, build, patch\u2026';
  q.setAttribute('aria-label', 'Search');
  let timer = 0;
  q.addEventListener('input', () => {
    clearTimeout(timer);
    timer = window.setTimeout(() => {
      F.q = q.value.trim();
      actions.apply();
      writeHash();
    }, 120);
  });
  controls.q = q;
  box.appendChild(q);
  box.appendChild(
    btn('reset', 'Clear filters', () => {
      resetF();
      refresh();
    }),
  );
  return box;
}

export function syncControls(): void {
  for (const [st, b] of controls.status) {
    const on = F.status.indexOf(st) >= 0;
    b.setAttribute('aria-pressed', on ? 'true' : 'false');
    b.classList.toggle('on', on);
  }
  for (const [view, b] of controls.show) {
    b.setAttribute('aria-pressed', F.show === view ? 'true' : 'false');
    b.classList.toggle('on', F.show === view);
  }
  if (controls.inc) controls.inc.checked = F.inc;
  controls.incchip?.classList.toggle('on', F.inc);
  for (const [st, b] of controls.ochips)
    b.classList.toggle('on', F.show === 'observed' && F.observed.length === 1 && F.observed[0] === st);
  for (const k of SELECT_KEYS) {
    const s = controls.selects.get(k);
    if (!s) continue;
    s.querySelector('option.multi')?.remove();
    if (F[k].length > 1) {
      // Several values (from a link): shown as one extra option.
      const multi = h('option', 'multi', F[k].join(', '));
      multi.value = F[k].join(',');
      s.appendChild(multi);
      s.value = multi.value;
      continue;
    }
    const v = F[k][0] ?? '';
    s.value = Array.from(s.options).some((o) => o.value === v) ? v : '';
  }
  if (controls.q && controls.q.value.trim() !== F.q) controls.q.value = F.q;
}
