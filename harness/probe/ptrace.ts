/**
 * The ptrace observer's readings (probes/rseq-tracer.c writes them, docs/probe-protocol.md "The ptrace
 * view"): read the tracer's file and pair each reading with the probe's observation of the same thread
 * and stage. Pure.
 */
import type { Observation, PtraceCell, PtraceReading } from '../model/results.js';
import { jsonLines } from './parse.js';

/** One reading line as the tracer wrote it. */
export interface TracerReading extends PtraceReading {
  stage: string | null;
  pid: number;
  tid: number;
}

export interface TracerLog {
  readings: TracerReading[];
  /** The tracer could not trace (PTRACE_TRACEME refused) and ran the program untraced: why. */
  untraced?: string;
  /** The tracer's closing line: absent when it was killed (the run's time limit). */
  end?: { exitCode: number | null; signal: number | null; readings: number; tracees: number };
  /** Lines that are none of these. */
  garbage: string[];
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object';
const numOrNull = (v: unknown): number | null => (typeof v === 'number' ? v : null);
const strOrNull = (v: unknown): string | null => (typeof v === 'string' ? v : null);

export function parseTracerLog(text: string): TracerLog {
  const log: TracerLog = { readings: [], garbage: [] };
  for (const { line, value: v } of jsonLines(text)) {
    if (!isObject(v)) {
      log.garbage.push(line);
      continue;
    }
    if (typeof v.untraced === 'string') log.untraced = v.untraced;
    else if (isObject(v.end))
      log.end = {
        exitCode: numOrNull(v.end.exitCode),
        signal: numOrNull(v.end.signal),
        readings: numOrNull(v.end.readings) ?? 0,
        tracees: numOrNull(v.end.tracees) ?? 0,
      };
    else if (typeof v.tid === 'number' && typeof v.errno === 'number')
      log.readings.push({
        stage: strOrNull(v.stage),
        pid: numOrNull(v.pid) ?? 0,
        tid: v.tid,
        errno: v.errno,
        address: strOrNull(v.address),
        length: numOrNull(v.length),
        signature: strOrNull(v.signature),
        flags: numOrNull(v.flags),
        registered: typeof v.registered === 'boolean' ? v.registered : null,
      });
    else log.garbage.push(line);
  }
  return log;
}

/** The reading kept on an observation: tid and stage are the observation's own. */
function readingOf(r: TracerReading): PtraceReading {
  return {
    errno: r.errno,
    address: r.address,
    length: r.length,
    signature: r.signature,
    flags: r.flags,
    registered: r.registered,
  };
}

/**
 * Each observation gets the reading of its own (tid, stage), the n-th observation of a thread and stage
 * the n-th reading of them (the probe stops before it writes, so both are in the thread's order); null
 * when there is none. The counts are those of the cell's `stage`.
 */
export function attachPtrace(
  observations: readonly Observation[],
  readings: readonly TracerReading[],
  stage: string,
): { observations: Observation[]; paired: number; unpaired: number; orphans: number } {
  const queues = new Map<string, TracerReading[]>();
  const key = (tid: number, s: string | null) => `${tid}\0${s ?? ''}`;
  for (const r of readings) {
    const k = key(r.tid, r.stage);
    const q = queues.get(k);
    if (q) q.push(r);
    else queues.set(k, [r]);
  }
  let paired = 0;
  let unpaired = 0;
  const out = observations.map((o) => {
    const r = queues.get(key(o.tid, o.stage))?.shift();
    if (o.stage === stage) {
      if (r) paired++;
      else unpaired++;
    }
    return { ...o, ptrace: r ? readingOf(r) : null };
  });
  let orphans = 0;
  for (const q of queues.values()) orphans += q.filter((r) => r.stage === stage).length;
  return { observations: out, paired, unpaired, orphans };
}

/**
 * The cell's record from the tracer's file, or null and why. `ran` says how the run under the tracer
 * ended: a time limit or a signal can cut the file short, which the pairing then shows.
 */
export function ptraceRecord(
  observations: readonly Observation[],
  text: string,
  stage: string,
  meta: { command: string; log: string },
): { observations: Observation[]; ptrace: PtraceCell | null; ptraceReason?: string } {
  if (!text.trim())
    return {
      observations: [...observations],
      ptrace: null,
      ptraceReason: 'rseq-tracer wrote no readings file (it did not start)',
    };
  const log = parseTracerLog(text);
  if (log.untraced)
    return {
      observations: [...observations],
      ptrace: null,
      ptraceReason: `rseq-tracer could not trace the probe, which ran untraced: ${log.untraced}`,
    };
  const paired = attachPtrace(observations, log.readings, stage);
  const notes: string[] = [];
  if (paired.unpaired)
    notes.push(
      `${paired.unpaired} observation(s) of stage ${stage} got no ptrace reading (the probe did not stop for the tracer there)`,
    );
  if (paired.orphans)
    notes.push(`${paired.orphans} ptrace reading(s) of stage ${stage} matched no observation`);
  if (!log.end) notes.push('rseq-tracer did not write its closing line (it was killed)');
  if (log.garbage.length) notes.push(`rseq-tracer wrote unreadable lines: ${JSON.stringify(log.garbage[0])}`);
  return {
    observations: paired.observations,
    ptrace: {
      command: meta.command,
      log: meta.log,
      readings: log.readings.length,
      paired: paired.paired,
      unpaired: paired.unpaired,
      orphans: paired.orphans,
    },
    ...(notes.length ? { ptraceReason: notes.join('; ') } : {}),
  };
}

/** Why a client cell has no ptrace record. */
export const CLIENT_PTRACE_REASON =
  "client stages do not run under rseq-tracer: a selftest is judged by its own outcome and its observer line is written at exit, not at a stage; under valgrind the kernel holds valgrind's registration, not the probe's";
