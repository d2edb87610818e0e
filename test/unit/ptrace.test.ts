/**
 * The ptrace observer's file (probes/rseq-tracer.c) read and paired with the probe's observations by
 * (tid, stage), and the runner script that starts the probe under the tracer. Pure: no tracer runs here
 * (test/engine/ptrace-observer.integration.test.ts runs it for real).
 */
import t from 'tap';
import type { Observation } from '../../harness/model/results.js';
import { PTRACE_TRACER, ptracedDisplay, runnerScript } from '../../harness/probe/plan.js';
import { attachPtrace, parseTracerLog, ptraceRecord } from '../../harness/probe/ptrace.js';
import { observation } from '../helpers/observation.js';

const reading = (stage: string, tid: number, registered: boolean) =>
  JSON.stringify({
    v: 1,
    stage,
    pid: 10,
    tid,
    errno: 0,
    address: registered ? '0x7f0060' : '0x0',
    length: registered ? 32 : 0,
    signature: registered ? '0x53053053' : '0x00000000',
    flags: 0,
    registered,
  });
const obs = (stage: string, tid: number, kernel: Observation['kernel'] = 'registered'): Observation => ({
  ...observation(stage, kernel),
  pid: 10,
  tid,
});
const END = '{"v":1,"end":{"exitCode":0,"signal":null,"readings":4,"tracees":2}}';

t.test('the file: readings, the closing line, an untraced run, garbage', async (t) => {
  const log = parseTracerLog(
    [
      reading('main', 10, true),
      '{"v":1,"stage":"main","pid":10,"tid":10,"errno":5,"error":"EIO","address":null,"length":null,"signature":null,"flags":null,"registered":null}',
      'not json',
      END,
      '',
    ].join('\n'),
  );
  t.equal(log.readings.length, 2);
  t.match(log.readings[0], { stage: 'main', tid: 10, registered: true, length: 32, signature: '0x53053053' });
  t.match(log.readings[1], { errno: 5, registered: null, address: null });
  t.same(log.end, { exitCode: 0, signal: null, readings: 4, tracees: 2 });
  t.same(log.garbage, ['not json']);
  t.equal(
    parseTracerLog('{"v":1,"untraced":"PTRACE_TRACEME: Operation not permitted"}').untraced,
    'PTRACE_TRACEME: Operation not permitted',
  );
});

t.test('pairing by (tid, stage), n-th with n-th', async (t) => {
  const readings = parseTracerLog(
    [
      reading('main', 10, true),
      reading('preload-ctor-cycle', 10, true),
      reading('thread', 11, true),
      reading('preload-ctor-cycle', 10, false),
      reading('thread', 12, false),
    ].join('\n'),
  ).readings;
  const p = attachPtrace(
    [
      obs('main', 10),
      obs('preload-ctor-cycle', 10),
      obs('preload-ctor-cycle', 10, 'unregistered'),
      obs('thread', 11),
      obs('thread', 13),
    ],
    readings,
    'thread',
  );
  t.same(
    p.observations.map((o) => o.ptrace?.registered ?? null),
    [true, true, false, true, null],
    'each line gets the reading of its own thread and stage, in order; tid 13 none',
  );
  t.same(
    { paired: p.paired, unpaired: p.unpaired, orphans: p.orphans },
    { paired: 1, unpaired: 1, orphans: 1 },
  );
});

t.test('the record, or why there is none', async (t) => {
  const meta = { command: 'c', log: 'work/b/default/obs/shared-main.ptrace' };
  const ok = ptraceRecord([obs('main', 10)], `${reading('main', 10, true)}\n${END}\n`, 'main', meta);
  t.same(ok.ptrace, { ...meta, readings: 1, paired: 1, unpaired: 0, orphans: 0 });
  t.notOk(ok.ptraceReason);
  t.match(ok.observations[0]?.ptrace, { registered: true });
  t.match(ptraceRecord([obs('main', 10)], '', 'main', meta), {
    ptrace: null,
    ptraceReason: /no readings file/,
  });
  t.match(ptraceRecord([obs('main', 10)], '{"v":1,"untraced":"PTRACE_TRACEME: x"}\n', 'main', meta), {
    ptrace: null,
    ptraceReason: /ran untraced: PTRACE_TRACEME: x/,
  });
  // Killed before its closing line, and a line the probe wrote without stopping: both noted.
  const cut = ptraceRecord(
    [obs('main', 10), obs('main', 10)],
    `${reading('main', 10, true)}\n`,
    'main',
    meta,
  );
  t.match(cut, { ptrace: { paired: 1, unpaired: 1 } });
  t.match(cut.ptraceReason, /1 observation\(s\) of stage main got no ptrace reading/);
  t.match(cut.ptraceReason, /did not write its closing line/);
});

t.test('the runner script starts a ptrace invocation under the tracer, a plain one without', async (t) => {
  const inv = {
    id: 'shared-preload-ctor',
    argv: ['/rm/bin/probe-shared', 'preload-ctor'],
    env: { LD_PRELOAD: '/rm/bin/libprobe-preload.so' },
    display: '',
  };
  const s = runnerScript(
    [
      { ...inv, ptraceStage: 'preload-ctor' },
      { ...inv, id: 'plain' },
    ],
    5,
  );
  t.match(
    s,
    `probe shared-preload-ctor LD_PRELOAD=/rm/bin/libprobe-preload.so ${PTRACE_TRACER} -o "$out"/obs/shared-preload-ctor.ptrace -s preload-ctor -- /rm/bin/probe-shared preload-ctor\n`,
  );
  t.match(s, 'probe plain LD_PRELOAD=/rm/bin/libprobe-preload.so /rm/bin/probe-shared preload-ctor\n');
  t.match(
    s,
    /traced shared-preload-ctor\.strace -E LD_PRELOAD=\S+ \/rm\/bin\/probe-shared/,
    'strace runs it untraced by the tracer',
  );
  t.equal(
    ptracedDisplay({ ...inv, ptraceStage: 'preload-ctor' }),
    'LD_PRELOAD=/rm/bin/libprobe-preload.so /rm/bin/rseq-tracer -o /rm/out/obs/shared-preload-ctor.ptrace -s preload-ctor -- /rm/bin/probe-shared preload-ctor',
  );
});
