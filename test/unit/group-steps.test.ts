/**
 * A group's pipeline record (harness/cli/group-steps.ts): each step's status, time, reason and span,
 * a failure returned with its reason rather than thrown, skipped steps with theirs. Pure: a fake timer.
 */
import t from 'tap';
import { GroupSteps } from '../../harness/cli/group-steps.js';
import { TimingRecorder } from '../../harness/util/timing.js';

function fakeClock() {
  let ms = 0;
  return { clock: { now: () => (ms += 5), originEpochMs: 0 } };
}

t.test('steps that succeed, fail and are skipped are recorded in order, with their spans', async (t) => {
  const timer = new TimingRecorder(fakeClock().clock);
  const steps = new GroupSteps(timer, 'glibc-2.36/upstream');
  const built = await steps.run('build', async () => ({ cached: true }), {
    phase: (b) => (b.cached ? 'build-check' : 'build'),
  });
  t.same(built, { ok: true, value: { cached: true } });
  const compiled = await steps.run(
    'compile',
    async () => {
      throw new Error('gcc: no such file');
    },
    { phase: 'probe-compile' },
  );
  t.match(compiled, { ok: false, reason: 'gcc: no such file' });
  steps.skip('clients', 'the probes did not compile');
  steps.skip('run', 'the build failed', { scenario: 'default', cells: 12 });
  const ran = await steps.run('run', async () => 3, { scenario: 'tunable-off', cells: 4 });
  t.same(ran, { ok: true, value: 3 });
  steps.done('judge', 7, { scenario: 'tunable-off', cells: 4 });
  t.match(steps.steps, [
    { step: 'build', status: 'ok' },
    { step: 'compile', status: 'failed', reason: 'gcc: no such file' },
    { step: 'clients', status: 'skipped', reason: 'the probes did not compile', durationMs: 0 },
    { step: 'run', scenario: 'default', status: 'skipped', cells: 12 },
    { step: 'run', scenario: 'tunable-off', status: 'ok', cells: 4 },
    { step: 'judge', scenario: 'tunable-off', status: 'ok', durationMs: 7, cells: 4 },
  ]);
  t.notOk('reason' in (steps.steps[0] ?? {}), 'an ok step has no reason');
  t.notOk('scenario' in (steps.steps[0] ?? {}), 'a step of no scenario names none');
  t.match(steps.failed, { step: 'compile' }, 'the first failed step');
  t.same(
    timer.spans.map((s) => [s.phase, s.group]),
    [
      ['build-check', 'glibc-2.36/upstream'],
      ['probe-compile', 'glibc-2.36/upstream'],
    ],
    'a span for each step with a phase (the build named by its value), a failed one included; none without',
  );
});

t.test('a step whose phase depends on its value has no span when it fails', async (t) => {
  const timer = new TimingRecorder(fakeClock().clock);
  const steps = new GroupSteps(timer, 'g');
  const r = await steps.run(
    'build',
    async (): Promise<{ cached: boolean }> => {
      throw new Error('patch does not apply');
    },
    { phase: (b) => (b.cached ? 'build-check' : 'build') },
  );
  t.equal(r.ok, false);
  t.same(timer.spans, []);
  t.equal(steps.failed?.reason, 'patch does not apply');
});
