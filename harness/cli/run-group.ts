/**
 * One build group of a run (harness/cli/run.ts): the cells of one glibc x variant on one kernel. Its
 * build is checked (or made), the probes and clients compiled, one probe container runs per scenario
 * (on the host's kernel), or one VM boot per scenario with the group's kernel (harness/vm/executor.ts),
 * and every cell is judged and journalled. Each step is a span of the run's timings
 * (harness/util/timing.ts).
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
import type { BuildResult, CellResult } from '../model/results.js';
import { compileClients, prepareClients } from '../probe/clients.js';
import { type ClientSetup, compileProbes, ProbeError, runProbes } from '../probe/execute.js';
import type { InvocationTable } from '../probe/plan.js';
import { errorMessage, HostError, isNoSpace } from '../util/errors.js';
import { IMAGES_DIR, PROBES_DIR } from '../util/paths.js';
import type { Timer } from '../util/timing.js';
import { judgeGlibcTests } from '../verdict/glibc-tests.js';
import { judge } from '../verdict/verdict.js';
import type { VmExecutor } from '../vm/executor.js';
import type { Executors } from './executors.js';

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
  const { matrix, timer } = ctx;
  if (ctx.engineLost()) return;
  const first = group[0] as PlannedCell;
  const kernel = first.kernel ?? HOST_KERNEL;
  const label = `${first.glibc}/${first.variant}${kernel === HOST_KERNEL ? '' : ` on ${kernel}`}`;
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
  if (todo.length === 0 || ctx.stopping()) return;
  const buildStarted = Date.now();
  let build: ReadyBuild;
  let binDir: string;
  let clients: ClientSetup | undefined;
  let clientInfo: BuildResult['clients'];
  try {
    const entry = matrix.doc.glibc.find((g) => g.id === first.glibc);
    const variant = matrix.doc.variants.find((v) => v.id === first.variant);
    if (!entry || !variant) throw new Error(`unknown glibc ${first.glibc} or variant ${first.variant}`);
    const t0 = timer.now();
    build = await prepareBuild(ctx.buildContext, entry, variant, first.patches);
    // A cached build is checked (its files against the manifest); a missing one is built.
    timer.add(build.cached ? 'build-check' : 'build', label, t0, timer.now());
    const compiled = await timer.time('probe-compile', label, () =>
      compileProbes(ctx.session, build, PROBES_DIR, ctx.cacheDir),
    );
    binDir = compiled.binDir;
    const clientCells = todo.filter((c) => isClientStage(c.stage));
    if (clientCells.length) {
      const ready = build;
      const setup = await timer.time('client-setup', label, () =>
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
            compileClients(ctx.session, ready, image, selftests, PROBES_DIR, ctx.cacheDir),
          thoroughTimeoutSec: 3600,
        }),
      );
      for (const why of [setup.imageFailure, setup.selftestsFailure])
        if (why) ctx.buildContext.log.warn(`${label}: ${why}`);
      clients = setup;
      if (setup.selftests)
        clientInfo = {
          selftests: `Linux ${setup.selftests.kernelVersion} rseq selftests (Debian linux ${setup.selftests.debianVersion}, ${setup.selftests.suite}; ${setup.selftests.url})`,
          ...(setup.compileMs !== undefined ? { compileMs: setup.compileMs } : {}),
        };
      if (setup.image) clientInfo = { ...clientInfo, image: setup.image };
    }
    // glibc's own tests of this build, judged against the matrix's expectTests (none planned: not judged).
    const plannedTests = matrix.glibcTestPlan.filter(
      (p) => p.glibc === first.glibc && p.variant === first.variant,
    );
    ctx.addBuild({
      ...buildResult(build, Date.now() - buildStarted, compiled.durationMs),
      ...(plannedTests.length ? { glibcTestVerdicts: judgeGlibcTests(plannedTests, build.glibcTests) } : {}),
      ...(clientInfo ? { clients: clientInfo } : {}),
    });
  } catch (e) {
    if (ctx.stopping()) return;
    const reason = `build ${label}: ${errorMessage(e)}`;
    if ((await ctx.engineGone(e)) || isHostFault(e)) ctx.hostFault(reason);
    const logTail =
      e instanceof ProbeError || e instanceof BuildError
        ? e.logTail
        : e instanceof HostError
          ? (e.detail ?? '')
          : '';
    ctx.buildContext.log.warn(reason);
    ctx.addBuild({
      key: '',
      glibc: first.glibc,
      variant: first.variant,
      status: 'error',
      cached: false,
      durationMs: Date.now() - buildStarted,
      description: '',
      reason,
      logTail,
      ...(e instanceof BuildError && e.logPath ? { logPath: e.logPath } : {}),
    });
    for (const cell of todo) ctx.record(cell, { ...judge(cell, { failure: reason }), logTail });
    return;
  }
  // Another kernel than the host's: every scenario of the group runs in a VM booted with it.
  let executor: VmExecutor | undefined;
  if (kernel !== HOST_KERNEL) {
    try {
      executor = await timer.time('kernel', label, () => ctx.executors.forKernel(kernel));
    } catch (e) {
      if (ctx.stopping()) return;
      const reason = `kernel ${kernel}: ${errorMessage(e)}`;
      if ((await ctx.engineGone(e)) || isHostFault(e)) ctx.hostFault(reason);
      ctx.buildContext.log.warn(`${label}: ${reason}`);
      for (const cell of todo) ctx.record(cell, { ...judge(cell, { failure: reason }), buildKey: build.key });
      return;
    }
  }
  const scenarios = [...new Set(todo.map((c) => c.scenario))];
  for (const sid of scenarios) {
    if (ctx.stopping() || ctx.engineLost()) return;
    const known = scenarioDef(sid);
    const scenario = known && ctx.probeEnv ? { ...known, env: { ...known.env, ...ctx.probeEnv } } : known;
    const these = todo.filter((c) => c.scenario === sid);
    if (!scenario) continue;
    const t0 = Date.now();
    let outputs: Awaited<ReturnType<typeof runProbes>>;
    try {
      outputs = await runProbes({
        session: ctx.session,
        build,
        binDir,
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
        ...(clients ? { clients } : {}),
        ...(executor ? { executor } : {}),
        timer,
        group: label,
      });
    } catch (e) {
      if (ctx.stopping()) return;
      await ctx.engineGone(e);
      const reason = `probe container for ${label} ${sid}: ${errorMessage(e)}`;
      for (const cell of these)
        ctx.record(cell, { ...judge(cell, { failure: reason }), buildKey: build.key });
      continue;
    }
    ctx.buildContext.log.info(`probed ${label} ${sid}: ${these.length} cells in ${Date.now() - t0} ms`);
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
          buildKey: build.key,
          durationMs: out?.run?.durationMs ?? 0,
        });
      }
    });
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
