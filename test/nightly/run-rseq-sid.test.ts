/**
 * The sid baseline of the default matrix (`glibc-sid`: the newest glibc in Debian sid, unpatched), which
 * `npm test` leaves out for time: built cold it costs about 12 minutes on 2 cores. Every cell as
 * predicted, glibc's own rseq tests passing in the build tree, and the run leaves no container.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { Results } from '../../harness/model/results.js';
import { runCli } from '../helpers/cli.js';
import { containersOf } from '../helpers/faults.js';
import { pinnedMatrix } from '../helpers/pins.js';

t.test('matrices/rseq.yaml, the sid cells: every cell as predicted', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'rm-rseq-sid-'));
  // The default matrix with the Debian versions this test was written for (test/helpers/pins.ts).
  const matrix = await pinnedMatrix(t, 'matrices/rseq.yaml', out);
  if (!matrix) return;
  const r = await runCli(['run', matrix, '--out', out, '--json', '--filter', 'glibc=glibc-sid'], {
    timeout: 2 * 3_600_000,
  });
  const summary = JSON.parse(r.stdout || '{}');
  t.equal(r.exitCode, 0, `all cells pass\n${JSON.stringify(summary.notPassing?.slice(0, 20), null, 1)}`);
  const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as Results;
  t.ok(results.cells.length > 0, 'sid cells ran');
  t.ok(
    results.cells.every((c) => c.glibc === 'glibc-sid'),
    'only sid cells',
  );
  const build = results.builds.find((b) => b.glibc === 'glibc-sid' && b.variant === 'upstream');
  t.equal(build?.status, 'ok', 'sid upstream built');
  t.comment(`glibc tests: ${JSON.stringify(build?.glibcTests)}`);
  t.same(containersOf(results.run.id), [], 'no container of the run is left');
});
