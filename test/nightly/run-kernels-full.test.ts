/**
 * The whole of matrices/kernels.yaml (nightly: `npm run test:nightly`): Debian's glibc 2.36, 2.41 and
 * 2.43 and pristine 2.36 on the host's kernel, Debian's 6.1, 6.12, 7.2 and 7.3 under QEMU and user-mode
 * Linux, three scenarios. Cold it makes trixie's and sid's images and fetches four kernels; warm it takes
 * about 7 minutes on 2 cores. test/engine/run-kernels.integration.test.ts runs a slice of it in CI.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { Results } from '../../harness/model/results.js';
import { runCli } from '../helpers/cli.js';
import { pinnedMatrix } from '../helpers/pins.js';

t.test('matrices/kernels.yaml, every kernel: every cell as predicted', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'rm-kernels-full-'));
  const matrix = await pinnedMatrix(t, 'matrices/kernels.yaml', out);
  if (!matrix) return;
  const r = await runCli(['run', matrix, '--out', out, '--json'], { timeout: 3 * 3_600_000 });
  const summary = JSON.parse(r.stdout || '{}');
  t.equal(r.exitCode, 0, 'every cell as predicted');
  if (r.exitCode !== 0)
    t.comment(`${JSON.stringify(summary.notPassing?.slice(0, 30), null, 1)}\n${r.stderr.slice(-3000)}`);
  const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as Results;
  t.same(
    [...new Set(results.cells.map((c) => c.kernel))].sort(),
    ['host', 'k6.1', 'k6.12', 'k7.2', 'k7.3', 'uml'],
    'every kernel of the matrix ran',
  );
});
