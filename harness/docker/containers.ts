/**
 * Containers of one run. Every container carries the run's labels, so that those of a run that
 * crashed can be found and removed, and every one this process made is removed on exit, Ctrl-C included.
 */
import { createWriteStream } from 'node:fs';
import { hostname } from 'node:os';
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import type { Log } from '../util/log.js';

export const LABEL_SESSION = 'rseq-matrix.session';
export const LABEL_PID = 'rseq-matrix.pid';
export const LABEL_HOST = 'rseq-matrix.host';

export interface RunSpec {
  image: string;
  cmd: string[];
  /** host:container[:ro] */
  binds: string[];
  network: 'none' | 'host';
  env?: Record<string, string>;
  workdir?: string;
  /** A seccomp profile (JSON text) that replaces Docker's default one. */
  seccompProfile?: string;
  timeoutMs: number;
  /** What the container is for, shown in logs and kept as a label. */
  purpose: string;
  /** Stream all output here as it comes (stdout and stderr interleaved); the outcome then keeps only tails. */
  logFile?: string;
  /** Called with each complete line of output, as it comes. */
  onLine?: (line: string) => void;
}

export interface RunOutcome {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  durationMs: number;
}

export class ContainerSession {
  private readonly live = new Set<string>();
  private closed = false;

  constructor(
    private readonly docker: Docker,
    readonly sessionId: string,
    private readonly log: Log,
  ) {}

  get labels(): Record<string, string> {
    return { [LABEL_SESSION]: this.sessionId, [LABEL_PID]: String(process.pid), [LABEL_HOST]: hostname() };
  }

  /** Runs one container to its end (or its time limit) and removes it. */
  async run(spec: RunSpec): Promise<RunOutcome> {
    if (this.closed) throw new Error('the run is being stopped');
    const started = Date.now();
    const container = await this.docker.createContainer({
      Image: spec.image,
      Cmd: spec.cmd,
      Env: Object.entries(spec.env ?? {}).map(([k, v]) => `${k}=${v}`),
      WorkingDir: spec.workdir,
      Labels: { ...this.labels, 'rseq-matrix.purpose': spec.purpose },
      Tty: false,
      HostConfig: {
        Binds: spec.binds,
        NetworkMode: spec.network,
        SecurityOpt: [
          'no-new-privileges',
          ...(spec.seccompProfile ? [`seccomp=${spec.seccompProfile}`] : []),
        ],
        CapDrop: ['ALL'],
        Init: false,
      },
    });
    this.live.add(container.id);
    try {
      const stdout = new PassThrough();
      const stderr = new PassThrough();
      const out = new OutputBuffer(spec.logFile ? 64 * 1024 : Number.POSITIVE_INFINITY);
      const err = new OutputBuffer(spec.logFile ? 64 * 1024 : Number.POSITIVE_INFINITY);
      const file = spec.logFile ? createWriteStream(spec.logFile, { flags: 'a' }) : undefined;
      let partial = '';
      const onData = (buf: OutputBuffer) => (b: Buffer) => {
        buf.push(b);
        file?.write(b);
        if (spec.onLine) {
          const lines = (partial + b.toString('utf8')).split('\n');
          partial = lines.pop() ?? '';
          for (const l of lines) spec.onLine(l);
        }
      };
      stdout.on('data', onData(out));
      stderr.on('data', onData(err));
      const attach = await container.attach({ stream: true, stdout: true, stderr: true });
      this.docker.modem.demuxStream(attach, stdout, stderr);
      const ended = new Promise<void>((resolve) => attach.on('end', () => resolve()));
      await container.start();
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        container.kill({ signal: 'SIGKILL' }).catch(() => {});
      }, spec.timeoutMs);
      let exitCode: number | null = null;
      try {
        const r = (await container.wait()) as { StatusCode: number };
        exitCode = r.StatusCode;
      } finally {
        clearTimeout(timer);
      }
      await Promise.race([ended, new Promise((r) => setTimeout(r, 2000))]);
      if (partial && spec.onLine) spec.onLine(partial);
      if (file) await new Promise((r) => file.end(r));
      return {
        exitCode: timedOut ? null : exitCode,
        stdout: out.text(),
        stderr: err.text(),
        timedOut,
        durationMs: Date.now() - started,
      };
    } finally {
      await this.remove(container.id);
    }
  }

  private async remove(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).remove({ force: true, v: true });
    } catch (e) {
      // 404: already gone; 409: its removal is already under way (the stop and the run both remove it).
      if (!/\b(404|409)\b/.test(String(e)))
        this.log.warn(`could not remove container ${id.slice(0, 12)}: ${String(e)}`);
    }
    this.live.delete(id);
  }

  /** Removes every container this session still has; no new ones start afterwards. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.live].map((id) => this.remove(id)));
    // Anything made between our bookkeeping and the engine's answer is found by its label.
    await removeLabelled(this.docker, { [LABEL_SESSION]: this.sessionId }, this.log);
  }
}

async function removeLabelled(docker: Docker, labels: Record<string, string>, log: Log): Promise<number> {
  const list = await docker.listContainers({
    all: true,
    filters: { label: Object.entries(labels).map(([k, v]) => `${k}=${v}`) },
  });
  for (const c of list) {
    await docker
      .getContainer(c.Id)
      .remove({ force: true, v: true })
      .catch((e: unknown) => log.warn(`could not remove ${c.Id.slice(0, 12)}: ${String(e)}`));
  }
  return list.length;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes the containers of runs on this host whose harness process is gone (killed with -9, say). */
export async function removeStaleContainers(docker: Docker, log: Log): Promise<number> {
  const list = await docker.listContainers({ all: true, filters: { label: [LABEL_SESSION] } });
  let n = 0;
  for (const c of list) {
    const pid = Number(c.Labels[LABEL_PID]);
    if (c.Labels[LABEL_HOST] !== hostname() || !pid || alive(pid)) continue;
    await docker
      .getContainer(c.Id)
      .remove({ force: true, v: true })
      .then(() => n++)
      .catch(() => {});
  }
  if (n) log.info(`removed ${n} container(s) left by runs that died`);
  return n;
}

/** Keeps output, or only its last `limit` bytes. */
class OutputBuffer {
  private chunks: Buffer[] = [];
  private size = 0;
  constructor(private readonly limit: number) {}
  push(b: Buffer): void {
    this.chunks.push(b);
    this.size += b.length;
    while (this.size > this.limit && this.chunks.length > 1)
      this.size -= (this.chunks.shift() as Buffer).length;
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}
