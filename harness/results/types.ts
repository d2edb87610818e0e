/**
 * The results file (OUT/results.json) and its parts. Documented in docs/results.md.
 * Bump RESULTS_SCHEMA_VERSION on any change a reader must know about.
 */
import type { Axis, Link, RseqState } from '../matrix/catalogue.js';

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
  extra?: Record<string, number | boolean | null>;
}

export interface Expectation {
  state: RseqState | 'skip';
  registered: boolean | null;
  /** Index of the matrix rule that decided it (-1: the stage's own applicability). */
  rule: number;
  why: string;
}

export interface Observed {
  state: RseqState | 'mixed' | null;
  registered: boolean | null;
  /** Do the observers agree with each other (kernel vs glibc's claim)? */
  consistent: boolean | null;
  inconsistency?: string;
}

export interface ProbeRun {
  command: string;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  durationMs: number;
  stderrTail: string;
}

export interface CellResult {
  id: string;
  glibc: string;
  variant: string;
  link: Link;
  scenario: string;
  stage: string;
  status: CellStatus;
  /** For fail, error and skip: one line that says why. */
  reason?: string;
  expected: Expectation;
  observed: Observed;
  observations: Observation[];
  probe?: ProbeRun;
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

export type CellKey = Record<Axis, string>;

export function cellId(c: CellKey): string {
  return `${c.glibc}/${c.variant}/${c.link}/${c.scenario}/${c.stage}`;
}
