/**
 * Compiling the probe suite against a build, and running a container's worth of probes.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { constants } from 'node:os';
import { join, relative } from 'node:path';
import type { ReadyBuild } from '../build/build.js';
import type { ContainerSession } from '../docker/containers.js';
import { tail } from '../docker/host-setup.js';
import type { Link, ScenarioDef } from '../matrix/catalogue.js';
import type { Observation, ProbeRun } from '../results/types.js';
import { parseObservations } from './parse.js';
import {
  decodeExit,
  IN_CONTAINER,
  type Invocation,
  type InvocationTable,
  invocationFor,
  parseStatus,
  runnerScript,
} from './plan.js';
import { seccompProfile } from './seccomp.js';

export async function readInvocationTable(probesDir: string): Promise<InvocationTable> {
  return JSON.parse(await readFile(join(probesDir, 'stages.json'), 'utf8')) as InvocationTable;
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(p)));
    else if (e.isFile()) out.push(p);
  }
  return out.sort();
}

/** A digest of the probe suite's sources: part of the compiled probes' cache key. */
export async function probeSourceDigest(probesDir: string): Promise<string> {
  const h = createHash('sha256');
  for (const f of await filesUnder(probesDir)) h.update(relative(probesDir, f)).update('\0').update(await readFile(f));
  return h.digest('hex').slice(0, 16);
}

export class ProbeError extends Error {
  constructor(
    message: string,
    readonly logTail: string,
  ) {
    super(message);
  }
}

/** The probe binaries for a build, compiled once and kept in the cache under a key of (build, sources). */
export async function compileProbes(
  session: ContainerSession,
  build: ReadyBuild,
  probesDir: string,
  cacheDir: string,
): Promise<{ binDir: string; cached: boolean; durationMs: number }> {
  const started = Date.now();
  const key = `${build.key}-${await probeSourceDigest(probesDir)}`;
  const binDir = join(cacheDir, 'probes', key);
  if (existsSync(join(binDir, '.complete'))) return { binDir, cached: true, durationMs: 0 };
  const tmp = join(cacheDir, 'probes', `.tmp-${key}-${randomBytes(4).toString('hex')}`);
  await mkdir(tmp, { recursive: true });
  try {
    const vars = Object.entries(build.probeMakeVars).map(([k, v]) => `${k}=${v}`);
    const r = await session.run({
      image: build.image,
      cmd: ['make', '-s', '-C', '/rm/src', `OUT=${IN_CONTAINER.bin}`, ...vars],
      binds: [`${probesDir}:/rm/src:ro`, `${tmp}:${IN_CONTAINER.bin}`, ...build.binds],
      network: 'none',
      timeoutMs: 300_000,
      purpose: `compile probes for ${build.glibc}/${build.variant}`,
    });
    if (r.exitCode !== 0)
      throw new ProbeError(
        `compiling the probes failed (${r.timedOut ? 'timed out' : `exit ${r.exitCode}`})`,
        tail(`${r.stdout}\n${r.stderr}`, 30),
      );
    await writeFile(join(tmp, '.complete'), `${new Date().toISOString()}\n`);
    try {
      await rename(tmp, binDir);
    } catch {
      // Another run published the same key first: theirs is as good as ours.
      if (!existsSync(join(binDir, '.complete'))) throw new Error(`cannot publish ${binDir}`);
    }
    return { binDir, cached: false, durationMs: Date.now() - started };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

export interface ProbeCellInput {
  id: string;
  stage: string;
  link: Link;
}

export interface ProbeCellOutput {
  observations: Observation[];
  garbage: string[];
  run?: ProbeRun;
  /** Why there is no run for this cell. */
  failure?: string;
  logTail?: string;
}

function signalName(n: number): string {
  return Object.entries(constants.signals).find(([, v]) => v === n)?.[0] ?? `signal ${n}`;
}

/** Runs the probes of many cells of one build and scenario in a single container. */
export async function runProbes(opts: {
  session: ContainerSession;
  build: ReadyBuild;
  binDir: string;
  workDir: string;
  scenario: ScenarioDef;
  cells: readonly ProbeCellInput[];
  table: InvocationTable;
  timeoutSec: number;
}): Promise<Map<string, ProbeCellOutput>> {
  const { session, build, binDir, workDir, scenario, cells, table, timeoutSec } = opts;
  const results = new Map<string, ProbeCellOutput>();
  const invocations: (Invocation & { cell: string })[] = [];
  for (const c of cells) {
    const inv = invocationFor(table, c.stage, c.link, scenario);
    if (!inv) {
      results.set(c.id, { observations: [], garbage: [], failure: `the probe suite has no probe for stage ${c.stage} (${c.link})` });
      continue;
    }
    invocations.push({ ...inv, id: `${c.link}-${c.stage}`, cell: c.id });
  }
  if (invocations.length === 0) return results;
  await mkdir(workDir, { recursive: true });
  await writeFile(join(workDir, 'run.sh'), runnerScript(invocations, timeoutSec), { mode: 0o755 });
  const seccomp = scenario.seccompRseqErrno ? seccompProfile(scenario.seccompRseqErrno) : undefined;
  const r = await session.run({
    image: build.image,
    cmd: ['/bin/bash', `${IN_CONTAINER.out}/run.sh`],
    binds: [`${binDir}:${IN_CONTAINER.bin}:ro`, `${workDir}:${IN_CONTAINER.out}`, ...build.binds],
    network: 'none',
    ...(seccomp ? { seccompProfile: seccomp } : {}),
    timeoutMs: (invocations.length * (timeoutSec + 3) + 30) * 1000,
    purpose: `probe ${build.glibc}/${build.variant} ${scenario.id}`,
  });
  const statusText = await readFile(join(workDir, 'status.tsv'), 'utf8').catch(() => '');
  const status = parseStatus(statusText);
  for (const inv of invocations) {
    const st = status.get(inv.id);
    if (!st) {
      results.set(inv.cell, {
        observations: [],
        garbage: [],
        failure: r.timedOut
          ? 'the probe container hit its time limit before this probe ran'
          : `the probe container ended (exit ${r.exitCode}) before this probe ran`,
        logTail: tail(`${r.stdout}\n${r.stderr}`),
      });
      continue;
    }
    const read = (ext: string) => readFile(join(workDir, 'obs', `${inv.id}.${ext}`), 'utf8').catch(() => '');
    const parsed = parseObservations(await read('jsonl'));
    const stderr = await read('stderr');
    results.set(inv.cell, {
      ...parsed,
      run: {
        command: inv.display,
        ...decodeExit(st.rc, signalName),
        durationMs: Math.round(st.durationMs * 10) / 10,
        stderrTail: tail(stderr, 15),
      },
    });
  }
  return results;
}
