/**
 * The outside observer: parsing `strace -f` logs into per-thread events, following registration through
 * fork, vfork, threads and execve, and pairing strace's view with the in-process observations. Pure.
 * The logs below are shaped like those strace 5.10 (bullseye) and 6.1 (bookworm) wrote in the probe
 * containers (see work/<build>/<scenario>/obs/*.strace of a run).
 */
import t from 'tap';
import type { PlannedCell } from '../../harness/matrix/expand.js';
import type { Observation } from '../../harness/model/results.js';
import {
  attachStrace,
  parseStrace,
  registrationStates,
  rseqRole,
  summarizeForStage,
  tracedMarkers,
  unquoteStraceString,
} from '../../harness/probe/strace.js';
import { judge, straceDisagreement } from '../../harness/verdict/verdict.js';
import { observation } from '../helpers/observation.js';

/** A probe's marker write as strace prints it (the JSON line C-escaped, as with -s 4096). */
function w(tid: number, stage: string, kernel: string, opts: { cut?: boolean } = {}): string {
  const line = `{"v":1,"stage":"${stage}","pid":${tid},"tid":${tid},"kernel":"${kernel}","availErrno":22,"probeErrno":22,"glibc":{"rseqSize":20}}\n`;
  const esc = line.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
  const shown = opts.cut ? `"${esc.slice(0, 100)}"...` : `"${esc}"`;
  return `${tid}    write(63, ${shown}, ${line.length}) = ${line.length}`;
}
const GLIBC = (tid: number, addr = '0x7f98cce58060') => `${tid}    rseq(${addr}, 0x20, 0, 0x53053053) = 0`;
/** The probe's own questions when something is registered (rseqprobe.c). */
const ASK_REG = (tid: number) =>
  [
    `${tid}    rseq(0, 0, 0, 0)                  = -1 EINVAL (Invalid argument)`,
    `${tid}    rseq(0x7ffcb7151aa0, 0x20, 0, 0x1dea5eed) = -1 EINVAL (Invalid argument)`,
    `${tid}    rseq(0x7f98cce58060, 0x20, 0x1, 0xbadc0de) = -1 EPERM (Operation not permitted)`,
  ].join('\n');
/** ... and when nothing is: the private area registers, and is unregistered at once. */
const ASK_UNREG = (tid: number) =>
  [
    `${tid}    rseq(NULL, 0, 0, 0)               = -1 EINVAL (Invalid argument)`,
    `${tid}    rseq(0x7ffd35568140, 0x20, 0, 0x1dea5eed) = 0`,
    `${tid}    rseq(0x7ffd35568140, 0x20, RSEQ_FLAG_UNREGISTER, 0x1dea5eed) = 0`,
  ].join('\n');
const EXEC = (tid: number) =>
  `${tid}    execve("/rm/bin/probe-shared", ["/rm/bin/probe-shared", "x"], 0x55da5d3b9850 /* 2 vars */) = 0`;

const obs = observation;
const cell = (stage: string, state: PlannedCell['expected']['state']): PlannedCell => ({
  id: `bookworm/stock/shared/default/${stage}`,
  glibc: 'bookworm',
  kernel: 'host',
  variant: 'stock',
  link: 'shared',
  scenario: 'default',
  stage,
  patches: [],
  expected: { state, registered: state === 'skip' ? null : state === 'registered', rule: 0, why: 'w' },
});
const run = { command: 'p', exitCode: 0, signal: null, timedOut: false, durationMs: 1, stderrTail: '' };

t.test('C strings as strace prints them', async (t) => {
  t.same(unquoteStraceString('"a\\"b\\\\c\\n\\t\\x41\\101", 3'), { text: 'a"b\\c\n\tAA', truncated: false });
  t.same(unquoteStraceString('"{\\"v\\":1"..., 300'), { text: '{"v":1', truncated: true });
  t.equal(unquoteStraceString('"never closed'), null);
  t.equal(unquoteStraceString('0x1234'), null);
});

t.test('rseq calls are told apart: glibc, the probe, anyone else', async (t) => {
  t.equal(rseqRole(0x7f0000001000, 0, 0x53053053), 'glibc-register');
  t.equal(rseqRole(0xaaaa0000, 0, 0xd428bc00), 'glibc-register', 'aarch64 signature');
  t.equal(rseqRole(0x7f0000001000, 1, 0x53053053), 'glibc-unregister');
  t.equal(rseqRole(0, 0, 0), 'probe-avail');
  t.equal(rseqRole(0x7ffd0000, 0, 0x1dea5eed), 'probe-private');
  t.equal(rseqRole(0x7ffd0000, 1, 0x1dea5eed), 'probe-private-unregister');
  t.equal(rseqRole(0x7f0000001000, 1, 0x0badc0de), 'probe-check');
  t.equal(rseqRole(0x601000, 0, 0x7e57a11c), 'other-register');
  t.equal(rseqRole(0x601000, 1, 0x7e57a11c), 'other-unregister');
});

t.test('shared main: glibc registers before every marker', async (t) => {
  const log = [
    EXEC(11),
    GLIBC(11),
    ASK_REG(11),
    w(11, 'ifunc-dso', 'registered'),
    ASK_REG(11),
    w(11, 'main', 'registered'),
  ].join('\n');
  const trace = parseStrace(log);
  t.same(trace.unparsed, []);
  const m = tracedMarkers(trace);
  t.same(
    m.map((x) => [x.stage, x.view.registeredBefore, x.view.anyRegisteredBefore, x.view.kernel]),
    [
      ['ifunc-dso', true, true, 'registered'],
      ['main', true, true, 'registered'],
    ],
  );
  t.same(m[1]?.view.inForce, { tid: 11, call: 'rseq(0x7f98cce58060, 0x20, 0, 0x53053053) = 0', by: 'glibc' });
  const s = summarizeForStage(trace, 'main', { version: 'strace -- version 6.1', log: 'work/x.strace' });
  t.equal(s.threads.length, 1);
  t.same(s.threads[0]?.origin, 'exec');
  t.equal(s.threads[0]?.probeCalls, 6, "the probe's own questions are counted, not listed");
  t.same(
    s.threads[0]?.events.map((e) =>
      e.kind === 'marker' ? `${e.stage}:${e.inForce}` : e.kind === 'rseq' ? e.role : e.kind,
    ),
    ['exec', 'glibc-register', 'ifunc-dso:glibc', 'main:glibc'],
  );
});

t.test('static ifunc-exe: the marker precedes glibc registration', async (t) => {
  const log = [
    EXEC(10),
    ASK_UNREG(10),
    w(10, 'ifunc-exe', 'unregistered', { cut: true }),
    GLIBC(10, '0xff67ce0'),
    ASK_REG(10),
    w(10, 'main', 'registered', { cut: true }),
  ].join('\n');
  const m = tracedMarkers(parseStrace(log));
  t.match(m[0], {
    stage: 'ifunc-exe',
    view: {
      registeredBefore: false,
      anyRegisteredBefore: false,
      glibcRegisteredAfter: true,
      kernel: 'unregistered',
    },
  });
  t.match(m[1], { stage: 'main', view: { registeredBefore: true, glibcRegisteredAfter: false } });
  // Had the kernel said "registered" at ifunc-exe, the outside view would contradict it:
  const bad = {
    ...obs('ifunc-exe', 'registered'),
    strace: { ...(m[0]?.view as NonNullable<Observation['strace']>), kernel: null },
  };
  t.equal(
    straceDisagreement(bad),
    "strace saw glibc's rseq() = 0 only after the probe's write, but the kernel check says registered",
  );
});

t.test('fork inherits, vfork and threads do not; unfinished calls keep their place', async (t) => {
  const log = [
    EXEC(178),
    GLIBC(178),
    ASK_REG(178),
    w(178, 'main', 'registered'),
    '178   vfork( <unfinished ...>',
    ASK_UNREG(179),
    w(179, 'vfork-child', 'unregistered'),
    '178   <... vfork resumed>)              = 179',
    '178   clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f690539da10) = 180',
    ASK_REG(180),
    w(180, 'fork-child', 'registered'),
    '178   clone3({flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID, child_tid=0x7f98cce56990, parent_tid=0x7f98cce56990, exit_signal=0, stack=0x7f98cc656000, stack_size=0x7fff80, tls=0x7f98cce566c0}, 88) = -1 ENOSYS (Function not implemented)',
    '178   clone(child_stack=0x7f98cce55f70, flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID <unfinished ...>',
    '181   rseq(0x7f98cce56fe0, 0x20, 0, 0x53053053 <unfinished ...>',
    '178   <... clone resumed>, parent_tid=[181], tls=0x7f98cce566c0, child_tidptr=0x7f98cce56990) = 181',
    '181   <... rseq resumed>)                = 0',
    ASK_REG(181),
    w(181, 'thread', 'registered'),
    '182   rseq(0x7f98cce56fe0, 0x20, 0, 0x53053053) = 0',
    w(182, 'orphan', 'registered'),
    '179   +++ exited with 0 +++',
    'strace: something odd',
  ].join('\n');
  const trace = parseStrace(log);
  t.same(trace.unparsed, ['strace: something odd']);
  const by = new Map(tracedMarkers(trace).map((x) => [x.stage, x.view]));
  t.match(by.get('vfork-child'), { registeredBefore: false, anyRegisteredBefore: false, inForce: null });
  t.match(by.get('fork-child'), { registeredBefore: true, inForce: { tid: 178, by: 'glibc' } });
  t.match(by.get('thread'), { registeredBefore: true, inForce: { tid: 181 } });
  t.match(
    by.get('orphan'),
    { registeredBefore: true },
    'its own call is enough, even without a known parent',
  );
  const states = registrationStates(trace);
  t.equal(states.get(182)?.[0], undefined, 'a thread of unknown origin starts unknown');

  const fork = summarizeForStage(trace, 'fork-child', { version: 'v', log: 'l' });
  t.same(
    fork.threads.map((x) => [x.tid, x.parent, x.origin, x.inherited]),
    [
      [178, null, 'exec', undefined],
      [180, 178, 'fork', 'glibc'],
    ],
  );
  const vfork = summarizeForStage(trace, 'vfork-child', { version: 'v', log: 'l' });
  t.same(vfork.threads[1], {
    tid: 179,
    parent: 178,
    origin: 'vfork',
    inherited: null,
    events: [{ kind: 'marker', stage: 'vfork-child', kernel: 'unregistered', inForce: null }],
    probeCalls: 3,
  });
  t.same(
    vfork.threads[0]?.events.filter((e) => e.kind === 'spawn'),
    [
      { kind: 'spawn', child: 179, how: 'vfork' },
      { kind: 'spawn', child: 180, how: 'fork' },
      { kind: 'spawn', child: 181, how: 'thread' },
    ],
    'the failed clone3 is not a spawn',
  );
});

t.test('a library that unregisters glibc, one that registers its own, and execve', async (t) => {
  const unreg = parseStrace(
    [
      EXEC(5),
      GLIBC(5),
      '5 rseq(0x7f98cce58060, 0x20, 0x1, 0x53053053) = 0',
      ASK_UNREG(5),
      w(5, 'main', 'unregistered'),
    ].join('\n'),
  );
  t.match(tracedMarkers(unreg)[0]?.view, { registeredBefore: false, anyRegisteredBefore: false });
  t.same(
    summarizeForStage(unreg, 'main', { version: 'v', log: 'l' }).threads[0]?.events.map((e) =>
      e.kind === 'rseq' ? e.role : e.kind,
    ),
    ['exec', 'glibc-register', 'glibc-unregister', 'marker'],
  );
  const own = parseStrace(
    [EXEC(6), '6 rseq(0x601000, 0x20, 0, 0x7e57a11c) = 0', ASK_REG(6), w(6, 'main', 'registered')].join('\n'),
  );
  const v = tracedMarkers(own)[0]?.view;
  t.match(v, { registeredBefore: false, anyRegisteredBefore: true, inForce: { by: 'other' } });
  t.match(
    straceDisagreement({
      ...obs('main', 'registered', { rseqSize: 0, cpuId: -2, areaRegistered: false }),
      strace: v,
    }),
    /the kernel check says registered, and strace saw rseq\(0x601000, 0x20, 0, 0x7e57a11c\) = 0 in this thread, not glibc's registration/,
  );
  // execve clears what the process had: strace's own forked child was registered (bookworm strace).
  const exec = parseStrace(
    [
      GLIBC(7),
      '7 execve("/rm/bin/probe-static", ["p"], 0x1 /* 1 var */) = 0',
      ASK_UNREG(7),
      w(7, 'ifunc-exe', 'unregistered'),
    ].join('\n'),
  );
  t.match(tracedMarkers(exec)[0]?.view, { registeredBefore: false, anyRegisteredBefore: false });
  // A [pid N] prefix (strace without -o) is read too; a refused registration registers nothing.
  const refused = parseStrace(
    [
      `[pid  9] ${EXEC(9).replace(/^9\s+/, '')}`,
      '[pid  9] rseq(0x3b7cce0, 0x20, 0, 0x53053053) = -1 EPERM (Operation not permitted)',
      w(9, 'main', 'unavailable').replace(/^9\s+/, '[pid  9] '),
    ].join('\n'),
  );
  t.match(tracedMarkers(refused)[0]?.view, {
    tid: 9,
    registeredBefore: false,
    anyRegisteredBefore: false,
    kernel: 'unavailable',
  });
  t.match(summarizeForStage(refused, 'main', { version: 'v', log: 'l' }).threads[0]?.events[1], {
    role: 'glibc-register',
    errno: 'EPERM',
  });
});

t.test('pairing with the untraced observations, and what the verdict makes of it', async (t) => {
  const trace = parseStrace(
    [
      EXEC(11),
      GLIBC(11),
      ASK_REG(11),
      w(11, 'main', 'registered'),
      '11    vfork( <unfinished ...>',
      ASK_UNREG(12),
      w(12, 'vfork-child', 'unregistered'),
      '11    <... vfork resumed>) = 12',
    ].join('\n'),
  );
  const markers = tracedMarkers(trace);
  const plain = [
    obs('main', 'registered'),
    obs('vfork-child', 'unregistered', { areaRegistered: false, areaLen: null }),
  ];
  const p = attachStrace(plain, markers, 'vfork-child');
  t.equal(p.reason, undefined);
  t.equal(p.observations[0]?.strace, undefined, 'only the stage of the cell is paired');
  t.match(p.observations[1]?.strace, { tid: 12, registeredBefore: false });
  t.match(attachStrace([obs('main', 'registered'), obs('main', 'registered')], markers, 'main'), {
    reason: 'the traced run wrote 1 line(s) of stage main, the untraced run 2',
  });

  const strace = summarizeForStage(trace, 'vfork-child', { version: 'v', log: 'l' });
  const j = judge(cell('vfork-child', 'unregistered'), { observations: p.observations, run, strace });
  t.match(j, {
    status: 'pass',
    observed: {
      registered: false,
      consistent: false,
      inconsistency: /glibc claims a registration \(__rseq_size 20, cpu_id 1\) that the kernel does not have/,
    },
    strace: { version: 'v' },
  });
  t.notMatch(
    j.observed.inconsistency ?? '',
    /strace/,
    'strace agrees with the kernel: the vfork child has nothing',
  );

  // The untraced kernel check disagreeing with what strace saw makes the cell inconsistent, not failed.
  const flipped = attachStrace(
    [obs('main', 'unregistered', { areaRegistered: false, cpuId: -1 })],
    markers,
    'main',
  ).observations;
  const k = judge(cell('main', 'registered'), { observations: flipped, run, strace });
  t.match(k, { status: 'fail', observed: { consistent: false } });
  t.match(k.observed.inconsistency, /under strace the kernel check said registered, without it unregistered/);

  // No strace: recorded with its reason; the verdict stands on the kernel check alone.
  const none = judge(cell('main', 'registered'), {
    observations: [obs('main', 'registered')],
    run,
    strace: null,
    straceReason: 'strace is not installed in the image x',
  });
  t.match(none, {
    status: 'pass',
    strace: null,
    straceReason: 'strace is not installed in the image x',
    observed: { consistent: true },
  });
  t.notOk(
    'strace' in judge(cell('main', 'registered'), { observations: [obs('main', 'registered')], run }),
    'no traced run: no field',
  );
});

t.test('garbage in, no crash out', async (t) => {
  const trace = parseStrace(
    '\n\nrseq(garbage\n12 write(63, "not json", 8) = 8\n12 write(2, "x", 1) = 1\n<... rseq resumed>) = 0\n',
  );
  t.same(tracedMarkers(trace), []);
  t.equal(trace.unparsed.length, 2);
});
