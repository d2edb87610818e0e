/**
 * The default matrix for real (issue: patch variants that answer the seed's questions): every design
 * built from the cached upstream tree, every cell as predicted, and every design visibly different
 * from upstream. Cold, this builds glibc 2.36 once and each variant incrementally (with ccache);
 * the build tests before it usually leave 2.36 in the cache.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { Results } from '../../harness/model/results.js';
import { runCli } from '../helpers/cli.js';
import { containersOf } from '../helpers/faults.js';
import { pinnedMatrix } from '../helpers/pins.js';

/**
 * Every cell of the default matrix but the sid baseline's and v10's: building the newest glibc cold adds
 * about 12 minutes to a suite that must pass within 60 on a bare machine, and v10 changes the installed
 * `sys/rseq.h`, which about 3,300 of 2.36's 7,800 objects include (real compiles, no cache can answer
 * them), where the other 2019-ABI variants recompile about 810. test/nightly/run-rseq-slow.test.ts runs
 * both (`npm run test:nightly`, the nightly workflow), as does `npm run matrix`.
 */
const filter = ['--filter', 'glibc!=glibc-sid,variant!=v10'];

t.test('matrices/rseq.yaml: every cell as its design predicts', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'rm-rseq-'));
  // The default matrix with the Debian versions this test was written for (test/helpers/pins.ts).
  const matrix = await pinnedMatrix(t, 'matrices/rseq.yaml', out);
  if (!matrix) return;
  const r = await runCli(['run', matrix, '--out', out, '--json', ...filter], {
    timeout: 4 * 3_600_000,
  });
  const summary = JSON.parse(r.stdout || '{}');
  t.equal(
    r.exitCode,
    0,
    `all cells pass\n${JSON.stringify(summary.notPassing?.slice(0, 20), null, 1)}\n${r.stderr.slice(-3000)}`,
  );
  const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as Results;
  const cells = new Map(results.cells.map((c) => [c.id, c]));

  // Every patched variant was built from the unpatched tree of its glibc, not from scratch.
  for (const b of results.builds) {
    t.equal(b.status, 'ok', `${b.glibc}/${b.variant} built`);
    if (b.variant !== 'upstream' && b.variant !== 'stock' && !b.cached)
      t.equal(b.mode, 'incremental', `${b.variant} incremental`);
  }
  // The 2019-ABI variants change Versions files. With abi-versions.h written through move-if-change
  // (the build tweak in images/glibc-build.sh) make recompiles only what really changed: the patched
  // files and the ~801 objects that read first-versions.h, whose text changes when new symbols are
  // exported. Without the tweak it was about 2,855 files (abi-versions.h's ~2,050 readers on top).
  for (const v of ['libc-tls-abi', 'ldso-handled', 'ldso-handled-early', 'ldso-dlsym']) {
    const b = results.builds.find((x) => x.glibc === 'glibc-2.36' && x.variant === v);
    t.comment(`${v}: ${b?.compiledFiles} files compiled`);
    t.ok(
      (b?.compiledFiles ?? 99_999) < 1_500,
      `${v} recompiles fewer than 1,500 files (${b?.compiledFiles}), not abi-versions.h's readers`,
    );
  }
  // glibc's own rseq tests, judged. Predicted from 2.36's tests before the first run that recorded them:
  // tst-rseq requires the TCB area at __rseq_offset to be registered with __rseq_size 32
  // (sysdeps/unix/sysv/linux/tst-rseq.c:41-46, tst-rseq.h:29-32), which the 2019-ABI variants leave
  // unregistered and 0: FAIL, as measured. tst-rseq-nptl was predicted to FAIL for the same reason and
  // PASSES on every 2019-ABI variant: the prediction was wrong, its only rseq check (tst-rseq.h:27-31,
  // cpu_id >= 0 on an unsigned field on x86_64) is always true (docs/findings.md, "glibc's own tests").
  const PASS3 = { 'misc/tst-rseq': 'PASS', 'misc/tst-rseq-disable': 'PASS', 'nptl/tst-rseq-nptl': 'PASS' };
  const ABI2019 = { 'misc/tst-rseq': 'FAIL', 'misc/tst-rseq-disable': 'PASS', 'nptl/tst-rseq-nptl': 'PASS' };
  const glibcTests: Record<string, Record<string, string>> = {
    upstream: PASS3,
    'early-init': PASS3,
    'libc-ctor': PASS3,
    'libc-start': PASS3,
    'libc-tls-abi': ABI2019,
    'ldso-handled': ABI2019,
    'ldso-handled-early': ABI2019,
    'ldso-dlsym': ABI2019,
  };
  for (const b of results.builds.filter((b) => b.glibc === 'glibc-2.36')) {
    t.comment(`${b.variant}: glibc tests ${JSON.stringify(b.glibcTests)}`);
    t.same(b.glibcTests, glibcTests[b.variant], `${b.variant}: glibc's rseq tests as predicted`);
  }

  // Each design differs from upstream somewhere, in the default scenario.
  const designs = [...new Set(results.cells.map((c) => c.variant))].filter(
    (v) => v !== 'upstream' && v !== 'stock',
  );
  for (const v of designs) {
    const differ = results.cells.filter((c) => {
      if (c.variant !== v || c.scenario !== 'default' || c.status === 'skip') return false;
      const up = cells.get(`${c.glibc}/upstream/${c.link}/${c.scenario}/${c.stage}`);
      return up && up.observed.state !== c.observed.state;
    });
    t.ok(
      differ.length > 0,
      `${v} differs from upstream at ${differ.map((c) => `${c.link}/${c.stage}`).join(', ')}`,
    );
  }
  // The seed's "observable transition": early-init announces __rseq_size before the kernel has the area.
  const early = cells.get('glibc-2.36/early-init/shared/default/ifunc-exe');
  t.match(early?.observations[0], { kernel: 'unregistered', glibc: { rseqSize: 32, cpuId: -1 } });

  // Real clients: the selftests agree with the probes on who registers; under libc-start their library
  // trusted __rseq_size before glibc had registered (the difference a selftest alone cannot show);
  // the 2019 ABI makes them fail, as the matrix now expects (clientFails).
  t.match(cells.get('bullseye/stock/shared/default/client:basic_test'), {
    status: 'pass',
    observed: { state: 'unregistered', owner: 'test' },
  });
  t.match(cells.get('glibc-2.36/upstream/shared/default/client:basic_test'), {
    status: 'pass',
    observed: { state: 'registered', owner: 'glibc', consistent: true },
  });
  const late = cells.get('glibc-2.36/libc-start/shared/default/client:basic_test');
  t.match(late, {
    status: 'pass',
    observed: { owner: 'glibc', consistent: false, inconsistency: /did not have yet/ },
  });
  t.match(late?.observations[0]?.extra, {
    initKernel: 'unregistered',
    initRseqSize: 32,
    clientRegisterCalls: 0,
  });
  t.match(cells.get('glibc-2.36/libc-tls-abi/shared/default/client:basic_test'), {
    status: 'pass',
    reason: /^failed as expected: basic_test failed \(exit 255\)/,
  });
  // __rseq_handled where the 2019 thread set it: 0 until the registration, so never a false claim;
  // set at TLS set-up (the harness's early placement), 1 while nothing is registered.
  const flagAt = (v: string, stage: string) => cells.get(`glibc-2.36/${v}/shared/default/${stage}`);
  t.match(flagAt('ldso-handled', 'ifunc-exe'), {
    observed: { state: 'unregistered', consistent: true },
    observations: [{ extra: { rseqHandled: 0 } }],
  });
  t.match(flagAt('ldso-handled', 'preload-ctor'), {
    observed: { state: 'registered' },
    observations: [{ extra: { rseqHandled: 1 } }],
  });
  // ldso-dlsym: registered before relocation, so IFUNC resolvers run registered; the TLS image copied
  // after relocation leaves the registered __rseq_abi reading cpu_id -1.
  t.match(flagAt('ldso-dlsym', 'ifunc-exe'), { status: 'pass', observed: { state: 'registered' } });
  // Until the kernel next writes it (a preemption, migration or signal before main: usually none, but
  // a busy machine made one in a CI run of 2026-12-06), so either -1 with the inconsistency, or a CPU.
  const dlsymMain = flagAt('ldso-dlsym', 'main');
  t.match(dlsymMain, {
    observed: { state: 'registered' },
    observations: [{ extra: { rseqAbiRegistered: true } }],
  });
  const mainCpu = dlsymMain?.observations[0]?.extra?.rseqAbiCpuId;
  t.comment(`ldso-dlsym main: the registered __rseq_abi reads cpu_id ${mainCpu}`);
  if (mainCpu === -1) t.match(dlsymMain?.observed, { consistent: false, inconsistency: /cpu_id reads -1/ });
  else t.ok(typeof mainCpu === 'number' && mainCpu >= 0, 'or a CPU, once the kernel wrote it');
  t.match(flagAt('ldso-handled-early', 'ifunc-exe'), {
    observed: { state: 'unregistered', consistent: false },
    observations: [{ extra: { rseqHandled: 1 } }],
  });
  for (const v of [
    'upstream',
    'early-init',
    'libc-ctor',
    'libc-start',
    'libc-tls-abi',
    'ldso-handled',
    'ldso-handled-early',
    'ldso-dlsym',
  ])
    t.match(cells.get(`glibc-2.36/${v}/static/default/client:valgrind`), {
      status: 'pass',
      observed: { state: 'unavailable' },
    });
  t.same(containersOf(results.run.id), [], 'no container of the run is left');

  // The outside observers watched every probed cell of every design. strace agrees with the kernel
  // check on every observation but one: ldso-dlsym's preload-thread, whose answer depends on whether
  // the kernel rewrote cpu_id before pthread_create read it, and strace's stops make it do so (the cell
  // says so in its inconsistency). The ptrace reading never disagrees (that would make a cell error).
  const observerEffect = new Set(['glibc-2.36/ldso-dlsym/shared/default/preload-thread']);
  const probed = results.cells.filter((c) => c.status !== 'skip' && !c.stage.startsWith('client:'));
  t.ok(probed.length > 1000, `${probed.length} probed cells`);
  const straceDisagrees = probed.filter(
    (c) =>
      !c.strace ||
      c.observations.some((o) => o.strace && o.strace.anyRegisteredBefore !== (o.kernel === 'registered')),
  );
  t.ok(
    straceDisagrees.every(
      (c) => observerEffect.has(c.id) && /under strace/.test(c.observed.inconsistency ?? ''),
    ),
    `strace agrees on every probed cell but the known observer effect: ${straceDisagrees.map((c) => c.id).join(', ')}`,
  );
  t.same(
    probed.filter((c) => !c.ptrace).map((c) => `${c.id}: ${c.ptraceReason}`),
    [],
    'every probed cell has its PTRACE_GET_RSEQ_CONFIGURATION record',
  );
  t.same(
    probed.filter((c) => /observers disagree/.test(c.reason ?? '')).map((c) => c.id),
    [],
    'the ptrace reading and the in-process check never disagree',
  );

  // glibc's own tests, judged by the run against matrices/rseq.yaml's expectTests: every 2.36 build
  // judges each test it ran, every outcome is the expected one (a mismatch would also have made the
  // run exit 1 above), and the 2019 ABI's tst-rseq FAIL is expected, not a failing verdict.
  for (const b of results.builds.filter((b) => b.glibc === 'glibc-2.36')) {
    const ran = Object.keys(b.glibcTests ?? {});
    t.ok(ran.length >= 3, `${b.variant}: glibc's rseq tests ran (${ran.join(', ')})`);
    t.same(
      b.glibcTestVerdicts?.map((v) => [v.test, v.outcome, v.verdict]),
      ran.map((test) => [test, b.glibcTests?.[test], 'pass']),
      `${b.variant}: every glibc test judged, each as expected\n${JSON.stringify(b.glibcTestVerdicts)}`,
    );
  }
  for (const v of ['libc-tls-abi', 'ldso-handled', 'ldso-dlsym', 'ldso-handled-early'])
    t.match(
      results.builds.find((b) => b.variant === v)?.glibcTestVerdicts?.find((x) => x.test === 'misc/tst-rseq'),
      { outcome: 'FAIL', expected: 'FAIL', verdict: 'pass', why: /__rseq_size/ },
      `${v}: tst-rseq fails, as its expectation says`,
    );
});
