/** The report formats: the data block (lossless, small), the HTML's script policy and escaping, JUnit, TAP. */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import t from 'tap';
import { Parser } from 'tap-parser';
import { cellId } from '../../harness/model/cell.js';
import type { CellResult, Results } from '../../harness/model/results.js';
import {
  CELL_KEYS,
  capTail,
  encodeReport,
  LITERAL,
  PLACEHOLDERS,
  type ReportData,
  STATUS_CODES,
  templateOf,
} from '../../harness/report/encode.js';
import { jsonForScript, renderReport } from '../../harness/report/html.js';
import { toJUnit } from '../../harness/report/junit.js';
import { expandTemplate } from '../../harness/report/page/decode.mjs';
import { CLIENT_CSS, CLIENT_JS } from '../../harness/report/page-assets.js';
import {
  cloneResults,
  generateResults,
  largeResults,
  summarize,
  withObservers,
} from '../../harness/report/synthetic.js';
import { toTap } from '../../harness/report/tap.js';
import { repoPath } from '../helpers/repo.js';

const small = JSON.parse(readFileSync(repoPath('test/fixtures/results/small.json'), 'utf8')) as Results;

const XSS_VARIANT = '<img src=x onerror=alert(1)>';
const XSS_LOG = '</script><script>alert(2)</script>';

export function hostileResults(): Results {
  const r = cloneResults(small);
  for (const c of r.cells)
    if (c.glibc === 'bookworm') {
      c.variant = XSS_VARIANT;
      c.id = cellId(c);
    }
  const fail = r.cells.find((c) => c.status === 'fail') as CellResult;
  fail.logTail = `build ok\n${XSS_LOG}\n<!-- & \u2028 -->`;
  fail.reason = `${fail.reason} <b>"quoted" & 'single'</b>`;
  r.summary = summarize(r.cells);
  return r;
}

type Any = Record<string, unknown>;
const merge = (a: Any, b: unknown) => (b && typeof b === 'object' ? Object.assign(a, b) : a);

/** The report's data block, decoded the way the page decodes it (client.ts). */
function decodeCells(d: ReportData) {
  const S = d.s;
  const T = d.t as unknown[][];
  const Sn = (i: unknown) => (i === null || i === undefined ? null : (S[i as number] as string));
  const rel = (n: unknown, base: number) => (typeof n === 'number' ? n + base : n);
  const stages = d.stages.map((x) => x[0]);
  const view = (i: number, base: number) => {
    const t = T[i] as unknown[];
    if (t[0] === 'x') return t[1];
    const f = t[3] as unknown[] | null;
    const inForce = !f
      ? null
      : f[0] === 'x'
        ? f[1]
        : { tid: (f[0] as number) + base, call: S[f[1] as number], by: S[f[2] as number] };
    return merge(
      {
        tid: (t[0] as number) + base,
        registeredBefore: t[1],
        anyRegisteredBefore: t[2],
        inForce,
        glibcRegisteredAfter: t[4],
        kernel: Sn(t[5]),
      },
      t[6],
    );
  };
  const event = (i: number, base: number): unknown => {
    const t = T[i] as unknown[];
    if (t[0] === 0)
      return { kind: 'rseq', role: S[t[1] as number], call: S[t[2] as number], errno: Sn(t[3]) };
    if (t[0] === 1) {
      const m: Any = { kind: 'marker', stage: S[t[1] as number], kernel: Sn(t[2]) };
      if (t[3] !== 0) m.inForce = Sn(t[3]);
      return m;
    }
    if (t[0] === 2) return { kind: 'spawn', child: rel(t[1], base), how: S[t[2] as number] };
    if (t[0] === 3) return { kind: 'exec', ok: !!t[1] };
    return t[1];
  };
  const strace = (i: number, x: (i: number) => string) => {
    const t = T[i] as unknown[];
    if (t[0] === null) return null;
    if (t[0] === 'x') return t[1];
    const base = (t[4] as number) || 0;
    const threads = (T[t[2] as number] as unknown[][]).map((th) => {
      if (th[0] === 'x') return th[1];
      const o: Any = { tid: (th[0] as number) + base, parent: rel(th[1], base), origin: S[th[2] as number] };
      if (th[3] !== 0) o.inherited = Sn(th[3]);
      o.events = (th[5] as number[]).map((e) => event(e, base));
      o.probeCalls = th[4];
      return merge(o, th[6]);
    });
    return merge({ version: S[t[0] as number], log: x(t[1] as number), threads }, t[3]);
  };
  return d.cells.map((e) => {
    const n = (i: number) => (e[i] as number | undefined) ?? 0;
    // [glibc, variant, link, scenario, kernel]; the id leaves out the host's kernel.
    const row = (d.rows[n(0)] as number[]).map((i) => S[i] as string);
    const stage = stages[n(1)] as string;
    const [glibc, variant, link, scenario, kernel] = row;
    const coords =
      kernel === d.vocab.hostKernel
        ? [glibc, variant, link, scenario]
        : [glibc, variant, kernel, link, scenario];
    const id = n(13) ? (S[n(13)] as string) : [...coords, stage].join('/');
    const vals = [id, S[n(8)] as string, row[0], row[1], row[3], stage, row[2]] as string[];
    const x = (i: number) => expandTemplate(S[i] ?? '', vals, d.vocab);
    const probe = (e[7] || null) as (number | null | (number | null)[])[] | null;
    const obs = (e[6] || []) as number[];
    const sc = n(14) ? (T[n(14)] as unknown[]) : null;
    const base = sc && typeof sc[4] === 'number' ? sc[4] : 0;
    const observations = [];
    for (let i = 0; i < obs.length; i += 4) {
      const tu = T[obs[i] as number] as unknown[];
      const o: Any = {
        stage: S[tu[0] as number],
        pid: obs[i + 1],
        tid: obs[i + 2],
        kernel: S[tu[1] as number],
      };
      if (tu[10]) o.extra = tu[10];
      merge(o, tu[12]);
      if (obs[i + 3]) o.strace = view(obs[i + 3] as number, base);
      observations.push(o);
    }
    const traced = probe?.[6] as (number | null)[] | undefined;
    const other = n(16) ? ((T[n(16)] as unknown[])[0] as Any) : {};
    return {
      ...other,
      id,
      status: STATUS_CODES[n(2)],
      reason: x(n(3)),
      reproduce: x(n(10)),
      logTail: x(n(12)),
      command: probe ? x((probe[0] as number) ?? 0) : '',
      stderrTail: probe ? x((probe[5] as number) ?? 0) : '',
      traced: traced ? [x(traced[0] ?? 0), traced[1], Sn(traced[2]), !!traced[3], traced[4]] : null,
      strace: n(14) ? strace(n(14), x) : undefined,
      straceReason: x(n(15)),
      patches: (T[n(9)] as number[]).map((i) => S[i]),
      observations,
    };
  });
}

function dataBlock(html: string): string {
  const m = /<script type="application\/json" id="data">([\s\S]*?)<\/script>/.exec(html);
  if (!m?.[1]) throw new Error('no data block');
  return m[1];
}

t.test('the data block holds every cell losslessly', async (t) => {
  for (const [name, r] of [
    ['small', small],
    ['large', largeResults(2000, 7)],
    ['hostile', hostileResults()],
    ['observers', withObservers(hostileResults())],
    ['strace', generateResults({ limit: 3000, seed: 9, strace: true })],
    ['kernels', generateResults({ limit: 3000, seed: 5, kernels: ['host', 'k6.1', 'uml'] })],
  ] as const) {
    const d = JSON.parse(dataBlock(renderReport(r))) as ReportData;
    const got = new Map(decodeCells(d).map((c) => [c.id, c]));
    t.equal(got.size, r.cells.length, `${name}: every cell`);
    let bad = 0;
    for (const c of r.cells) {
      const g = got.get(c.id);
      const known = CELL_KEYS;
      const other = Object.fromEntries(Object.entries(c).filter(([k]) => !known.has(k)));
      const want = {
        ...other,
        id: c.id,
        status: c.status,
        reason: c.reason ?? '',
        reproduce: c.reproduce,
        logTail: capTail(c.logTail) ?? '',
        command: c.probe?.command ?? '',
        stderrTail: capTail(c.probe?.stderrTail) ?? '',
        traced: c.probe?.traced
          ? [
              c.probe.traced.command,
              c.probe.traced.exitCode,
              c.probe.traced.signal,
              c.probe.traced.timedOut,
              c.probe.traced.durationMs,
            ]
          : null,
        strace: c.strace,
        straceReason: c.straceReason ?? '',
        patches: c.patches,
        observations: c.observations.map((o) => {
          const { v: _v, availErrno: _a, probeErrno: _p, glibc: _g, ...rest } = o;
          const out: Any = { stage: o.stage, pid: o.pid, tid: o.tid, kernel: o.kernel };
          if (o.extra && Object.keys(o.extra).length) out.extra = o.extra;
          for (const [k, val] of Object.entries(rest))
            if (!['stage', 'pid', 'tid', 'kernel', 'extra', 'strace'].includes(k)) out[k] = val;
          if (o.strace) out.strace = o.strace;
          return out;
        }),
      };
      if (JSON.stringify(g) !== JSON.stringify(want)) {
        if (bad++ < 3) t.same(g, want, `${name}: ${c.id}`);
      }
    }
    t.equal(bad, 0, `${name}: all cells decode to their original values`);
  }
});

t.test('templates are lossless, even for text that holds placeholder characters', async (t) => {
  const vals = ['a/b/shared/default/main', 'key-1', 'a', 'b', 'default', 'main', 'shared'];
  for (const s of [
    'rseq-matrix run x --only a/b/shared/default/main',
    'docker run key-1 /probe/run-shared main # default',
    '\u0001 literal \u0003 placeholders',
    '\u0000starts with the literal marker',
    '',
    'nothing to replace',
    'a/b/shared/default/main a/b/shared/default/main key-1key-1',
  ])
    t.equal(
      expandTemplate(templateOf(s, vals), vals, { placeholders: PLACEHOLDERS, literal: LITERAL }),
      s,
      JSON.stringify(s),
    );
  t.equal(templateOf('run --only a/b/shared/default/main', vals), 'run --only \u0001');
});

t.test('a 10,000-cell report is small, and its tails are capped', async (t) => {
  const r = largeResults(10_000);
  t.equal(r.cells.length, 10_000);
  const started = performance.now();
  const html = renderReport(r);
  const ms = performance.now() - started;
  const bytes = Buffer.byteLength(html);
  t.comment(`10,000 cells: ${(bytes / 1e6).toFixed(2)} MB, rendered to HTML in ${ms.toFixed(0)} ms`);
  t.ok(bytes < 5 * 1024 * 1024, `report under 5 MB (${bytes} bytes)`);
  // With the outside observer on every probed cell (cell.strace, observation.strace, the traced run).
  const traced = Buffer.byteLength(renderReport(generateResults({ limit: 10_000, strace: true })));
  t.comment(`10,000 cells with strace: ${(traced / 1e6).toFixed(2)} MB`);
  t.ok(traced < 5 * 1024 * 1024, `with strace data still under 5 MB (${traced} bytes)`);
  const big = cloneResults(small);
  (big.cells[0] as CellResult).logTail = `${'x'.repeat(100)}\n`.repeat(2000);
  const d = encodeReport(big);
  const longest = Math.max(...d.s.map((s) => s.length));
  t.ok(longest < 8500, `a 200 kB log tail is cut to its end (${longest} chars)`);
  t.match(
    capTail(`${'a\n'.repeat(10_000)}end`, 100),
    /^\[… \d+ earlier characters not in the report\]\n(a\n)*end$/,
  );
});

t.test('HTML: one script, one style, both allowed by hash; nothing else can run', async (t) => {
  const html = renderReport(small, { baseline: small, title: 'Nightly <stock>' });
  const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1];
  t.ok(csp, 'has a CSP meta element');
  const policy = (csp ?? '').replace(/&#39;/g, "'");
  const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1] as string);
  const styles = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1] as string);
  t.same(scripts, [CLIENT_JS], 'exactly one executable script');
  t.same(styles, [CLIENT_CSS], 'exactly one style');
  const sha = (s: string) => createHash('sha256').update(s).digest('base64');
  t.equal(
    policy,
    `default-src 'none'; script-src 'sha256-${sha(CLIENT_JS)}'; style-src 'sha256-${sha(CLIENT_CSS)}'; img-src data:; base-uri 'none'; form-action 'none'`,
  );
  t.equal((html.match(/<script/g) ?? []).length, 2, 'the data block and the script');
  t.notMatch(html, /\son[a-z]+=/i, 'no inline event handlers');
  t.notMatch(html, /https?:\/\//, 'no network address');
  t.match(html, /<title>Nightly &lt;stock&gt;<\/title>/);
  const d = JSON.parse(dataBlock(html)) as ReportData;
  t.equal(d.title, 'Nightly <stock>');
  t.ok(d.base, 'the baseline comparison is inlined');
  t.equal(d.base?.counts['UNCHANGED-PASS'], 18);
  t.equal(renderReport(small), renderReport(small), 'deterministic');
});

t.test(
  'the client script: parses, has no backtick or closing script tag, never uses innerHTML',
  async (t) => {
    t.doesNotThrow(() => new Function(CLIENT_JS), 'valid JavaScript');
    t.notMatch(CLIENT_JS, /`/);
    t.notMatch(CLIENT_JS, /<\/script/i);
    t.notMatch(CLIENT_CSS, /<\/style/i);
    t.notMatch(CLIENT_JS, /innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(/);
  },
);

t.test('escaping: hostile names and logs never appear unescaped outside the data block', async (t) => {
  const r = hostileResults();
  const html = renderReport(r, { baseline: small });
  const outside = html.replace(dataBlock(html), '');
  for (const s of [XSS_VARIANT, XSS_LOG, '<b>', 'alert(', 'onerror']) {
    t.notOk(outside.includes(s), `${s} not outside the data block`);
    if (s.includes('<')) t.notOk(html.includes(s), `${s} not even inside it: < is written as \\u003c`);
  }
  t.equal((html.match(/<\/script>/g) ?? []).length, 2, 'no early end of a script element');
  t.notMatch(dataBlock(html), /[<>&\u2028\u2029]/);
  const d = JSON.parse(dataBlock(html)) as ReportData;
  t.ok(d.s.includes(XSS_VARIANT), 'the JSON still holds the exact name');
  t.ok(
    decodeCells(d).some((c) => c.logTail.includes(XSS_LOG)),
    'and the exact log',
  );
  t.equal(jsonForScript({ a: '</script>&\u2028' }), '{"a":"\\u003c/script\\u003e\\u0026\\u2028"}');
  // Fields the report does not know (a new observer's) travel in the data block, escaped like the rest.
  const o = renderReport(withObservers(r));
  t.notMatch(o.replace(dataBlock(o), ''), /onerror|<b>agrees/);
  t.notMatch(dataBlock(o), /[<>&]/);
  t.ok(JSON.parse(dataBlock(o)).t.some((x: unknown[]) => JSON.stringify(x).includes('window.__pwned=9')));
});

/** A small well-formedness check: balanced elements, no raw < or stray & in text and attributes. */
function checkXml(xml: string): string[] {
  const errors: string[] = [];
  const body = xml.replace(/^<\?xml[^?]*\?>\n/, '');
  const stack: string[] = [];
  const re = /<(\/?)([A-Za-z][\w-]*)((?:\s+[\w-]+="[^"<]*")*)\s*(\/?)>|([^<]+)|(<)/g;
  for (let m = re.exec(body); m; m = re.exec(body)) {
    if (m[6]) errors.push(`raw < at ${m.index}`);
    else if (m[5] !== undefined) {
      if (/&(?!(amp|lt|gt|quot|apos|#\d+);)/.test(m[5])) errors.push(`stray & at ${m.index}`);
    } else if (m[1]) {
      if (stack.pop() !== m[2]) errors.push(`unbalanced </${m[2]}> at ${m.index}`);
    } else if (!m[4]) stack.push(m[2] as string);
    if (m[3] && /&(?!(amp|lt|gt|quot|apos|#\d+);)/.test(m[3]))
      errors.push(`stray & in attribute at ${m.index}`);
  }
  if (stack.length) errors.push(`unclosed ${stack.join(',')}`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for characters XML forbids
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(xml)) errors.push('control character');
  return errors;
}

t.test('JUnit: one suite per row, one case per cell, escaped', async (t) => {
  const xml = toJUnit(small);
  t.same(checkXml(xml), []);
  t.match(
    xml,
    /^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="rseq-matrix stock" tests="24" failures="1" errors="1" skipped="4" time="\d+\.\d{3}">/,
  );
  t.equal((xml.match(/<testsuite /g) ?? []).length, 8);
  t.equal((xml.match(/<testcase /g) ?? []).length, 24);
  t.equal((xml.match(/<failure /g) ?? []).length, 1);
  t.equal((xml.match(/<error /g) ?? []).length, 1);
  t.equal((xml.match(/<skipped /g) ?? []).length, 4);
  t.match(
    xml,
    /<testsuite name="bookworm\/stock\/shared\/tunable-off" tests="3" failures="1" errors="0" skipped="0"/,
  );
  t.match(
    xml,
    /<testcase name="thread" classname="bookworm\/stock\/shared\/tunable-off" time="\d+\.\d{3}">\n {6}<failure message="expected unregistered, the kernel reports registered in the new thread" type="rseq-mismatch">cell: bookworm/,
  );
  t.match(xml, /<skipped message="a static executable loads no LD_PRELOAD library"\/>/);
  t.match(
    xml,
    /<error message="probe timed out after 30000 ms and was killed; it wrote no observation" type="harness-error">/,
  );

  const h = hostileResults();
  (h.cells[0] as CellResult).reason = 'ansi \u001b[31mred\u001b[0m and a lone \ud800 surrogate';
  (h.cells[0] as CellResult).status = 'fail';
  const hx = toJUnit(h);
  t.same(checkXml(hx), [], 'well formed with hostile content');
  t.notOk(hx.includes(XSS_VARIANT) || hx.includes(XSS_LOG));
  t.match(hx, /&lt;img src=x onerror=alert\(1\)&gt;/);
  t.match(hx, /&lt;\/script&gt;&lt;script&gt;alert\(2\)&lt;\/script&gt;/);
  t.match(hx, /&quot;quoted&quot; &amp; &apos;single&apos;/);
  t.match(hx, /ansi \\x1b\[31mred/);
});

t.test('TAP 14: ok / not ok per cell, skips with a reason, parses', async (t) => {
  const tap = toTap(small);
  const lines = tap.split('\n');
  t.equal(lines[0], 'TAP version 14');
  t.equal(lines[1], '1..24');
  t.equal(lines.filter((l) => /^ok \d+ - /.test(l)).length, 22);
  t.equal(lines.filter((l) => /^not ok \d+ - /.test(l)).length, 2);
  t.equal(lines.filter((l) => / # SKIP a static executable loads no LD_PRELOAD library$/.test(l)).length, 4);
  t.ok(lines.includes('not ok 18 - bookworm/stock/shared/tunable-off/thread'), 'the failing cell is not ok');
  t.ok(lines.includes('not ok 9 - bullseye/stock/static/default/thread'), 'the error cell is not ok');
  const results = await new Promise<import('tap-parser').FinalResults>((resolve) => {
    const p = new Parser(resolve);
    p.end(tap);
  });
  t.equal(results.count, 24);
  t.equal(results.pass, 22);
  t.equal(results.fail, 2);
  t.equal(results.skip, 4);
  t.equal(results.plan.end, 24);
  const diag = results.failures.map((f) => f.diag as Record<string, unknown>);
  t.same(diag.map((d) => d.status).sort(), ['error', 'fail']);
  t.ok(
    diag.every(
      (d) => typeof d.reproduce === 'string' && (d.reproduce as string).startsWith('npx rseq-matrix run'),
    ),
  );

  const h = hostileResults();
  (h.cells[0] as CellResult).id = 'weird # id \\ with hash';
  const ht = toTap(h);
  t.match(ht, /\nok \d+ - weird \\# id \\\\ with hash\n/);
  const hr = await new Promise<import('tap-parser').FinalResults>((resolve) => new Parser(resolve).end(ht));
  t.equal(hr.count, 24, 'hostile content parses as 24 points');
  t.equal(hr.fail, 2);
  t.ok(
    hr.failures.some((f) => String((f.diag as Record<string, unknown>).log).includes(XSS_LOG)),
    'the log survives the YAML block exactly',
  );
});
