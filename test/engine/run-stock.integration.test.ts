/**
 * The walking skeleton for real: the stock matrix through a real Docker engine, real images made by
 * debootstrap, real probes against Debian's own glibc 2.31 and 2.36 on this kernel, every stage and
 * scenario, each probe watched from outside by strace. Then one observer is broken on purpose.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { stockBuild } from '../../harness/builder/build.js';
import { ContainerSession } from '../../harness/docker/containers.js';
import { connectEngine } from '../../harness/docker/engine.js';
import { ensureSuiteImages } from '../../harness/docker/images.js';
import type { PlannedCell } from '../../harness/matrix/expand.js';
import { scenarioDef } from '../../harness/model/catalogue.js';
import type { CellResult, Results, StraceEvent } from '../../harness/model/results.js';
import { runProbes } from '../../harness/probe/execute.js';
import type { InvocationTable } from '../../harness/probe/plan.js';
import { silentLog } from '../../harness/util/log.js';
import { judge } from '../../harness/verdict/verdict.js';
import { runCli } from '../helpers/cli.js';
import { STOCK_BOOKWORM, writeMatrix } from '../helpers/matrix.js';

const tmp = mkdtempSync(join(tmpdir(), 'rm-stock-'));

/** Containers of one session (a run's id): other runs may share this engine at the same time. */
function ourContainers(session: string): string[] {
  const out = execFileSync('docker', ['ps', '-aq', '--filter', `label=rseq-matrix.session=${session}`])
    .toString()
    .trim();
  return out ? out.split('\n') : [];
}
const noClients = ['--filter', 'stage!=client:*'];
const runIdOf = (out: string) =>
  (JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as Results).run.id;

t.test('the stock matrix passes on this machine', async (t) => {
  const out = join(tmp, 'stock');
  const r = await runCli(['run', 'matrices/stock.yaml', '--out', out, '--json'], {
    timeout: 1_500_000,
  });
  t.equal(r.exitCode, 0, `exit 0\n${r.stderr.slice(-3000)}`);
  const summary = JSON.parse(r.stdout);
  t.equal(summary.results, join(out, 'results.json'));
  const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as Results;
  t.equal(results.schemaVersion, 2, 'results of schema version 2 (cells name their kernel)');
  t.match(results.environment, { kernel: /\S/, docker: { version: /\S/, apiVersion: /^\d+\.\d+$/ } });
  // 2 glibc x 2 links x 4 scenarios x (17 probe stages + 5 client stages); 9 probe stages have no static
  // form; clients run in the default scenario only, param_test only with --thorough, the percpu
  // selftests shared only.
  t.equal(results.cells.length, 448);
  t.same(results.summary, { pass: 268, fail: 0, error: 0, skip: 180, total: 448 });
  t.equal(results.run.complete, true);
  t.comment(`run took ${results.run.durationMs} ms`);
  let plainMs = 0;
  let tracedMs = 0;
  for (const c of results.cells) {
    if (c.status === 'skip' || c.stage.startsWith('client:')) continue;
    t.equal(c.observed.registered, c.expected.registered, `${c.id} observed = expected`);
    t.ok(
      c.observations.length > 0 && c.observations.every((o) => o.stage === c.stage),
      `${c.id} has its own observations`,
    );
    // The outside observer watched every probe, agreed with the kernel on every one (vfork-child's
    // inconsistency is glibc's claim, not strace's), and its log is kept.
    t.ok(c.strace, `${c.id} has a strace summary${c.straceReason ? `: ${c.straceReason}` : ''}`);
    t.ok(
      c.observations.every((o) => o.strace?.anyRegisteredBefore === (o.kernel === 'registered')),
      `${c.id}: strace agrees`,
    );
    t.notMatch(c.observed.inconsistency ?? '', /strace/, `${c.id}: no strace disagreement`);
    if (c.strace) t.ok(existsSync(join(out, c.strace.log)), `${c.id}: raw strace log kept`);
    t.type(c.probe?.traced?.durationMs, 'number', `${c.id}: traced run timed apart`);
    plainMs += c.probe?.durationMs ?? 0;
    tracedMs += c.probe?.traced?.durationMs ?? 0;
  }
  t.comment(
    `probe time over 200 cells: ${Math.round(plainMs)} ms untraced, ${Math.round(tracedMs)} ms under strace`,
  );
  const byId = new Map(results.cells.map((c) => [c.id, c]));
  const cell = (id: string) => byId.get(id) as CellResult;

  // The Linux rseq selftests pass on both; bookworm's glibc owned the registration, on bullseye the
  // tests registered their own area (the client observer saw their rseq() succeed).
  for (const test of ['basic_test', 'basic_percpu_ops_test', 'basic_percpu_ops_mm_cid_test']) {
    const shared = cell(`bookworm/stock/shared/default/client:${test}`);
    t.match(
      shared,
      { status: 'pass', observed: { state: 'registered', owner: 'glibc', consistent: true } },
      `bookworm ${test}`,
    );
    t.match(shared.observations[0]?.extra, {
      clientRegistered: false,
      clientRegisterCalls: 0,
      initKernel: 'registered',
    });
    const old = cell(`bullseye/stock/shared/default/client:${test}`);
    t.match(old, { status: 'pass', observed: { state: 'unregistered', owner: 'test' } }, `bullseye ${test}`);
    t.match(old.observations[0]?.extra, { clientRegistered: true, clientRegisterErrno: 0 });
    t.match(old.probe, { exitCode: 0 });
  }
  t.match(cell('bookworm/stock/static/default/client:basic_test').observed, {
    state: 'registered',
    owner: 'glibc',
  });
  t.match(cell('bullseye/stock/static/default/client:basic_test').observed, {
    state: 'unregistered',
    owner: 'test',
  });
  t.match(cell('bookworm/stock/shared/default/client:basic_test').probe?.stdoutTail, /testing current cpu/);
  // Each build group's pipeline, step by step: all ok, clients too (the default scenario has them).
  t.same(
    (results.groups ?? []).map((g) => g.id).sort(),
    ['bookworm/stock', 'bullseye/stock'],
    'one group record per build group',
  );
  for (const g of results.groups ?? []) {
    t.equal(g.executor, 'host container', `${g.id}: ran in a container on the host's kernel`);
    t.same(
      g.steps.filter((st) => st.status !== 'ok'),
      [],
      `${g.id}: every step ok`,
    );
    const names = g.steps.map((st) => st.step + (st.scenario ? `:${st.scenario}` : ''));
    t.same(
      names.slice(0, 4),
      ['build', 'compile', 'clients', 'environment'],
      `${g.id}: the steps before the runs`,
    );
    const scenarios = g.steps.filter((st) => st.step === 'run').map((st) => st.scenario);
    t.same(
      names.slice(4),
      scenarios.flatMap((s) => [`run:${s}`, `judge:${s}`]),
      `${g.id}: a run and a judge step per scenario`,
    );
    t.same(
      [...scenarios].sort(),
      ['default', 'seccomp-enosys', 'seccomp-eperm', 'tunable-off'],
      `${g.id}: every scenario ran`,
    );
    const runs = g.steps.filter((st) => st.step === 'run');
    t.equal(
      runs.reduce((n, st) => n + (st.cells ?? 0), 0),
      results.cells.filter((c) => c.glibc === g.glibc && c.status !== 'skip').length,
      `${g.id}: its run steps cover its probed cells`,
    );
  }
  const built = results.builds.find((b) => b.glibc === 'bookworm');
  t.match(built?.clients, {
    selftests: /^Linux \d+\.\d+\.\d+ rseq selftests \(Debian linux /,
    image: /^rseq-matrix\/client:bookworm-/,
  });
  // valgrind answers ENOSYS: every stage the probe reached says rseq is unavailable, and it ran to the end.
  for (const link of ['shared', 'static']) {
    const v = cell(`bookworm/stock/${link}/default/client:valgrind`);
    t.match(
      v,
      { status: 'pass', observed: { state: 'unavailable' }, probe: { exitCode: 0 } },
      `valgrind ${link}`,
    );
    t.ok(
      v.observations.length >= 3 && v.observations.every((o) => o.availErrno === 38),
      'ENOSYS at every stage',
    );
  }
  t.match(cell('bookworm/stock/shared/default/client:param_test'), { status: 'skip', reason: /--thorough/ });
  // glibc's claim as the background doc predicts: Debian's 2.36 says 20, registers 32 bytes; 2.31 has no symbols.
  t.match(cell('bookworm/stock/shared/default/main').observations[0]?.glibc, {
    rseqSize: 20,
    areaRegistered: true,
    areaLen: 32,
  });
  t.match(cell('bookworm/stock/shared/tunable-off/main').observations[0]?.glibc, { rseqSize: 0, cpuId: -2 });
  t.match(cell('bullseye/stock/shared/default/main').observations[0]?.glibc, {
    rseqSize: null,
    rseqOffset: null,
  });

  // strace agrees on bookworm default main: glibc's rseq(..., 0x20, 0, 0x53053053) = 0 precedes every marker.
  const main = cell('bookworm/stock/shared/default/main');
  t.match(main.observed, { state: 'registered', consistent: true });
  t.match(main.observations[0]?.strace, {
    registeredBefore: true,
    kernel: 'registered',
    inForce: { by: 'glibc', call: /^rseq\(0x[0-9a-f]+, 0x20, 0, 0x53053053\) = 0$/ },
  });
  const roles = (c: CellResult, tid?: number) =>
    (c.strace?.threads ?? [])
      .filter((th) => tid === undefined || th.tid === tid)
      .flatMap((th) => th.events)
      .map((e: StraceEvent) =>
        e.kind === 'rseq' ? e.role : e.kind === 'marker' ? `marker:${e.stage}` : e.kind,
      );
  t.same(roles(main).slice(0, 2), ['exec', 'glibc-register']);
  t.equal(roles(main).at(-1), 'marker:main');
  // vfork child: glibc's area shows the parent's cpu_id, the kernel (and strace) say unregistered.
  for (const link of ['shared', 'static']) {
    const v = cell(`bookworm/stock/${link}/default/vfork-child`);
    t.match(v.observed, {
      state: 'unregistered',
      consistent: false,
      inconsistency:
        /glibc claims a registration \(__rseq_size 20, cpu_id \d+\) that the kernel does not have/,
    });
    t.match(v.observations[0], {
      glibc: { areaRegistered: false },
      strace: { registeredBefore: false, inForce: null },
    });
    t.match(
      v.strace?.threads.find((th) => th.origin === 'vfork'),
      { inherited: null },
    );
  }
  // fork child: inherits the parent's registration; strace finds it in the parent.
  const fork = cell('bookworm/stock/shared/default/fork-child');
  t.match(
    fork.strace?.threads.find((th) => th.origin === 'fork'),
    { inherited: 'glibc' },
  );
  t.not(
    fork.observations[0]?.strace?.inForce?.tid,
    fork.observations[0]?.strace?.tid,
    'the call in force was made by the parent',
  );
  // static ifunc-exe: the probe wrote before glibc registered.
  t.match(cell('bookworm/stock/static/default/ifunc-exe').observations[0]?.strace, {
    registeredBefore: false,
    glibcRegisteredAfter: true,
  });
  // seccomp: glibc tried once and was refused; no new thread tried again (cpu_id -2 in the creator).
  for (const [sc, errno] of [
    ['seccomp-eperm', 'EPERM'],
    ['seccomp-enosys', 'ENOSYS'],
  ]) {
    const th = cell(`bookworm/stock/shared/${sc}/thread`);
    const calls = th.strace?.threads.flatMap((x) =>
      x.events.filter((e) => e.kind === 'rseq' && e.role === 'glibc-register'),
    );
    t.match(calls, [{ errno }], `${sc}: one refused glibc registration`);
  }
  t.same(
    roles(cell('bookworm/stock/shared/tunable-off/thread')).filter((r) => r.startsWith('glibc')),
    [],
    'tunable off: glibc never calls rseq',
  );
  t.same(
    roles(cell('bullseye/stock/shared/default/thread')).filter((r) => r.startsWith('glibc')),
    [],
    '2.31 never calls rseq',
  );
  const journal = readFileSync(join(out, 'journal.jsonl'), 'utf8').trim().split('\n');
  t.equal(journal.filter((l) => JSON.parse(l).type === 'cell').length, 448, 'every cell was journalled');
  t.same(ourContainers(results.run.id), [], 'no container of the run is left');
});

t.test('the selftests cannot be fetched: their cells are errors, the rest of the run goes on', async (t) => {
  // A port nothing listens on: connection refused at once.
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  const file = writeMatrix(tmp, {
    name: 'offline-clients',
    glibc: [STOCK_BOOKWORM],
    variants: [{ id: 'stock' }],
    stages: ['main', 'client:basic_test', 'client:valgrind'],
    clients: { selftests: { suite: 'trixie', version: 'latest', mirror: `http://127.0.0.1:${port}/debian` } },
    expect: [
      { expect: 'registered', why: '2.36 registers in __tls_init_tp' },
      { match: { stage: 'client:valgrind' }, expect: 'unavailable', why: 'valgrind answers ENOSYS' },
    ],
  });
  // An empty cache: nothing to fall back on.
  const empty = await runCli([
    'run',
    file,
    '--out',
    join(tmp, 'offline'),
    '--cache',
    join(tmp, 'empty-cache'),
    '--json',
  ]);
  t.equal(empty.exitCode, 1, `exit 1\n${empty.stderr.slice(-2000)}`);
  const r = JSON.parse(readFileSync(join(tmp, 'offline', 'results.json'), 'utf8')) as Results;
  const byStage = new Map(r.cells.map((c) => [c.stage, c]));
  t.match(byStage.get('main'), { status: 'pass' });
  t.match(byStage.get('client:valgrind'), { status: 'pass', observed: { state: 'unavailable' } });
  t.match(byStage.get('client:basic_test'), {
    status: 'error',
    reason: new RegExp(
      `^no selftests: the Linux rseq selftests could not be fetched: download of http://127\\.0\\.0\\.1:${port}/debian/dists/trixie/main/source/Sources\\.xz failed: .*ECONNREFUSED`,
    ),
  });
  // The default cache has the selftests from the runs above: the newest kept tree is used, with a warning.
  const cached = await runCli(['run', file, '--out', join(tmp, 'offline-cached'), '--json']);
  t.equal(cached.exitCode, 0, cached.stderr.slice(-2000));
  t.match(cached.stderr, /using the cached selftests of linux \d/);
});

t.test('a flipped expectation fails the run and names the cell', async (t) => {
  const text = readFileSync('matrices/stock.yaml', 'utf8').replace(
    /(- match: \{ glibc: bookworm, scenario: tunable-off \}\n\s+expect:) unregistered/,
    '$1 registered',
  );
  t.not(text, readFileSync('matrices/stock.yaml', 'utf8'), 'the copy differs');
  const file = join(tmp, 'flipped.yaml');
  writeFileSync(file, text);
  const r = await runCli(['run', file, '--out', join(tmp, 'flipped'), '--filter', 'stage=main'], {
    timeout: 600_000,
  });
  t.equal(r.exitCode, 1);
  t.match(
    r.stdout,
    'FAIL bookworm/stock/shared/tunable-off/main: expected registered, observed unregistered',
  );
  t.match(
    r.stdout,
    'FAIL bookworm/stock/static/tunable-off/main: expected registered, observed unregistered',
  );
  t.notMatch(r.stdout, /FAIL bookworm\/stock\/shared\/default/);
  t.same(ourContainers(runIdOf(join(tmp, 'flipped'))), []);
});

t.test('Ctrl-C keeps what was measured, removes the containers and exits 130', async (t) => {
  const file = 'matrices/stock.yaml';
  const out = join(tmp, 'interrupted');
  // Without the client stages: they add minutes and are tested above.
  const child = runCli(['run', file, '--out', out, '--jobs', '1', ...noClients], {
    all: true,
  });
  let sent = false;
  child.stderr?.on('data', (b: Buffer) => {
    if (!sent && b.toString().includes('probed ')) {
      sent = true;
      child.kill('SIGINT');
    }
  });
  const r = await child;
  t.ok(sent, 'the run got as far as probing');
  t.equal(r.exitCode, 130, `exit 130\n${r.all?.slice(-2000)}`);
  const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as Results;
  t.equal(results.run.complete, false);
  t.equal(results.run.interrupted, 'SIGINT');
  t.ok(results.summary.pass >= 1, `cells measured before the stop are kept (${results.summary.pass} pass)`);
  t.equal(results.summary.error, 0, 'no cell is blamed for our own stop');
  t.ok(results.cells.length < 368, 'not every cell ran');
  const journalled = readFileSync(join(out, 'journal.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .filter((l) => JSON.parse(l).type === 'cell');
  t.equal(journalled.length, results.cells.length, 'journal and results agree');
  t.same(ourContainers(results.run.id), [], 'no container of the run is left');

  // --resume carries on: the measured cells are kept, only the rest run.
  const again = await runCli(['run', file, '--out', out, '--resume', '--json', ...noClients]);
  t.equal(again.exitCode, 0, again.stderr.slice(-2000));
  t.match(again.stderr, `resuming run ${results.run.id}: ${results.cells.length} of 368 cells kept`);
  const resumed = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as Results;
  t.equal(resumed.cells.length, 368);
  t.equal(resumed.run.complete, true);
  const before = new Map(results.cells.map((c) => [c.id, c]));
  t.ok(
    resumed.cells.filter((c) => before.has(c.id)).every((c) => c.durationMs === before.get(c.id)?.durationMs),
    'kept cells are the measured ones, not measured again',
  );
});

t.test("kill -9: the next run with --resume removes the dead run's containers and carries on", async (t) => {
  const out = join(tmp, 'killed');
  const child = runCli(['run', 'matrices/stock.yaml', '--out', out, '--jobs', '1', ...noClients]);
  let killed = false;
  child.stderr?.on('data', (b: Buffer) => {
    if (!killed && b.toString().includes('probed ')) {
      killed = true;
      child.kill('SIGKILL');
    }
  });
  await child;
  t.ok(killed, 'killed while probing');
  const journal = readFileSync(join(out, 'journal.jsonl'), 'utf8').trim().split('\n');
  const runId = JSON.parse(journal[0] ?? '{}').run.id as string;
  const kept = journal.filter((l) => l.includes('"type":"cell"')).length;
  t.ok(kept > 0, `${kept} cells were journalled before the kill`);
  const again = await runCli(
    ['run', 'matrices/stock.yaml', '--out', out, '--resume', '--json', ...noClients],
    { reject: false },
  );
  t.equal(again.exitCode, 0, again.stderr.slice(-2000));
  t.match(again.stderr, `resuming run ${runId}`);
  const resumed = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as Results;
  t.equal(resumed.cells.length, 368);
  t.equal(resumed.run.complete, true);
  t.same(ourContainers(runId), [], 'the killed run left no container behind once the next run started');
});

t.test('breaking one observer: the kernel check tells registered from unregistered both ways', async (t) => {
  // Test-only preload libraries (probes/test-tamper.c): one unregisters glibc's area behind its back, the
  // other registers an area of its own while glibc.pthread.rseq=0 keeps glibc out. Hand-made invocations,
  // run with runProbes against Debian 12's own glibc, judged against what the stock matrix expects.
  const engine = await connectEngine({ autoSetup: false, log: silentLog });
  const images = await ensureSuiteImages(engine.docker, join(process.cwd(), 'images'), 'bookworm', silentLog);
  const build = stockBuild(
    { id: 'bookworm', source: 'stock', suite: 'bookworm' } as Parameters<typeof stockBuild>[0],
    { id: 'stock' } as Parameters<typeof stockBuild>[1],
    images,
  );
  const sessionId = `tamper-${process.pid}-${Date.now()}`;
  const session = new ContainerSession(engine.docker, sessionId, silentLog);
  t.teardown(() => session.close());
  const binDir = mkdtempSync(join(tmp, 'bin-'));
  const made = await session.run({
    image: build.image,
    cmd: ['make', '-s', '-C', '/rm/src', 'OUT=/rm/bin', 'all', 'test-libs'],
    binds: [`${join(process.cwd(), 'probes')}:/rm/src:ro`, `${binDir}:/rm/bin`],
    network: 'none',
    timeoutMs: 300_000,
    purpose: 'compile the probes and their test libraries',
  });
  t.equal(made.exitCode, 0, `make test-libs\n${made.stderr.slice(-2000)}`);
  const planned = (scenario: string, stage: string, expect: 'registered' | 'unregistered'): PlannedCell => ({
    id: `bookworm/tamper/shared/${scenario}/${stage}`,
    glibc: 'bookworm',
    variant: 'tamper',
    kernel: 'host',
    link: 'shared',
    scenario,
    stage,
    patches: [],
    expected: {
      state: expect,
      registered: expect === 'registered',
      rule: 0,
      why: 'what matrices/stock.yaml expects',
    },
  });
  const probe = async (scenario: string, lib: string, cells: PlannedCell[]) => {
    const table: InvocationTable = Object.fromEntries(
      cells.map((c) => [
        c.stage,
        { shared: { program: 'probe-shared', args: [c.stage], env: { LD_PRELOAD: `{bin}/${lib}` } } },
      ]),
    );
    const outputs = await runProbes({
      session,
      build,
      binDir,
      workDir: mkdtempSync(join(tmp, `tamper-${scenario}-`)),
      scenario: scenarioDef(scenario)!,
      cells,
      table,
      timeoutSec: 10,
    });
    return cells.map((c) => {
      const out = outputs.get(c.id)!;
      return { out, j: judge(c, out), mine: out.observations.filter((o) => o.stage === c.stage) };
    });
  };

  // 1. Registered -> unregistered: glibc still claims 20 bytes; the kernel check and strace say no.
  const [main, thread] = await probe('default', 'libprobe-test-unregister.so', [
    planned('default', 'main', 'registered'),
    planned('default', 'thread', 'registered'),
  ]);
  t.match(main?.j, {
    status: 'fail',
    reason: 'expected registered, observed unregistered',
    observed: {
      consistent: false,
      inconsistency:
        /glibc claims a registration \(__rseq_size 20, cpu_id -1\) but its area is not registered/,
    },
  });
  t.match(main?.mine[0], {
    kernel: 'unregistered',
    glibc: { rseqSize: 20, cpuId: -1, areaRegistered: false },
  });
  t.match(main?.mine[0]?.strace, {
    registeredBefore: false,
    anyRegisteredBefore: false,
    kernel: 'unregistered',
  });
  t.same(
    main?.j.strace?.threads[0]?.events
      .filter((e) => e.kind === 'rseq')
      .map((e) => (e.kind === 'rseq' ? e.role : '')),
    ['glibc-register', 'glibc-unregister'],
    "strace saw glibc register and the test library unregister with glibc's signature",
  );
  // A thread created afterwards: glibc does not even try (the creator's cpu_id is not >= 0).
  t.match(thread?.j, { status: 'fail', observed: { registered: false } });
  t.match(thread?.mine[0], { glibc: { cpuId: -2 } });
  t.same(
    thread?.j.strace?.threads.find((th) => th.origin === 'thread')?.events.filter((e) => e.kind === 'rseq'),
    [],
  );

  // 2. Unregistered -> registered: the tunable keeps glibc out, the library registers its own area.
  const [own] = await probe('tunable-off', 'libprobe-test-register.so', [
    planned('tunable-off', 'main', 'unregistered'),
  ]);
  t.match(own?.j, {
    status: 'fail',
    reason: 'expected unregistered, observed registered',
    observed: { consistent: false },
  });
  t.match(own?.j.observed.inconsistency, /the kernel has a registration, but not of glibc's area/);
  t.match(
    own?.j.observed.inconsistency,
    /strace saw rseq\(0x[0-9a-f]+, 0x20, 0, 0x7e57a11c\) = 0 in this thread, not glibc's registration/,
  );
  t.match(own?.mine[0], { kernel: 'registered', glibc: { rseqSize: 0, cpuId: -2, areaRegistered: false } });
  t.match(own?.mine[0]?.strace, {
    registeredBefore: false,
    anyRegisteredBefore: true,
    inForce: { by: 'other' },
  });
  await session.close();
  t.same(ourContainers(sessionId), [], 'no container is left');
});
