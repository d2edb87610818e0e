/**
 * The build tweak of images/glibc-build.sh changes no installed byte. A 2019-ABI variant (libc-tls-abi:
 * it changes Versions files, so glibc's rules regenerate abi-versions.h) built incrementally, where the
 * tweak keeps abi-versions.h's old mtime and make recompiles only what really changed, installs the same
 * files as the same key built cold from the tarball, in a cache of its own (a cold build compiles
 * without ccache). Costs a cold build of 2.36, two on an empty cache (the base and the twin).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { Results } from '../../harness/model/results.js';
import { defaultCacheDir } from '../../harness/util/paths.js';
import { runCli } from '../helpers/cli.js';
import { glibc236, RSEQ_GLIBC_TESTS, writeMatrix } from '../helpers/matrix.js';
import { pinnedMatrix } from '../helpers/pins.js';
import { coldTwin } from '../helpers/twins.js';

const HOUR = 3_600_000;
const PATCH = '2.36/libc-tls-abi/0001-tls-rseq-abi-in-libc.patch';

t.test('libc-tls-abi built incrementally equals the same key built cold', async (t) => {
  const tmp = mkdtempSync(join(tmpdir(), 'rm-abi-equal-'));
  const cache = defaultCacheDir();
  // The pinned 2.36 and the default matrix's glibc tests: the same build keys as matrices/rseq.yaml's.
  const unpinned = writeMatrix(tmp, {
    name: 'abi-equality',
    glibc: [glibc236()],
    variants: [
      { id: 'upstream', patches: [] },
      { id: 'libc-tls-abi', patches: [PATCH] },
    ],
    stages: ['main'],
    options: { glibcTests: RSEQ_GLIBC_TESTS },
    expect: [{ expect: 'registered', why: 'both register in the main thread before main' }],
  });
  const file = await pinnedMatrix(t, unpinned, mkdtempSync(join(tmpdir(), 'rm-abi-pinned-')));
  if (!file) return;
  const r = await runCli(['run', file, '--out', join(tmp, 'inc'), '--json'], {
    timeout: 2 * HOUR,
    all: false,
  });
  const summary = r.stdout ? JSON.parse(r.stdout) : {};
  t.ok(summary.results, `the run wrote results\n${r.stderr.slice(-2000)}`);
  if (!summary.results) return;
  const results = JSON.parse(readFileSync(summary.results, 'utf8')) as Results;
  const inc = results.builds.find((b) => b.variant === 'libc-tls-abi');
  t.equal(inc?.status, 'ok', 'libc-tls-abi built');
  t.equal(inc?.mode, 'incremental', 'from the unpatched tree');
  t.comment(`libc-tls-abi: ${inc?.compiledFiles} files compiled incrementally`);
  t.ok(
    (inc?.compiledFiles ?? 99_999) < 1_500,
    'abi-versions.h kept its mtime: its readers were not recompiled',
  );
  const baseLog = readFileSync(
    join(
      cache,
      'builds',
      results.builds.find((b) => b.variant === 'upstream')?.key ?? '',
      'logs',
      'build.log',
    ),
    'utf8',
  );
  t.match(baseLog, /build tweak: abi-versions\.h written through move-if-change/, 'the tweak applied');

  const c = await coldTwin({
    matrix: file,
    variant: 'libc-tls-abi',
    cache,
    key: inc?.key,
    out: join(tmp, 'cold'),
    timeout: 2 * HOUR,
  });
  t.equal(c.build?.key, inc?.key, 'same key');
  t.equal(c.build?.mode, 'cold', `built cold\n${c.stderr.slice(-2000)}`);
  t.same(c.differ, [], 'every installed file has the same content');
});
