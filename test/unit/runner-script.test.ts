/** The runner script's clock, run here with bash: its stamps without date(1), and with it where bash is older. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { parseStatus, runnerScript } from '../../harness/probe/plan.js';

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
