// biome-ignore-all lint/style/useTemplate: the page script holds no backtick (test/unit/report.test.ts)
/**
 * The builds: status, mode, time per phase, each group's pipeline on its kernel (steps, status, why),
 * glibc's own tests (judged against the matrix's expectTests where it has them: each outcome as expected
 * or not, with the rule's why), log tails.
 */
import type { BuildResult, GlibcTestVerdict, GroupResult } from '../../model/results.js';
import { fmtMs, h, num, plural, yn } from './dom.mjs';
import { R } from './state.mjs';

function testCounts(tests: Record<string, unknown>): Map<string, number> {
  const n = new Map<string, number>();
  for (const k of Object.keys(tests)) {
    const v = String(tests[k]);
    n.set(v, (n.get(v) ?? 0) + 1);
  }
  return n;
}

const resultClass = (v: string) => (v === 'PASS' ? 'ok' : v === 'FAIL' || v === 'ERROR' ? 'bad' : 'other');

/** FAIL first, then PASS, then the others by name. */
function testSummary(n: Map<string, number>): HTMLSpanElement[] {
  const keys = Array.from(n.keys()).sort(
    (a, b) =>
      (a === 'FAIL' ? -1 : b === 'FAIL' ? 1 : 0) ||
      (a === 'PASS' ? -1 : b === 'PASS' ? 1 : 0) ||
      (a < b ? -1 : 1),
  );
  return keys.map((k) => h('span', 'tres ' + resultClass(k), num(n.get(k) ?? 0) + ' ' + k));
}

// One colour per phase name across all builds (the order they first appear in).
const phaseNames: string[] = [];
function phaseColour(k: string): string {
  let i = phaseNames.indexOf(k);
  if (i < 0) {
    i = phaseNames.length;
    phaseNames.push(k);
  }
  return 'p' + (i % 8);
}

const PROBE = '\u0000probe';

function phasesView(b: BuildResult): HTMLDivElement | null {
  const ph: Record<string, unknown> = b.phases && typeof b.phases === 'object' ? b.phases : {};
  const names = Object.keys(ph).filter((k) => typeof ph[k] === 'number');
  if (typeof b.probeCompileMs === 'number' && b.probeCompileMs > 0 && !('probe' in ph)) names.push(PROBE);
  if (!names.length) return null;
  const val = (k: string) => (k === PROBE ? (b.probeCompileMs ?? 0) : (ph[k] as number));
  const total = names.reduce((t, k) => t + Math.max(0, val(k)), 0);
  const bar = h('div', 'pbar');
  const list = h('div', 'plistx');
  for (const k of names) {
    const label = k === PROBE ? 'probe compile' : k;
    const seg = h('span', 'pseg ' + phaseColour(label));
    seg.style.flexGrow = String(Math.max(0, val(k)));
    seg.title = label + ': ' + fmtMs(val(k));
    bar.appendChild(seg);
    list.appendChild(
      h('span', 'ph', [h('span', 'pkey ' + phaseColour(label)), label + ' ', h('b', 'num', fmtMs(val(k)))]),
    );
  }
  return h('div', 'phases', [total > 0 ? bar : null, list]);
}

function glibcTests(tests: Record<string, string>): HTMLDetailsElement {
  const names = Object.keys(tests);
  const det = h('details', 'gtests');
  det.open = names.some((k) => tests[k] === 'FAIL') && names.length <= 40;
  det.appendChild(
    h('summary', null, [h('span', 'fname', 'glibc tests'), ' ', testSummary(testCounts(tests))]),
  );
  const failFirst = (k: string) => (tests[k] === 'FAIL' ? 0 : 1);
  names.sort((x, y) => failFirst(x) - failFirst(y) || (x < y ? -1 : x > y ? 1 : 0));
  const tl = h('ul', 'tlist');
  for (const k of names) {
    const v = String(tests[k]);
    tl.appendChild(h('li', null, [h('span', 'tres ' + resultClass(v), v), ' ', h('code', null, k)]));
  }
  det.appendChild(tl);
  return det;
}

/** A judged test's line: as expected or not, the outcome, the test, what was expected and why. */
function judgedTest(v: GlibcTestVerdict): HTMLLIElement {
  const ok = v.verdict === 'pass';
  const outcome = v.outcome === null ? 'none' : String(v.outcome);
  const li = h('li', 'tjudged', [
    h('span', 'badge ' + (ok ? 'pass' : 'fail'), ok ? 'as expected' : 'unexpected'),
    ' ',
    h('span', 'tres ' + resultClass(outcome), outcome),
    ' ',
    h('code', null, v.test),
    ok ? null : ' (expected ' + v.expected + ')',
    h('div', 'why', 'expectTests[' + v.rule + ']: ' + v.why),
  ]);
  li.title = ok ? 'as expectTests[' + v.rule + '] says' : (v.reason ?? 'not the expected outcome');
  return li;
}

/** glibc's tests of one build, judged: mismatches first and open, then the rest. */
function judgedTests(verdicts: GlibcTestVerdict[]): HTMLDetailsElement {
  const bad = verdicts.filter((v) => v.verdict !== 'pass');
  const det = h('details', 'gtests');
  det.open = bad.length > 0 && verdicts.length <= 40;
  const outcomes: Record<string, string> = {};
  for (const v of verdicts) outcomes[v.test] = v.outcome === null ? 'none' : String(v.outcome);
  det.appendChild(
    h('summary', null, [
      h('span', 'fname', 'glibc tests'),
      ' ',
      h(
        'span',
        'tres ' + (bad.length ? 'bad' : 'ok'),
        bad.length ? bad.length + ' unexpected' : 'all as expected',
      ),
      ' ',
      testSummary(testCounts(outcomes)),
    ]),
  );
  const tl = h('ul', 'tlist');
  // One test a line: the why does not fit the columns of the unjudged list.
  tl.style.columns = 'auto';
  tl.style.whiteSpace = 'normal';
  for (const v of bad.concat(verdicts.filter((v) => v.verdict === 'pass'))) tl.appendChild(judgedTest(v));
  det.appendChild(tl);
  return det;
}

/** A group's pipeline under its build: each step, its status, time and, where it failed or was skipped, why. */
function groupSteps(g: GroupResult): HTMLElement {
  const items = g.steps.map((st) => {
    const name = st.step + (st.scenario ? ' ' + st.scenario : '');
    const cls = st.status === 'ok' ? 'ok' : st.status === 'failed' ? 'bad' : 'other';
    const el = h('span', 'gstep tres ' + cls, [
      name + ' ' + st.status,
      st.status === 'ok' ? ' ' + fmtMs(st.durationMs) : '',
    ]);
    if (st.reason) el.title = st.reason;
    return el;
  });
  const failed = g.steps.find((st) => st.status === 'failed');
  return h('div', 'bline', [
    h('span', 'fname', 'Steps on ' + g.kernel + (g.executor ? ' (' + g.executor + ')' : '')),
    h(
      'span',
      null,
      items.flatMap((el, i) => (i ? [' \u00b7 ', el] : [el])),
    ),
    failed?.reason ? h('div', 'why', failed.step + ': ' + failed.reason) : null,
  ]);
}

export function buildsSection(): HTMLDetailsElement {
  const builds = R.data.builds;
  const det = h('details', 'builds');
  let ok = 0;
  let cold = 0;
  let inc = 0;
  let cached = 0;
  let anyTests = false;
  let judged = 0;
  let unexpected = 0;
  const tests = new Map<string, number>();
  for (const b of builds) {
    for (const v of Array.isArray(b.glibcTestVerdicts) ? b.glibcTestVerdicts : []) {
      judged++;
      if (v.verdict !== 'pass') unexpected++;
    }
    if (b.status === 'ok') ok++;
    if (b.cached) cached++;
    if (b.mode === 'cold') cold++;
    else if (b.mode === 'incremental') inc++;
    if (b.glibcTests && typeof b.glibcTests === 'object') {
      anyTests = true;
      for (const [k, n] of testCounts(b.glibcTests)) tests.set(k, (tests.get(k) ?? 0) + n);
    }
  }
  const facts = [ok + ' ok'];
  if (ok < builds.length) facts.push(builds.length - ok + ' failed');
  facts.push(cached + ' cached');
  if (cold || inc) facts.push(cold + ' cold, ' + inc + ' incremental');
  det.appendChild(
    h('summary', null, [
      h('h2', 'inline', 'Builds (' + builds.length + ')'),
      h('span', 'bsum', facts.join(' \u00b7 ')),
      anyTests ? h('span', 'bsum', ['glibc tests: ', testSummary(tests)]) : null,
      judged
        ? h('span', 'bsum', [
            'judged: ',
            h(
              'span',
              'tres ' + (unexpected ? 'bad' : 'ok'),
              unexpected ? unexpected + ' of ' + judged + ' unexpected' : judged + ' as expected',
            ),
          ])
        : null,
    ]),
  );
  // Open when something needs a look: a failed build, a glibc test not as expected (an unjudged one: FAIL).
  det.open = ok < builds.length || (judged ? unexpected > 0 : (tests.get('FAIL') ?? 0) > 0);
  const t = h('table', 'kv wide builds-t');
  const cols = ['Key', 'glibc', 'Variant', 'Status', 'Mode', 'Cached', 'Duration', 'Compiled', 'Description'];
  t.appendChild(
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        cols.map((x) => h('th', null, x)),
      ),
    ),
  );
  const tb = h('tbody');
  for (const b of builds) {
    tb.appendChild(
      h('tr', 'brow' + (b.status === 'ok' ? '' : ' bad'), [
        h('td', 'nw', h('code', null, b.key)),
        h('td', 'nw', b.glibc),
        h('td', 'nw', b.variant),
        h('td', null, b.status === 'ok' ? h('span', 'badge pass', 'ok') : h('span', 'badge error', 'failed')),
        h('td', 'nw', b.mode ? h('span', 'mode ' + (b.mode === 'cold' ? 'cold' : 'incr'), b.mode) : '\u2013'),
        h('td', null, yn(b.cached)),
        h('td', 'num', fmtMs(b.durationMs)),
        h('td', 'num', typeof b.compiledFiles === 'number' ? plural(b.compiledFiles, 'file') : '\u2013'),
        h('td', null, [b.description, b.reason ? h('div', 'why', b.reason) : null]),
      ]),
    );
    const more: HTMLElement[] = [];
    for (const g of (R.data.groups ?? []).filter((x) => x.glibc === b.glibc && x.variant === b.variant))
      more.push(groupSteps(g));
    const pv = phasesView(b);
    if (pv) more.push(h('div', 'bline', [h('span', 'fname', 'Phases'), pv]));
    if (Array.isArray(b.glibcTestVerdicts) && b.glibcTestVerdicts.length)
      more.push(judgedTests(b.glibcTestVerdicts));
    else if (b.glibcTests && typeof b.glibcTests === 'object') more.push(glibcTests(b.glibcTests));
    if (b.logPath) more.push(h('div', 'bline', [h('span', 'fname', 'Log'), h('code', null, b.logPath)]));
    if (b.logTail) more.push(h('pre', 'log', b.logTail));
    if (more.length) {
      const lc = h('td', 'logcell bmore', more);
      lc.colSpan = cols.length;
      tb.appendChild(h('tr', 'bdetail', lc));
    }
  }
  t.appendChild(tb);
  det.appendChild(h('div', 'scrollx', t));
  return det;
}
