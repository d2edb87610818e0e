/**
 * Boots user-mode Linux (Debian sid's user-mode-linux: Linux built as an ordinary program, without
 * CONFIG_RSEQ, so rseq(2) answers ENOSYS) with an initramfs, inside a container of the UML image (network
 * none), and brings back what it said, as harness/vm/boot.ts does for QEMU: the kernel's console (UML's
 * con0) and the data port vm-init writes to (/dev/ttyS1 in the guest: UML's serial line ssl1) go to
 * files in the run's out folder, and the boot is judged from them by boot.ts's judgeBoot.
 *
 * UML's channels (Linux arch/um/drivers/chan_kern.c, the channel table; fd.c, the "fd:<n>" channel) take
 * a host file descriptor, so a small shell in the container opens the two files as descriptors 3 and 4
 * and starts UML with con0 and ssl1 writing there (their input is the null channel); every other console
 * and serial line is null. vm-init's reboot(RB_POWER_OFF) ends UML with status 0; a panic ends it at
 * once too (UML's panic notifier aborts the process: arch/um/kernel/um_arch.c), so no panic= is needed.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ContainerSession } from '../docker/containers.js';
import { UML_PROGRAM } from '../docker/uml-image.js';
import type { Log } from '../util/log.js';
import { type BootResult, CONSOLE_FILE, DATA_FILE, readBoot } from './boot.js';

export interface UmlBootSpec {
  session: ContainerSession;
  /** The UML image (harness/docker/uml-image.ts). */
  image: string;
  /** Host path of the initramfs (harness/vm/initramfs.ts). */
  initramfs: string;
  /** Guest memory; 256 MiB unless given. */
  memoryMiB?: number;
  /** The container is killed after this long: reason 'timeout'. */
  timeoutMs: number;
  /**
   * Kernel parameters added after the harness's own ones, separated by white space (UML takes each of
   * its arguments as one parameter, so a parameter cannot hold a space).
   */
  append?: string;
  /** Host folder for console.log and data.out (files of an earlier boot there are replaced). */
  outDir: string;
  log: Log;
}

const IN_UML = { initramfs: '/uml/in/initramfs', out: '/uml/out', tmp: '/tmp' } as const;
/** The host descriptors the shell opens for UML: the data port's file and the console's file. */
const DATA_FD = 3;
const CONSOLE_FD = 4;

/**
 * UML's arguments, i.e. its kernel command line: memory, the initramfs, the console (con0) writing to
 * CONSOLE_FD, serial line 1 (the guest's /dev/ttyS1, vm-init's data port) writing to DATA_FD, and every
 * other console and serial line on the null channel (by default they would ask the host for ptys).
 */
export function umlArgs(opts: { initramfs: string; memoryMiB: number; append?: string }): string[] {
  return [
    `mem=${opts.memoryMiB}M`,
    `initrd=${opts.initramfs}`,
    'con=null',
    `con0=null,fd:${CONSOLE_FD}`,
    'ssl=null',
    `ssl1=null,fd:${DATA_FD}`,
    ...(opts.append?.trim() ? opts.append.trim().split(/\s+/) : []),
  ];
}

/**
 * The container's command: a shell that opens the two files and runs UML with `args`. The shell stays
 * PID 1 (no exec): with UML itself as the container's PID 1, a panic hung it until the time limit
 * (measured; PID 1 of a PID namespace is spared the signals it sends itself, and UML ends a panic with
 * abort()), while as the shell's child it ends at once, with status 134 (SIGABRT).
 */
export function umlCommand(args: readonly string[], outDir: string): string[] {
  const script = `${UML_PROGRAM} "$@" ${DATA_FD}>${outDir}/${DATA_FILE} ${CONSOLE_FD}>${outDir}/${CONSOLE_FILE} </dev/null`;
  return ['sh', '-c', script, 'uml', ...args];
}

/**
 * Boots UML with the initramfs and waits for it to end (or the time limit). The result is boot.ts's,
 * with accel 'uml'; its other fields keep their QEMU names: `qemuOutput` holds UML's own output (its
 * host-side checks and errors, e.g. "Aborted" after a panic), `exitCode` UML's exit status, and reason
 * 'qemu-error' means UML failed to start or ended without a word.
 */
export async function bootUml(spec: UmlBootSpec): Promise<BootResult> {
  const outDir = resolve(spec.outDir);
  await mkdir(outDir, { recursive: true });
  const consoleFile = join(outDir, CONSOLE_FILE);
  const dataFile = join(outDir, DATA_FILE);
  // A file of an earlier boot must not pass for this one's answer.
  await rm(consoleFile, { force: true });
  await rm(dataFile, { force: true });
  const args = umlArgs({
    initramfs: IN_UML.initramfs,
    memoryMiB: spec.memoryMiB ?? 256,
    append: spec.append,
  });
  const commandLine = args.join(' ');
  const r = await spec.session.run({
    image: spec.image,
    cmd: umlCommand(args, IN_UML.out),
    binds: [`${resolve(spec.initramfs)}:${IN_UML.initramfs}:ro`, `${outDir}:${IN_UML.out}`],
    // UML keeps the guest's memory in a file it maps executable, in $TMPDIR or else /dev/shm; Docker's
    // /dev/shm is noexec (and 64 MiB), so the container's own /tmp is used.
    env: { TMPDIR: IN_UML.tmp },
    network: 'none',
    timeoutMs: spec.timeoutMs,
    purpose: 'boot user-mode Linux',
  });
  return readBoot({ r, accel: 'uml', consoleFile, dataFile, commandLine, log: spec.log });
}
