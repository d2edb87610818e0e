/**
 * Sharding a run across machines, and joining the shards again. Pure: no I/O.
 *
 * `run --shard K/N` runs one slice of the selected cells. The unit of a slice is a BUILD GROUP (one
 * glibc x variant x kernel: one build and one probe compile, probed on one kernel; model/cell.ts
 * groupId), never a single cell, so a shard builds only what it probes. The groups of one build on two
 * kernels may fall to two shards: both then build it (the second from the cache when they share one),
 * and the merged run keeps that build once. The groups are dealt deterministically, balanced by the
 * cells they probe (skipped cells cost nothing): heaviest group first, each to the lightest shard so far
 * (ties: the shard with fewer groups, then the lower index), groups of equal weight in id order. The N slices partition the
 * selected cells exactly, and the same matrix, filter and K/N always give the same slice. A shard can
 * be empty (more shards than groups): it writes a results file with no cells.
 *
 * `merge` joins the results files of the shards of one run: same schema version, same matrix (digest),
 * same filter, same shard count, each shard at most once, each cell at most once. The merged run lists
 * its shards in `run.mergedFrom` and is complete only when all N shards are there and complete.
 *
 * `run.shard.index` is 0-based (the report prints index + 1); `--shard` and every message are 1-based.
 */

import { type GroupCoords, groupId } from '../model/cell.js';
import { type BuildResult, RESULTS_SCHEMA_VERSION, type Results } from '../model/results.js';
import { InputError } from '../util/errors.js';

export interface Shard {
  /** 0-based. */
  index: number;
  count: number;
}

/** `K/N` (1 <= K <= N) as given to --shard. */
export function parseShard(text: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const k = m ? Number(m[1]) : Number.NaN;
  const n = m ? Number(m[2]) : Number.NaN;
  if (!m || !Number.isSafeInteger(k) || !Number.isSafeInteger(n))
    throw new InputError(`--shard: "${text}" is not K/N (this run's slice K of N, e.g. 1/3)`);
  if (n < 1) throw new InputError(`--shard: "${text}": N must be at least 1`);
  if (k < 1 || k > n) throw new InputError(`--shard: "${text}": K must be from 1 to ${n}`);
  return { index: k - 1, count: n };
}

/** "K/N", 1-based, as a person writes it. */
export function shardLabel(s: Shard): string {
  return `${s.index + 1}/${s.count}`;
}

interface GroupableCell extends GroupCoords {
  expected: { state: string };
}

/**
 * The build group a cell belongs to: its glibc x variant x kernel, glibc/variant on the host kernel
 * (model/cell.ts groupId). A build result (no kernel) names the group of its build on the host kernel.
 */
export function buildGroupId(c: GroupCoords): string {
  return groupId(c);
}

function byString(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Which build groups each shard gets: `count` lists of group ids, each sorted by id. */
export function planShards(cells: readonly GroupableCell[], count: number): string[][] {
  if (!Number.isSafeInteger(count) || count < 1) throw new RangeError(`shard count ${count}`);
  const weight = new Map<string, number>();
  for (const c of cells) {
    const g = buildGroupId(c);
    weight.set(g, (weight.get(g) ?? 0) + (c.expected.state === 'skip' ? 0 : 1));
  }
  const groups = [...weight.entries()].sort((a, b) => b[1] - a[1] || byString(a[0], b[0]));
  const load: number[] = new Array(count).fill(0);
  const shards: string[][] = Array.from({ length: count }, () => []);
  for (const [id, w] of groups) {
    let best = 0;
    for (let i = 1; i < count; i++) {
      const d = (load[i] as number) - (load[best] as number);
      if (d < 0 || (d === 0 && (shards[i] as string[]).length < (shards[best] as string[]).length)) best = i;
    }
    load[best] = (load[best] as number) + w;
    (shards[best] as string[]).push(id);
  }
  for (const s of shards) s.sort(byString);
  return shards;
}

/** The cells of one shard, in their given order. */
export function shardCells<T extends GroupableCell>(cells: readonly T[], shard: Shard): T[] {
  const mine = new Set(planShards(cells, shard.count)[shard.index] ?? []);
  return cells.filter((c) => mine.has(buildGroupId(c)));
}

/** One shard as the merged run remembers it. */
export interface MergedShard {
  file: string;
  id: string;
  /** 0-based, like run.shard. */
  shard: Shard;
  complete: boolean;
  interrupted: string | null;
  cells: number;
  startedAt: string;
  finishedAt: string | null;
  hostname: string;
  kernel: string;
  docker: { version: string | null; host: string };
}

export type MergedResults = Results & {
  run: Results['run'] & {
    /** The shards this run was joined from, by shard index. */
    mergedFrom: MergedShard[];
    /** 1-based labels of the shards that no file was given for ("2/3"). */
    missingShards: string[];
  };
};

export interface ShardFile {
  /** How messages name the file (its path). */
  file: string;
  results: Results;
}

export interface MergeOptions {
  /** The merged run's id (the caller makes it unique). */
  id: string;
  /** How the merge was started, kept as run.argv. */
  argv: string[];
  /** Cell ids in matrix order, when the matrix is at hand; else shard order (shard 1's cells first). */
  order?: readonly string[];
}

function joined(values: readonly (string | null)[]): string | null {
  const u = [...new Set(values.filter((v): v is string => v !== null))];
  return u.length ? u.join(', ') : null;
}

/**
 * One result per build key, in first-seen order: a build whose groups (one per kernel) fell to several
 * shards was built by each. An ok one is kept over a failed one (a build that failed in one shard and
 * worked in another did work); of equals, the first.
 */
export function uniqueBuilds(builds: readonly BuildResult[]): BuildResult[] {
  const byKey = new Map<string, BuildResult>();
  for (const b of builds) {
    const had = byKey.get(b.key);
    if (!had || (had.status === 'error' && b.status === 'ok')) byKey.set(b.key, b);
  }
  return [...byKey.values()];
}

/** Joins the shards of one run; throws InputError (one line, naming the file) on anything that does not fit. */
export function mergeShards(inputs: readonly ShardFile[], opts: MergeOptions): MergedResults {
  const first = inputs[0];
  if (!first) throw new InputError('merge: no results files given');
  for (const { file, results: r } of inputs) {
    if (r.schemaVersion !== RESULTS_SCHEMA_VERSION)
      throw new InputError(
        `${file}: schemaVersion: this is version ${JSON.stringify(r.schemaVersion)}; this rseq-matrix merges version ${RESULTS_SCHEMA_VERSION}`,
      );
    if (!r.run.shard)
      throw new InputError(
        `${file}: run.shard: not a shard (that run had no --shard); merge joins the shards of one sharded run`,
      );
  }
  const f0 = first.results;
  const byIndex = new Map<number, ShardFile>();
  const cellFrom = new Map<string, string>();
  for (const input of inputs) {
    const { file, results: r } = input;
    const shard = r.run.shard as Shard;
    if (r.run.matrix.digest !== f0.run.matrix.digest)
      throw new InputError(
        `${file}: run.matrix.digest: matrix "${r.run.matrix.name}" (${r.run.matrix.digest.slice(0, 12)}) is not the matrix of ${first.file} ("${f0.run.matrix.name}", ${f0.run.matrix.digest.slice(0, 12)}); shards of different matrices cannot be merged`,
      );
    if (r.run.filter !== f0.run.filter)
      throw new InputError(
        `${file}: run.filter: ${r.run.filter === null ? 'no filter' : `"${r.run.filter}"`} differs from ${first.file}'s ${f0.run.filter === null ? 'no filter' : `"${f0.run.filter}"`}; shards must select the same cells`,
      );
    const count0 = (f0.run.shard as Shard).count;
    if (shard.count !== count0)
      throw new InputError(
        `${file}: run.shard: shard ${shardLabel(shard)} does not go with ${first.file}'s ${shardLabel(f0.run.shard as Shard)} (a different shard count: the slices overlap)`,
      );
    const same = byIndex.get(shard.index);
    if (same)
      throw new InputError(
        `${file}: run.shard: shard ${shardLabel(shard)} is given twice (also ${same.file}); shards must not overlap`,
      );
    byIndex.set(shard.index, input);
    const own = new Set<string>();
    for (const c of r.cells) {
      if (own.has(c.id)) throw new InputError(`${file}: cells: duplicate cell ${c.id}`);
      own.add(c.id);
      const other = cellFrom.get(c.id);
      if (other !== undefined)
        throw new InputError(`${file}: cells: cell ${c.id} is also in ${other}; shards must not overlap`);
      cellFrom.set(c.id, file);
    }
  }

  const shards = [...byIndex.entries()].sort((a, b) => a[0] - b[0]).map(([, s]) => s);
  const count = (f0.run.shard as Shard).count;
  const missingShards: string[] = [];
  for (let i = 0; i < count; i++) if (!byIndex.has(i)) missingShards.push(shardLabel({ index: i, count }));

  const cells = shards.flatMap((s) => s.results.cells);
  if (opts.order) {
    const pos = new Map(opts.order.map((id, i) => [id, i]));
    const at = (id: string) => pos.get(id) ?? Number.MAX_SAFE_INTEGER;
    // Array.prototype.sort is stable: cells the order does not know keep their shard order, at the end.
    cells.sort((a, b) => at(a.id) - at(b.id));
  }
  const summary = { pass: 0, fail: 0, error: 0, skip: 0, total: cells.length };
  for (const c of cells) summary[c.status]++;

  const runs = shards.map((s) => s.results);
  const startedAt = runs.map((r) => r.run.startedAt).sort(byString)[0] as string;
  const ends = runs.map((r) => r.run.finishedAt).filter((e): e is string => e !== null);
  const finishedAt = ends.length < runs.length ? null : (ends.sort(byString).at(-1) as string);
  const interrupted = joined(runs.map((r) => r.run.interrupted));
  const incompleteShards = shards.filter((s) => !s.results.run.complete);
  const why = [
    ...(missingShards.length
      ? [`missing shard${missingShards.length > 1 ? 's' : ''} ${missingShards.join(', ')}`]
      : []),
    ...(incompleteShards.length
      ? [
          `incomplete shard${incompleteShards.length > 1 ? 's' : ''} ${incompleteShards
            .map((s) => shardLabel(s.results.run.shard as Shard))
            .join(', ')}${interrupted ? ` (${interrupted})` : ''}`,
        ]
      : []),
  ];
  const env0 = f0.environment;
  const envs = runs.map((r) => r.environment);
  return {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    run: {
      id: opts.id,
      startedAt,
      finishedAt,
      durationMs: finishedAt ? Date.parse(finishedAt) - Date.parse(startedAt) : 0,
      matrix: { ...f0.run.matrix },
      argv: opts.argv,
      filter: f0.run.filter,
      shard: null,
      complete: why.length === 0,
      // Read by the report and by compare's warnings as "why this run is incomplete".
      interrupted: why.length ? why.join('; ') : null,
      mergedFrom: shards.map(({ file, results: r }) => ({
        file,
        id: r.run.id,
        shard: r.run.shard as Shard,
        complete: r.run.complete,
        interrupted: r.run.interrupted,
        cells: r.cells.length,
        startedAt: r.run.startedAt,
        finishedAt: r.run.finishedAt,
        hostname: r.environment.hostname,
        kernel: r.environment.kernel,
        docker: { version: r.environment.docker.version, host: r.environment.docker.host },
      })),
      missingShards,
    },
    // One environment per shard is in run.mergedFrom; here the first shard's, with every host named.
    environment: {
      ...env0,
      hostname: joined(envs.map((e) => e.hostname)) ?? env0.hostname,
      kernel: joined(envs.map((e) => e.kernel)) ?? env0.kernel,
      docker: {
        ...env0.docker,
        version: joined(envs.map((e) => e.docker.version)),
        host: joined(envs.map((e) => e.docker.host)) ?? env0.docker.host,
      },
    },
    builds: uniqueBuilds(runs.flatMap((r) => r.builds)),
    // Shards deal whole groups, so each group's pipeline is in one shard's file.
    ...(runs.some((r) => r.groups) ? { groups: runs.flatMap((r) => r.groups ?? []) } : {}),
    cells,
    summary,
  };
}
