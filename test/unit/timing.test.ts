/** Phase timings: the recorder, the breakdown (busy time, shares, nesting, fixed cost) and the comparison. */
import t from 'tap';
import { parseStatus } from '../../harness/probe/plan.js';
import {
  aggregate,
  type Clock,
  coveredTime,
  formatBreakdown,
  NO_TIMING,
  slowerPhases,
  TimingRecorder,
  type Timings,
} from '../../harness/util/timing.js';

/** A clock that moves only when told. */
function fakeClock(originEpochMs = 1_000_000): Clock & { at: number } {
  const c = { at: 0, originEpochMs, now: () => c.at };
  return c;
}

t.test('the recorder: spans from time, timeSync and add, sorted, with the wall time', async (t) => {
  const clock = fakeClock();
  const rec = new TimingRecorder(clock);
  clock.at = 5;
  const v = await rec.time('engine', undefined, async () => {
    clock.at = 25;
    return 42;
  });
  t.equal(v, 42, 'time returns what the work returns');
  const w = rec.timeSync('build-check', 'g/v', () => {
    clock.at = 30.123;
    return 'x';
  });
  t.equal(w, 'x');
  rec.add('startup', undefined, 0, 5);
  clock.at = 40;
  const r = rec.result();
  t.equal(r.wallMs, 40);
  t.same(r.spans, [
    { phase: 'startup', startMs: 0, endMs: 5 },
    { phase: 'engine', startMs: 5, endMs: 25 },
    { phase: 'build-check', group: 'g/v', startMs: 25, endMs: 30.12 },
  ]);
  t.notOk('group' in (r.spans[0] ?? {}), 'a run-level span has no group member');
});

t.test('the recorder: a span is kept when the work throws; an end before its start is clipped', async (t) => {
  const clock = fakeClock();
  const rec = new TimingRecorder(clock);
  await t.rejects(
    rec.time('build', 'g', async () => {
      clock.at = 7;
      throw new Error('boom');
    }),
    /boom/,
  );
  t.throws(() =>
    rec.timeSync('results', undefined, () => {
      clock.at = 9;
      throw new Error('full');
    }),
  );
  rec.add('odd', undefined, 10, 8);
  t.same(
    rec.result().spans.map((s) => [s.phase, s.startMs, s.endMs]),
    [
      ['build', 0, 7],
      ['results', 7, 9],
      ['odd', 10, 10],
    ],
  );
});

t.test('the recorder: epoch times (a container clock) on its scale', async (t) => {
  const rec = new TimingRecorder(fakeClock(1_700_000_000_000));
  t.equal(rec.fromEpoch(1_700_000_000_250.5), 250.5);
});

t.test('NO_TIMING: records nothing and passes values and errors through', async (t) => {
  t.equal(NO_TIMING.enabled, false);
  t.equal(await NO_TIMING.time('x', undefined, async () => 3), 3);
  t.equal(
    NO_TIMING.timeSync('x', 'g', () => 'y'),
    'y',
  );
  await t.rejects(
    NO_TIMING.time('x', undefined, async () => {
      throw new Error('e');
    }),
    /e/,
  );
  NO_TIMING.add('x', undefined, 0, 1);
  t.equal(NO_TIMING.now(), 0);
});

t.test('coveredTime: the union of intervals', async (t) => {
  t.equal(coveredTime([]), 0);
  t.equal(
    coveredTime([
      { startMs: 0, endMs: 10 },
      { startMs: 5, endMs: 15 },
      { startMs: 20, endMs: 30 },
      { startMs: 21, endMs: 22 },
    ]),
    25,
  );
  t.equal(
    coveredTime([
      { startMs: 10, endMs: 20 },
      { startMs: 0, endMs: 5 },
    ]),
    15,
    'order does not matter',
  );
  t.equal(
    coveredTime([
      { startMs: 0, endMs: 10 },
      { startMs: 10, endMs: 12 },
    ]),
    12,
    'touching intervals join',
  );
});

/** Two groups in parallel, each with a container whose wait holds a probe and its strace run. */
const twoGroups: Timings = {
  wallMs: 1000,
  spans: [
    { phase: 'startup', startMs: 0, endMs: 100 },
    { phase: 'engine', startMs: 100, endMs: 150 },
    { phase: 'build-check', group: 'a', startMs: 200, endMs: 300 },
    { phase: 'build-check', group: 'b', startMs: 200, endMs: 350 },
    { phase: 'container-wait', group: 'a', startMs: 300, endMs: 800 },
    { phase: 'container-wait', group: 'b', startMs: 350, endMs: 850 },
    { phase: 'probe', group: 'a', startMs: 400, endMs: 500 },
    { phase: 'strace', group: 'a', startMs: 500, endMs: 700 },
    { phase: 'probe', group: 'b', startMs: 420, endMs: 520 },
    { phase: 'strace', group: 'b', startMs: 520, endMs: 760 },
    { phase: 'report', startMs: 870, endMs: 950 },
  ],
};

t.test(
  'aggregate: busy time and share per phase; nested phases under their parent with its rest',
  async (t) => {
    const b = aggregate(twoGroups);
    t.equal(b.wallMs, 1000);
    // startup 100 + engine 50 + build-check 250 + container-wait 1000 + report 80
    t.equal(b.busyMs, 1480, 'busy time counts each group: more than the wall time it covers');
    t.same(
      b.phases.map((p) => [p.phase, p.within ?? '', p.spans, p.busyMs, p.coveredMs]),
      [
        ['startup', '', 1, 100, 100],
        ['engine', '', 1, 50, 50],
        ['build-check', '', 2, 250, 150],
        ['container-wait', '', 2, 1000, 550],
        ['probe', 'container-wait', 2, 200, 120],
        ['strace', 'container-wait', 2, 440, 260],
        ['container-wait: rest', 'container-wait', 2, 360, 0],
        ['report', '', 1, 80, 80],
      ],
    );
    const topShares = b.phases.filter((p) => !p.within).reduce((a, p) => a + p.share, 0);
    t.ok(Math.abs(topShares - 1) < 1e-9, 'the top-level shares add up to 1');
    const waitRows = b.phases.filter((p) => p.within === 'container-wait').reduce((a, p) => a + p.share, 0);
    const wait = b.phases.find((p) => p.phase === 'container-wait');
    t.ok(Math.abs(waitRows - (wait?.share ?? 0)) < 1e-9, "a parent's children and rest add up to its share");
    // covered: 0-150, 200-850, 870-950 = 150 + 650 + 80 = 880
    t.equal(b.uncoveredMs, 120);
    t.same(b.probing, { firstMs: 400, lastMs: 760 });
    t.equal(b.fixedMs, 400 + 240, 'start to first probe plus last probe to the end');
  },
);

t.test(
  'aggregate: a nested phase whose parent was not recorded is top-level; no probes, no fixed cost',
  async (t) => {
    const b = aggregate({
      wallMs: 50,
      spans: [
        { phase: 'probe', startMs: 10, endMs: 20 },
        { phase: 'report', startMs: 20, endMs: 30 },
      ],
    });
    t.same(
      b.phases.map((p) => [p.phase, p.within ?? '']),
      [
        ['probe', ''],
        ['report', ''],
      ],
    );
    t.equal(b.fixedMs, 10 + 30);
    const none = aggregate({ wallMs: 5, spans: [{ phase: 'engine', startMs: 0, endMs: 5 }] });
    t.equal(none.fixedMs, undefined);
    t.equal(none.probing, undefined);
    t.equal(aggregate({ wallMs: 0, spans: [] }).phases.length, 0);
  },
);

t.test('aggregate: client processes count as probing', async (t) => {
  const b = aggregate({
    wallMs: 100,
    spans: [
      { phase: 'container-wait', startMs: 10, endMs: 90 },
      { phase: 'client', startMs: 20, endMs: 80 },
    ],
  });
  t.equal(b.fixedMs, 20 + 20);
});

t.test('slowerPhases: more than 25 % slower is named; equal, faster, new phases are not', async (t) => {
  const before = [
    { phase: 'engine', busyMs: 100 },
    { phase: 'report', busyMs: 200 },
    { phase: 'build-check', busyMs: 400 },
    { phase: 'idle', busyMs: 0 },
  ];
  const now = [
    { phase: 'engine', busyMs: 125 }, // exactly 25 %: not more
    { phase: 'report', busyMs: 300 }, // 50 %
    { phase: 'build-check', busyMs: 100 },
    { phase: 'idle', busyMs: 3 },
    { phase: 'new-phase', busyMs: 999 },
  ];
  const s = slowerPhases(before, now);
  t.same(
    s.map((x) => [x.phase, x.beforeMs, x.nowMs]),
    [
      ['report', 200, 300],
      ['idle', 0, 3],
    ],
  );
  t.equal(s[0]?.increase, 0.5);
  t.equal(s[1]?.increase, Number.POSITIVE_INFINITY);
  t.same(slowerPhases(before, now, 1), [{ phase: 'idle', beforeMs: 0, nowMs: 3, increase: Infinity }]);
});

t.test('formatBreakdown: one line per phase, nested ones indented, and the parallel caveat', async (t) => {
  const text = formatBreakdown(aggregate(twoGroups));
  t.match(text, /^phase\s+busy ms\s+share\s+spans\s+covered ms$/m);
  t.match(text, /^container-wait\s+1000\s+67\.6%\s+2\s+550$/m);
  t.match(text, /^ {2}strace\s+440\s+29\.7%\s+2\s*$/m);
  t.match(text, /run in parallel/);
});

t.test('parseStatus: each process has its start and end on the epoch clock', async (t) => {
  const st = parseStatus('main\t0\t1700000000000000000\t1700000000012500000\n');
  const m = st.get('main');
  t.equal(m?.startEpochMs, 1_700_000_000_000);
  t.ok(Math.abs((m?.endEpochMs ?? 0) - 1_700_000_000_012.5) < 0.001);
  t.ok(Math.abs((m?.durationMs ?? 0) - 12.5) < 0.001);
});

t.test('formatBreakdown: processes side by side in a container are said to exceed its wait', async (t) => {
  const text = formatBreakdown(
    aggregate({
      wallMs: 100,
      spans: [
        { phase: 'container-wait', startMs: 0, endMs: 50 },
        { phase: 'probe', startMs: 0, endMs: 40 },
        { phase: 'strace', startMs: 5, endMs: 45 },
      ],
    }),
  );
  t.match(text, /^ {2}container-wait: rest\s+0\s/m);
  t.match(text, /container-wait: the processes inside ran side by side/);
  t.notMatch(formatBreakdown(aggregate(twoGroups)), /side by side/);
});
