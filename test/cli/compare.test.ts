/** The compare command through the built CLI (compareRuns itself: test/unit/compare.test.ts). */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { Results } from '../../harness/model/results.js';
import { runCli } from '../helpers/cli.js';
import { repoPath } from '../helpers/repo.js';

t.test('the compare command: a copy with one cell flipped to fail exits 1 and names the cell', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rm-compare-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const base = JSON.parse(readFileSync(repoPath('test/fixtures/results/small.json'), 'utf8')) as Results;
  const flipped = JSON.parse(JSON.stringify(base)) as Results;
  const victim = flipped.cells.find((c) => c.status === 'pass');
  if (!victim) throw new Error('the fixture has no passing cell');
  victim.status = 'fail';
  victim.reason = 'expected registered, observed unregistered';
  writeFileSync(join(dir, 'old.json'), JSON.stringify(base));
  writeFileSync(join(dir, 'new.json'), JSON.stringify(flipped));
  const r = await runCli(['compare', join(dir, 'old.json'), join(dir, 'new.json')]);
  t.equal(r.exitCode, 1);
  t.match(r.stdout, victim.id);
  t.match(r.stdout, /NEW-FAIL/);
  const same = await runCli(['compare', join(dir, 'old.json'), join(dir, 'old.json')]);
  t.equal(same.exitCode, 0, 'no change, no failure');
});
