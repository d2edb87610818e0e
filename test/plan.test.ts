import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { scenarioDef } from '../harness/matrix/catalogue.js';
import { decodeExit, invocationFor, parseStatus, runnerScript, shellQuote } from '../harness/probe/plan.js';
import { seccompProfile } from '../harness/probe/seccomp.js';

t.test('invocations: {bin} expands, scenario env joins', async (t) => {
  const table = { 'preload-ctor': { shared: { program: 'probe-shared', args: ['preload-ctor'], env: { LD_PRELOAD: '{bin}/libp.so' } } } };
  const inv = invocationFor(table, 'preload-ctor', 'shared', scenarioDef('tunable-off')!);
  t.same(inv?.argv, ['/rm/bin/probe-shared', 'preload-ctor']);
  t.same(inv?.env, { LD_PRELOAD: '/rm/bin/libp.so', GLIBC_TUNABLES: 'glibc.pthread.rseq=0' });
  t.equal(inv?.display, 'LD_PRELOAD=/rm/bin/libp.so GLIBC_TUNABLES=glibc.pthread.rseq=0 /rm/bin/probe-shared preload-ctor');
  t.equal(invocationFor(table, 'preload-ctor', 'static', scenarioDef('default')!), undefined);
});

t.test('shell quoting survives hostile text', async (t) => {
  for (const s of ["a'b", '$(touch /tmp/x)', '`id`', 'a b;c', '"', '\\', '']) {
    const out = execFileSync('sh', ['-c', `printf %s ${shellQuote(s)}`]).toString();
    t.equal(out, s, JSON.stringify(s));
  }
});

t.test('the runner script records status, observations and a time limit', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rm-plan-'));
  // Run the generated script for real with /rm/out replaced by a temp dir and simple commands.
  const script = runnerScript(
    [
      { id: 'ok', argv: ['bash', '-c', 'echo "{\\"x\\":1}" >&63; echo $FOO >&63'], env: { FOO: "it's" }, display: '' },
      { id: 'segv', argv: ['sh', '-c', 'kill -SEGV $$'], env: {}, display: '' },
      { id: 'hang', argv: ['sh', '-c', 'sleep 30'], env: {}, display: '' },
    ],
    1,
  ).replace('out=/rm/out', `out=${dir}`);
  writeFileSync(join(dir, 'run.sh'), script);
  execFileSync('bash', [join(dir, 'run.sh')]);
  const st = parseStatus(readFileSync(join(dir, 'status.tsv'), 'utf8'));
  t.equal(st.get('ok')?.rc, 0);
  t.equal(readFileSync(join(dir, 'obs', 'ok.jsonl'), 'utf8'), '{"x":1}\nit\'s\n');
  const sig = (n: number) => (n === 11 ? 'SIGSEGV' : `sig${n}`);
  t.same(decodeExit(st.get('segv')!.rc, sig), { exitCode: null, signal: 'SIGSEGV', timedOut: false });
  t.same(decodeExit(st.get('hang')!.rc, sig), { exitCode: null, signal: null, timedOut: true });
  t.ok(st.get('hang')!.durationMs < 5000, 'the hung probe was stopped');
});

t.test('seccomp profile', async (t) => {
  const p = JSON.parse(seccompProfile('ENOSYS'));
  t.equal(p.syscalls[0].errnoRet, 38);
  t.same(p.syscalls[0].names, ['rseq']);
});
