// biome-ignore-all lint/style/useTemplate: the page script holds no backtick (test/unit/report.test.ts)
/**
 * Parts of the cell panel: key/value tables, the observations side by side, and the outside view (strace).
 * Values of fields the page does not know are shown as text, flattened to dotted keys.
 */
import type { CellResult, Observation, StraceEvent } from '../../model/results.js';
import { errno, h, type Kid, plural, yn } from './dom.mjs';
import { OSYM, obsClass } from './look.mjs';

/** A row: [key, value, class of the value cell]; null rows are left out. */
export type Pair = [string, Kid, (string | null)?] | null;

export function kvTable(pairs: Pair[]): HTMLTableElement {
  const t = h('table', 'kv');
  for (const p of pairs) {
    if (!p) continue;
    const v = p[1];
    t.appendChild(
      h('tr', null, [
        h('th', null, p[0]),
        h('td', p[2] || null, v === null || v === undefined || v === '' ? '\u2013' : v),
      ]),
    );
  }
  return t;
}

export function sectionP(title: string, kids: Kid): HTMLElement {
  return h('section', 'psec', [h('h3', null, title), kids]);
}

function fmtVal(v: unknown): string | undefined {
  if (v === null) return 'null';
  if (v === undefined) return undefined;
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function flat(
  prefix: string,
  v: unknown,
  out: [string, string | undefined][] = [],
): [string, string | undefined][] {
  if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length) {
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o)) flat(prefix ? prefix + '.' + k : k, o[k], out);
  } else out.push([prefix || 'value', fmtVal(v)]);
  return out;
}

export function codePairs(prefix: string, v: unknown): Pair[] {
  return flat(prefix, v).map(([k, x]) => [k, h('code', null, x)]);
}

/** The fields of o other than these, or null. */
function others(o: object, known: string[]): Record<string, unknown> | null {
  let r: Record<string, unknown> | null = null;
  for (const [k, v] of Object.entries(o))
    if (known.indexOf(k) < 0) {
      r ??= {};
      r[k] = v;
    }
  return r;
}

function flatMap(prefix: string, v: unknown): Map<string, string | undefined> {
  return new Map(v === undefined || v === null ? [] : flat(prefix, v));
}

type Field = [string, (o: Observation, i: number) => unknown] | ['#', string];

/** The observations side by side, one column each; rows whose values differ are marked. */
export function observationsTable(
  obs: Observation[],
  other: (Record<string, unknown> | null)[],
): HTMLElement {
  if (!obs.length) return h('p', 'sub', 'No observation: the probe wrote nothing for this cell.');
  const fields: Field[] = [
    ['stage', (o) => o.stage],
    ['pid', (o) => o.pid],
    ['tid', (o) => o.tid],
    ['kernel', (o) => o.kernel],
    ['availErrno', (o) => errno(o.availErrno)],
    ['probeErrno', (o) => errno(o.probeErrno)],
    ['glibc.rseqSize', (o) => o.glibc.rseqSize],
    ['glibc.rseqOffset', (o) => o.glibc.rseqOffset],
    ['glibc.rseqFlags', (o) => o.glibc.rseqFlags],
    ['glibc.cpuId', (o) => o.glibc.cpuId],
    ['glibc.areaRegistered', (o) => (o.glibc.areaRegistered === null ? null : yn(o.glibc.areaRegistered))],
    ['glibc.areaLen', (o) => o.glibc.areaLen],
    ['v', (o) => o.v],
  ];
  // Groups of generic rows: the variant's own symbols, strace's outside view, anything else the probe wrote.
  const group = (title: string, prefix: string, get: (o: Observation, i: number) => unknown) => {
    const maps = obs.map((o, i) => flatMap(prefix, get(o, i)));
    const keys: string[] = [];
    for (const m of maps) for (const k of m.keys()) if (keys.indexOf(k) < 0) keys.push(k);
    if (!keys.length) return;
    fields.push(['#', title]);
    for (const k of keys) fields.push([k, (_o, i) => maps[i]?.get(k)]);
  };
  group('extra: symbols only some variants have, and what the kernel reported', 'extra', (o) => o.extra);
  group('strace: the outside view of this line', 'strace', (o) => o.strace);
  group('other fields', '', (_o, i) => other[i]);
  const t = h('table', 'obs');
  const head = h('tr', null, h('th', null, 'field'));
  obs.forEach((o, i) => {
    head.appendChild(h('th', null, '#' + (i + 1) + (o.tid !== o.pid ? ' (thread)' : '')));
  });
  t.appendChild(h('thead', null, head));
  const tb = h('tbody');
  for (const f of fields) {
    if (f[0] === '#') {
      const gh = h('th', null, f[1] as string);
      gh.colSpan = obs.length + 1;
      tb.appendChild(h('tr', 'grp', gh));
      continue;
    }
    const [name, get] = f as [string, (o: Observation, i: number) => unknown];
    const tr = h('tr', null, h('th', null, name));
    const values = obs.map((o, i) => get(o, i));
    const seen = values.map((v) => String(v));
    // Values that differ between the observations (other than pid/tid) are what a reviewer looks for.
    if (name !== 'tid' && seen.some((x) => x !== seen[0])) tr.className = 'differs';
    for (const v of values) {
      const none = v === null || v === undefined;
      const td = h('td', none ? 'null' : null, none ? '\u2013' : String(v));
      if (name === 'kernel' || name === 'strace.kernel') td.className = 'state ' + obsClass(String(v));
      tr.appendChild(td);
    }
    tb.appendChild(tr);
  }
  t.appendChild(tb);
  return h('div', 'scrollx', t);
}

// The outside observer (strace -f of the same invocation): the threads that matter and their events.
function eventLine(e: StraceEvent | unknown, stage: string): HTMLLIElement {
  if (!e || typeof e !== 'object') return h('li', 'ev', fmtVal(e));
  const ev = e as StraceEvent;
  if (ev.kind === 'rseq') {
    const own = String(ev.role).indexOf('glibc') === 0;
    return h('li', 'ev rseq' + (ev.errno ? ' err' : ''), [
      h('span', 'evk', 'rseq'),
      h('span', 'evrole' + (own ? ' glibc' : ''), ev.role),
      h('code', null, ev.call),
      ev.errno ? h('span', 'everr', ev.errno) : null,
    ]);
  }
  if (ev.kind === 'marker') {
    const cls = ev.kernel && obsClass(ev.kernel) !== 'other' ? ev.kernel : 'none';
    return h('li', 'ev marker' + (ev.stage === stage ? ' here' : ''), [
      h('span', 'evk', 'write'),
      h('code', null, ev.stage),
      h('span', 'state ' + cls, [h('span', 'osym', OSYM[cls]), ev.kernel || 'no answer']),
      ev.inForce === undefined
        ? null
        : h('span', 'dim-text', 'in force: ' + (ev.inForce === null ? 'none' : ev.inForce)),
    ]);
  }
  if (ev.kind === 'spawn') return h('li', 'ev spawn', [h('span', 'evk', ev.how), '\u2192 tid ' + ev.child]);
  if (ev.kind === 'exec') return h('li', 'ev exec', [h('span', 'evk', 'execve'), ev.ok ? 'ok' : 'failed']);
  return h('li', 'ev', h('code', null, fmtVal(e)));
}

export function straceSection(f: CellResult): HTMLElement | null {
  const title = 'Outside view (strace)';
  if (f.strace === undefined)
    return f.straceReason ? sectionP(title, h('p', 'callout', f.straceReason)) : null;
  if (f.strace === null)
    return sectionP(
      title,
      h(
        'p',
        'callout',
        'strace could not watch this probe' +
          (f.straceReason ? ': ' + f.straceReason : '.') +
          ' The verdict does not depend on it.',
      ),
    );
  const sc = f.strace;
  if (typeof sc !== 'object' || !Array.isArray(sc.threads))
    return sectionP(title, kvTable(codePairs('', sc)));
  const pairs: Pair[] = [
    ['strace', sc.version],
    ['log', h('code', null, sc.log)],
    f.straceReason ? ['note', f.straceReason] : null,
  ];
  const rest = others(sc, ['version', 'log', 'threads']);
  const box = h('div', null, kvTable(rest ? pairs.concat(codePairs('', rest)) : pairs));
  for (const th of sc.threads as unknown[]) {
    if (!th || typeof th !== 'object' || !Array.isArray((th as { events?: unknown }).events)) {
      box.appendChild(kvTable(codePairs('thread', th)));
      continue;
    }
    const t = th as (typeof sc.threads)[number];
    const inh =
      t.inherited === undefined
        ? 'inherited: cannot tell'
        : t.inherited === null
          ? 'inherited no registration'
          : 'inherited ' + t.inherited + '\u2019s registration';
    const head = h('div', 'thead2', [
      h('b', null, 'tid ' + t.tid),
      h('span', 'tag', t.origin),
      t.parent !== null && t.parent !== undefined ? h('span', 'dim-text', 'parent ' + t.parent) : null,
      h('span', 'dim-text', inh),
      t.probeCalls ? h('span', 'dim-text', plural(t.probeCalls, 'probe rseq call') + ' not listed') : null,
    ]);
    const ol = h(
      'ol',
      'evlist',
      t.events.map((e) => eventLine(e, f.stage)),
    );
    const extra = others(t, ['tid', 'parent', 'origin', 'inherited', 'events', 'probeCalls']);
    box.appendChild(
      h('div', 'sthread', [
        head,
        t.events.length ? ol : h('p', 'sub', 'no events'),
        extra ? kvTable(codePairs('', extra)) : null,
      ]),
    );
  }
  return sectionP(title, box);
}
