/**
 * `rseq-matrix run`: expand the matrix, make the images and builds, run the probes, judge every cell,
 * and write the results (journal as it goes, results.json and report.html at the end).
 */
import { randomBytes } from 'node:crypto';
import { realpathSync, statSync } from 'node:fs';
import { readdir, readFile, rename, rm } from 'node:fs/promises';
import { arch, availableParallelism, hostname, release } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { execa } from 'execa';
import type { BuildProgress } from '../builder/glibc.js';
import { resolveKernel } from '../builder/kernels.js';
import type { PrepareContext } from '../builder/prepare.js';
import type { CcachePolicy } from '../builder/recipe.js';
import { SourceError } from '../builder/sources.js';
import { ContainerSession, removeStaleContainers } from '../docker/containers.js';
import { connectEngine, type Engine, engineAnswers } from '../docker/engine.js';
import { stopImageWorkOn } from '../docker/images.js';
import type { PlannedCell } from '../matrix/expand.js';
import { parseFilter } from '../matrix/filter.js';
import { type Matrix, selectCells, validateMatrix } from '../matrix/validate.js';
import { HOST_KERNEL, stageDef } from '../model/catalogue.js';
import { groupId } from '../model/cell.js';
import type { CellResult, Environment, Results } from '../model/results.js';
import { RESULTS_SCHEMA_VERSION } from '../model/results.js';
import { readInvocationTable } from '../probe/execute.js';
import { type Shard, shardCells, shardLabel } from '../results/merge.js';
import { readSavedRun } from '../results/resume.js';
import { Journal, summarize, writeResults } from '../results/store.js';
import { EngineLostError, errorMessage, InputError, InterruptedError } from '../util/errors.js';
import type { Log } from '../util/log.js';
import { PATCHES_DIR, PROBES_DIR, ROOT } from '../util/paths.js';
import { eachLimited } from '../util/pool.js';
import { NO_TIMING, type Timer } from '../util/timing.js';
import { failedTests } from '../verdict/glibc-tests.js';
import { judge } from '../verdict/verdict.js';
import { Executors } from './executors.js';
import { type GroupContext, runGroup } from './run-group.js';
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
  /** Which builds compile through ccache (CACHE/ccache): default incremental builds (CcachePolicy). */
  ccache?: CcachePolicy;
  progress?: BuildProgress;
  /** --shard: run only this slice of the selected cells' build groups (harness/results/merge.ts). */
  shard?: Shard;
  /** Keep the cells an earlier run of the same matrix saved in OUT/journal.jsonl; run only the rest. */
  resume?: boolean;
  /** Added to the environment of every probe and client process (`--probe-env`). */
  probeEnv?: Record<string, string>;
  /** Also run the long client stages (client:param_test); without it they are skipped. */
  thorough?: boolean;
  /** Phase timings (`run --timings`); NO_TIMING when absent. */
  timer?: Timer;
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
  return validateMatrix(text, relative(process.cwd(), resolve(path)) || path, {
    patchFileProblem: (rel, dir) => patchFileProblem(rel, patchesDirOf(path, dir)),
  });
}

/**
 * The matrix's Debian kernels, each looked up in its suite's index (harness/builder/kernels.ts): a package
 * or version the index does not have is the matrix's mistake, an input error naming the entry's line
 * (exit 2), found before anything is built. A mirror that does not answer decides nothing here: the
 * kernel's cells say so when the run needs it.
 */
export async function checkMatrixKernels(matrix: Matrix, cacheDir: string, log: Log): Promise<void> {
  const kernels = matrix.doc.kernels ?? [];
  for (const [i, k] of kernels.entries()) {
    if (!('debian' in k)) continue;
    try {
      await resolveKernel({ id: k.id, ...k.debian }, cacheDir, log);
    } catch (e) {
      if (e instanceof SourceError && !e.download)
        throw new InputError(`${matrix.where(['kernels', i, 'debian'])}: ${e.message}`);
      log.warn(`kernel ${k.id}: cannot check it on the mirror now (${errorMessage(e)})`);
    }
  }
}

/** Where a matrix's patch paths are taken from: its options.patchesDir (beside the file), else patches/. */
export function patchesDirOf(matrixPath: string, patchesDir: string | undefined): string {
  return patchesDir ? resolve(dirname(matrixPath), patchesDir) : PATCHES_DIR;
}

/** A patch must be a regular file that stays inside patches/ once every symlink is resolved. */
export function patchFileProblem(rel: string, patchesDir = PATCHES_DIR): string | undefined {
  const root = realpathSync(patchesDir);
  let real: string;
  try {
    real = realpathSync(join(patchesDir, rel));
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
  const kernel = c.kernel && c.kernel !== HOST_KERNEL ? `,kernel=${c.kernel}` : '';
  const f = `glibc=${c.glibc},variant=${c.variant}${kernel},link=${c.link},scenario=${c.scenario},stage=${c.stage}`;
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
  const timer = opts.timer ?? NO_TIMING;
  const planStart = timer.now();
  const matrix = await loadMatrix(opts.matrixPath);
  const filter = opts.filter ? parseFilter(opts.filter) : undefined;
  const selected = selectCells(matrix.cells, filter);
  await checkMatrixKernels(
    {
      ...matrix,
      doc: {
        ...matrix.doc,
        kernels: (matrix.doc.kernels ?? []).filter((k) => selected.some((c) => c.kernel === k.id)),
      },
    },
    opts.cacheDir,
    log,
  );
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
  timer.add('matrix', undefined, planStart, timer.now());

  const engineStart = timer.now();
  const connecting = connectEngine({ autoSetup: opts.autoSetup, log, stop: stop.aborted });
  const engine: Engine = await connecting.catch((e: unknown) => {
    stop.check(); // a stop while waiting for the engine is a stop, whatever the engine did
    throw e;
  });
  timer.add('engine', undefined, engineStart, timer.now());
  stop.check();
  await timer.time('stale-containers', undefined, () => removeStaleContainers(engine.docker, log));
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
  const journalStart = timer.now();
  const saved = opts.resume ? readSavedRun(outDir, matrix.digest) : undefined;
  const journal = new Journal(outDir);
  let oldWorkGone: Promise<void> = Promise.resolve();
  if (saved) {
    // Carry on: the journal keeps growing, and cells it already has are not run again.
    journal.append({ type: 'run', run: results.run, environment: results.environment });
    const wanted = new Set(cells.map((c) => c.id));
    for (const c of saved.cells) if (wanted.has(c.id)) results.cells.push(c);
    results.builds.push(...saved.builds.filter((b) => b.status === 'ok'));
    if (saved.groups.length) results.groups = [...saved.groups];
    log.info(
      `resuming run ${saved.run.id}: ${results.cells.length} of ${cells.length} cells kept from its journal`,
    );
  } else {
    oldWorkGone = removeAside(await setAsideWork(outDir, runId));
    journal.start({ type: 'run', run: results.run, environment: results.environment });
  }
  timer.add('journal-start', undefined, journalStart, timer.now());
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
      kernel: cell.kernel,
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
    const resultsPath = timer.timeSync('results', undefined, () => writeResults(outDir, results));
    await timer.time('old-work-removal', undefined, () => oldWorkGone);
    let reportPath: string | undefined;
    const reportStart = timer.now();
    try {
      reportPath = await opts.writeReport?.(results, outDir);
    } catch (e) {
      log.warn(`could not write the report: ${errorMessage(e)}`);
    }
    timer.add('report', undefined, reportStart, timer.now());
    const s = results.summary;
    const measured = s.total - s.skip;
    const infraOnly = measured > 0 && s.error === measured && hostFailures > 0;
    // A glibc test whose outcome is not the one its expectTests rule names fails the run like a cell.
    const failing = s.fail + s.error + failedTests(results.builds).length;
    const exitCode = interrupted ? 130 : engineLost || infraOnly ? 3 : failing > 0 ? 1 : 0;
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
      patchesDir: patchesDirOf(opts.matrixPath, matrix.doc.options?.patchesDir),
      log,
      // make's -j: every core is used, and a build that starts beside another takes only what is free.
      cores: availableParallelism(),
      rebuild: opts.rebuild ?? false,
      incremental: opts.incremental ?? true,
      verify: opts.verify ?? false,
      ccache: opts.ccache ?? 'incremental',
      ...(opts.progress ? { progress: opts.progress } : {}),
      glibcTests: matrix.doc.options?.glibcTests ?? [],
    };
    const groupContext: GroupContext = {
      matrix,
      engine,
      session,
      buildContext,
      table,
      outDir,
      cacheDir: opts.cacheDir,
      thorough: opts.thorough ?? false,
      probeEnv: opts.probeEnv,
      timer,
      record,
      addBuild: (b) => {
        // A build probed on several kernels is one build: recorded once (the first group's record).
        if (results.builds.some((x) => x.glibc === b.glibc && x.variant === b.variant && x.status === 'ok'))
          return;
        results.builds.push(b);
        journal.append({ type: 'build', build: b });
      },
      addGroup: (g) => {
        // A group run again (--resume) replaces the record the journal had of it.
        results.groups = [...(results.groups ?? []).filter((x) => x.id !== g.id), g];
        journal.append({ type: 'group', group: g });
      },
      executors: new Executors({
        matrix,
        session,
        docker: engine.docker,
        cacheDir: opts.cacheDir,
        log,
      }),
      engineGone,
      hostFault: (reason) => {
        hostFailures++;
        firstHostFault ||= reason;
      },
      stopping: () => stopping,
      engineLost: () => engineLost,
    };
    await eachLimited(groups, opts.jobs, (group) => runGroup(groupContext, group));
  } finally {
    await timer.time('session-close', undefined, () => session.close().catch(() => {}));
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

const OLD_WORK = '.work-old-';

/**
 * The previous run's work folder (thousands of small files: a third of a second and more to remove)
 * is renamed out of the way at once; it and whatever a killed run left set aside are returned, for
 * removeAside to remove beside the run.
 */
export async function setAsideWork(outDir: string, runId: string): Promise<string[]> {
  try {
    await rename(join(outDir, 'work'), join(outDir, `${OLD_WORK}${runId}`));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
      await rm(join(outDir, 'work'), { recursive: true, force: true });
  }
  return (await readdir(outDir).catch(() => [] as string[]))
    .filter((n) => n.startsWith(OLD_WORK))
    .map((n) => join(outDir, n));
}

/** Removes the folders with rm(1), a process of its own; resolves when they are gone, never rejects. */
export async function removeAside(dirs: readonly string[]): Promise<void> {
  if (dirs.length === 0) return;
  const r = await execa('rm', ['-rf', '--', ...dirs], { reject: false });
  if (r.exitCode !== 0)
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }).catch(() => {})));
}

function groupByBuild(cells: readonly PlannedCell[]): PlannedCell[][] {
  const m = new Map<string, PlannedCell[]>();
  for (const c of cells) {
    const k = groupId(c);
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
