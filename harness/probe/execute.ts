/**
 * Compiling the probe suite against a build, and running a container's worth of probes.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { availableParallelism, constants } from 'node:os';
import { basename, join, relative, resolve } from 'node:path';
import type { ReadyBuild } from '../builder/build.js';
import { hasCompleteMark, makeEntry, touchEntry } from '../cache/entry.js';
import { cachePath } from '../cache/layout.js';
import type { ContainerSession, RunOutcome, RunSpec } from '../docker/containers.js';
import { tail } from '../docker/host-setup.js';
import { type Link, type ScenarioDef, stageDef } from '../model/catalogue.js';
import type { Observation, ProbeRun, PtraceCell, StraceCell } from '../model/results.js';
import { NO_TIMING, type Timer } from '../util/timing.js';
import { type ClientSetup, clientMissing } from './clients.js';
import { parseObservations } from './parse.js';
import {
  clientInvocation,
  decodeExit,
  IN_CONTAINER,
  type Invocation,
  type InvocationTable,
  invocationFor,
  parseStatus,
  ptracedDisplay,
  ptraceFile,
  runnerScript,
  type StatusLine,
  tracedDisplay,
  tracedId,
} from './plan.js';
import { CLIENT_PTRACE_REASON, ptraceRecord } from './ptrace.js';
import { seccompProfile } from './seccomp.js';
import { probeSourceDigest } from './source-digest.js';
import { attachStrace, parseStrace, summarizeForStage, tracedMarkers } from './strace.js';

export async function readInvocationTable(probesDir: string): Promise<InvocationTable> {
  return JSON.parse(await readFile(join(probesDir, 'stages.json'), 'utf8')) as InvocationTable;
}

export type { ClientSetup };

export class ProbeError extends Error {
  constructor(
    message: string,
    readonly logTail: string,
  ) {
    super(message);
  }
}

/** The probe binaries for a build, compiled once and kept in the cache under a key of (build, sources). */
export async function compileProbes(
  session: ContainerSession,
  build: ReadyBuild,
  probesDir: string,
  cacheDir: string,
): Promise<{ binDir: string; cached: boolean; durationMs: number }> {
  const started = Date.now();
  const key = `${build.key}-${await probeSourceDigest(probesDir)}`;
  const root = cachePath(cacheDir, 'probes');
  const binDir = join(root, key);
  if (hasCompleteMark(binDir)) {
    await touchEntry(binDir);
    return { binDir, cached: true, durationMs: 0 };
  }
  const fill = async (tmp: string) => {
    const vars = Object.entries(build.probeMakeVars).map(([k, v]) => `${k}=${v}`);
    const r = await session.run({
      image: build.image,
      cmd: ['make', '-s', '-C', '/rm/src', `OUT=${IN_CONTAINER.bin}`, ...vars],
      binds: [`${probesDir}:/rm/src:ro`, `${tmp}:${IN_CONTAINER.bin}`, ...build.binds],
      network: 'none',
      timeoutMs: 300_000,
      purpose: `compile probes for ${build.glibc}/${build.variant}`,
    });
    if (r.exitCode !== 0)
      throw new ProbeError(
        `compiling the probes failed (${r.timedOut ? 'timed out' : `exit ${r.exitCode}`})`,
        tail(`${r.stdout}\n${r.stderr}`, 30),
      );
  };
  // Staged, sealed with .complete and renamed into place; another run's entry of the same key is as good.
  await makeEntry({ root, key, fill });
  return { binDir, cached: false, durationMs: Date.now() - started };
}

export interface ProbeCellInput {
  id: string;
  stage: string;
  link: Link;
}

export interface ProbeCellOutput {
  observations: Observation[];
  garbage: string[];
  run?: ProbeRun;
  /** Why there is no run for this cell. */
  failure?: string;
  logTail?: string;
  /** The outside observer (undefined when there was no run at all; null: strace could not watch, see straceReason). */
  strace?: StraceCell | null;
  straceReason?: string;
  /** The ptrace observer (undefined: not run under it, see ptraceReason; null: the tracer could not watch). */
  ptrace?: PtraceCell | null;
  ptraceReason?: string;
}

/** Probe containers this process is running now: another may run two invocations at a time only on a free core. */
let probeContainers = 0;

function signalName(n: number): string {
  return Object.entries(constants.signals).find(([, v]) => v === n)?.[0] ?? `signal ${n}`;
}

/** Runs the probes of many cells of one build and scenario in a single container. */
export async function runProbes(opts: {
  session: ContainerSession;
  build: ReadyBuild;
  binDir: string;
  workDir: string;
  scenario: ScenarioDef;
  cells: readonly ProbeCellInput[];
  table: InvocationTable;
  timeoutSec: number;
  clients?: ClientSetup;
  /** Phase timings: the plan, the container's steps, each process it ran, the reading of their output. */
  timer?: Timer;
  group?: string;
  /** What runs the probe container's spec: session.run unless given (a VM stands in: harness/vm/executor.ts). */
  executor?: (spec: RunSpec) => Promise<RunOutcome>;
}): Promise<Map<string, ProbeCellOutput>> {
  const { session, build, binDir, workDir, scenario, cells, table, timeoutSec, clients } = opts;
  const timer = opts.timer ?? NO_TIMING;
  const planStart = timer.now();
  const results = new Map<string, ProbeCellOutput>();
  const invocations: (Invocation & { cell: string; stage: string; renameTo?: string })[] = [];
  let needsClientImage = false;
  for (const c of cells) {
    const client = stageDef(c.stage)?.client;
    if (client) {
      const fail = (failure: string, logTail?: string) =>
        results.set(c.id, { observations: [], garbage: [], failure, ...(logTail ? { logTail } : {}) });
      if (!clients?.image) {
        fail(`no client image: ${clients?.imageFailure ?? 'the run prepared none'}`);
        continue;
      }
      if (client.kind === 'selftest') {
        if (!clients.binDir) {
          fail(
            `no selftests: ${clients.selftestsFailure ?? 'the run prepared none'}`,
            clients.selftestsLogTail,
          );
          continue;
        }
        const missing = await clientMissing(clients.binDir, client, c.link);
        if (missing) {
          fail(missing.reason, missing.logTail);
          continue;
        }
      }
      needsClientImage = true;
      const inv = clientInvocation(client, c.stage, c.link, scenario, {
        timeoutSec,
        thoroughTimeoutSec: clients.thoroughTimeoutSec,
      });
      invocations.push({
        ...inv,
        id: `${c.link}-${c.stage.replace(':', '-')}`,
        cell: c.id,
        stage: c.stage,
        ...(client.kind === 'valgrind' ? { renameTo: c.stage } : {}),
      });
      continue;
    }
    const inv = invocationFor(table, c.stage, c.link, scenario);
    if (!inv) {
      results.set(c.id, {
        observations: [],
        garbage: [],
        failure: `the probe suite has no probe for stage ${c.stage} (${c.link})`,
      });
      continue;
    }
    invocations.push({
      ...inv,
      id: `${c.link}-${c.stage}`,
      cell: c.id,
      stage: c.stage,
      ptraceStage: c.stage,
    });
  }
  if (invocations.length === 0) return results;
  await mkdir(workDir, { recursive: true });
  // Two invocations at a time when a core is free for the second (no other probe container of this run).
  const parallel = availableParallelism() - probeContainers >= 2 ? 2 : 1;
  probeContainers++;
  try {
    await writeFile(join(workDir, 'run.sh'), runnerScript(invocations, timeoutSec, { parallel }), {
      mode: 0o755,
    });
  } catch (e) {
    probeContainers--;
    throw e;
  }
  const seccomp = scenario.seccompRseqErrno ? seccompProfile(scenario.seccompRseqErrno) : undefined;
  const clientBinds =
    needsClientImage && clients?.binDir ? [`${clients.binDir}:${IN_CONTAINER.clients}:ro`] : [];
  // Each invocation runs twice (untraced, then under strace) unless it says otherwise.
  const budgetSec = invocations.reduce(
    (s, inv) => s + (inv.trace === false ? 1 : 2) * ((inv.timeoutSec ?? timeoutSec) + 3),
    30,
  );
  timer.add('probe-plan', opts.group, planStart, timer.now());
  const execute = opts.executor ?? ((spec: RunSpec) => session.run(spec));
  const r = await execute({
    image: needsClientImage && clients?.image ? clients.image : build.image,
    cmd: ['/bin/bash', `${IN_CONTAINER.out}/run.sh`],
    binds: [
      `${binDir}:${IN_CONTAINER.bin}:ro`,
      `${workDir}:${IN_CONTAINER.out}`,
      ...clientBinds,
      ...build.binds,
    ],
    network: 'none',
    ...(seccomp ? { seccompProfile: seccomp } : {}),
    timeoutMs: budgetSec * 1000,
    purpose: `probe ${build.glibc}/${build.variant} ${scenario.id}`,
    ...(timer.enabled ? { timing: { timer, ...(opts.group ? { group: opts.group } : {}) } } : {}),
  }).finally(() => {
    probeContainers--;
  });
  const readStart = timer.now();
  const statusText = await readFile(join(workDir, 'status.tsv'), 'utf8').catch(() => '');
  const status = parseStatus(statusText);
  if (timer.enabled) recordProcesses(timer, opts.group, status, invocations);
  const straceVersion = (await readFile(join(workDir, 'strace.version'), 'utf8').catch(() => ''))
    .split('\n')[0]
    ?.trim();
  for (const inv of invocations) {
    const st = status.get(inv.id);
    if (!st) {
      results.set(inv.cell, {
        observations: [],
        garbage: [],
        failure: r.timedOut
          ? 'the probe container hit its time limit before this probe ran'
          : `the probe container ended (exit ${r.exitCode}) before this probe ran`,
        logTail: tail(`${r.stdout}\n${r.stderr}`),
      });
      continue;
    }
    const read = (ext: string) => readFile(join(workDir, 'obs', `${inv.id}.${ext}`), 'utf8').catch(() => '');
    const parsed = parseObservations(await read('jsonl'));
    const stderr = await read('stderr');
    const run: ProbeRun = {
      command: inv.display,
      ...decodeExit(st.rc, signalName),
      durationMs: ms(st),
      stderrTail: tail(stderr, 15),
    };
    if (inv.trace === false) {
      // A client: its own output is its verdict's evidence; strace does not watch it.
      const stdout = await read('stdout');
      if (stdout.trim()) run.stdoutTail = tail(stdout, 15);
      // One line per distinct answer, before valgrind's lines take the cell's stage (each stage stays).
      const distinct = distinctAnswers(parsed.observations);
      if (distinct.length < parsed.observations.length) run.observerLines = parsed.observations.length;
      const observations = inv.renameTo
        ? distinct.map((o) => ({ ...o, stage: inv.renameTo as string }))
        : distinct;
      results.set(inv.cell, { ...parsed, observations, run, ptraceReason: CLIENT_PTRACE_REASON });
      continue;
    }
    // The ptrace observer's readings, paired with the observations of the same run by (tid, stage).
    const ptraceLog = join(workDir, 'obs', ptraceFile(inv.id));
    const inside = ptraceRecord(parsed.observations, await read('ptrace'), inv.stage, {
      command: ptracedDisplay(inv),
      log: runRelative(workDir, ptraceLog),
    });
    const outside = await outsideView({
      workDir,
      inv,
      run,
      observations: inside.observations,
      traced: status.get(tracedId(inv.id)),
      straceVersion,
      image: build.image,
    });
    results.set(inv.cell, {
      ...parsed,
      observations: inside.observations,
      ...outside,
      ptrace: inside.ptrace,
      ...(inside.ptraceReason ? { ptraceReason: inside.ptraceReason } : {}),
      run,
    });
  }
  timer.add('probe-read', opts.group, readStart, timer.now());
  return results;
}

/** Each process of status.tsv as a span: `probe` (untraced), `strace` (its traced run) or `client`. */
function recordProcesses(
  timer: Timer,
  group: string | undefined,
  status: ReadonlyMap<string, StatusLine>,
  invocations: readonly (Invocation & { stage: string })[],
): void {
  const clients = new Set(invocations.filter((i) => i.trace === false).map((i) => i.id));
  for (const st of status.values()) {
    const phase = st.id.endsWith('.strace') ? 'strace' : clients.has(st.id) ? 'client' : 'probe';
    timer.add(phase, group, timer.fromEpoch(st.startEpochMs), timer.fromEpoch(st.endEpochMs));
  }
}

/**
 * run_param_test.sh starts over a thousand processes, each writing its observer line: keep one line per
 * distinct answer (everything but pid and tid), in order, so a cell stays small and still shows any
 * process that saw something else.
 */
export function distinctAnswers(obs: readonly Observation[]): Observation[] {
  const seen = new Set<string>();
  return obs.filter((o) => {
    const { pid: _pid, tid: _tid, ...answer } = o;
    const key = JSON.stringify(answer);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

const ms = (st: StatusLine) => Math.round(st.durationMs * 10) / 10;

/**
 * The strace observer for one invocation: its traced run's log, parsed and paired with the untraced
 * observations of the cell's stage. Never throws: whatever goes wrong becomes `strace: null` and a reason.
 * Sets run.traced when the traced run happened.
 */
async function outsideView(a: {
  workDir: string;
  inv: Invocation & { stage: string };
  run: ProbeRun;
  observations: Observation[];
  traced: StatusLine | undefined;
  straceVersion: string | undefined;
  image: string;
}): Promise<{ observations?: Observation[]; strace: StraceCell | null; straceReason?: string }> {
  const none = (straceReason: string) => ({ strace: null, straceReason });
  if (!a.straceVersion) return none(`strace is not installed in the image ${a.image}`);
  if (!a.traced) return none('the traced run did not happen (the container ended first)');
  const t = decodeExit(a.traced.rc, signalName);
  a.run.traced = { command: tracedDisplay(a.inv), ...t, durationMs: ms(a.traced) };
  const id = tracedId(a.inv.id);
  const file = join(a.workDir, 'obs', id);
  const [log, stderr] = await Promise.all([
    readFile(file, 'utf8').catch(() => ''),
    readFile(`${file}.stderr`, 'utf8').catch(() => ''),
  ]);
  const how = t.timedOut
    ? 'hit its time limit'
    : t.signal
      ? `was killed by ${t.signal}`
      : `exited with status ${t.exitCode}`;
  if (!log.trim()) return none(`strace wrote no log (the traced run ${how}): ${tail(stderr, 3).trim()}`);
  if (t.timedOut || t.signal || t.exitCode !== a.run.exitCode)
    return none(
      `the traced run ${how}, the untraced one ${a.run.exitCode === null ? 'did not exit' : `exited with status ${a.run.exitCode}`}`,
    );
  try {
    const trace = parseStrace(log);
    const paired = attachStrace(a.observations, tracedMarkers(trace), a.inv.stage);
    if (paired.reason) return none(paired.reason);
    return {
      observations: paired.observations,
      strace: summarizeForStage(trace, a.inv.stage, {
        version: a.straceVersion,
        log: runRelative(a.workDir, file),
      }),
    };
  } catch (e) {
    return none(`the strace log could not be read: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** A path inside the run's output folder, relative to it when workDir is OUT/work/<build>/<scenario>. */
function runRelative(workDir: string, file: string): string {
  const out = resolve(workDir, '../../..');
  return basename(resolve(workDir, '../..')) === 'work' ? relative(out, file) : file;
}
