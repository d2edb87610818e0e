// biome-ignore-all lint/style/useTemplate: the page script holds no backtick (test/unit/report.test.ts)
/** The side panel of the open cell (F.cell): everything a reviewer needs about one cell. */
import type { CellResult } from '../../model/results.js';
import { type CellRef, fullCell, ROW_AXES } from './decode.mjs';
import { codePairs, kvTable, observationsTable, type Pair, sectionP, straceSection } from './details.mjs';
import { btn, codeBlock, copyText, fmtMs, h, type Kid, yn } from './dom.mjs';
import { focusCell, markSelected, rowShown, tdOf } from './grid.mjs';
import { INC_SYM, OSYM, obsBadge, obsClass, statusBadge, verdictHelp } from './look.mjs';
import { F, R, writeHash } from './state.mjs';

let panel: HTMLElement;
let panelBody: HTMLDivElement;

export function panelElement(): HTMLElement {
  panel = h('aside', 'panel');
  panel.id = 'panel';
  panel.hidden = true;
  panel.setAttribute('aria-label', 'Cell details');
  panelBody = h('div', 'pbody');
  panel.appendChild(panelBody);
  return panel;
}

function stateCell(state: string | null, ok?: boolean | null): HTMLSpanElement {
  const cls = state ? obsClass(state) : 'none';
  return h('span', 'state ' + cls + (ok === false ? ' mismatch' : ''), [
    OSYM[cls] ? h('span', 'osym', OSYM[cls]) : null,
    state || 'nothing observed',
  ]);
}

function envTable(): HTMLTableElement {
  const env = R.data.env;
  const d: Partial<typeof env.docker> = env.docker ?? {};
  return kvTable([
    ['kernel', env.kernel],
    ['arch', env.arch],
    ['host', env.hostname],
    ['node', env.node],
    ['tool', env.tool],
    ['docker', d.version],
    ['docker API', (d.apiVersion || '?') + ' (negotiated ' + (d.negotiatedApiVersion || '?') + ')'],
    ['docker host', d.host],
    ['seccomp', yn(d.seccomp)],
    ['storage driver', d.storageDriver],
  ]);
}

function panelHead(id: string, badge: Kid): HTMLDivElement {
  const badges = Array.isArray(badge) ? h('span', 'pbadges', badge) : badge;
  const close = btn('close', '\u00d7', closePanel, 'Close (Esc)');
  close.setAttribute('aria-label', 'Close');
  const link = btn('linkbtn', 'Copy link', null, 'Copy a link to this view');
  link.addEventListener('click', () => copyText(location.href, link));
  return h('div', 'phead', [
    h('div', 'ptitle', [badges, h('code', 'pid', id)]),
    h('div', 'pbtns', [link, close]),
  ]);
}

/** A row of the expected-vs-observed table whose value spans both columns. */
function wideRow(
  name: string,
  value: Kid,
  cls: string | null = 'span2',
  rowCls: string | null = null,
): HTMLTableRowElement {
  const td = h('td', cls, value);
  td.colSpan = 2;
  return h('tr', rowCls, [h('th', null, name), td]);
}

function expectedVsObserved(c: CellRef, f: CellResult, observers: string): HTMLTableElement {
  const ex = f.expected;
  const ob = f.observed;
  const mismatch = c.status === 'fail';
  const eo = h('table', 'eo');
  eo.appendChild(
    h('thead', null, h('tr', null, [h('th'), h('th', null, 'Expected'), h('th', null, 'Observed')])),
  );
  const tb = h('tbody');
  tb.appendChild(
    h('tr', null, [
      h('th', null, 'state'),
      h('td', null, stateCell(ex.state)),
      h('td', null, stateCell(ob.state, mismatch && ex.state !== ob.state ? false : null)),
    ]),
  );
  tb.appendChild(
    h('tr', null, [
      h('th', null, 'registered'),
      h('td', null, yn(ex.registered)),
      h('td', mismatch && ex.registered !== ob.registered ? 'mismatch' : null, yn(ob.registered)),
    ]),
  );
  tb.appendChild(wideRow('why', ex.why));
  tb.appendChild(
    wideRow('rule', ex.rule < 0 ? 'the stage\u2019s own applicability' : 'matrix rule #' + ex.rule),
  );
  if (ob.owner) {
    const owner =
      ob.owner === 'glibc'
        ? 'glibc (its area was registered; the client made no registration of its own)'
        : ob.owner === 'test'
          ? 'the client (it registered its own area)'
          : ob.owner;
    tb.appendChild(wideRow('registration owner', owner));
  }
  const cons =
    ob.consistent === null || ob.consistent === undefined
      ? 'cannot tell'
      : ob.consistent
        ? 'yes: ' + observers + ' agree'
        : 'NO: ' + observers + ' disagree';
  const bad = ob.consistent === false;
  tb.appendChild(
    wideRow(
      'observers consistent',
      [cons, ob.inconsistency ? h('div', 'why', ob.inconsistency) : null],
      bad ? 'inc' : null,
      bad ? 'incrow' : null,
    ),
  );
  eo.appendChild(tb);
  return eo;
}

function probeSection(c: CellRef, f: CellResult): HTMLElement {
  const p = f.probe;
  if (!p)
    return sectionP(
      'Probe run',
      h('p', 'sub', c.status === 'skip' ? 'Not run: the cell is skipped.' : 'No probe ran.'),
    );
  const tr = p.traced;
  const rows: Pair[] = [
    ['exit code', p.exitCode === null ? 'none' : String(p.exitCode), p.exitCode ? 'bad' : null],
    ['signal', p.signal || 'none', p.signal ? 'bad' : null],
    ['timed out', yn(p.timedOut), p.timedOut ? 'bad' : null],
    ['duration', fmtMs(p.durationMs)],
    ['cell duration', fmtMs(f.durationMs)],
    tr
      ? [
          'traced run',
          [
            'exit ' +
              (tr.exitCode === null ? 'none' : tr.exitCode) +
              (tr.signal ? ', ' + tr.signal : '') +
              (tr.timedOut ? ', timed out' : ''),
            ', ' + fmtMs(tr.durationMs) + ' (strace overhead ' + fmtMs(tr.durationMs - p.durationMs) + ')',
          ],
          tr.exitCode || tr.signal || tr.timedOut ? 'bad' : null,
        ]
      : null,
  ];
  return sectionP(
    'Probe run',
    h('div', null, [
      kvTable(rows),
      codeBlock(p.command, 'the probe command'),
      tr && tr.command !== p.command ? codeBlock(tr.command, 'the traced command') : null,
    ]),
  );
}

function renderPanel(): void {
  if (!F.cell) {
    panel.hidden = true;
    document.body.classList.remove('panel-open');
    return;
  }
  // A fresh element starts scrolled to the top, without forcing a layout as setting scrollTop would.
  const fresh = h('div', 'pbody');
  panel.replaceChild(fresh, panelBody);
  panelBody = fresh;
  panel.hidden = false;
  document.body.classList.add('panel-open');
  const body = panelBody;
  const c = R.byId.get(F.cell);
  if (!c) {
    const ch = R.removed.get(F.cell);
    body.appendChild(panelHead(F.cell, h('span', 'badge removed', ch ? 'Removed' : 'Unknown')));
    body.appendChild(
      h(
        'p',
        'callout',
        ch
          ? 'This cell is not in this run. In the baseline ' +
              (R.data.base?.run.id ?? '') +
              ' it was ' +
              (ch.before || 'absent') +
              (ch.reason ? ': ' + ch.reason : '.')
          : 'There is no cell ' + F.cell + ' in this report.',
      ),
    );
    return;
  }
  const { cell: f, other, observationOther } = fullCell(R, c);
  body.appendChild(
    panelHead(c.id, [
      statusBadge(c.status, true),
      obsBadge(c),
      c.inc ? h('span', 'badge inc big', [h('span', 'sym', INC_SYM), ' observers disagree']) : null,
    ]),
  );
  const coords = h('div', 'coords');
  for (const a of [...ROW_AXES, 'stage' as const]) {
    const v = a === 'stage' ? c.stage : c.row[a];
    coords.appendChild(h('span', 'coord', [h('span', 'ck', a), h('span', 'cv', v)]));
  }
  body.appendChild(coords);
  const stageHelp = R.stageHelp.get(c.stage);
  const scenHelp = R.scenarioHelp.get(c.row.scenario);
  if (c.stage && stageHelp)
    body.appendChild(
      h('p', 'sub', 'Stage: ' + stageHelp + (scenHelp ? '. Scenario: ' + scenHelp + '.' : '.')),
    );
  if (f.reason) body.appendChild(h('p', 'callout ' + c.status, f.reason));
  const withStrace = f.observations.some((o) => o.strace !== undefined);
  const observers = withStrace
    ? 'the kernel check, glibc\u2019s claim and strace'
    : 'the kernel check and glibc\u2019s claim';
  if (f.observed.consistent === false) {
    body.appendChild(
      h('div', 'callout inc', [
        h('b', null, [h('span', 'sym', INC_SYM), ' Observers disagree']),
        h('div', 'incwhy', f.observed.inconsistency || '(no detail recorded)'),
        h(
          'div',
          'dim-text',
          'The kernel check alone decides the observed state (' +
            (f.observed.state || 'nothing') +
            '); ' +
            observers +
            ' do not all tell the same story.',
        ),
      ]),
    );
  }
  const cv = c.change;
  if (cv) {
    body.appendChild(
      h('p', 'vline', [
        h('span', 'vchip v-' + cv.verdict, cv.verdict),
        ' ',
        h('b', null, (cv.before || 'absent') + ' \u2192 ' + (cv.after || 'absent')),
        ' since baseline ',
        h('code', null, R.data.base?.run.id ?? ''),
        ': ' + verdictHelp(cv.verdict) + '.',
      ]),
    );
  }
  body.appendChild(sectionP('Expected vs observed', expectedVsObserved(c, f, observers)));
  body.appendChild(
    sectionP(
      'Observations (' + f.observations.length + ')',
      observationsTable(f.observations, observationOther),
    ),
  );
  if (f.reproduce) body.appendChild(sectionP('Reproduce', codeBlock(f.reproduce, 'the command')));
  body.appendChild(probeSection(c, f));
  if (f.probe?.stdoutTail)
    body.appendChild(sectionP('Client stdout (tail)', h('pre', 'log', f.probe.stdoutTail)));
  if (f.probe?.stderrTail)
    body.appendChild(sectionP('Probe stderr (tail)', h('pre', 'log', f.probe.stderrTail)));
  const st = straceSection(f);
  if (st) body.appendChild(st);
  if (other) body.appendChild(sectionP('Other fields', kvTable(codePairs('', other))));
  if (f.logTail) body.appendChild(sectionP('Log (tail)', h('pre', 'log', f.logTail)));
  const build = R.data.builds.find((b) => b.key === f.buildKey);
  const patches = f.patches.length
    ? h(
        'ol',
        'patches',
        f.patches.map((x) => h('li', null, h('code', null, x))),
      )
    : 'none (the glibc as shipped)';
  body.appendChild(
    sectionP(
      'Build',
      kvTable([
        ['build key', h('code', null, f.buildKey)],
        build
          ? [
              'build',
              [
                build.status === 'ok' ? 'ok' : 'failed',
                build.cached ? ' (cached)' : '',
                ', ' + fmtMs(build.durationMs),
              ],
            ]
          : null,
        build ? ['description', build.description] : null,
        build?.reason ? ['build error', build.reason, 'bad'] : null,
        ['patches', patches],
      ]),
    ),
  );
  body.appendChild(sectionP('Environment', envTable()));
}

export function openCell(id: string): void {
  F.cell = id;
  writeHash();
  markSelected();
  renderPanel();
  const c = R.byId.get(id);
  if (c && tdOf(c) && rowShown(c)) focusCell(c, false);
}

export function closePanel(): void {
  const c = R.byId.get(F.cell);
  F.cell = '';
  writeHash();
  markSelected();
  renderPanel();
  if (c && rowShown(c)) tdOf(c)?.focus();
}

/** Shows the panel of F.cell (after the hash changed). */
export function showPanel(): void {
  markSelected();
  renderPanel();
}
