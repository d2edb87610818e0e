/**
 * The outside observer: `strace -f` output of one probe invocation, turned into per-thread events and,
 * for each line a probe wrote to its observation descriptor, the rseq registration strace had seen in
 * force for the writing thread at that moment. Pure (docs/probe-protocol.md, "The outside view").
 */

import { isRseqState, type RseqState } from '../model/catalogue.js';
import type {
  Observation,
  StraceCell,
  StraceEvent,
  StraceRseqRole,
  StraceSpawn,
  StraceView,
} from '../model/results.js';
import { OBSERVATION_FD } from './plan.js';

/** The signatures glibc registers with: x86_64, aarch64 (sysdeps/unix/sysv/linux/<arch>/bits/rseq.h). */
export const GLIBC_RSEQ_SIGNATURES: readonly number[] = [0x53053053, 0xd428bc00];
/** probes/rseqprobe.c: the private area's signature and the deliberately wrong one. */
export const PROBE_PRIVATE_SIG = 0x1dea5eed;
export const PROBE_WRONG_SIG = 0x0badc0de;
const RSEQ_FLAG_UNREGISTER = 1;

interface RseqEv {
  kind: 'rseq';
  role: StraceRseqRole;
  call: string;
  addr: number;
  len: number;
  flags: number;
  sig: number;
  /** 0 success, -1 failure, null unknown. */
  ret: number | null;
  errno: string | null;
}
interface MarkerEv {
  kind: 'marker';
  stage: string;
  kernel: RseqState | null;
  /** The line as written (may be cut short by strace's -s). */
  text: string;
}
interface SpawnEv {
  kind: 'spawn';
  /** null until the call returned (or when it failed). */
  child: number | null;
  how: StraceSpawn;
}
interface ExecEv {
  kind: 'exec';
  ok: boolean | null;
}
interface WriteEv {
  kind: 'write';
  fd: number;
}
export type TraceEvent = RseqEv | MarkerEv | SpawnEv | ExecEv | WriteEv;

export interface TraceThread {
  tid: number;
  events: TraceEvent[];
}

export interface StraceTrace {
  /** In order of first appearance. */
  threads: Map<number, TraceThread>;
  /** Lines that were not understood (kept for error messages; not fatal). */
  unparsed: string[];
}

/** Who registered: glibc or another caller; null none; undefined cannot tell. */
type Reg = { by: 'glibc' | 'other'; tid: number; call: string } | null | undefined;

const PREFIX = /^(?:\[pid\s+(\d+)\]\s+|(\d+)\s+)?(.*)$/;
const CALL = /^([a-z0-9_]+)\((.*)\)\s+=\s+(\S.*)$/s;
const UNFINISHED = /^([a-z0-9_]+)\((.*?)\s*<unfinished \.\.\.>$/s;
const RESUMED = /^<\.\.\. ([a-z0-9_]+) resumed>\s?(.*)\)\s+=\s+(\S.*)$/s;

function parseNumber(s: string): number {
  const t = s.trim();
  if (t === 'NULL') return 0;
  if (t === 'RSEQ_FLAG_UNREGISTER') return RSEQ_FLAG_UNREGISTER;
  if (/^0x[0-9a-f]+$/i.test(t)) return Number.parseInt(t, 16);
  if (/^-?\d+$/.test(t)) return Number.parseInt(t, 10);
  return Number.NaN;
}

function parseResult(s: string): { ret: number | null; errno: string | null; value: number | null } {
  const m = /^(-?\d+|0x[0-9a-f]+|\?)(?:\s+(E[A-Z0-9]+))?/i.exec(s.trim());
  if (!m || m[1] === '?') return { ret: null, errno: m?.[2] ?? '?', value: null };
  const value = parseNumber(m[1] as string);
  if (value === -1) return { ret: -1, errno: m[2] ?? 'E?', value };
  return { ret: 0, errno: null, value };
}

/** A C string literal as strace prints it (\" \\ \n \t \xHH \NNN ...), from its opening quote. */
export function unquoteStraceString(s: string): { text: string; truncated: boolean } | null {
  if (s[0] !== '"') return null;
  const bytes: number[] = [];
  let i = 1;
  for (; i < s.length; i++) {
    const c = s[i] as string;
    if (c === '"') break;
    if (c !== '\\') {
      for (const b of Buffer.from(c, 'utf8')) bytes.push(b);
      continue;
    }
    const n = s[++i] ?? '';
    const simple: Record<string, number> = {
      n: 10,
      t: 9,
      r: 13,
      v: 11,
      f: 12,
      a: 7,
      b: 8,
      '"': 34,
      '\\': 92,
    };
    if (n in simple) bytes.push(simple[n] as number);
    else if (n === 'x') {
      const hex = /^[0-9a-fA-F]{1,2}/.exec(s.slice(i + 1))?.[0] ?? '';
      bytes.push(Number.parseInt(hex || '0', 16));
      i += hex.length;
    } else if (/[0-7]/.test(n)) {
      const oct = /^[0-7]{1,3}/.exec(s.slice(i))?.[0] ?? '0';
      bytes.push(Number.parseInt(oct, 8) & 0xff);
      i += oct.length - 1;
    } else bytes.push(n.charCodeAt(0));
  }
  if (i >= s.length) return null;
  return { text: Buffer.from(bytes).toString('utf8'), truncated: s.slice(i + 1).startsWith('...') };
}

export function rseqRole(addr: number, flags: number, sig: number): StraceRseqRole {
  const glibc = GLIBC_RSEQ_SIGNATURES.includes(sig);
  if (addr === 0 && flags === 0 && sig === 0) return 'probe-avail';
  if (sig === PROBE_WRONG_SIG && flags === RSEQ_FLAG_UNREGISTER) return 'probe-check';
  if (sig === PROBE_PRIVATE_SIG) return flags === 0 ? 'probe-private' : 'probe-private-unregister';
  if (flags === 0) return glibc ? 'glibc-register' : 'other-register';
  if (flags === RSEQ_FLAG_UNREGISTER) return glibc ? 'glibc-unregister' : 'other-unregister';
  return 'other';
}

function marker(text: string): MarkerEv | null {
  const line = text.split('\n')[0] ?? '';
  let stage: string | undefined;
  let kernel: string | undefined;
  try {
    const v = JSON.parse(line) as { stage?: unknown; kernel?: unknown };
    if (typeof v.stage === 'string') stage = v.stage;
    if (typeof v.kernel === 'string') kernel = v.kernel;
  } catch {
    // Cut short by -s: read what is there.
    stage = /"stage":"([^"]*)"/.exec(line)?.[1];
    kernel = /"kernel":"([^"]*)"/.exec(line)?.[1];
  }
  if (stage === undefined) return null;
  return {
    kind: 'marker',
    stage,
    kernel: isRseqState(kernel) ? kernel : null,
    text: line,
  };
}

function spawnHow(name: string, args: string): StraceSpawn | null {
  if (name === 'fork') return 'fork';
  if (name === 'vfork') return 'vfork';
  if (name !== 'clone' && name !== 'clone3') return null;
  const flags = /flags=([A-Z0-9_|]+|0x[0-9a-f]+)/i.exec(args)?.[1] ?? '';
  const has = (f: string) => flags.split('|').includes(f);
  if (!has('CLONE_VM')) return 'fork';
  if (has('CLONE_THREAD')) return 'thread';
  if (has('CLONE_VFORK')) return 'vfork';
  return 'clone-vm';
}

/** Builds the event of a call, or null for a call of no interest. The result may still be unknown. */
function callEvent(name: string, args: string, result: string | null, verbatim: string): TraceEvent | null {
  const r = result === null ? { ret: null, errno: null, value: null } : parseResult(result);
  if (name === 'rseq') {
    const [a, l, f, s] = args.split(',').map(parseNumber);
    if ([a, l, f, s].some((x) => x === undefined || Number.isNaN(x))) return null;
    return {
      kind: 'rseq',
      role: rseqRole(a as number, f as number, s as number),
      call: verbatim.replace(/\s+=\s+/, ' = '),
      addr: a as number,
      len: l as number,
      flags: f as number,
      sig: s as number,
      ret: r.ret,
      errno: r.ret === 0 ? null : (r.errno ?? '?'),
    };
  }
  if (name === 'write') {
    const fd = parseNumber(args.slice(0, args.indexOf(',')));
    if (fd !== OBSERVATION_FD) return { kind: 'write', fd };
    const q = args.indexOf('"');
    const str = q >= 0 ? unquoteStraceString(args.slice(q)) : null;
    return (str && marker(str.text)) ?? { kind: 'write', fd };
  }
  if (name === 'execve' || name === 'execveat')
    return { kind: 'exec', ok: r.ret === null ? null : r.ret === 0 };
  const how = spawnHow(name, args);
  if (how)
    return { kind: 'spawn', how, child: r.ret === 0 && r.value !== null && r.value > 0 ? r.value : null };
  return null;
}

/** Parses the output of `strace -f -o FILE` (lines prefixed with the thread id). */
export function parseStrace(text: string): StraceTrace {
  const threads = new Map<number, TraceThread>();
  const unparsed: string[] = [];
  const pending = new Map<number, { name: string; args: string; event: TraceEvent | null; index: number }>();
  const thread = (tid: number) => {
    let t = threads.get(tid);
    if (!t) {
      t = { tid, events: [] };
      threads.set(tid, t);
    }
    return t;
  };
  for (const raw of text.split('\n')) {
    if (!raw.trim()) continue;
    const pm = PREFIX.exec(raw);
    const tid = Number(pm?.[1] ?? pm?.[2] ?? 0);
    const rest = (pm?.[3] ?? '').trimEnd();
    if (rest.startsWith('+++') || rest.startsWith('---')) continue;
    const t = thread(tid);
    let m = RESUMED.exec(rest);
    if (m) {
      const p = pending.get(tid);
      pending.delete(tid);
      if (!p || p.name !== m[1]) {
        unparsed.push(raw);
        continue;
      }
      const args = `${p.args}${m[2] ?? ''}`;
      const ev = callEvent(p.name, args, m[3] as string, `${p.name}(${args}) = ${m[3]}`);
      if (ev) t.events.splice(p.index, 1, ev);
      continue;
    }
    m = UNFINISHED.exec(rest);
    if (m) {
      const name = m[1] as string;
      const args = m[2] as string;
      // Keep the call's place in this thread's order: it started here.
      const ev = callEvent(name, args, null, `${name}(${args}`);
      pending.set(tid, { name, args, event: ev, index: t.events.length });
      t.events.push(ev ?? { kind: 'write', fd: -1 });
      continue;
    }
    m = CALL.exec(rest);
    if (m) {
      const ev = callEvent(m[1] as string, m[2] as string, m[3] as string, rest);
      if (ev) t.events.push(ev);
      continue;
    }
    unparsed.push(raw);
  }
  return { threads, unparsed };
}

/** Each thread's parent and how it was made, from the spawn events that name it. */
function lineage(trace: StraceTrace): Map<number, { parent: number; index: number; how: StraceSpawn }> {
  const m = new Map<number, { parent: number; index: number; how: StraceSpawn }>();
  for (const t of trace.threads.values())
    t.events.forEach((e, index) => {
      if (e.kind === 'spawn' && e.child !== null) m.set(e.child, { parent: t.tid, index, how: e.how });
    });
  return m;
}

function origin(trace: StraceTrace, tid: number, parents: ReturnType<typeof lineage>) {
  const p = parents.get(tid);
  if (p) return p.how;
  const first = trace.threads.get(tid)?.events[0];
  return first?.kind === 'exec' ? 'exec' : 'unknown';
}

/**
 * states[tid][i]: the registration in force in that thread just before its event i (and at the end,
 * index events.length). Follows the kernel: a successful rseq(..., flags 0, ...) registers, a
 * successful unregister clears, execve clears, a fork child starts with its parent's registration at
 * the fork, a CLONE_VM child (thread, vfork) with none.
 */
export function registrationStates(trace: StraceTrace): Map<number, Reg[]> {
  const parents = lineage(trace);
  const done = new Map<number, Reg[]>();
  const busy = new Set<number>();
  const compute = (tid: number): Reg[] => {
    const have = done.get(tid);
    if (have) return have;
    const t = trace.threads.get(tid);
    if (!t || busy.has(tid)) return [undefined];
    busy.add(tid);
    let state: Reg;
    const p = parents.get(tid);
    if (p) state = p.how === 'fork' ? compute(p.parent)[p.index] : null;
    else state = t.events[0]?.kind === 'exec' ? null : undefined;
    const states: Reg[] = [];
    for (const e of t.events) {
      states.push(state);
      if (e.kind === 'exec') state = e.ok === true ? null : e.ok === false ? state : undefined;
      else if (e.kind === 'rseq') {
        if (e.ret === null) {
          // A call whose end strace did not see: a registration it might have made is unknown.
          if (e.role !== 'probe-avail' && e.role !== 'probe-check') state = undefined;
        } else if (e.ret === 0) {
          if (e.flags === 0)
            state = { by: e.role === 'glibc-register' ? 'glibc' : 'other', tid, call: e.call };
          else if (e.flags === RSEQ_FLAG_UNREGISTER) state = null;
        }
      }
    }
    states.push(state);
    busy.delete(tid);
    done.set(tid, states);
    return states;
  };
  for (const tid of trace.threads.keys()) compute(tid);
  return done;
}

export interface TracedMarker {
  tid: number;
  /** Index of the write among the thread's events. */
  index: number;
  stage: string;
  view: StraceView;
}

/** Every marker write of the trace, in log order per thread and threads in order of appearance. */
export function tracedMarkers(trace: StraceTrace): TracedMarker[] {
  const states = registrationStates(trace);
  const out: TracedMarker[] = [];
  for (const t of trace.threads.values()) {
    const st = states.get(t.tid) ?? [];
    t.events.forEach((e, index) => {
      if (e.kind !== 'marker') return;
      const reg = st[index];
      const glibcAfter = t.events
        .slice(index + 1)
        .some((x) => x.kind === 'rseq' && x.role === 'glibc-register' && x.ret === 0);
      out.push({
        tid: t.tid,
        index,
        stage: e.stage,
        view: {
          tid: t.tid,
          registeredBefore: reg === undefined ? null : reg?.by === 'glibc',
          anyRegisteredBefore: reg === undefined ? null : reg !== null,
          inForce: reg ? { tid: reg.tid, call: reg.call, by: reg.by } : null,
          glibcRegisteredAfter: glibcAfter,
          kernel: e.kernel,
        },
      });
    });
  }
  return out;
}

/**
 * Pairs the untraced run's observations of `stage` with the traced run's lines of the same stage (the
 * n-th with the n-th), adding `strace` to each. A differing count is a reason not to pair at all.
 */
export function attachStrace(
  observations: readonly Observation[],
  markers: readonly TracedMarker[],
  stage: string,
): { observations: Observation[]; reason?: string } {
  const mine = markers.filter((m) => m.stage === stage);
  const plain = observations.filter((o) => o.stage === stage);
  if (mine.length !== plain.length)
    return {
      observations: [...observations],
      reason: `the traced run wrote ${mine.length} line(s) of stage ${stage}, the untraced run ${plain.length}`,
    };
  let i = 0;
  return {
    observations: observations.map((o) =>
      o.stage === stage ? { ...o, strace: mine[i++]?.view as StraceView } : o,
    ),
  };
}

function compact(e: TraceEvent, reg: Reg): StraceEvent | null {
  switch (e.kind) {
    case 'rseq':
      return { kind: 'rseq', role: e.role, call: e.call, errno: e.errno };
    case 'marker':
      return {
        kind: 'marker',
        stage: e.stage,
        kernel: e.kernel,
        ...(reg === undefined ? {} : { inForce: reg ? reg.by : null }),
      };
    case 'spawn':
      return e.child === null ? null : { kind: 'spawn', child: e.child, how: e.how };
    case 'exec':
      return e.ok === null ? null : { kind: 'exec', ok: e.ok };
    default:
      return null;
  }
}

const PROBE_ROLES = new Set<StraceRseqRole>([
  'probe-avail',
  'probe-private',
  'probe-private-unregister',
  'probe-check',
]);

/** The compact per-cell summary (StraceCell): the threads that wrote `stage` lines and their ancestors. */
export function summarizeForStage(
  trace: StraceTrace,
  stage: string,
  meta: { version: string; log: string },
): StraceCell {
  const parents = lineage(trace);
  const states = registrationStates(trace);
  const wanted = new Set<number>();
  for (const t of trace.threads.values()) {
    if (!t.events.some((e) => e.kind === 'marker' && e.stage === stage)) continue;
    for (
      let tid: number | undefined = t.tid;
      tid !== undefined && !wanted.has(tid);
      tid = parents.get(tid)?.parent
    )
      wanted.add(tid);
  }
  const threads: StraceCell['threads'] = [];
  for (const t of trace.threads.values()) {
    if (!wanted.has(t.tid)) continue;
    const st = states.get(t.tid) ?? [];
    const events: StraceEvent[] = [];
    let probeCalls = 0;
    t.events.forEach((e, i) => {
      if (e.kind === 'rseq' && PROBE_ROLES.has(e.role)) {
        probeCalls++;
        return;
      }
      const c = compact(e, st[i]);
      if (c) events.push(c);
    });
    const start = st[0];
    const o = origin(trace, t.tid, parents);
    threads.push({
      tid: t.tid,
      parent: parents.get(t.tid)?.parent ?? null,
      origin: o,
      ...(o === 'exec' || start === undefined ? {} : { inherited: start ? start.by : null }),
      events,
      probeCalls,
    });
  }
  return { version: meta.version, log: meta.log, threads };
}
