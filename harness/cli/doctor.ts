/**
 * `rseq-matrix doctor`: what the host has and lacks for a run, each missing piece with its fix.
 */

import { existsSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { release } from 'node:os';
import type Docker from 'dockerode';
import { execa } from 'execa';
import { CLIENT_API_VERSION, connectEngine, engineHost } from '../docker/engine.js';
import { hasCommand } from '../docker/host-setup.js';
import { silentLog } from '../util/log.js';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
  fix?: string;
}

const RSEQ_SYSCALL: Record<string, number> = { x64: 334, arm64: 293 };

/** rseq(NULL, 0, 0, 0) through python's ctypes: EINVAL (22) means the syscall exists and is allowed. */
function rseqCheckScript(nr: number): string {
  return `import ctypes,os;l=ctypes.CDLL(None,use_errno=True);r=l.syscall(${nr},None,0,0,0);print(ctypes.get_errno())`;
}

export async function runDoctor(cacheDir: string): Promise<Check[]> {
  const checks: Check[] = [];
  const nodeMajor = Number(process.versions.node.split('.')[0]);
  checks.push({
    name: 'node',
    ok: nodeMajor >= 20,
    detail: process.version,
    fix: 'install Node.js 20 or newer',
  });

  const nr = RSEQ_SYSCALL[process.arch];
  if (nr && (await hasCommand('python3'))) {
    const r = await execa('python3', ['-c', rseqCheckScript(nr)], { reject: false });
    const errno = Number(r.stdout.trim());
    checks.push({
      name: 'kernel rseq',
      ok: errno === 22,
      detail: `kernel ${release()}: rseq(NULL,0,0,0) gave errno ${errno}${errno === 22 ? ' (EINVAL: the syscall exists)' : ''}`,
      fix: 'a kernel >= 4.18 with CONFIG_RSEQ=y, and no seccomp filter on this shell that blocks rseq',
    });
  } else
    checks.push({
      name: 'kernel rseq',
      ok: true,
      detail: `kernel ${release()} (not checked: no python3 or unknown arch)`,
    });

  try {
    const engine = await connectEngine({ autoSetup: false, log: silentLog });

    const d = engine.info;
    checks.push({
      name: 'docker engine',
      ok: true,
      detail: `${d.host}: engine ${d.version}, API ${d.apiVersion} (spoken: ${d.negotiatedApiVersion}; client up to ${CLIENT_API_VERSION}), ${d.storageDriver}`,
    });
    const images = await engine.docker.listImages({ filters: { reference: ['rseq-matrix/toolchain'] } });
    const image = images[0]?.RepoTags?.[0];
    if (image && nr) {
      const out = await runInContainer(engine.docker, image, ['python3', '-c', rseqCheckScript(nr)]);
      const errno = Number(out.trim());
      checks.push({
        name: 'seccomp lets rseq through',
        ok: errno === 22,
        detail: `in ${image} with Docker's default profile: errno ${out.trim() || '?'}`,
        fix: "use Docker's default seccomp profile (20.10 allows rseq)",
      });
    } else
      checks.push({
        name: 'seccomp lets rseq through',
        ok: true,
        detail: 'not checked yet: no toolchain image (the first run makes one)',
      });
  } catch (e) {
    checks.push({
      name: 'docker engine',
      ok: false,
      detail: `${engineHost()}: ${(e as Error).message}`,
      fix: 'sudo npx rseq-matrix setup (installs docker.io, starts dockerd --bridge=none)',
    });
  }
  const deb = await hasCommand('debootstrap');
  checks.push({
    name: 'debootstrap',
    ok: Boolean(deb),
    detail: deb ?? 'missing (needed to make base images: no registry is reachable)',
    fix: 'apt-get install debootstrap (or: sudo npx rseq-matrix setup)',
  });
  for (const [label, path] of [
    ['disk (cache)', existsSync(cacheDir) ? cacheDir : '/'],
    ['disk (docker)', existsSync('/var/lib/docker') ? '/var/lib/docker' : '/'],
  ] as const) {
    const s = await statfs(path);
    const gib = (s.bavail * s.bsize) / 2 ** 30;
    checks.push({
      name: label,
      ok: gib >= 10,
      detail: `${gib.toFixed(1)} GiB free at ${path}`,
      fix: 'free space: a glibc build tree takes about 0.5 GiB, images about 1 GiB per suite',
    });
  }
  return checks;
}

async function runInContainer(docker: Docker, image: string, cmd: string[]): Promise<string> {
  const c = await docker.createContainer({
    Image: image,
    Cmd: cmd,
    HostConfig: { NetworkMode: 'none' },
    Labels: { 'rseq-matrix.purpose': 'doctor' },
  });
  try {
    await c.start();
    await c.wait();
    const logs = (await c.logs({ stdout: true, stderr: false })) as Buffer;
    // Non-TTY logs carry an 8-byte header per frame.
    return logs.length > 8 ? logs.subarray(8).toString('utf8') : '';
  } finally {
    await c.remove({ force: true }).catch(() => {});
  }
}

export function formatChecks(checks: Check[]): string {
  return checks
    .map(
      (c) =>
        `${c.ok ? 'ok  ' : 'MISS'} ${c.name.padEnd(26)} ${c.detail}${!c.ok && c.fix ? `\n     fix: ${c.fix}` : ''}`,
    )
    .join('\n');
}
