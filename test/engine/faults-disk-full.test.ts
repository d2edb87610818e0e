/**
 * Faults injected for real (issue #8): the disk under the cache full while a glibc builds, and while a
 * source is copied into the cache (small tmpfs mounts, so root). Each asserts the exit status, the one
 * line the run ends with (no stack trace), what results.json keeps, that nothing half-made is left in
 * the cache, and that no container of the run is left.
 *
 * The builds use glibc 2.36's .dsc and orig tarball, which this file puts into the default cache itself
 * (test/helpers/faults.ts, glibc236Source: no network when they are there already) and copies into the
 * temporary caches, so the runs need no network.
 */
import { readdirSync, readFileSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import {
  containersOf,
  deadMirror,
  FaultRuns,
  glibc236Source,
  halfPublished,
  mountTmpfs,
  oneLine,
  resultsOf,
  seedSource,
} from '../helpers/faults.js';
import { writeMatrix } from '../helpers/matrix.js';
import { notRoot, requirePrereq } from '../helpers/prereq.js';

const runs = new FaultRuns(t, 'faults-disk');
const dead = await deadMirror();

t.test('the disk under the cache fills up', async (t) => {
  if (!requirePrereq(t, 'root', notRoot('the tests mount small tmpfs file systems'))) return;
  const source = await glibc236Source();
  if (!requirePrereq(t, "glibc 2.36's source in the default cache", typeof source === 'string' && source))
    return;
  const src = source as Exclude<typeof source, string>;

  await t.test('while glibc builds: the build is an error naming the full disk, exit 3', async (t) => {
    const cache = join(runs.tmp, 'full-build');
    mountTmpfs(t, cache, '64m');
    seedSource(cache, src);
    const out = join(runs.tmp, 'full-build-out');
    const r = await runs.run([
      runs.sourceMatrix('full', { version: src.version, mirror: dead.url }),
      '--out',
      out,
      '--cache',
      cache,
      '--no-setup',
    ]);
    t.equal(r.exitCode, 3, 'exit 3', { output: r.stderr.slice(-2500) });
    oneLine(
      t,
      r.stderr,
      new RegExp(
        `^rseq-matrix: no cell could be measured: build glibc-2\\.36/upstream: No space left on device in the build cache ${cache} \\(the build stopped in phase (unpack|configure|make), exit \\d+\\)$`,
      ),
    );
    const results = resultsOf(out);
    const b = results.builds.find((x) => x.glibc === 'glibc-2.36');
    t.equal(b?.status, 'error', 'the build is recorded as an error');
    t.match(b?.reason, 'No space left on device', 'naming the full disk');
    t.match(b?.logTail, 'No space left on device', 'its log tail shows it');
    t.same(
      results.cells.map((c) => [c.status, c.reason]),
      results.cells.map(() => ['error', b?.reason]),
      'every cell is an error with that reason',
    );
    t.equal(results.run.complete, true, 'every cell has a result');
    const steps = results.groups?.[0]?.steps ?? [];
    t.match(
      steps[0],
      { step: 'build', status: 'failed', reason: /No space left on device/ },
      'the build step failed',
    );
    t.ok(
      steps.length > 1 && steps.slice(1).every((st) => st.status === 'skipped' && st.reason),
      'every later step is skipped, saying why',
    );
    t.match(
      r.stdout,
      /ERROR glibc-2\.36\/upstream\/shared\/default\/main: build glibc-2\.36\/upstream: No space left on device/,
    );
    t.same(halfPublished(cache), [], 'no half-made entry, lock or partial file in the cache');
    t.same(readdirSync(join(cache, 'builds')), ['failed'], 'builds/ holds only the failure log');
    const failed = readdirSync(join(cache, 'builds', 'failed'));
    t.equal(failed.length, 1);
    t.match(
      readFileSync(join(cache, 'builds', 'failed', failed[0] as string), 'utf8'),
      'No space left on device',
      'the failure log is kept',
    );
    t.equal(b?.logPath, join(cache, 'builds', 'failed', failed[0] as string));
    const free = statfsSync(cache);
    t.ok(free.bavail * free.bsize > 40 * 2 ** 20, 'the space the build took is given back');
    t.same(containersOf(results.run.id), [], 'no container of the run');
  });

  await t.test(
    'while the source is copied into the cache: an error naming the full disk, exit 3',
    async (t) => {
      const cache = join(runs.tmp, 'full-source');
      mountTmpfs(t, cache, '8m');
      const file = writeMatrix(runs.tmp, {
        name: 'tarball',
        glibc: [
          {
            id: 'glibc-2.36',
            source: 'tarball',
            tarball: { path: src.orig, sha256: src.sha256 },
            suite: 'bookworm',
          },
        ],
        variants: [{ id: 'upstream' }],
        stages: ['main'],
        expect: [{ expect: 'registered', why: '2.36 registers in __tls_init_tp' }],
      });
      const out = join(runs.tmp, 'full-source-out');
      const r = await runs.run([file, '--out', out, '--cache', cache, '--no-setup']);
      t.equal(r.exitCode, 3, 'exit 3', { output: r.stderr.slice(-2500) });
      oneLine(
        t,
        r.stderr,
        /^rseq-matrix: no cell could be measured: build glibc-2\.36\/upstream: No space left on device: cannot write \S+$/,
      );
      const results = resultsOf(out);
      t.match(results.cells, [{ status: 'error', reason: /No space left on device/ }]);
      t.same(halfPublished(cache), [], 'no partial copy of the tarball is left');
      t.same(containersOf(results.run.id), [], 'no container of the run');
    },
  );
});
