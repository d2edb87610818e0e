/**
 * A fault injected for real (issue #8): the source download fails (a mirror that refuses connections),
 * with the source and its build in the cache (the run goes on: a pinned version needs no download,
 * `latest` uses the last cached index with a warning) and with nothing cached (the cells are errors
 * naming the download, exit 3).
 *
 * What the cases that go on need, this file obtains itself (test/helpers/faults.ts): glibc 2.36's .dsc
 * and orig tarball in the default cache (glibc236Source), and its unpatched build there (glibc236Build:
 * a one-cell run of the CLI, seconds when a run built it before, about 10 minutes otherwise). Both are
 * copied into a temporary cache, as the cache of a machine that has run this matrix before holds them.
 */
import { copyFileSync, cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import {
  containersOf,
  deadMirror,
  FaultRuns,
  glibc236Build,
  glibc236Source,
  HOME_CACHE,
  halfPublished,
  noStackTrace,
  oneLine,
  resultsOf,
  seedSource,
} from '../helpers/faults.js';
import { requirePrereq } from '../helpers/prereq.js';

const runs = new FaultRuns(t, 'faults-download');
const dead = await deadMirror();

t.test('the source download fails', async (t) => {
  const source = await glibc236Source();
  if (!requirePrereq(t, "glibc 2.36's source in the default cache", typeof source === 'string' && source))
    return;
  const src = source as Exclude<typeof source, string>;

  await t.test('with the source and its build cached', async (t) => {
    const made = await glibc236Build(runs, src);
    if (
      !requirePrereq(t, `a build of glibc ${src.version} in ${HOME_CACHE}`, typeof made === 'string' && made)
    )
      return;
    const b = made as Exclude<typeof made, string>;
    // One cache for both cases: the source, and the build made from it (its install tree and manifest,
    // copied), as the cache of a machine that has run this matrix before holds them.
    const cache = join(runs.tmp, 'offline-cache');
    seedSource(cache, src);
    cpSync(join(HOME_CACHE, 'builds', b.key, 'install'), join(cache, 'builds', b.key, 'install'), {
      recursive: true,
      verbatimSymlinks: true,
    });
    copyFileSync(
      join(HOME_CACHE, 'builds', b.key, 'manifest.json'),
      join(cache, 'builds', b.key, 'manifest.json'),
    );

    await t.test('a pinned version whose source is cached: the run goes on without the mirror', async (t) => {
      const out = join(runs.tmp, 'offline-pinned');
      const r = await runs.run([
        runs.sourceMatrix('offline', { version: src.version, mirror: dead.url, glibcTests: b.glibcTests }),
        '--out',
        out,
        '--cache',
        cache,
        '--no-setup',
      ]);
      t.equal(r.exitCode, 0, 'exit 0', { output: r.stderr.slice(-2500) });
      noStackTrace(t, r.stderr);
      t.notMatch(r.stderr, /fetching|download of/, 'nothing was downloaded');
      const results = resultsOf(out);
      t.match(
        results.builds,
        [{ glibc: 'glibc-2.36', status: 'ok', key: b.key, cached: true }],
        'the cached build, under the same key',
      );
      t.same(results.summary, { pass: 2, fail: 0, error: 0, skip: 0, total: 2 }, 'its cells measured');
      t.same(containersOf(results.run.id), [], 'no container of the run');
    });

    await t.test('version latest, mirror down: the last cached index is used, with a warning', async (t) => {
      // An index fetched on an earlier day (sources.ts keeps one per suite and day).
      mkdirSync(join(cache, 'sources', 'index'), { recursive: true });
      writeFileSync(
        join(cache, 'sources', 'index', 'bookworm-2000-01-01.v2.json'),
        JSON.stringify([{ version: src.version, directory: 'pool/main/g/glibc' }]),
      );
      const out = join(runs.tmp, 'offline-latest');
      const r = await runs.run([
        runs.sourceMatrix('offline-latest', {
          version: 'latest',
          mirror: dead.url,
          glibcTests: b.glibcTests,
        }),
        '--out',
        out,
        '--cache',
        cache,
        '--no-setup',
      ]);
      t.equal(r.exitCode, 0, 'exit 0', { output: r.stderr.slice(-2500) });
      t.match(
        r.stderr,
        `warning: download of ${dead.url}/dists/bookworm/main/source/Sources.xz failed: ${dead.refused}; using the cached index bookworm-2000-01-01.v2.json instead`,
      );
      const results = resultsOf(out);
      t.match(results.builds, [{ status: 'ok', key: b.key, cached: true }]);
      t.same(results.summary, { pass: 2, fail: 0, error: 0, skip: 0, total: 2 });
      t.same(containersOf(results.run.id), [], 'no container of the run');
    });
  });

  await t.test('nothing cached: the cells are errors naming the download, exit 3', async (t) => {
    const empty = join(runs.tmp, 'offline-empty');
    mkdirSync(empty);
    for (const [name, version, url] of [
      ['pinned', src.version, `${dead.url}/pool/main/g/glibc/glibc_${src.version}.dsc`],
      ['latest', 'latest', `${dead.url}/dists/bookworm/main/source/Sources.xz`],
    ] as const) {
      const out = join(runs.tmp, `offline-empty-${name}`);
      const r = await runs.run([
        runs.sourceMatrix(`empty-${name}`, { version, mirror: dead.url }),
        '--out',
        out,
        '--cache',
        empty,
        '--no-setup',
      ]);
      t.equal(r.exitCode, 3, `${version}: exit 3`, { output: r.stderr.slice(-2000) });
      const reason = `build glibc-2.36/upstream: download of ${url} failed: ${dead.refused}`;
      oneLine(
        t,
        r.stderr,
        new RegExp(
          `^rseq-matrix: no cell could be measured: ${reason.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`,
        ),
      );
      const results = resultsOf(out);
      t.same(
        results.cells.map((c) => [c.status, c.reason]),
        [
          ['error', reason],
          ['error', reason],
        ],
        `${version}: both cells are errors naming the download`,
      );
      t.match(results.builds, [{ status: 'error', reason }]);
      t.same(halfPublished(empty), [], `${version}: no partial download left`);
      t.same(containersOf(results.run.id), [], `${version}: no container of the run`);
    }
  });
});
