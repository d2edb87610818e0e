/**
 * What each patch of a series changes, from one run of the review's plan (plan.ts): the base and every
 * prefix of the series (patches 1..k) are variants of that run, and each step's cells are compared with
 * the step before and with the base, cell by cell (matched by link/scenario/stage). No expectation is
 * involved: a cell's outcome is what it showed (outcomeOf), and a change is an outcome that differs.
 * Pure: no I/O.
 */
import type { BuildResult, CellResult, Results } from '../model/results.js';

export const REVIEW_SCHEMA_VERSION = 1;

/** What one cell showed, as far as a review compares it. */
export interface CellOutcome {
  /** measured: a trustworthy observation (or a client that ran); skip: not applicable; error: nothing measured. */
  status: 'measured' | 'skip' | 'error';
  /** What the kernel said (Observed.state); null when nothing was measured. */
  state: string | null;
  /** The distinct values of __rseq_size glibc claimed at this stage ("32", "0", "0,32"); null: no symbol. */
  rseqSize: string | null;
  /** Where glibc's claim, strace and the kernel disagree (Observed.inconsistency, CPU numbers left out). */
  inconsistency: string | null;
  /** Client stages: "ran", or how the client failed. */
  client?: string;
  /** Client stages: who held the registration while the client ran. */
  owner?: string;
  /** For skip and error: why. Not compared (a reason's wording is not an outcome). */
  reason?: string;
}

/** The parts of an outcome a change can be in, in the order reports name them. */
export const OUTCOME_FIELDS = ['status', 'state', 'rseqSize', 'inconsistency', 'client', 'owner'] as const;
export type OutcomeField = (typeof OUTCOME_FIELDS)[number];

/** One cell whose outcome differs between two steps. */
export interface CellDelta {
  /** link/scenario/stage: the cell's place within a step. */
  key: string;
  link: string;
  scenario: string;
  stage: string;
  /** The cell ids in the run (for links to their evidence); null: the step has no such cell. */
  beforeId: string | null;
  afterId: string | null;
  before: CellOutcome | null;
  after: CellOutcome | null;
  /** What differs. */
  fields: OutcomeField[];
  /**
   * A stage that worked (measured) and is broken now (error, or a client that ran and fails now), where
   * the base does not fail the same way: a regression the series brings, not a return to the base.
   */
  breaks: boolean;
}

/** One of glibc's own tests whose outcome differs between two steps. */
export interface TestDelta {
  test: string;
  before: string | null;
  after: string | null;
}

/** The patch of a step, as the review lists it. */
export interface StepPatch {
  index: number;
  total: number;
  version: string | null;
  subject: string;
  author: string;
  date: string;
  files: string[];
  origin: string;
}

export interface StepBuild {
  /** ok: built (or cached); error: the build failed; absent: the run has no record of it. */
  status: 'ok' | 'error' | 'absent';
  key?: string;
  cached?: boolean;
  durationMs?: number;
  mode?: 'cold' | 'incremental';
  compiledFiles?: number;
  reason?: string;
  logTail?: string;
}

export interface StepReview {
  /** 0: the base; k: the series' patches 1..k applied. */
  step: number;
  /** The step's variant id in the run (base, patch-1, ...). */
  variant: string;
  patch: StepPatch | null;
  build: StepBuild;
  /** Cells of this step and how many of them were measured. */
  cells: number;
  measured: number;
  /**
   * Why this step tells nothing, when it does not: its build failed, or an earlier patch did not apply.
   * Its deltas are then empty.
   */
  unknown?: string;
  vsPrevious: CellDelta[];
  testsVsPrevious: TestDelta[];
  vsBase: CellDelta[];
  testsVsBase: TestDelta[];
}

export interface Review {
  schemaVersion: number;
  /** The series as parsed: its version, the cover letter's subject and body. */
  series: {
    version: string | null;
    patches: number;
    cover: { subject: string; author: string; date: string; body: string } | null;
  };
  base: { glibc: string; description: string };
  /** The run that measured every step; paths relative to the review's folder. */
  run: { id: string; results: string; report: string; complete: boolean; durationMs: number };
  steps: StepReview[];
  /** The last step whose build is known against the base: what the series as a whole does. */
  seriesVsBase: { step: number; cells: CellDelta[]; tests: TestDelta[] } | null;
  warnings: string[];
}

/** The step's variant id in the review's plan. */
export function stepVariant(step: number): string {
  return step === 0 ? 'base' : `patch-${step}`;
}

/** The distinct, sorted values, joined by ','; null when there is none. */
function distinct(values: readonly (number | null | undefined)[]): string | null {
  const have = [...new Set(values.filter((v): v is number => typeof v === 'number'))].sort((a, b) => a - b);
  return have.length ? have.join(',') : null;
}

/**
 * The CPU a thread ran on, and thread ids, change from run to run; an outcome must not. A cpu_id of -1 or
 * -2 (not registered, registration failed) means something and is kept.
 */
export function normalizeInconsistency(text: string | undefined): string | null {
  if (!text) return null;
  return text.replace(/cpu_id (\d+)/g, 'cpu_id N').replace(/thread \d+/g, 'thread N');
}

/** What a client did: it ran to its end, or how it failed (from its run, not from a verdict). */
function clientOutcome(c: CellResult): string {
  const r = c.probe;
  if (!r) return 'did not run';
  if (r.timedOut) return 'hung';
  if (r.signal) return `killed by ${r.signal}`;
  if (r.exitCode === 4) return 'skipped itself';
  return r.exitCode === 0 ? 'ran' : `failed (exit ${r.exitCode})`;
}

/** The outcome of one cell, whatever the cell's expectation was. */
export function outcomeOf(c: CellResult, isClient: boolean): CellOutcome {
  if (c.status === 'skip')
    return {
      status: 'skip',
      state: null,
      rseqSize: null,
      inconsistency: null,
      ...(c.reason ? { reason: c.reason } : {}),
    };
  // A client that failed is measured too: the failure is its outcome (and what the observer saw).
  const measured = c.status !== 'error' || (isClient && c.probe !== undefined && c.observed.state !== null);
  if (!measured)
    return {
      status: 'error',
      state: null,
      rseqSize: null,
      inconsistency: null,
      ...(isClient ? { client: clientOutcome(c) } : {}),
      ...(c.reason ? { reason: c.reason } : {}),
    };
  const mine = c.observations.filter((o) => o.stage === c.stage);
  return {
    status: 'measured',
    state: c.observed.state,
    rseqSize: distinct(mine.map((o) => o.glibc?.rseqSize)),
    inconsistency: normalizeInconsistency(c.observed.inconsistency),
    ...(isClient ? { client: clientOutcome(c) } : {}),
    ...(c.observed.owner ? { owner: c.observed.owner } : {}),
  };
}

/** The fields in which two outcomes differ (a missing outcome differs in status). */
export function outcomeDiff(a: CellOutcome | null, b: CellOutcome | null): OutcomeField[] {
  if (!a || !b) return a === b ? [] : ['status'];
  return OUTCOME_FIELDS.filter((f) => (a[f] ?? null) !== (b[f] ?? null));
}

function breaks(a: CellOutcome | null, b: CellOutcome | null): boolean {
  if (!a || !b || a.status !== 'measured') return false;
  if (b.status === 'error') return true;
  return a.client === 'ran' && b.client !== undefined && b.client !== 'ran';
}

type StepCells = Map<string, CellResult>;

/** Does the base show this outcome too (then a step that returns to it breaks nothing)? */
function sameAsBase(base: CellResult | undefined, now: CellOutcome | null, client: boolean): boolean {
  return base !== undefined && outcomeDiff(outcomeOf(base, client), now).length === 0;
}

function placeKey(c: Pick<CellResult, 'link' | 'scenario' | 'stage'>): string {
  return `${c.link}/${c.scenario}/${c.stage}`;
}

/**
 * The cells whose outcomes differ between two steps, in the run's cell order. `base`: the base's cells,
 * for `breaks` (a step compared with the base itself needs none).
 */
export function cellDeltas(
  before: StepCells,
  after: StepCells,
  isClient: (stage: string) => boolean,
  base?: StepCells,
): CellDelta[] {
  const keys = [...new Set([...before.keys(), ...after.keys()])];
  const out: CellDelta[] = [];
  for (const key of keys) {
    const a = before.get(key);
    const b = after.get(key);
    const cell = (b ?? a) as CellResult;
    const client = isClient(cell.stage);
    const oa = a ? outcomeOf(a, client) : null;
    const ob = b ? outcomeOf(b, client) : null;
    const fields = outcomeDiff(oa, ob);
    if (!fields.length) continue;
    out.push({
      key,
      link: cell.link,
      scenario: cell.scenario,
      stage: cell.stage,
      beforeId: a?.id ?? null,
      afterId: b?.id ?? null,
      before: oa,
      after: ob,
      fields,
      breaks: breaks(oa, ob) && !sameAsBase(base?.get(key), ob, client),
    });
  }
  return out;
}

/** glibc's own tests whose outcomes differ between two builds. */
export function testDeltas(before: BuildResult | undefined, after: BuildResult | undefined): TestDelta[] {
  const a = before?.glibcTests ?? {};
  const b = after?.glibcTests ?? {};
  return [...new Set([...Object.keys(a), ...Object.keys(b)])]
    .sort()
    .filter((t) => (a[t] ?? null) !== (b[t] ?? null))
    .map((test) => ({ test, before: a[test] ?? null, after: b[test] ?? null }));
}

export interface ReviewInput {
  results: Results;
  /** The review's glibc entry id in the run, and what it is. */
  base: { glibc: string; description: string };
  patches: StepPatch[];
  cover: Review['series']['cover'];
  version: string | null;
  /** Whether a stage is a client's (clients are judged by how they ended, not only by the kernel). */
  isClient: (stage: string) => boolean;
  /** Paths of results.json and report.html relative to the review's folder. */
  paths: { results: string; report: string };
}

/** The review of a run of the review's plan. */
export function reviewRun(input: ReviewInput): Review {
  const { results } = input;
  const warnings: string[] = [];
  if (!results.run.complete)
    warnings.push(
      `the run was not complete (${results.run.interrupted ?? 'cells missing'}): steps may lack cells`,
    );
  const cellsOf = (variant: string): StepCells => {
    const m: StepCells = new Map();
    for (const c of results.cells)
      if (c.glibc === input.base.glibc && c.variant === variant) m.set(placeKey(c), c);
    return m;
  };
  const buildOf = (variant: string): BuildResult | undefined =>
    results.builds.find((b) => b.glibc === input.base.glibc && b.variant === variant);

  const steps: StepReview[] = [];
  const baseCells = cellsOf(stepVariant(0));
  const baseBuild = buildOf(stepVariant(0));
  let previous: { cells: StepCells; build: BuildResult | undefined; step: number } | undefined;
  let lastKnown: StepReview | undefined;
  let firstBroken: number | undefined;
  for (let step = 0; step <= input.patches.length; step++) {
    const variant = stepVariant(step);
    const cells = cellsOf(variant);
    const b = buildOf(variant);
    const build: StepBuild = b
      ? {
          status: b.status,
          key: b.key,
          cached: b.cached,
          durationMs: b.durationMs,
          ...(b.mode ? { mode: b.mode } : {}),
          ...(b.compiledFiles !== undefined ? { compiledFiles: b.compiledFiles } : {}),
          ...(b.reason ? { reason: b.reason } : {}),
          ...(b.logTail ? { logTail: b.logTail } : {}),
        }
      : { status: 'absent' };
    const all = [...cells.values()];
    const r: StepReview = {
      step,
      variant,
      patch: step === 0 ? null : (input.patches[step - 1] ?? null),
      build,
      cells: all.length,
      measured: all.filter((c) => outcomeOf(c, input.isClient(c.stage)).status === 'measured').length,
      vsPrevious: [],
      testsVsPrevious: [],
      vsBase: [],
      testsVsBase: [],
    };
    if (build.status !== 'ok') {
      r.unknown =
        firstBroken !== undefined
          ? `it includes patch ${firstBroken}, whose step did not build`
          : build.status === 'error'
            ? `its build failed: ${build.reason ?? 'no reason recorded'}`
            : 'the run has no build of this step (interrupted?)';
      if (build.status === 'error' && firstBroken === undefined && step > 0) firstBroken = step;
    } else if (cells.size === 0) {
      r.unknown = 'the run has no cell of this step';
    }
    if (!r.unknown && step > 0) {
      if (previous) {
        r.vsPrevious = cellDeltas(
          previous.cells,
          cells,
          input.isClient,
          steps[0]?.unknown ? undefined : baseCells,
        );
        r.testsVsPrevious = testDeltas(previous.build, b);
      }
      // Against a base that tells nothing every cell would read as changed: no comparison at all.
      if (!steps[0]?.unknown) {
        r.vsBase = cellDeltas(baseCells, cells, input.isClient);
        r.testsVsBase = testDeltas(baseBuild, b);
      }
    }
    if (!r.unknown) {
      if (previous && previous.step !== step - 1)
        warnings.push(`step ${step} is compared with step ${previous.step}, the last one that built`);
      previous = { cells, build: b, step };
      lastKnown = r;
    }
    steps.push(r);
  }
  if (steps[0]?.unknown) warnings.push(`the base tells nothing: ${steps[0].unknown}`);
  return {
    schemaVersion: REVIEW_SCHEMA_VERSION,
    series: { version: input.version, patches: input.patches.length, cover: input.cover },
    base: input.base,
    run: {
      id: results.run.id,
      results: input.paths.results,
      report: input.paths.report,
      complete: results.run.complete,
      durationMs: results.run.durationMs,
    },
    steps,
    seriesVsBase:
      lastKnown && lastKnown.step > 0 && !steps[0]?.unknown
        ? { step: lastKnown.step, cells: lastKnown.vsBase, tests: lastKnown.testsVsBase }
        : null,
    warnings,
  };
}

/** One patch's outcome in two versions of a series (matched by subject, else by position). */
export interface PatchAgainst {
  /** The patch now (index and subject); null: in the previous version only. */
  now: { index: number; subject: string } | null;
  before: { index: number; subject: string } | null;
  /** Cells this patch changes now but did not change before, and the reverse. */
  newlyChanged: string[];
  noLongerChanged: string[];
  /** Cells both versions of the patch change, to a different outcome. */
  changedOtherwise: string[];
}

export interface ReviewAgainst {
  previous: { run: string; version: string | null; patches: number };
  patches: PatchAgainst[];
  /** The series as a whole against the base: cells whose final outcome differs between the versions. */
  series: { newlyChanged: string[]; noLongerChanged: string[]; changedOtherwise: string[] };
}

function deltaSets(
  before: readonly CellDelta[],
  now: readonly CellDelta[],
): { newlyChanged: string[]; noLongerChanged: string[]; changedOtherwise: string[] } {
  const a = new Map(before.map((d) => [d.key, d]));
  const b = new Map(now.map((d) => [d.key, d]));
  const same = (x: CellDelta, y: CellDelta) => outcomeDiff(x.after, y.after).length === 0;
  return {
    newlyChanged: [...b.keys()].filter((k) => !a.has(k)),
    noLongerChanged: [...a.keys()].filter((k) => !b.has(k)),
    changedOtherwise: [...b.entries()]
      .filter(([k, d]) => {
        const old = a.get(k);
        return old !== undefined && !same(old, d);
      })
      .map(([k]) => k),
  };
}

/** What changed between the outcomes of two versions of a series (`review --against`). */
export function reviewAgainst(previous: Review, now: Review): ReviewAgainst {
  const prevSteps = previous.steps.filter((s) => s.patch);
  const used = new Set<number>();
  const patches: PatchAgainst[] = [];
  const subjectsNow = new Set(now.steps.map((s) => s.patch?.subject));
  for (const s of now.steps) {
    if (!s.patch) continue;
    const subject = s.patch.subject;
    // The same subject in the previous version; else the patch at the same place, if its subject is gone.
    const old =
      prevSteps.find((p) => p.patch?.subject === subject && !used.has(p.step)) ??
      prevSteps.find((p) => p.step === s.step && !used.has(p.step) && !subjectsNow.has(p.patch?.subject));
    if (old) used.add(old.step);
    patches.push({
      now: { index: s.patch.index, subject },
      before: old?.patch ? { index: old.patch.index, subject: old.patch.subject } : null,
      ...deltaSets(old?.vsPrevious ?? [], s.vsPrevious),
    });
  }
  for (const p of prevSteps)
    if (!used.has(p.step) && p.patch)
      patches.push({
        now: null,
        before: { index: p.patch.index, subject: p.patch.subject },
        ...deltaSets(p.vsPrevious, []),
      });
  return {
    previous: { run: previous.run.id, version: previous.series.version, patches: previous.series.patches },
    patches,
    series: deltaSets(previous.seriesVsBase?.cells ?? [], now.seriesVsBase?.cells ?? []),
  };
}
