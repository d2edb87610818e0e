/**
 * The results file (OUT/results.json) and its parts, as types. Documented in docs/results.md; checked on
 * read against results-schema.ts. Bump RESULTS_SCHEMA_VERSION on any change a reader must know about.
 */
import type { RseqState } from './catalogue.js';
import type { CellCoords } from './cell.js';

export const RESULTS_SCHEMA_VERSION = 1;

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
  state: RseqState | 'skip';
  registered: boolean | null;
  /** Index of the matrix rule that decided it (-1: the stage's own applicability). */
  rule: number;
  why: string;
  /** A client stage whose client is expected to fail here (the rule's `clientFails`). */
  clientFails?: boolean;
}

export interface Observed {
  state: RseqState | 'mixed' | null;
  registered: boolean | null;
  /**
   * Do the observers agree with each other: the kernel check vs glibc's claim, and the kernel check vs
   * strace (`Observation.strace`)? The kernel check alone decides `state` and `registered`.
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
  buildKey: string;
  patches: string[];
  /** A command that reruns just this cell. */
  reproduce: string;
  durationMs: number;
  logTail?: string;
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
  /** The real clients run against this build (client:* cells): which selftests, which image. */
  clients?: { selftests?: string; compileMs?: number; image?: string };
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
  cells: CellResult[];
  summary: Summary;
}
