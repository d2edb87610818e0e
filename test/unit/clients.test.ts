/**
 * Client stages (the Linux rseq selftests, valgrind) as pure logic: where they apply, how they are
 * started, and how their cells are judged from the client observer's line. The real runs are in
 * run-stock.integration.test.ts and run-rseq.integration.test.ts.
 */
import t from 'tap';
import { type PlannedCell, resolveExpectation } from '../../harness/matrix/expand.js';
import { CLIENT_STAGES, type ClientDef, scenarioDef, stageDef } from '../../harness/model/catalogue.js';
import type { Observation, ProbeRun } from '../../harness/model/results.js';
import { clientInvocation, runnerScript } from '../../harness/probe/plan.js';
import { clientInconsistency, clientOwner, judge } from '../../harness/verdict/verdict.js';
import { observation } from '../helpers/observation.js';

const cell = (
  stage: string,
  state: PlannedCell['expected']['state'],
  link: 'shared' | 'static' = 'shared',
): PlannedCell => ({
  id: `g/v/${link}/default/${stage}`,
  glibc: 'g',
  variant: 'v',
  kernel: 'host',
  link,
  scenario: 'default',
  stage,
  patches: [],
  expected: { state, registered: state === 'skip' ? null : state === 'registered', rule: 0, why: 'w' },
});
const run = (over: Partial<ProbeRun> = {}): ProbeRun => ({
  command: 'basic_test',
  exitCode: 0,
  signal: null,
  timedOut: false,
  durationMs: 5,
  stderrTail: '',
  ...over,
});
/** The observer's line at exit: glibc owned it (its area registered, the test made no registration). */
function observerLine(
  over: {
    kernel?: Observation['kernel'];
    extra?: Observation['extra'];
    glibc?: Partial<Observation['glibc']>;
  } = {},
): Observation {
  const o = observation('client:basic_test', over.kernel ?? 'registered', { rseqSize: 32, ...over.glibc });
  o.extra = {
    clientRegisterCalls: 0,
    clientRegistered: false,
    clientRegisterErrno: 0,
    initKernel: 'registered',
    initRseqSize: 32,
    ...over.extra,
  };
  return o;
}
const testOwned = () =>
  observerLine({
    kernel: 'unregistered',
    glibc: { rseqSize: 0, cpuId: -2, areaRegistered: false },
    extra: { clientRegisterCalls: 1, clientRegistered: true, initKernel: 'unregistered', initRseqSize: 0 },
  });

t.test('client stages run in the default scenario only, in both links', async (t) => {
  t.same(
    CLIENT_STAGES.map((s) => s.id),
    [
      'client:basic_test',
      'client:basic_percpu_ops_test',
      'client:basic_percpu_ops_mm_cid_test',
      'client:param_test',
      'client:rseq-2019',
      'client:valgrind',
    ],
  );
  const coords = {
    glibc: 'g',
    variant: 'v',
    kernel: 'host',
    link: 'static' as const,
    stage: 'client:basic_test',
  };
  t.match(resolveExpectation([{ expect: 'registered', why: 'w' }], { ...coords, scenario: 'tunable-off' }), {
    kind: 'ok',
    expected: { state: 'skip', rule: -1, why: /default scenario only/ },
  });
  t.match(resolveExpectation([{ expect: 'registered', why: 'w' }], { ...coords, scenario: 'default' }), {
    kind: 'ok',
    expected: { state: 'registered', rule: 0 },
  });
});

t.test('how a client is started', async (t) => {
  const def = (id: string) => stageDef(id)?.client as ClientDef;
  const scenario = scenarioDef('default');
  if (!scenario) throw new Error('no default scenario');
  const opts = { timeoutSec: 10, thoroughTimeoutSec: 3600 };
  const shared = clientInvocation(def('client:basic_test'), 'client:basic_test', 'shared', scenario, opts);
  t.same(shared.argv, ['/rm/clients/shared/basic_test']);
  t.same(shared.env, {
    RSEQ_MATRIX_CLIENT: 'client:basic_test',
    LD_PRELOAD: '/rm/clients/libprobe-client.so',
  });
  t.equal(shared.trace, false, 'strace does not watch clients');
  t.ok((shared.timeoutSec ?? 0) >= 300, "a selftest gets minutes, not the probes' seconds");
  const stat = clientInvocation(def('client:basic_test'), 'client:basic_test', 'static', scenario, opts);
  t.same(
    stat.env,
    { RSEQ_MATRIX_CLIENT: 'client:basic_test' },
    'static: the observer is linked in, nothing to preload',
  );
  const param = clientInvocation(def('client:param_test'), 'client:param_test', 'shared', scenario, opts);
  t.same(param.argv, ['/bin/bash', '-c', 'cd /rm/clients/shared && exec bash ./run_param_test.sh']);
  t.equal(param.timeoutSec, 3600);
  const vg = clientInvocation(def('client:valgrind'), 'client:valgrind', 'static', scenario, opts);
  t.same(vg.argv, ['valgrind', '-q', '/rm/bin/probe-static', 'main']);

  const script = runnerScript([{ ...shared, id: 'shared-client-basic_test' }], 10);
  t.match(script, /^T=300 probe shared-client-basic_test RSEQ_MATRIX_CLIENT=client:basic_test /m);
  t.match(script, /timeout -s TERM -k 2 "\$\{T:-10\}"/);
  t.notMatch(script, /^traced /m, 'no traced re-run');
});

t.test('the 2019-ABI client: built by clients.mk, shared and static, judged as a selftest', async (t) => {
  const def = stageDef('client:rseq-2019');
  t.same(def?.client, { kind: 'selftest', program: 'rseq-2019' });
  t.same(def?.links, ['shared', 'static']);
  t.match(def?.linkNotApplicable?.['static-pie'], /constructor runs after static-pie's self-relocation/);
  const scenario = scenarioDef('default');
  if (!scenario || !def?.client) throw new Error('no default scenario or client');
  const opts = { timeoutSec: 10, thoroughTimeoutSec: 3600 };
  const shared = clientInvocation(def.client, 'client:rseq-2019', 'shared', scenario, opts);
  t.same(shared.argv, ['/rm/clients/shared/rseq-2019']);
  t.same(shared.env.RSEQ_MATRIX_CLIENT, 'client:rseq-2019');
  const coords = {
    glibc: 'g',
    variant: 'v',
    kernel: 'host',
    link: 'static-pie' as const,
    stage: 'client:rseq-2019',
  };
  t.match(resolveExpectation([{ expect: 'registered', why: 'w' }], { ...coords, scenario: 'default' }), {
    kind: 'ok',
    expected: { state: 'skip', why: /2019 client is built shared and static only/ },
  });

  // The 2.35 ABI: glibc's TCB area is registered, the client's own registration was refused.
  const refused = observerLine({
    glibc: { areaRegistered: true },
    extra: { clientRegisterCalls: 1, clientRegisterErrno: 22, clientHandled: null, clientUsable: false },
  });
  refused.stage = 'client:rseq-2019';
  const failedRun = run({ exitCode: 1, stderrTail: 'rseq-2019: cannot use rseq: EINVAL (22)\n' });
  const expectFail = cell('client:rseq-2019', 'registered');
  expectFail.expected.clientFails = true;
  t.match(judge(expectFail, { observations: [refused], run: failedRun }), {
    status: 'pass',
    reason: /failed as expected: rseq-2019 failed \(exit 1\): rseq-2019: cannot use rseq: EINVAL/,
    observed: { state: 'registered', owner: 'glibc' },
  });
  t.match(judge(cell('client:rseq-2019', 'registered'), { observations: [refused], run: failedRun }), {
    status: 'fail',
    reason: /rseq-2019 failed \(exit 1\)/,
  });
  // The 2019 ABI: the client took glibc's __rseq_abi, which is the registered area.
  const shares = observerLine({
    glibc: { rseqSize: 0, areaRegistered: false },
    extra: {
      clientHandled: 1,
      clientUsable: true,
      rseqAbiFound: true,
      rseqAbiCpuId: 1,
      rseqAbiRegistered: true,
    },
  });
  shares.stage = 'client:rseq-2019';
  t.match(judge(cell('client:rseq-2019', 'registered'), { observations: [shares], run: run() }), {
    status: 'pass',
    observed: { state: 'registered', owner: 'glibc' },
  });
});

t.test('who owned the registration', async (t) => {
  t.equal(clientOwner(observerLine()), 'glibc');
  t.equal(clientOwner(testOwned()), 'test');
  t.equal(
    clientOwner(observerLine({ kernel: 'unavailable', glibc: { areaRegistered: null, rseqSize: 0 } })),
    'none',
  );
});

t.test('selftest verdicts: the test outcome first, then the owner against the expectation', async (t) => {
  t.match(judge(cell('client:basic_test', 'registered'), { observations: [observerLine()], run: run() }), {
    status: 'pass',
    observed: { state: 'registered', owner: 'glibc', consistent: true },
  });
  t.match(judge(cell('client:basic_test', 'unregistered'), { observations: [testOwned()], run: run() }), {
    status: 'pass',
    observed: { state: 'unregistered', owner: 'test' },
  });
  // A variant that silently stopped registering: the selftest still passes, the cell does not.
  t.match(judge(cell('client:basic_test', 'registered'), { observations: [testOwned()], run: run() }), {
    status: 'fail',
    reason: 'basic_test passed, but expected registered, observed unregistered (owner: test)',
  });
  t.match(
    judge(cell('client:basic_test', 'registered'), {
      observations: [],
      run: run({
        exitCode: 255,
        stderrTail: 'Error: rseq_register_current_thread(...) failed(16): Device or resource busy\n',
      }),
    }),
    {
      status: 'fail',
      reason:
        'basic_test failed (exit 255): Error: rseq_register_current_thread(...) failed(16): Device or resource busy',
    },
  );
  t.match(
    judge(cell('client:basic_test', 'registered'), {
      observations: [],
      run: run({ exitCode: 4, stdoutTail: 'no rseq\n' }),
    }),
    {
      status: 'skip',
      reason: /KSFT_SKIP/,
    },
  );
  t.match(
    judge(cell('client:basic_test', 'registered'), {
      observations: [],
      run: run({ signal: 'SIGABRT', exitCode: null }),
    }),
    {
      status: 'fail',
      reason: 'basic_test was killed by SIGABRT',
    },
  );
  t.match(
    judge(cell('client:basic_test', 'registered'), {
      observations: [],
      run: run({ timedOut: true, exitCode: null }),
    }),
    {
      status: 'fail',
      reason: /hung/,
    },
  );
  t.match(judge(cell('client:basic_test', 'registered'), { observations: [], run: run() }), {
    status: 'error',
    reason: 'basic_test passed, but the client observer wrote no observation',
  });
  t.match(judge(cell('client:basic_test', 'registered'), { failure: 'no selftests: offline' }), {
    status: 'error',
    reason: 'no selftests: offline',
  });
});

t.test('what the selftest cannot see: librseq trusted __rseq_size before glibc registered', async (t) => {
  const late = observerLine({ extra: { initKernel: 'unregistered', initRseqSize: 32 } });
  t.match(
    clientInconsistency(late),
    /claimed a registration \(__rseq_size 32\) that the kernel did not have yet/,
  );
  t.match(judge(cell('client:basic_test', 'registered'), { observations: [late], run: run() }), {
    status: 'pass',
    observed: { state: 'registered', owner: 'glibc', consistent: false },
  });
  t.equal(clientInconsistency(observerLine()), undefined);
  t.equal(clientInconsistency(testOwned()), undefined);
});

t.test('valgrind: every line the probe wrote says unavailable, and it ran to the end', async (t) => {
  const enosys = (stage: string) => ({
    ...observation(stage, 'unavailable', { rseqSize: 0, cpuId: -2, areaRegistered: null }),
    availErrno: 38,
    probeErrno: 38,
  });
  const lines = ['client:valgrind', 'client:valgrind'].map(enosys);
  t.match(judge(cell('client:valgrind', 'unavailable'), { observations: lines, run: run() }), {
    status: 'pass',
    observed: { state: 'unavailable', consistent: true },
  });
  t.match(judge(cell('client:valgrind', 'unavailable'), { observations: lines, run: run({ exitCode: 1 }) }), {
    status: 'fail',
    reason: 'the probe under valgrind failed (exit 1)',
  });
  // A design that announced __rseq_size before trying: the claim outlives the failed registration.
  const claims = { ...enosys('client:valgrind'), glibc: { ...enosys('x').glibc, rseqSize: 32, cpuId: 0 } };
  t.match(judge(cell('client:valgrind', 'unavailable'), { observations: [claims], run: run() }), {
    status: 'pass',
    observed: { consistent: false },
  });
});

t.test('a client expected to fail (the rule says clientFails)', async (t) => {
  const xfail = (stage = 'client:basic_test'): PlannedCell => {
    const c = cell(stage, 'registered');
    c.expected = { ...c.expected, clientFails: true, why: 'the 2019 ABI' };
    return c;
  };
  // The 2019 ABI: glibc's TLS __rseq_abi is registered, __rseq_size says 0, the test's own area is refused.
  const refused = observerLine({
    glibc: { rseqSize: 0, cpuId: -2, areaRegistered: false },
    extra: {
      clientRegisterCalls: 1,
      clientRegistered: false,
      clientRegisterErrno: 22,
      rseqAbiRegistered: true,
      initRseqSize: 0,
    },
  });
  const failing = run({
    exitCode: 255,
    stderrTail: 'Error: rseq_register_current_thread(...) failed(22): Invalid argument\n',
  });
  const j = judge(xfail(), { observations: [refused], run: failing });
  t.match(j, {
    status: 'pass',
    reason:
      'failed as expected: basic_test failed (exit 255): Error: rseq_register_current_thread(...) failed(22): Invalid argument',
    observed: { owner: 'glibc', state: 'registered', consistent: false },
  });
  t.match(
    judge(cell('client:basic_test', 'registered'), { observations: [refused], run: failing }),
    {
      status: 'fail',
      observed: { owner: 'glibc' },
    },
    'without the rule it is a failure, with what the observer saw',
  );
  t.match(judge(xfail(), { observations: [observerLine()], run: run() }), {
    status: 'fail',
    reason: /^expected basic_test to fail here \(the 2019 ABI\), but it ran to the end/,
  });
  t.match(judge(xfail(), { failure: 'no selftests' }), { status: 'error' }, 'an error stays an error');
});

t.test("exit statuses above 192 are the program's own, not signals", async (t) => {
  const { decodeExit } = await import('../../harness/probe/plan.js');
  const name = (n: number) => `SIG${n}`;
  t.same(decodeExit(255, name), { exitCode: 255, signal: null, timedOut: false });
  t.same(decodeExit(134, name), { exitCode: null, signal: 'SIG6', timedOut: false });
  t.same(decodeExit(124, name), { exitCode: null, signal: null, timedOut: true });
});

t.test('a thousand observer lines keep one per distinct answer', async (t) => {
  const { distinctAnswers } = await import('../../harness/probe/execute.js');
  const lines = Array.from({ length: 1000 }, (_, i) => ({ ...observerLine(), pid: i + 2, tid: i + 2 }));
  lines[500] = { ...testOwned(), pid: 9, tid: 9 };
  const kept = distinctAnswers(lines);
  t.equal(kept.length, 2, 'the odd one out is kept');
  t.equal(kept[1]?.pid, 9);
});
