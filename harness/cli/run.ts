/**
 * `rseq-matrix run`: expand the matrix, make the images and builds, run the probes, judge every cell,
 * and write the results (journal as it goes, results.json and report.html at the end).
 */
import { randomBytes } from 'node:crypto';
import { realpathSync, statSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { arch, availableParallelism, hostname, release } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import type { ReadyBuild } from '../build/build.js';
import { BuildError, type BuildProgress } from '../build/glibc.js';
import { type PrepareContext, prepareBuild } from '../build/prepare.js';
import { ensureSelftests } from '../build/selftests.js';
import { SourceError } from '../build/sources.js';
import { ensureClientImage } from '../docker/client-image.js';
import { ContainerSession, removeStaleContainers } from '../docker/containers.js';
import { connectEngine, type Engine, engineAnswers } from '../docker/engine.js';
import { ensureSuiteImages, stopImageWorkOn } from '../docker/images.js';
import { type PlannedCell, toolchainSuite } from '../matrix/expand.js';
import { parseFilter } from '../matrix/filter.js';
import { type Matrix, selectCells, validateMatrix } from '../matrix/validate.js';
import { isClientStage, scenarioDef, stageDef } from '../model/catalogue.js';
import type { BuildResult, CellResult, Environment, Results } from '../model/results.js';
import { RESULTS_SCHEMA_VERSION } from '../model/results.js';
import { compileClients, prepareClients } from '../probe/clients.js';
import {
  type ClientSetup,
  compileProbes,
  ProbeError,
  readInvocationTable,
  runProbes,
} from '../probe/execute.js';
import { type Shard, shardCells, shardLabel } from '../results/merge.js';
import { readSavedRun } from '../results/resume.js';
import { Journal, summarize, writeResults } from '../results/store.js';
import {
  EngineLostError,
  errorMessage,
  HostError,
  InputError,
  InterruptedError,
  isNoSpace,
} from '../util/errors.js';
import type { Log } from '../util/log.js';
import { IMAGES_DIR, PATCHES_DIR, PROBES_DIR, ROOT } from '../util/paths.js';
import { eachLimited } from '../util/pool.js';
import { judge } from '../verdict/verdict.js';
import { TOOL_VERSION } from './version.js';

export interface RunOptions {
  matrixPath: string;
  outDir?: string;
  filter?: string;
  jobs: number;
  cacheDir: string;
  autoSetup: boolean;
  log: Log;
  argv: string[];
  rebuild?: boolean;
  /** Check cached builds by sha256, not only by size and mtime (`--verify`). */
  verify?: boolean;
  incremental?: boolean;
  /** Compile through ccache (CACHE/ccache): default on. */
  ccache?: boolean;
  progress?: BuildProgress;
  /** --shard: run only this slice of the selected cells' build groups (harness/results/merge.ts). */
  shard?: Shard;
  /** Keep the cells an earlier run of the same matrix saved in OUT/journal.jsonl; run only the rest. */
  resume?: boolean;
  /** Added to the environment of every probe and client process (`--probe-env`). */
  probeEnv?: Record<string, string>;
  /** Also run the long client stages (client:param_test); without it they are skipped. */
  thorough?: boolean;
  /** Called with the results path and report path once they are written. */
  writeReport?: (results: Results, outDir: string) => Promise<string | undefined>;
}

export interface RunOutcome {
  results: Results;
  resultsPath: string;
  reportPath?: string;
  exitCode: number;
}

export async function loadMatrix(path: string): Promise<Matrix> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new InputError(
      `${path}: cannot read the matrix: ${(e as NodeJS.ErrnoException).code ?? errorMessage(e)}`,
    );
  }
  return validateMatrix(text, relative(process.cwd(), resolve(path)) || path, { patchFileProblem });
}

/** A patch must be a regular file that stays inside patches/ once every symlink is resolved. */
export function patchFileProblem(rel: string): string | undefined {
  const root = realpathSync(PATCHES_DIR);
  let real: string;
  try {
    real = realpathSync(join(PATCHES_DIR, rel));
  } catch {
    return `patch file "${rel}" does not exist in patches/`;
  }
  if (!real.startsWith(`${root}/`)) return `patch path "${rel}" leaves patches/ (it resolves to ${real})`;
  if (!statSync(real).isFile()) return `patch path "${rel}" is not a file`;
  return undefined;
}

export function hostEnvironment(docker: Environment['docker'] | null): Environment {
  return {
    kernel: release(),
    arch: arch(),
    hostname: hostname(),
    node: process.version,
    tool: TOOL_VERSION,
    docker: docker ?? {
      version: null,
      apiVersion: null,
      negotiatedApiVersion: null,
      host: process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock',
      seccomp: null,
      storageDriver: null,
    },
  };
}

function reproduceCommand(matrixFile: string, c: PlannedCell): string {
  const f = `glibc=${c.glibc},variant=${c.variant},link=${c.link},scenario=${c.scenario},stage=${c.stage}`;
  const client = stageDef(c.stage)?.client;
  const thorough = client?.kind === 'selftest' && client.thorough ? ' --thorough' : '';
  return `npx rseq-matrix run ${matrixFile} --filter '${f}'${thorough}`;
}

export async function runMatrix(opts: RunOptions): Promise<RunOutcome> {
  // A stop is handled from the first moment, so that at any phase it ends with status 130.
  const stop = new RunStop(opts.log);
  try {
    return await runStoppable(opts, stop);
  } finally {
    stop.release();
  }
}

async function runStoppable(opts: RunOptions, stop: RunStop): Promise<RunOutcome> {
  const { log } = opts;
  const matrix = await loadMatrix(opts.matrixPath);
  const filter = opts.filter ? parseFilter(opts.filter) : undefined;
  const selected = selectCells(matrix.cells, filter);
  if (selected.length === 0)
    throw new InputError(`--filter: "${opts.filter}" selects no cell of ${matrix.file}`);
  // --shard: whole build groups, dealt by planShards; an empty slice is a valid, empty run.
  const cells = opts.shard ? shardCells(selected, opts.shard) : selected;
  if (opts.shard)
    log.info(
      `shard ${shardLabel(opts.shard)}: ${cells.length} of ${selected.length} cells${cells.length ? '' : ' (no build group falls to this shard)'}`,
    );
  const table = await readInvocationTable(PROBES_DIR);
  const outDir = resolve(opts.outDir ?? join(ROOT, 'reports', matrix.doc.name));

  const connecting = connectEngine({ autoSetup: opts.autoSetup, log, stop: stop.aborted });
  const engine: Engine = await connecting.catch((e: unknown) => {
    stop.check(); // a stop while waiting for the engine is a stop, whatever the engine did
    throw e;
  });
  stop.check();
  await removeStaleContainers(engine.docker, log);
  stop.check();

  const runId = `${new Date().toISOString().replace(/[-:]/g, '').slice(0, 15)}-${randomBytes(3).toString('hex')}`;
  const started = Date.now();
  const results: Results = {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    run: {
      id: runId,
      startedAt: new Date(started).toISOString(),
      finishedAt: null,
      durationMs: 0,
      matrix: { path: matrix.file, name: matrix.doc.name, digest: matrix.digest },
      argv: opts.argv,
      filter: opts.filter ?? null,
      shard: opts.shard ?? null,
      complete: false,
      interrupted: null,
    },
    environment: hostEnvironment(engine.info),
    builds: [],
    cells: [],
    summary: summarize([]),
  };
  const saved = opts.resume ? readSavedRun(outDir, matrix.digest) : undefined;
  const journal = new Journal(outDir);
  if (saved) {
    // Carry on: the journal keeps growing, and cells it already has are not run again.
    journal.append({ type: 'run', run: results.run, environment: results.environment });
    const wanted = new Set(cells.map((c) => c.id));
    for (const c of saved.cells) if (wanted.has(c.id)) results.cells.push(c);
    results.builds.push(...saved.builds.filter((b) => b.status === 'ok'));
    log.info(
      `resuming run ${saved.run.id}: ${results.cells.length} of ${cells.length} cells kept from its journal`,
    );
  } else {
    await rm(join(outDir, 'work'), { recursive: true, force: true });
    journal.start({ type: 'run', run: results.run, environment: results.environment });
  }
  const done = new Set(results.cells.map((c) => c.id));
  const session = new ContainerSession(engine.docker, runId, log);
  stop.watch(session);

  const record = (
    cell: PlannedCell,
    extra: Partial<CellResult> & Pick<CellResult, 'status' | 'observed'>,
  ) => {
    const result: CellResult = {
      id: cell.id,
      glibc: cell.glibc,
      variant: cell.variant,
      link: cell.link,
      scenario: cell.scenario,
      stage: cell.stage,
      expected: cell.expected,
      observations: [],
      buildKey: '',
      patches: cell.patches,
      reproduce: reproduceCommand(matrix.file, cell),
      durationMs: 0,
      ...extra,
    };
    results.cells.push(result);
    journal.append({ type: 'cell', cell: result });
  };

  const finish = async (interrupted: string | null): Promise<RunOutcome> => {
    const order = new Map(matrix.cells.map((c, i) => [c.id, i]));
    results.cells.sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));
    results.summary = summarize(results.cells);
    results.run.finishedAt = new Date().toISOString();
    results.run.durationMs = Date.now() - started;
    results.run.complete = !interrupted && !engineLost && results.cells.length === cells.length;
    results.run.interrupted = interrupted ?? engineLost;
    const resultsPath = writeResults(outDir, results);
    let reportPath: string | undefined;
    try {
      reportPath = await opts.writeReport?.(results, outDir);
    } catch (e) {
      log.warn(`could not write the report: ${errorMessage(e)}`);
    }
    const s = results.summary;
    const measured = s.total - s.skip;
    const infraOnly = measured > 0 && s.error === measured && hostFailures > 0;
    const exitCode = interrupted ? 130 : engineLost || infraOnly ? 3 : s.fail + s.error > 0 ? 1 : 0;
    // The one line that says why the run ended as it did (README, Exit status); the table follows on stdout.
    const kept = `${s.total} of ${cells.length} cells kept in ${resultsPath} (${s.pass} pass, ${s.fail} fail, ${s.error} error, ${s.skip} skip)`;
    if (interrupted) notice(`interrupted by ${interrupted}: ${kept}; run again with --resume for the rest`);
    else if (engineLost) notice(`${engineLost}: ${kept}; start it and run again with --resume`);
    else if (infraOnly) notice(`no cell could be measured: ${firstHostFault}`);
    return { results, resultsPath, ...(reportPath ? { reportPath } : {}), exitCode };
  };

  let hostFailures = 0;
  let firstHostFault = '';
  let stopping: string | null = stop.signal;
  stop.onStop = (sig) => {
    stopping = sig;
  };
  // Once the engine is gone, nothing new starts; the cells not measured are recorded as errors.
  let engineLost: string | null = null;
  const engineGone = async (e: unknown): Promise<boolean> => {
    if (engineLost) return true;
    if (!(e instanceof EngineLostError) && (await engineAnswers(engine.docker))) return false;
    engineLost =
      e instanceof EngineLostError
        ? e.message
        : `the Docker engine at ${engine.info.host} stopped answering (${errorMessage(e)})`;
    log.warn(`${engineLost}; no new work starts`);
    return true;
  };

  try {
    const groups = orderForBuilding(groupByBuild(cells.filter((c) => !done.has(c.id))), matrix.doc);
    const buildContext: PrepareContext = {
      docker: engine.docker,
      session,
      cacheDir: opts.cacheDir,
      matrixDir: dirname(resolve(opts.matrixPath)),
      log,
      // make's -j: every core is used, and a build that starts beside another takes only what is free.
      cores: availableParallelism(),
      rebuild: opts.rebuild ?? false,
      incremental: opts.incremental ?? true,
      verify: opts.verify ?? false,
      ccache: opts.ccache ?? true,
      ...(opts.progress ? { progress: opts.progress } : {}),
      glibcTests: matrix.doc.options?.glibcTests ?? [],
    };
    await eachLimited(groups, opts.jobs, async (group) => {
      if (engineLost) return;
      const first = group[0] as PlannedCell;
      const todo: PlannedCell[] = [];
      for (const cell of group) {
        const client = stageDef(cell.stage)?.client;
        if (cell.expected.state === 'skip') record(cell, judge(cell, {}));
        else if (client?.kind === 'selftest' && client.thorough && !opts.thorough)
          record(cell, {
            status: 'skip',
            reason: `${client.program} runs only with run --thorough (it takes minutes)`,
            observed: { state: null, registered: null, consistent: null },
          });
        else todo.push(cell);
      }
      if (todo.length === 0 || stopping) return;
      const buildStarted = Date.now();
      let build: ReadyBuild;
      let binDir: string;
      let clients: ClientSetup | undefined;
      let clientInfo: BuildResult['clients'];
      try {
        const entry = matrix.doc.glibc.find((g) => g.id === first.glibc);
        const variant = matrix.doc.variants.find((v) => v.id === first.variant);
        if (!entry || !variant) throw new Error(`unknown glibc ${first.glibc} or variant ${first.variant}`);
        build = await prepareBuild(buildContext, entry, variant, first.patches);
        const compiled = await compileProbes(session, build, PROBES_DIR, opts.cacheDir);
        binDir = compiled.binDir;
        const clientCells = todo.filter((c) => isClientStage(c.stage));
        if (clientCells.length) {
          const ready = build;
          const setup = await prepareClients({
            needSelftests: clientCells.some((c) => stageDef(c.stage)?.client?.kind === 'selftest'),
            makeImage: async () =>
              ensureClientImage(
                engine.docker,
                IMAGES_DIR,
                await ensureSuiteImages(engine.docker, IMAGES_DIR, toolchainSuite(entry), log),
                log,
              ),
            getSelftests: () => ensureSelftests(matrix.doc.clients?.selftests, opts.cacheDir, log),
            compile: (image, selftests) =>
              compileClients(session, ready, image, selftests, PROBES_DIR, opts.cacheDir),
            thoroughTimeoutSec: 3600,
          });
          for (const why of [setup.imageFailure, setup.selftestsFailure])
            if (why) log.warn(`${first.glibc}/${first.variant}: ${why}`);
          clients = setup;
          if (setup.selftests)
            clientInfo = {
              selftests: `Linux ${setup.selftests.kernelVersion} rseq selftests (Debian linux ${setup.selftests.debianVersion}, ${setup.selftests.suite}; ${setup.selftests.url})`,
              ...(setup.compileMs !== undefined ? { compileMs: setup.compileMs } : {}),
            };
          if (setup.image) clientInfo = { ...clientInfo, image: setup.image };
        }
        const b = {
          ...buildResult(build, Date.now() - buildStarted, compiled.durationMs),
          ...(clientInfo ? { clients: clientInfo } : {}),
        };
        results.builds.push(b);
        journal.append({ type: 'build', build: b });
      } catch (e) {
        if (stopping) return;
        const reason = `build ${first.glibc}/${first.variant}: ${errorMessage(e)}`;
        if ((await engineGone(e)) || isHostFault(e)) {
          hostFailures++;
          firstHostFault ||= reason;
        }
        const logTail =
          e instanceof ProbeError || e instanceof BuildError
            ? e.logTail
            : e instanceof HostError
              ? (e.detail ?? '')
              : '';
        log.warn(reason);
        const b: BuildResult = {
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
        };
        results.builds.push(b);
        journal.append({ type: 'build', build: b });
        for (const cell of todo) record(cell, { ...judge(cell, { failure: reason }), logTail });
        return;
      }
      const scenarios = [...new Set(todo.map((c) => c.scenario))];
      for (const sid of scenarios) {
        if (stopping || engineLost) return;
        const known = scenarioDef(sid);
        const scenario =
          known && opts.probeEnv ? { ...known, env: { ...known.env, ...opts.probeEnv } } : known;
        const these = todo.filter((c) => c.scenario === sid);
        if (!scenario) continue;
        const t0 = Date.now();
        let outputs: Awaited<ReturnType<typeof runProbes>>;
        try {
          outputs = await runProbes({
            session,
            build,
            binDir,
            workDir: join(outDir, 'work', `${first.glibc}--${first.variant}`, sid),
            scenario,
            cells: these,
            table,
            timeoutSec: matrix.doc.options?.probeTimeout ?? 10,
            ...(clients ? { clients } : {}),
          });
        } catch (e) {
          if (stopping) return;
          await engineGone(e);
          const reason = `probe container for ${first.glibc}/${first.variant} ${sid}: ${errorMessage(e)}`;
          for (const cell of these)
            record(cell, { ...judge(cell, { failure: reason }), buildKey: build.key });
          continue;
        }
        log.info(
          `probed ${first.glibc}/${first.variant} ${sid}: ${these.length} cells in ${Date.now() - t0} ms`,
        );
        for (const cell of these) {
          const out = outputs.get(cell.id);
          // A probe our own stop cut short was not measured: leave the cell out rather than call it an error.
          if (stopping && !out?.run) continue;
          const j = judge(cell, out ?? { failure: 'no probe output' });
          record(cell, {
            ...j,
            observations: (out?.observations ?? []).filter((o) => o.stage === cell.stage),
            ...(out?.run ? { probe: out.run } : {}),
            ...(out?.logTail ? { logTail: out.logTail } : {}),
            buildKey: build.key,
            durationMs: out?.run?.durationMs ?? 0,
          });
        }
      }
    });
  } finally {
    await session.close().catch(() => {});
  }
  if (engineLost && !stopping) {
    const have = new Set(results.cells.map((c) => c.id));
    for (const cell of cells)
      if (!have.has(cell.id))
        record(
          cell,
          judge(cell, cell.expected.state === 'skip' ? {} : { failure: `not run: ${engineLost}` }),
        );
  }
  return finish(stopping);
}

function groupByBuild(cells: readonly PlannedCell[]): PlannedCell[][] {
  const m = new Map<string, PlannedCell[]>();
  for (const c of cells) {
    const k = `${c.glibc}\0${c.variant}`;
    const g = m.get(k);
    if (g) g.push(c);
    else m.set(k, [c]);
  }
  return [...m.values()];
}

/**
 * The order in which builds are started: the image's own libc first (nothing to build), then unpatched
 * builds (cold: the longest, and the trees the variants start from), then patched variants, so that
 * --jobs workers build independent cold trees side by side instead of waiting on one.
 */
function orderForBuilding(groups: PlannedCell[][], doc: Matrix['doc']): PlannedCell[][] {
  const stock = new Set(doc.glibc.filter((g) => g.source === 'stock').map((g) => g.id));
  const rank = (g: PlannedCell[]) => (stock.has(g[0]?.glibc ?? '') ? 0 : g[0]?.patches.length ? 2 : 1);
  return groups
    .map((g, i) => ({ g, i }))
    .sort((a, b) => rank(a.g) - rank(b.g) || a.i - b.i)
    .map(({ g }) => g);
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

/** The one line a run ends with when it did not simply run to its end (see RunOutcome.exitCode). */
function notice(message: string): void {
  process.stderr.write(`rseq-matrix: ${message}\n`);
}

/**
 * SIGINT and SIGTERM for the whole of a run, from its first moment: the signal is kept, image work
 * (debootstrap, docker build) is aborted and the run's containers are removed. Before there is a run
 * to keep, check() ends it with an InterruptedError (status 130, nothing written).
 */
class RunStop {
  signal: NodeJS.Signals | null = null;
  onStop: ((sig: NodeJS.Signals) => void) | undefined;
  private session: ContainerSession | undefined;
  private readonly abort = new AbortController();
  /** Fires with the signal: waits that can be cut short (the engine's ping, image work) end. */
  readonly aborted = this.abort.signal;
  private readonly onSignal = (sig: NodeJS.Signals) => {
    if (this.signal) return;
    this.signal = sig;
    this.log.warn(`${sig}: stopping; removing this run's containers and keeping the cells measured so far`);
    this.abort.abort();
    this.onStop?.(sig);
    void this.session?.close();
  };

  constructor(private readonly log: Log) {
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
    stopImageWorkOn(this.abort.signal);
  }

  /** The run's containers, removed when a signal comes. */
  watch(session: ContainerSession): void {
    this.session = session;
    if (this.signal) void session.close();
  }

  check(): void {
    if (this.signal)
      throw new InterruptedError(`interrupted by ${this.signal} before any cell ran; nothing was written`);
  }

  release(): void {
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
    stopImageWorkOn(undefined);
  }
}
