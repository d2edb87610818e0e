/**
 * The VM's PID 1 (probes/vm-init.c): compiled static with bookworm's gcc in the VM image, once per source
 * and image, and kept in the cache; and the initramfs entries that make it the VM's /init.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hasCompleteMark, makeEntry, touchEntry } from '../cache/entry.js';
import { cachePath } from '../cache/layout.js';
import type { ContainerSession } from '../docker/containers.js';
import { tail } from '../docker/host-setup.js';
import { HostError } from '../util/errors.js';
import type { InitramfsEntry } from './initramfs.js';

export const VM_INIT_SOURCE = 'vm-init.c';
export const VM_INIT_BINARY = 'vm-init';

/** The data port's marker line: vm-init writes "@@vm-done <status>" last, before it powers off. */
export const DONE_MARKER = '@@vm-done';

/** Where the cache keeps compiled inits, one folder per (source, image). */
export function vmInitRoot(cacheDir: string): string {
  return cachePath(cacheDir, 'vmInit');
}

/** The static vm-init for this source and image, compiled where the cache lacks it. */
export async function compileVmInit(
  session: ContainerSession,
  image: string,
  probesDir: string,
  cacheDir: string,
): Promise<{ path: string; cached: boolean }> {
  const source = await readFile(join(probesDir, VM_INIT_SOURCE));
  const key = createHash('sha256').update(image).update('\0').update(source).digest('hex').slice(0, 16);
  const root = vmInitRoot(cacheDir);
  const dir = join(root, key);
  const path = join(dir, VM_INIT_BINARY);
  if (hasCompleteMark(dir)) {
    await touchEntry(dir);
    return { path, cached: true };
  }
  await makeEntry({
    root,
    key,
    fill: async (stage) => {
      const r = await session.run({
        image,
        cmd: [
          'gcc',
          '-static',
          '-O2',
          '-Wall',
          '-Werror',
          '-o',
          `/out/${VM_INIT_BINARY}`,
          `/src/${VM_INIT_SOURCE}`,
        ],
        binds: [`${probesDir}:/src:ro`, `${stage}:/out`],
        network: 'none',
        timeoutMs: 120_000,
        purpose: 'compile vm-init',
      });
      if (r.exitCode !== 0)
        throw new HostError(
          `compiling ${VM_INIT_SOURCE} failed (${r.timedOut ? 'timed out' : `exit ${r.exitCode}`})`,
          undefined,
          tail(`${r.stdout}\n${r.stderr}`, 30),
        );
    },
  });
  return { path, cached: false };
}

/**
 * The initramfs of a VM whose PID 1 is vm-init: /init, the mount points it uses and /dev/console (the
 * kernel opens it for init before devtmpfs is mounted). `extra` adds members, e.g. /run.sh and what it runs.
 */
export function vmInitEntries(initPath: string, extra: readonly InitramfsEntry[] = []): InitramfsEntry[] {
  return [
    { kind: 'file', path: '/init', from: initPath, mode: 0o755 },
    { kind: 'dir', path: '/dev' },
    { kind: 'chardev', path: '/dev/console', major: 5, minor: 1, mode: 0o600 },
    { kind: 'dir', path: '/proc' },
    { kind: 'dir', path: '/sys' },
    ...extra,
  ];
}
