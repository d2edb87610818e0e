/**
 * A second Docker engine of a test's own: its own socket, data-root and exec-root under a folder the
 * test made (mkdtemp), never the shared engine. Stopped and started again by the tests; `remove()`
 * takes it down with everything it made (mounts, shims, files).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import type { Test } from 'tap';
import { exited } from './process.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class SecondEngine {
  readonly dir: string;
  readonly sock: string;
  /** DOCKER_HOST for this engine: unix://<dir>/d.sock. */
  readonly host: string;
  /** Its data-root (images, containers). */
  readonly data: string;
  /** Its exec-root (containerd's state). */
  readonly exec: string;
  readonly log: string;
  private child: ChildProcess | undefined;

  /** `dockerd` is the daemon's path; `dir` a folder of the test's own (made if missing). */
  constructor(
    private readonly dockerd: string,
    dir: string,
  ) {
    this.dir = dir;
    this.sock = join(dir, 'd.sock');
    this.host = `unix://${this.sock}`;
    this.data = join(dir, 'root');
    this.exec = join(dir, 'exec');
    this.log = join(dir, 'dockerd.log');
  }

  /** The engine's version and API version, or undefined while it does not answer. */
  async version(): Promise<{ version: string; api: string } | undefined> {
    const r = await execa(
      'docker',
      ['-H', this.host, 'version', '--format', '{{.Server.Version}} {{.Server.APIVersion}}'],
      { reject: false, timeout: 5000 },
    );
    if (r.exitCode !== 0) return undefined;
    const [version = '', api = ''] = r.stdout.trim().split(' ');
    return { version, api };
  }

  /**
   * Starts dockerd and waits (up to a minute) until it answers; throws with its log tail if it does not.
   * A containerd that a killed dockerd left running is stopped first: the new dockerd would otherwise
   * wait for that one's socket and give up ("timeout waiting for containerd to start"). The container
   * shims stay, and the new containerd takes their containers over.
   */
  async start(): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    await this.stopLeftContainerd();
    const fd = openSync(this.log, 'a');
    const child = spawn(
      this.dockerd,
      [
        '--bridge=none',
        '--iptables=false',
        '--ip6tables=false',
        '-H',
        this.host,
        '--data-root',
        this.data,
        '--exec-root',
        this.exec,
        '--pidfile',
        join(this.dir, 'dockerd.pid'),
      ],
      { stdio: ['ignore', fd, fd] },
    );
    closeSync(fd);
    this.child = child;
    for (let i = 0; i < 120 && child.exitCode === null; i++) {
      if (await this.version()) return;
      await sleep(500);
    }
    throw new Error(`the second dockerd did not come up:\n${readFileSync(this.log, 'utf8').slice(-3000)}`);
  }

  /** Sends dockerd a signal and waits for it to be gone (SIGKILL after a minute). */
  async signal(sig: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill(sig);
    if (!(await exited(child, 60_000))) {
      child.kill('SIGKILL');
      await exited(child, 10_000);
    }
    this.child = undefined;
  }

  /** Processes our dockerd's containerd left behind (container shims survive a SIGKILL of dockerd). */
  private leftovers(only?: string): number[] {
    const pids: number[] = [];
    for (const p of readdirSync('/proc')) {
      if (!/^\d+$/.test(p)) continue;
      try {
        if (only && readFileSync(`/proc/${p}/comm`, 'utf8').trim() !== only) continue;
        if (readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(this.exec)) pids.push(Number(p));
      } catch {
        /* gone meanwhile */
      }
    }
    return pids;
  }

  /** SIGTERM, then SIGKILL after 10 s, to a containerd of this engine's that outlived its dockerd. */
  private async stopLeftContainerd(): Promise<void> {
    const pids = this.leftovers('containerd');
    const send = (sig: NodeJS.Signals) => {
      for (const pid of pids)
        try {
          process.kill(pid, sig);
        } catch {
          /* gone */
        }
    };
    if (pids.length) {
      send('SIGTERM');
      for (let i = 0; i < 20 && this.leftovers('containerd').length; i++) await sleep(500);
      if (this.leftovers('containerd').length) send('SIGKILL');
      for (let i = 0; i < 20 && this.leftovers('containerd').length; i++) await sleep(500);
    }
    // dockerd trusts containerd.pid while that pid exists: a containerd that died with its dockerd but
    // was never reaped (a zombie, its parent gone) would be waited for until dockerd gives up.
    const pidFile = join(this.exec, 'containerd', 'containerd.pid');
    let pid = '';
    try {
      pid = readFileSync(pidFile, 'utf8').trim();
    } catch {
      return;
    }
    if (!/^\d+$/.test(pid) || !isLive(Number(pid), 'containerd')) rmSync(pidFile, { force: true });
  }

  /** Stops the engine, kills what it left running, unmounts what it left mounted, removes its folder. */
  async remove(): Promise<void> {
    await this.signal('SIGTERM');
    for (const pid of this.leftovers()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    const mounts = readFileSync('/proc/mounts', 'utf8')
      .split('\n')
      .map((l) => l.split(' ')[1] ?? '')
      .filter((m) => m === this.dir || m.startsWith(`${this.dir}/`))
      .sort((a, b) => b.length - a.length);
    for (const m of mounts) await execa('umount', ['-l', m], { reject: false });
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Is `pid` a running process (not a zombie) whose command is `comm`? */
function isLive(pid: number, comm: string): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return name === comm && state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** A second engine under `dir`, started, removed when `t` ends. */
export async function startSecondEngine(t: Test, dockerd: string, dir: string): Promise<SecondEngine> {
  const engine = new SecondEngine(dockerd, dir);
  t.teardown(() => engine.remove());
  await engine.start();
  return engine;
}
