/**
 * The kernel axis for real (matrices/kernels.yaml): Debian's glibc 2.36 and pristine 2.36 probed under
 * QEMU on bookworm's 6.1 and trixie-backports' 7.3 kernels and under user-mode Linux, in the default and
 * a seccomp scenario. Every cell as written from the sources before the first run: the registration
 * stages, and at `main`/`thread` the kernel facts (feature size and alignment from the auxiliary vector,
 * `__rseq_size`, the registered length, the kernel's mode). The whole matrix (trixie's and sid's glibc,
 * kernels 6.12 and 7.2, tunable-off) runs in `npm run matrix`-like runs and the nightly workflow.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { Results } from '../../harness/model/results.js';
import { runCli } from '../helpers/cli.js';
import { containersOf } from '../helpers/faults.js';
import { pinnedMatrix } from '../helpers/pins.js';

const filter = 'glibc=bookworm|glibc-2.36,kernel=k6.1|k7.3|uml,scenario=default|seccomp-enosys';

t.test('matrices/kernels.yaml on 6.1, 7.3 and user-mode Linux: every cell as predicted', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'rm-kernels-'));
  const matrix = await pinnedMatrix(t, 'matrices/kernels.yaml', out);
  if (!matrix) return;
  const r = await runCli(['run', matrix, '--out', out, '--json', '--filter', filter], {
    timeout: 2 * 3_600_000,
  });
  const summary = JSON.parse(r.stdout || '{}');
  t.equal(r.exitCode, 0, 'every cell as predicted');
  if (r.exitCode !== 0)
    t.comment(`${JSON.stringify(summary.notPassing?.slice(0, 20), null, 1)}\n${r.stderr.slice(-3000)}`);
  const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as Results;
  t.equal(results.schemaVersion, 2, 'results of schema version 2');
  const kernels = new Set(results.cells.map((c) => c.kernel));
  t.same([...kernels].sort(), ['k6.1', 'k7.3', 'uml'], 'the three kernels');
  const fact = (id: string, key: string) =>
    results.cells.find((c) => c.id === id)?.observations[0]?.extra?.[key];
  // The auxiliary vector, straight from each kernel.
  t.equal(
    fact('glibc-2.36/upstream/k6.1/shared/default/main', 'auxRseqFeatureSize'),
    0,
    '6.1: no feature size',
  );
  t.equal(fact('glibc-2.36/upstream/k7.3/shared/default/main', 'auxRseqFeatureSize'), 33, '7.3: 33');
  t.equal(fact('glibc-2.36/upstream/k7.3/static/default/main', 'auxRseqAlign'), 64, '7.3: aligned 64');
  t.equal(
    fact('bookworm/stock/k7.3/shared/default/thread', 'rseqMode'),
    'legacy',
    "Debian's 2.36 on 7.3: legacy",
  );
  // user-mode Linux: a kernel without rseq.
  for (const c of results.cells.filter((c) => c.kernel === 'uml' && c.status !== 'skip'))
    t.equal(c.observed.state, 'unavailable', `${c.id}: unavailable`, { diagnostic: false });
  // Each (build x kernel x scenario) ran in a VM of its own, and none is left.
  const works = results.cells.filter((c) => c.kernel !== 'host' && c.probe).length;
  t.ok(works > 0, `${works} cells probed in VMs`);
  t.same(containersOf(results.run.id), [], 'no container left');
  const html = readFileSync(join(out, 'report.html'), 'utf8');
  t.match(html, /k7\.3/, 'the report names the kernels');
});
