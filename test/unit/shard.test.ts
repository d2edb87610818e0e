/**
 * --shard and merge, pure: the slicing (partition, balance, stability), the merge and its refusals.
 * The default matrix through the built CLI: test/cli/shard.test.ts; for real (the stock matrix
 * unsharded and in 3 shards, merged, must give the same cells and verdicts): test/engine/shard.test.ts.
 */
import t, { type Test } from 'tap';
import { compareRuns, exitCodeFor } from '../../harness/compare/compare.js';
import type { Results } from '../../harness/model/results.js';
import { cloneResults, generateResults } from '../../harness/report/synthetic.js';
import {
  buildGroupId,
  type MergedResults,
  mergeShards,
  parseShard,
  planShards,
  type ShardFile,
  shardCells,
} from '../../harness/results/merge.js';
import { summarize } from '../../harness/results/store.js';
import { InputError } from '../../harness/util/errors.js';

/** The InputError fn throws, for an exact comparison of its message. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

function throwsExactly(t: Test, fn: () => unknown, message: string, what: string): void {
  const e = thrown(fn);
  t.ok(e instanceof InputError, `${what}: an InputError`);
  t.equal((e as Error | undefined)?.message, message, what);
}

t.test('parseShard: K/N, 1-based on the command line, 0-based in the results', async (t) => {
  t.same(parseShard('1/3'), { index: 0, count: 3 });
  t.same(parseShard('3/3'), { index: 2, count: 3 });
  t.same(parseShard('1/1'), { index: 0, count: 1 });
  t.same(parseShard(' 2 / 5 '), { index: 1, count: 5 });
  const bad: [string, string][] = [
    ['0/3', '--shard: "0/3": K must be from 1 to 3'],
    ['4/3', '--shard: "4/3": K must be from 1 to 3'],
    ['1/0', '--shard: "1/0": N must be at least 1'],
    ['x', '--shard: "x" is not K/N (this run\'s slice K of N, e.g. 1/3)'],
    ['1/', '--shard: "1/" is not K/N (this run\'s slice K of N, e.g. 1/3)'],
    ['-1/3', '--shard: "-1/3" is not K/N (this run\'s slice K of N, e.g. 1/3)'],
    ['1.5/3', '--shard: "1.5/3" is not K/N (this run\'s slice K of N, e.g. 1/3)'],
    ['', '--shard: "" is not K/N (this run\'s slice K of N, e.g. 1/3)'],
  ];
  for (const [text, message] of bad) throwsExactly(t, () => parseShard(text), message, text);
});

/**
 * 8 glibc x 10 variants = 80 build groups of 48 cells each (two links x the stages, some of them skips):
 * one scenario keeps the 3,840 cells cheap for tap's deep comparisons, and the 80 groups are what the
 * slicing works on.
 */
const big = generateResults({ scenarios: ['default'] });

function shuffled<T>(a: readonly T[], seed: number): T[] {
  const out = [...a];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

t.test('the shards partition the cells exactly, by whole build groups, balanced', async (t) => {
  const cells = big.cells;
  const groups = new Set(cells.map(buildGroupId));
  t.equal(groups.size, 80);
  const weight = new Map<string, number>();
  for (const c of cells)
    weight.set(buildGroupId(c), (weight.get(buildGroupId(c)) ?? 0) + (c.expected.state === 'skip' ? 0 : 1));
  const heaviest = Math.max(...weight.values());
  for (const n of [1, 2, 3, 7, 80, 100]) {
    const seen = new Map<string, number>();
    const groupShard = new Map<string, number>();
    const loads: number[] = [];
    for (let k = 0; k < n; k++) {
      const mine = shardCells(cells, { index: k, count: n });
      loads.push(mine.filter((c) => c.expected.state !== 'skip').length);
      for (const c of mine) {
        seen.set(c.id, (seen.get(c.id) ?? 0) + 1);
        const g = groupShard.get(buildGroupId(c));
        if (g !== undefined && g !== k)
          t.fail(`${buildGroupId(c)} is split between shards ${g + 1} and ${k + 1}`);
        groupShard.set(buildGroupId(c), k);
      }
    }
    t.equal(seen.size, cells.length, `N=${n}: every cell is in a shard`);
    t.ok(
      [...seen.values()].every((x) => x === 1),
      `N=${n}: no cell is in two shards`,
    );
    t.ok(
      Math.max(...loads) - Math.min(...loads) <= heaviest,
      `N=${n}: loads ${loads.join(',')} within one group`,
    );
    const empty = planShards(cells, n).filter((g) => g.length === 0).length;
    t.equal(empty, Math.max(0, n - groups.size), `N=${n}: only shards beyond the number of groups are empty`);
  }
});

t.test('the same K/N always gives the same slice, whatever the order of the cells', async (t) => {
  // Compared as one string each: tap's deep comparison of arrays this large takes seconds.
  const ids = (cells: readonly { id: string }[]) =>
    cells
      .map((c) => c.id)
      .sort()
      .join('\n');
  for (const n of [2, 3, 5]) {
    const plan = JSON.stringify(planShards(big.cells, n));
    for (const seed of [1, 2, 3]) {
      const cells = shuffled(big.cells, seed);
      t.equal(JSON.stringify(planShards(cells, n)), plan, `N=${n} seed ${seed}: the same plan`);
      for (let k = 0; k < n; k++)
        t.equal(
          ids(shardCells(cells, { index: k, count: n })),
          ids(shardCells(big.cells, { index: k, count: n })),
          `N=${n} seed ${seed}: shard ${k + 1} holds the same cells`,
        );
    }
  }
  // shardCells keeps the cells' own order
  const mine = shardCells(big.cells, { index: 1, count: 3 });
  const pos = new Map(big.cells.map((c, i) => [c.id, i]));
  t.ok(
    mine.every(
      (c, i) => i === 0 || (pos.get(c.id) as number) > (pos.get(mine[i - 1]?.id as string) as number),
    ),
  );
});

t.test(
  'the deal, exactly: heaviest first to the lightest shard; skip-only groups weigh nothing',
  async (t) => {
    const cell = (glibc: string, n: number, skips = 0) =>
      Array.from({ length: n + skips }, (_, i) => ({
        id: `${glibc}/x/${i}`,
        glibc,
        variant: 'x',
        expected: { state: i < n ? 'registered' : 'skip' },
      }));
    const cells = [...cell('e', 0, 4), ...cell('d', 1, 2), ...cell('c', 2), ...cell('b', 2), ...cell('a', 3)];
    // a(3) -> 1; b(2) -> 2; c(2) -> 2 (2 < 3); d(1) -> 1 (3 < 4); e(0) -> loads 4,4 and 2 groups each -> 1.
    t.same(planShards(cells, 2), [
      ['a/x', 'd/x', 'e/x'],
      ['b/x', 'c/x'],
    ]);
    t.same(planShards(cells, 1), [['a/x', 'b/x', 'c/x', 'd/x', 'e/x']]);
    t.same(
      planShards(cells, 6).map((s) => s.length),
      [1, 1, 1, 1, 1, 0],
    );
  },
);

/** Splits a run into N shard runs, as `run --shard K/N` would have made them. */
function split(r: Results, n: number, files = (k: number) => `s${k + 1}/results.json`): ShardFile[] {
  return Array.from({ length: n }, (_, index) => {
    const s = cloneResults(r);
    s.run.id = `${r.run.id}-s${index + 1}`;
    s.run.shard = { index, count: n };
    s.cells = shardCells(s.cells, { index, count: n });
    const groups = new Set(s.cells.map(buildGroupId));
    s.builds = s.builds.filter((b) => groups.has(buildGroupId(b)));
    s.summary = summarize(s.cells);
    s.environment.hostname = `runner-${index + 1}`;
    return { file: files(index), results: s };
  });
}

const opts = { id: 'merged-1', argv: ['merge'] };

t.test('merge joins the shards back into the run', async (t) => {
  const shards = split(big, 3);
  const m: MergedResults = mergeShards([shards[2], shards[0], shards[1]] as ShardFile[], {
    ...opts,
    order: big.cells.map((c) => c.id),
  });
  t.same(
    m.cells.map((c) => c.id),
    big.cells.map((c) => c.id),
    'with the matrix order, the cells are in matrix order',
  );
  t.same(m.cells, big.cells, 'every cell as it was measured');
  t.same(m.summary, big.summary);
  t.equal(m.builds.length, big.builds.length);
  t.equal(m.run.complete, true);
  t.equal(m.run.interrupted, null);
  t.equal(m.run.shard, null);
  t.equal(m.run.id, 'merged-1');
  t.same(m.run.missingShards, []);
  t.same(
    m.run.mergedFrom.map((s) => [s.file, s.shard, s.hostname]),
    [
      ['s1/results.json', { index: 0, count: 3 }, 'runner-1'],
      ['s2/results.json', { index: 1, count: 3 }, 'runner-2'],
      ['s3/results.json', { index: 2, count: 3 }, 'runner-3'],
    ],
  );
  t.equal(m.environment.hostname, 'runner-1, runner-2, runner-3');
  t.equal(exitCodeFor(compareRuns(big, m)), 0);
  t.equal(compareRuns(big, m).counts['NEW-FAIL'], 0);
  // Without an order: shard 1's cells first, then shard 2's, ...
  const plain = mergeShards(shards, opts);
  t.same(
    plain.cells.map((c) => c.id),
    shards.flatMap((s) => s.results.cells.map((c) => c.id)),
  );
});

t.test('a merge without every shard, or with an interrupted one, is incomplete', async (t) => {
  const shards = split(big, 3);
  const m = mergeShards([shards[0], shards[2]] as ShardFile[], opts);
  t.equal(m.run.complete, false);
  t.same(m.run.missingShards, ['2/3']);
  t.equal(m.run.interrupted, 'missing shard 2/3');
  t.equal(m.cells.length, (shards[0]?.results.cells.length ?? 0) + (shards[2]?.results.cells.length ?? 0));
  const c = compareRuns(big, m);
  t.match(c.warnings.join('\n'), 'this run is incomplete (missing shard 2/3)');
  const cut = split(big, 3);
  const s2 = cut[1]?.results as Results;
  s2.run.complete = false;
  s2.run.interrupted = 'SIGTERM';
  s2.cells = s2.cells.slice(0, 5);
  const i = mergeShards(cut, opts);
  t.equal(i.run.complete, false);
  t.equal(i.run.interrupted, 'incomplete shard 2/3 (SIGTERM)');
  const only = mergeShards([cut[2]] as ShardFile[], opts);
  t.equal(only.run.interrupted, 'missing shards 1/3, 2/3');
});

t.test('merge refuses what does not fit, naming the file', async (t) => {
  const refuse = (inputs: ShardFile[], message: string, what: string) =>
    throwsExactly(t, () => mergeShards(inputs, opts), message, what);
  const fresh = () => split(big, 3);

  let s = fresh();
  (s[1] as ShardFile).results.run.matrix.digest = 'sha256:0123456789abcdef';
  const d0 = big.run.matrix.digest.slice(0, 12);
  refuse(
    s,
    `s2/results.json: run.matrix.digest: matrix "${big.run.matrix.name}" (sha256:01234) is not the matrix of s1/results.json ("${big.run.matrix.name}", ${d0}); shards of different matrices cannot be merged`,
    'different matrices',
  );

  s = fresh();
  (s[2] as ShardFile).results.schemaVersion = 3;
  refuse(
    s,
    's3/results.json: schemaVersion: this is version 3; this rseq-matrix merges version 2',
    'another schema version',
  );

  s = fresh();
  (s[0] as ShardFile).results.run.shard = null;
  refuse(
    s,
    's1/results.json: run.shard: not a shard (that run had no --shard); merge joins the shards of one sharded run',
    'an unsharded run',
  );

  s = fresh();
  refuse(
    [s[0], s[1], { ...(s[1] as ShardFile), file: 'copy/results.json' }] as ShardFile[],
    'copy/results.json: run.shard: shard 2/3 is given twice (also s2/results.json); shards must not overlap',
    'the same shard twice',
  );

  s = fresh();
  const four = split(big, 4, (k) => `four${k + 1}/results.json`);
  refuse(
    [s[0], four[1]] as ShardFile[],
    "four2/results.json: run.shard: shard 2/4 does not go with s1/results.json's 1/3 (a different shard count: the slices overlap)",
    'different shard counts',
  );

  s = fresh();
  const stolen = (s[0] as ShardFile).results.cells[0];
  (s[1] as ShardFile).results.cells.push(JSON.parse(JSON.stringify(stolen)));
  refuse(
    s,
    `s2/results.json: cells: cell ${stolen?.id} is also in s1/results.json; shards must not overlap`,
    'a cell in two shards',
  );

  s = fresh();
  const cells = (s[2] as ShardFile).results.cells;
  cells.push(JSON.parse(JSON.stringify(cells[0])));
  refuse(s, `s3/results.json: cells: duplicate cell ${cells[0]?.id}`, 'a cell twice in one shard');

  s = fresh();
  (s[1] as ShardFile).results.run.filter = 'link=static';
  refuse(
    s,
    `s2/results.json: run.filter: "link=static" differs from s1/results.json's no filter; shards must select the same cells`,
    'different filters',
  );

  refuse([], 'merge: no results files given', 'nothing');
});
