/**
 * The runner script's clock and scheduling, run here with bash: its stamps without date(1) (and with it
 * where bash is older), and two invocations at a time.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { type Invocation, parseStatus, runnerScript } from '../../harness/probe/plan.js';

/** A PATH holding only the given tools. */
function pathWith(dir: string, tools: readonly string[]): string {
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  for (const tool of tools) {
    const where = execFileSync('bash', ['-c', `command -v ${tool}`])
      .toString()
      .trim();
    symlinkSync(where, join(bin, tool));
  }
  return bin;
}

function run(script: string, dir: string, env: NodeJS.ProcessEnv = process.env) {
  writeFileSync(join(dir, 'run.sh'), script.replace('out=/rm/out', `out=${dir}`));
  const before = Date.now();
  execFileSync('/bin/bash', [join(dir, 'run.sh')], { env });
  const after = Date.now();
  return { before, after, status: parseStatus(readFileSync(join(dir, 'status.tsv'), 'utf8')) };
}

t.test('the stamps come from $EPOCHREALTIME: no date(1) on the PATH, times on the epoch clock', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rm-runner-'));
  const PATH = pathWith(dir, ['mkdir', 'timeout', 'env', 'rm']);
  const { before, after, status } = run(
    runnerScript([{ id: 'ok', argv: ['/bin/bash', '-c', 'echo hi >&63'], env: {}, display: '' }], 5),
    dir,
    { PATH },
  );
  const st = status.get('ok');
  t.equal(st?.rc, 0);
  t.ok(
    st && st.startEpochMs >= before - 1 && st.endEpochMs <= after + 1,
    'within the run, on the epoch clock',
  );
  t.ok(st && st.durationMs > 0 && st.durationMs < 5000);
  t.equal(readFileSync(join(dir, 'obs', 'ok.jsonl'), 'utf8'), 'hi\n');
});

t.test('without $EPOCHREALTIME (bash before 5.0) the stamps come from date(1)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rm-runner-'));
  const script = runnerScript(
    [{ id: 'ok', argv: ['/bin/bash', '-c', 'echo hi >&63'], env: {}, display: '' }],
    5,
  ).replace('set -u', 'set -u\nunset EPOCHREALTIME');
  t.match(script, 'unset EPOCHREALTIME');
  const { before, after, status } = run(script, dir);
  const st = status.get('ok');
  t.equal(st?.rc, 0);
  t.ok(st && st.startEpochMs >= before - 1 && st.endEpochMs <= after + 1);
});

t.test('the script forks no date(1) per invocation where bash has $EPOCHREALTIME', async (t) => {
  const s = runnerScript([{ id: 'a', argv: ['true'], env: {}, display: '' }], 5);
  const body = s.slice(s.indexOf('probe() {'));
  t.notMatch(body.replace(/stamp\(\) \{ printf -v "\$1" %s "\$\(date \+%s%N\)"; \}/, ''), /\$\(date/);
});

const sleeps = (id: string, sec: number): Invocation => ({
  id,
  argv: ['/bin/bash', '-c', `sleep ${sec}; echo ${id} >&63`],
  env: {},
  display: '',
});

t.test(
  'parallel 2: two invocations at a time, each still run plain then traced; every status line',
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'rm-runner-'));
    const invs = ['a', 'b', 'c', 'd'].map((id) => sleeps(id, 0.4));
    const script = runnerScript(invs, 5, { strace: false, parallel: 2 });
    t.match(script, /^slot; \{ probe a .*; \} &$/m);
    const { before, after, status } = run(script, dir);
    t.same([...status.keys()].sort(), ['a', 'b', 'c', 'd']);
    for (const id of ['a', 'b', 'c', 'd']) {
      t.equal(status.get(id)?.rc, 0);
      t.equal(readFileSync(join(dir, 'obs', `${id}.jsonl`), 'utf8'), `${id}\n`);
    }
    // One by one: 1.6 s; two at a time: 0.8 s.
    t.ok(after - before < 1400, `four 0.4 s invocations two at a time took ${after - before} ms`);
    const a = status.get('a');
    const b = status.get('b');
    t.ok(a && b && b.startEpochMs < a.endEpochMs, 'a and b overlap');
  },
);

t.test('parallel 2: a client (not traced) or an invocation with its own limit runs alone', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rm-runner-'));
  const client = { ...sleeps('client', 0.3), trace: false };
  const long = { ...sleeps('long', 0.3), timeoutSec: 20 };
  const script = runnerScript([sleeps('a', 0.3), client, sleeps('b', 0.3), long, sleeps('c', 0.3)], 5, {
    strace: false,
    parallel: 2,
  });
  const { status } = run(script, dir);
  const st = (id: string) => status.get(id) as NonNullable<ReturnType<typeof status.get>>;
  t.same([...status.keys()].sort(), ['a', 'b', 'c', 'client', 'long']);
  t.ok(st('client').startEpochMs >= st('a').endEpochMs, 'the client starts after a ended');
  t.ok(st('b').startEpochMs >= st('client').endEpochMs, 'b starts after the client ended');
  t.ok(st('long').startEpochMs >= st('b').endEpochMs, 'the long one starts after b ended');
  t.ok(st('c').startEpochMs >= st('long').endEpochMs);
});

t.test('parallel 2 where bash has no wait -n: one at a time, all run', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rm-runner-'));
  const script = runnerScript(
    ['a', 'b', 'c'].map((id) => sleeps(id, 0.2)),
    5,
    {
      strace: false,
      parallel: 2,
    },
  ).replace(/^\(\( BASH_VERSINFO.*$/m, 'slots=1');
  t.match(script, /^slots=1$/m);
  const { status } = run(script, dir);
  const st = (id: string) => status.get(id) as NonNullable<ReturnType<typeof status.get>>;
  t.same([...status.keys()].sort(), ['a', 'b', 'c']);
  t.ok(st('b').startEpochMs >= st('a').endEpochMs && st('c').startEpochMs >= st('b').endEpochMs);
});

t.test('parallel 2 with strace: the traced run follows its plain run in the same job', async (t) => {
  const script = runnerScript([sleeps('a', 0)], 5, { parallel: 2 });
  t.match(script, /^slot; \{ probe a .*; traced a\.strace .*; \} &$/m);
  t.match(script, /\nwait\nexit 0\n$/);
  t.notMatch(runnerScript([sleeps('a', 0)], 5), /slot|wait/, 'one at a time: no jobs');
});
