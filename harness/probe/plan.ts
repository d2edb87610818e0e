/**
 * The probe plan of one container: which processes to start for a set of cells, and the shell script
 * that starts them. Pure: the probe suite's invocation table (probes/stages.json) comes in as data.
 */

import { quote } from 'zx';
import type { ClientDef, Link, ScenarioDef } from '../model/catalogue.js';

/** probes/stages.json: stage -> link -> how to start the process that reaches that stage. */
export type InvocationTable = Record<string, Partial<Record<Link, InvocationDef>>>;
export interface InvocationDef {
  program: string;
  args: string[];
  env: Record<string, string>;
}

export interface Invocation {
  /** Short id, unique in one container; names its output files. */
  id: string;
  argv: string[];
  env: Record<string, string>;
  /** The command a person would type inside the container to repeat it. */
  display: string;
  /** Its own time limit in seconds (absent: the container's). */
  timeoutSec?: number;
  /** false: no second run under strace (clients are watched from inside, by the client observer). */
  trace?: boolean;
  /**
   * The plain run goes under rseq-tracer, the ptrace observer (obs/<id>.ptrace), which reads the
   * registration where the probe observes this stage (only there: each stop perturbs what follows it).
   */
  ptraceStage?: string;
}

/** Where things are inside a probe container. */
export const IN_CONTAINER = { bin: '/rm/bin', out: '/rm/out', clients: '/rm/clients' } as const;
export const OBSERVATION_FD = 63;

/** Quotes a word for bash: words of safe characters stay readable, others get zx's $'...' quoting. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(s) ? s : quote(s);
}

function expand(s: string): string {
  return s.replaceAll('{bin}', IN_CONTAINER.bin);
}

/** The invocation for a stage and link, or undefined when the probe suite has none. */
export function invocationFor(
  table: InvocationTable,
  stage: string,
  link: Link,
  scenario: ScenarioDef,
): Omit<Invocation, 'id'> | undefined {
  const def = table[stage]?.[link];
  if (!def) return undefined;
  const env = {
    ...Object.fromEntries(Object.entries(def.env).map(([k, v]) => [k, expand(v)])),
    ...scenario.env,
  };
  const argv = [`${IN_CONTAINER.bin}/${def.program}`, ...def.args.map(expand)];
  const display = [
    ...Object.entries(env).map(([k, v]) => `${k}=${shellQuote(v)}`),
    ...argv.map(shellQuote),
  ].join(' ');
  return { argv, env, display };
}

/**
 * The outside observer's command. The brief form is `strace -f -qq -e trace=rseq,write -e signal=none`;
 * the process calls are traced too, because inheritance follows them (a fork child inherits its parent's
 * registration, a CLONE_VM child does not, execve clears it), and -s is large enough for a whole
 * observation line (at most 2 KiB), so that the stage and the kernel answer can be read from the write.
 * rseq's arguments are printed raw (`-e raw=rseq`): strace 7 decodes the area as a struct and no longer
 * prints its address, which is what tells glibc's registration from the probe's (harness/probe/strace.ts).
 */
export const STRACE_ARGV = [
  'strace',
  '-f',
  '-qq',
  '-s',
  '4096',
  '-e',
  'trace=rseq,write,clone,clone3,fork,vfork,execve',
  '-e',
  'raw=rseq',
  '-e',
  'signal=none',
] as const;

/** The ptrace observer, compiled with the probes (probes/rseq-tracer.c). */
export const PTRACE_TRACER = `${IN_CONTAINER.bin}/rseq-tracer`;

/** The file the tracer writes its readings to, in the container's obs/ folder. */
export const ptraceFile = (id: string) => `${id}.ptrace`;

/** The tracer's words before the program: its readings file and the stage it reads at. */
function tracerWords(inv: Invocation, file: string): string[] {
  return inv.ptraceStage === undefined ? [] : [PTRACE_TRACER, '-o', file, '-s', inv.ptraceStage, '--'];
}

/** The plain run under the tracer as a person would type it inside the container (the env acts on both). */
export function ptracedDisplay(inv: Invocation): string {
  return [
    ...Object.entries(inv.env).map(([k, v]) => `${k}=${shellQuote(v)}`),
    ...[...tracerWords(inv, `${IN_CONTAINER.out}/obs/${ptraceFile(inv.id)}`), ...inv.argv].map(shellQuote),
  ].join(' ');
}

/** Status id and file names of an invocation's traced run. */
export const tracedId = (id: string) => `${id}.strace`;

/** The traced command as a person would type it inside the container (env goes through strace -E). */
export function tracedDisplay(inv: Invocation): string {
  return [
    ...STRACE_ARGV,
    '-o',
    `${IN_CONTAINER.out}/obs/${tracedId(inv.id)}`,
    ...Object.entries(inv.env).flatMap(([k, v]) => ['-E', `${k}=${v}`]),
    ...inv.argv,
  ]
    .map(shellQuote)
    .join(' ');
}

/**
 * A bash script (dash cannot redirect descriptors above 9) that runs each invocation with a clean environment, its observation descriptor
 * on a file, and a time limit that kills the whole process group; it records exit status and times.
 * An invocation with `ptraceStage` runs under rseq-tracer (the ptrace observer; its readings in obs/<id>.ptrace).
 * With `strace` (the default), each invocation then runs a second time under strace (the outside observer),
 * its environment given with strace's -E so that LD_PRELOAD/LD_AUDIT/GLIBC_TUNABLES reach the probe and not
 * strace itself: status id `<id>.strace`, files obs/<id>.strace (the log), obs/<id>.strace.jsonl (its
 * observation lines) and obs/<id>.strace.stderr. Without strace in the image nothing is traced and
 * `strace.version` is not written.
 * With `parallel` 2, two probe invocations (each its plain run, then its traced one) run at a time
 * (bash 4.3 and later: `wait -n`; an older bash runs them one by one); an invocation that is not traced
 * (a client) or has its own time limit runs alone, once those before it have ended.
 */
export function runnerScript(
  invocations: readonly Invocation[],
  timeoutSec: number,
  opts: { strace?: boolean; parallel?: number } = {},
): string {
  const strace = opts.strace ?? true;
  const parallel = Math.max(1, Math.floor(opts.parallel ?? 1));
  const lines = [
    '#!/bin/bash',
    '# Written by rseq-matrix: runs the probes of one container. See docs/probe-protocol.md.',
    'set -u',
    `out=${IN_CONTAINER.out}`,
    'mkdir -p "$out/obs"',
    ': > "$out/status.tsv"',
    // The clock in nanoseconds since the epoch, read without a fork where bash has $EPOCHREALTIME (5.0
    // and later: seconds and six digits of microseconds), else from date(1).
    `if [ -n "\${EPOCHREALTIME:-}" ]; then`,
    `  stamp() { local t=\${EPOCHREALTIME//[.,]/}; printf -v "$1" %s000 "$t"; }`,
    'else',
    '  stamp() { printf -v "$1" %s "$(date +%s%N)"; }',
    'fi',
    'probe() {',
    '  id=$1; shift',
    '  stamp s',
    `  timeout -s TERM -k 2 "\${T:-${timeoutSec}}" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@" \\`,
    `    ${OBSERVATION_FD}>"$out/obs/$id.jsonl" 2>"$out/obs/$id.stderr" >"$out/obs/$id.stdout" </dev/null`,
    '  rc=$?',
    '  stamp e',
    `  printf '%s\\t%s\\t%s\\t%s\\n' "$id" "$rc" "$s" "$e" >> "$out/status.tsv"`,
    '}',
  ];
  if (strace)
    lines.push(
      'has_strace=0',
      'if command -v strace >/dev/null 2>&1 && strace -V > "$out/strace.version" 2>&1; then has_strace=1; else rm -f "$out/strace.version"; fi',
      'traced() {',
      '  id=$1; shift',
      '  [ "$has_strace" = 1 ] || return 0',
      '  stamp s',
      `  timeout -s TERM -k 2 ${timeoutSec} env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin ${STRACE_ARGV.join(' ')} -o "$out/obs/$id" "$@" \\`,
      `    ${OBSERVATION_FD}>"$out/obs/$id.jsonl" 2>"$out/obs/$id.stderr" >/dev/null </dev/null`,
      '  rc=$?',
      '  stamp e',
      `  printf '%s\\t%s\\t%s\\t%s\\n' "$id" "$rc" "$s" "$e" >> "$out/status.tsv"`,
      '}',
    );
  if (parallel > 1)
    lines.push(
      `slots=${parallel}`,
      '(( BASH_VERSINFO[0] * 100 + BASH_VERSINFO[1] >= 403 )) || slots=1',
      'running=0',
      // A free slot: with all taken, wait for one job to end.
      'slot() {',
      '  if [ "$running" -ge "$slots" ]; then',
      '    if [ "$slots" -gt 1 ]; then wait -n; running=$((running - 1)); else wait; running=0; fi',
      '  fi',
      '  running=$((running + 1))',
      '}',
      // Every job ended: what runs next runs alone.
      'alone() { wait; running=0; }',
    );
  for (const inv of invocations) {
    const env = Object.entries(inv.env).map(([k, v]) => shellQuote(`${k}=${v}`));
    const limit = inv.timeoutSec ? `T=${Math.ceil(inv.timeoutSec)} ` : '';
    // Under the ptrace observer, env(1) starts the tracer (static: the stage's LD_PRELOAD and LD_AUDIT do
    // not act on it), which passes its environment on to the probe.
    const tracer = tracerWords(inv, '$out').map((w) =>
      w === '$out' ? `"$out"/obs/${shellQuote(ptraceFile(inv.id))}` : shellQuote(w),
    );
    const plain = `${limit}probe ${shellQuote(inv.id)} ${[...env, ...tracer, ...inv.argv.map(shellQuote)].join(' ')}`;
    let traced: string | undefined;
    if (strace && inv.trace !== false) {
      const e = Object.entries(inv.env).flatMap(([k, v]) => ['-E', shellQuote(`${k}=${v}`)]);
      traced = `traced ${shellQuote(tracedId(inv.id))} ${[...e, ...inv.argv.map(shellQuote)].join(' ')}`;
    }
    if (parallel > 1 && inv.trace !== false && !inv.timeoutSec)
      lines.push(`slot; { ${plain}${traced ? `; ${traced}` : ''}; } &`);
    else lines.push(...(parallel > 1 ? ['alone'] : []), plain, ...(traced ? [traced] : []));
  }
  lines.push(...(parallel > 1 ? ['wait'] : []), 'exit 0', '');
  return lines.join('\n');
}

export interface StatusLine {
  id: string;
  rc: number;
  durationMs: number;
  /** When the process started and ended, in epoch milliseconds (the container's clock is the host's). */
  startEpochMs: number;
  endEpochMs: number;
}

export function parseStatus(text: string): Map<string, StatusLine> {
  const m = new Map<string, StatusLine>();
  for (const line of text.split('\n')) {
    const [id, rc, s, e] = line.split('\t');
    if (!id || rc === undefined) continue;
    const startEpochMs = Number(s) / 1e6;
    const endEpochMs = Number(e) / 1e6;
    m.set(id, {
      id,
      rc: Number(rc),
      durationMs: Math.max(0, endEpochMs - startEpochMs),
      startEpochMs,
      endEpochMs,
    });
  }
  return m;
}

/** timeout(1) answers 124 when it stopped the command, 137 when it had to KILL; a shell says 128+N for signal N. */
export function decodeExit(
  rc: number,
  signalName: (n: number) => string,
): {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
} {
  if (rc === 124 || rc === 137) return { exitCode: null, signal: null, timedOut: true };
  // 129..192: a signal (N <= 64); above, a program's own status (exit(-1) is 255).
  if (rc > 128 && rc - 128 <= 64) return { exitCode: null, signal: signalName(rc - 128), timedOut: false };
  return { exitCode: rc, signal: null, timedOut: false };
}

/**
 * The invocation of a client stage (catalogue CLIENT_STAGES): a selftest from the compiled clients
 * folder with the client observer (LD_PRELOAD for shared, linked in for static), or the probe program
 * under valgrind. Pure; `thoroughTimeoutSec` bounds run_param_test.sh.
 */
export function clientInvocation(
  client: ClientDef,
  stage: string,
  link: Link,
  scenario: ScenarioDef,
  opts: { timeoutSec: number; thoroughTimeoutSec: number },
): Omit<Invocation, 'id'> {
  const dir = `${IN_CONTAINER.clients}/${link}`;
  let argv: string[];
  let env: Record<string, string>;
  let timeoutSec = opts.timeoutSec;
  if (client.kind === 'selftest') {
    env = {
      RSEQ_MATRIX_CLIENT: stage,
      ...(link === 'shared' ? { LD_PRELOAD: `${IN_CONTAINER.clients}/libprobe-client.so` } : {}),
    };
    if (client.thorough) {
      // The script runs ./param_test and its forms from its own folder.
      argv = ['/bin/bash', '-c', `cd ${dir} && exec bash ./${client.program}`];
      timeoutSec = opts.thoroughTimeoutSec;
    } else {
      argv = [`${dir}/${client.program}`];
      // basic_percpu_ops_test runs 200 threads: about 30 s on 2 cores, more beside another container.
      timeoutSec = Math.max(opts.timeoutSec, 300);
    }
  } else {
    env = {};
    // probe-shared, probe-static, probe-static-pie: the program of the link's plain stages.
    const program = `probe-${link}`;
    // valgrind is slow to start: give it a minute whatever the probes' limit.
    argv = ['valgrind', '-q', `${IN_CONTAINER.bin}/${program}`, client.probeStage];
    timeoutSec = Math.max(opts.timeoutSec, 60);
  }
  env = { ...env, ...scenario.env };
  const display = [
    ...Object.entries(env).map(([k, v]) => `${k}=${shellQuote(v)}`),
    ...argv.map(shellQuote),
  ].join(' ');
  return { argv, env, display, timeoutSec, trace: false };
}
