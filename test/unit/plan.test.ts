/** The probe plan: invocations, shell quoting, the runner script (run here), the seccomp profiles. */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { STAGES, scenarioDef } from '../../harness/model/catalogue.js';
import {
  clientInvocation,
  decodeExit,
  type InvocationTable,
  invocationFor,
  parseStatus,
  runnerScript,
  shellQuote,
  tracedDisplay,
  tracedId,
} from '../../harness/probe/plan.js';
import { seccompProfile } from '../../harness/probe/seccomp.js';
import { parseStrace, tracedMarkers } from '../../harness/probe/strace.js';

t.test('invocations: {bin} expands, scenario env joins', async (t) => {
  const table = {
    'preload-ctor': {
      shared: { program: 'probe-shared', args: ['preload-ctor'], env: { LD_PRELOAD: '{bin}/libp.so' } },
    },
  };
  const inv = invocationFor(table, 'preload-ctor', 'shared', scenarioDef('tunable-off')!);
  t.same(inv?.argv, ['/rm/bin/probe-shared', 'preload-ctor']);
  t.same(inv?.env, { LD_PRELOAD: '/rm/bin/libp.so', GLIBC_TUNABLES: 'glibc.pthread.rseq=0' });
  t.equal(
    inv?.display,
    'LD_PRELOAD=/rm/bin/libp.so GLIBC_TUNABLES=glibc.pthread.rseq=0 /rm/bin/probe-shared preload-ctor',
  );
  t.equal(invocationFor(table, 'preload-ctor', 'static', scenarioDef('default')!), undefined);
});

t.test('shell quoting survives hostile text', async (t) => {
  for (const s of ["a'b", '$(touch /tmp/x)', '`id`', 'a b;c', '"', '\\', '']) {
    const out = execFileSync('bash', ['-c', `printf %s ${shellQuote(s)}`]).toString();
    t.equal(out, s, JSON.stringify(s));
  }
});

t.test('the runner script records status, observations and a time limit', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rm-plan-'));
  // Run the generated script for real with /rm/out replaced by a temp dir and simple commands.
  const script = runnerScript(
    [
      {
        id: 'ok',
        argv: ['bash', '-c', 'echo "{\\"x\\":1}" >&63; echo $FOO >&63'],
        env: { FOO: "it's" },
        display: '',
      },
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
  // Each invocation ran again under strace (when the host has it), its env through strace -E.
  if (!existsSync(join(dir, 'strace.version'))) {
    t.notOk(st.has(tracedId('ok')), 'no strace here: nothing traced');
    return;
  }
  t.equal(st.get(tracedId('ok'))?.rc, 0);
  t.equal(
    readFileSync(join(dir, 'obs', 'ok.strace.jsonl'), 'utf8'),
    '{"x":1}\nit\'s\n',
    'the env reached the tracee',
  );
  const trace = parseStrace(readFileSync(join(dir, 'obs', 'ok.strace'), 'utf8'));
  t.ok(
    [...trace.threads.values()].some((th) => th.events.some((e) => e.kind === 'exec' && e.ok)),
    'strace saw the execve',
  );
  t.same(tracedMarkers(trace), [], '{"x":1} is no observation line');
  t.same(
    decodeExit(st.get(tracedId('segv'))!.rc, sig),
    { exitCode: null, signal: 'SIGSEGV', timedOut: false },
    'strace passes the signal on',
  );
  t.same(decodeExit(st.get(tracedId('hang'))!.rc, sig).timedOut, true);
  t.ok(st.get(tracedId('hang'))!.durationMs < 5000, 'the hung traced probe was stopped too');
});

t.test('no strace in the image: the plain runs go on, strace.version is absent', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rm-plan-'));
  // A PATH with only what the script itself needs (the probes get PATH=/usr/sbin:/usr/bin:... anyway).
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  for (const tool of ['mkdir', 'date', 'timeout', 'env', 'rm']) {
    const where = execFileSync('bash', ['-c', `command -v ${tool}`])
      .toString()
      .trim();
    symlinkSync(where, join(bin, tool));
  }
  const script = runnerScript(
    [{ id: 'ok', argv: ['/bin/bash', '-c', 'echo hi >&63'], env: {}, display: '' }],
    5,
  ).replace('out=/rm/out', `out=${dir}`);
  writeFileSync(join(dir, 'run.sh'), script);
  execFileSync('/bin/bash', [join(dir, 'run.sh')], {
    env: { PATH: bin },
  });
  const st = parseStatus(readFileSync(join(dir, 'status.tsv'), 'utf8'));
  t.equal(st.get('ok')?.rc, 0);
  t.notOk(st.has(tracedId('ok')));
  t.notOk(existsSync(join(dir, 'strace.version')));
  t.equal(readFileSync(join(dir, 'obs', 'ok.jsonl'), 'utf8'), 'hi\n');
});

t.test('without the strace option the script traces nothing', async (t) => {
  const inv = {
    id: 'a',
    argv: ['/rm/bin/probe-shared', 'main'],
    env: { LD_PRELOAD: '/rm/bin/l.so' },
    display: '',
  };
  t.notMatch(runnerScript([inv], 5, { strace: false }), /strace/);
  const s = runnerScript([inv], 5);
  t.match(s, 'traced a.strace -E LD_PRELOAD=/rm/bin/l.so /rm/bin/probe-shared main');
  t.equal(
    tracedDisplay(inv),
    'strace -f -qq -s 4096 -e trace=rseq,write,clone,clone3,fork,vfork,execve -e raw=rseq -e signal=none -o /rm/out/obs/a.strace -E LD_PRELOAD=/rm/bin/l.so /rm/bin/probe-shared main',
  );
});

t.test('seccomp profile', async (t) => {
  const p = JSON.parse(seccompProfile('ENOSYS'));
  t.equal(p.syscalls[0].errnoRet, 38);
  t.same(p.syscalls[0].names, ['rseq']);
});

t.test(
  'static-pie: every static stage has its static-pie invocation, the same but for the program',
  async (t) => {
    const table = JSON.parse(readFileSync('probes/stages.json', 'utf8')) as InvocationTable;
    const pieStages = STAGES.filter((s) => s.links.includes('static-pie'));
    t.ok(pieStages.length >= 10, `${pieStages.length} probe stages apply to static-pie`);
    for (const s of pieStages) {
      const pie = table[s.id]?.['static-pie'];
      const stat = table[s.id]?.static;
      t.ok(pie && stat, `${s.id}: static and static-pie invocations`);
      if (!pie || !stat) continue;
      t.equal(pie.program, stat.program.replace(/^probe-static/, 'probe-static-pie'), `${s.id}: program`);
      t.same([pie.args, pie.env], [stat.args, stat.env], `${s.id}: same arguments and environment`);
      const inv = invocationFor(table, s.id, 'static-pie', scenarioDef('tunable-off')!);
      t.equal(inv?.argv[0], `/rm/bin/${pie.program}`);
      t.equal(inv?.env.GLIBC_TUNABLES, 'glibc.pthread.rseq=0', "the scenario's environment joins");
    }
    const valgrind = clientInvocation(
      { kind: 'valgrind', probeStage: 'main' },
      'client:valgrind',
      'static-pie',
      scenarioDef('default')!,
      { timeoutSec: 10, thoroughTimeoutSec: 60 },
    );
    t.same(
      valgrind.argv,
      ['valgrind', '-q', '/rm/bin/probe-static-pie', 'main'],
      'valgrind runs probe-static-pie',
    );
  },
);
