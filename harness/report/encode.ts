/**
 * The compact data model inlined in the HTML report (its layout: format.ts). Pure.
 *
 * The page decodes exactly this layout with page/decode.mts: change both together, and bump
 * REPORT_DATA_VERSION there. The names the page shows that the harness defines (statuses, verdicts and
 * their help, observed states) and the marks of the compact form travel in the data block's `vocab`.
 */

import {
  type Comparison,
  compareRuns,
  LISTED_VERDICTS,
  VERDICT_HELP,
  VERDICTS,
  verdictFor,
} from '../compare/compare.js';
import { ALL_STAGES, HOST_KERNEL, type RseqState, SCENARIOS } from '../model/catalogue.js';
import { cellId } from '../model/cell.js';
import type {
  BuildResult,
  CellResult,
  CellStatus,
  Observation,
  Results,
  StraceCell,
  StraceView,
} from '../model/results.js';
import { groupRows, stageOrder } from './common.js';
import type { EncodedCell, ReportData, Vocabulary } from './format.js';
import { REPORT_DATA_VERSION, templateValues } from './page/decode.mjs';

export type { EncodedCell, ReportData, Vocabulary } from './format.js';

export const STATUS_CODES: readonly CellStatus[] = ['pass', 'fail', 'error', 'skip'];
/** Log and stderr tails longer than this keep only their end in the report. */
export const MAX_TAIL = 8000;

/**
 * Placeholders for a cell's own values inside its strings (control characters no real text holds), in the
 * order of templateValues (page/decode.mts).
 */
export const PLACEHOLDERS = ['\u0001', '\u0002', '\u0003', '\u0004', '\u0005', '\u0006', '\u0007'];
// biome-ignore lint/suspicious/noControlCharactersInRegex: the placeholders are control characters
const HAS_PLACEHOLDER = /[\u0001-\u0007]/;

/** Marks a string stored literally (it held placeholder characters of its own). */
export const LITERAL = '\u0000';

export function templateOf(s: string, values: readonly string[]): string {
  if (HAS_PLACEHOLDER.test(s) || s.startsWith(LITERAL)) return LITERAL + s;
  let out = s;
  values.forEach((v, i) => {
    if (v.length >= 3 && !HAS_PLACEHOLDER.test(v)) out = out.split(v).join(PLACEHOLDERS[i]);
  });
  return out;
}

export function capTail(s: string | undefined, max = MAX_TAIL): string | undefined {
  if (!s) return undefined;
  if (s.length <= max) return s;
  const cut = s.length - max;
  const nl = s.indexOf('\n', cut);
  const start = nl >= 0 && nl - cut < 200 ? nl + 1 : cut;
  return `[… ${start} earlier characters not in the report]\n${s.slice(start)}`;
}

/** The fields of a cell, an observation and glibc's claim that the compact form knows; the rest goes to `other`. */
export const CELL_KEYS: ReadonlySet<string> = new Set([
  'id',
  'glibc',
  'variant',
  'kernel',
  'link',
  'scenario',
  'stage',
  'status',
  'reason',
  'expected',
  'observed',
  'observations',
  'probe',
  'strace',
  'straceReason',
  'buildKey',
  'patches',
  'reproduce',
  'durationMs',
  'logTail',
]);
const OBS_KEYS = new Set([
  'v',
  'stage',
  'pid',
  'tid',
  'kernel',
  'availErrno',
  'probeErrno',
  'glibc',
  'extra',
  'strace',
]);
const GLIBC_KEYS = new Set(['rseqSize', 'rseqOffset', 'rseqFlags', 'cpuId', 'areaRegistered', 'areaLen']);

function unknownFields(o: object, known: ReadonlySet<string>): Record<string, unknown> | undefined {
  let out: Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(o)) {
    if (known.has(k) || v === undefined) continue;
    out ??= {};
    out[k] = v;
  }
  return out;
}

/** Fields of an observation beyond the known ones (unknown glibc fields under `glibc`), or undefined. */
export function otherObservationFields(x: Observation): Record<string, unknown> | undefined {
  const other = unknownFields(x, OBS_KEYS);
  const g = x.glibc && typeof x.glibc === 'object' ? unknownFields(x.glibc, GLIBC_KEYS) : undefined;
  return g ? { ...other, glibc: g } : other;
}

/** Event kinds in the compact strace form, by code. */
export const STRACE_EVENT_KINDS = ['rseq', 'marker', 'spawn', 'exec'] as const;

/** What the kernel reported (Observed.state; none: nothing observed), in the order the report lists them. */
export const OBSERVED_HELP: Record<RseqState | 'mixed' | 'none', string> = {
  registered: 'the kernel has an rseq area registered for the thread',
  unregistered: 'rseq(2) is there, nothing is registered',
  unavailable: 'rseq(2) is refused or missing (seccomp, ENOSYS)',
  mixed: 'the observations of the stage differ',
  none: 'nothing observed: skipped, or the probe wrote nothing',
};

/** The names, texts and marks the page reads from the data block instead of holding copies. */
export function vocabulary(): Vocabulary {
  return {
    status: [...STATUS_CODES],
    verdicts: [...VERDICTS],
    verdictHelp: { ...VERDICT_HELP },
    listedVerdicts: [...LISTED_VERDICTS],
    observed: Object.entries(OBSERVED_HELP),
    placeholders: [...PLACEHOLDERS],
    literal: LITERAL,
    raw: RAW,
    straceEvents: [...STRACE_EVENT_KINDS],
    hostKernel: HOST_KERNEL,
  };
}

function trimZeros<T>(a: T[]): T[] {
  let n = a.length;
  while (n > 0 && a[n - 1] === 0) n--;
  a.length = n;
  return a;
}

export function encodeReport(
  results: Results,
  opts: { baseline?: Results; title?: string } = {},
): ReportData {
  const strings: string[] = [''];
  const sIdx = new Map<string, number>([['', 0]]);
  const S = (v: string | null | undefined): number => {
    if (v === null || v === undefined || v === '') return 0;
    let i = sIdx.get(v);
    if (i === undefined) {
      i = strings.length;
      strings.push(v);
      sIdx.set(v, i);
    }
    return i;
  };
  // t[0] is the empty tuple, so index 0 can mean "none" (no patches).
  const tuples: unknown[][] = [[]];
  const tIdx = new Map<string, number>([['[]', 0]]);
  const T = (v: unknown[]): number => {
    const k = JSON.stringify(v);
    let i = tIdx.get(k);
    if (i === undefined) {
      i = tuples.length;
      tuples.push(v);
      tIdx.set(k, i);
    }
    return i;
  };
  const Sn = (v: string | null | undefined): number | null => (v === null || v === undefined ? null : S(v));

  const rows = groupRows(results.cells);
  const stageIds = stageOrder(results.cells);
  const stageCol = new Map(stageIds.map((s, i) => [s, i]));
  const encodedRows = rows.map((r) => [
    S(r.key.glibc),
    S(r.key.variant),
    S(r.key.link),
    S(r.key.scenario),
    S(r.key.kernel),
  ]);
  const cellIndex = new Map<string, number>();
  const cells: EncodedCell[] = [];
  rows.forEach((r, ri) => {
    for (const c of r.cells) {
      const vals = templateValues(c);
      const tpl = (s: string | undefined) => (s ? S(templateOf(s, vals)) : 0);
      const e = c.expected;
      const o = c.observed;
      const obs: number[] = [];
      const base = straceBase(c);
      for (const x of c.observations) {
        const g = x.glibc ?? {};
        obs.push(
          T([
            S(x.stage),
            S(x.kernel),
            x.availErrno,
            x.probeErrno,
            g.rseqSize ?? null,
            g.rseqOffset ?? null,
            g.rseqFlags ?? null,
            g.cpuId ?? null,
            g.areaRegistered ?? null,
            g.areaLen ?? null,
            x.extra && Object.keys(x.extra).length ? x.extra : 0,
            x.v,
            (() => {
              const other = otherObservationFields(x);
              return other ? other : 0;
            })(),
          ]),
          x.pid,
          x.tid,
          x.strace ? encodeStraceView(x.strace, base, S, Sn, T) : 0,
        );
      }
      const p = c.probe;
      const derivedId = cellId(c);
      cellIndex.set(c.id, cells.length);
      cells.push(
        trimZeros<EncodedCell[number]>([
          ri,
          stageCol.get(c.stage) ?? 0,
          Math.max(0, STATUS_CODES.indexOf(c.status)),
          tpl(c.reason),
          T([S(e.state), e.registered, e.rule, S(e.why)]),
          T([Sn(o.state), o.registered, o.consistent, S(o.inconsistency), o.owner ? S(o.owner) : 0]),
          obs.length ? obs : 0,
          p
            ? [
                tpl(p.command),
                p.exitCode,
                Sn(p.signal),
                p.timedOut ? 1 : 0,
                p.durationMs,
                tpl(capTail(p.stderrTail)),
                p.traced
                  ? [
                      tpl(p.traced.command),
                      p.traced.exitCode,
                      Sn(p.traced.signal),
                      p.traced.timedOut ? 1 : 0,
                      p.traced.durationMs,
                    ]
                  : 0,
                p.stdoutTail ? tpl(capTail(p.stdoutTail)) : 0,
              ]
            : 0,
          S(c.buildKey),
          c.patches.length ? T(c.patches.map((x) => S(x))) : 0,
          tpl(c.reproduce),
          c.durationMs,
          tpl(capTail(c.logTail)),
          c.id === derivedId ? 0 : S(c.id),
          c.strace === undefined ? 0 : encodeStraceCell(c.strace, base, tpl, S, Sn, T),
          tpl(c.straceReason),
          (() => {
            const other = unknownFields(c, CELL_KEYS);
            return other ? T([other]) : 0;
          })(),
        ]),
      );
    }
  });

  const data: ReportData = {
    v: REPORT_DATA_VERSION,
    title: opts.title ?? `rseq-matrix: ${results.run.matrix.name}`,
    vocab: vocabulary(),
    s: strings,
    t: tuples,
    run: results.run,
    env: results.environment,
    summary: results.summary,
    builds: results.builds.map((b) => {
      const out: BuildResult = { ...b };
      const tail = capTail(b.logTail);
      if (tail) out.logTail = tail;
      else delete out.logTail;
      return out;
    }),
    ...(results.groups ? { groups: results.groups } : {}),
    stages: stageIds.map((id) => [id, ALL_STAGES.find((s) => s.id === id)?.summary ?? '']),
    scenarios: SCENARIOS.map((s) => [s.id, s.summary]),
    rows: encodedRows,
    cells,
  };
  if (opts.baseline) data.base = encodeComparison(compareRuns(opts.baseline, results), cellIndex, S);
  return data;
}

type Sfn = (v: string | null | undefined) => number;
type SnFn = (v: string | null | undefined) => number | null;
type Tfn = (v: unknown[]) => number;
/** Are all of o's keys among these (so the compact form loses nothing)? */
const keysIn = (o: object, keys: string[]) => Object.keys(o).every((k) => keys.includes(k));
const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Marks a value of an unexpected shape, kept whole: ['x', value]. */
export const RAW = 'x';

/** The number all tids of a cell's strace data are stored relative to: its first thread's (0: none). */
export function straceBase(c: CellResult): number {
  const t = c.strace && Array.isArray(c.strace.threads) ? c.strace.threads[0] : undefined;
  return t && typeof t.tid === 'number' ? t.tid : 0;
}

const rel = (n: unknown, base: number) => (typeof n === 'number' ? n - base : n);

/**
 * Observation.strace as a t index of [tid, registeredBefore, anyRegisteredBefore, inForce, glibcRegisteredAfter,
 * kernel, other]: tids relative to straceBase (so that cells of the same shape share tuples), inForce
 * [tid, call, by] or null, strings as s indexes, other the unknown fields or 0. A value of another shape is
 * kept whole as ['x', value] (RAW).
 */
export function encodeStraceView(v: StraceView, base: number, S: Sfn, Sn: SnFn, T: Tfn): number {
  if (!isObj(v) || typeof v.tid !== 'number') return T([RAW, v]);
  const f = v.inForce;
  const known = new Set([
    'tid',
    'registeredBefore',
    'anyRegisteredBefore',
    'inForce',
    'glibcRegisteredAfter',
    'kernel',
  ]);
  let inForce: unknown = f;
  if (isObj(f)) {
    const compact =
      typeof f.tid === 'number' &&
      typeof f.call === 'string' &&
      typeof f.by === 'string' &&
      keysIn(f, ['tid', 'call', 'by']);
    inForce = compact ? [f.tid - base, S(f.call), S(f.by)] : [RAW, f];
  }
  return T([
    v.tid - base,
    v.registeredBefore,
    v.anyRegisteredBefore,
    inForce,
    v.glibcRegisteredAfter,
    Sn(v.kernel),
    unknownFields(v, known) ?? 0,
  ]);
}

/**
 * CellResult.strace as a t index of [version, log, threads, other, base] (strings as s indexes, log a template
 * of the cell's values, threads a t index), or of [null] when strace could not watch. A thread is
 * [tid, parent, origin, inherited, probeCalls, events, other], tids relative to base: inherited 0 when absent
 * (cannot tell), null for none, else an s index; events t indexes of [kind code (STRACE_EVENT_KINDS), ...]:
 * rseq [0, role, call, errno], marker [1, stage, kernel, inForce] (inForce 0: absent), spawn [2, child, how],
 * exec [3, ok]; other the thread's unknown fields or 0. Anything of another shape is kept whole as ['x', value] (RAW).
 */
export function encodeStraceCell(
  c: StraceCell | null,
  base: number,
  tpl: (s: string | undefined) => number,
  S: Sfn,
  Sn: SnFn,
  T: Tfn,
): number {
  if (c === null) return T([null]);
  if (!isObj(c) || !Array.isArray(c.threads) || typeof c.log !== 'string') return T([RAW, c]);
  const threadKeys = new Set(['tid', 'parent', 'origin', 'inherited', 'events', 'probeCalls']);
  const threads = c.threads.map((th) => {
    if (!isObj(th) || !Array.isArray(th.events) || typeof th.tid !== 'number') return [RAW, th];
    const events = th.events.map((e) => {
      if (e.kind === 'rseq' && keysIn(e, ['kind', 'role', 'call', 'errno']))
        return T([0, S(e.role), S(e.call), Sn(e.errno)]);
      if (e.kind === 'marker' && keysIn(e, ['kind', 'stage', 'kernel', 'inForce']))
        return T([1, S(e.stage), Sn(e.kernel), e.inForce === undefined ? 0 : Sn(e.inForce)]);
      if (e.kind === 'spawn' && keysIn(e, ['kind', 'child', 'how']))
        return T([2, rel(e.child, base), S(e.how)]);
      if (e.kind === 'exec' && keysIn(e, ['kind', 'ok'])) return T([3, e.ok ? 1 : 0]);
      return T([RAW, e]);
    });
    return [
      th.tid - base,
      rel(th.parent, base),
      S(th.origin),
      th.inherited === undefined ? 0 : Sn(th.inherited),
      th.probeCalls,
      events,
      unknownFields(th, threadKeys) ?? 0,
    ];
  });
  const other = unknownFields(c, new Set(['version', 'log', 'threads']));
  return T([S(c.version), tpl(c.log), T(threads), other ?? 0, base]);
}

function encodeComparison(
  c: Comparison,
  cellIndex: Map<string, number>,
  S: (v: string | undefined) => number,
): NonNullable<ReportData['base']> {
  const code = (s: CellStatus | null) => (s === null ? -1 : STATUS_CODES.indexOf(s));
  return {
    run: {
      id: c.old.id,
      startedAt: c.old.startedAt,
      matrix: c.old.matrix,
      complete: c.old.complete,
      cells: c.old.cells,
    },
    warnings: c.warnings,
    counts: c.counts,
    ch: c.changes
      .filter((x) => !x.verdict.startsWith('UNCHANGED'))
      .map((x) => {
        const ci = cellIndex.get(x.id) ?? -1;
        // A cell of this run carries its own id and reason: store them only for removed cells.
        return [
          VERDICTS.indexOf(x.verdict),
          ci,
          ci >= 0 ? 0 : S(x.id),
          code(x.before),
          code(x.after),
          ci >= 0 ? 0 : S(x.reason),
        ];
      }),
    same: STATUS_CODES.map((st) => VERDICTS.indexOf(verdictFor(st, st))),
  };
}
