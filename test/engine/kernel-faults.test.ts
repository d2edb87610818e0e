/**
 * Faults of the kernel axis, through the real command line: a kernel package the mirror does not have
 * (the matrix's mistake: `validate` and `run` exit 2 with one line naming the entry, nothing built), a VM
 * image without QEMU (the kernel's cells are errors that say so, the host's cells are measured), and
 * SIGINT while a VM boots (exit 130, the cells measured so far kept, no container of the run left). A
 * panic and a hang past the limit are test/engine/vm-boot.test.ts's; a wrong checksum and a pinned
 * version the mirror lacks are test/unit/kernels.test.ts's and test/engine/kernels.test.ts's.
 */
import { cpSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { execa } from 'execa';
import t from 'tap';
import type { MatrixDoc } from '../../harness/matrix/schema.js';
import { CLI, REPO, runCli } from '../helpers/cli.js';
import { containersOf, resultsOf, StartEvents } from '../helpers/faults.js';
import { STOCK_BOOKWORM, writeMatrix } from '../helpers/matrix.js';

const dir = mkdtempSync(join(tmpdir(), 'rm-kernel-faults-'));

function matrix(name: string, kernels: MatrixDoc['kernels']): string {
  return writeMatrix(dir, {
    name,
    glibc: [STOCK_BOOKWORM],
    variants: [{ id: 'stock' }],
    kernels,
    stages: ['main', 'thread'],
    expect: [
      { expect: 'registered', why: '__tls_init_tp registers the main thread; start_thread the others' },
    ],
  });
}

t.test(
  'a kernel package the mirror does not have: exit 2 at validate and run, one line naming the entry',
  async (t) => {
    const file = matrix('missing', [
      { id: 'host', host: true },
      { id: 'knone', debian: { suite: 'bookworm', package: 'linux-image-no-such-flavour' } },
    ]);
    const rel = relative(process.cwd(), file);
    for (const args of [
      ['validate', file],
      ['run', file, '--out', join(dir, 'missing')],
    ]) {
      const r = await runCli(args, { timeout: 600_000 });
      t.equal(r.exitCode, 2, `${args[0]}: exit 2`);
      const lines = r.stderr.split('\n').filter(Boolean);
      t.equal(lines.length, 1, `${args[0]}: one line`);
      t.ok(
        lines[0]?.startsWith(`rseq-matrix: ${rel}:`) &&
          /: kernels\[1\]\.debian: .*linux-image-no-such-flavour/.test(lines[0]),
        `${args[0]}: names the file, line, entry and package: ${lines[0]}`,
      );
    }
    t.notOk(existsSync(join(dir, 'missing', 'results.json')), 'the run wrote nothing');
  },
);

t.test('SIGINT while a VM boots: exit 130, nothing measured is lost, no container left', async (t) => {
  const out = join(dir, 'sigint');
  const since = Math.floor(Date.now() / 1000) - 1;
  const events = new StartEvents(undefined, since);
  t.teardown(() => events.stop());
  const child = execa(
    'node',
    [
      CLI,
      'run',
      matrix('sigint', [
        { id: 'host', host: true },
        { id: 'k6.1', debian: { suite: 'bookworm', package: 'linux-image-cloud-amd64' } },
      ]),
      '--out',
      out,
      '--jobs',
      '1',
    ],
    { reject: false, all: true },
  );
  const ev = await events.next((e) => e.pid === child.pid && e.purpose.startsWith('boot '), 600_000);
  t.ok(ev, `the VM's container started (${ev?.purpose})`);
  child.kill('SIGINT');
  const r = await child;
  t.equal(r.exitCode, 130, 'exit 130');
  const results = resultsOf(out);
  t.equal(results.run.interrupted, 'SIGINT', 'the run says why it ended');
  t.ok(
    results.cells.filter((c) => c.kernel === 'host').every((c) => c.status === 'pass'),
    'the cells measured before the signal are kept',
  );
  t.same(containersOf(results.run.id), [], 'no container of the run is left (the VM included)');
});

t.test(
  "QEMU missing from the VM image: the kernel's cells are errors that say so, the rest run",
  async (t) => {
    // A copy of images/ whose VM recipe installs nothing: its image has the toolchain but no qemu.
    const images = join(dir, 'images-without-qemu');
    cpSync(join(REPO, 'images'), images, { recursive: true });
    writeFileSync(
      join(images, 'vm.Dockerfile'),
      [
        '# A VM image without QEMU (test/engine/kernel-faults.test.ts).',
        'ARG TOOLCHAIN',
        `FROM $${'{'}TOOLCHAIN}`,
        'ARG PACKAGES',
        'RUN true',
        '',
      ].join('\n'),
    );
    const out = join(dir, 'no-qemu');
    const r = await runCli(
      [
        'run',
        matrix('noqemu', [
          { id: 'host', host: true },
          { id: 'k6.1', debian: { suite: 'bookworm', package: 'linux-image-cloud-amd64' } },
        ]),
        '--out',
        out,
        '--json',
      ],
      { timeout: 1_800_000, env: { RSEQ_MATRIX_IMAGES: images } },
    );
    t.equal(r.exitCode, 1, 'exit 1: some cells errored');
    const results = resultsOf(out);
    const vm = results.cells.filter((c) => c.kernel === 'k6.1');
    t.equal(vm.length, 2, "both of the kernel's cells are recorded");
    for (const c of vm) {
      t.equal(c.status, 'error', `${c.id}: error`);
      t.match(`${c.reason ?? ''}\n${c.logTail ?? ''}`, /qemu/i, 'the reason or its log names QEMU');
    }
    t.ok(
      results.cells.filter((c) => c.kernel === 'host').every((c) => c.status === 'pass'),
      "the host kernel's cells were measured",
    );
    t.same(containersOf(results.run.id), [], 'no container left');
  },
);
