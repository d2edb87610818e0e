/**
 * Faults injected for real (issue #8): SIGTERM while the engine is asked for, while probes run, while
 * probes compile and while a glibc builds. Each asserts exit 130, the one line the run ends with (no
 * stack trace), what results.json keeps, that nothing half-made is left in the cache, and that no
 * container of the run is left.
 *
 * The signals are timed by `docker events`: a one-cell run first makes sure the bookworm images are on
 * the default engine, so that the containers start within the time the tests wait for them. The build
 * case uses glibc 2.36's .dsc and orig tarball, which this file puts into the default cache itself
 * (no network when they are there already) and copies into a temporary cache.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import t from 'tap';
import {
  bookwormImages,
  containersOf,
  deadMirror,
  FaultRuns,
  glibc236Source,
  halfPublished,
  journalCells,
  oneLine,
  resultsOf,
  seedSource,
  startEvents,
  walk,
} from '../helpers/faults.js';
import { requirePrereq } from '../helpers/prereq.js';

const runs = new FaultRuns(t, 'faults-signals');
const images = bookwormImages(runs);
const dead = await deadMirror();
const IMAGES = 'the bookworm images on the default engine';

t.test('SIGTERM', async (t) => {
  await t.test('while the engine is asked for: exit 130, nothing written', async (t) => {
    // An engine socket that accepts and never answers: the run waits for its ping when the signal comes.
    const sock = join(runs.tmp, 'silent.sock');
    const held: Socket[] = [];
    let asked!: () => void;
    const connected = new Promise<void>((resolve) => {
      asked = resolve;
    });
    const server = createServer((c) => {
      held.push(c);
      asked();
    });
    await new Promise<void>((resolve) => server.listen(sock, resolve));
    t.teardown(async () => {
      for (const c of held) c.destroy();
      await new Promise((resolve) => server.close(resolve));
    });
    const out = join(runs.tmp, 'sigterm-connect');
    const run = runs.spawn(
      t,
      [runs.stockMatrix('connect', ['default'], ['main']), '--out', out, '--no-setup'],
      {
        DOCKER_HOST: `unix://${sock}`,
      },
    );
    await connected;
    const sent = Date.now();
    run.child.kill('SIGTERM');
    const r = await run.child;
    const took = Date.now() - sent;
    t.equal(r.exitCode, 130, 'exit 130', { output: r.all });
    t.ok(took < 3000, `ended ${took} ms after the signal (the ping is not waited for)`);
    oneLine(t, r.stderr, /^rseq-matrix: interrupted by SIGTERM before any cell ran; nothing was written$/);
    t.notOk(existsSync(out), 'no results, no journal');
  });

  await t.test('while probes run: exit 130, measured cells kept, containers removed', async (t) => {
    if (!requirePrereq(t, IMAGES, await images())) return;
    const out = join(runs.tmp, 'sigterm-probes');
    const events = startEvents(t);
    const run = runs.spawn(t, [
      runs.stockMatrix(
        'sigterm',
        ['default', 'tunable-off', 'seccomp-eperm', 'seccomp-enosys'],
        ['main', 'thread', 'exe-ctor', 'fork-child', 'malloc-first', 'preload-ctor'],
      ),
      '--out',
      out,
      '--no-setup',
      '--jobs',
      '1',
    ]);
    const pid = run.child.pid;
    const ev = await events.next(
      (e) => e.pid === pid && e.purpose === 'probe bookworm/stock tunable-off',
      120_000,
    );
    t.ok(ev, 'the second probe container started');
    run.child.kill('SIGTERM');
    const r = await run.child;
    t.equal(r.exitCode, 130, 'exit 130', { output: r.all?.slice(-2500) });
    const m = oneLine(
      t,
      r.stderr,
      /^rseq-matrix: interrupted by SIGTERM: (\d+) of 24 cells kept in \S+results\.json \((\d+) pass, 0 fail, 0 error, 0 skip\); run again with --resume for the rest$/,
    );
    const results = resultsOf(out);
    t.equal(results.run.complete, false, 'complete: false');
    t.equal(results.run.interrupted, 'SIGTERM');
    t.ok(
      results.cells.filter((c) => c.scenario === 'default').every((c) => c.status === 'pass'),
      "the first container's cells are kept",
    );
    t.ok(
      results.summary.pass >= 6 && results.summary.pass < 24,
      `${results.summary.pass} cells measured so far`,
    );
    t.equal(results.summary.error, 0, 'no cell is blamed for the stop');
    t.equal(Number(m?.[1]), results.cells.length);
    t.equal(journalCells(out), results.cells.length, 'journal and results agree');
    t.same(containersOf(results.run.id), [], 'every container of the run is removed');
  });

  await t.test('while probes compile: exit 130, no half-compiled probes in the cache', async (t) => {
    if (!requirePrereq(t, IMAGES, await images())) return;
    const cache = join(runs.tmp, 'sigterm-compile-cache');
    mkdirSync(cache);
    const out = join(runs.tmp, 'sigterm-compile');
    const events = startEvents(t);
    const run = runs.spawn(t, [
      runs.stockMatrix('compile', ['default'], ['main', 'thread']),
      '--out',
      out,
      '--cache',
      cache,
      '--no-setup',
    ]);
    const pid = run.child.pid;
    const ev = await events.next((e) => e.pid === pid && e.purpose.startsWith('compile probes'), 120_000);
    t.ok(ev, 'the compile container started');
    run.child.kill('SIGTERM');
    const r = await run.child;
    t.equal(r.exitCode, 130, 'exit 130', { output: r.all?.slice(-2500) });
    oneLine(
      t,
      r.stderr,
      /^rseq-matrix: interrupted by SIGTERM: 0 of 2 cells kept in \S+ \(0 pass, 0 fail, 0 error, 0 skip\); run again with --resume for the rest$/,
    );
    const results = resultsOf(out);
    t.equal(results.run.complete, false);
    t.same(halfPublished(cache), [], 'no half-compiled probes');
    t.same(
      walk(cache).filter((p) => /^probes\/./.test(p)),
      [],
      'and no compiled probes claimed complete',
    );
    t.same(containersOf(results.run.id), [], 'every container of the run is removed');
  });

  await t.test(
    'while glibc builds: exit 130 at once, cells measured so far kept, nothing half-made in the cache',
    async (t) => {
      if (!requirePrereq(t, IMAGES, await images())) return;
      const source = await glibc236Source();
      if (!requirePrereq(t, "glibc 2.36's source in the default cache", typeof source === 'string' && source))
        return;
      const src = source as Exclude<typeof source, string>;
      const cache = join(runs.tmp, 'sigterm-build-cache');
      seedSource(cache, src);
      const out = join(runs.tmp, 'sigterm-build');
      const events = startEvents(t);
      // Debian 12's own glibc first (nothing to build), then a cold build of 2.36 into an empty cache.
      const run = runs.spawn(t, [
        runs.sourceMatrix('build', { version: src.version, mirror: dead.url, stock: true }),
        '--out',
        out,
        '--cache',
        cache,
        '--no-setup',
        '--jobs',
        '1',
        '--rebuild',
      ]);
      const pid = run.child.pid;
      const ev = await events.next(
        (e) => e.pid === pid && e.purpose === 'build glibc-2.36/upstream',
        180_000,
      );
      t.ok(ev, 'the build container started');
      t.ok(
        await run.line(/glibc-2\.36\/upstream: (configure|make)/, 120_000),
        'the build got past unpacking',
      );
      const sent = Date.now();
      run.child.kill('SIGTERM');
      const r = await run.child;
      const took = Date.now() - sent;
      t.equal(r.exitCode, 130, 'exit 130', { output: r.all?.slice(-2500) });
      t.ok(took < 30_000, `ended ${took} ms after the signal (the build is not waited for)`);
      oneLine(
        t,
        r.stderr,
        /^rseq-matrix: interrupted by SIGTERM: 2 of 4 cells kept in \S+ \(2 pass, 0 fail, 0 error, 0 skip\); run again with --resume for the rest$/,
      );
      const results = resultsOf(out);
      t.equal(results.run.complete, false);
      t.equal(results.run.interrupted, 'SIGTERM');
      t.same(
        results.cells.map((c) => [c.id, c.status]),
        [
          ['bookworm/upstream/shared/default/main', 'pass'],
          ['bookworm/upstream/shared/default/thread', 'pass'],
        ],
        "the stock cells measured before the build are kept; the build's are not blamed",
      );
      t.notOk(
        results.builds.some((b) => b.status === 'error'),
        'no build recorded as failed',
      );
      t.same(halfPublished(cache), [], 'no half-made build, lock or partial file in the cache');
      t.notOk(existsSync(join(cache, 'builds', 'failed')), 'no failure log for a build we stopped');
      t.same(containersOf(results.run.id), [], 'every container of the run is removed');
    },
  );
});
