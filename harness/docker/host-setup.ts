/**
 * Host set-up for a bare Debian machine: Debian's docker.io and debootstrap, and a dockerd that puts
 * no container on a bridge (--bridge=none): every container of ours runs with network none or host.
 *
 * Every apt-get of this process goes through one queue, and each package set is installed at most
 * once per process (concurrent builds that all need debootstrap share one install, and its failure):
 * three builds starting at once on a bare machine must not race for dpkg's lock. Another process
 * holding the lock (unattended-upgrades, a second run) is waited for, for a bounded time.
 */
import { spawn } from 'node:child_process';
import { existsSync, openSync } from 'node:fs';
import { execa } from 'execa';
import { HostError } from '../util/errors.js';
import type { Log } from '../util/log.js';

export const DOCKERD_LOG = '/var/log/rseq-matrix-dockerd.log';
export const DOCKERD_ARGS = ['--bridge=none', '--iptables=false', '--ip6tables=false'];
/** How long apt waits for another process's dpkg or lists lock before it gives up. */
export const APT_LOCK_WAIT_SEC = 600;

/** Why this process cannot install or start things itself, or undefined when it can. */
export function canSetUpHost(): string | undefined {
  if (process.getuid?.() !== 0) return 'not running as root';
  if (!existsSync('/usr/bin/apt-get')) return 'not a Debian-like host (no apt-get)';
  return undefined;
}

/** The tail of the apt queue: each apt-get starts when the one before it has ended. */
let aptQueue: Promise<unknown> = Promise.resolve();
let aptUpdate: Promise<void> | undefined;
/** One install per package set per process, kept even when it failed: apt is not retried per build. */
const installs = new Map<string, Promise<void>>();

function queued<T>(work: () => Promise<T>): Promise<T> {
  const next = aptQueue.then(work, work);
  aptQueue = next.catch(() => {});
  return next;
}

const LOCKED = /Could not get lock|Unable to acquire the dpkg frontend lock|Unable to lock directory/;

/** apt-get with its lock wait; a lock apt itself did not wait for (the lists lock) is retried. */
async function aptGet(args: string[]): Promise<{ exitCode: number; all: string }> {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const deadline = Date.now() + APT_LOCK_WAIT_SEC * 1000;
  for (;;) {
    const r = await execa('apt-get', ['-o', `DPkg::Lock::Timeout=${APT_LOCK_WAIT_SEC}`, ...args], {
      env,
      reject: false,
      all: true,
    });
    const all = r.all ?? '';
    if (r.exitCode === 0 || !LOCKED.test(all) || Date.now() > deadline)
      return { exitCode: r.exitCode ?? 1, all };
    await new Promise((res) => setTimeout(res, 3000));
  }
}

export function aptInstall(packages: string[], log: Log): Promise<void> {
  const key = [...packages].sort().join(' ');
  let p = installs.get(key);
  if (!p) {
    p = installOnce(packages, log);
    installs.set(key, p);
  }
  return p;
}

async function installOnce(packages: string[], log: Log): Promise<void> {
  const why = canSetUpHost();
  if (why)
    throw new HostError(
      `cannot install ${packages.join(', ')}: ${why}`,
      `apt-get install ${packages.join(' ')}`,
    );
  aptUpdate ??= queued(async () => {
    log.info('apt-get update');
    const up = await aptGet(['update', '-q']);
    if (up.exitCode !== 0) throw new HostError('apt-get update failed', undefined, tail(up.all));
  });
  await aptUpdate;
  await queued(async () => {
    log.info(`installing Debian packages: ${packages.join(' ')}`);
    const r = await aptGet(['install', '-y', '-q', '--no-install-recommends', ...packages]);
    if (r.exitCode !== 0)
      throw new HostError(`apt-get install ${packages.join(' ')} failed`, undefined, tail(r.all));
  });
}

export async function hasCommand(cmd: string): Promise<string | undefined> {
  const r = await execa('sh', ['-c', `command -v "$1"`, 'sh', cmd], { reject: false });
  return r.exitCode === 0 ? r.stdout.trim() : undefined;
}

/** Installs docker.io where dockerd is missing, then starts it in the background. */
export async function startDockerd(log: Log, ready: () => Promise<boolean>): Promise<void> {
  if (!(await hasCommand('dockerd'))) await aptInstall(['docker.io'], log);
  log.info(`starting dockerd ${DOCKERD_ARGS.join(' ')} (log: ${DOCKERD_LOG})`);
  const out = openSync(DOCKERD_LOG, 'a');
  const child = spawn('dockerd', DOCKERD_ARGS, { detached: true, stdio: ['ignore', out, out] });
  child.unref();
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (existsSync('/var/run/docker.sock') && (await ready())) return;
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new HostError('dockerd did not come up within 60 s', `see ${DOCKERD_LOG}`);
}

export async function ensureDebootstrap(log: Log): Promise<string> {
  const found = await hasCommand('debootstrap');
  if (found) return found;
  await aptInstall(['debootstrap'], log);
  const now = await hasCommand('debootstrap');
  if (!now) throw new HostError('debootstrap is still missing after installing it');
  return now;
}

export function tail(text: string | undefined, lines = 20): string {
  if (!text) return '';
  return text.split('\n').slice(-lines).join('\n');
}

/**
 * What `npm test` needs on the host beyond the engine and debootstrap, each as the file whose absence
 * means its Debian package is missing: Chromium for the report test, the C toolchain with a static
 * libc for the host probe test, valgrind and strace.
 */
export const TEST_PACKAGES: readonly { pkg: string; file: string }[] = [
  { pkg: 'chromium', file: '/usr/bin/chromium' },
  { pkg: 'gcc', file: '/usr/bin/gcc' },
  { pkg: 'make', file: '/usr/bin/make' },
  { pkg: 'libc6-dev', file: '/usr/lib/x86_64-linux-gnu/libc.a' },
  { pkg: 'valgrind', file: '/usr/bin/valgrind' },
  { pkg: 'strace', file: '/usr/bin/strace' },
  // test/unit/initramfs.test.ts reads the harness's archives back with GNU cpio.
  { pkg: 'cpio', file: '/bin/cpio' },
];

/** The test packages whose file is missing. */
export function missingTestPackages(): string[] {
  return TEST_PACKAGES.filter((p) => !existsSync(p.file)).map((p) => p.pkg);
}

/** Installs the missing test packages in one apt-get; nothing when all are there. */
export async function ensureTestPackages(log: Log): Promise<string[]> {
  const missing = missingTestPackages();
  if (missing.length > 0) await aptInstall(missing, log);
  return missing;
}
