/**
 * containers.ts's within(): a wait with a limit leaves no timer behind. A pending one kept every run's
 * process alive after its last container until main.ts's 2 s exit timer ended it.
 */
import t from 'tap';
import { within } from '../../harness/docker/containers.js';

const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

t.test('the answer in time: its value, and the limit timer is gone', async (t) => {
  const before = timers();
  t.equal(await within(Promise.resolve(7), 5000), 7);
  t.equal(timers(), before, 'no timer left');
});

t.test('no answer in time: undefined after the limit, and no timer left', async (t) => {
  const before = timers();
  const never = new Promise<number>(() => {});
  const t0 = Date.now();
  t.equal(await within(never, 50), undefined);
  t.ok(Date.now() - t0 >= 45);
  t.equal(timers(), before);
});

t.test('a rejection passes through and clears the timer too', async (t) => {
  const before = timers();
  await t.rejects(within(Promise.reject(new Error('gone')), 5000), /gone/);
  t.equal(timers(), before);
});
