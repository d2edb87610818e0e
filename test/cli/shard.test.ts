/**
 * --shard on the real default matrix, expanded by the built CLI's validate (no engine): whole builds
 * per shard. (The slicing itself: test/unit/shard.test.ts; real sharded runs: test/engine/shard.test.ts.)
 */
import t from 'tap';
import { buildGroupId, shardCells } from '../../harness/results/merge.js';
import { runCli } from '../helpers/cli.js';

t.test('the real default matrix: whole builds per shard', async (t) => {
  // Through the built CLI: harness/util/paths.ts finds patches/ from dist/, not from the sources.
  const v = await runCli(['validate', 'matrices/rseq.yaml', '--json'], { reject: true });
  const m = JSON.parse(v.stdout) as {
    cells: { id: string; glibc: string; variant: string; expected: { state: string } }[];
  };
  const shards = [0, 1, 2].map((index) => shardCells(m.cells, { index, count: 3 }));
  t.equal(
    shards.reduce((n, s) => n + s.length, 0),
    m.cells.length,
    'the 3 shards hold every cell',
  );
  const groups = shards.map((s) => new Set(s.map(buildGroupId)));
  for (const g of new Set(m.cells.map(buildGroupId)))
    t.equal(groups.filter((s) => s.has(g)).length, 1, `${g} is in exactly one shard`);
});
