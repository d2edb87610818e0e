/**
 * One group of a run (harness/cli/run.ts): the cells of one glibc x variant on one kernel, run as a
 * pipeline of named steps (harness/cli/group-steps.ts), each recorded with its status in the results'
 * `groups`: build (checked, or made), compile (the probes), clients (image, selftests, their compile;
 * skipped when the group has no client cell), environment (the group's executor:
 * harness/cli/executors.ts: a probe container on the host's kernel, or a VM booted with the group's
 * kernel), then per scenario a run (one container or one boot) and a judge step (every cell judged and
 * journalled). A failed build, compile, clients or environment step makes the group's cells errors
 * that say so, and the steps after it are skipped; a failed run step makes its scenario's cells errors
 * and the next scenario runs. Each step is a span of the run's timings (harness/util/timing.ts).
 */
import { join } from 'node:path';
import type { ReadyBuild } from '../builder/build.js';
import { BuildError } from '../builder/glibc.js';
import { type PrepareContext, prepareBuild } from '../builder/prepare.js';
import { ensureSelftests } from '../builder/selftests.js';
import { SourceError } from '../builder/sources.js';
import { ensureClientImage } from '../docker/client-image.js';
import type { ContainerSession } from '../docker/containers.js';
import type { Engine } from '../docker/engine.js';
import { ensureSuiteImages } from '../docker/images.js';
import { type PlannedCell, toolchainSuite } from '../matrix/expand.js';
import type { Matrix } from '../matrix/validate.js';
import { HOST_KERNEL, isClientStage, scenarioDef, stageDef } from '../model/catalogue.js';
import { groupId } from '../model/cell.js';
import type { BuildResult, CellResult, GroupResult } from '../model/results.js';
import { compileClients, prepareClients } from '../probe/clients.js';
import { type ClientSetup, compileProbes, ProbeError, runProbes } from '../probe/execute.js';
import type { InvocationTable } from '../probe/plan.js';
import { errorMessage, HostError, isNoSpace } from '../util/errors.js';
import { IMAGES_DIR, PROBES_DIR } from '../util/paths.js';
import type { Timer } from '../util/timing.js';
import { judgeGlibcTests } from '../verdict/glibc-tests.js';
import { judge } from '../verdict/verdict.js';
import type { Executor, Executors } from './executors.js';
import { GroupSteps } from './group-steps.js';

export type RecordCell = (
  cell: PlannedCell,
  extra: Partial<CellResult> & Pick<CellResult, 'status' | 'observed'>,
) => void;

/** What a group needs of its run. */
export interface GroupContext {
  matrix: Matrix;
  engine: Engine;
  session: ContainerSession;
  buildContext: PrepareContext;
  table: InvocationTable;
  outDir: string;
  cacheDir: string;
  thorough: boolean;
  probeEnv?: Record<string, string> | undefined;
  timer: Timer;
  /** Judged cells go here (results and journal). */
  record: RecordCell;
  /** Builds go here (results and journal); a build probed on several kernels is recorded once. */
  addBuild: (b: BuildResult) => void;
  /** Each group's pipeline, step by step, goes here (results and journal). */
  addGroup: (g: GroupResult) => void;
  /** Where the groups of each kernel run (harness/cli/executors.ts), made on first use. */
  executors: Executors;
  /** Is the engine gone (asks it when `e` does not say)? Afterwards nothing new starts. */
  engineGone: (e: unknown) => Promise<boolean>;
  /** A failure of the host, not of the cell (counted for the exit status). */
  hostFault: (reason: string) => void;
  /** The signal that is stopping the run, or null. */
  stopping: () => string | null;
  /** Why the engine is gone, or null. */
  engineLost: () => string | null;
}

export async function runGroup(ctx: GroupContext, group: readonly PlannedCell[]): Promise<void> {
  if (ctx.engineLost()) return;
  const first = group[0] as PlannedCell;
  const kernel = first.kernel ?? HOST_KERNEL;
  const label = `${first.glibc}/${first.variant}${kernel === HOST_KERNEL ? '' : ` on ${kernel}`}`;
  const todo = settleUnprobed(ctx, group);
  if (todo.length === 0 || ctx.stopping()) return;
  const steps = new GroupSteps(ctx.timer, label);
  const scenarios = [...new Set(todo.map((c) => c.scenario))];
  let executorName = '';
  try {
    const ready = await prepareGroup(ctx, steps, first, todo, label);
    if (!ready) {
      skipAfter(steps, `the ${steps.failed?.step ?? 'build'} step`, scenarios, todo);
      return;
    }
    const environment = await steps.run('environment', () => ctx.executors.forKernel(kernel), {
      ...(kernel === HOST_KERNEL ? {} : { phase: 'kernel' }),
    });
    if (!environment.ok) {
      if (ctx.stopping()) return;
      const reason = `kernel ${kernel}: ${environment.reason}`;
      if ((await ctx.engineGone(environment.error)) || isHostFault(environment.error)) ctx.hostFault(reason);
      ctx.buildContext.log.warn(`${label}: ${reason}`);
      for (const cell of todo)
        ctx.record(cell, { ...judge(cell, { failure: reason }), buildKey: ready.build.key });
      skipAfter(steps, 'the environment step', scenarios, todo);
      return;
    }
    executorName = environment.value.description;
    for (const sid of scenarios) {
      if (ctx.stopping() || ctx.engineLost()) return;
      await runScenario(ctx, steps, ready, environment.value, sid, todo, first, label);
    }
  } finally {
    ctx.addGroup({
      id: groupId(first),
      glibc: first.glibc,
      variant: first.variant,
      kernel,
      executor: executorName,
      steps: steps.steps,
    });
  }
}

/** The cells that are not probed (expected skip, or a long client without --thorough) judged at once; the rest returned. */
function settleUnprobed(ctx: GroupContext, group: readonly PlannedCell[]): PlannedCell[] {
  const todo: PlannedCell[] = [];
  for (const cell of group) {
    const client = stageDef(cell.stage)?.client;
    if (cell.expected.state === 'skip') ctx.record(cell, judge(cell, {}));
    else if (client?.kind === 'selftest' && client.thorough && !ctx.thorough)
      ctx.record(cell, {
        status: 'skip',
        reason: `${client.program} runs only with run --thorough (it takes minutes)`,
        observed: { state: null, registered: null, consistent: null },
        ptraceReason: 'not probed: the cell is skipped',
      });
    else todo.push(cell);
  }
  return todo;
}

interface ReadyGroup {
  build: ReadyBuild;
  binDir: string;
  clients?: ClientSetup;
}

/**
 * The build, compile and clients steps, and the build's record. A failure of any of them is the
 * build's: recorded as a failed build, every cell an error that names it; undefined then.
 */
async function prepareGroup(
  ctx: GroupContext,
  steps: GroupSteps,
  first: PlannedCell,
  todo: readonly PlannedCell[],
  label: string,
): Promise<ReadyGroup | undefined> {
  const { matrix } = ctx;
  const started = Date.now();
  const entry = matrix.doc.glibc.find((g) => g.id === first.glibc);
  const variant = matrix.doc.variants.find((v) => v.id === first.variant);
  const fail = async (error: unknown): Promise<undefined> => {
    if (ctx.stopping()) return undefined;
    const reason = `build ${label}: ${errorMessage(error)}`;
    if ((await ctx.engineGone(error)) || isHostFault(error)) ctx.hostFault(reason);
    const logTail =
      error instanceof ProbeError || error instanceof BuildError
        ? error.logTail
        : error instanceof HostError
          ? (error.detail ?? '')
          : '';
    ctx.buildContext.log.warn(reason);
    ctx.addBuild({
      key: '',
      glibc: first.glibc,
      variant: first.variant,
      status: 'error',
      cached: false,
      durationMs: Date.now() - started,
      description: '',
      reason,
      logTail,
      ...(error instanceof BuildError && error.logPath ? { logPath: error.logPath } : {}),
    });
    for (const cell of todo) ctx.record(cell, { ...judge(cell, { failure: reason }), logTail });
    return undefined;
  };

  // A cached build is checked (its files against the manifest); a missing one is built.
  const built = await steps.run(
    'build',
    async () => {
      if (!entry || !variant) throw new Error(`unknown glibc ${first.glibc} or variant ${first.variant}`);
      return prepareBuild(ctx.buildContext, entry, variant, first.patches);
    },
    { phase: (b) => (b.cached ? 'build-check' : 'build') },
  );
  if (!built.ok) return fail(built.error);
  const build = built.value;
  const compiled = await steps.run(
    'compile',
    () => compileProbes(ctx.session, build, PROBES_DIR, ctx.cacheDir),
    { phase: 'probe-compile' },
  );
  if (!compiled.ok) return fail(compiled.error);
  const clientCells = todo.filter((c) => isClientStage(c.stage));
  let clients: ClientSetup | undefined;
  let clientInfo: BuildResult['clients'];
  if (clientCells.length === 0 || !entry) steps.skip('clients', 'the group has no client cell');
  else {
    const setup = await steps.run(
      'clients',
      () =>
        prepareClients({
          needSelftests: clientCells.some((c) => stageDef(c.stage)?.client?.kind === 'selftest'),
          makeImage: async () =>
            ensureClientImage(
              ctx.engine.docker,
              IMAGES_DIR,
              await ensureSuiteImages(
                ctx.engine.docker,
                IMAGES_DIR,
                toolchainSuite(entry),
                ctx.buildContext.log,
              ),
              ctx.buildContext.log,
            ),
          getSelftests: () =>
            ensureSelftests(matrix.doc.clients?.selftests, ctx.cacheDir, ctx.buildContext.log),
          compile: (image, selftests) =>
            compileClients(ctx.session, build, image, selftests, PROBES_DIR, ctx.cacheDir),
          thoroughTimeoutSec: 3600,
        }),
      { phase: 'client-setup', cells: clientCells.length },
    );
    if (!setup.ok) return fail(setup.error);
    for (const why of [setup.value.imageFailure, setup.value.selftestsFailure])
      if (why) ctx.buildContext.log.warn(`${label}: ${why}`);
    clients = setup.value;
    const { selftests, compileMs } = setup.value;
    if (selftests)
      clientInfo = {
        selftests: `Linux ${selftests.kernelVersion} rseq selftests (Debian linux ${selftests.debianVersion}, ${selftests.suite}; ${selftests.url})`,
        ...(compileMs !== undefined ? { compileMs } : {}),
      };
    if (clients.image) clientInfo = { ...clientInfo, image: clients.image };
  }
  // glibc's own tests of this build, judged against the matrix's expectTests (none planned: not judged).
  const plannedTests = matrix.glibcTestPlan.filter(
    (p) => p.glibc === first.glibc && p.variant === first.variant,
  );
  ctx.addBuild({
    ...buildResult(build, Date.now() - started, compiled.value.durationMs),
    ...(plannedTests.length ? { glibcTestVerdicts: judgeGlibcTests(plannedTests, build.glibcTests) } : {}),
    ...(clientInfo ? { clients: clientInfo } : {}),
  });
  return { build, binDir: compiled.value.binDir, ...(clients ? { clients } : {}) };
}

/** One scenario of the group: its run step (one container or one boot) and its judge step. */
async function runScenario(
  ctx: GroupContext,
  steps: GroupSteps,
  ready: ReadyGroup,
  executor: Executor,
  sid: string,
  todo: readonly PlannedCell[],
  first: PlannedCell,
  label: string,
): Promise<void> {
  const { matrix, timer } = ctx;
  const kernel = first.kernel ?? HOST_KERNEL;
  const these = todo.filter((c) => c.scenario === sid);
  const known = scenarioDef(sid);
  if (!known) {
    steps.skip('run', `no scenario "${sid}" in the catalogue`, { scenario: sid, cells: these.length });
    return;
  }
  const scenario = ctx.probeEnv ? { ...known, env: { ...known.env, ...ctx.probeEnv } } : known;
  const t0 = Date.now();
  const ran = await steps.run(
    'run',
    () =>
      runProbes({
        session: ctx.session,
        build: ready.build,
        binDir: ready.binDir,
        workDir: join(
          ctx.outDir,
          'work',
          `${first.glibc}--${first.variant}${kernel === HOST_KERNEL ? '' : `--${kernel}`}`,
          sid,
        ),
        scenario,
        cells: these,
        table: ctx.table,
        timeoutSec: matrix.doc.options?.probeTimeout ?? 10,
        ...(ready.clients ? { clients: ready.clients } : {}),
        executor: (spec) => executor.run(spec),
        timer,
        group: label,
      }),
    { scenario: sid, cells: these.length },
  );
  if (!ran.ok) {
    if (ctx.stopping()) return;
    await ctx.engineGone(ran.error);
    const reason = `probe container for ${label} ${sid}: ${ran.reason}`;
    for (const cell of these)
      ctx.record(cell, { ...judge(cell, { failure: reason }), buildKey: ready.build.key });
    steps.skip('judge', 'the run failed: its cells are errors that say why', {
      scenario: sid,
      cells: these.length,
    });
    return;
  }
  ctx.buildContext.log.info(`probed ${label} ${sid}: ${these.length} cells in ${Date.now() - t0} ms`);
  const outputs = ran.value;
  const j0 = Date.now();
  timer.timeSync('judge-journal', label, () => {
    for (const cell of these) {
      const out = outputs.get(cell.id);
      // A probe our own stop cut short was not measured: leave the cell out rather than call it an error.
      if (ctx.stopping() && !out?.run) continue;
      const j = judge(cell, out ?? { failure: 'no probe output' });
      ctx.record(cell, {
        ...j,
        observations: (out?.observations ?? []).filter((o) => o.stage === cell.stage),
        ...(out?.run ? { probe: out.run } : {}),
        ...(out?.logTail ? { logTail: out.logTail } : {}),
        buildKey: ready.build.key,
        durationMs: out?.run?.durationMs ?? 0,
      });
    }
  });
  steps.done('judge', Date.now() - j0, { scenario: sid, cells: these.length });
}

/** The steps after a failure that ended the group (every step not yet recorded), recorded as skipped. */
function skipAfter(
  steps: GroupSteps,
  what: string,
  scenarios: readonly string[],
  todo: readonly PlannedCell[],
): void {
  const reason = `${what} failed: the group's cells are errors that say why`;
  for (const name of ['build', 'compile', 'clients', 'environment'] as const)
    if (!steps.steps.some((st) => st.step === name)) steps.skip(name, reason);
  for (const sid of scenarios) {
    const cells = todo.filter((c) => c.scenario === sid).length;
    steps.skip('run', reason, { scenario: sid, cells });
    steps.skip('judge', reason, { scenario: sid, cells });
  }
}

function buildResult(build: ReadyBuild, durationMs: number, probeCompileMs: number): BuildResult {
  const info = build.buildInfo;
  return {
    key: build.key,
    glibc: build.glibc,
    variant: build.variant,
    status: 'ok',
    cached: build.cached,
    durationMs,
    description: build.description,
    ...(info ? { mode: info.mode, compiledFiles: info.compiledFiles, phases: info.phases } : {}),
    ...(build.glibcTests ? { glibcTests: build.glibcTests } : {}),
    probeCompileMs,
  };
}

/** A failure of the host rather than of the cell: the engine, an image, a full disk, an unreachable mirror. */
function isHostFault(e: unknown): boolean {
  return (
    e instanceof HostError ||
    (e instanceof BuildError && e.noSpace) ||
    (e instanceof SourceError && e.download) ||
    isNoSpace(e)
  );
}
