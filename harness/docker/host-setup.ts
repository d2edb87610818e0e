/**
 * Host set-up for a bare Debian machine: Debian's docker.io and debootstrap, and a dockerd that puts
 * no container on a bridge (--bridge=none): every container of ours runs with network none or host.
 */
import { spawn } from 'node:child_process';
import { existsSync, openSync } from 'node:fs';
import { execa } from 'execa';
import { HostError } from '../util/errors.js';
import type { Log } from '../util/log.js';

export const DOCKERD_LOG = '/var/log/rseq-matrix-dockerd.log';
export const DOCKERD_ARGS = ['--bridge=none', '--iptables=false', '--ip6tables=false'];

/** Why this process cannot install or start things itself, or undefined when it can. */
export function canSetUpHost(): string | undefined {
  if (process.getuid?.() !== 0) return 'not running as root';
  if (!existsSync('/usr/bin/apt-get')) return 'not a Debian-like host (no apt-get)';
  return undefined;
}

let aptUpdated = false;
export async function aptInstall(packages: string[], log: Log): Promise<void> {
  const why = canSetUpHost();
  if (why)
    throw new HostError(
      `cannot install ${packages.join(', ')}: ${why}`,
      `apt-get install ${packages.join(' ')}`,
    );
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  log.info(`installing Debian packages: ${packages.join(' ')}`);
  if (!aptUpdated) {
    const up = await execa('apt-get', ['update'], { env, reject: false, all: true });
    if (up.exitCode !== 0) throw new HostError('apt-get update failed', undefined, tail(up.all));
    aptUpdated = true;
  }
  const r = await execa('apt-get', ['install', '-y', '--no-install-recommends', ...packages], {
    env,
    reject: false,
    all: true,
  });
  if (r.exitCode !== 0)
    throw new HostError(`apt-get install ${packages.join(' ')} failed`, undefined, tail(r.all));
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
