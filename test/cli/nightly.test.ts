/**
 * The nightly workflow (.github/workflows/nightly.yml) against the built CLI: every subcommand it runs
 * exists there. (Its command lines against the parser, and its shape: test/unit/nightly.test.ts.)
 */
import t from 'tap';
import { runCli } from '../helpers/cli.js';
import { rseqMatrixLines } from '../helpers/workflow.js';

const lines = rseqMatrixLines();

t.test('each subcommand of the workflow exists in the built CLI (--help exits 0)', async (t) => {
  for (const sub of new Set(lines.map((l) => l.args[0] as string))) {
    const r = await runCli([sub, '--help']);
    t.equal(r.exitCode, 0, `rseq-matrix ${sub} --help`);
  }
});
