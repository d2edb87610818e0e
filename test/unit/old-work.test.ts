/** A run's previous work folder: renamed out of the way at once, removed beside the run (run.ts). */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { removeAside, setAsideWork } from '../../harness/cli/run.js';

t.test('the work folder and what a killed run left aside go; the rest of the folder stays', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'rm-oldwork-'));
  for (let i = 0; i < 50; i++) {
    mkdirSync(join(out, 'work', `g${i}`, 'obs'), { recursive: true });
    writeFileSync(join(out, 'work', `g${i}`, 'obs', 'x.jsonl'), '{}\n');
  }
  mkdirSync(join(out, '.work-old-20260101T000000-abcdef', 'g'), { recursive: true });
  writeFileSync(join(out, 'results.json'), '{}');
  const aside = await setAsideWork(out, '20260102T000000-123456');
  t.notOk(existsSync(join(out, 'work')), 'work/ is gone at once: the run makes a new one');
  t.same(aside.map((d) => d.slice(out.length + 1)).sort(), [
    '.work-old-20260101T000000-abcdef',
    '.work-old-20260102T000000-123456',
  ]);
  await removeAside(aside);
  t.same(readdirSync(out), ['results.json']);
});

t.test('no work folder: nothing to set aside', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'rm-oldwork-'));
  t.same(await setAsideWork(out, 'x'), []);
  await removeAside([]);
  t.same(await setAsideWork(join(out, 'missing'), 'x'), [], 'not even the out folder');
});
