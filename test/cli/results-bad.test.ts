/**
 * A damaged results.json given to report, compare and merge through the built CLI: exit 2 and one line
 * naming the file and the field, never a stack trace. (The schema itself: test/unit/results-schema.test.ts.)
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { Results } from '../../harness/model/results.js';
import { runCli } from '../helpers/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'rm-results-bad-'));
t.teardown(() => rmSync(tmp, { recursive: true, force: true }));

const good = 'test/fixtures/results/small.json';
const small = JSON.parse(readFileSync(good, 'utf8')) as Results;

/** small.json with one member of one part set to `value`, written to `name`. */
function damaged(name: string, part: (r: Results) => object, key: string, value: unknown): string {
  const r = JSON.parse(JSON.stringify(small)) as Results;
  (part(r) as Record<string, unknown>)[key] = value;
  const file = join(tmp, name);
  writeFileSync(file, JSON.stringify(r));
  return file;
}

const status = damaged('status.json', (r) => r.cells[3] as object, 'status', 'passed');
const statusLine = `rseq-matrix: ${status}: cells[3].status: must be one of pass, fail, error, skip, not "passed"`;

for (const [what, args] of [
  ['report', ['report', status, '--out', join(tmp, 'report')]],
  ['report --baseline', ['report', good, '--baseline', status, '--out', join(tmp, 'report-b')]],
  ['compare (the baseline)', ['compare', status, good]],
  ['compare (the new run)', ['compare', good, status]],
  ['merge', ['merge', status, '--out', join(tmp, 'merged')]],
] as const)
  t.test(`${what}: exit 2, one line naming the file and the field`, async (t) => {
    const r = await runCli(args);
    t.equal(r.exitCode, 2, 'exit 2');
    t.same(r.stderr.split('\n').filter(Boolean), [statusLine], 'exactly one line');
  });

t.test('merge names the damaged shard among good ones', async (t) => {
  const shard = damaged('shard.json', (r) => r.run, 'shard', { index: 0, count: 'three' });
  const r = await runCli(['merge', good, shard, '--out', join(tmp, 'merged-2')]);
  t.equal(r.exitCode, 2, 'exit 2');
  t.same(
    r.stderr.split('\n').filter(Boolean),
    [`rseq-matrix: ${shard}: run.shard.count: must be an integer, not string "three"`],
    'exactly one line',
  );
});
