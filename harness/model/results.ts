/**
 * The results file (OUT/results.json) and its parts, as types. Documented in docs/results.md; checked on
 * read against results-schema.ts. Bump RESULTS_SCHEMA_VERSION on any change a reader must know about.
 */
import type { RseqState } from './catalogue.js';
import type { CellCoords } from './cell.js';

/**
 * 2: every cell names its `kernel` (catalogue.ts AXES). A version-1 file (before the kernel axis) is still
 * read, every cell of it a host cell: results-upgrade.ts turns it into version 2 as it is read.
 */
export const RESULTS_SCHEMA_VERSION = 2;

/** pass: observed = expected; fail: they differ; error: no trustworthy observation; skip: not applicable. */
export type CellStatus = 'pass' | 'fail' | 'error' | 'skip';

/** One JSON line a probe wrote at one probe point (see docs/probe-protocol.md). */
export interface Observation {
  v: number;
  stage: string;
  pid: number;
  tid: number;
  /** The kernel's answer: is rseq registered for this thread right now? */
  kernel: RseqState;
  /** errno of rseq(NULL, 0, 0, 0): 22 (EINVAL) when the syscall exists, else what blocked it. */
  availErrno: number;
  /** errno of registering a private area: 0 nothing was registered, 22 something was, else refused. */
  probeErrno: number;
  /** What glibc claims; null fields where the symbol does not exist. */
  glibc: {
    rseqSize: number | null;
    rseqOffset: number | null;
    rseqFlags: number | null;
    cpuId: number | null;
    /** Is the area at thread pointer + __rseq_offset the one the kernel has? null: cannot tell. */
    areaRegistered: boolean | null;
    areaLen: number | null;
  };
  /** Symbols that only some variants export (a TLS __rseq_abi, __rseq_handled, ...). */
  extra?: Record<string, number | boolean | string | null>;
  /**
   * Added by the harness, not written by the probe: what strace saw when the same invocation ran
   * again under `strace -f` (docs/probe-protocol.md, "The outside view"). Absent when there was no
   * traced run; the cell's `straceReason` then says why.
   */
  strace?: StraceView;
  /**
   * Added by the harness: the ptrace observer's reading for this line, paired by (tid, stage), n-th with
   * n-th (docs/probe-protocol.md, "The ptrace view"). null: the tracer ran but made no reading of this
   * thread at this stage; absent: the run was not under the tracer (the cell's `ptraceReason` says why).
   */
  ptrace?: PtraceReading | null;
}

/**
 * What PTRACE_GET_RSEQ_CONFIGURATION (Linux 5.13+) said of the observing thread while the probe stopped
 * itself for rseq-tracer, between its in-process check and its write.
 */
export interface PtraceReading {
  /** 0, or the errno of the request: 5 (EIO) where the kernel lacks it; the rest is then null. */
  errno: number;
  /** The registered area's address, hex ("0x0": none). */
  address: string | null;
  /** The registered length (kernels before 6.3 always say 32). */
  length: number | null;
  /** The registration's signature, hex (glibc's on x86_64: 0x53053053). */
  signature: string | null;
  flags: number | null;
  /** address != 0; null when the request failed. */
  registered: boolean | null;
}

/** A cell's ptrace observer record: the run under rseq-tracer and how its readings paired. */
export interface PtraceCell {
  /** The traced command as a person would type it inside the container. */
  command: string;
  /** The readings file, relative to the run's output folder (work/<glibc>--<variant>/<scenario>/obs/<id>.ptrace). */
  log: string;
  /** Readings in the whole run (every stage, every thread). */
  readings: number;
  /** Observations of the cell's stage that got a reading. */
  paired: number;
  /** Observations of the cell's stage without one (the probe did not stop there). */
  unpaired: number;
  /** Readings of the cell's stage that matched no observation (same tid and stage). */
  orphans: number;
}

/**
 * The outside observer for one observation: the line of the same stage (same occurrence) in the traced
 * re-run, and the registration strace had seen in force for the thread that wrote it.
 */
export interface StraceView {
  /** The writer's thread id in the traced run (strace's pid column). */
  tid: number;
  /**
   * Was a successful glibc registration (rseq flags 0, glibc's signature: x86_64 0x53053053) in force
   * for that thread when it wrote the line: its own call, or one inherited through a fork (no CLONE_VM)?
   * A vfork/CLONE_VM child and a new thread start unregistered; execve clears. null: cannot tell.
   */
  registeredBefore: boolean | null;
  /** Was any registration in force (glibc's, or another's such as a test library's)? */
  anyRegisteredBefore: boolean | null;
  /** The call in force, as strace printed it, and the thread that made it (an ancestor when inherited). */
  inForce: { tid: number; call: string; by: 'glibc' | 'other' } | null;
  /** strace saw glibc register this thread only after the line was written. */
  glibcRegisteredAfter: boolean;
  /** The kernel answer written in that traced line (the in-process check of the traced process). */
  kernel: RseqState | null;
}

/** One event of one thread as strace saw it (the compact form kept in results). */
export type StraceEvent =
  | {
      kind: 'rseq';
      /**
       * glibc-register / glibc-unregister: flags 0 or RSEQ_FLAG_UNREGISTER with glibc's signature;
       * probe-avail, probe-private, probe-check: the probe's own questions (rseq(NULL,0,0,0), its private
       * area with 0x1dea5eed, wrong-signature checks with 0x0badc0de); other-*: anything else.
       */
      role: StraceRseqRole;
      /** As strace printed it, e.g. `rseq(0x7f98cce58060, 0x20, 0, 0x53053053) = 0`. */
      call: string;
      /** null: succeeded; the errno name otherwise ('?' when strace saw no result). */
      errno: string | null;
    }
  | {
      kind: 'marker';
      stage: string;
      /** The kernel answer inside the written line. */
      kernel: RseqState | null;
      /** The registration strace had seen in force at this write (null: none; absent: cannot tell). */
      inForce?: 'glibc' | 'other' | null;
    }
  | { kind: 'spawn'; child: number; how: StraceSpawn }
  | { kind: 'exec'; ok: boolean };

export type StraceRseqRole =
  | 'glibc-register'
  | 'glibc-unregister'
  | 'probe-avail'
  | 'probe-private'
  | 'probe-private-unregister'
  | 'probe-check'
  | 'other-register'
  | 'other-unregister'
  | 'other';

/** fork: no CLONE_VM (inherits the registration); vfork, thread, clone-vm: CLONE_VM (starts unregistered). */
export type StraceSpawn = 'fork' | 'vfork' | 'thread' | 'clone-vm';

/**
 * A cell's compact strace summary: only the threads that wrote a line of the cell's stage and their
 * ancestors; in each, the rseq calls that are not the probe's own questions, every marker write (all
 * stages, so that the order is visible), children started and execs. The whole log stays in `log`.
 */
export interface StraceCell {
  /** `strace -V`'s first line. */
  version: string;
  /** The raw log, relative to the run's output folder (work/<glibc>--<variant>/<scenario>/obs/<id>.strace). */
  log: string;
  threads: {
    tid: number;
    parent: number | null;
    /** exec: the program strace started; otherwise how its parent made it; unknown: no clone line seen. */
    origin: 'exec' | StraceSpawn | 'unknown';
    /** The registration it started with (inherited through fork); null: none; absent: cannot tell. */
    inherited?: 'glibc' | 'other' | null;
    events: StraceEvent[];
    /** The probe's own rseq calls left out of `events`. */
    probeCalls: number;
  }[];
}

export interface Expectation {
  /** any: no expectation, the cell records what it shows (a measured cell passes). */
  state: RseqState | 'skip' | 'any';
  registered: boolean | null;
  /** Index of the matrix rule that decided it (-1: the stage's own applicability). */
  rule: number;
  why: string;
  /** A client stage whose client is expected to fail here (the rule's `clientFails`). */
  clientFails?: boolean;
  /** Kernel-dependent facts the observations must show (the matrix's `expectFacts:`), by fact. */
  facts?: Record<string, ExpectedFact>;
}

/** One expected fact: its value, the expectFacts rule that decided it, and why. */
export interface ExpectedFact {
  value: number | string;
  rule: number;
  why: string;
}

export interface Observed {
  state: RseqState | 'mixed' | null;
  registered: boolean | null;
  /**
   * Do the observers agree with each other: the kernel check vs glibc's claim, and the kernel check vs
   * strace (`Observation.strace`)? The kernel check alone decides `state` and `registered`. (The kernel
   * check vs the ptrace reading is not judged here: a disagreement there makes the cell an error.)
   */
  consistent: boolean | null;
  inconsistency?: string;
  /**
   * Client cells of the selftests: who owned the registration while the test ran (glibc's area
   * registered, or the test's own); `state` is then registered for glibc, unregistered for the test.
   */
  owner?: 'glibc' | 'test' | 'none' | 'mixed';
}

export interface ProbeRun {
  command: string;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  /** Wall time of the untraced run (the one whose observations are kept). */
  durationMs: number;
  stderrTail: string;
  /** A client's standard output (the selftests print their progress there). */
  stdoutTail?: string;
  /**
   * Clients whose processes wrote more observer lines than the cell keeps (run_param_test.sh): how many
   * there were; `observations` then holds one line per distinct answer.
   */
  observerLines?: number;
  /**
   * The same invocation run again under strace (the outside observer). Its durationMs minus the
   * untraced one is strace's overhead. Absent when strace did not run (see the cell's straceReason).
   */
  traced?: {
    command: string;
    exitCode: number | null;
    signal: string | null;
    timedOut: boolean;
    durationMs: number;
  };
}

export interface CellResult extends CellCoords {
  id: string;
  status: CellStatus;
  /** For fail, error and skip: one line that says why. */
  reason?: string;
  expected: Expectation;
  observed: Observed;
  observations: Observation[];
  probe?: ProbeRun;
  /**
   * The outside observer's summary for this cell (StraceCell); null when strace could not watch this
   * probe (not installed, ptrace refused, the traced run failed): `straceReason` says why, and the
   * verdict does not change for that. Absent for cells that were not probed.
   */
  strace?: StraceCell | null;
  straceReason?: string;
  /**
   * The ptrace observer (PtraceCell): the probe ran under rseq-tracer, and each observation carries its
   * reading (`Observation.ptrace`). null: the tracer ran but could not watch; absent: not run under it.
   * `ptraceReason` says why whenever there is no record, and notes unpaired lines when there is one.
   */
  ptrace?: PtraceCell | null;
  ptraceReason?: string;
  buildKey: string;
  patches: string[];
  /** A command that reruns just this cell. */
  reproduce: string;
  durationMs: number;
  logTail?: string;
}

/**
 * What glibc's test harness says of one test: scripts/evaluate-test.sh prints PASS, FAIL, UNSUPPORTED
 * (exit status 77), XPASS or XFAIL; UNRESOLVED is images/glibc-build.sh's own, when make printed none.
 */
export const GLIBC_TEST_OUTCOMES = ['PASS', 'FAIL', 'UNSUPPORTED', 'XPASS', 'XFAIL', 'UNRESOLVED'] as const;
export type GlibcTestOutcome = (typeof GLIBC_TEST_OUTCOMES)[number];

/** One glibc test of one build, judged: the outcome it had against the one its expectTests rule names. */
export interface GlibcTestVerdict {
  /** As options.glibcTests names it, e.g. misc/tst-rseq. */
  test: string;
  /** What the build recorded (`glibcTests[test]`); null: no outcome was recorded. */
  outcome: string | null;
  expected: GlibcTestOutcome;
  /** pass: the outcome is the expected one; fail: it is not (the run then exits 1). */
  verdict: 'pass' | 'fail';
  /** Index of the expectTests rule that decided `expected`. */
  rule: number;
  why: string;
  /** For a fail: one line that says what differs. */
  reason?: string;
}

export interface BuildResult {
  key: string;
  glibc: string;
  variant: string;
  status: 'ok' | 'error';
  cached: boolean;
  durationMs: number;
  description: string;
  reason?: string;
  logTail?: string;
  logPath?: string;
  /** cold: built from the tarball; incremental: from the unpatched build's trees. */
  mode?: 'cold' | 'incremental';
  compiledFiles?: number;
  /** Milliseconds per build phase (unpack, patch, configure, make, install, ...). */
  phases?: Record<string, number>;
  probeCompileMs?: number;
  /** glibc's own tests run from the build tree: name -> PASS, FAIL, UNSUPPORTED, ... */
  glibcTests?: Record<string, string>;
  /**
   * Each test of options.glibcTests judged against the matrix's `expectTests` rules
   * (harness/verdict/glibc-tests.ts); absent when the matrix has no such rules or the build failed.
   */
  glibcTestVerdicts?: GlibcTestVerdict[];
  /** The real clients run against this build (client:* cells): which selftests, which image. */
  clients?: { selftests?: string; compileMs?: number; image?: string };
}

/** The steps of a group's pipeline (harness/cli/run-group.ts), in the order they run. */
export const GROUP_STEPS = ['build', 'compile', 'clients', 'environment', 'run', 'judge'] as const;
export type GroupStepName = (typeof GROUP_STEPS)[number];

/**
 * One step of a group as it went: ok; failed (its reason, and the cells it left unmeasured are errors
 * that say so); skipped (not needed, or an earlier step failed: the reason says which).
 */
export interface GroupStep {
  step: GroupStepName;
  /** The scenario of a run or judge step (one of each per scenario); absent for the others. */
  scenario?: string;
  status: 'ok' | 'failed' | 'skipped';
  durationMs: number;
  reason?: string;
  /** How many cells the step covered (a run or judge step: its scenario's). */
  cells?: number;
}

/** A group of a run: the cells of one glibc x variant on one kernel, and its pipeline's steps. */
export interface GroupResult {
  /** groupId (harness/model/cell.ts): glibc/variant, with /kernel when not the host's. */
  id: string;
  glibc: string;
  variant: string;
  kernel: string;
  /** Where its probes ran: 'host container', 'qemu: PACKAGE VERSION (RELEASE)', 'user-mode Linux'; '' when none was made. */
  executor: string;
  steps: GroupStep[];
}

export interface Environment {
  kernel: string;
  arch: string;
  hostname: string;
  node: string;
  tool: string;
  docker: {
    version: string | null;
    apiVersion: string | null;
    negotiatedApiVersion: string | null;
    host: string;
    seccomp: boolean | null;
    storageDriver: string | null;
  };
}

export type Summary = Record<CellStatus, number> & { total: number };

export interface Results {
  schemaVersion: number;
  run: {
    id: string;
    startedAt: string;
    finishedAt: string | null;
    durationMs: number;
    matrix: { path: string; name: string; digest: string };
    argv: string[];
    filter: string | null;
    shard: { index: number; count: number } | null;
    /** false when the run was interrupted: the cells present are all that was measured. */
    complete: boolean;
    interrupted: string | null;
  };
  environment: Environment;
  builds: BuildResult[];
  /** Each group's pipeline, step by step (absent in files written before it was recorded). */
  groups?: GroupResult[];
  cells: CellResult[];
  summary: Summary;
}
