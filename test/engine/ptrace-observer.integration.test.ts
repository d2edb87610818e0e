/**
 * The ptrace observer for real: probes under rseq-tracer against Debian 12's own glibc (the stock build,
 * no glibc to compile), through the real command line and engine. Every probed cell carries the readings
 * of PTRACE_GET_RSEQ_CONFIGURATION paired with its observations; then the in-process check is made to lie
 * on purpose (`--probe-env RP_TEST_FAULT=lie:main`, probes/rseqprobe.c) and the cell must become an error
 * that names the disagreement, never a pass or a fail.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { CellResult, Results } from '../../harness/model/results.js';
import { runCli } from '../helpers/cli.js';
import { STOCK_BOOKWORM, writeMatrix } from '../helpers/matrix.js';

const tmp = mkdtempSync(join(tmpdir(), 'rm-ptrace-'));
t.teardown(() => rmSync(tmp, { recursive: true, force: true }));

const matrix = writeMatrix(tmp, {
  name: 'ptrace-observer',
  glibc: [STOCK_BOOKWORM],
  variants: [{ id: 'stock' }],
  links: ['shared', 'static'],
  stages: ['main', 'thread', 'vfork-child', 'ifunc-exe'],
  expect: [
    { expect: 'registered', why: '2.36 registers in __tls_init_tp (and again in each new thread)' },
    { match: { stage: 'vfork-child' }, expect: 'unregistered', why: 'a CLONE_VM child starts unregistered' },
    {
      match: { link: 'static', stage: 'ifunc-exe' },
      expect: 'unregistered',
      why: "a static executable's IRELATIVE pass runs before __libc_setup_tls",
    },
  ],
});

async function run(name: string, extra: string[] = []) {
  const out = join(tmp, name);
  const r = await runCli(['run', matrix, '--out', out, '--json', ...extra], { timeout: 900_000 });
  const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as Results;
  const cell = (id: string) => results.cells.find((c) => c.id === id) as CellResult;
  return { r, out, results, cell };
}

t.test(
  'every probed cell carries the ptrace readings, and they agree with the in-process check',
  async (t) => {
    const { r, out, results, cell } = await run('agree');
    t.equal(r.exitCode, 0, `exit 0\n${r.stderr.slice(-2000)}`);
    const probed = results.cells.filter((c) => c.status !== 'skip');
    t.equal(probed.length, 8, 'four stages, two links, none skipped');
    for (const c of probed) {
      t.equal(c.status, 'pass', `${c.id}: ${c.reason ?? ''}`);
      t.match(c.ptrace, {
        command: new RegExp(`^/rm/bin/rseq-tracer -o /rm/out/obs/\\S+\\.ptrace -s ${c.stage} -- `),
        paired: 1,
      });
      t.equal(c.ptrace?.unpaired, 0, `${c.id}: every observation of its stage got a reading`);
      t.notOk(c.ptraceReason, `${c.id}: nothing to note`);
      t.ok(c.ptrace && existsSync(join(out, c.ptrace.log)), `${c.id}: the readings file is kept`);
      for (const o of c.observations)
        t.equal(
          o.ptrace?.registered,
          o.kernel === 'registered',
          `${c.id}: ptrace agrees with the kernel check`,
        );
    }
    // What the kernel holds for glibc 2.36's main thread: its 32-byte area, glibc's x86_64 signature.
    t.match(cell('bookworm/stock/shared/default/main').observations[0]?.ptrace, {
      errno: 0,
      address: /^0x[0-9a-f]{6,}$/,
      length: 32,
      signature: '0x53053053',
      flags: 0,
      registered: true,
    });
    // A new thread has an area of its own; a vfork child and the static IFUNC stage have none.
    const thread = cell('bookworm/stock/shared/default/thread');
    t.equal(thread.ptrace?.readings, 1, "the probe stopped only at the cell's stage (-s thread)");
    t.not(thread.observations[0]?.tid, thread.observations[0]?.pid, 'read in the new thread');
    t.match(thread.observations[0]?.ptrace, { registered: true, length: 32 });
    t.match(cell('bookworm/stock/shared/default/vfork-child').observations[0]?.ptrace, {
      address: '0x0',
      registered: false,
    });
    t.match(cell('bookworm/stock/static/default/ifunc-exe').observations[0]?.ptrace, { registered: false });
  },
);

t.test('an in-process check that lies: the cell is an error naming the disagreement', async (t) => {
  const { r, results, cell } = await run('lie', ['--probe-env', 'RP_TEST_FAULT=lie:main']);
  t.equal(r.exitCode, 1, `exit 1\n${r.stderr.slice(-2000)}`);
  for (const link of ['shared', 'static']) {
    const main = cell(`bookworm/stock/${link}/default/main`);
    t.match(
      main,
      {
        status: 'error',
        reason:
          /^the observers disagree: at stage main in thread \d+ the in-process check says unregistered, PTRACE_GET_RSEQ_CONFIGURATION says registered \(area 0x[0-9a-f]+, length 32, signature 0x53053053\)$/,
        observed: { state: 'unregistered' },
      },
      `${link} main`,
    );
    t.match(main.observations[0], { kernel: 'unregistered', ptrace: { registered: true } });
    // The lie is at main only: the thread stage of the same runs is judged as usual.
    t.match(cell(`bookworm/stock/${link}/default/thread`), { status: 'pass' }, `${link} thread`);
  }
  t.equal(results.summary.error, 2, 'only the two main cells');
});
