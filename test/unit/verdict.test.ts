/** Verdicts: what a cell's observations say against its expectation (kernel, glibc's claim, strace). */
import t from 'tap';
import type { PlannedCell } from '../../harness/matrix/expand.js';
import type { Observation, ProbeRun } from '../../harness/model/results.js';
import { parseObservations } from '../../harness/probe/parse.js';
import {
  inconsistency,
  judge,
  ptraceDisagreement,
  straceDisagreement,
} from '../../harness/verdict/verdict.js';
import { observation } from '../helpers/observation.js';

const cell = (state: PlannedCell['expected']['state']): PlannedCell => ({
  id: 'g/v/shared/default/main',
  glibc: 'g',
  kernel: 'host',
  variant: 'v',
  link: 'shared',
  scenario: 'default',
  stage: 'main',
  patches: [],
  expected: { state, registered: state === 'skip' ? null : state === 'registered', rule: 0, why: 'w' },
});
const obs = (
  kernel: Observation['kernel'],
  glibc: Partial<Observation['glibc']> = {},
  stage = 'main',
): Observation => observation(stage, kernel, glibc);
const run = (over: Partial<ProbeRun> = {}): ProbeRun => ({
  command: 'probe main',
  exitCode: 0,
  signal: null,
  timedOut: false,
  durationMs: 3,
  stderrTail: '',
  ...over,
});

t.test('pass and fail follow the kernel observer', async (t) => {
  t.match(judge(cell('registered'), { observations: [obs('registered')], run: run() }), {
    status: 'pass',
    observed: { state: 'registered', registered: true, consistent: true },
  });
  const f = judge(cell('registered'), {
    observations: [obs('unregistered', { cpuId: -2, rseqSize: 0, areaRegistered: false })],
    run: run(),
  });
  t.match(f, {
    status: 'fail',
    reason: 'expected registered, observed unregistered',
    observed: { registered: false },
  });
  t.match(
    judge(cell('unavailable'), {
      observations: [obs('unavailable', { cpuId: -2, rseqSize: 0 })],
      run: run(),
    }),
    {
      status: 'pass',
      observed: { state: 'unavailable', registered: false },
    },
  );
  t.match(
    judge(cell('unregistered'), {
      observations: [obs('unavailable', { cpuId: -2, rseqSize: 0 })],
      run: run(),
    }),
    {
      status: 'fail',
    },
    'unavailable is not unregistered',
  );
});

t.test('only the cell stage counts; disagreeing observations are mixed', async (t) => {
  t.match(judge(cell('registered'), { observations: [obs('unregistered', {}, 'exe-ctor')], run: run() }), {
    status: 'error',
    reason: 'the probe wrote no observation for stage main',
  });
  t.match(
    judge(cell('registered'), {
      observations: [obs('registered'), obs('unregistered', { cpuId: -1 })],
      run: run(),
    }),
    {
      status: 'fail',
      observed: { state: 'mixed', registered: null },
    },
  );
});

t.test('errors: crash, hang, garbage, exit status, build failure; skip', async (t) => {
  const o = [obs('registered')];
  t.match(judge(cell('registered'), { observations: o, run: run({ signal: 'SIGSEGV', exitCode: null }) }), {
    status: 'error',
    reason: 'the probe was killed by SIGSEGV',
  });
  t.match(judge(cell('registered'), { observations: o, run: run({ timedOut: true, exitCode: null }) }), {
    status: 'error',
  });
  t.match(judge(cell('registered'), { observations: o, run: run(), garbage: ['{"stage": '] }), {
    status: 'error',
    reason: /unreadable output/,
  });
  t.match(judge(cell('registered'), { observations: o, run: run({ exitCode: 3 }) }), {
    status: 'error',
    reason: 'the probe exited with status 3',
  });
  t.match(judge(cell('registered'), { failure: 'build broke' }), { status: 'error', reason: 'build broke' });
  t.match(judge(cell('skip'), { failure: 'ignored' }), { status: 'skip', reason: 'w' });
});

t.test('inconsistency between glibc and the kernel', async (t) => {
  t.match(inconsistency(obs('unregistered', { cpuId: 3 })), /glibc claims a registration/);
  t.match(inconsistency(obs('registered', { areaRegistered: false })), /not of glibc's area/);
  t.equal(inconsistency(obs('registered')), undefined);
  t.equal(
    inconsistency(obs('unregistered', { rseqSize: null, cpuId: null, areaRegistered: null })),
    undefined,
  );
  const j = judge(cell('unregistered'), { observations: [obs('unregistered', { cpuId: 0 })], run: run() });
  t.match(j, { status: 'pass', observed: { consistent: false, inconsistency: /glibc claims/ } });
});

t.test('glibc claims a size while its area is not registered', async (t) => {
  // What libprobe-test-unregister.so leaves: the kernel reset cpu_id to -1, __rseq_size still 20.
  t.match(
    inconsistency(obs('unregistered', { cpuId: -1, areaRegistered: false, areaLen: null })),
    /glibc claims a registration \(__rseq_size 20, cpu_id -1\) but its area is not registered/,
  );
  // A thread glibc itself failed to register (cpu_id -2) is honest about it.
  t.equal(inconsistency(obs('unregistered', { cpuId: -2, areaRegistered: false })), undefined);
  // Static executable before TLS: nothing to compare.
  t.equal(
    inconsistency(obs('unregistered', { rseqSize: 0, rseqOffset: 0, cpuId: null, areaRegistered: null })),
    undefined,
  );
});

t.test('strace against the kernel check', async (t) => {
  const view = (
    over: Partial<NonNullable<Observation['strace']>> = {},
  ): NonNullable<Observation['strace']> => ({
    tid: 7,
    registeredBefore: true,
    anyRegisteredBefore: true,
    inForce: { tid: 7, call: 'rseq(0x7f00, 0x20, 0, 0x53053053) = 0', by: 'glibc' },
    glibcRegisteredAfter: false,
    kernel: 'registered',
    ...over,
  });
  t.equal(straceDisagreement({ ...obs('registered'), strace: view() }), undefined);
  t.equal(straceDisagreement(obs('registered')), undefined, 'no strace, nothing to say');
  t.equal(
    straceDisagreement({ ...obs('unregistered', { cpuId: -1 }), strace: view({ kernel: 'unregistered' }) }),
    "strace saw rseq(0x7f00, 0x20, 0, 0x53053053) = 0 in this thread before the probe's write, but the kernel check says unregistered",
  );
  t.equal(
    straceDisagreement({
      ...obs('unregistered', { cpuId: -1 }),
      strace: view({ tid: 8, kernel: 'unregistered' }),
    }),
    "strace saw rseq(0x7f00, 0x20, 0, 0x53053053) = 0 in thread 7, inherited through fork before the probe's write, but the kernel check says unregistered",
  );
  t.equal(
    straceDisagreement({
      ...obs('registered'),
      strace: view({ registeredBefore: false, anyRegisteredBefore: false, inForce: null }),
    }),
    'strace saw no registration in force for this thread, but the kernel check says registered',
  );
  t.equal(
    straceDisagreement({
      ...obs('registered'),
      strace: view({ registeredBefore: null, anyRegisteredBefore: null, inForce: null }),
    }),
    undefined,
    'strace could not tell: no disagreement',
  );
  const j = judge(cell('registered'), {
    observations: [
      {
        ...obs('registered'),
        strace: view({
          registeredBefore: false,
          anyRegisteredBefore: false,
          inForce: null,
          glibcRegisteredAfter: true,
        }),
      },
    ],
    run: run(),
    strace: { version: 'v', log: 'l', threads: [] },
  });
  t.match(j, {
    status: 'pass',
    observed: {
      registered: true,
      consistent: false,
      inconsistency:
        "strace saw glibc's rseq() = 0 only after the probe's write, but the kernel check says registered",
    },
    strace: { version: 'v' },
  });
  t.notOk('straceReason' in j);
  const e = judge(cell('registered'), { failure: 'build broke', strace: null, straceReason: 'x' });
  t.match(e, { status: 'error', reason: 'build broke' });
});

t.test('the ptrace reading against the in-process check: a disagreement is an error', async (t) => {
  const reading = (registered: boolean | null, over: Partial<NonNullable<Observation['ptrace']>> = {}) => ({
    errno: 0,
    address: registered ? '0x7f0060' : '0x0',
    length: registered ? 32 : 0,
    signature: registered ? '0x53053053' : '0x00000000',
    flags: 0,
    registered,
    ...over,
  });
  const record = { command: 'rseq-tracer', log: 'l', readings: 5, paired: 1, unpaired: 0, orphans: 0 };
  // Agreement both ways: the verdict is the kernel check's, the record goes to the cell.
  const agree = judge(cell('registered'), {
    observations: [{ ...obs('registered'), ptrace: reading(true) }],
    run: run(),
    ptrace: record,
  });
  t.match(agree, { status: 'pass', ptrace: record });
  t.notOk('ptraceReason' in agree);
  t.match(
    judge(cell('unregistered'), {
      observations: [{ ...obs('unregistered', { cpuId: -2, rseqSize: 0 }), ptrace: reading(false) }],
      run: run(),
      ptrace: record,
    }),
    { status: 'pass' },
  );
  // The in-process check says unregistered, ptrace says registered: an error, never a pass or a fail.
  const lie = judge(cell('unregistered'), {
    observations: [{ ...obs('unregistered', { cpuId: -2, rseqSize: 0 }), tid: 9, ptrace: reading(true) }],
    run: run(),
    ptrace: record,
  });
  t.match(lie, {
    status: 'error',
    reason:
      'the observers disagree: at stage main in thread 9 the in-process check says unregistered, PTRACE_GET_RSEQ_CONFIGURATION says registered (area 0x7f0060, length 32, signature 0x53053053)',
    observed: { state: 'unregistered' },
  });
  // ... and the other way, where the expectation would have passed.
  t.match(
    judge(cell('registered'), {
      observations: [{ ...obs('registered'), ptrace: reading(false) }],
      run: run(),
      ptrace: record,
    }),
    {
      status: 'error',
      reason:
        /^the observers disagree: .* the in-process check says registered, PTRACE_GET_RSEQ_CONFIGURATION says unregistered \(no area\)$/,
    },
  );
  // Only the cell's own stage counts; a disagreement on another stage's line is not this cell's.
  t.match(
    judge(cell('registered'), {
      observations: [
        { ...obs('registered'), ptrace: reading(true) },
        { ...obs('registered', {}, 'exe-ctor'), ptrace: reading(false) },
      ],
      run: run(),
    }),
    { status: 'pass' },
  );
  // Nothing to compare: no reading, a failed request (EIO before Linux 5.13), rseq refused.
  t.equal(ptraceDisagreement(obs('registered')), undefined);
  t.equal(ptraceDisagreement({ ...obs('registered'), ptrace: null }), undefined);
  t.equal(
    ptraceDisagreement({
      ...obs('registered'),
      ptrace: reading(null, { errno: 5, address: null, length: null, signature: null, flags: null }),
    }),
    undefined,
  );
  t.equal(ptraceDisagreement({ ...obs('unavailable'), ptrace: reading(false) }), undefined);
  // A crash is still the crash, whatever the readings.
  t.match(
    judge(cell('registered'), {
      observations: [{ ...obs('registered'), ptrace: reading(false) }],
      run: run({ signal: 'SIGSEGV', exitCode: null }),
    }),
    { status: 'error', reason: 'the probe was killed by SIGSEGV' },
  );
  // Every cell carries the record or the reason it has none.
  t.match(judge(cell('skip'), {}), { status: 'skip', ptraceReason: /skipped/ });
  t.match(judge(cell('registered'), { failure: 'build broke' }), { ptraceReason: /^not probed/ });
  t.match(judge(cell('registered'), { observations: [obs('registered')], run: run(), ptrace: null }), {
    status: 'pass',
    ptrace: null,
    ptraceReason: /could not watch/,
  });
  t.match(
    judge(cell('registered'), { observations: [obs('registered')], run: run(), ptraceReason: 'clients: x' }),
    { ptraceReason: 'clients: x' },
  );
});

t.test('observation parsing keeps garbage apart', async (t) => {
  const line = JSON.stringify(obs('registered'));
  const r = parseObservations(`${line}\n\nnot json\n{"stage":"main"}\n${line}`);
  t.equal(r.observations.length, 2);
  t.same(r.garbage, ['not json', '{"stage":"main"}']);
});

t.test('the 2019 ABI: __rseq_handled and one __rseq_abi per namespace', async (t) => {
  const o = obs('unregistered', { rseqSize: 0, cpuId: -1, areaRegistered: false });
  t.match(inconsistency({ ...o, extra: { rseqHandled: 1 } }), /__rseq_handled says glibc registers rseq/);
  t.equal(inconsistency({ ...o, extra: { rseqHandled: 0 } }), undefined);
  const ns = obs('registered', { rseqSize: 0, cpuId: -2, areaRegistered: false });
  t.match(
    inconsistency({ ...ns, extra: { rseqAbiRegistered: false, rseqAbiCpuId: -1 } }),
    /this namespace's __rseq_abi says not yet registered/,
  );
  const abi = obs('registered', { rseqSize: 0, cpuId: -2, areaRegistered: false });
  t.match(inconsistency({ ...abi, extra: { rseqAbiRegistered: true } }), /glibc's TLS __rseq_abi registered/);
  // Registered, yet cpu_id -1: the area was overwritten after the registration (ldso-dlsym).
  t.match(
    inconsistency({ ...abi, extra: { rseqAbiRegistered: true, rseqAbiCpuId: -1 } }),
    /__rseq_abi registered, but its cpu_id reads -1/,
  );
  t.match(
    inconsistency({ ...abi, extra: { rseqAbiRegistered: true, rseqAbiCpuId: 1 } }),
    /glibc's TLS __rseq_abi registered, not the area/,
  );
});

t.test('expect: any records what the cell shows: a measured cell passes, an error stays one', async (t) => {
  const any = {
    ...cell('registered'),
    expected: { state: 'any' as const, registered: null, rule: 0, why: 'w' },
  };
  t.match(judge(any, { observations: [obs('unregistered', { cpuId: -2, rseqSize: 0 })], run: run() }), {
    status: 'pass',
    reason: 'recorded: unregistered',
    observed: { state: 'unregistered' },
  });
  t.match(judge(any, { observations: [obs('registered')], run: run() }), {
    status: 'pass',
    reason: 'recorded: registered',
  });
  t.match(judge(any, { observations: [], run: run({ signal: 'SIGSEGV', exitCode: null }) }), {
    status: 'error',
    reason: 'the probe was killed by SIGSEGV',
  });
  // A client that fails is recorded too (its run says how); it is not a failing cell.
  const client = { ...any, id: 'g/v/shared/default/client:basic_test', stage: 'client:basic_test' };
  const failed = judge(client, {
    observations: [obs('registered', { areaRegistered: true }, 'client:basic_test')],
    run: run({ exitCode: null, signal: 'SIGABRT' }),
  });
  t.match(failed, { status: 'pass', reason: /^recorded: .*SIGABRT/ });
});

t.test('expectFacts: a cell whose state is as expected fails when a kernel fact is not', async (t) => {
  const { factProblems } = await import('../../harness/verdict/verdict.js');
  const withFacts = {
    ...cell('registered'),
    expected: {
      state: 'registered' as const,
      registered: true,
      rule: 0,
      why: 'w',
      facts: {
        rseqSize: { value: 33, rule: 0, why: 'feature size' },
        featureSize: { value: 33, rule: 0, why: 'auxv' },
        mode: { value: 'optimized', rule: 1, why: '7.x' },
      },
    },
  };
  const seen = (rseqSize: number, feature: number, mode: string | null) => ({
    ...obs('registered', { rseqSize, areaRegistered: true }),
    extra: { auxRseqFeatureSize: feature, auxRseqAlign: 64, rseqMode: mode },
  });
  t.same(factProblems(withFacts, [seen(33, 33, 'optimized')]), [], 'every fact as expected');
  t.same(
    factProblems(withFacts, [seen(28, 33, 'legacy')]),
    ['expected __rseq_size 33, observed 28', 'expected the kernel mode optimized, observed legacy'],
    'each wrong fact named with what was seen',
  );
  t.same(
    factProblems(withFacts, [seen(33, 33, null)]),
    ['expected the kernel mode optimized, no observation measured it'],
    'a mode nobody measured is a failure, not a pass',
  );
  const j = judge(withFacts, { observations: [seen(33, 28, 'optimized')], run: run() });
  t.match(j, { status: 'fail', reason: 'expected AT_RSEQ_FEATURE_SIZE 33, observed 28' });
  t.match(judge(withFacts, { observations: [seen(33, 33, 'optimized')], run: run() }), { status: 'pass' });
});
