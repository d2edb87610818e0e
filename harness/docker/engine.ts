/**
 * The Docker engine: find it, start it where none answers and we may, negotiate the API version,
 * and describe it once for the results' environment.
 */
import { accessSync, constants, existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import Docker from 'dockerode';
import type { Environment } from '../model/results.js';
import { HostError } from '../util/errors.js';
import type { Log } from '../util/log.js';
import { canSetUpHost, startDockerd } from './host-setup.js';

/** The newest engine API this harness was written against; an older engine is spoken to in its own. */
export const CLIENT_API_VERSION = '1.45';
/** The oldest we accept (seccomp profiles in HostConfig.SecurityOpt, labels on everything). */
export const MIN_API_VERSION = '1.25';

export interface Engine {
  docker: Docker;
  info: Environment['docker'];
}

export function engineHost(): string {
  return process.env.DOCKER_HOST || 'unix:///var/run/docker.sock';
}

function isLocalDefault(): boolean {
  const h = process.env.DOCKER_HOST;
  return !h || h === 'unix:///var/run/docker.sock' || h === 'unix:///run/docker.sock';
}

export function compareApi(a: string, b: string): number {
  const [a1 = 0, a2 = 0] = a.split('.').map(Number);
  const [b1 = 0, b2 = 0] = b.split('.').map(Number);
  return a1 - b1 || a2 - b2;
}

/**
 * Does the engine answer within `ms`? The request is aborted at the limit (or when `stop` fires), so no
 * socket is left open.
 */
async function ping(docker: Docker, ms: number, stop?: AbortSignal): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const limit = AbortSignal.timeout(ms);
  const abort = stop ? AbortSignal.any([limit, stop]) : limit;
  try {
    const asked = (docker.ping as (opts: object) => Promise<unknown>).call(docker, { abortSignal: abort });
    // The abort ends a request that got no answer; one cut off in the middle of its answer would never
    // settle (docker-modem listens for no error on a response): the timer ends the wait either way.
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('no answer')), ms + 1000);
      stop?.addEventListener('abort', () => reject(new Error('stopped')), { once: true });
    });
    await Promise.race([asked, late]);
    return true;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/** Is the engine still there? Used when a request fails in the middle of a run. */
export function engineAnswers(docker: Docker, ms = 5000): Promise<boolean> {
  return ping(docker, ms);
}

/**
 * Connects to the engine that DOCKER_HOST names (dockerode honours unix://, tcp:// and ssh://).
 * Where the local default socket does not answer and `autoSetup` is on, installs and starts dockerd.
 */
export async function connectEngine(opts: {
  autoSetup: boolean;
  log: Log;
  stop?: AbortSignal;
}): Promise<Engine> {
  let docker = new Docker();
  if (!(await ping(docker, 5000, opts.stop))) {
    // A stop (Ctrl-C) while waiting: the caller ends the run; nothing is to be set up.
    if (opts.stop?.aborted) throw new HostError('stopped while waiting for the Docker engine');
    const where = engineHost();
    const refused = socketNotPermitted(where);
    if (refused) throw refused;
    if (!isLocalDefault())
      throw new HostError(
        `no Docker engine answers at DOCKER_HOST=${where}`,
        'check that engine, or unset DOCKER_HOST',
      );
    const why = canSetUpHost();
    if (!opts.autoSetup || why)
      throw new HostError(
        `no Docker engine answers at ${where}${why ? ` (${why})` : ''}`,
        "run `sudo npx rseq-matrix setup` (installs Debian's docker.io and starts dockerd --bridge=none)",
      );
    docker = new Docker();
    const fresh = docker;
    await startDockerd(opts.log, () => ping(fresh, 2000));
    if (!(await ping(docker, 5000))) throw new HostError(`dockerd was started but ${where} does not answer`);
  }
  return negotiate(docker);
}

/**
 * A unix socket that exists but that this user may not open: the engine may well be running, and
 * starting another is not the fix.
 */
function socketNotPermitted(host: string): HostError | undefined {
  if (!host.startsWith('unix://')) return undefined;
  const path = host.slice('unix://'.length);
  if (!existsSync(path)) return undefined;
  try {
    accessSync(path, constants.R_OK | constants.W_OK);
    return undefined;
  } catch {
    const user = userInfo().username;
    return new HostError(
      `the Docker engine's socket ${path} is not permitted for ${user}`,
      `run as root, or add ${user} to the socket's group (Debian: sudo usermod -aG docker ${user}, then log in again)`,
    );
  }
}

async function negotiate(docker: Docker): Promise<Engine> {
  let version: Docker.DockerVersion;
  try {
    version = await docker.version();
  } catch (e) {
    throw new HostError(`the Docker engine at ${engineHost()} answered ping but not /version: ${String(e)}`);
  }
  const server = version.ApiVersion;
  if (compareApi(server, MIN_API_VERSION) < 0)
    throw new HostError(
      `the Docker engine speaks API ${server}; rseq-matrix needs at least ${MIN_API_VERSION}`,
      'upgrade the engine (Debian: apt-get install docker.io)',
    );
  const use = compareApi(server, CLIENT_API_VERSION) < 0 ? server : CLIENT_API_VERSION;
  const negotiated = new Docker({ version: `v${use}` } as Docker.DockerOptions);
  let info: { SecurityOptions?: string[]; Driver?: string } = {};
  try {
    info = await negotiated.info();
  } catch {
    /* the version answer is enough to go on */
  }
  return {
    docker: negotiated,
    info: {
      version: version.Version,
      apiVersion: server,
      negotiatedApiVersion: use,
      host: engineHost(),
      seccomp: info.SecurityOptions ? info.SecurityOptions.some((s) => s.includes('seccomp')) : null,
      storageDriver: info.Driver ?? null,
    },
  };
}
