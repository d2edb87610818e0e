/**
 * Boots a kernel with an initramfs under QEMU, inside a container of the VM image (network none), and
 * brings back what the VM said: serial port 0 (the kernel's console) and serial port 1 (the data port,
 * where vm-init writes) go to files in the run's out folder. The VM ends itself by powering off
 * (QEMU runs with -no-reboot, and the kernel with panic=-1, so that a panic ends QEMU at once too); a VM
 * that does not end within the time limit has its container killed. Which of these happened is judged
 * from the files by a pure function.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ContainerSession } from '../docker/containers.js';
import { tail } from '../docker/host-setup.js';
import type { Log } from '../util/log.js';
import { DONE_MARKER } from './init.js';

/**
 * Virtual CPUs of a VM: one. Two under multi-threaded TCG ran a group a third faster (13.8 s instead of
 * 20.6 s, 2026-12-06), but Debian's 7.2 kernel then hung in early boot (after the HPET's set-up) in one
 * of 60 boots, and with the HPET off 2 of 115 bare boots (7.2, 6.12) died with "Oops: int3" in
 * sched_clock_cpu while the kernel patched its own code: a reliable boot matters more than the time.
 */
export const VM_CPUS = 1;

export type BootReason = 'done' | 'panic' | 'timeout' | 'qemu-error';

export interface BootSpec {
  session: ContainerSession;
  /** The VM image (harness/docker/vm-image.ts). */
  image: string;
  /** Host path of the kernel image (a bzImage: Debian's vmlinuz). */
  kernel: string;
  /** Host path of the initramfs (harness/vm/initramfs.ts). */
  initramfs: string;
  /** Guest memory; 256 MiB unless given. */
  memoryMiB?: number;
  /** The container is killed after this long: reason 'timeout'. */
  timeoutMs: number;
  /** Added to the kernel command line after the harness's own part (console=ttyS0 panic=-1). */
  append?: string;
  /** Host folder for console.log and data.out (files of an earlier boot there are replaced). */
  outDir: string;
  log: Log;
}

export interface BootResult {
  reason: BootReason;
  /** How QEMU executed the guest. Always TCG for now: see ACCEL_NOTE. */
  /** tcg: QEMU emulated the machine; uml: user-mode Linux ran as a program (harness/vm/uml.ts). */
  accel: 'tcg' | 'uml';
  /** The container's life, start to removal: for a VM that ends itself, boot to power-off. */
  durationMs: number;
  /** The tail of the kernel's console (serial port 0), without carriage returns. */
  console: string;
  /** What the data port (serial port 1) received before the done marker, without carriage returns. */
  data: string;
  /** The status vm-init put in its done marker, or null when there was none. */
  initStatus: number | null;
  /** QEMU's exit code; null when its container was killed at the time limit. */
  exitCode: number | null;
  /** The tail of QEMU's own output (its errors). */
  qemuOutput: string;
  consoleFile: string;
  dataFile: string;
  /** The kernel command line the VM got. */
  commandLine: string;
}

/**
 * Why not KVM: the harness's containers take no devices (harness/docker/containers.ts, RunSpec), and
 * where /dev/kvm was measured to exist (nested under another hypervisor) QEMU's KVM died setting MSR
 * 0x10a with -cpu host or max, and hung otherwise. TCG boots Debian's cloud kernels in a few seconds.
 */
export const ACCEL_NOTE = 'TCG: the containers take no devices yet, so /dev/kvm is not passed';

const IN_VM = { kernel: '/vm/in/vmlinuz', initramfs: '/vm/in/initramfs', out: '/vm/out' } as const;
export const CONSOLE_FILE = 'console.log';
export const DATA_FILE = 'data.out';
const CONSOLE_TAIL_LINES = 60;

/** The kernel command line: the console on serial port 0, reboot (so QEMU ends) at once on a panic. */
export function kernelCommandLine(append?: string): string {
  return ['console=ttyS0', 'panic=-1', append?.trim()].filter(Boolean).join(' ');
}

/** QEMU's arguments for one boot: no default devices, no network, the two serial ports to files. */
export function qemuArgs(opts: {
  kernel: string;
  initramfs: string;
  outDir: string;
  memoryMiB: number;
  commandLine: string;
}): string[] {
  return [
    'qemu-system-x86_64',
    '-machine',
    'q35',
    '-accel',
    'tcg',
    '-cpu',
    'max',
    '-smp',
    String(VM_CPUS),
    '-m',
    String(opts.memoryMiB),
    '-nodefaults',
    '-display',
    'none',
    '-no-reboot',
    '-kernel',
    opts.kernel,
    '-initrd',
    opts.initramfs,
    '-append',
    opts.commandLine,
    '-serial',
    `file:${opts.outDir}/${CONSOLE_FILE}`,
    '-serial',
    `file:${opts.outDir}/${DATA_FILE}`,
  ];
}

const stripCr = (s: string) => s.replace(/\r/g, '');

/**
 * What a boot came to, from what it left: the done marker on the data port wins (the VM finished,
 * whatever came after); then a panic on the console (with panic=-1 the VM resets and QEMU ends); then
 * the time limit; anything else is QEMU's failure (it did not start, or the VM ended without a word).
 */
export function judgeBoot(b: { console: string; data: string; exitCode: number | null; timedOut: boolean }): {
  reason: BootReason;
  data: string;
  initStatus: number | null;
} {
  const data = stripCr(b.data);
  const lines = data.split('\n');
  const at = lines.findIndex((l) => l.startsWith(`${DONE_MARKER} `) || l === DONE_MARKER);
  if (at >= 0) {
    const status = Number.parseInt(lines[at]?.slice(DONE_MARKER.length).trim() ?? '', 10);
    const before = lines.slice(0, at).join('\n');
    return {
      reason: 'done',
      data: before ? `${before}\n` : '',
      initStatus: Number.isNaN(status) ? null : status,
    };
  }
  if (/Kernel panic - not syncing/.test(b.console)) return { reason: 'panic', data, initStatus: null };
  if (b.timedOut) return { reason: 'timeout', data, initStatus: null };
  return { reason: 'qemu-error', data, initStatus: null };
}

/** Boots the kernel with the initramfs and waits for the VM to end (or the time limit). */
export async function bootVm(spec: BootSpec): Promise<BootResult> {
  const outDir = resolve(spec.outDir);
  await mkdir(outDir, { recursive: true });
  const consoleFile = join(outDir, CONSOLE_FILE);
  const dataFile = join(outDir, DATA_FILE);
  // A file of an earlier boot must not pass for this one's answer.
  await rm(consoleFile, { force: true });
  await rm(dataFile, { force: true });
  const commandLine = kernelCommandLine(spec.append);
  if (existsSync('/dev/kvm')) spec.log.debug(`vm: /dev/kvm exists, but ${ACCEL_NOTE}`);
  const r = await spec.session.run({
    image: spec.image,
    cmd: qemuArgs({
      kernel: IN_VM.kernel,
      initramfs: IN_VM.initramfs,
      outDir: IN_VM.out,
      memoryMiB: spec.memoryMiB ?? 256,
      commandLine,
    }),
    binds: [
      `${resolve(spec.kernel)}:${IN_VM.kernel}:ro`,
      `${resolve(spec.initramfs)}:${IN_VM.initramfs}:ro`,
      `${outDir}:${IN_VM.out}`,
    ],
    network: 'none',
    timeoutMs: spec.timeoutMs,
    purpose: `boot ${spec.kernel}`,
  });
  return readBoot({ r, accel: 'tcg', consoleFile, dataFile, commandLine, log: spec.log });
}

/**
 * What a finished boot left (QEMU's or UML's): its console and data files read, the boot judged
 * (judgeBoot), and the container's own output kept.
 */
export async function readBoot(b: {
  r: { exitCode: number | null; timedOut: boolean; durationMs: number; stdout: string; stderr: string };
  accel: BootResult['accel'];
  consoleFile: string;
  dataFile: string;
  commandLine: string;
  log: Log;
}): Promise<BootResult> {
  const { r } = b;
  const consoleText = stripCr(await readFile(b.consoleFile, 'utf8').catch(() => ''));
  const dataText = await readFile(b.dataFile, 'utf8').catch(() => '');
  const judged = judgeBoot({
    console: consoleText,
    data: dataText,
    exitCode: r.exitCode,
    timedOut: r.timedOut,
  });
  b.log.debug(`${b.accel}: ${judged.reason} after ${r.durationMs} ms (${b.commandLine})`);
  return {
    reason: judged.reason,
    accel: b.accel,
    durationMs: r.durationMs,
    console: tail(consoleText, CONSOLE_TAIL_LINES),
    data: judged.data,
    initStatus: judged.initStatus,
    exitCode: r.exitCode,
    qemuOutput: tail(stripCr(`${r.stdout}\n${r.stderr}`).trim(), 30),
    consoleFile: b.consoleFile,
    dataFile: b.dataFile,
    commandLine: b.commandLine,
  };
}
