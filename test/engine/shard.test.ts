/**
 * --shard and merge for real: the stock matrix unsharded and in 3 shards, merged, must give the same
 * cells and verdicts; merge and compare through the built CLI. (The slicing and the merge, pure:
 * test/unit/shard.test.ts.)
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { Results } from '../../harness/model/results.js';
import { buildGroupId, type MergedResults } from '../../harness/results/merge.js';
import { runCli } from '../helpers/cli.js';

function sessionContainers(ids: string[]): string[] {
  const out: string[] = [];
  for (const id of ids) {
    const s = execFileSync('docker', ['ps', '-aq', '--filter', `label=rseq-matrix.session=${id}`])
      .toString()
      .trim();
    if (s) out.push(...s.split('\n'));
  }
  return out;
}

t.test('for real: stock unsharded = stock in 3 shards, merged', async (t) => {
  const tmp = mkdtempSync(join(tmpdir(), 'rm-shard-'));
  t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
  // Without the two percpu selftests (a minute each; run-stock runs them): every run uses the same filter.
  const run = (args: string[]) =>
    runCli(['run', 'matrices/stock.yaml', '--filter', 'stage!=client:basic_percpu_ops*', ...args], {
      timeout: 1_500_000,
    });
  // Exit 0 or 1: whether stock passes is test/engine/run-stock.integration.test.ts's business (its matrix is being edited by
  // others); here every run must measure (no usage or host error) and the two ways must agree.
  const measured = (code: number | undefined) => code === 0 || code === 1;
  const full = await run(['--out', join(tmp, 'full'), '--json']);
  t.ok(measured(full.exitCode), `unsharded run exits 0 or 1 (${full.exitCode})\n${full.stderr.slice(-2000)}`);
  const shardRuns = [];
  for (const k of [1, 2, 3]) {
    const r = await run(['--shard', `${k}/3`, '--out', join(tmp, `s${k}`), '--json']);
    t.ok(measured(r.exitCode), `shard ${k}/3 exits 0 or 1 (${r.exitCode})\n${r.stderr.slice(-2000)}`);
    shardRuns.push(JSON.parse(readFileSync(join(tmp, `s${k}`, 'results.json'), 'utf8')) as Results);
  }
  const a = JSON.parse(readFileSync(join(tmp, 'full', 'results.json'), 'utf8')) as Results;
  t.same(
    shardRuns.map((r) => r.run.shard),
    [0, 1, 2].map((index) => ({ index, count: 3 })),
    'run.shard is recorded (0-based index)',
  );
  for (const r of shardRuns) {
    const groups = new Set(r.cells.map(buildGroupId));
    t.ok(
      r.builds.every((b) => groups.has(buildGroupId(b))),
      `shard ${(r.run.shard?.index ?? 0) + 1} built only what it probed (${[...groups].join(', ') || 'nothing'})`,
    );
    t.equal(r.run.complete, true);
  }
  // stock has 2 builds (bullseye, bookworm), so one of the 3 shards is empty: still a complete run.
  // (Counts come from the unsharded run: the matrix is being extended by others.)
  const groups = new Set(a.cells.map(buildGroupId));
  t.equal(
    shardRuns.filter((r) => r.cells.length === 0).length,
    Math.max(0, 3 - groups.size),
    `${groups.size} builds in 3 shards: ${shardRuns.map((r) => r.cells.length).join(', ')} cells`,
  );
  t.equal(
    shardRuns.reduce((n, r) => n + r.cells.length, 0),
    a.cells.length,
    'the shards hold as many cells as the unsharded run',
  );

  const merged = join(tmp, 'merged');
  const m = await runCli(
    ['merge', ...[1, 2, 3].map((k) => join(tmp, `s${k}`, 'results.json')), '--out', merged],
    { reject: false },
  );
  t.equal(m.exitCode, 0, `merge exits 0\n${m.stderr}`);
  const sum = a.summary;
  t.match(
    m.stdout.split('\n')[0],
    `merged 3 of 3 shards of stock: ${sum.total} cells (${sum.pass} pass, ${sum.fail} fail, ${sum.error} error, ${sum.skip} skip), complete`,
  );
  t.ok(existsSync(join(merged, 'report.html')), 'merge writes the report');
  const b = JSON.parse(readFileSync(join(merged, 'results.json'), 'utf8')) as MergedResults;
  t.equal(b.run.complete, true);
  t.same(b.summary, a.summary);
  t.same(
    b.cells.map((c) => c.id),
    a.cells.map((c) => c.id),
    'the same cells, in matrix order',
  );
  const verdict = (r: Results) =>
    r.cells.map((c) => ({
      id: c.id,
      status: c.status,
      expected: c.expected.state,
      observed: c.observed.state,
      registered: c.observed.registered,
    }));
  t.same(verdict(b), verdict(a), 'the same statuses, expected and observed states');
  t.same(
    b.run.mergedFrom.map((s) => s.id),
    shardRuns.map((r) => r.run.id),
  );

  const c = await runCli(['compare', join(tmp, 'full', 'results.json'), join(merged, 'results.json')]);
  t.equal(c.exitCode, 0, 'compare unsharded merged exits 0');
  t.notMatch(c.stdout, 'NEW-FAIL');
  t.match(c.stdout, `UNCHANGED-PASS ${sum.pass}`);
  t.match(c.stdout, `UNCHANGED-SKIP ${sum.skip}`);
  t.match(c.stdout, 'no regression');

  // The CLI's refusals: one line, exit 2, naming the file.
  const s1 = join(tmp, 's1', 'results.json');
  const twice = await runCli(['merge', s1, s1, '--out', join(tmp, 'm2')]);
  t.equal(twice.exitCode, 2);
  t.equal(
    twice.stderr,
    `rseq-matrix: ${s1}: run.shard: shard 1/3 is given twice (also ${s1}); shards must not overlap`,
  );
  const full1 = join(tmp, 'full', 'results.json');
  const notShard = await runCli(['merge', s1, full1, '--out', join(tmp, 'm3')]);
  t.equal(notShard.exitCode, 2);
  t.equal(
    notShard.stderr,
    `rseq-matrix: ${full1}: run.shard: not a shard (that run had no --shard); merge joins the shards of one sharded run`,
  );
  const bad = await runCli(['run', 'matrices/stock.yaml', '--shard', '4/3']);
  t.equal(bad.exitCode, 2);
  t.equal(bad.stderr, 'rseq-matrix: --shard: "4/3": K must be from 1 to 3');

  // Other people's runs may share this engine: look for the containers of these runs only.
  t.same(
    sessionContainers([a.run.id, ...shardRuns.map((r) => r.run.id)]),
    [],
    'no container of any run is left',
  );
});
