/**
 * Containers of one run. Every container carries the run's labels, so that those of a run that
 * crashed can be found and removed, and every one this process made is removed on exit, Ctrl-C included.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { hostname } from 'node:os';
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { EngineLostError, errorMessage, HostError } from '../util/errors.js';
import type { Log } from '../util/log.js';
import type { Timer } from '../util/timing.js';
import { engineAnswers, engineHost } from './engine.js';

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
  /** Record the container's create, start, wait and remove as spans of these timings. */
  timing?: { timer: Timer; group?: string };
}

export interface RunOutcome {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  durationMs: number;
  /** Why spec.logFile could not be written to the end (a full disk: "ENOSPC: no space left on device, write"). */
  logError?: string;
}

/** session.run after session.close(): the run is being stopped, nothing new starts. */
export class SessionClosedError extends Error {
  override name = 'SessionClosedError';
  constructor() {
    super('the run is being stopped');
  }
}

/**
 * The promise's value, or undefined once `ms` have passed. The timer is cleared either way: one left
 * pending kept the process alive for up to 5 s after the last container (main.ts then ends it at 2 s).
 */
export async function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<undefined>((resolve) => {
        timer = setTimeout(resolve, ms, undefined);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
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

  /** True once close() was called: the run is being stopped. */
  get stopped(): boolean {
    return this.closed;
  }

  /** Runs one container to its end (or its time limit) and removes it. */
  async run(spec: RunSpec): Promise<RunOutcome> {
    if (this.closed) throw new SessionClosedError();
    const started = Date.now();
    const timer = spec.timing?.timer;
    const group = spec.timing?.group;
    let t0 = timer?.now() ?? 0;
    const span = (phase: string) => {
      if (!timer) return;
      const t = timer.now();
      timer.add(phase, group, t0, t);
      t0 = t;
    };
    const container = await this.engine(() =>
      this.docker.createContainer({
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
      }),
    );
    this.live.add(container.id);
    span('container-create');
    try {
      // A stop that came while the engine was creating it: it must not start.
      if (this.closed) throw new SessionClosedError();
      const stdout = new PassThrough();
      const stderr = new PassThrough();
      const out = new OutputBuffer(spec.logFile ? 64 * 1024 : Number.POSITIVE_INFINITY);
      const err = new OutputBuffer(spec.logFile ? 64 * 1024 : Number.POSITIVE_INFINITY);
      const file = spec.logFile ? createWriteStream(spec.logFile, { flags: 'a' }) : undefined;
      // A log that cannot be written (the disk is full) is reported in the outcome, never thrown from
      // an event handler (that would end the process without results).
      let logError: Error | undefined;
      file?.on('error', (e) => {
        logError ??= e;
      });
      let partial = '';
      const onData = (buf: OutputBuffer) => (b: Buffer) => {
        buf.push(b);
        if (file && !logError) file.write(b);
        if (spec.onLine) {
          const lines = (partial + b.toString('utf8')).split('\n');
          partial = lines.pop() ?? '';
          for (const l of lines) spec.onLine(l);
        }
      };
      stdout.on('data', onData(out));
      stderr.on('data', onData(err));
      const attach = await this.engine(() => container.attach({ stream: true, stdout: true, stderr: true }));
      this.docker.modem.demuxStream(attach, stdout, stderr);
      let outputEnded = false;
      const ended = new Promise<void>((resolve) => {
        const done = () => {
          outputEnded = true;
          resolve();
        };
        attach.on('end', done);
        attach.on('close', done);
        // The engine going away resets the connection: an error here is the end of the output.
        attach.on('error', done);
      });
      if (this.closed) throw new SessionClosedError();
      await this.engine(() => container.start());
      span('container-start');
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        container.kill({ signal: 'SIGKILL' }).catch(() => {});
      }, spec.timeoutMs);
      let exitCode: number | null = null;
      try {
        exitCode = await this.waitFor(container, () => outputEnded);
      } finally {
        clearTimeout(timer);
      }
      await within(ended, 2000);
      if (partial && spec.onLine) spec.onLine(partial);
      if (file) await closeFile(file);
      span('container-wait');
      return {
        exitCode: timedOut ? null : exitCode,
        stdout: out.text(),
        stderr: err.text(),
        timedOut,
        durationMs: Date.now() - started,
        ...(logError ? { logError: logError.message } : {}),
      };
    } finally {
      t0 = timer?.now() ?? 0;
      await this.remove(container.id);
      span('container-remove');
    }
  }

  /**
   * The container's exit status. docker-modem never settles a wait whose connection the engine drops
   * after it has sent the answer's headers (the engine stopped or crashed): the process would go on
   * waiting, or end with the promise unsettled and nothing written. So while the wait is open, the
   * engine is asked every few seconds whether it is still there, and once the container's output has
   * ended, for the container's state.
   */
  private async waitFor(container: Docker.Container, outputEnded: () => boolean): Promise<number> {
    const waited = (container.wait() as Promise<{ StatusCode: number }>).then(
      (r) => ({ code: r.StatusCode }),
      (e: unknown) => ({ error: e }),
    );
    for (;;) {
      const r = await within(waited, outputEnded() ? 2000 : 5000);
      if (r && 'code' in r) return r.code;
      if (r && 'error' in r) throw await this.explain(r.error);
      if (outputEnded()) {
        let state: { Running: boolean; ExitCode: number };
        try {
          const info = await within(
            container.inspect({
              abortSignal: AbortSignal.timeout(5000),
            } as object) as Promise<Docker.ContainerInspectInfo>,
            6000,
          );
          if (!info) throw new Error('no answer to an inspect of the container');
          state = info.State;
        } catch (e) {
          throw await this.explain(e);
        }
        if (!state.Running) return state.ExitCode;
      } else if (!(await engineAnswers(this.docker))) throw this.lost('it does not answer a ping');
    }
  }

  /** A request to the engine; when it fails and the engine no longer answers, an EngineLostError. */
  private async engine<T>(request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (e) {
      throw await this.explain(e);
    }
  }

  private async explain(e: unknown): Promise<Error> {
    if (e instanceof EngineLostError) return e;
    if (await engineAnswers(this.docker)) return e instanceof Error ? e : new Error(String(e));
    return this.lost(errorMessage(e));
  }

  private lost(why: string): EngineLostError {
    return new EngineLostError(`the Docker engine at ${engineHost()} stopped answering (${why})`);
  }

  private async remove(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).remove({ force: true, v: true });
    } catch (e) {
      // 404: already gone; 409: its removal is already under way (the stop and the run both remove it).
      if (!/\b(404|409)\b/.test(String(e))) {
        if (await engineAnswers(this.docker, 2000))
          this.log.warn(`could not remove container ${id.slice(0, 12)}: ${String(e)}`);
        else
          this.log.warn(
            `container ${id.slice(0, 12)} stays on the engine at ${engineHost()}, which no longer answers; the next run against it removes it`,
          );
      }
    }
    this.live.delete(id);
  }

  /** Removes every container this session still has; no new ones start afterwards. Never throws. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.live].map((id) => this.remove(id)));
    // Anything made between our bookkeeping and the engine's answer is found by its label.
    await removeLabelled(this.docker, { [LABEL_SESSION]: this.sessionId }, this.log).catch(() => 0);
  }
}

/** Ends a log file; one that failed (a full disk) is only closed. */
function closeFile(file: WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (file.destroyed || file.errored) {
      resolve();
      return;
    }
    file.once('error', () => resolve());
    file.end(() => resolve());
  });
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
  let list: Docker.ContainerInfo[];
  try {
    list = await docker.listContainers({ all: true, filters: { label: [LABEL_SESSION] } });
  } catch (e) {
    // The engine answered the ping but refuses the most basic request: nothing can run on it.
    throw new HostError(
      `the Docker engine at ${engineHost()} cannot list containers: ${errorMessage(e).replace(/\s+/g, ' ').trim()}`,
      'check the engine (`rseq-matrix doctor`)',
    );
  }
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
