// biome-ignore-all lint/style/useTemplate: the page script holds no backtick (test/unit/report.test.ts)
/** The top of the page: the run, the summary cards and environment, the observed states, the changes. */
import { type Change, reasonOf } from './decode.mjs';
import { btn, fmtDate, fmtMs, h, num, plural, yn } from './dom.mjs';
import { controls } from './filters.mjs';
import {
  LABEL,
  OPEN_VERDICTS,
  ORDER,
  OSYM,
  obsClass,
  observedHelp,
  rankObserved,
  SYM,
  verdictHelp,
} from './look.mjs';
import { actions, F, R, refresh } from './state.mjs';

export function header(): HTMLElement {
  const run = R.data.run;
  const meta = h('div', 'meta', [
    h('span', null, ['Run ', h('code', null, run.id)]),
    h('span', null, [
      'Matrix ',
      h('code', null, run.matrix.name),
      ' ',
      h('span', 'dim-text', '(' + run.matrix.path + ')'),
    ]),
    h('span', null, ['Started ' + fmtDate(run.startedAt)]),
    run.finishedAt ? h('span', null, ['Finished ' + fmtDate(run.finishedAt)]) : null,
    h('span', null, ['Duration ' + fmtMs(run.durationMs)]),
  ]);
  const state = run.complete
    ? h('span', 'runstate ok', 'Complete')
    : h('span', 'runstate bad', 'Interrupted' + (run.interrupted ? ': ' + run.interrupted : ''));
  return h('header', 'top', [h('div', 'titlebar', [h('h1', null, R.data.title), state]), meta]);
}

export function summary(): HTMLElement {
  const D = R.data;
  const sum = D.summary;
  const env = D.env;
  const run = D.run;
  const total = sum.total || R.cells.length;
  const cards = h('div', 'cards');
  for (const st of ORDER) {
    const n = sum[st] || 0;
    const pct = total ? ((100 * n) / total).toFixed(n && n * 1000 < total ? 2 : 1) + '%' : '';
    const b = btn(
      'card ' + st + (n ? '' : ' zero'),
      [
        h('span', 'cnum', num(n)),
        h('span', 'clab', [h('span', 'sym', SYM[st]), ' ' + LABEL[st]]),
        h('span', 'cpct', pct),
      ],
      () => {
        F.status = F.status.length === 1 && F.status[0] === st ? [] : [st];
        refresh(true);
      },
      'Show only ' + LABEL[st].toLowerCase() + ' cells',
    );
    cards.appendChild(b);
  }
  cards.appendChild(
    h('div', 'card total', [
      h('span', 'cnum', num(total)),
      h('span', 'clab', 'cells'),
      h('span', 'cpct', plural(R.rows.length, 'row') + ' \u00d7 ' + plural(R.stages.length, 'stage')),
    ]),
  );
  const bar = h('div', 'bar');
  for (const st of ORDER) {
    if (!sum[st]) continue;
    const seg = h('span', 'seg ' + st);
    seg.style.flexGrow = String(sum[st]);
    seg.title = LABEL[st] + ': ' + sum[st];
    bar.appendChild(seg);
  }
  const d: Partial<typeof env.docker> = env.docker ?? {};
  const okBuilds = D.builds.filter((b) => b.status === 'ok').length;
  const cached = D.builds.filter((b) => b.cached).length;
  const digest = run.matrix.digest;
  const envList: [string, string | null | undefined][] = [
    ['Kernel', env.kernel + ' (' + env.arch + ')'],
    [
      'Docker',
      (d.version || 'unknown') +
        ', API ' +
        (d.negotiatedApiVersion || d.apiVersion || '?') +
        (d.storageDriver ? ', ' + d.storageDriver : '') +
        ', seccomp ' +
        yn(d.seccomp),
    ],
    ['Docker host', d.host],
    ['Node', env.node],
    ['Tool', env.tool],
    ['Host', env.hostname],
    [
      'Builds',
      D.builds.length +
        ' (' +
        okBuilds +
        ' ok, ' +
        (D.builds.length - okBuilds) +
        ' failed, ' +
        cached +
        ' cached)',
    ],
    ['Matrix digest', digest && digest.length > 23 ? digest.slice(0, 22) + '\u2026' : digest],
  ];
  if (run.filter) envList.push(['Cell filter', run.filter]);
  if (run.shard) envList.push(['Shard', run.shard.index + 1 + ' of ' + run.shard.count]);
  const dl = h('dl', 'env');
  for (const [k, v] of envList)
    dl.appendChild(
      h('div', null, [h('dt', null, k), h('dd', null, v === null || v === undefined ? '\u2013' : String(v))]),
    );
  return h('section', 'summary', [cards, bar, observedStrip(), dl]);
}

/** What the kernel reported, over all cells; each chip shows those cells in the observed view. */
function observedStrip(): HTMLDivElement {
  const n = new Map<string, number>();
  let nInc = 0;
  for (const c of R.cells) {
    n.set(c.ostate, (n.get(c.ostate) ?? 0) + 1);
    if (c.inc) nInc++;
  }
  const strip = h('div', 'ostrip', h('span', 'fname', 'The kernel observed'));
  controls.ochips.clear();
  const states = Array.from(n.keys()).sort((a, b) => rankObserved(a) - rankObserved(b));
  for (const st of states) {
    const count = n.get(st) ?? 0;
    const help = observedHelp(st);
    const b = btn(
      'ochip',
      [h('span', 'opal sw o-' + obsClass(st), OSYM[obsClass(st)]), h('b', null, num(count)), ' ' + st],
      () => {
        F.observed = F.observed.length === 1 && F.observed[0] === st && F.show === 'observed' ? [] : [st];
        F.show = 'observed';
        refresh(true);
      },
      'Show the ' + plural(count, 'cell') + ' where the kernel reported ' + st + (help ? ': ' + help : ''),
    );
    b.setAttribute('data-observed', st);
    controls.ochips.set(st, b);
    strip.appendChild(b);
  }
  const ib = btn(
    'ochip incchip' + (nInc ? '' : ' zero'),
    [h('span', 'incdot'), h('b', null, num(nInc)), ' observers disagree'],
    () => {
      F.inc = !F.inc;
      refresh(true);
    },
    'Cells whose observers disagree (the kernel check, glibc\u2019s claim, strace): observed.consistent is false',
  );
  controls.incchip = ib;
  strip.appendChild(ib);
  return strip;
}

function changeLine(ch: Change): HTMLLIElement {
  const a = ch.before ? h('span', 'st ' + ch.before, SYM[ch.before]) : h('span', 'st none', '\u2205');
  const b = ch.after ? h('span', 'st ' + ch.after, SYM[ch.after]) : h('span', 'st none', '\u2205');
  const reason = ch.cell ? reasonOf(R, ch.cell) : ch.reason;
  return h(
    'li',
    null,
    btn(
      'chg',
      [
        h('span', 'trans', [a, h('span', 'arrow', '\u2192'), b]),
        h('code', 'cid', ch.id),
        reason ? h('span', 'why', reason) : null,
      ],
      () => actions.openCell(ch.id),
      (ch.before || 'absent') + ' \u2192 ' + (ch.after || 'absent'),
    ),
  );
}

export function changesSection(): HTMLElement | null {
  const B = R.data.base;
  if (!B) return null;
  const sec = h('section', 'changes', [
    h('h2', null, ['Changes since baseline ', h('code', null, B.run.id)]),
  ]);
  sec.id = 'changes';
  sec.appendChild(
    h(
      'p',
      'sub',
      'Baseline started ' +
        fmtDate(B.run.startedAt) +
        ', matrix ' +
        B.run.matrix +
        ', ' +
        plural(B.run.cells, 'cell') +
        (B.run.complete ? '' : ', incomplete') +
        '. Infrastructure errors (INFRA) are listed apart and never count as regressions.',
    ),
  );
  for (const w of B.warnings) sec.appendChild(h('p', 'warn', '\u26a0 ' + w));
  const chips = h('div', 'vchips');
  for (const v of R.vocab.verdicts) {
    const n = B.counts[v] || 0;
    chips.appendChild(h('span', 'vchip v-' + v + (n ? '' : ' zero'), [h('b', null, String(n)), ' ' + v]));
  }
  sec.appendChild(chips);
  let any = false;
  for (const v of R.vocab.listedVerdicts) {
    const g = R.changes.filter((x) => x.verdict === v);
    if (!g.length) continue;
    any = true;
    const det = h('details', 'vgroup v-' + v);
    det.open = OPEN_VERDICTS.indexOf(v) >= 0 || g.length <= 5;
    det.appendChild(
      h('summary', null, [
        h('span', 'vname', v),
        h('span', 'vcount', String(g.length)),
        h('span', 'vhelp', verdictHelp(v)),
      ]),
    );
    const ul = h('ul', 'chglist');
    const LIMIT = 20;
    for (const x of g.slice(0, LIMIT)) ul.appendChild(changeLine(x));
    det.appendChild(ul);
    if (g.length > LIMIT) {
      const more = btn('more', 'Show all ' + g.length, () => {
        for (const x of g.slice(LIMIT)) ul.appendChild(changeLine(x));
        more.remove();
      });
      det.appendChild(more);
    }
    sec.appendChild(det);
  }
  if (!any) sec.appendChild(h('p', 'sub', 'No cell changed its outcome.'));
  return sec;
}
