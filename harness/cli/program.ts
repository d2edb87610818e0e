/**
 * The rseq-matrix command line: every command and option (commander). Building the program has no
 * side effects, so tests can parse command lines with it; harness/cli/main.ts is the entry point.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { CCACHE_POLICIES, type CcachePolicy } from '../builder/recipe.js';
import { gcCache, listCache } from '../cache/gc.js';
import { exitCodeFor, formatJson, formatMarkdown, formatText } from '../compare/compare.js';
import { compareFiles } from '../compare/files.js';
import { connectEngine } from '../docker/engine.js';
import {
  canSetUpHost,
  ensureDebootstrap,
  ensureTestPackages,
  missingTestPackages,
} from '../docker/host-setup.js';
import { parseFilter } from '../matrix/filter.js';
import { selectCells } from '../matrix/validate.js';
import type { Results } from '../model/results.js';
import { writeReports, writeReportsFromFiles } from '../report/files.js';
import { mergeShards, parseShard, type ShardFile, shardLabel } from '../results/merge.js';
import { readResults, writeResults } from '../results/store.js';
import { formatReviewMarkdown, formatReviewText } from '../review/format.js';
import { InputError } from '../util/errors.js';
import { stderrLog } from '../util/log.js';
import { defaultCacheDir } from '../util/paths.js';
import { NO_TIMING, TimingRecorder } from '../util/timing.js';
import { formatChecks, runDoctor } from './doctor.js';
import { buildProgress } from './progress.js';
import { runReview } from './review.js';
import { checkMatrixKernels, loadMatrix, runMatrix } from './run.js';
import { summaryTable } from './table.js';
import { TOOL_VERSION } from './version.js';

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number of at least 1');
  return n;
}

/** `--ccache <when>` (one of CCACHE_POLICIES) or `--no-ccache` (false) as a policy. */
function ccachePolicy(o: { ccache?: string | false }): CcachePolicy {
  if (o.ccache === false) return 'off';
  if (o.ccache === undefined) return 'incremental';
  const p = CCACHE_POLICIES.find((x) => x === o.ccache);
  if (!p) throw new InputError(`--ccache: "${o.ccache}" is not one of ${CCACHE_POLICIES.join(', ')}`);
  return p;
}

interface Common {
  out?: string;
  filter?: string;
  jobs: number;
  json?: boolean;
  cache: string;
  verbose?: boolean;
  setup: boolean;
  rebuild?: boolean;
  verify?: boolean;
  resume?: boolean;
  thorough?: boolean;
  incremental?: boolean;
  ccache?: string | false;
  shard?: string;
  probeEnv?: string[];
  timings?: string;
}

function addCommon(cmd: Command): Command {
  return cmd
    .option(
      '--out <dir>',
      'where results.json, journal.jsonl and report.html go (default: reports/<matrix name>)',
    )
    .option(
      '--filter <expr>',
      'select cells: axis=glob[|glob], axis!=glob, joined by commas; axes: glibc, variant, link, scenario, stage',
    )
    .option('--jobs <n>', 'builds to work on at once', positiveInt, 2)
    .option('--json', 'machine-readable output on stdout (progress stays on stderr)')
    .option('--cache <dir>', 'the build and probe cache', defaultCacheDir())
    .option('--no-setup', 'never install or start a Docker engine; fail instead')
    .option('-v, --verbose', 'more progress detail');
}

export function buildProgram(): Command {
  const program = new Command('rseq-matrix')
    .description(
      'Builds glibc variants in Docker and measures when and where rseq(2) is registered during start-up.',
    )
    .version(TOOL_VERSION)
    .showHelpAfterError()
    .exitOverride();

  addCommon(program.command('run').argument('<matrix>', 'a matrix file (YAML)'))
    .option('--rebuild', 'build every glibc of the selected cells again, even where the cache has it')
    .option(
      '--verify',
      "check every cached build's installed files by sha256, not only by size and mtime (a damaged one is built again)",
    )
    .option(
      '--resume',
      'keep the cells an earlier, interrupted run of the same matrix saved in --out; run the rest',
    )
    .option(
      '--thorough',
      "also run the long client stages (client:param_test, the selftests' run_param_test.sh)",
    )
    .option(
      '--no-incremental',
      'build patched variants from the tarball instead of from the unpatched build tree',
    )
    .option(
      '--ccache <when>',
      'which builds compile through ccache: incremental (the default: variants built on their base tree), all (cold builds too: a rebuild of the same source is then mostly cache hits, at about 9 % on each cold build), off; results are the same either way',
    )
    .option('--no-ccache', 'compile without ccache (--ccache off)')
    .option(
      '--probe-env <KEY=VALUE...>',
      'add an environment variable to every probe and client process (e.g. LD_DEBUG=bindings); repeatable',
    )
    .option(
      '--shard <K/N>',
      'run only slice K of N of the selected cells (whole glibc x variant builds, dealt deterministically); join the slices with `merge`',
    )
    .option(
      '--timings <file>',
      "write the run's phase timings here as JSON {wallMs, spans} (engine, builds, containers, probes, results, report)",
    )
    .description('run a matrix: build, probe, judge every cell; writes results.json and the report')
    .action(async (matrix: string, o: Common, cmd: Command) => {
      const timer = o.timings ? new TimingRecorder() : NO_TIMING;
      // From the process's start to here: Node, the harness's modules, the command line.
      timer.add('startup', undefined, 0, timer.now());
      const shard = o.shard === undefined ? undefined : parseShard(o.shard);
      const log = stderrLog({ verbose: o.verbose });
      const progress = buildProgress(log);
      const outcome = await runMatrix({
        rebuild: o.rebuild ?? false,
        verify: o.verify ?? false,
        resume: o.resume ?? false,
        thorough: o.thorough ?? false,
        probeEnv: parseProbeEnv(o.probeEnv ?? []),
        incremental: o.incremental ?? true,
        ccache: ccachePolicy(o),
        ...(shard ? { shard } : {}),
        ...(o.timings ? { timer } : {}),
        progress: progress.report,
        matrixPath: matrix,
        outDir: o.out,
        filter: o.filter,
        jobs: o.jobs,
        cacheDir: o.cache,
        autoSetup: o.setup,
        log,
        argv: process.argv.slice(2),
        writeReport: await reportWriter(),
      }).finally(() => progress.done());
      const outputStart = timer.now();
      const r = outcome.results;
      if (o.json) {
        process.stdout.write(
          `${JSON.stringify({
            exitCode: outcome.exitCode,
            results: outcome.resultsPath,
            report: outcome.reportPath ?? null,
            summary: r.summary,
            notPassing: r.cells
              .filter((c) => c.status === 'fail' || c.status === 'error')
              .map((c) => ({ id: c.id, status: c.status, reason: c.reason })),
          })}\n`,
        );
      } else {
        process.stdout.write(`${summaryTable(r)}\n\nresults: ${outcome.resultsPath}\n`);
        if (outcome.reportPath) process.stdout.write(`report: ${outcome.reportPath}\n`);
      }
      void cmd;
      process.exitCode = outcome.exitCode;
      timer.add('output', undefined, outputStart, timer.now());
      if (o.timings && timer instanceof TimingRecorder) {
        await mkdir(dirname(resolve(o.timings)), { recursive: true });
        await writeFile(o.timings, `${JSON.stringify(timer.result())}\n`);
      }
    });

  addCommon(
    program
      .command('review')
      .argument(
        '<series>',
        'a patch series: an mbox (git format-patch --stdout, a list archive) or a folder of .patch files',
      ),
  )
    .requiredOption('--base <glibc>', 'the glibc entry of --matrix the series applies to, e.g. glibc-2.36')
    .option(
      '--matrix <file>',
      'the matrix the base entry comes from (and the plan: links, scenarios, stages)',
      'matrices/rseq.yaml',
    )
    .option('--plan <file>', "a matrix whose links, scenarios and stages replace --matrix's")
    .option(
      '--against <review>',
      "a previous version's review (review.json or its folder): what changed between them",
    )
    .option('--format <fmt>', 'what to print: text, markdown or json', 'text')
    .option('--thorough', 'also run the long client stages (client:param_test)')
    .option('--ccache <when>', 'which builds compile through ccache: incremental (default), all, off')
    .option('--no-ccache', 'compile without ccache (--ccache off)')
    .description(
      'build the base and each prefix of a patch series, probe every stage, and say what each patch changes (review.html, review.md, review.json)',
    )
    .action(
      async (
        series: string,
        o: Common & { base: string; matrix: string; plan?: string; against?: string; format: string },
      ) => {
        const fmt = { text: formatReviewText, markdown: formatReviewMarkdown, json: null }[o.format];
        if (fmt === undefined)
          throw new InputError(`--format: "${o.format}" is not one of text, markdown, json`);
        if (o.shard) throw new InputError('--shard: a review runs whole; it has no shards');
        const log = stderrLog({ verbose: o.verbose });
        const progress = buildProgress(log);
        const r = await runReview({
          series,
          base: o.base,
          matrixPath: o.matrix,
          ...(o.plan ? { planPath: o.plan } : {}),
          ...(o.against ? { againstPath: o.against } : {}),
          ...(o.out ? { outDir: o.out } : {}),
          ...(o.filter ? { filter: o.filter } : {}),
          jobs: o.jobs,
          cacheDir: o.cache,
          autoSetup: o.setup,
          thorough: o.thorough ?? false,
          ccache: ccachePolicy(o),
          progress: progress.report,
          log,
          argv: process.argv.slice(2),
          writeReport: await reportWriter(),
        }).finally(() => progress.done());
        if (fmt)
          process.stdout.write(
            `${fmt(r.review, r.against).trimEnd()}\n\nreview: ${r.paths.html}\nmarkdown: ${r.paths.markdown}\njson: ${r.paths.json}\n`,
          );
        else
          process.stdout.write(
            `${JSON.stringify({ exitCode: r.exitCode, paths: r.paths, review: r.review, against: r.against ?? null })}\n`,
          );
        process.exitCode = r.exitCode;
      },
    );

  program
    .command('validate')
    .argument('<matrix>', 'a matrix file (YAML)')
    .option('--filter <expr>', 'also check a filter expression against the matrix')
    .option('--json', 'print the expanded cells as JSON')
    .option('--cache <dir>', 'the cache (for the kernels’ mirror indexes)', defaultCacheDir())
    .description(
      "check a matrix against the schema and expand it, and its Debian kernels against their suites' indexes; prints the number of cells",
    )
    .action(async (file: string, o: { filter?: string; json?: boolean; cache: string }) => {
      const m = await loadMatrix(file);
      await checkMatrixKernels(m, o.cache, stderrLog({ quiet: true }));
      const cells = selectCells(m.cells, o.filter ? parseFilter(o.filter) : undefined);
      if (o.json)
        process.stdout.write(`${JSON.stringify({ matrix: m.file, digest: m.digest, cells }, null, 1)}\n`);
      else {
        const skip = cells.filter((c) => c.expected.state === 'skip').length;
        process.stdout.write(`${m.file}: valid; ${cells.length} cells (${skip} not applicable)\n`);
      }
    });

  program
    .command('doctor')
    .description(
      'what the host has and lacks for a run (engine, kernel rseq, seccomp, debootstrap, disk), with fixes',
    )
    .option('--json', 'machine-readable output')
    .option('--cache <dir>', 'the build and probe cache', defaultCacheDir())
    .action(async (o: { json?: boolean; cache: string }) => {
      const checks = await runDoctor(o.cache);
      process.stdout.write(o.json ? `${JSON.stringify(checks)}\n` : `${formatChecks(checks)}\n`);
      process.exitCode = checks.every((c) => c.ok) ? 0 : 3;
    });

  program
    .command('setup')
    .description(
      'prepare this host (root, Debian): install docker.io and debootstrap, start dockerd --bridge=none',
    )
    .option(
      '--for-tests',
      'also install what the test suite needs: chromium, gcc, make, libc6-dev, valgrind, strace',
    )
    .action(async (o: { forTests?: boolean }) => {
      const log = stderrLog();
      if (o.forTests) {
        const why = canSetUpHost();
        const missing = missingTestPackages();
        if (why && missing.length > 0) {
          // Not root: install nothing; the tests that need the missing packages say so themselves
          // (a failure under CI=true, a skip with its reason elsewhere).
          log.warn(`cannot install ${missing.join(', ')} (${why}); tests that need them will say so`);
        } else await ensureTestPackages(log);
      }
      let engine: Awaited<ReturnType<typeof connectEngine>>;
      try {
        await ensureDebootstrap(log);
        engine = await connectEngine({ autoSetup: true, log });
      } catch (e) {
        // Before the tests, as a user who cannot install: the tests that need the engine or
        // debootstrap say so themselves. Under CI=true every prerequisite must be there.
        if (!o.forTests || process.env.CI === 'true' || !canSetUpHost()) throw e;
        log.warn(`${(e as Error).message}; tests that need it will say so`);
        return;
      }
      process.stdout.write(
        `docker engine ${engine.info.version} (API ${engine.info.apiVersion}) at ${engine.info.host}\n`,
      );
    });

  program
    .command('report')
    .argument('<results>', 'a results.json')
    .option('--baseline <results>', 'an earlier results.json: the report then opens with what changed')
    .option('--out <dir>', 'where report.html, junit.xml and results.tap go (default: beside the results)')
    .option('--title <text>', 'the report title')
    .description('write the HTML report (and JUnit XML, TAP) of a results file')
    .action(async (file: string, o: { baseline?: string; out?: string; title?: string }) => {
      const out = await writeReportsFromFiles(file, o.out ?? dirname(file), {
        ...(o.baseline ? { baselinePath: o.baseline } : {}),
        ...(o.title ? { title: o.title } : {}),
      });
      process.stdout.write(`report: ${out.html}\njunit: ${out.junit}\ntap: ${out.tap}\n`);
    });

  program
    .command('compare')
    .argument('<old>', 'the baseline results.json')
    .argument('<new>', 'the new results.json')
    .option('--format <fmt>', 'text, markdown or json', 'text')
    .option('--out <dir>', 'also write comparison.{txt,md,json} here')
    .description('cell-by-cell verdicts between two runs; exit 1 only on NEW-FAIL')
    .action(async (a: string, b: string, o: { format: string; out?: string }) => {
      const fmt = { text: formatText, markdown: formatMarkdown, json: formatJson }[o.format];
      if (!fmt) throw new InputError(`--format: "${o.format}" is not one of text, markdown, json`);
      const c = await compareFiles(a, b, o.out);
      process.stdout.write(`${fmt(c).trimEnd()}\n`);
      process.exitCode = exitCodeFor(c);
    });

  program
    .command('merge')
    .argument('<results...>', "each shard's results.json (from `run --shard K/N`)")
    .requiredOption('--out <dir>', 'where the merged results.json and its report go')
    .option('--json', 'machine-readable output on stdout')
    .description(
      'join the results of the shards of one run into one results.json (and report); refuses shards that do not fit together',
    )
    .action(async (files: string[], o: { out: string; json?: boolean }) => {
      const outDir = resolve(o.out);
      const inputs: ShardFile[] = [];
      for (const file of files) {
        if (dirname(resolve(file)) === outDir)
          throw new InputError(`--out: ${o.out} holds ${file}; merge into another folder`);
        inputs.push({ file, results: await readResults(file) });
      }
      const stamp = new Date().toISOString().replace(/[-:]/g, '').slice(0, 15);
      const merged = mergeShards(inputs, {
        id: `${stamp}-merged-${randomBytes(3).toString('hex')}`,
        argv: process.argv.slice(2),
        ...((await matrixOrder(inputs[0]?.results)) ?? {}),
      });
      await mkdir(outDir, { recursive: true });
      const resultsPath = writeResults(outDir, merged);
      const report = (await writeReports(merged, outDir)).html;
      const r = merged.run;
      const count = r.mergedFrom[0]?.shard.count ?? 0;
      if (o.json)
        process.stdout.write(
          `${JSON.stringify({ results: resultsPath, report, complete: r.complete, shards: r.mergedFrom.map((s) => shardLabel(s.shard)), missingShards: r.missingShards, summary: merged.summary })}\n`,
        );
      else {
        const s = merged.summary;
        process.stdout.write(
          `merged ${r.mergedFrom.length} of ${count} shards of ${r.matrix.name}: ${s.total} cells (${s.pass} pass, ${s.fail} fail, ${s.error} error, ${s.skip} skip), ${r.complete ? 'complete' : `incomplete: ${r.interrupted}`}\nresults: ${resultsPath}\nreport: ${report}\n`,
        );
      }
    });

  const cache = program.command('cache').description('show or trim the build cache');
  cache
    .command('ls')
    .description(
      'list what the cache holds: glibc builds, compiled probes and clients, selftest trees (oldest use first)',
    )
    .option('--cache <dir>', 'the build and probe cache', defaultCacheDir())
    .option('--json', 'machine-readable output')
    .action(async (o: { cache: string; json?: boolean }) => {
      const entries = await listCache(o.cache);
      if (o.json) process.stdout.write(`${JSON.stringify(entries)}\n`);
      else
        for (const e of entries)
          process.stdout.write(
            `${e.folder.padEnd(17)} ${e.key}  ${(e.bytes / 2 ** 20).toFixed(0).padStart(6)} MiB  ${e.mode.padEnd(11)} used ${e.lastUsed.slice(0, 16)}  ${e.description}${e.hasTree ? ' [trees kept]' : ''}\n`,
          );
    });
  cache
    .command('gc')
    .description(
      'remove leftovers of dead runs (temporary entries, partial downloads, stale locks) and entries of every kind not used for --days days',
    )
    .option('--cache <dir>', 'the build and probe cache', defaultCacheDir())
    .option('--days <n>', 'keep entries used within this many days', positiveInt, 30)
    .action(async (o: { cache: string; days: number }) => {
      const r = await gcCache(o.cache, o.days);
      process.stdout.write(`removed ${r.removed.length} entries, ${(r.freed / 2 ** 20).toFixed(0)} MiB\n`);
    });

  return program;
}

/**
 * The matrix's cell order for a merge, when the matrix file the shards ran is still at its path and
 * unchanged (same digest); otherwise the merge keeps shard order.
 */
async function matrixOrder(r: Results | undefined): Promise<{ order: string[] } | undefined> {
  if (!r) return undefined;
  try {
    const m = await loadMatrix(r.run.matrix.path);
    return m.digest === r.run.matrix.digest ? { order: m.cells.map((c) => c.id) } : undefined;
  } catch {
    return undefined;
  }
}

/** report.html, junit.xml and results.tap beside results.json. */
async function reportWriter() {
  return async (r: Results, dir: string) => (await writeReports(r, dir)).html;
}

/** `--probe-env KEY=VALUE` options as an environment; a malformed one is a usage error. */
export function parseProbeEnv(items: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const item of items) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(item);
    if (!m) throw new InputError(`--probe-env: "${item}" is not KEY=VALUE`);
    env[m[1] as string] = m[2] as string;
  }
  return env;
}
