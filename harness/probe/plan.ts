/**
 * The probe plan of one container: which processes to start for a set of cells, and the shell script
 * that starts them. Pure: the probe suite's invocation table (probes/stages.json) comes in as data.
 */
import type { Link, ScenarioDef } from '../matrix/catalogue.js';

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
}

/** Where things are inside a probe container. */
export const IN_CONTAINER = { bin: '/rm/bin', out: '/rm/out' } as const;
export const OBSERVATION_FD = 63;

export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
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
  const env = { ...Object.fromEntries(Object.entries(def.env).map(([k, v]) => [k, expand(v)])), ...scenario.env };
  const argv = [`${IN_CONTAINER.bin}/${def.program}`, ...def.args.map(expand)];
  const display = [...Object.entries(env).map(([k, v]) => `${k}=${shellQuote(v)}`), ...argv.map(shellQuote)].join(' ');
  return { argv, env, display };
}

/**
 * A bash script (dash cannot redirect descriptors above 9) that runs each invocation with a clean environment, its observation descriptor
 * on a file, and a time limit that kills the whole process group; it records exit status and times.
 */
export function runnerScript(invocations: readonly Invocation[], timeoutSec: number): string {
  const lines = [
    '#!/bin/bash',
    '# Written by rseq-matrix: runs the probes of one container. See docs/probe-protocol.md.',
    'set -u',
    `out=${IN_CONTAINER.out}`,
    'mkdir -p "$out/obs"',
    ': > "$out/status.tsv"',
    'probe() {',
    '  id=$1; shift',
    '  s=$(date +%s%N)',
    `  timeout -s TERM -k 2 ${timeoutSec} env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@" \\`,
    `    ${OBSERVATION_FD}>"$out/obs/$id.jsonl" 2>"$out/obs/$id.stderr" >"$out/obs/$id.stdout" </dev/null`,
    '  rc=$?',
    '  e=$(date +%s%N)',
    `  printf '%s\\t%s\\t%s\\t%s\\n' "$id" "$rc" "$s" "$e" >> "$out/status.tsv"`,
    '}',
  ];
  for (const inv of invocations) {
    const env = Object.entries(inv.env).map(([k, v]) => shellQuote(`${k}=${v}`));
    lines.push(`probe ${shellQuote(inv.id)} ${[...env, ...inv.argv.map(shellQuote)].join(' ')}`);
  }
  lines.push('exit 0', '');
  return lines.join('\n');
}

export interface StatusLine {
  id: string;
  rc: number;
  durationMs: number;
}

export function parseStatus(text: string): Map<string, StatusLine> {
  const m = new Map<string, StatusLine>();
  for (const line of text.split('\n')) {
    const [id, rc, s, e] = line.split('\t');
    if (!id || rc === undefined) continue;
    m.set(id, { id, rc: Number(rc), durationMs: Math.max(0, (Number(e) - Number(s)) / 1e6) });
  }
  return m;
}

/** timeout(1) answers 124 when it stopped the command, 137 when it had to KILL; a shell says 128+N for signal N. */
export function decodeExit(rc: number, signalName: (n: number) => string): {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
} {
  if (rc === 124 || rc === 137) return { exitCode: null, signal: null, timedOut: true };
  if (rc > 128) return { exitCode: null, signal: signalName(rc - 128), timedOut: false };
  return { exitCode: rc, signal: null, timedOut: false };
}
