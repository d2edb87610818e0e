/**
 * A fault injected for real (issue #8): a probe container killed from outside with `docker kill` while
 * it runs. Its cells are errors, the run goes on with the next container and exits 1, with no closing
 * line, no stack trace and no container of the run left. The container is found by `docker events` the
 * moment it starts; a one-cell run first makes sure the bookworm images are on the default engine, so
 * that the container starts within the time the test waits for it.
 */
import { join } from 'node:path';
import { execa } from 'execa';
import t from 'tap';
import {
  bookwormImages,
  containersOf,
  FaultRuns,
  noStackTrace,
  resultsOf,
  startEvents,
} from '../helpers/faults.js';
import { requirePrereq } from '../helpers/prereq.js';

const runs = new FaultRuns(t, 'faults-killed');
const images = bookwormImages(runs);

t.test('a probe container killed from outside: its cells are errors, the run goes on, exit 1', async (t) => {
  if (!requirePrereq(t, 'the bookworm images on the default engine', await images())) return;
  // Many invocations in one container (both links, 15 stages, each run twice): long enough to be hit.
  const stages = [
    'ifunc-preload',
    'ifunc-dso',
    'audit-version',
    'audit-objopen',
    'audit-preinit',
    'preload-ctor',
    'preload-ctor-cycle',
    'malloc-first',
    'preinit-array',
    'exe-ctor',
    'main',
    'thread',
    'fork-child',
    'dlopen-ctor',
    'dlmopen-ctor',
  ];
  const out = join(runs.tmp, 'killed');
  const events = startEvents(t);
  const run = runs.spawn(t, [
    runs.stockMatrix('killed', ['default', 'tunable-off'], stages, ['shared', 'static']),
    '--out',
    out,
    '--no-setup',
    '--jobs',
    '1',
  ]);
  const pid = run.child.pid;
  const ev = await events.next((e) => e.pid === pid && e.purpose === 'probe bookworm/stock default', 120_000);
  t.ok(ev, 'the probe container started');
  const kill = await execa('docker', ['kill', ev?.id ?? 'none'], { reject: false });
  t.equal(kill.exitCode, 0, 'docker kill hit it while it ran', { output: kill.stderr });
  const r = await run.child;
  t.equal(r.exitCode, 1, 'exit 1', { output: r.all?.slice(-2500) });
  noStackTrace(t, r.stderr);
  t.equal(
    r.stderr.split('\n').filter((l) => l.startsWith('rseq-matrix: ')).length,
    0,
    'an ordinary end: no closing line',
  );
  t.match(r.stderr, /probed bookworm\/stock tunable-off/, 'the run went on to the next container');
  const results = resultsOf(out);
  t.equal(results.run.complete, true);
  const killed = results.cells.filter((c) => c.scenario === 'default' && c.status !== 'skip');
  const errors = killed.filter((c) => c.status === 'error');
  t.ok(errors.length > 0, `${errors.length} of ${killed.length} cells of the killed container are errors`);
  t.ok(
    errors.every((c) => /probe container .*\(exit 137\)|killed/.test(c.reason ?? '')),
    `each with a reason: ${errors[0]?.reason}`,
  );
  t.ok(
    killed.every((c) => c.status === 'pass' || c.status === 'error'),
    'the rest of it passed (probes that ended before the kill)',
  );
  t.match(r.stdout, /ERROR bookworm\/stock\/\w+\/default\/[\w-]+: .*exit 137/, 'the summary names them');
  const next = results.cells.filter((c) => c.scenario === 'tunable-off' && c.status !== 'skip');
  t.ok(next.length > 0 && next.every((c) => c.status === 'pass'), 'the next container measured every cell');
  t.same(containersOf(results.run.id), [], 'no container of the run');
});
