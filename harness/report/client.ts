/**
 * The HTML report's inline script and style, as strings (html.ts hashes them for the page's
 * Content-Security-Policy). The script reads the data block written by encode.ts, builds the page with
 * DOM APIs and textContent only (never innerHTML), and keeps the view in the URL hash:
 *   #show=observed&status=fail,error&glibc=..&variant=..&link=..&scenario=..&stage=..&observed=registered
 *   &change=NEW-FAIL&inconsistent=1&q=text&cell=<id>
 * show: what a grid cell shows, its verdict (default) or the kernel's observed state; inconsistent=1: only
 * cells whose observers disagree.
 * Plain ES2020, no backticks (the text sits in a template literal), no "</script".
 */

export const CLIENT_JS = String.raw`(function () {
'use strict';
var t0 = performance.now();
var D = JSON.parse(document.getElementById('data').textContent);
var S = D.s, T = D.t;
var STATUS = ['pass', 'fail', 'error', 'skip'];
var ORDER = ['fail', 'error', 'pass', 'skip'];
var SYM = { pass: '\u2713', fail: '\u2717', error: '!', skip: '\u2013' };
var LABEL = { pass: 'Pass', fail: 'Fail', error: 'Error', skip: 'Skip' };
var VERDICTS = ['NEW-FAIL', 'FIXED', 'STILL-FAIL', 'NEW', 'REMOVED', 'INFRA', 'SKIP-CHANGED', 'UNCHANGED-PASS', 'UNCHANGED-SKIP'];
var VHELP = {
  'NEW-FAIL': 'fails now, did not fail in the baseline',
  'FIXED': 'failed or errored in the baseline, passes now',
  'STILL-FAIL': 'failed in both runs',
  'NEW': 'not in the baseline',
  'REMOVED': 'in the baseline only',
  'INFRA': 'harness or host error now: not a regression',
  'SKIP-CHANGED': 'skipped in one run only',
  'UNCHANGED-PASS': 'passed in both runs',
  'UNCHANGED-SKIP': 'skipped in both runs'
};
var PH = ['\u0001', '\u0002', '\u0003', '\u0004', '\u0005', '\u0006', '\u0007'];
var ERRNO = { 1: 'EPERM', 2: 'ENOENT', 14: 'EFAULT', 16: 'EBUSY', 22: 'EINVAL', 38: 'ENOSYS' };
// What the kernel said (Observed.state), as a symbol that reads without colour.
var OSTATES = ['registered', 'unregistered', 'unavailable', 'mixed', 'none'];
var OSYM = { registered: '\u25cf', unregistered: '\u25cb', unavailable: '\u2298', mixed: '\u25d0', none: '\u2013' };
var OHELP = {
  registered: 'the kernel has an rseq area registered for the thread',
  unregistered: 'rseq(2) is there, nothing is registered',
  unavailable: 'rseq(2) is refused or missing (seccomp, ENOSYS)',
  mixed: 'the observations of the stage differ',
  none: 'nothing observed: skipped, or the probe wrote nothing'
};
OSYM.other = '?';
var INC_SYM = '\u25c9';
var AXES = ['glibc', 'variant', 'link', 'scenario'];
var LIST_KEYS = ['status', 'glibc', 'variant', 'link', 'scenario', 'stage', 'observed', 'change'];
var SELECT_KEYS = ['glibc', 'variant', 'link', 'scenario', 'stage', 'observed', 'change'];

// ---------- small DOM helpers (text only, never HTML) ----------
function h(tag, cls, kids) {
  var e = document.createElement(tag);
  if (cls) e.className = cls;
  add(e, kids);
  return e;
}
function add(e, kids) {
  if (kids === null || kids === undefined || kids === false) return e;
  if (Array.isArray(kids)) { for (var i = 0; i < kids.length; i++) add(e, kids[i]); return e; }
  if (typeof kids === 'object' && kids.nodeType) e.appendChild(kids);
  else e.appendChild(document.createTextNode(String(kids)));
  return e;
}
function btn(cls, kids, onclick, title) {
  var b = h('button', cls, kids);
  b.type = 'button';
  if (title) b.title = title;
  if (onclick) b.addEventListener('click', onclick);
  return b;
}
function clear(e) { while (e.firstChild) e.removeChild(e.firstChild); return e; }
function $(id) { return document.getElementById(id); }
function fmtMs(ms) {
  if (ms === null || ms === undefined) return '\u2013';
  if (ms < 1000) return Math.round(ms) + ' ms';
  var s = ms / 1000;
  if (s < 60) return s.toFixed(1) + ' s';
  var m = Math.floor(s / 60);
  if (m < 60) return m + ' min ' + Math.round(s - m * 60) + ' s';
  var hh = Math.floor(m / 60);
  return hh + ' h ' + (m - hh * 60) + ' min';
}
function fmtDate(iso) {
  if (!iso) return '\u2013';
  var d = new Date(iso);
  if (isNaN(d.getTime())) return iso;
  return d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}
function yn(b) { return b === null || b === undefined ? 'unknown' : b ? 'yes' : 'no'; }
function errno(n) {
  if (n === null || n === undefined) return '\u2013';
  return ERRNO[n] ? n + ' (' + ERRNO[n] + ')' : String(n);
}
function num(n) { return Number(n).toLocaleString('en-US'); }
function plural(n, one, many) { return num(n) + ' ' + (n === 1 ? one : many || one + 's'); }
function expand(s, vals) {
  if (!s) return '';
  if (s.charAt(0) === '\u0000') return s.slice(1);
  for (var i = vals.length - 1; i >= 0; i--) if (s.indexOf(PH[i]) >= 0) s = s.split(PH[i]).join(vals[i]);
  return s;
}
function statusBadge(st, big) {
  return h('span', 'badge ' + st + (big ? ' big' : ''), [h('span', 'sym', SYM[st]), ' ' + LABEL[st]]);
}
function copyText(text, b) {
  function done(ok) {
    var old = b.textContent;
    b.textContent = ok ? 'Copied' : 'Press Ctrl+C';
    b.classList.add('done');
    setTimeout(function () { b.textContent = old; b.classList.remove('done'); }, 1400);
  }
  function fallback() {
    var ta = h('textarea', 'offscreen');
    ta.value = text;
    document.body.appendChild(ta);
    ta.select();
    var ok = false;
    try { ok = document.execCommand('copy'); } catch (err) { ok = false; }
    document.body.removeChild(ta);
    done(ok);
  }
  if (navigator.clipboard && navigator.clipboard.writeText) {
    navigator.clipboard.writeText(text).then(function () { done(true); }, fallback);
  } else fallback();
}
function codeBlock(text, label) {
  var pre = h('pre', 'code', text);
  var b = btn('copy', 'Copy', null, 'Copy ' + (label || 'to the clipboard'));
  b.addEventListener('click', function () { copyText(text, b); });
  return h('div', 'codewrap', [pre, b]);
}

// ---------- decode ----------
var stages = D.stages.map(function (x) { return x[0]; });
var stageHelp = {};
D.stages.forEach(function (x) { stageHelp[x[0]] = x[1]; });
var scenHelp = {};
D.scenarios.forEach(function (x) { scenHelp[x[0]] = x[1]; });
var NS = stages.length;
var rows = D.rows.map(function (r, i) {
  return { i: i, glibc: S[r[0]], variant: S[r[1]], link: S[r[2]], scenario: S[r[3]], tr: null, labs: null, tds: null };
});
var grid = new Int32Array(rows.length * NS).fill(-1);
var cells = new Array(D.cells.length);
var byId = new Map();
for (var ci = 0; ci < D.cells.length; ci++) {
  var e = D.cells[ci];
  var row = rows[e[0] || 0];
  var col = e[1] || 0;
  var id = e[13] ? S[e[13]] : row.glibc + '/' + row.variant + '/' + row.link + '/' + row.scenario + '/' + stages[col];
  var ob0 = T[e[5] || 0] || [];
  var ost = ob0[0] === null || ob0[0] === undefined ? 'none' : S[ob0[0]];
  var c = { i: ci, e: e, row: row, col: col, stage: stages[col], status: STATUS[e[2] || 0], id: id, td: null, text: null, change: null,
    ostate: ost, ocls: OSTATES.indexOf(ost) >= 0 ? ost : 'other', inc: ob0[2] === false };
  cells[ci] = c;
  byId.set(id, c);
  grid[row.i * NS + col] = ci;
}
function vals(c) {
  return [c.id, S[c.e[8] || 0], c.row.glibc, c.row.variant, c.row.scenario, c.stage, c.row.link];
}
function reasonOf(c) { return c.e[3] ? expand(S[c.e[3]], vals(c)) : ''; }
function full(c) {
  var e = c.e, v = vals(c);
  var ex = T[e[4] || 0], ob = T[e[5] || 0];
  var obs = [];
  var base = straceBase(e);
  var o = e[6] || [];
  for (var i = 0; i + 3 < o.length; i += 4) {
    var t = T[o[i]];
    obs.push({
      stage: S[t[0]], pid: o[i + 1], tid: o[i + 2], kernel: S[t[1]], availErrno: t[2], probeErrno: t[3],
      rseqSize: t[4], rseqOffset: t[5], rseqFlags: t[6], cpuId: t[7], areaRegistered: t[8], areaLen: t[9],
      extra: t[10] || null, v: t[11], other: t[12] || null, strace: o[i + 3] ? decodeView(o[i + 3], base) : undefined
    });
  }
  var p = e[7] || null;
  var tr = p && p[6] ? p[6] : null;
  return {
    reason: reasonOf(c),
    expected: { state: S[ex[0]], registered: ex[1], rule: ex[2], why: S[ex[3]] },
    observed: { state: ob[0] === null ? null : S[ob[0]], registered: ob[1], consistent: ob[2], inconsistency: S[ob[3]], owner: ob[4] ? S[ob[4]] : null },
    observations: obs,
    probe: p ? { command: expand(S[p[0] || 0], v), exitCode: p[1], signal: p[2] === null || p[2] === undefined ? null : S[p[2]], timedOut: !!p[3], durationMs: p[4], stderrTail: expand(S[p[5] || 0], v),
      traced: tr ? { command: expand(S[tr[0] || 0], v), exitCode: tr[1], signal: tr[2] === null || tr[2] === undefined ? null : S[tr[2]], timedOut: !!tr[3], durationMs: tr[4] } : null,
      stdoutTail: p[7] ? expand(S[p[7]], v) : '' } : null,
    strace: e[14] ? decodeStrace(e[14], v) : undefined,
    straceReason: expand(S[e[15] || 0], v),
    other: e[16] ? T[e[16]][0] : null,
    buildKey: S[e[8] || 0],
    patches: (T[e[9] || 0] || []).map(function (x) { return S[x]; }),
    reproduce: expand(S[e[10] || 0], v),
    durationMs: e[11] || 0,
    logTail: expand(S[e[12] || 0], v)
  };
}
// The compact strace forms (encode.ts: encodeStraceView, encodeStraceCell); ['x', value] is a value kept whole,
// tids are relative to the cell's base.
function Sn(i) { return i === null || i === undefined ? null : S[i]; }
function merge(a, b) { if (b && typeof b === 'object') Object.keys(b).forEach(function (k) { a[k] = b[k]; }); return a; }
function rel(n, base) { return typeof n === 'number' ? n + base : n; }
function straceBase(e) { var t = e[14] ? T[e[14]] : null; return t && typeof t[4] === 'number' ? t[4] : 0; }
function decodeView(i, base) {
  var t = T[i];
  if (t[0] === 'x') return t[1];
  var f = t[3];
  var inForce = f === null || f === undefined ? null : f[0] === 'x' ? f[1] : { tid: f[0] + base, call: S[f[1]], by: S[f[2]] };
  return merge({ tid: t[0] + base, registeredBefore: t[1], anyRegisteredBefore: t[2], inForce: inForce, glibcRegisteredAfter: t[4], kernel: Sn(t[5]) }, t[6]);
}
function decodeEvent(i, base) {
  var t = T[i];
  if (t[0] === 0) return { kind: 'rseq', role: S[t[1]], call: S[t[2]], errno: Sn(t[3]) };
  if (t[0] === 1) {
    var m = { kind: 'marker', stage: S[t[1]], kernel: Sn(t[2]) };
    if (t[3] !== 0) m.inForce = Sn(t[3]);
    return m;
  }
  if (t[0] === 2) return { kind: 'spawn', child: rel(t[1], base), how: S[t[2]] };
  if (t[0] === 3) return { kind: 'exec', ok: !!t[1] };
  return t[1];
}
function decodeStrace(i, vals) {
  var t = T[i];
  if (t[0] === null) return null;
  if (t[0] === 'x') return t[1];
  var base = t[4] || 0;
  return merge({ version: S[t[0]], log: expand(S[t[1]], vals), threads: T[t[2]].map(function (th) {
    if (th[0] === 'x') return th[1];
    var x = { tid: th[0] + base, parent: rel(th[1], base), origin: S[th[2]] };
    if (th[3] !== 0) x.inherited = Sn(th[3]);
    x.events = th[5].map(function (ev) { return decodeEvent(ev, base); });
    x.probeCalls = th[4];
    return merge(x, th[6]);
  }) }, t[3]);
}
function searchText(c) {
  if (c.text === null) {
    var f = full(c);
    c.text = [c.id, c.status, 'observed ' + c.ostate, f.reason, f.expected.why, f.observed.inconsistency || '', f.buildKey, f.patches.join(' '),
      c.change ? c.change.verdict : ''].join('\n').toLowerCase();
  }
  return c.text;
}

// Comparison with a baseline.
var changes = [];
var removed = new Map();
if (D.base) {
  D.base.ch.forEach(function (x) {
    var ch = { verdict: VERDICTS[x[0]], cell: x[1] >= 0 ? cells[x[1]] : null, before: x[3] >= 0 ? STATUS[x[3]] : null, after: x[4] >= 0 ? STATUS[x[4]] : null };
    ch.id = ch.cell ? ch.cell.id : S[x[2]];
    ch.reason = ch.cell ? null : S[x[5] || 0];
    if (ch.cell) ch.cell.change = ch;
    else removed.set(ch.id, ch);
    changes.push(ch);
  });
  cells.forEach(function (c) {
    if (!c.change) c.change = { verdict: c.status === 'skip' ? 'UNCHANGED-SKIP' : 'UNCHANGED-PASS', cell: c, before: c.status, after: c.status, id: c.id };
  });
}

// ---------- state in the URL hash ----------
var F = { show: 'verdict', cell: '' };
/** Clears the filters; the open cell and what cells show are not filters. */
function resetF() { LIST_KEYS.forEach(function (k) { F[k] = []; }); F.q = ''; F.inc = false; }
resetF();
function filtering() { return F.inc || !!F.q || LIST_KEYS.some(function (k) { return F[k].length; }); }
function enc(v) { return encodeURIComponent(v).replace(/%2F/g, '/'); }
function readHash() {
  resetF();
  F.cell = '';
  F.show = 'verdict';
  var h0 = location.hash.replace(/^#/, '');
  if (!h0) return;
  h0.split('&').forEach(function (part) {
    var eq = part.indexOf('=');
    if (eq < 0) return;
    var k = part.slice(0, eq), v = part.slice(eq + 1);
    try {
      if (LIST_KEYS.indexOf(k) >= 0) F[k] = v.split(',').filter(Boolean).map(decodeURIComponent);
      else if (k === 'q' || k === 'cell') F[k] = decodeURIComponent(v.replace(/\+/g, ' '));
      else if (k === 'show') F.show = v === 'observed' ? 'observed' : 'verdict';
      else if (k === 'inconsistent') F.inc = v !== '0' && v !== 'false' && v !== '';
    } catch (err) { /* a malformed hash part is ignored */ }
  });
}
function hashString() {
  var parts = [];
  if (F.show !== 'verdict') parts.push('show=' + F.show);
  LIST_KEYS.forEach(function (k) { if (F[k].length) parts.push(k + '=' + F[k].map(enc).join(',')); });
  if (F.inc) parts.push('inconsistent=1');
  if (F.q) parts.push('q=' + encodeURIComponent(F.q));
  if (F.cell) parts.push('cell=' + enc(F.cell));
  return parts.join('&');
}
var lastHash = null;
function writeHash() {
  var s = hashString();
  lastHash = s;
  var url = location.href.split('#')[0] + (s ? '#' + s : '');
  try { history.replaceState(null, '', url); }
  catch (err) { location.hash = s; }
}

// ---------- page skeleton ----------
var app = $('app');
document.title = D.title;
var run = D.run, env = D.env, sum = D.summary;

function header() {
  var meta = h('div', 'meta', [
    h('span', null, ['Run ', h('code', null, run.id)]),
    h('span', null, ['Matrix ', h('code', null, run.matrix.name), ' ', h('span', 'dim-text', '(' + run.matrix.path + ')')]),
    h('span', null, ['Started ' + fmtDate(run.startedAt)]),
    run.finishedAt ? h('span', null, ['Finished ' + fmtDate(run.finishedAt)]) : null,
    h('span', null, ['Duration ' + fmtMs(run.durationMs)])
  ]);
  var state = run.complete
    ? h('span', 'runstate ok', 'Complete')
    : h('span', 'runstate bad', 'Interrupted' + (run.interrupted ? ': ' + run.interrupted : ''));
  return h('header', 'top', [h('div', 'titlebar', [h('h1', null, D.title), state]), meta]);
}

function summary() {
  var total = sum.total || cells.length;
  var cards = h('div', 'cards');
  ORDER.forEach(function (st) {
    var n = sum[st] || 0;
    var b = btn('card ' + st + (n ? '' : ' zero'), [
      h('span', 'cnum', num(n)),
      h('span', 'clab', [h('span', 'sym', SYM[st]), ' ' + LABEL[st]]),
      h('span', 'cpct', total ? (100 * n / total).toFixed(n && n * 1000 < total ? 2 : 1) + '%' : '')
    ], function () { F.status = F.status.length === 1 && F.status[0] === st ? [] : [st]; syncControls(); apply(); writeHash(); $('matrix').scrollIntoView({ block: 'start' }); }, 'Show only ' + LABEL[st].toLowerCase() + ' cells');
    cards.appendChild(b);
  });
  cards.appendChild(h('div', 'card total', [h('span', 'cnum', num(total)), h('span', 'clab', 'cells'), h('span', 'cpct', plural(rows.length, 'row') + ' \u00d7 ' + plural(NS, 'stage'))]));
  var bar = h('div', 'bar');
  ORDER.forEach(function (st) {
    if (!sum[st]) return;
    var seg = h('span', 'seg ' + st);
    seg.style.flexGrow = String(sum[st]);
    seg.title = LABEL[st] + ': ' + sum[st];
    bar.appendChild(seg);
  });
  var d = env.docker || {};
  var okBuilds = D.builds.filter(function (b) { return b.status === 'ok'; }).length;
  var cached = D.builds.filter(function (b) { return b.cached; }).length;
  var envList = [
    ['Kernel', env.kernel + ' (' + env.arch + ')'],
    ['Docker', (d.version || 'unknown') + ', API ' + (d.negotiatedApiVersion || d.apiVersion || '?') + (d.storageDriver ? ', ' + d.storageDriver : '') + ', seccomp ' + yn(d.seccomp)],
    ['Docker host', d.host],
    ['Node', env.node],
    ['Tool', env.tool],
    ['Host', env.hostname],
    ['Builds', D.builds.length + ' (' + okBuilds + ' ok, ' + (D.builds.length - okBuilds) + ' failed, ' + cached + ' cached)'],
    ['Matrix digest', run.matrix.digest && run.matrix.digest.length > 23 ? run.matrix.digest.slice(0, 22) + '\u2026' : run.matrix.digest]
  ];
  if (run.filter) envList.push(['Cell filter', run.filter]);
  if (run.shard) envList.push(['Shard', (run.shard.index + 1) + ' of ' + run.shard.count]);
  var dl = h('dl', 'env');
  envList.forEach(function (kv) { dl.appendChild(h('div', null, [h('dt', null, kv[0]), h('dd', null, kv[1] === null || kv[1] === undefined ? '\u2013' : String(kv[1]))])); });
  return h('section', 'summary', [cards, bar, observedStrip(), dl]);
}

// What the kernel reported, over all cells; each chip shows those cells in the observed view.
function observedStrip() {
  var n = {}, nInc = 0;
  cells.forEach(function (c) { n[c.ostate] = (n[c.ostate] || 0) + 1; if (c.inc) nInc++; });
  var strip = h('div', 'ostrip', h('span', 'fname', 'The kernel observed'));
  controls.ochips = {};
  Object.keys(n).sort(function (a, b) { return rankO(a) - rankO(b); }).forEach(function (st) {
    var cls = OSTATES.indexOf(st) >= 0 ? st : 'other';
    var b = btn('ochip', [h('span', 'opal sw o-' + cls, OSYM[cls]), h('b', null, num(n[st])), ' ' + st], function () {
      F.observed = F.observed.length === 1 && F.observed[0] === st && F.show === 'observed' ? [] : [st];
      F.show = 'observed';
      syncControls(); apply(); writeHash(); $('matrix').scrollIntoView({ block: 'start' });
    }, 'Show the ' + plural(n[st], 'cell') + ' where the kernel reported ' + st + (OHELP[st] ? ': ' + OHELP[st] : ''));
    b.setAttribute('data-observed', st);
    controls.ochips[st] = b;
    strip.appendChild(b);
  });
  var ib = btn('ochip incchip' + (nInc ? '' : ' zero'), [h('span', 'incdot'), h('b', null, num(nInc)), ' observers disagree'], function () {
    F.inc = !F.inc; syncControls(); apply(); writeHash(); $('matrix').scrollIntoView({ block: 'start' });
  }, 'Cells whose observers disagree (the kernel check, glibc\u2019s claim, strace): observed.consistent is false');
  controls.incchip = ib;
  strip.appendChild(ib);
  return strip;
}
function rankO(st) { var i = OSTATES.indexOf(st); return i < 0 ? OSTATES.length : i; }

function changeLine(ch) {
  var a = ch.before ? h('span', 'st ' + ch.before, SYM[ch.before]) : h('span', 'st none', '\u2205');
  var b = ch.after ? h('span', 'st ' + ch.after, SYM[ch.after]) : h('span', 'st none', '\u2205');
  var reason = ch.cell ? reasonOf(ch.cell) : ch.reason;
  var li = h('li');
  li.appendChild(btn('chg', [h('span', 'trans', [a, h('span', 'arrow', '\u2192'), b]), h('code', 'cid', ch.id), reason ? h('span', 'why', reason) : null],
    function () { openCell(ch.id); }, (ch.before || 'absent') + ' \u2192 ' + (ch.after || 'absent')));
  return li;
}
function changesSection() {
  var B = D.base;
  var sec = h('section', 'changes', [h('h2', null, ['Changes since baseline ', h('code', null, B.run.id)])]);
  sec.id = 'changes';
  sec.appendChild(h('p', 'sub', 'Baseline started ' + fmtDate(B.run.startedAt) + ', matrix ' + B.run.matrix + ', ' + plural(B.run.cells, 'cell') + (B.run.complete ? '' : ', incomplete') + '. Infrastructure errors (INFRA) are listed apart and never count as regressions.'));
  B.warnings.forEach(function (w) { sec.appendChild(h('p', 'warn', '\u26a0 ' + w)); });
  var chips = h('div', 'vchips');
  VERDICTS.forEach(function (v) {
    var n = B.counts[v] || 0;
    chips.appendChild(h('span', 'vchip v-' + v + (n ? '' : ' zero'), [h('b', null, String(n)), ' ' + v]));
  });
  sec.appendChild(chips);
  var listed = VERDICTS.filter(function (v) { return v.indexOf('UNCHANGED') !== 0; });
  var any = false;
  listed.forEach(function (v) {
    var g = changes.filter(function (x) { return x.verdict === v; });
    if (!g.length) return;
    any = true;
    var det = h('details', 'vgroup v-' + v);
    det.open = v === 'NEW-FAIL' || v === 'INFRA' || v === 'FIXED' || g.length <= 5;
    det.appendChild(h('summary', null, [h('span', 'vname', v), h('span', 'vcount', String(g.length)), h('span', 'vhelp', VHELP[v])]));
    var ul = h('ul', 'chglist');
    var LIMIT = 20;
    g.slice(0, LIMIT).forEach(function (x) { ul.appendChild(changeLine(x)); });
    det.appendChild(ul);
    if (g.length > LIMIT) {
      var more = btn('more', 'Show all ' + g.length, function () {
        g.slice(LIMIT).forEach(function (x) { ul.appendChild(changeLine(x)); });
        more.remove();
      });
      det.appendChild(more);
    }
    sec.appendChild(det);
  });
  if (!any) sec.appendChild(h('p', 'sub', 'No cell changed its outcome.'));
  return sec;
}

// ---------- filters ----------
var controls = {};
function uniq(key) {
  var seen = [];
  rows.forEach(function (r) { if (seen.indexOf(r[key]) < 0) seen.push(r[key]); });
  return seen;
}
function selectFor(key, label, values, help, all) {
  var s = h('select', 'sel');
  s.id = 'f-' + key;
  s.setAttribute('aria-label', label);
  var o = h('option', null, all || 'All ' + label + 's');
  o.value = '';
  s.appendChild(o);
  values.forEach(function (v) {
    var opt = h('option', null, key === 'observed' ? (OSYM[OSTATES.indexOf(v) >= 0 ? v : 'other'] + ' ' + v) : v);
    opt.value = v;
    if (help && help[v]) opt.title = help[v];
    s.appendChild(opt);
  });
  s.addEventListener('change', function () { F[key] = s.value ? s.value.split(',') : []; apply(); writeHash(); });
  controls[key] = s;
  return h('label', 'fl', [h('span', 'fname', label), s]);
}
function setShow(v) {
  if (F.show === v) return;
  F.show = v;
  syncControls(); apply(); writeHash();
}
function showSwitch() {
  var g = h('div', 'chips showsw');
  g.setAttribute('role', 'group');
  g.setAttribute('aria-label', 'Show in each cell');
  controls.show = {};
  [
    ['verdict', 'Verdict', SYM.pass + SYM.fail, 'Each cell shows its verdict: did the observation match the expectation?'],
    ['observed', 'Observed', OSYM.registered + OSYM.unregistered, 'Each cell shows what the kernel reported at that stage: was rseq registered? (fail and error cells keep a red mark)']
  ].forEach(function (x) {
    var b = btn('chip show', [h('span', 'sym', x[2]), ' ' + x[1]], function () { setShow(x[0]); }, x[3]);
    b.setAttribute('data-show', x[0]);
    b.setAttribute('aria-pressed', 'false');
    controls.show[x[0]] = b;
    g.appendChild(b);
  });
  return h('div', 'fl', [h('span', 'fname', 'Show'), g]);
}
function incFilter() {
  var n = 0;
  cells.forEach(function (c) { if (c.inc) n++; });
  var cb = h('input');
  cb.type = 'checkbox';
  cb.id = 'f-inconsistent';
  cb.addEventListener('change', function () { F.inc = cb.checked; syncControls(); apply(); writeHash(); });
  controls.inc = cb;
  var lab = h('label', 'fl incf' + (n ? '' : ' zero'), [cb, h('span', 'incdot'), 'Inconsistent only', h('span', 'dim-text', '(' + num(n) + ')')]);
  lab.title = 'Only cells whose observers disagree (observed.consistent is false): the kernel check against glibc\u2019s claim and strace\u2019s view';
  return lab;
}
function filters() {
  var box = h('div', 'filters');
  box.appendChild(showSwitch());
  box.appendChild(h('span', 'vsep'));
  var chips = h('div', 'chips');
  chips.setAttribute('role', 'group');
  chips.setAttribute('aria-label', 'Status');
  controls.status = {};
  ORDER.forEach(function (st) {
    var b = btn('chip ' + st, [h('span', 'sym', SYM[st]), ' ' + LABEL[st]], function () {
      var i = F.status.indexOf(st);
      if (i >= 0) F.status.splice(i, 1); else F.status.push(st);
      syncControls(); apply(); writeHash();
    }, 'Show ' + LABEL[st].toLowerCase() + ' cells');
    b.setAttribute('aria-pressed', 'false');
    b.setAttribute('data-status', st);
    controls.status[st] = b;
    chips.appendChild(b);
  });
  box.appendChild(chips);
  box.appendChild(incFilter());
  box.appendChild(h('span', 'break'));
  box.appendChild(selectFor('glibc', 'glibc', uniq('glibc')));
  box.appendChild(selectFor('variant', 'variant', uniq('variant')));
  box.appendChild(selectFor('link', 'link', uniq('link')));
  box.appendChild(selectFor('scenario', 'scenario', uniq('scenario'), scenHelp));
  box.appendChild(selectFor('stage', 'stage', stages, stageHelp));
  var present = [];
  cells.forEach(function (c) { if (present.indexOf(c.ostate) < 0) present.push(c.ostate); });
  present.sort(function (a, b) { return rankO(a) - rankO(b); });
  box.appendChild(selectFor('observed', 'observed', present, OHELP, 'Any observed state'));
  if (D.base) box.appendChild(selectFor('change', 'change', VERDICTS.filter(function (v) { return (D.base.counts[v] || 0) > 0; }), VHELP));
  var q = h('input', 'search');
  q.type = 'search';
  q.id = 'f-q';
  q.placeholder = 'Search id, reason, build, patch\u2026';
  q.setAttribute('aria-label', 'Search');
  var timer = 0;
  q.addEventListener('input', function () {
    clearTimeout(timer);
    timer = setTimeout(function () { F.q = q.value.trim(); apply(); writeHash(); }, 120);
  });
  controls.q = q;
  box.appendChild(q);
  box.appendChild(btn('reset', 'Clear filters', function () { resetF(); syncControls(); apply(); writeHash(); }));
  return box;
}
function syncControls() {
  ORDER.forEach(function (st) {
    var on = F.status.indexOf(st) >= 0;
    controls.status[st].setAttribute('aria-pressed', on ? 'true' : 'false');
    controls.status[st].classList.toggle('on', on);
  });
  ['verdict', 'observed'].forEach(function (v) {
    controls.show[v].setAttribute('aria-pressed', F.show === v ? 'true' : 'false');
    controls.show[v].classList.toggle('on', F.show === v);
  });
  controls.inc.checked = F.inc;
  controls.incchip.classList.toggle('on', F.inc);
  Object.keys(controls.ochips).forEach(function (st) {
    controls.ochips[st].classList.toggle('on', F.show === 'observed' && F.observed.length === 1 && F.observed[0] === st);
  });
  SELECT_KEYS.forEach(function (k) {
    var s = controls[k];
    if (!s) return;
    var multi = s.querySelector('option.multi');
    if (multi) multi.remove();
    if (F[k].length > 1) {
      // Several values (from a link): show them as one extra option.
      multi = h('option', 'multi', F[k].join(', '));
      multi.value = F[k].join(',');
      s.appendChild(multi);
      s.value = multi.value;
      return;
    }
    var v = F[k][0] || '';
    var ok = false;
    for (var i = 0; i < s.options.length; i++) if (s.options[i].value === v) ok = true;
    s.value = ok ? v : '';
  });
  if (controls.q.value.trim() !== F.q) controls.q.value = F.q;
}

// ---------- the grid ----------
// Rows are flex rows of fixed-width cells (not a <table>): with content-visibility the browser lays out
// and paints only the rows near the view, so 10,000 cells stay fast to show and to filter.
var table, countEl, colHeads = [];
function div(cls, role) {
  var e = document.createElement('div');
  e.className = cls;
  if (role) e.setAttribute('role', role);
  return e;
}
function buildGrid() {
  table = div('grid', 'grid');
  table.id = 'grid';
  table.setAttribute('aria-label', 'Cells: rows are glibc, variant, link and scenario; columns are stages');
  table.setAttribute('aria-rowcount', String(rows.length + 1));
  // Label columns as wide as their longest value (monospace: 1ch per character).
  AXES.forEach(function (a, k) {
    var w = a.length;
    rows.forEach(function (r) { if (r[a].length > w) w = r[a].length; });
    table.style.setProperty('--w' + k, Math.min(w, 48) + 2 + 'ch');
  });
  // The cells start with what the view shows (readHash ran), so paintView has nothing to do at first.
  var obsView = F.show === 'observed';
  shownView = F.show;
  if (obsView) table.classList.add('obsview');
  var head = div('grow ghead', 'row');
  // The heading text sits in a span: the label keeps the rows' font, so its width in ch matches theirs.
  AXES.forEach(function (a, k) { var x = div('lab head a' + k, 'columnheader'); x.appendChild(h('span', null, a)); head.appendChild(x); });
  stages.forEach(function (st) {
    var th = div('stage', 'columnheader');
    th.appendChild(h('span', null, st));
    th.title = st + (stageHelp[st] ? ': ' + stageHelp[st] : '');
    colHeads.push(th);
    head.appendChild(th);
  });
  table.appendChild(head);
  var body = div('gbody', 'rowgroup');
  var frag = document.createDocumentFragment();
  for (var r = 0; r < rows.length; r++) {
    var R = rows[r];
    var trr = div('grow', 'row');
    R.labs = [];
    for (var a = 0; a < 4; a++) {
      var th = div('lab a' + a, 'rowheader');
      th.textContent = R[AXES[a]];
      if (a === 3 && scenHelp[R.scenario]) th.title = scenHelp[R.scenario];
      R.labs.push(th);
      trr.appendChild(th);
    }
    R.tds = new Array(NS);
    for (var col = 0; col < NS; col++) {
      var ci = grid[r * NS + col];
      var td;
      if (ci < 0) {
        td = div('none', 'gridcell');
      } else {
        var c = cells[ci];
        td = div('c ' + c.status, 'gridcell');
        td.textContent = obsView ? OSYM[c.ocls] : SYM[c.status];
        td.setAttribute('aria-label', ariaOf(c, obsView));
        td.setAttribute('data-i', String(ci));
        td.tabIndex = -1;
        // Cells that need a second look carry their title from the start; the others get it on hover.
        if (c.inc || c.status === 'fail' || c.status === 'error') td.title = titleOf(c);
        c.td = td;
      }
      R.tds[col] = td;
      trr.appendChild(td);
    }
    R.tr = trr;
    frag.appendChild(trr);
  }
  body.appendChild(frag);
  table.appendChild(body);
  var first = cells.length ? cells[0].td : null;
  if (first) first.tabIndex = 0;

  table.addEventListener('click', function (ev) {
    var td = ev.target.closest ? ev.target.closest('.c[data-i]') : null;
    if (td) openCell(cells[+td.getAttribute('data-i')].id);
  });
  table.addEventListener('mouseover', function (ev) {
    var td = ev.target;
    if (!td.hasAttribute || td.title || !td.hasAttribute('data-i')) return;
    td.title = titleOf(cells[+td.getAttribute('data-i')]);
  });
  table.addEventListener('keydown', function (ev) {
    var td = ev.target;
    if (!td.hasAttribute || !td.hasAttribute('data-i')) return;
    var c = cells[+td.getAttribute('data-i')];
    if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); openCell(c.id); return; }
    var d = { ArrowLeft: [0, -1], ArrowRight: [0, 1], ArrowUp: [-1, 0], ArrowDown: [1, 0] }[ev.key];
    if (!d) return;
    ev.preventDefault();
    var r = c.row.i, k = c.col;
    for (var step = 0; step < rows.length + NS; step++) {
      r += d[0]; k += d[1];
      if (r < 0 || r >= rows.length || k < 0 || k >= NS) return;
      var n = grid[r * NS + k];
      if (n >= 0 && !rows[r].tr.hidden && !rows[r].tds[k].hidden) { focusCell(cells[n]); return; }
    }
  });
  return table;
}
function inconsistencyOf(c) { var ob = T[c.e[5] || 0] || []; return ob[3] ? S[ob[3]] : ''; }
function titleOf(c) {
  var r = reasonOf(c);
  var lines = [c.id, 'Verdict: ' + LABEL[c.status] + (r ? ': ' + r : ''), 'Observed: ' + c.ostate + (OHELP[c.ostate] ? ' (' + OHELP[c.ostate] + ')' : '')];
  if (c.inc) lines.push(INC_SYM + ' Observers disagree' + (inconsistencyOf(c) ? ': ' + inconsistencyOf(c) : ''));
  if (c.change && c.change.verdict.indexOf('UNCHANGED')) lines.push(c.change.verdict);
  return lines.join('\n');
}
function ariaOf(c, observed) {
  var v = observed ? 'Observed ' + c.ostate + ', verdict ' + LABEL[c.status] : LABEL[c.status] + ', observed ' + c.ostate;
  return v + (c.inc ? ', observers disagree' : '');
}
// What the cells show: their verdict or the observed state (set again only when the view changes).
var shownView = null;
function paintView() {
  var obsView = F.show === 'observed';
  legendV.hidden = obsView;
  legendO.hidden = !obsView;
  if (shownView === F.show) return;
  shownView = F.show;
  table.classList.toggle('obsview', obsView);
  for (var i = 0; i < cells.length; i++) {
    var c = cells[i];
    if (!c.td) continue;
    c.td.textContent = obsView ? OSYM[c.ocls] : SYM[c.status];
    c.td.setAttribute('aria-label', ariaOf(c, obsView));
  }
}
var focused = null;
function focusCell(c) {
  if (focused && focused.td) focused.td.tabIndex = -1;
  focused = c;
  c.td.tabIndex = 0;
  c.td.focus();
}

function matchList(list, v) { return !list.length || list.indexOf(v) >= 0; }
function apply() {
  paintView();
  var q = F.q.toLowerCase();
  var nV = {}, nO = {}, nInc = 0;
  var colOn = stages.map(function (st) { return matchList(F.stage, st); });
  colHeads.forEach(function (th, k) { th.hidden = !colOn[k]; });
  var shown = 0, rowsShown = 0, prev = null;
  for (var r = 0; r < rows.length; r++) {
    var R = rows[r];
    var rowOn = matchList(F.glibc, R.glibc) && matchList(F.variant, R.variant) && matchList(F.link, R.link) && matchList(F.scenario, R.scenario);
    var any = false;
    for (var k = 0; k < NS; k++) {
      var td = R.tds[k];
      td.hidden = !colOn[k];
      var ci = grid[r * NS + k];
      if (ci < 0) continue;
      var c = cells[ci];
      var on = rowOn && colOn[k] && matchList(F.status, c.status) && matchList(F.observed, c.ostate) &&
        (!F.inc || c.inc) &&
        (!F.change.length || (c.change && F.change.indexOf(c.change.verdict) >= 0)) &&
        (!q || searchText(c).indexOf(q) >= 0);
      td.className = 'c ' + c.status + ' o-' + c.ocls + (c.inc ? ' inc' : '') + (on ? '' : ' dim') + (c.id === F.cell ? ' sel' : '');
      if (on) {
        any = true; shown++;
        nV[c.status] = (nV[c.status] || 0) + 1;
        nO[c.ocls] = (nO[c.ocls] || 0) + 1;
        if (c.inc) nInc++;
      }
    }
    R.tr.hidden = !any;
    if (any) {
      rowsShown++;
      var newG = !prev || prev.glibc !== R.glibc;
      var newV = newG || prev.variant !== R.variant;
      R.tr.className = 'grow' + (newG ? ' gstart' : newV ? ' vstart' : '');
      R.labs[0].className = 'lab a0' + (newG ? '' : ' rep');
      R.labs[1].className = 'lab a1' + (newV ? '' : ' rep');
      R.labs[2].className = 'lab a2' + (newV || prev.link !== R.link ? '' : ' rep');
      prev = R;
    }
  }
  var filtered = filtering();
  Object.keys(legendN).forEach(function (k) {
    var n = k === 'inc' ? nInc : k.indexOf('o-') === 0 ? nO[k.slice(2)] || 0 : nV[k] || 0;
    legendN[k].forEach(function (el) { el.textContent = num(n); el.parentNode.classList.toggle('zero', !n); });
  });
  clear(countEl).appendChild(document.createTextNode(filtered
    ? 'Showing ' + num(shown) + ' of ' + plural(cells.length, 'cell') + ' in ' + plural(rowsShown, 'row')
    : plural(cells.length, 'cell') + ' in ' + plural(rows.length, 'row')));
  $('empty').hidden = shown > 0;
  renderProblems();
}

// Two legends, one per view; the counts are of the cells shown.
var legendV, legendO, legendN = {};
function countSpan(key) {
  var e = h('span', 'ln', '');
  (legendN[key] = legendN[key] || []).push(e);
  return e;
}
function legendItem(sw, label, key, title) {
  var li = h('span', 'li', [sw, ' ' + label, key ? countSpan(key) : null]);
  if (title) li.title = title;
  return li;
}
function legend() {
  legendV = h('div', 'legend');
  ORDER.forEach(function (st) { legendV.appendChild(legendItem(h('span', 'c ' + st + ' sw', SYM[st]), LABEL[st], st)); });
  legendV.appendChild(legendItem(h('span', 'c blank inc sw', ''), 'observers disagree', 'inc', 'observed.consistent is false: hover the cell for why'));
  legendV.appendChild(legendItem(h('span', 'c pass dim sw', SYM.pass), 'filtered out'));
  legendV.appendChild(legendItem(h('span', 'none sw', ''), 'not in the matrix'));
  legendO = h('div', 'legend obsview');
  OSTATES.forEach(function (st) {
    legendO.appendChild(legendItem(h('span', 'c o-' + st + ' sw', OSYM[st]), st === 'none' ? 'none / skip' : st, 'o-' + st, OHELP[st]));
  });
  legendO.appendChild(legendItem(h('span', 'c fail o-blank sw', ''), 'verdict fail', 'fail', 'red frame and corner: the observation did not match the expectation'));
  legendO.appendChild(legendItem(h('span', 'c error o-blank sw', ''), 'verdict error', 'error', 'dashed frame and corner: no trustworthy observation'));
  legendO.appendChild(legendItem(h('span', 'c blank inc sw', ''), 'observers disagree', 'inc', 'observed.consistent is false: hover the cell for why'));
  legendO.hidden = true;
  return h('div', 'legends', [legendV, legendO]);
}

// ---------- failures and errors, grouped by reason ----------
var problemsBox;
function renderProblems() {
  if (!problemsBox) return;
  clear(problemsBox);
  var groups = new Map();
  function put(kind, r, c) {
    // Reasons that differ only in numbers (pids, sizes, cpu ids) are one group.
    var key = kind + '\u0000' + r.replace(/\d+/g, '#');
    var g = groups.get(key);
    if (!g) { g = { status: kind, reason: r, cells: [] }; groups.set(key, g); }
    g.cells.push(c);
  }
  cells.forEach(function (c) {
    if (c.status !== 'fail' && c.status !== 'error' && !c.inc) return;
    if (c.td && c.td.className.indexOf(' dim') >= 0) return;
    if (c.td && (c.td.hidden || c.row.tr.hidden)) return;
    if (c.status === 'fail' || c.status === 'error') put(c.status, reasonOf(c) || '(no reason given)', c);
    if (c.inc) put('inc', inconsistencyOf(c) || '(no detail recorded)', c);
  });
  var RANK = { fail: 0, error: 1, inc: 2 };
  var list = Array.from(groups.values()).sort(function (a, b) {
    return RANK[a.status] - RANK[b.status] || b.cells.length - a.cells.length;
  });
  if (!list.length) { problemsBox.appendChild(h('p', 'sub', filtering() ? 'No failures, errors or disagreements among the cells shown.' : 'No failures, no errors, and the observers agree everywhere.')); return; }
  list.forEach(function (g) {
    var det = h('details', 'pgroup ' + g.status);
    det.open = list.length <= 8;
    var badge = g.status === 'inc' ? h('span', 'badge inc', [h('span', 'sym', INC_SYM), ' Observers disagree']) : statusBadge(g.status);
    det.appendChild(h('summary', null, [badge, h('span', 'pcount', '\u00d7 ' + g.cells.length), h('span', 'preason', g.reason)]));
    var ul = h('ul', 'plist');
    var LIMIT = 60;
    function addCells(from, to) {
      g.cells.slice(from, to).forEach(function (c) { ul.appendChild(h('li', null, btn('plink', c.id, function () { openCell(c.id); }))); });
    }
    addCells(0, LIMIT);
    det.appendChild(ul);
    if (g.cells.length > LIMIT) {
      var more = btn('more', 'Show all ' + g.cells.length, function () { addCells(LIMIT); more.remove(); });
      det.appendChild(more);
    }
    problemsBox.appendChild(det);
  });
}

// ---------- builds ----------
function testCounts(tests) {
  var n = {};
  Object.keys(tests).forEach(function (k) { var v = String(tests[k]); n[v] = (n[v] || 0) + 1; });
  return n;
}
function testSummary(n) {
  var keys = Object.keys(n).sort(function (a, b) { return (a === 'FAIL' ? -1 : b === 'FAIL' ? 1 : 0) || (a === 'PASS' ? -1 : b === 'PASS' ? 1 : 0) || (a < b ? -1 : 1); });
  return keys.map(function (k) { return h('span', 'tres ' + (k === 'PASS' ? 'ok' : k === 'FAIL' || k === 'ERROR' ? 'bad' : 'other'), num(n[k]) + ' ' + k); });
}
// One colour per phase name across all builds (the order they first appear in).
var phaseNames = [];
function phaseColour(k) {
  var i = phaseNames.indexOf(k);
  if (i < 0) { i = phaseNames.length; phaseNames.push(k); }
  return 'p' + (i % 8);
}
function phasesView(b) {
  var ph = b.phases && typeof b.phases === 'object' ? b.phases : {};
  var names = Object.keys(ph).filter(function (k) { return typeof ph[k] === 'number'; });
  if (typeof b.probeCompileMs === 'number' && b.probeCompileMs > 0 && !('probe' in ph)) names.push('\u0000probe');
  if (!names.length) return null;
  var val = function (k) { return k === '\u0000probe' ? b.probeCompileMs : ph[k]; };
  var total = names.reduce(function (t, k) { return t + Math.max(0, val(k)); }, 0);
  var bar = h('div', 'pbar');
  var list = h('div', 'plistx');
  names.forEach(function (k) {
    var label = k === '\u0000probe' ? 'probe compile' : k;
    var seg = h('span', 'pseg ' + phaseColour(label));
    seg.style.flexGrow = String(Math.max(0, val(k)));
    seg.title = label + ': ' + fmtMs(val(k));
    bar.appendChild(seg);
    list.appendChild(h('span', 'ph', [h('span', 'pkey ' + phaseColour(label)), label + ' ', h('b', 'num', fmtMs(val(k)))]));
  });
  return h('div', 'phases', [total > 0 ? bar : null, list]);
}
function buildsSection() {
  var det = h('details', 'builds');
  var ok = 0, cold = 0, inc = 0, cached = 0, tests = {}, anyTests = false;
  D.builds.forEach(function (b) {
    if (b.status === 'ok') ok++;
    if (b.cached) cached++;
    if (b.mode === 'cold') cold++; else if (b.mode === 'incremental') inc++;
    if (b.glibcTests && typeof b.glibcTests === 'object') {
      anyTests = true;
      var n = testCounts(b.glibcTests);
      Object.keys(n).forEach(function (k) { tests[k] = (tests[k] || 0) + n[k]; });
    }
  });
  var facts = [ok + ' ok'];
  if (ok < D.builds.length) facts.push((D.builds.length - ok) + ' failed');
  facts.push(cached + ' cached');
  if (cold || inc) facts.push(cold + ' cold, ' + inc + ' incremental');
  det.appendChild(h('summary', null, [h('h2', 'inline', 'Builds (' + D.builds.length + ')'), h('span', 'bsum', facts.join(' \u00b7 ')),
    anyTests ? h('span', 'bsum', ['glibc tests: ', testSummary(tests)]) : null]));
  // Open when something needs a look: a failed build or a failed glibc test.
  det.open = ok < D.builds.length || (tests.FAIL || 0) > 0;
  var t = h('table', 'kv wide builds-t');
  var cols = ['Key', 'glibc', 'Variant', 'Status', 'Mode', 'Cached', 'Duration', 'Compiled', 'Description'];
  t.appendChild(h('thead', null, h('tr', null, cols.map(function (x) { return h('th', null, x); }))));
  var tb = h('tbody');
  D.builds.forEach(function (b) {
    var tr = h('tr', 'brow' + (b.status === 'ok' ? '' : ' bad'), [h('td', 'nw', h('code', null, b.key)), h('td', 'nw', b.glibc), h('td', 'nw', b.variant),
      h('td', null, b.status === 'ok' ? h('span', 'badge pass', 'ok') : h('span', 'badge error', 'failed')),
      h('td', 'nw', b.mode ? h('span', 'mode ' + (b.mode === 'cold' ? 'cold' : 'incr'), b.mode) : '\u2013'),
      h('td', null, yn(b.cached)), h('td', 'num', fmtMs(b.durationMs)),
      h('td', 'num', typeof b.compiledFiles === 'number' ? plural(b.compiledFiles, 'file') : '\u2013'),
      h('td', null, [b.description, b.reason ? h('div', 'why', b.reason) : null])]);
    tb.appendChild(tr);
    var more = [];
    var pv = phasesView(b);
    if (pv) more.push(h('div', 'bline', [h('span', 'fname', 'Phases'), pv]));
    if (b.glibcTests && typeof b.glibcTests === 'object') {
      var names = Object.keys(b.glibcTests);
      var tdet = h('details', 'gtests');
      tdet.open = names.some(function (k) { return b.glibcTests[k] === 'FAIL'; }) && names.length <= 40;
      tdet.appendChild(h('summary', null, [h('span', 'fname', 'glibc tests'), ' ', testSummary(testCounts(b.glibcTests))]));
      var tl = h('ul', 'tlist');
      names.sort(function (x, y) { var fx = b.glibcTests[x] === 'FAIL' ? 0 : 1, fy = b.glibcTests[y] === 'FAIL' ? 0 : 1; return fx - fy || (x < y ? -1 : x > y ? 1 : 0); });
      names.forEach(function (k) {
        var v = String(b.glibcTests[k]);
        tl.appendChild(h('li', null, [h('span', 'tres ' + (v === 'PASS' ? 'ok' : v === 'FAIL' || v === 'ERROR' ? 'bad' : 'other'), v), ' ', h('code', null, k)]));
      });
      tdet.appendChild(tl);
      more.push(tdet);
    }
    if (b.logPath) more.push(h('div', 'bline', [h('span', 'fname', 'Log'), h('code', null, b.logPath)]));
    if (b.logTail) more.push(h('pre', 'log', b.logTail));
    if (more.length) {
      var lc = h('td', 'logcell bmore', more);
      lc.colSpan = cols.length;
      tb.appendChild(h('tr', 'bdetail', lc));
    }
  });
  t.appendChild(tb);
  det.appendChild(h('div', 'scrollx', t));
  return det;
}

// ---------- the side panel ----------
var panel, panelBody;
function kvTable(pairs) {
  var t = h('table', 'kv');
  pairs.forEach(function (p) {
    if (!p) return;
    t.appendChild(h('tr', null, [h('th', null, p[0]), h('td', p[2] || null, p[1] === null || p[1] === undefined || p[1] === '' ? '\u2013' : p[1])]));
  });
  return t;
}
function sectionP(title, kids) { return h('section', 'psec', [h('h3', null, title), kids]); }
function stateCell(state, ok) {
  var cls = state && OSTATES.indexOf(state) >= 0 ? state : state ? 'other' : 'none';
  return h('span', 'state ' + cls + (ok === false ? ' mismatch' : ''), [OSYM[cls] ? h('span', 'osym', OSYM[cls]) : null, state || 'nothing observed']);
}
function obsBadge(c) {
  return h('span', 'badge opal o-' + c.ocls + (c.status === 'skip' ? '' : ' big'), [h('span', 'sym', OSYM[c.ocls]), ' ' + (c.ostate === 'none' ? 'nothing observed' : c.ostate)]);
}
// Generic values (extra fields, strace, fields this page does not know): flattened to dotted keys, as text.
function fmtVal(v) {
  if (v === null) return 'null';
  if (v === undefined) return undefined;
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}
function flat(prefix, v, out) {
  out = out || [];
  if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length) {
    Object.keys(v).forEach(function (k) { flat(prefix ? prefix + '.' + k : k, v[k], out); });
  } else out.push([prefix || 'value', fmtVal(v)]);
  return out;
}
function codePairs(prefix, v) { return flat(prefix, v).map(function (kv) { return [kv[0], h('code', null, kv[1])]; }); }
/** The fields of o other than these, or null. */
function others(o, known) {
  var r = null;
  Object.keys(o).forEach(function (k) { if (known.indexOf(k) < 0) { r = r || {}; r[k] = o[k]; } });
  return r;
}
function flatMap(prefix, v) {
  var m = {};
  if (v !== undefined && v !== null) flat(prefix, v).forEach(function (kv) { m[kv[0]] = kv[1]; });
  return m;
}
function observationsTable(obs) {
  if (!obs.length) return h('p', 'sub', 'No observation: the probe wrote nothing for this cell.');
  var fields = [
    ['stage', function (o) { return o.stage; }], ['pid', function (o) { return o.pid; }], ['tid', function (o) { return o.tid; }],
    ['kernel', function (o) { return o.kernel; }], ['availErrno', function (o) { return errno(o.availErrno); }],
    ['probeErrno', function (o) { return errno(o.probeErrno); }],
    ['glibc.rseqSize', function (o) { return o.rseqSize; }], ['glibc.rseqOffset', function (o) { return o.rseqOffset; }],
    ['glibc.rseqFlags', function (o) { return o.rseqFlags; }], ['glibc.cpuId', function (o) { return o.cpuId; }],
    ['glibc.areaRegistered', function (o) { return o.areaRegistered === null ? null : yn(o.areaRegistered); }],
    ['glibc.areaLen', function (o) { return o.areaLen; }]
  ];
  fields.push(['v', function (o) { return o.v; }]);
  // Groups of generic rows: the variant's own symbols, strace's outside view, anything else the probe wrote.
  function group(title, prefix, get) {
    var maps = obs.map(function (o) { return flatMap(prefix, get(o)); });
    var keys = [];
    maps.forEach(function (m) { Object.keys(m).forEach(function (k) { if (keys.indexOf(k) < 0) keys.push(k); }); });
    if (!keys.length) return;
    fields.push(['#', title]);
    keys.forEach(function (k) { fields.push([k, function (o) { return maps[obs.indexOf(o)][k]; }]); });
  }
  group('extra: symbols only some variants have', 'extra', function (o) { return o.extra; });
  group('strace: the outside view of this line', 'strace', function (o) { return o.strace; });
  group('other fields', '', function (o) { return o.other; });
  var t = h('table', 'obs');
  var head = h('tr', null, h('th', null, 'field'));
  obs.forEach(function (o, i) { head.appendChild(h('th', null, '#' + (i + 1) + (o.tid !== o.pid ? ' (thread)' : ''))); });
  t.appendChild(h('thead', null, head));
  var tb = h('tbody');
  fields.forEach(function (f) {
    if (f[0] === '#') {
      var gh = h('th', null, f[1]);
      gh.colSpan = obs.length + 1;
      tb.appendChild(h('tr', 'grp', gh));
      return;
    }
    var tr = h('tr', null, h('th', null, f[0]));
    var seen = obs.map(function (o) { return String(f[1](o)); });
    // Values that differ between the observations (other than pid/tid) are what a reviewer looks for.
    if (f[0] !== 'tid' && seen.some(function (x) { return x !== seen[0]; })) tr.className = 'differs';
    obs.forEach(function (o) {
      var v = f[1](o);
      var td = h('td', v === null || v === undefined ? 'null' : null, v === null || v === undefined ? '\u2013' : String(v));
      if (f[0] === 'kernel' || f[0] === 'strace.kernel') td.className = 'state ' + (OSTATES.indexOf(v) >= 0 ? v : 'other');
      tr.appendChild(td);
    });
    tb.appendChild(tr);
  });
  t.appendChild(tb);
  return h('div', 'scrollx', t);
}
function envTable() {
  var d = env.docker || {};
  return kvTable([
    ['kernel', env.kernel], ['arch', env.arch], ['host', env.hostname], ['node', env.node], ['tool', env.tool],
    ['docker', d.version], ['docker API', (d.apiVersion || '?') + ' (negotiated ' + (d.negotiatedApiVersion || '?') + ')'],
    ['docker host', d.host], ['seccomp', yn(d.seccomp)], ['storage driver', d.storageDriver]
  ]);
}
function panelHead(id, badge, extra) {
  if (Array.isArray(badge)) badge = h('span', 'pbadges', badge);
  var close = btn('close', '\u00d7', closePanel, 'Close (Esc)');
  close.setAttribute('aria-label', 'Close');
  var link = btn('linkbtn', 'Copy link', null, 'Copy a link to this view');
  link.addEventListener('click', function () { copyText(location.href, link); });
  return h('div', 'phead', [h('div', 'ptitle', [badge, h('code', 'pid', id)]), h('div', 'pbtns', [extra, link, close])]);
}
function renderPanel() {
  if (!F.cell) { panel.hidden = true; document.body.classList.remove('panel-open'); return; }
  // A fresh element starts scrolled to the top, without forcing a layout as setting scrollTop would.
  var fresh = h('div', 'pbody');
  panel.replaceChild(fresh, panelBody);
  panelBody = fresh;
  panel.hidden = false;
  document.body.classList.add('panel-open');
  var c = byId.get(F.cell);
  if (!c) {
    var ch = removed.get(F.cell);
    panelBody.appendChild(panelHead(F.cell, ch ? h('span', 'badge removed', 'Removed') : h('span', 'badge removed', 'Unknown')));
    panelBody.appendChild(h('p', 'callout', ch
      ? 'This cell is not in this run. In the baseline ' + D.base.run.id + ' it was ' + (ch.before || 'absent') + (ch.reason ? ': ' + ch.reason : '.')
      : 'There is no cell ' + F.cell + ' in this report.'));
    return;
  }
  var f = full(c);
  panelBody.appendChild(panelHead(c.id, [statusBadge(c.status, true), obsBadge(c),
    c.inc ? h('span', 'badge inc big', [h('span', 'sym', INC_SYM), ' observers disagree']) : null]));
  var coords = h('div', 'coords');
  AXES.concat(['stage']).forEach(function (a) {
    var v = a === 'stage' ? c.stage : c.row[a];
    coords.appendChild(h('span', 'coord', [h('span', 'ck', a), h('span', 'cv', v)]));
  });
  panelBody.appendChild(coords);
  if (c.stage && stageHelp[c.stage]) panelBody.appendChild(h('p', 'sub', 'Stage: ' + stageHelp[c.stage] + (scenHelp[c.row.scenario] ? '. Scenario: ' + scenHelp[c.row.scenario] + '.' : '.')));
  if (f.reason) panelBody.appendChild(h('p', 'callout ' + c.status, f.reason));
  var withStrace = f.observations.some(function (o) { return o.strace !== undefined; });
  var observers = withStrace ? 'the kernel check, glibc\u2019s claim and strace' : 'the kernel check and glibc\u2019s claim';
  if (f.observed.consistent === false) {
    panelBody.appendChild(h('div', 'callout inc', [h('b', null, [h('span', 'sym', INC_SYM), ' Observers disagree']),
      h('div', 'incwhy', f.observed.inconsistency || '(no detail recorded)'),
      h('div', 'dim-text', 'The kernel check alone decides the observed state (' + (f.observed.state || 'nothing') + '); ' + observers + ' do not all tell the same story.')]));
  }
  if (c.change) {
    var cv = c.change;
    panelBody.appendChild(h('p', 'vline', [h('span', 'vchip v-' + cv.verdict, cv.verdict), ' ', h('b', null, (cv.before || 'absent') + ' \u2192 ' + (cv.after || 'absent')), ' since baseline ', h('code', null, D.base.run.id), ': ' + VHELP[cv.verdict] + '.']));
  }

  // Expected vs observed.
  var ex = f.expected, ob = f.observed;
  var mismatch = c.status === 'fail';
  var eo = h('table', 'eo');
  eo.appendChild(h('thead', null, h('tr', null, [h('th'), h('th', null, 'Expected'), h('th', null, 'Observed')])));
  var tb = h('tbody');
  tb.appendChild(h('tr', null, [h('th', null, 'state'), h('td', null, stateCell(ex.state)), h('td', null, stateCell(ob.state, mismatch && ex.state !== ob.state ? false : null))]));
  tb.appendChild(h('tr', null, [h('th', null, 'registered'), h('td', null, yn(ex.registered)), h('td', mismatch && ex.registered !== ob.registered ? 'mismatch' : null, yn(ob.registered))]));
  tb.appendChild(h('tr', null, [h('th', null, 'why'), h('td', 'span2', ex.why)]));
  tb.lastChild.lastChild.colSpan = 2;
  tb.appendChild(h('tr', null, [h('th', null, 'rule'), h('td', 'span2', ex.rule < 0 ? 'the stage\u2019s own applicability' : 'matrix rule #' + ex.rule)]));
  tb.lastChild.lastChild.colSpan = 2;
  if (ob.owner) {
    tb.appendChild(h('tr', null, [h('th', null, 'registration owner'), h('td', 'span2', ob.owner === 'glibc' ? 'glibc (its area was registered; the client made no registration of its own)' : ob.owner === 'test' ? 'the client (it registered its own area)' : ob.owner)]));
    tb.lastChild.lastChild.colSpan = 2;
  }
  var cons = ob.consistent === null || ob.consistent === undefined ? 'cannot tell' : ob.consistent ? 'yes: ' + observers + ' agree' : 'NO: ' + observers + ' disagree';
  tb.appendChild(h('tr', ob.consistent === false ? 'incrow' : null, [h('th', null, 'observers consistent'), h('td', ob.consistent === false ? 'inc' : null, [cons, ob.inconsistency ? h('div', 'why', ob.inconsistency) : null])]));
  tb.lastChild.lastChild.colSpan = 2;
  eo.appendChild(tb);
  panelBody.appendChild(sectionP('Expected vs observed', eo));
  panelBody.appendChild(sectionP('Observations (' + f.observations.length + ')', observationsTable(f.observations)));
  if (f.reproduce) panelBody.appendChild(sectionP('Reproduce', codeBlock(f.reproduce, 'the command')));
  if (f.probe) {
    var p = f.probe;
    panelBody.appendChild(sectionP('Probe run', h('div', null, [
      kvTable([
        ['exit code', p.exitCode === null ? 'none' : String(p.exitCode), p.exitCode ? 'bad' : null],
        ['signal', p.signal || 'none', p.signal ? 'bad' : null],
        ['timed out', yn(p.timedOut), p.timedOut ? 'bad' : null],
        ['duration', fmtMs(p.durationMs)],
        ['cell duration', fmtMs(f.durationMs)],
        p.traced ? ['traced run', [
          'exit ' + (p.traced.exitCode === null ? 'none' : p.traced.exitCode) + (p.traced.signal ? ', ' + p.traced.signal : '') + (p.traced.timedOut ? ', timed out' : ''),
          ', ' + fmtMs(p.traced.durationMs) + ' (strace overhead ' + fmtMs(p.traced.durationMs - p.durationMs) + ')'
        ], p.traced.exitCode || p.traced.signal || p.traced.timedOut ? 'bad' : null] : null
      ]),
      codeBlock(p.command, 'the probe command'),
      p.traced && p.traced.command !== p.command ? codeBlock(p.traced.command, 'the traced command') : null
    ])));
  } else {
    panelBody.appendChild(sectionP('Probe run', h('p', 'sub', c.status === 'skip' ? 'Not run: the cell is skipped.' : 'No probe ran.')));
  }
  if (f.probe && f.probe.stdoutTail) panelBody.appendChild(sectionP('Client stdout (tail)', h('pre', 'log', f.probe.stdoutTail)));
  if (f.probe && f.probe.stderrTail) panelBody.appendChild(sectionP('Probe stderr (tail)', h('pre', 'log', f.probe.stderrTail)));
  var st = straceSection(f, c);
  if (st) panelBody.appendChild(st);
  if (f.other) panelBody.appendChild(sectionP('Other fields', kvTable(codePairs('', f.other))));
  if (f.logTail) panelBody.appendChild(sectionP('Log (tail)', h('pre', 'log', f.logTail)));
  var build = D.builds.filter(function (b) { return b.key === f.buildKey; })[0];
  var patches = f.patches.length ? h('ol', 'patches', f.patches.map(function (x) { return h('li', null, h('code', null, x)); })) : 'none (the glibc as shipped)';
  panelBody.appendChild(sectionP('Build', kvTable([
    ['build key', h('code', null, f.buildKey)],
    build ? ['build', [build.status === 'ok' ? 'ok' : 'failed', build.cached ? ' (cached)' : '', ', ' + fmtMs(build.durationMs)]] : null,
    build ? ['description', build.description] : null,
    build && build.reason ? ['build error', build.reason, 'bad'] : null,
    ['patches', patches]
  ])));
  panelBody.appendChild(sectionP('Environment', envTable()));
}
// The outside observer (strace -f of the same invocation): the threads that matter and their events.
function eventLine(e, stage) {
  if (!e || typeof e !== 'object') return h('li', 'ev', fmtVal(e));
  if (e.kind === 'rseq') {
    var own = String(e.role).indexOf('glibc') === 0;
    return h('li', 'ev rseq' + (e.errno ? ' err' : ''), [h('span', 'evk', 'rseq'), h('span', 'evrole' + (own ? ' glibc' : ''), e.role), h('code', null, e.call), e.errno ? h('span', 'everr', e.errno) : null]);
  }
  if (e.kind === 'marker') {
    var cls = e.kernel && OSTATES.indexOf(e.kernel) >= 0 ? e.kernel : 'none';
    return h('li', 'ev marker' + (e.stage === stage ? ' here' : ''), [h('span', 'evk', 'write'), h('code', null, e.stage),
      h('span', 'state ' + cls, [h('span', 'osym', OSYM[cls]), e.kernel || 'no answer']),
      e.inForce === undefined ? null : h('span', 'dim-text', 'in force: ' + (e.inForce === null ? 'none' : e.inForce))]);
  }
  if (e.kind === 'spawn') return h('li', 'ev spawn', [h('span', 'evk', e.how), '\u2192 tid ' + e.child]);
  if (e.kind === 'exec') return h('li', 'ev exec', [h('span', 'evk', 'execve'), e.ok ? 'ok' : 'failed']);
  return h('li', 'ev', h('code', null, fmtVal(e)));
}
function straceSection(f, c) {
  var title = 'Outside view (strace)';
  if (f.strace === undefined) return f.straceReason ? sectionP(title, h('p', 'callout', f.straceReason)) : null;
  if (f.strace === null) return sectionP(title, h('p', 'callout', 'strace could not watch this probe' + (f.straceReason ? ': ' + f.straceReason : '.') + ' The verdict does not depend on it.'));
  var sc = f.strace;
  if (typeof sc !== 'object' || !Array.isArray(sc.threads)) return sectionP(title, kvTable(codePairs('', sc)));
  var pairs = [['strace', sc.version], ['log', h('code', null, sc.log)], f.straceReason ? ['note', f.straceReason] : null];
  var rest = others(sc, ['version', 'log', 'threads']);
  var box = h('div', null, kvTable(rest ? pairs.concat(codePairs('', rest)) : pairs));
  sc.threads.forEach(function (th) {
    if (!th || typeof th !== 'object' || !Array.isArray(th.events)) { box.appendChild(kvTable(codePairs('thread', th))); return; }
    var inh = th.inherited === undefined ? 'inherited: cannot tell' : th.inherited === null ? 'inherited no registration' : 'inherited ' + th.inherited + '\u2019s registration';
    var head = h('div', 'thead2', [h('b', null, 'tid ' + th.tid), h('span', 'tag', th.origin),
      th.parent !== null && th.parent !== undefined ? h('span', 'dim-text', 'parent ' + th.parent) : null,
      h('span', 'dim-text', inh),
      th.probeCalls ? h('span', 'dim-text', plural(th.probeCalls, 'probe rseq call') + ' not listed') : null]);
    var ol = h('ol', 'evlist', th.events.map(function (e) { return eventLine(e, c.stage); }));
    var extra = others(th, ['tid', 'parent', 'origin', 'inherited', 'events', 'probeCalls']);
    box.appendChild(h('div', 'sthread', [head, th.events.length ? ol : h('p', 'sub', 'no events'), extra ? kvTable(codePairs('', extra)) : null]));
  });
  return sectionP(title, box);
}
function openCell(id) {
  F.cell = id;
  writeHash();
  markSelected();
  renderPanel();
  var c = byId.get(id);
  if (c && c.td && !c.row.tr.hidden) { if (focused && focused.td) focused.td.tabIndex = -1; focused = c; c.td.tabIndex = 0; }
}
function closePanel() {
  var c = byId.get(F.cell);
  F.cell = '';
  writeHash();
  markSelected();
  renderPanel();
  if (c && c.td && !c.row.tr.hidden) c.td.focus();
}
var selTd = null;
function markSelected() {
  if (selTd) selTd.classList.remove('sel');
  var c = byId.get(F.cell);
  selTd = c && c.td ? c.td : null;
  if (selTd) selTd.classList.add('sel');
}

// ---------- assemble ----------
function main() {
  readHash();
  var frag = document.createDocumentFragment();
  frag.appendChild(header());
  frag.appendChild(summary());
  if (D.base) frag.appendChild(changesSection());
  var gsec = h('section', 'matrix');
  gsec.id = 'matrix';
  countEl = h('span', 'count');
  gsec.appendChild(h('div', 'sechead', [h('h2', null, 'Matrix'), countEl]));
  gsec.appendChild(filters());
  gsec.appendChild(legend());
  var wrap = h('div', 'gridwrap', buildGrid());
  gsec.appendChild(wrap);
  var empty = h('p', 'emptymsg', 'No cell matches the filters.');
  empty.id = 'empty';
  empty.hidden = true;
  gsec.appendChild(empty);
  frag.appendChild(gsec);
  problemsBox = h('div', 'problems');
  frag.appendChild(h('section', 'probsec', [h('h2', null, 'Failures, errors and observer disagreements, by reason'), problemsBox]));
  frag.appendChild(buildsSection());
  frag.appendChild(h('footer', null, 'Generated by ' + env.tool + ' from run ' + run.id + '. Filters and the open cell are kept in the address: copy it to share this view.'));
  panel = h('aside', 'panel');
  panel.id = 'panel';
  panel.hidden = true;
  panel.setAttribute('aria-label', 'Cell details');
  panelBody = h('div', 'pbody');
  panel.appendChild(panelBody);
  frag.appendChild(panel);
  clear(app).appendChild(frag);

  lastHash = location.hash.replace(/^#/, '');
  syncControls();
  apply();
  markSelected();
  renderPanel();
  window.addEventListener('hashchange', function () {
    var now = location.hash.replace(/^#/, '');
    if (now === lastHash) return;
    lastHash = now;
    readHash(); syncControls(); apply(); markSelected(); renderPanel();
  });
  document.addEventListener('keydown', function (ev) {
    if (ev.key === 'Escape' && F.cell) closePanel();
  });
}
main();
var ms = performance.now() - t0;
document.documentElement.setAttribute('data-render-ms', ms.toFixed(1));
document.documentElement.setAttribute('data-ready', 'true');
})();
`;

export const CLIENT_CSS = `
:root {
  --bg: #f6f8fa; --fg: #1f2328; --muted: #59636e; --card: #ffffff; --border: #d1d9e0; --soft: #eef1f4;
  --accent: #0969da; --pass: #1a7f37; --pass-bg: #dafbe1; --fail: #cf222e; --fail-bg: #ffebe9;
  --error: #bc4c00; --error-bg: #fff1e5; --skip: #6e7781; --skip-bg: #eff1f3; --sel: #0969da;
  --reg: #0550ae; --reg-bg: #cfe8ff; --unreg: #424a53; --unreg-bg: #ffffff; --unav: #7d4e00; --unav-bg: #fff1b3;
  --mixed: #116a72; --mixed-bg: #cdf3f0; --inc: #8250df; --inc-bg: #fbefff;
  --mono: ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, "Liberation Mono", monospace;
  color-scheme: light;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0d1117; --fg: #e6edf3; --muted: #9198a1; --card: #151b23; --border: #3d444d; --soft: #212830;
    --accent: #4493f8; --pass: #3fb950; --pass-bg: #12261e; --fail: #f85149; --fail-bg: #2d1214;
    --error: #f0883e; --error-bg: #2b1a0c; --skip: #9198a1; --skip-bg: #212830; --sel: #4493f8;
    --reg: #79c0ff; --reg-bg: #0f2e52; --unreg: #c9d1d9; --unreg-bg: #151b23; --unav: #e3b341; --unav-bg: #3a2a06;
    --mixed: #56d4dd; --mixed-bg: #0b3134; --inc: #bc8cff; --inc-bg: #2a1a44;
    color-scheme: dark;
  }
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: var(--bg); color: var(--fg); font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Helvetica Neue", Arial, sans-serif; }
body.panel-open { margin-right: min(600px, 46vw); }
#app { max-width: 1600px; margin: 0 auto; padding: 0 24px 40px; }
code, pre { font-family: var(--mono); font-size: 12.5px; }
h1 { font-size: 22px; margin: 0; font-weight: 650; letter-spacing: -0.01em; }
h2 { font-size: 16px; margin: 0; font-weight: 650; }
h2.inline { display: inline; }
h3 { font-size: 12px; margin: 0 0 6px; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); font-weight: 650; }
button { font: inherit; color: inherit; cursor: pointer; }
[hidden] { display: none !important; }
.sub { color: var(--muted); margin: 4px 0 8px; }
.dim-text { color: var(--muted); }
.warn { margin: 6px 0; padding: 6px 10px; border-radius: 6px; background: var(--error-bg); color: var(--error); }
.noscript { padding: 24px; }
.offscreen { position: fixed; left: -9999px; top: 0; }

.top { padding: 22px 0 14px; }
.titlebar { display: flex; align-items: center; gap: 12px; flex-wrap: wrap; }
.meta { display: flex; flex-wrap: wrap; gap: 6px 20px; color: var(--muted); margin-top: 6px; }
.meta code { color: var(--fg); }
.runstate { font-size: 12px; font-weight: 600; padding: 2px 10px; border-radius: 999px; border: 1px solid; }
.runstate.ok { color: var(--pass); background: var(--pass-bg); }
.runstate.bad { color: var(--fail); background: var(--fail-bg); }

section, details.builds { background: var(--card); border: 1px solid var(--border); border-radius: 10px; padding: 16px 18px; margin: 0 0 16px; }
.cards { display: grid; grid-template-columns: repeat(5, minmax(120px, 1fr)); gap: 10px; }
.card { text-align: left; background: var(--card); border: 1px solid var(--border); border-radius: 8px; padding: 10px 14px; display: flex; flex-direction: column; border-left-width: 4px; }
button.card:hover { background: var(--soft); }
.card.zero { opacity: .6; }
.card.fail { border-left-color: var(--fail); } .card.error { border-left-color: var(--error); }
.card.pass { border-left-color: var(--pass); } .card.skip { border-left-color: var(--skip); }
.card.total { border-left-color: var(--fg); }
.cnum { font-size: 24px; font-weight: 650; font-variant-numeric: tabular-nums; line-height: 1.2; }
.card.fail .cnum { color: var(--fail); } .card.error .cnum { color: var(--error); } .card.pass .cnum { color: var(--pass); }
.clab { font-weight: 600; } .cpct { color: var(--muted); font-size: 12px; }
.bar { display: flex; height: 8px; border-radius: 4px; overflow: hidden; margin: 14px 0 12px; background: var(--soft); }
.seg { flex-basis: 0; min-width: 2px; }
.seg.pass { background: var(--pass); } .seg.fail { background: var(--fail); } .seg.error { background: var(--error); } .seg.skip { background: #afb8c1; }
.env { display: grid; grid-template-columns: repeat(auto-fill, minmax(260px, 1fr)); gap: 4px 24px; margin: 0; }
.env div { display: flex; gap: 8px; min-width: 0; }
.env dt { color: var(--muted); flex: 0 0 104px; }
.env dd { margin: 0; overflow-wrap: anywhere; }

.sechead { display: flex; align-items: baseline; gap: 14px; flex-wrap: wrap; margin-bottom: 10px; }
.count { color: var(--muted); }
.legends { margin: 0 0 10px; }
.legend { display: flex; gap: 14px; flex-wrap: wrap; color: var(--muted); font-size: 12.5px; align-items: center; }
.legend .li { display: inline-flex; align-items: center; gap: 6px; }
.sw { display: inline-flex; width: 22px; height: 18px; align-items: center; justify-content: center; border-radius: 3px; font-weight: 700; font-size: 12px; }
.sw.none { border: 1px dashed var(--border); }
.sw { position: relative; }
.legend .li.zero { opacity: .55; }
.ln { font-variant-numeric: tabular-nums; color: var(--fg); font-weight: 600; }
.ln:empty { display: none; }
.legend .ln::before { content: "\\00a0"; }

/* Observed state: symbol + colour, the same in the grid (.obsview), the legend and badges (.opal). */
.obsview .c.o-registered, .opal.o-registered { background: var(--reg-bg); color: var(--reg); }
.obsview .c.o-unregistered, .opal.o-unregistered { background: var(--unreg-bg); color: var(--unreg); box-shadow: inset 0 0 0 1px var(--border); }
.obsview .c.o-unavailable, .opal.o-unavailable { background: var(--unav-bg); color: var(--unav); }
.obsview .c.o-mixed, .opal.o-mixed { background: var(--mixed-bg); color: var(--mixed); }
.obsview .c.o-none, .opal.o-none, .obsview .c.o-other, .opal.o-other { background: var(--skip-bg); color: var(--skip); font-weight: 500; }
.obsview .c.o-blank { background: var(--soft); }
.obsview .c { font-size: 14px; font-weight: 400; }
/* A verdict of fail or error stays visible in the observed view: a frame and a corner mark. */
.obsview .c.fail { border: 2px solid var(--fail); }
.obsview .c.error { border: 2px dashed var(--error); }
.obsview .c.fail::before, .obsview .c.error::before { content: ""; position: absolute; top: 0; left: 0; border-style: solid; border-width: 9px 9px 0 0; border-color: var(--fail) transparent transparent transparent; }
.obsview .c.error::before { border-top-color: var(--error); }
/* Observers disagree: a dot in the top right corner, in both views. */
.c.inc::after { content: ""; position: absolute; top: -2px; right: -2px; width: 9px; height: 9px; border-radius: 50%; background: var(--inc); box-shadow: 0 0 0 2px var(--card); }
.c.blank { background: var(--soft); }
.incdot { display: inline-block; width: 9px; height: 9px; border-radius: 50%; background: var(--inc); box-shadow: 0 0 0 2px var(--card); flex: 0 0 auto; }

.filters { display: flex; flex-wrap: wrap; gap: 8px 10px; align-items: center; padding: 10px 0 12px; border-top: 1px solid var(--soft); }
.chips { display: inline-flex; border: 1px solid var(--border); border-radius: 6px; overflow: hidden; }
.chip { border: 0; border-right: 1px solid var(--border); background: var(--card); padding: 5px 10px; }
.chip:last-child { border-right: 0; }
.chip:hover { background: var(--soft); }
.chip.on.pass { background: var(--pass-bg); color: var(--pass); box-shadow: inset 0 -2px 0 var(--pass); }
.chip.on.fail { background: var(--fail-bg); color: var(--fail); box-shadow: inset 0 -2px 0 var(--fail); }
.chip.on.error { background: var(--error-bg); color: var(--error); box-shadow: inset 0 -2px 0 var(--error); }
.chip.on.skip { background: var(--skip-bg); box-shadow: inset 0 -2px 0 var(--skip); }
.chip .sym, .badge .sym, .card .sym { font-weight: 800; }
.fl { display: inline-flex; align-items: center; gap: 6px; }
.vsep { width: 1px; align-self: stretch; background: var(--border); margin: 2px 4px; }
.break { flex-basis: 100%; height: 0; }
.chip.show.on { background: var(--fg); color: var(--card); box-shadow: none; }
.chip.show .sym { letter-spacing: 1px; }
.incf { border: 1px solid var(--border); border-radius: 6px; padding: 4px 10px 4px 8px; background: var(--card); cursor: pointer; }
.incf:hover { background: var(--soft); }
.incf:has(input:checked) { background: var(--inc-bg); border-color: var(--inc); color: var(--inc); }
.incf input { margin: 0; accent-color: var(--inc); }
.incf.zero { opacity: .6; }
.ostrip { display: flex; flex-wrap: wrap; gap: 6px 8px; align-items: center; margin: 0 0 14px; }
.ostrip .fname { margin-right: 4px; }
.ochip { display: inline-flex; align-items: center; gap: 6px; border: 1px solid var(--border); background: var(--card); border-radius: 999px; padding: 2px 10px 2px 3px; font-size: 12.5px; }
.ochip:hover { background: var(--soft); }
.ochip.on { border-color: var(--fg); box-shadow: inset 0 0 0 1px var(--fg); }
.ochip .sw { border-radius: 999px; width: 20px; height: 18px; font-weight: 400; font-size: 13px; }
.ochip b { font-variant-numeric: tabular-nums; }
.ochip.incchip { padding-left: 9px; }
.ochip.incchip.on { background: var(--inc-bg); border-color: var(--inc); box-shadow: inset 0 0 0 1px var(--inc); }
.ochip.zero { opacity: .55; }
.fname { color: var(--muted); font-size: 12px; }
.sel, .search { border: 1px solid var(--border); border-radius: 6px; background: var(--card); color: var(--fg); padding: 5px 8px; font: inherit; }
.search { min-width: 240px; flex: 1 1 240px; max-width: 420px; }
.reset, .more, .copy, .linkbtn { border: 1px solid var(--border); background: var(--card); border-radius: 6px; padding: 4px 10px; }
.reset:hover, .more:hover, .copy:hover, .linkbtn:hover { background: var(--soft); }
.copy.done, .linkbtn.done { color: var(--pass); border-color: var(--pass); }

.gridwrap { overflow: auto; max-height: 72vh; width: fit-content; max-width: 100%; border: 1px solid var(--border); border-radius: 8px; background: var(--card); }
.grid { width: max-content; font-size: 12.5px; }
.grow { display: flex; align-items: stretch; }
.gbody .grow { content-visibility: auto; contain-intrinsic-size: auto 26px; }
.ghead { position: sticky; top: 0; z-index: 2; background: var(--card); border-bottom: 1px solid var(--border); }
.lab { flex: 0 0 auto; padding: 0 10px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; font-family: var(--mono); font-size: 12px; line-height: 26px; box-sizing: content-box; }
.lab.a0 { width: var(--w0); } .lab.a1 { width: var(--w1); } .lab.a2 { width: var(--w2); } .lab.a3 { width: var(--w3); }
.lab.head { align-self: flex-end; line-height: 1.2; padding-bottom: 8px; }
.lab.head span { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif; color: var(--muted); font-weight: 600; text-transform: uppercase; font-size: 11px; letter-spacing: .05em; }
.lab.rep { color: transparent; }
.stage { flex: 0 0 30px; width: 30px; display: flex; align-items: flex-end; justify-content: center; padding: 8px 0 6px; }
.stage span { writing-mode: vertical-rl; transform: rotate(180deg); white-space: nowrap; font-family: var(--mono); font-size: 11.5px; }
.gbody .grow.gstart { border-top: 2px solid var(--border); }
.gbody .grow.vstart { border-top: 1px solid var(--soft); }
.gbody .grow:hover .lab { background: var(--soft); }
.grid .c, .grid .none { flex: 0 0 26px; width: 26px; height: 22px; margin: 2px; display: flex; align-items: center; justify-content: center; font-weight: 700; border-radius: 5px; }
.grid .c { cursor: pointer; user-select: none; position: relative; }
.c.pass { background: var(--pass-bg); color: var(--pass); }
.c.fail { background: var(--fail); color: #fff; }
.c.error { background: var(--error); color: #fff; }
.c.skip { background: var(--skip-bg); color: var(--skip); font-weight: 500; }
.grid .c:hover { filter: brightness(.92); outline: 2px solid var(--fg); outline-offset: -2px; }
.grid .c:focus-visible { outline: 2px solid var(--sel); outline-offset: -2px; }
.c.dim { opacity: .16; }
.grid .c.sel { outline: 3px solid var(--sel); outline-offset: -1px; }
.emptymsg { padding: 24px; text-align: center; color: var(--muted); }

.changes h2 code { font-size: 14px; }
.vchips { display: flex; flex-wrap: wrap; gap: 6px; margin: 8px 0 10px; }
.vchip { display: inline-block; font-size: 12px; padding: 2px 8px; border-radius: 999px; background: var(--soft); border: 1px solid var(--border); font-weight: 600; }
.vchip.zero { opacity: .5; font-weight: 400; }
.vchip.v-NEW-FAIL { background: var(--fail-bg); color: var(--fail); border-color: var(--fail); }
.vchip.v-FIXED { background: var(--pass-bg); color: var(--pass); border-color: var(--pass); }
.vchip.v-INFRA { background: var(--error-bg); color: var(--error); border-color: var(--error); }
.vchip.v-STILL-FAIL { color: var(--fail); }
.vgroup { border-top: 1px solid var(--soft); padding: 6px 0; }
.vgroup summary, .pgroup summary { cursor: pointer; display: flex; gap: 10px; align-items: baseline; padding: 4px 0; }
.vname { font-weight: 700; font-family: var(--mono); font-size: 13px; min-width: 110px; }
.v-NEW-FAIL .vname { color: var(--fail); } .v-FIXED .vname { color: var(--pass); } .v-INFRA .vname { color: var(--error); }
.vcount, .pcount { font-weight: 650; font-variant-numeric: tabular-nums; }
.vhelp { color: var(--muted); }
.chglist, .plist { list-style: none; margin: 4px 0 6px; padding: 0; }
.chg { display: flex; gap: 12px; align-items: baseline; width: 100%; text-align: left; background: none; border: 0; border-radius: 6px; padding: 3px 8px; }
.chg:hover, .plink:hover { background: var(--soft); }
.trans { display: inline-flex; gap: 4px; align-items: center; flex: 0 0 auto; }
.st { display: inline-flex; width: 18px; height: 16px; border-radius: 3px; align-items: center; justify-content: center; font-size: 11px; font-weight: 700; }
.st.pass { background: var(--pass-bg); color: var(--pass); } .st.fail { background: var(--fail); color: #fff; }
.st.error { background: var(--error); color: #fff; } .st.skip { background: var(--skip-bg); color: var(--skip); }
.st.none { color: var(--muted); border: 1px dashed var(--border); }
.arrow { color: var(--muted); }
.cid { flex: 0 0 auto; }
.why { color: var(--muted); overflow-wrap: anywhere; }
.plist { display: flex; flex-wrap: wrap; gap: 4px; }
.plink { font-family: var(--mono); font-size: 12px; background: var(--soft); border: 1px solid transparent; border-radius: 5px; padding: 1px 6px; }
.pgroup { border-top: 1px solid var(--soft); padding: 4px 0; }
.preason { overflow-wrap: anywhere; }

.badge { display: inline-flex; align-items: center; gap: 2px; font-size: 12px; font-weight: 650; padding: 1px 8px; border-radius: 999px; white-space: nowrap; }
.badge.big { font-size: 13px; padding: 3px 10px; }
.badge.pass { background: var(--pass-bg); color: var(--pass); } .badge.fail { background: var(--fail); color: #fff; }
.badge.error { background: var(--error); color: #fff; } .badge.skip { background: var(--skip-bg); color: var(--skip); }
.badge.removed { background: var(--soft); color: var(--muted); }
.badge.inc { background: var(--inc-bg); color: var(--inc); box-shadow: inset 0 0 0 1px var(--inc); }
.badge.opal { font-weight: 600; }
.pbadges { display: inline-flex; gap: 6px; flex-wrap: wrap; }
.osym { margin-right: 4px; }
.callout.inc { background: var(--inc-bg); border-left-color: var(--inc); }
.callout.inc b { color: var(--inc); }
.incwhy { margin: 3px 0; font-weight: 600; }
td.inc { color: var(--inc); font-weight: 650; }
td.inc .why { font-weight: 400; color: var(--fg); margin-top: 2px; }
.pgroup.inc .preason { color: var(--fg); }

.panel { position: fixed; top: 0; right: 0; bottom: 0; width: min(600px, 46vw); background: var(--card); border-left: 1px solid var(--border); box-shadow: -8px 0 24px rgba(31, 35, 40, .08); z-index: 10; overflow: hidden; display: flex; flex-direction: column; }
.pbody { overflow: auto; padding: 0 20px 24px; flex: 1; }
.phead { position: sticky; top: 0; background: var(--card); display: flex; justify-content: space-between; align-items: flex-start; gap: 10px; padding: 16px 0 10px; border-bottom: 1px solid var(--soft); z-index: 1; }
.ptitle { display: flex; gap: 10px; align-items: center; flex-wrap: wrap; min-width: 0; }
.pid { font-size: 13.5px; font-weight: 600; overflow-wrap: anywhere; }
.pbtns { display: flex; gap: 6px; flex: 0 0 auto; }
.close { border: 1px solid var(--border); background: var(--card); border-radius: 6px; width: 30px; height: 28px; font-size: 18px; line-height: 1; }
.close:hover { background: var(--soft); }
.coords { display: flex; flex-wrap: wrap; gap: 6px; margin: 12px 0 4px; }
.coord { display: inline-flex; border: 1px solid var(--border); border-radius: 6px; overflow: hidden; font-size: 12px; }
.ck { background: var(--soft); color: var(--muted); padding: 1px 6px; } .cv { padding: 1px 7px; font-family: var(--mono); }
.callout { margin: 10px 0; padding: 8px 12px; border-radius: 6px; background: var(--soft); border-left: 4px solid var(--skip); overflow-wrap: anywhere; }
.callout.fail { background: var(--fail-bg); border-left-color: var(--fail); }
.callout.error { background: var(--error-bg); border-left-color: var(--error); }
.vline { margin: 8px 0; }
.psec { border: 0; border-top: 1px solid var(--soft); border-radius: 0; padding: 12px 0 4px; margin: 8px 0 0; background: none; }
table.kv, table.eo, table.obs { border-collapse: collapse; width: 100%; font-size: 13px; }
table.kv th, table.eo th, table.obs th { text-align: left; color: var(--muted); font-weight: 500; padding: 4px 10px 4px 0; vertical-align: top; white-space: nowrap; }
table.kv td, table.eo td, table.obs td { padding: 4px 10px 4px 0; vertical-align: top; overflow-wrap: anywhere; }
table.kv tr + tr > *, table.eo tbody tr > *, table.obs tbody tr > * { border-top: 1px solid var(--soft); }
table.eo thead th { color: var(--fg); font-weight: 650; }
table.obs td { font-family: var(--mono); font-size: 12px; }
table.obs td.null { color: var(--muted); }
table.kv.wide th { color: var(--fg); font-weight: 600; }
table.kv tr.bad td { color: var(--fail); }
td.bad { color: var(--fail); font-weight: 600; }
.state { font-family: var(--mono); font-size: 12.5px; }
.state.registered { color: var(--reg); } .state.unregistered { color: var(--unreg); } .state.unavailable { color: var(--unav); }
.state.none, .state.other { color: var(--muted); }
.state.mixed { color: var(--mixed); }
table.obs tr.grp th { color: var(--muted); font-weight: 600; font-family: inherit; font-size: 11px; text-transform: uppercase; letter-spacing: .05em; padding-top: 10px; }
table.obs tbody tr.grp > * { border-top: 1px solid var(--border); }
.sthread { margin: 10px 0 4px; padding: 8px 10px; border: 1px solid var(--soft); border-radius: 6px; }
.thead2 { display: flex; flex-wrap: wrap; gap: 4px 12px; align-items: baseline; }
.tag { font-size: 11.5px; padding: 0 7px; border-radius: 999px; background: var(--soft); font-family: var(--mono); }
.evlist { margin: 6px 0 0; padding-left: 24px; font-size: 12.5px; }
.ev { margin: 2px 0; display: flex; flex-wrap: wrap; gap: 2px 8px; align-items: baseline; }
.ev::marker { color: var(--muted); }
.evk { font-family: var(--mono); font-size: 11.5px; color: var(--muted); min-width: 44px; }
.evrole { font-family: var(--mono); font-size: 11.5px; padding: 0 6px; border-radius: 4px; background: var(--soft); }
.evrole.glibc { background: var(--reg-bg); color: var(--reg); }
.everr { color: var(--fail); font-family: var(--mono); font-size: 12px; }
.ev.here code { font-weight: 700; }
.ev code { overflow-wrap: anywhere; }
.state.mismatch { text-decoration: underline wavy var(--fail); text-underline-offset: 3px; }
td.mismatch, .state.mismatch { color: var(--fail); font-weight: 650; }
td.mismatch .why { font-weight: 400; color: var(--fg); margin-top: 2px; }
table.obs tr.differs th { color: var(--fg); font-weight: 650; }
table.obs tr.differs td { background: var(--error-bg); }
.num { font-variant-numeric: tabular-nums; white-space: nowrap; }
.scrollx { overflow-x: auto; }
.codewrap { position: relative; margin: 6px 0; }
.codewrap .copy { position: absolute; top: 6px; right: 6px; font-size: 12px; padding: 2px 8px; }
pre.code, pre.log { margin: 0; padding: 10px 12px; background: var(--soft); border-radius: 6px; white-space: pre-wrap; overflow-wrap: anywhere; }
pre.code { padding-right: 70px; }
pre.log { max-height: 320px; overflow: auto; font-size: 12px; }
td.logcell { padding: 0 0 8px !important; }
.patches { margin: 0; padding-left: 20px; }
details.builds > summary { cursor: pointer; display: flex; flex-wrap: wrap; align-items: baseline; gap: 4px 16px; }
details.builds > summary::before { content: "\\25b8"; color: var(--muted); }
details.builds[open] > summary::before { content: "\\25be"; }
details.builds > summary::-webkit-details-marker { display: none; }
details.builds table { margin-top: 10px; }
.bsum { color: var(--muted); display: inline-flex; gap: 8px; flex-wrap: wrap; align-items: baseline; }
.mode { font-size: 12px; padding: 0 8px; border-radius: 999px; border: 1px solid var(--border); }
.mode.cold { background: var(--soft); }
.mode.incr { background: var(--reg-bg); color: var(--reg); border-color: transparent; }
table.kv tr.brow:has(+ tr.bdetail) > * { padding-bottom: 2px; }
table.kv tr.bdetail > * { border-top: 0 !important; }
td.bmore { padding: 0 0 10px !important; }
.bline { display: flex; gap: 10px; align-items: baseline; margin: 2px 0 6px; }
.bline .fname { flex: 0 0 70px; }
.phases { flex: 1; min-width: 0; max-width: 760px; }
.pbar { display: flex; height: 8px; border-radius: 4px; overflow: hidden; background: var(--soft); margin: 3px 0 5px; }
.pseg { flex-basis: 0; min-width: 2px; }
.plistx { display: flex; flex-wrap: wrap; gap: 2px 14px; font-size: 12.5px; }
.ph { display: inline-flex; align-items: center; gap: 5px; }
.pkey { width: 9px; height: 9px; border-radius: 2px; display: inline-block; }
.p0 { background: #0969da; } .p1 { background: #8250df; } .p2 { background: #1a7f37; } .p3 { background: #bc4c00; }
.p4 { background: #116a72; } .p5 { background: #9a6700; } .p6 { background: #bf3989; } .p7 { background: #6e7781; }
td.nw { white-space: nowrap; }
.gtests > summary { cursor: pointer; display: flex; gap: 8px; align-items: baseline; flex-wrap: wrap; margin: 2px 0 6px; }
.tres { font-size: 12px; font-weight: 650; padding: 0 7px; border-radius: 999px; font-family: var(--mono); }
.tres.ok { background: var(--pass-bg); color: var(--pass); } .tres.bad { background: var(--fail); color: #fff; } .tres.other { background: var(--soft); color: var(--muted); }
.tlist { list-style: none; margin: 0 0 6px; padding: 0; columns: 3 260px; font-size: 12.5px; }
.tlist li { margin: 1px 0; break-inside: avoid; }
footer { color: var(--muted); font-size: 12px; text-align: center; padding: 8px 0 0; }
@media (max-width: 900px) {
  .cards { grid-template-columns: repeat(2, 1fr); }
  body.panel-open { margin-right: 0; }
  .panel { width: 100vw; }
}
`;
