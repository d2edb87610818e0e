/**
 * Verdicts: what a cell's observations say, and whether that is what was expected. Pure.
 */

import type { PlannedCell } from '../matrix/expand.js';
import { type ClientDef, type RseqState, stageDef } from '../model/catalogue.js';
import type {
  CellStatus,
  Observation,
  Observed,
  ProbeRun,
  PtraceCell,
  StraceCell,
} from '../model/results.js';

export interface Judgement {
  status: CellStatus;
  reason?: string;
  observed: Observed;
  /** The outside observer's summary, passed through to the cell (null: strace could not watch). */
  strace?: StraceCell | null;
  straceReason?: string;
  /** The ptrace observer's record, passed through to the cell; ptraceReason whenever there is none. */
  ptrace?: PtraceCell | null;
  ptraceReason?: string;
}

const NOTHING: Observed = { state: null, registered: null, consistent: null };

/**
 * @param failure  why the cell could not be probed at all (build or compile broke), if it could not
 * @param garbage  lines of the probe's output that were not observations
 */
export function judge(
  cell: PlannedCell,
  input: {
    observations?: Observation[];
    run?: ProbeRun;
    failure?: string;
    garbage?: string[];
    /** The outside observer; its per-observation view is each observation's `strace`. */
    strace?: StraceCell | null;
    straceReason?: string;
    /** The ptrace observer; its per-observation reading is each observation's `ptrace`. */
    ptrace?: PtraceCell | null;
    ptraceReason?: string;
  },
): Judgement {
  const j = { ...judgeKernel(cell, input), ...ptraceOf(cell, input) };
  // strace never makes a verdict an error: a missing or failed trace is recorded, not judged.
  if (j.status === 'skip' || input.strace === undefined) return j;
  return {
    ...j,
    strace: input.strace,
    ...(input.strace === null ? { straceReason: input.straceReason ?? 'strace did not run' } : {}),
  };
}

/** Every cell carries the ptrace record or the reason it has none. */
function ptraceOf(
  cell: PlannedCell,
  input: { run?: ProbeRun; failure?: string; ptrace?: PtraceCell | null; ptraceReason?: string },
): Pick<Judgement, 'ptrace' | 'ptraceReason'> {
  if (input.ptrace !== undefined)
    return {
      ptrace: input.ptrace,
      ...(input.ptraceReason ? { ptraceReason: input.ptraceReason } : {}),
      ...(input.ptrace === null && !input.ptraceReason
        ? { ptraceReason: 'rseq-tracer could not watch' }
        : {}),
    };
  if (input.ptraceReason) return { ptraceReason: input.ptraceReason };
  if (cell.expected.state === 'skip') return { ptraceReason: 'not probed: the cell is skipped' };
  if (input.failure) return { ptraceReason: 'not probed: the cell has no probe run' };
  return { ptraceReason: 'the probe did not run under rseq-tracer' };
}

function judgeKernel(
  cell: PlannedCell,
  input: { observations?: Observation[]; run?: ProbeRun; failure?: string; garbage?: string[] },
): Judgement {
  if (cell.expected.state === 'skip') return { status: 'skip', reason: cell.expected.why, observed: NOTHING };
  if (input.failure) return { status: 'error', reason: input.failure, observed: NOTHING };
  const client = stageDef(cell.stage)?.client;
  if (client) return judgeClient(cell, client, input);
  const run = input.run;
  if (!run) return { status: 'error', reason: 'the probe did not run', observed: NOTHING };
  if (run.timedOut)
    return {
      status: 'error',
      reason: `the probe hung and was killed after its time limit`,
      observed: NOTHING,
    };
  if (run.signal)
    return { status: 'error', reason: `the probe was killed by ${run.signal}`, observed: NOTHING };
  if (input.garbage?.length)
    return {
      status: 'error',
      reason: `the probe wrote unreadable output: ${JSON.stringify(input.garbage[0]?.slice(0, 120))}`,
      observed: NOTHING,
    };
  if (run.exitCode !== 0)
    return { status: 'error', reason: `the probe exited with status ${run.exitCode}`, observed: NOTHING };
  const mine = (input.observations ?? []).filter((o) => o.stage === cell.stage);
  if (mine.length === 0)
    return {
      status: 'error',
      reason: `the probe wrote no observation for stage ${cell.stage}`,
      observed: NOTHING,
    };
  const observed = observe(mine);
  // Two observers of the same moment that contradict each other: neither answer can be trusted.
  const disagree = [...new Set(mine.map(ptraceDisagreement).filter((d): d is string => Boolean(d)))];
  if (disagree.length)
    return { status: 'error', reason: `the observers disagree: ${disagree.join('; ')}`, observed };
  if (cell.expected.state === 'any')
    return { status: 'pass', reason: `recorded: ${observed.state}`, observed };
  if (observed.state === cell.expected.state) {
    const wrong = factProblems(cell, mine);
    if (wrong.length) return { status: 'fail', reason: wrong.join('; '), observed };
    return { status: 'pass', observed };
  }
  const seen =
    observed.state === 'mixed'
      ? `mixed (${[...new Set(mine.map((o) => o.kernel))].join(', ')})`
      : observed.state;
  return { status: 'fail', reason: `expected ${cell.expected.state}, observed ${seen}`, observed };
}

/** What each kernel-dependent fact is called in a reason, and where an observation has it. */
const FACTS: Record<string, { label: string; read: (o: Observation) => unknown }> = {
  rseqSize: { label: '__rseq_size', read: (o) => o.glibc.rseqSize },
  rseqLen: { label: "the length of glibc's registration", read: (o) => o.glibc.areaLen },
  featureSize: { label: 'AT_RSEQ_FEATURE_SIZE', read: (o) => o.extra?.auxRseqFeatureSize },
  align: { label: 'AT_RSEQ_ALIGN', read: (o) => o.extra?.auxRseqAlign },
  mode: { label: 'the kernel mode', read: (o) => o.extra?.rseqMode },
};

/**
 * Where the observations of a cell whose state is as expected contradict an expected fact (the matrix's
 * `expectFacts:`): each fact must have its value in every observation that measured it (the mode is
 * measured only at `main` and `thread`: an observation without it does not count, but one must have it).
 */
export function factProblems(cell: PlannedCell, mine: readonly Observation[]): string[] {
  const out: string[] = [];
  for (const [key, fact] of Object.entries(cell.expected.facts ?? {})) {
    const how = FACTS[key];
    if (!how) continue;
    const seen = [...new Set(mine.map((o) => how.read(o)))].filter((v) => key !== 'mode' || v != null);
    const text = (v: unknown) => (v === undefined || v === null ? 'none' : String(v));
    if (seen.length === 0) out.push(`expected ${how.label} ${fact.value}, no observation measured it`);
    else if (seen.some((v) => v !== fact.value))
      out.push(`expected ${how.label} ${fact.value}, observed ${seen.map(text).join(', ')}`);
  }
  return out;
}

/** The kernel observer decides the state; glibc's claim and strace's view are checked against it. */
export function observe(
  obs: readonly Observation[],
  how: {
    /** What one line says (the kernel check; for selftests, who owned the registration). */
    state: (o: Observation) => RseqState;
    /** The disagreements one line shows. */
    problems: (o: Observation) => (string | undefined)[];
  } = { state: (o) => o.kernel, problems: (o) => [inconsistency(o), straceDisagreement(o)] },
): Observed {
  const states = [...new Set(obs.map(how.state))];
  const state = states.length === 1 ? (states[0] ?? null) : 'mixed';
  const problems = obs.flatMap(how.problems).filter((p): p is string => Boolean(p));
  return {
    state,
    registered: state === 'mixed' || state === null ? null : state === 'registered',
    consistent: problems.length === 0,
    ...(problems.length ? { inconsistency: [...new Set(problems)].join('; ') } : {}),
  };
}

/** Where glibc's claim and the kernel's answer cannot both be true, say why. */
export function inconsistency(o: Observation): string | undefined {
  const g = o.glibc;
  const claims = g.rseqSize !== null && g.rseqSize > 0 && g.cpuId !== null && g.cpuId >= 0;
  if (o.kernel !== 'registered' && claims)
    return `glibc claims a registration (__rseq_size ${g.rseqSize}, cpu_id ${g.cpuId}) that the kernel does not have`;
  if (o.extra?.rseqAbiRegistered === false && o.extra?.rseqAbiCpuId === -1 && o.kernel === 'registered')
    return "this namespace's __rseq_abi says not yet registered (cpu_id -1), but the thread is registered with another copy";
  // The 2019 ABI: cpu_id -1 in __rseq_abi tells a library "not registered yet". The kernel writes the
  // current CPU there when the area is registered and again after a preemption, migration or signal
  // (kernel/rseq.c, rseq_handle_notify_resume), never -1; so -1 in a registered area means something
  // overwrote it since (ldso-dlsym: the TLS image copied after relocation).
  if (o.extra?.rseqAbiRegistered === true && o.extra?.rseqAbiCpuId === -1 && o.kernel === 'registered')
    return "the kernel has this thread's __rseq_abi registered, but its cpu_id reads -1 (not yet registered): the area was overwritten after the registration";
  if (o.kernel === 'registered' && g.areaRegistered === false)
    return o.extra?.rseqAbiRegistered === true
      ? "the kernel has glibc's TLS __rseq_abi registered, not the area __rseq_offset points at (whose __rseq_size says none)"
      : "the kernel has a registration, but not of glibc's area";
  if (o.kernel === 'registered' && g.areaRegistered === true && g.rseqSize === 0)
    return "glibc's area is registered while __rseq_size says registration is off";
  // __rseq_size > 0 tells a library (librseq, tcmalloc) that this thread's area is registered; only
  // cpu_id -2 (RSEQ_CPU_ID_REGISTRATION_FAILED) tells it otherwise.
  if (g.rseqSize !== null && g.rseqSize > 0 && g.areaRegistered === false && g.cpuId !== -2)
    return `glibc claims a registration (__rseq_size ${g.rseqSize}, cpu_id ${g.cpuId}) but its area is not registered`;
  // The 2019 ABI: __rseq_handled tells a library that glibc registers the thread, so it must not.
  if (o.extra?.rseqHandled === 1 && o.kernel === 'unregistered')
    return '__rseq_handled says glibc registers rseq, but the kernel has no registration for this thread';
  return undefined;
}

/**
 * Where strace's view (Observation.strace) and the kernel check cannot both be true, say why. The kernel
 * check answers "is anything registered"; strace says whether glibc's registration (or any) was in force.
 */
export function straceDisagreement(o: Observation): string | undefined {
  const s = o.strace;
  if (!s) return undefined;
  const where = (c: NonNullable<typeof s.inForce>) =>
    c.tid === s.tid ? `${c.call} in this thread` : `${c.call} in thread ${c.tid}, inherited through fork`;
  if (s.kernel !== null && s.kernel !== o.kernel)
    return `under strace the kernel check said ${s.kernel}, without it ${o.kernel}`;
  if (s.registeredBefore === null || s.anyRegisteredBefore === null) return undefined;
  if (o.kernel === 'registered') {
    if (s.registeredBefore) return undefined;
    if (s.inForce)
      return `the kernel check says registered, and strace saw ${where(s.inForce)}, not glibc's registration`;
    if (s.glibcRegisteredAfter)
      return "strace saw glibc's rseq() = 0 only after the probe's write, but the kernel check says registered";
    return 'strace saw no registration in force for this thread, but the kernel check says registered';
  }
  if (s.inForce)
    return `strace saw ${where(s.inForce)} before the probe's write, but the kernel check says ${o.kernel}`;
  return undefined;
}

/**
 * Where the ptrace reading (Observation.ptrace, PTRACE_GET_RSEQ_CONFIGURATION for the same thread at the
 * same stage) and the in-process check disagree on registered vs unregistered, say how. The in-process
 * check's `unavailable` (rseq refused) claims neither, and a failed request (EIO: no such request before
 * Linux 5.13) tells nothing.
 */
export function ptraceDisagreement(o: Observation): string | undefined {
  const p = o.ptrace;
  if (!p || p.registered === null) return undefined;
  if (o.kernel !== 'registered' && o.kernel !== 'unregistered') return undefined;
  if (p.registered === (o.kernel === 'registered')) return undefined;
  const said = p.registered
    ? `registered (area ${p.address}, length ${p.length}, signature ${p.signature})`
    : 'unregistered (no area)';
  return `at stage ${o.stage} in thread ${o.tid} the in-process check says ${o.kernel}, PTRACE_GET_RSEQ_CONFIGURATION says ${said}`;
}

/** Who owned a selftest's registration, from its client observer's line (written at exit). */
export function clientOwner(o: Observation): 'glibc' | 'test' | 'none' {
  if (o.extra?.clientRegistered === true) return 'test';
  // glibc's area where __rseq_offset points, or (the 2019 ABI) its TLS __rseq_abi.
  if (o.kernel === 'registered' && (o.glibc.areaRegistered === true || o.extra?.rseqAbiRegistered === true))
    return 'glibc';
  return 'none';
}

/** The state a client cell is judged by: registered = glibc owned the registration. */
function clientState(o: Observation): RseqState {
  const owner = clientOwner(o);
  if (owner === 'glibc') return 'registered';
  if (owner === 'test') return 'unregistered';
  return o.kernel === 'unavailable' ? 'unavailable' : 'unregistered';
}

/**
 * What a selftest's observer line shows that the selftest itself cannot: librseq decides at its
 * constructor whether glibc owns the registration, from __rseq_size alone.
 */
export function clientInconsistency(o: Observation): string | undefined {
  const size = o.extra?.initRseqSize;
  if (
    o.extra?.clientRegistered !== true &&
    typeof size === 'number' &&
    size > 0 &&
    o.extra?.initKernel !== 'registered'
  )
    return `when the selftest's librseq initialised, glibc claimed a registration (__rseq_size ${size}) that the kernel did not have yet (${String(o.extra?.initKernel)}): the test took glibc as the owner and did not register; it passes only because glibc registered before main`;
  if (o.extra?.clientRegistered === true && o.glibc.rseqSize !== null && o.glibc.rseqSize > 0)
    return `the selftest registered its own area although glibc claims a registration (__rseq_size ${o.glibc.rseqSize})`;
  return undefined;
}

function lastLine(...texts: (string | undefined)[]): string {
  for (const t of texts) {
    const l = (t ?? '')
      .split('\n')
      .map((s) => s.trim())
      .filter(Boolean)
      .pop();
    if (l) return `: ${l.slice(0, 200)}`;
  }
  return '';
}

const KSFT_SKIP = 4;

function judgeClient(
  cell: PlannedCell,
  client: ClientDef,
  input: { observations?: Observation[]; run?: ProbeRun; garbage?: string[] },
): Judgement {
  const { judgement: j, clientFailed } = judgeClientRun(cell, client, input);
  if (j.status === 'error' || j.status === 'skip') return j;
  // No expectation: whatever the client did is recorded (its run says whether it failed).
  if (cell.expected.state === 'any')
    return { ...j, status: 'pass', reason: `recorded: ${clientFailed ? j.reason : j.observed.state}` };
  if (!cell.expected.clientFails) return j;
  const name = client.kind === 'selftest' ? client.program : 'the probe under valgrind';
  // An expected failure: the client failing is what the matrix predicted (why says why).
  if (clientFailed)
    return { status: 'pass', reason: `failed as expected: ${j.reason ?? ''}`, observed: j.observed };
  return {
    ...j,
    status: 'fail',
    reason: `expected ${name} to fail here (${cell.expected.why}), but it ran to the end${j.reason ? `: ${j.reason}` : ''}`,
  };
}

function judgeClientRun(
  cell: PlannedCell,
  client: ClientDef,
  input: { observations?: Observation[]; run?: ProbeRun; garbage?: string[] },
): { judgement: Judgement; clientFailed: boolean } {
  const run = input.run;
  const name = client.kind === 'selftest' ? client.program : 'the probe under valgrind';
  const done = (judgement: Judgement, clientFailed = false) => ({ judgement, clientFailed });
  if (!run) return done({ status: 'error', reason: `${name} did not run`, observed: NOTHING });
  const mine = (input.observations ?? []).filter((o) => o.stage === cell.stage);
  // What the observer saw is kept even when the client failed: who held the registration says why.
  const seen = mine.length && !input.garbage?.length ? clientObserved(client, mine) : NOTHING;
  const said = lastLine(run.stderrTail, run.stdoutTail);
  const failed = (reason: string) => done({ status: 'fail', reason, observed: seen }, true);
  if (run.timedOut) return failed(`${name} hung and was killed after its time limit${said}`);
  if (run.signal) return failed(`${name} was killed by ${run.signal}${said}`);
  if (client.kind === 'selftest' && run.exitCode === KSFT_SKIP)
    return done({ status: 'skip', reason: `${name} skipped itself (KSFT_SKIP)${said}`, observed: NOTHING });
  if (run.exitCode !== 0) return failed(`${name} failed (exit ${run.exitCode})${said}`);
  if (input.garbage?.length)
    return done({
      status: 'error',
      reason: `the client observer wrote unreadable output: ${JSON.stringify(input.garbage[0]?.slice(0, 120))}`,
      observed: NOTHING,
    });
  if (mine.length === 0)
    return done({
      status: 'error',
      reason: `${name} passed, but ${client.kind === 'selftest' ? 'the client observer' : 'the probe'} wrote no observation`,
      observed: NOTHING,
    });
  if (seen.state === cell.expected.state || cell.expected.state === 'any')
    return done({ status: 'pass', observed: seen });
  const owner = seen.owner ? ` (owner: ${seen.owner})` : '';
  return done({
    status: 'fail',
    reason: `${name} passed, but expected ${cell.expected.state}, observed ${seen.state}${owner}`,
    observed: seen,
  });
}

function clientObserved(client: ClientDef, mine: readonly Observation[]): Observed {
  if (client.kind === 'valgrind') return observe(mine);
  const owners = [...new Set(mine.map(clientOwner))];
  return {
    ...observe(mine, { state: clientState, problems: (o) => [inconsistency(o), clientInconsistency(o)] }),
    owner: owners.length === 1 ? (owners[0] ?? 'none') : 'mixed',
  };
}
