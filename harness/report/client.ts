/**
 * The HTML report's inline script and style, as strings (html.ts hashes them for the page's
 * Content-Security-Policy). The script reads the data block written by encode.ts, builds the page with
 * DOM APIs and textContent only (never innerHTML), and keeps the view in the URL hash:
 *   #status=fail,error&glibc=..&variant=..&link=..&scenario=..&stage=..&change=NEW-FAIL&q=text&cell=<id>
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
var AXES = ['glibc', 'variant', 'link', 'scenario'];
var LIST_KEYS = ['status', 'glibc', 'variant', 'link', 'scenario', 'stage', 'change'];

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
  var c = { i: ci, e: e, row: row, col: col, stage: stages[col], status: STATUS[e[2] || 0], id: id, td: null, text: null, change: null };
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
  var o = e[6] || [];
  for (var i = 0; i + 2 < o.length; i += 3) {
    var t = T[o[i]];
    obs.push({
      stage: S[t[0]], pid: o[i + 1], tid: o[i + 2], kernel: S[t[1]], availErrno: t[2], probeErrno: t[3],
      rseqSize: t[4], rseqOffset: t[5], rseqFlags: t[6], cpuId: t[7], areaRegistered: t[8], areaLen: t[9],
      extra: t[10] || null, v: t[11]
    });
  }
  var p = e[7] || null;
  return {
    reason: reasonOf(c),
    expected: { state: S[ex[0]], registered: ex[1], rule: ex[2], why: S[ex[3]] },
    observed: { state: ob[0] === null ? null : S[ob[0]], registered: ob[1], consistent: ob[2], inconsistency: S[ob[3]] },
    observations: obs,
    probe: p ? { command: expand(S[p[0] || 0], v), exitCode: p[1], signal: p[2] === null || p[2] === undefined ? null : S[p[2]], timedOut: !!p[3], durationMs: p[4], stderrTail: expand(S[p[5] || 0], v) } : null,
    buildKey: S[e[8] || 0],
    patches: (T[e[9] || 0] || []).map(function (x) { return S[x]; }),
    reproduce: expand(S[e[10] || 0], v),
    durationMs: e[11] || 0,
    logTail: expand(S[e[12] || 0], v)
  };
}
function searchText(c) {
  if (c.text === null) {
    var f = full(c);
    c.text = [c.id, c.status, f.reason, f.expected.why, f.observed.inconsistency || '', f.buildKey, f.patches.join(' '),
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
var F = {};
function resetF() { LIST_KEYS.forEach(function (k) { F[k] = []; }); F.q = ''; F.cell = ''; }
resetF();
function enc(v) { return encodeURIComponent(v).replace(/%2F/g, '/'); }
function readHash() {
  resetF();
  var h0 = location.hash.replace(/^#/, '');
  if (!h0) return;
  h0.split('&').forEach(function (part) {
    var eq = part.indexOf('=');
    if (eq < 0) return;
    var k = part.slice(0, eq), v = part.slice(eq + 1);
    try {
      if (LIST_KEYS.indexOf(k) >= 0) F[k] = v.split(',').filter(Boolean).map(decodeURIComponent);
      else if (k === 'q' || k === 'cell') F[k] = decodeURIComponent(v.replace(/\+/g, ' '));
    } catch (err) { /* a malformed hash part is ignored */ }
  });
}
function hashString() {
  var parts = [];
  LIST_KEYS.forEach(function (k) { if (F[k].length) parts.push(k + '=' + F[k].map(enc).join(',')); });
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
  return h('section', 'summary', [cards, bar, dl]);
}

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
function selectFor(key, label, values, help) {
  var s = h('select', 'sel');
  s.id = 'f-' + key;
  s.setAttribute('aria-label', label);
  var o = h('option', null, 'All ' + label + 's');
  o.value = '';
  s.appendChild(o);
  values.forEach(function (v) {
    var opt = h('option', null, v);
    opt.value = v;
    if (help && help[v]) opt.title = help[v];
    s.appendChild(opt);
  });
  s.addEventListener('change', function () { F[key] = s.value ? s.value.split(',') : []; apply(); writeHash(); });
  controls[key] = s;
  return h('label', 'fl', [h('span', 'fname', label), s]);
}
function filters() {
  var box = h('div', 'filters');
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
  box.appendChild(selectFor('glibc', 'glibc', uniq('glibc')));
  box.appendChild(selectFor('variant', 'variant', uniq('variant')));
  box.appendChild(selectFor('link', 'link', uniq('link')));
  box.appendChild(selectFor('scenario', 'scenario', uniq('scenario'), scenHelp));
  box.appendChild(selectFor('stage', 'stage', stages, stageHelp));
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
  box.appendChild(btn('reset', 'Clear filters', function () {
    var cell = F.cell; resetF(); F.cell = cell; syncControls(); apply(); writeHash();
  }));
  return box;
}
function syncControls() {
  ORDER.forEach(function (st) {
    var on = F.status.indexOf(st) >= 0;
    controls.status[st].setAttribute('aria-pressed', on ? 'true' : 'false');
    controls.status[st].classList.toggle('on', on);
  });
  ['glibc', 'variant', 'link', 'scenario', 'stage', 'change'].forEach(function (k) {
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
  var head = div('grow ghead', 'row');
  AXES.forEach(function (a, k) { var x = div('lab head a' + k, 'columnheader'); x.textContent = a; head.appendChild(x); });
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
        td.textContent = SYM[c.status];
        td.setAttribute('data-i', String(ci));
        td.setAttribute('aria-label', LABEL[c.status]);
        td.tabIndex = -1;
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
    var c = cells[+td.getAttribute('data-i')];
    var r = reasonOf(c);
    td.title = c.id + '\n' + LABEL[c.status] + (r ? ': ' + r : '') + (c.change && c.change.verdict.indexOf('UNCHANGED') ? '\n' + c.change.verdict : '');
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
var focused = null;
function focusCell(c) {
  if (focused && focused.td) focused.td.tabIndex = -1;
  focused = c;
  c.td.tabIndex = 0;
  c.td.focus();
}

function matchList(list, v) { return !list.length || list.indexOf(v) >= 0; }
function apply() {
  var q = F.q.toLowerCase();
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
      var on = rowOn && colOn[k] && matchList(F.status, c.status) &&
        (!F.change.length || (c.change && F.change.indexOf(c.change.verdict) >= 0)) &&
        (!q || searchText(c).indexOf(q) >= 0);
      td.className = 'c ' + c.status + (on ? '' : ' dim') + (c.id === F.cell ? ' sel' : '');
      if (on) { any = true; shown++; }
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
  var filtered = LIST_KEYS.some(function (k) { return F[k].length; }) || !!F.q;
  clear(countEl).appendChild(document.createTextNode(filtered
    ? 'Showing ' + num(shown) + ' of ' + plural(cells.length, 'cell') + ' in ' + plural(rowsShown, 'row')
    : plural(cells.length, 'cell') + ' in ' + plural(rows.length, 'row')));
  $('empty').hidden = shown > 0;
  renderProblems();
}

function legend() {
  var l = h('div', 'legend');
  ORDER.forEach(function (st) { l.appendChild(h('span', 'li', [h('span', 'c ' + st + ' sw', SYM[st]), ' ' + LABEL[st]])); });
  l.appendChild(h('span', 'li', [h('span', 'c pass dim sw', SYM.pass), ' filtered out']));
  l.appendChild(h('span', 'li', [h('span', 'none sw', ''), ' not in the matrix']));
  return l;
}

// ---------- failures and errors, grouped by reason ----------
var problemsBox;
function renderProblems() {
  if (!problemsBox) return;
  clear(problemsBox);
  var groups = new Map();
  var q = F.q.toLowerCase();
  cells.forEach(function (c) {
    if (c.status !== 'fail' && c.status !== 'error') return;
    if (c.td && c.td.className.indexOf(' dim') >= 0) return;
    if (c.td && (c.td.hidden || c.row.tr.hidden)) return;
    var r = reasonOf(c) || '(no reason given)';
    var key = c.status + '\u0000' + r.replace(/\d+/g, '#');
    var g = groups.get(key);
    if (!g) { g = { status: c.status, reason: r, cells: [] }; groups.set(key, g); }
    g.cells.push(c);
  });
  var list = Array.from(groups.values()).sort(function (a, b) {
    return (a.status === b.status ? 0 : a.status === 'fail' ? -1 : 1) || b.cells.length - a.cells.length;
  });
  if (!list.length) { problemsBox.appendChild(h('p', 'sub', q || LIST_KEYS.some(function (k) { return F[k].length; }) ? 'No failures or errors among the cells shown.' : 'No failures and no errors.')); return; }
  list.forEach(function (g) {
    var det = h('details', 'pgroup ' + g.status);
    det.open = list.length <= 8;
    det.appendChild(h('summary', null, [statusBadge(g.status), h('span', 'pcount', '\u00d7 ' + g.cells.length), h('span', 'preason', g.reason)]));
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
function buildsSection() {
  var det = h('details', 'builds');
  det.appendChild(h('summary', null, h('h2', 'inline', 'Builds (' + D.builds.length + ')')));
  var t = h('table', 'kv wide');
  t.appendChild(h('thead', null, h('tr', null, ['Key', 'glibc', 'Variant', 'Status', 'Cached', 'Duration', 'Description'].map(function (x) { return h('th', null, x); }))));
  var tb = h('tbody');
  D.builds.forEach(function (b) {
    tb.appendChild(h('tr', b.status === 'ok' ? '' : 'bad', [h('td', null, h('code', null, b.key)), h('td', null, b.glibc), h('td', null, b.variant),
      h('td', null, b.status === 'ok' ? h('span', 'badge pass', 'ok') : h('span', 'badge error', 'failed')), h('td', null, yn(b.cached)), h('td', 'num', fmtMs(b.durationMs)),
      h('td', null, [b.description, b.reason ? h('div', 'why', b.reason) : null])]));
    if (b.logTail) {
      var lc = h('td', 'logcell', h('pre', 'log', b.logTail));
      lc.colSpan = 7;
      tb.appendChild(h('tr', null, lc));
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
  return h('span', 'state ' + (state || 'none') + (ok === false ? ' mismatch' : ''), state || 'nothing observed');
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
  var extraKeys = [];
  obs.forEach(function (o) { if (o.extra) Object.keys(o.extra).forEach(function (k) { if (extraKeys.indexOf(k) < 0) extraKeys.push(k); }); });
  extraKeys.forEach(function (k) { fields.push(['extra.' + k, function (o) { var v = o.extra ? o.extra[k] : undefined; return v === undefined ? undefined : v === null ? 'null' : String(v); }]); });
  fields.push(['v', function (o) { return o.v; }]);
  var t = h('table', 'obs');
  var head = h('tr', null, h('th', null, 'field'));
  obs.forEach(function (o, i) { head.appendChild(h('th', null, '#' + (i + 1) + (o.tid !== o.pid ? ' (thread)' : ''))); });
  t.appendChild(h('thead', null, head));
  var tb = h('tbody');
  fields.forEach(function (f) {
    var tr = h('tr', null, h('th', null, f[0]));
    var seen = obs.map(function (o) { return String(f[1](o)); });
    // Values that differ between the observations (other than pid/tid) are what a reviewer looks for.
    if (f[0] !== 'tid' && seen.some(function (x) { return x !== seen[0]; })) tr.className = 'differs';
    obs.forEach(function (o) {
      var v = f[1](o);
      var td = h('td', v === null || v === undefined ? 'null' : null, v === null || v === undefined ? '\u2013' : String(v));
      if (f[0] === 'kernel') td.className = 'state ' + v;
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
  panelBody.appendChild(panelHead(c.id, statusBadge(c.status, true)));
  var coords = h('div', 'coords');
  AXES.concat(['stage']).forEach(function (a) {
    var v = a === 'stage' ? c.stage : c.row[a];
    coords.appendChild(h('span', 'coord', [h('span', 'ck', a), h('span', 'cv', v)]));
  });
  panelBody.appendChild(coords);
  if (c.stage && stageHelp[c.stage]) panelBody.appendChild(h('p', 'sub', 'Stage: ' + stageHelp[c.stage] + (scenHelp[c.row.scenario] ? '. Scenario: ' + scenHelp[c.row.scenario] + '.' : '.')));
  if (f.reason) panelBody.appendChild(h('p', 'callout ' + c.status, f.reason));
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
  var cons = ob.consistent === null || ob.consistent === undefined ? 'cannot tell' : ob.consistent ? 'yes: the kernel and glibc agree' : 'NO';
  tb.appendChild(h('tr', null, [h('th', null, 'observers consistent'), h('td', ob.consistent === false ? 'mismatch' : null, [cons, ob.inconsistency ? h('div', 'why', ob.inconsistency) : null])]));
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
        ['cell duration', fmtMs(f.durationMs)]
      ]),
      codeBlock(p.command, 'the probe command')
    ])));
  } else {
    panelBody.appendChild(sectionP('Probe run', h('p', 'sub', c.status === 'skip' ? 'Not run: the cell is skipped.' : 'No probe ran.')));
  }
  if (f.probe && f.probe.stderrTail) panelBody.appendChild(sectionP('Probe stderr (tail)', h('pre', 'log', f.probe.stderrTail)));
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
  var frag = document.createDocumentFragment();
  frag.appendChild(header());
  frag.appendChild(summary());
  if (D.base) frag.appendChild(changesSection());
  var gsec = h('section', 'matrix');
  gsec.id = 'matrix';
  countEl = h('span', 'count');
  gsec.appendChild(h('div', 'sechead', [h('h2', null, 'Matrix'), countEl, legend()]));
  gsec.appendChild(filters());
  var wrap = h('div', 'gridwrap', buildGrid());
  gsec.appendChild(wrap);
  var empty = h('p', 'emptymsg', 'No cell matches the filters.');
  empty.id = 'empty';
  empty.hidden = true;
  gsec.appendChild(empty);
  frag.appendChild(gsec);
  problemsBox = h('div', 'problems');
  frag.appendChild(h('section', 'probsec', [h('h2', null, 'Failures and errors by reason'), problemsBox]));
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

  readHash();
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
  --mono: ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, "Liberation Mono", monospace;
  color-scheme: light;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0d1117; --fg: #e6edf3; --muted: #9198a1; --card: #151b23; --border: #3d444d; --soft: #212830;
    --accent: #4493f8; --pass: #3fb950; --pass-bg: #12261e; --fail: #f85149; --fail-bg: #2d1214;
    --error: #f0883e; --error-bg: #2b1a0c; --skip: #9198a1; --skip-bg: #212830; --sel: #4493f8;
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
.legend { margin-left: auto; display: flex; gap: 14px; flex-wrap: wrap; color: var(--muted); font-size: 12.5px; align-items: center; }
.legend .li { display: inline-flex; align-items: center; gap: 6px; }
.sw { display: inline-flex; width: 22px; height: 18px; align-items: center; justify-content: center; border-radius: 3px; font-weight: 700; font-size: 12px; }
.sw.none { border: 1px dashed var(--border); }

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
.lab.head { align-self: flex-end; font-family: inherit; color: var(--muted); font-weight: 600; text-transform: uppercase; font-size: 11px; letter-spacing: .05em; line-height: 1.2; padding-bottom: 8px; }
.lab.rep { color: transparent; }
.stage { flex: 0 0 30px; width: 30px; display: flex; align-items: flex-end; justify-content: center; padding: 8px 0 6px; }
.stage span { writing-mode: vertical-rl; transform: rotate(180deg); white-space: nowrap; font-family: var(--mono); font-size: 11.5px; }
.gbody .grow.gstart { border-top: 2px solid var(--border); }
.gbody .grow.vstart { border-top: 1px solid var(--soft); }
.gbody .grow:hover .lab { background: var(--soft); }
.grid .c, .grid .none { flex: 0 0 26px; width: 26px; height: 22px; margin: 2px; display: flex; align-items: center; justify-content: center; font-weight: 700; border-radius: 5px; }
.grid .c { cursor: pointer; user-select: none; }
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
.state.registered { color: var(--pass); } .state.unregistered { color: var(--accent); } .state.unavailable { color: var(--error); }
.state.none { color: var(--muted); }
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
details.builds summary { cursor: pointer; }
details.builds table { margin-top: 10px; }
footer { color: var(--muted); font-size: 12px; text-align: center; padding: 8px 0 0; }
@media (max-width: 900px) {
  .cards { grid-template-columns: repeat(2, 1fr); }
  body.panel-open { margin-right: 0; }
  .panel { width: 100vw; }
}
`;
