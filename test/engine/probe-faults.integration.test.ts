/**
 * Probes that segfault, abort or hang, and an image build that fails, through the real command line
 * and a real engine. The faults are injected with `run --probe-env RP_TEST_FAULT=KIND:STAGE` (the probe
 * program's test hook, probes/probe-main.c) and with a recipe folder (RSEQ_MATRIX_IMAGES) whose toolchain
 * asks for a package Debian does not have. Each run must record the fault in its cell, go on with the
 * next probe in the same container, exit 1 (3 when nothing could be measured), and leave no container.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { Results } from '../../harness/model/results.js';
import { runCli } from '../helpers/cli.js';
import { STOCK_BOOKWORM, writeMatrix } from '../helpers/matrix.js';

const tmp = mkdtempSync(join(tmpdir(), 'rm-probe-faults-'));
t.teardown(() => rmSync(tmp, { recursive: true, force: true }));

const matrix = writeMatrix(tmp, {
  name: 'probe-faults',
  glibc: [STOCK_BOOKWORM],
  variants: [{ id: 'stock' }],
  stages: ['main', 'thread'],
  options: { probeTimeout: 3 },
  expect: [{ expect: 'registered', why: '2.36 registers in __tls_init_tp' }],
});

function ours(runId: string): string {
  return execFileSync('docker', ['ps', '-aq', '--filter', `label=rseq-matrix.session=${runId}`])
    .toString()
    .trim();
}

async function runWithFault(kind: string) {
  const out = join(tmp, kind);
  const started = Date.now();
  const r = await runCli(['run', matrix, '--out', out, '--probe-env', `RP_TEST_FAULT=${kind}:main`]);
  const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as Results;
  const cell = (stage: string) => results.cells.find((c) => c.stage === stage);
  return { r, results, main: cell('main'), thread: cell('thread'), ms: Date.now() - started };
}

for (const [kind, reason] of [
  ['segv', 'the probe was killed by SIGSEGV'],
  ['abort', 'the probe was killed by SIGABRT'],
  ['hang', 'the probe hung and was killed after its time limit'],
] as const) {
  t.test(
    `a probe that ${kind === 'segv' ? 'segfaults' : kind === 'abort' ? 'aborts' : 'hangs'}`,
    async (t) => {
      const { r, results, main, thread, ms } = await runWithFault(kind);
      t.equal(r.exitCode, 1, `exit 1\n${r.stderr.slice(-1500)}`);
      t.match(main, { status: 'error', reason });
      t.match(main?.probe, { command: /RP_TEST_FAULT=/ });
      t.match(thread, { status: 'pass' }, 'the next probe in the same container ran');
      t.equal(results.run.complete, true);
      t.equal(ours(results.run.id), '', 'no container of the run is left');
      t.notMatch(r.stderr, /\n\s+at .*\.js:\d+/, 'no stack trace');
      if (kind === 'hang') {
        // Its child ignores SIGTERM: only the process group's KILL (timeout -k) ends it, for the untraced
        // and the traced run; then the thread probe runs.
        t.ok(ms < 60_000, `the hang cost its time limits, not the container's (${ms} ms)`);
      }
    },
  );
}

t.test('a malformed --probe-env is a usage error', async (t) => {
  const r = await runCli(['run', matrix, '--probe-env', 'no-equals-sign']);
  t.equal(r.exitCode, 2);
  t.equal(r.stderr.trim(), 'rseq-matrix: --probe-env: "no-equals-sign" is not KEY=VALUE');
});

t.test("an image build that fails: the engine's error text, exit 3", async (t) => {
  const recipes = join(tmp, 'images');
  execFileSync('mkdir', ['-p', recipes]);
  for (const f of readdirSync('images')) copyFileSync(join('images', f), join(recipes, f));
  const bookworm = JSON.parse(readFileSync(join(recipes, 'bookworm.json'), 'utf8'));
  bookworm.toolchain.push('rseq-matrix-no-such-package');
  writeFileSync(join(recipes, 'bookworm.json'), JSON.stringify(bookworm, null, 2));
  const out = join(tmp, 'image');
  const r = await runCli(['run', matrix, '--out', out], {
    env: { RSEQ_MATRIX_IMAGES: recipes },
  });
  t.equal(r.exitCode, 3, r.stderr.slice(-2000));
  const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as Results;
  t.match(results.builds[0], { status: 'error', reason: /docker build of rseq-matrix\/toolchain:bookworm-/ });
  t.match(
    `${results.builds[0]?.reason}\n${results.builds[0]?.logTail}`,
    /Unable to locate package rseq-matrix-no-such-package/,
  );
  t.ok(
    results.cells.every((c) => c.status === 'error'),
    'every cell is an error',
  );
  const last = r.stderr
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('rseq-matrix: '));
  t.equal(last.length, 1, `one closing line: ${last.join(' | ')}`);
  t.equal(ours(results.run.id), '', 'no container of the run is left');
});
