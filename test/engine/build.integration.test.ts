/**
 * Real glibc builds (issue: sources, patch series, a content-addressed cache and incremental variants).
 * Cold builds take minutes: every test here shares the default cache, so only the first pays.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { Results } from '../../harness/model/results.js';
import { defaultCacheDir } from '../../harness/util/paths.js';
import { runCli } from '../helpers/cli.js';
import { glibc236, RSEQ_GLIBC_TESTS, writeMatrix } from '../helpers/matrix.js';
import { ccacheHits, incrementalTwin, readManifest } from '../helpers/twins.js';

const tmp = mkdtempSync(join(tmpdir(), 'rm-build-'));
const cache = defaultCacheDir();
const HOUR = 3_600_000;

/** Containers left by one run (other runs may share the engine while the tests run). */
function ourContainers(runId: string | undefined): string[] {
  const out = execFileSync('docker', ['ps', '-aq', '--filter', `label=rseq-matrix.session=${runId}`])
    .toString()
    .trim();
  return out ? out.split('\n') : [];
}

async function run(args: string[], timeout = 2 * HOUR) {
  const r = await runCli(['run', ...args, '--json'], { timeout, all: false });
  const out = r.stdout ? JSON.parse(r.stdout) : {};
  const results = out.results ? (JSON.parse(readFileSync(out.results, 'utf8')) as Results) : undefined;
  return { ...r, out, results };
}

/** A matrix over pristine 2.36 with the given variants (patch lists relative to patches/). */
function matrix(name: string, variants: Record<string, string[]>): string {
  return writeMatrix(tmp, {
    name,
    glibc: [glibc236()],
    variants: Object.entries(variants).map(([id, patches]) => ({ id, patches })),
    links: ['shared', 'static'],
    stages: ['main', 'thread'],
    options: { glibcTests: RSEQ_GLIBC_TESTS },
    expect: [{ expect: 'registered', why: '2.36 registers in __tls_init_tp' }],
  });
}

t.test(
  'pristine 2.36 from Debian: built, probed, upstream __rseq_size; a second run rebuilds nothing',
  async (t) => {
    const out = join(tmp, 'pristine');
    const first = await run(['matrices/pristine-2.36.yaml', '--out', out]);
    t.equal(first.exitCode, 0, `all cells pass\n${first.stderr.slice(-3000)}`);
    const r = first.results as Results;
    t.equal(r.summary.fail + r.summary.error, 0);
    const main = r.cells.find((c) => c.id === 'glibc-2.36/upstream/shared/default/main');
    t.equal(
      main?.observations[0]?.glibc.rseqSize,
      32,
      'pristine 2.36 reports __rseq_size 32 (Debian patches it to 20)',
    );
    t.equal(main?.observations[0]?.glibc.areaLen, 32);
    const b = r.builds[0];
    t.equal(b?.status, 'ok');
    t.match(b?.glibcTests, {
      'misc/tst-rseq': 'PASS',
      'misc/tst-rseq-disable': 'PASS',
      'nptl/tst-rseq-nptl': 'PASS',
    });
    // The Linux rseq selftests against upstream 2.36: all three basic ones pass, and glibc owned the
    // registration (the tests made no rseq() call of their own); valgrind's ENOSYS leaves __rseq_size 0.
    for (const test of ['basic_test', 'basic_percpu_ops_test', 'basic_percpu_ops_mm_cid_test']) {
      const c = r.cells.find((x) => x.id === `glibc-2.36/upstream/shared/default/client:${test}`);
      t.match(
        c,
        { status: 'pass', observed: { state: 'registered', owner: 'glibc', consistent: true } },
        test,
      );
      t.match(c?.observations[0]?.extra, {
        clientRegisterCalls: 0,
        initKernel: 'registered',
        initRseqSize: 32,
      });
    }
    const vg = r.cells.find((x) => x.id === 'glibc-2.36/upstream/shared/default/client:valgrind');
    t.match(vg, { status: 'pass', observed: { state: 'unavailable' } });
    t.ok(
      vg?.observations.every((o) => o.glibc.rseqSize === 0 && o.glibc.cpuId === -2),
      'upstream takes __rseq_size back to 0',
    );
    // The second run leaves the clients out: it is about the build cache.
    const again = await run([
      'matrices/pristine-2.36.yaml',
      '--out',
      join(tmp, 'pristine-again'),
      '--filter',
      'stage!=client:*',
    ]);
    t.equal(again.exitCode, 0);
    t.equal(again.results?.builds[0]?.cached, true, 'the second run takes the build from the cache');
    t.equal(again.results?.builds[0]?.key, b?.key, 'same build key');
    t.same(ourContainers(first.results?.run.id), []);
    t.same(ourContainers(again.results?.run.id), []);
  },
);

// A result built with ccache equals one built without it. The variant's build here (incremental:
// ccache compiles it, each compile a miss the first time) against the same key built incrementally
// again on a copy of its base's entry, once with a copy of the ccache directory (its compiles are then
// ccache hits) and once with ccache off. (That an incremental build equals a cold one is the nightly
// suite's check, test/nightly/abi-variant-equality.test.ts: a cold build costs minutes more.)
t.test(
  'a one-file patch builds incrementally; built again from ccache hits and without ccache, it installs the same files',
  async (t) => {
    const file = matrix('one-file', { upstream: [], banner: ['test/one-file-banner.patch'] });
    const inc = await run([file, '--out', join(tmp, 'one-file')]);
    t.equal(inc.exitCode, 0, inc.stderr.slice(-2000));
    const builds = inc.results?.builds ?? [];
    const banner = builds.find((b) => b.variant === 'banner');
    const base = builds.find((b) => b.variant === 'upstream');
    t.equal(banner?.mode, 'incremental');
    t.ok((banner?.compiledFiles ?? 99999) < 50, `the patch recompiled ${banner?.compiledFiles} files`);
    const incMs = readManifest(cache, banner?.key).durationMs;
    const coldMs = readManifest(cache, base?.key).durationMs;
    t.comment(
      `incremental build ${(incMs / 1000).toFixed(0)} s beside the cold build of its base ${(coldMs / 1000).toFixed(0)} s`,
    );
    t.ok(incMs < coldMs / 2, 'the incremental build takes far less than the cold one');
    const libc = readFileSync(join(cache, 'builds', banner?.key ?? '', 'install', 'lib', 'libc.so.6'));
    t.ok(
      libc.includes('Patched by the rseq-matrix incremental build test.'),
      'the patch is in the installed libc',
    );
    const baseLog = readFileSync(join(cache, 'builds', base?.key ?? '', 'logs', 'build.log'), 'utf8');
    const incLog = readFileSync(join(cache, 'builds', banner?.key ?? '', 'logs', 'build.log'), 'utf8');
    t.ok(
      base?.cached || /^ccache: off$/m.test(baseLog),
      'the cold build of the base compiled without ccache (the default: incremental builds only)',
    );
    t.match(incLog, /^ccache: on /m, 'the incremental build compiled through ccache');

    const twin = (ccache: boolean) =>
      incrementalTwin({
        matrix: file,
        variant: 'banner',
        cache,
        key: banner?.key,
        baseKey: base?.key,
        ccache,
        out: join(tmp, ccache ? 'one-file-hits' : 'one-file-no-ccache'),
        timeout: HOUR,
      });
    const hits = await twin(true);
    t.equal(hits.exitCode, 0, hits.stderr.slice(-2000));
    t.equal(hits.build?.key, banner?.key, 'same key');
    t.equal(hits.build?.mode, 'incremental');
    t.same(hits.differ, [], 'built from ccache hits: every installed file has the same content');
    // ccache's own count, printed by the build script: the twin's objects came from hits.
    const stats = ccacheHits(hits.log);
    t.ok(stats, 'the build log has ccache statistics');
    t.comment(`the twin from the copied ccache: ${stats?.hits} hits of ${stats?.calls} cacheable calls`);
    t.ok((stats?.calls ?? 0) > 0, 'the twin compiled through ccache');
    t.equal(stats?.hits, stats?.calls, 'every compile of the twin was a ccache hit');

    const plain = await twin(false);
    t.equal(plain.exitCode, 0, plain.stderr.slice(-2000));
    t.equal(plain.build?.key, banner?.key, 'same key');
    t.match(plain.log, /^ccache: off$/m, 'the second twin compiled without ccache');
    t.same(plain.differ, [], 'built without ccache: every installed file has the same content');
  },
);

t.test('a patch that does not apply or breaks the build errors its cells; the run goes on', async (t) => {
  const file = matrix('broken', {
    upstream: [],
    'no-apply': ['test/does-not-apply.patch'],
    'no-build': ['test/breaks-build.patch'],
  });
  const r = await run([file, '--out', join(tmp, 'broken')]);
  t.equal(r.exitCode, 1);
  const cells = r.results?.cells ?? [];
  const of = (v: string) => cells.filter((c) => c.variant === v);
  t.ok(
    of('upstream').every((c) => c.status === 'pass'),
    'the unpatched variant still passes',
  );
  for (const c of of('no-apply')) {
    t.equal(c.status, 'error');
    t.match(c.reason, 'patch test/does-not-apply.patch does not apply');
    t.match(c.logTail, /rejected hunks/);
  }
  for (const c of of('no-build')) {
    t.equal(c.status, 'error');
    t.match(c.reason, /build failed in phase make/);
    t.match(c.logTail, /breaks the build on purpose/);
  }
  t.same(ourContainers(r.results?.run.id), []);
});

t.test('a damaged cache entry is rebuilt, not trusted, also by two runs at once', async (t) => {
  const file = matrix('one-file', { banner: ['test/one-file-banner.patch'] });
  const first = await run([file, '--out', join(tmp, 'damage-1')]);
  const key = first.results?.builds[0]?.key ?? '';
  t.ok(key);
  const victim = join(cache, 'builds', key, 'install', 'lib', 'libc.so.6');
  writeFileSync(victim, 'not a libc');
  // Two runs at once on the damaged entry: one rebuilds it under the key's lock, the other waits and
  // then takes the repaired entry from the cache.
  const [a, b] = await Promise.all([
    run([file, '--out', join(tmp, 'damage-2')]),
    run([file, '--out', join(tmp, 'damage-3')]),
  ]);
  t.equal(a.exitCode, 0, a.stderr.slice(-2000));
  t.equal(b.exitCode, 0, b.stderr.slice(-2000));
  t.match(`${a.stderr}${b.stderr}`, /does not match its checksum; building it again/);
  t.same(
    [a.results?.builds[0]?.cached, b.results?.builds[0]?.cached].sort(),
    [false, true],
    'exactly one of the two runs rebuilt the entry',
  );
  t.equal(a.results?.builds[0]?.key, b.results?.builds[0]?.key);
  t.ok(readFileSync(victim).length > 1_000_000, 'libc.so.6 is whole again');
  t.ok(
    readdirSync(join(cache, 'builds')).every((n) => !n.startsWith('.tmp-') && !n.endsWith('.lock')),
    'no lock or temporary entry is left',
  );
});

t.test('a source whose checksum does not match is refused', async (t) => {
  const fake = join(tmp, 'glibc-fake.tar.xz');
  writeFileSync(fake, 'not glibc');
  const file = writeMatrix(tmp, {
    name: 'checksum',
    glibc: [
      { id: 'mine', source: 'tarball', tarball: { path: fake, sha256: 'ab'.repeat(32) }, suite: 'bookworm' },
    ],
    variants: [{ id: 'upstream' }],
    stages: ['main'],
    expect: [{ expect: 'registered', why: 'x' }],
  });
  const r = await run([file, '--out', join(tmp, 'checksum')]);
  t.equal(r.exitCode, 1);
  t.match(r.results?.cells[0], { status: 'error', reason: /checksum mismatch/ });
});

t.test('cache ls shows the builds', async (t) => {
  const r = await runCli(['cache', 'ls', '--json'], { reject: true });
  const entries = JSON.parse(r.stdout) as { key: string; hasTree: boolean }[];
  t.ok(
    entries.some((e) => e.hasTree),
    'the unpatched build keeps its trees for incremental variants',
  );
  t.ok(
    readdirSync(join(cache, 'builds')).every((n) => !n.startsWith('.tmp-')),
    'no temporary entry is left',
  );
});

t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
