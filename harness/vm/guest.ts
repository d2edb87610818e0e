/**
 * What a probe container's run becomes inside a VM, and what comes back from it; pure. A RunSpec's
 * binds are read as folders to copy in (read-only ones) or to copy in and bring back (writable ones);
 * its seccomp profile, as the errno rseq must fail with; its command, environment and time limit go into
 * the guest's /run.sh, which vm-init (probes/vm-init.c) starts. That script runs the command, then sends
 * every writable folder back over the data port as a gzip-compressed tar in base64, framed by marker
 * lines, with the command's stdout and stderr, the guest's /proc/meminfo and its release (uname -r):
 *
 *   @@vm-begin <name>      name: "tar <path in the VM>", "stdout", "stderr", "meminfo" or "uname"
 *   <base64 lines>
 *   @@vm-end <name>
 *   @@vm-status <exit status of the command> <"timeout" when the guest's time limit stopped it>
 *
 * and vm-init's own lines follow: "@@vm-seccomp-failed <why>" (no filter, so nothing ran) and the done
 * marker (harness/vm/init.ts).
 */

/** A bind of a RunSpec, host:container[:ro]. */
export interface Bind {
  host: string;
  guest: string;
  readOnly: boolean;
}

/** "host:container[:ro]" (or ":rw"). Paths with a colon are not supported, as Docker's short form has none. */
export function parseBind(text: string): Bind {
  const parts = text.split(':');
  const mode = parts.length === 3 ? parts[2] : undefined;
  const [host, guest] = parts;
  if (
    parts.length < 2 ||
    parts.length > 3 ||
    !host ||
    !guest ||
    (mode !== undefined && !/^(ro|rw)$/.test(mode))
  )
    throw new Error(`not a bind of the form host:container[:ro]: "${text}"`);
  if (!guest.startsWith('/') || guest.split('/').includes('..') || /\s/.test(guest))
    throw new Error(
      `the VM cannot hold the bind's path "${guest}": it must be absolute, without ".." or spaces`,
    );
  return { host, guest: guest.replace(/\/+$/, '') || '/', readOnly: mode === 'ro' };
}

/**
 * The errno a Docker seccomp profile makes rseq fail with, when that is all the profile does (every
 * other call allowed, as harness/probe/seccomp.ts writes them). Any other profile cannot be turned into
 * vm-init's filter: an error saying so.
 */
export function rseqErrnoOfProfile(profileJson: string): number {
  let p: {
    defaultAction?: unknown;
    syscalls?: { names?: unknown; action?: unknown; errnoRet?: unknown }[];
  };
  try {
    p = JSON.parse(profileJson) as typeof p;
  } catch {
    throw new Error('the seccomp profile is not JSON');
  }
  const rules = Array.isArray(p.syscalls) ? p.syscalls : [];
  const rule = rules[0];
  const names = rule && Array.isArray(rule.names) ? rule.names : [];
  const errno = rule?.errnoRet;
  if (
    p.defaultAction !== 'SCMP_ACT_ALLOW' ||
    rules.length !== 1 ||
    names.length !== 1 ||
    names[0] !== 'rseq' ||
    rule?.action !== 'SCMP_ACT_ERRNO' ||
    typeof errno !== 'number' ||
    !Number.isInteger(errno) ||
    errno <= 0 ||
    errno > 0xffff
  )
    throw new Error(
      'the VM carries over only a seccomp profile that allows every call but makes rseq fail with an errno',
    );
  return errno;
}

/** A word for bash: safe characters as they are, anything else in single quotes. */
export function bashWord(s: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
}

export const FRAME_BEGIN = '@@vm-begin';
export const FRAME_END = '@@vm-end';
export const STATUS_LINE = '@@vm-status';
export const SECCOMP_FAILED_LINE = '@@vm-seccomp-failed';
/** vm-init's done status when the seccomp filter could not be installed (probes/vm-init.c). */
export const SECCOMP_FAILED_STATUS = 125;

/** Where the guest keeps the command's output and its own errors while the command runs. */
export const GUEST_TMP = '/tmp/rseq-matrix';

/**
 * The guest's /run.sh: the spec's command with its environment and working folder, under timeout(1)
 * with the spec's limit (TERM, then KILL 5 s later), its output to files; then the frames above.
 */
export function guestScript(a: {
  cmd: readonly string[];
  env?: Record<string, string>;
  workdir?: string;
  timeoutSec: number;
  /** The folders to send back (the writable binds' paths in the VM). */
  sendBack: readonly string[];
  /** Scratch folder for the command's output (GUEST_TMP unless given). */
  tmp?: string;
}): string {
  if (a.cmd.length === 0) throw new Error('the run has no command');
  const limit = Math.max(1, Math.ceil(a.timeoutSec));
  return [
    '#!/bin/bash',
    "# Written by rseq-matrix (harness/vm/guest.ts): runs a probe container's command in the VM, then sends",
    '# its writable folders, stdout and stderr back over the data port (descriptor 3).',
    'set -u',
    `t=${bashWord(a.tmp ?? GUEST_TMP)}`,
    'mkdir -p "$t"',
    'exec 3>&1 >"$t/wrapper.out" 2>"$t/wrapper.err"',
    ...Object.entries(a.env ?? {}).map(([k, v]) => {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new Error(`not an environment variable name: "${k}"`);
      return `export ${k}=${bashWord(v)}`;
    }),
    `cd ${bashWord(a.workdir || '/')}`,
    `timeout -k 5 ${limit} ${a.cmd.map(bashWord).join(' ')} >"$t/stdout" 2>"$t/stderr" </dev/null`,
    'rc=$?',
    'how=',
    // timeout(1): 124 when it stopped the command with TERM, 137 when it had to KILL.
    'if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then how=timeout; fi',
    `frame() { printf '${FRAME_BEGIN} %s\\n' "$1" >&3; base64 -w 76 >&3; printf '${FRAME_END} %s\\n' "$1" >&3; }`,
    ...a.sendBack.map((dir) => `tar -C ${bashWord(dir)} -czf - . | frame ${bashWord(`tar ${dir}`)}`),
    'frame stdout < "$t/stdout"',
    'frame meminfo < /proc/meminfo',
    'uname -r | frame uname',
    'cat "$t/stderr" "$t/wrapper.err" | frame stderr',
    `printf '${STATUS_LINE} %s %s\\n' "$rc" "$how" >&3`,
    'exit "$rc"',
    '',
  ].join('\n');
}

/** What the data port brought back. */
export interface GuestReport {
  /** Whole frames by name, decoded. */
  frames: Map<string, Buffer>;
  /** Frames that began and never ended (the VM stopped while sending them). */
  cut: string[];
  /** The command's exit status, and whether the guest's time limit stopped it; undefined: no status line. */
  status?: { rc: number; timedOut: boolean };
  /** vm-init could not install the seccomp filter: why. */
  seccompFailed?: string;
  /** Lines outside any frame that are no marker (what vm-init or the kernel wrote there). */
  stray: string[];
}

/** Reads the data port's text (before the done marker) into frames. */
export function parseGuestReport(data: string): GuestReport {
  const report: GuestReport = { frames: new Map(), cut: [], stray: [] };
  let open: { name: string; lines: string[] } | undefined;
  for (const raw of data.replace(/\r/g, '').split('\n')) {
    const line = raw.trimEnd();
    if (open) {
      if (line === `${FRAME_END} ${open.name}`) {
        report.frames.set(open.name, Buffer.from(open.lines.join(''), 'base64'));
        open = undefined;
      } else if (line.startsWith(`${FRAME_BEGIN} `)) {
        report.cut.push(open.name);
        open = { name: line.slice(FRAME_BEGIN.length + 1), lines: [] };
      } else open.lines.push(line);
      continue;
    }
    if (line.startsWith(`${FRAME_BEGIN} `)) open = { name: line.slice(FRAME_BEGIN.length + 1), lines: [] };
    else if (line.startsWith(`${STATUS_LINE} `)) {
      const [rc, how] = line.slice(STATUS_LINE.length + 1).split(' ');
      const n = Number.parseInt(rc ?? '', 10);
      if (!Number.isNaN(n)) report.status = { rc: n, timedOut: how === 'timeout' };
    } else if (line.startsWith(`${SECCOMP_FAILED_LINE} `))
      report.seccompFailed = line.slice(SECCOMP_FAILED_LINE.length + 1);
    else if (line) report.stray.push(line);
  }
  if (open) report.cut.push(open.name);
  return report;
}

/** The kB figures of /proc/meminfo that say how much memory the guest had and had left. */
export function memoryOf(meminfo: string): { totalKiB?: number; availableKiB?: number } {
  const field = (name: string) => {
    const m = new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(meminfo);
    return m ? Number(m[1]) : undefined;
  };
  const totalKiB = field('MemTotal');
  const availableKiB = field('MemAvailable');
  return {
    ...(totalKiB !== undefined ? { totalKiB } : {}),
    ...(availableKiB !== undefined ? { availableKiB } : {}),
  };
}

/** Does a kernel config (the text of /boot/config-RELEASE) have seccomp filters? */
export function configHasSeccompFilter(config: string): boolean {
  return /^CONFIG_SECCOMP_FILTER=y$/m.test(config);
}
