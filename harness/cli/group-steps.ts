/**
 * The pipeline of one group (harness/cli/run-group.ts) as named steps, each with its own status:
 * build, compile (the probes), clients, environment (the group's executor: harness/cli/executors.ts),
 * and a run and a judge step per scenario (harness/model/results.ts GROUP_STEPS). A step runs its work,
 * is timed as a span of the run's timings where it has a phase, and is recorded as ok or failed with the
 * reason; a step not needed, or after a failure that ends the group, is recorded as skipped with the
 * reason. What a failure means for the cells is the group's business: this only keeps the record.
 */
import type { GroupStep, GroupStepName } from '../model/results.js';
import { errorMessage } from '../util/errors.js';
import type { Timer } from '../util/timing.js';

export interface StepOptions<T> {
  /** The scenario of a run or judge step. */
  scenario?: string;
  /** How many cells the step covers. */
  cells?: number;
  /** The timing phase of its span (from its value where that tells, e.g. build or build-check); none: no span. */
  phase?: string | ((value: T) => string);
}

export type StepOutcome<T> = { ok: true; value: T } | { ok: false; error: unknown; reason: string };

export class GroupSteps {
  readonly steps: GroupStep[] = [];

  constructor(
    private readonly timer: Timer,
    /** The group's label in the timings and the log (glibc/variant[ on kernel]). */
    private readonly label: string,
  ) {}

  /** Runs one step and records how it went; a throw is its failure, returned with the reason. */
  async run<T>(step: GroupStepName, work: () => Promise<T>, o: StepOptions<T> = {}): Promise<StepOutcome<T>> {
    const t0 = this.timer.now();
    const wall = Date.now();
    try {
      const value = await work();
      const phase = typeof o.phase === 'function' ? o.phase(value) : o.phase;
      if (phase) this.timer.add(phase, this.label, t0, this.timer.now());
      this.note(step, 'ok', Date.now() - wall, o);
      return { ok: true, value };
    } catch (error) {
      if (typeof o.phase === 'string') this.timer.add(o.phase, this.label, t0, this.timer.now());
      const reason = errorMessage(error);
      this.note(step, 'failed', Date.now() - wall, o, reason);
      return { ok: false, error, reason };
    }
  }

  /** Records a step that did not run, and why. */
  skip(step: GroupStepName, reason: string, o: Pick<StepOptions<unknown>, 'scenario' | 'cells'> = {}): void {
    this.note(step, 'skipped', 0, o, reason);
  }

  /** Records a step whose work the caller did itself (a judge step is synchronous bookkeeping). */
  done(
    step: GroupStepName,
    durationMs: number,
    o: Pick<StepOptions<unknown>, 'scenario' | 'cells'> = {},
  ): void {
    this.note(step, 'ok', durationMs, o);
  }

  /** The first failed step, if any. */
  get failed(): GroupStep | undefined {
    return this.steps.find((s) => s.status === 'failed');
  }

  private note(
    step: GroupStepName,
    status: GroupStep['status'],
    durationMs: number,
    o: Pick<StepOptions<unknown>, 'scenario' | 'cells'>,
    reason?: string,
  ): void {
    this.steps.push({
      step,
      ...(o.scenario !== undefined ? { scenario: o.scenario } : {}),
      status,
      durationMs,
      ...(reason !== undefined ? { reason } : {}),
      ...(o.cells !== undefined ? { cells: o.cells } : {}),
    });
  }
}
