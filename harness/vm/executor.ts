/**
 * The VM executor: runs what a probe container would run (a RunSpec) inside a VM booted with a kernel
 * of our choice, and answers as ContainerSession.run does, so that harness/probe/execute.ts runProbes
 * reads status.tsv and obs/* from the work folder as if a container had written them.
 *
 *   1. the userland: the spec's image and read-only binds, staged and archived once (harness/vm/userland.ts);
 *   2. the run: a second, small archive with the guest's /run.sh (harness/vm/guest.ts), the writable
 *      binds' contents at start (the runner script) and, for a seccomp scenario, the errno vm-init's
 *      filter makes rseq fail with (probes/vm-init.c); appended to the first (the kernel unpacks
 *      concatenated archives in order, Linux's init/initramfs.c unpack_to_rootfs);
 *   3. the boot (harness/vm/boot.ts, QEMU TCG in the VM image; harness/vm/uml.ts, user-mode Linux in
 *      the UML image), limited to the spec's time plus
 *      BOOT_ALLOWANCE_MS (boot and power-off) and RETURN_ALLOWANCE_MS (sending the folders back);
 *   4. what the data port brought back: each writable folder's tar unpacked into its host folder, the
 *      command's stdout and stderr (the stderr followed by the tail of the VM's console).
 *
 * A boot that ends without the done marker (time limit, panic, QEMU's failure) answers like a container
 * that was killed (timedOut, exitCode null) or that died (exitCode null), its stderr saying which.
 */
import { appendFile, mkdir, mkdtemp, open, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type Docker from 'dockerode';
import tar from 'tar-fs';
import type { ResolvedKernel } from '../builder/kernels.js';
import type { ContainerSession, RunOutcome, RunSpec } from '../docker/containers.js';
import { tail } from '../docker/host-setup.js';
import { ensureUmlImage } from '../docker/uml-image.js';
import { ensureVmImage } from '../docker/vm-image.js';
import { errorMessage } from '../util/errors.js';
import type { Log } from '../util/log.js';
import { IMAGES_DIR, PROBES_DIR } from '../util/paths.js';
import { type BootReason, bootVm } from './boot.js';
import {
  type Bind,
  configHasSeccompFilter,
  guestScript,
  memoryOf,
  parseBind,
  parseGuestReport,
  rseqErrnoOfProfile,
  SECCOMP_FAILED_STATUS,
} from './guest.js';
import { compileVmInit } from './init.js';
import { cpioArchive, gzipAsync, type InitramfsEntry, readMembers } from './initramfs.js';
import { bootUml } from './uml.js';
import { ensureUserland, GUEST_COMMANDS, treeEntries, VALGRIND } from './userland.js';

/** Boot to the guest's /run.sh, and its power-off, under TCG. */
export const BOOT_ALLOWANCE_MS = 60_000;
/** Sending the writable folders back over the serial port. */
export const RETURN_ALLOWANCE_MS = 30_000;
/** Guest memory unless given: the userland unpacked (about 60 MiB for a glibc build) and the probes. */
export const DEFAULT_MEMORY_MIB = 1024;
/** Where the guest keeps the seccomp filter's errno (probes/vm-init.c, SECCOMP_ERRNO_FILE). */
const SECCOMP_ERRNO_FILE = '/etc/rseq-matrix/seccomp-rseq-errno';
const CONSOLE_LINES_KEPT = 25;

export interface VmExecutorOptions {
  session: ContainerSession;
  docker: Docker;
  /**
   * The kernel QEMU boots, or `uml`: Debian's user-mode Linux (harness/vm/uml.ts), a kernel that runs as
   * a program in a container of its own image, with the same initramfs and the same init.
   */
  kernel: ResolvedKernel | 'uml';
  cacheDir: string;
  log: Log;
  memoryMiB?: number;
  /** probes/ (for vm-init.c) and images/ (for the VM image); the package's own unless given. */
  probesDir?: string;
  imagesDir?: string;
  /** Where each boot's scratch files go (removed afterwards); the system's temporary folder unless given. */
  tmpDir?: string;
}

/** What the VM did, beside the container-shaped answer. */
export interface VmRunInfo {
  kernel: string;
  /** The release the guest's uname -r gave (undefined when nothing came back). */
  guestRelease?: string;
  /** 'skipped': no boot (the kernel cannot do what the spec asks). */
  reason: BootReason | 'skipped';
  /** The boot's container, start to removal: boot, the command, sending back, power-off. */
  bootMs: number;
  /** Staging the userland (0 when it was cached). */
  userlandMs: number;
  userland?: { key: string; cached: boolean; missing: string[] };
  memoryMiB: number;
  /** /proc/meminfo at the end of the command. */
  memory?: { totalKiB?: number; availableKiB?: number };
  /** Bytes the data port carried. */
  dataBytes: number;
}

export interface VmRunOutcome extends RunOutcome {
  vm: VmRunInfo;
}

/** Runs a RunSpec in a VM instead of a container; the same answer as ContainerSession.run. */
export type VmExecutor = (spec: RunSpec) => Promise<VmRunOutcome>;

/**
 * An executor for one kernel. The VM image and vm-init are made on first use and shared by its runs;
 * each run boots a VM of its own.
 */
export function vmExecutor(o: VmExecutorOptions): VmExecutor {
  const memoryMiB = o.memoryMiB ?? DEFAULT_MEMORY_MIB;
  const uml = o.kernel === 'uml';
  const kernel = {
    release: o.kernel === 'uml' ? 'user-mode Linux' : o.kernel.release,
    config: o.kernel === 'uml' ? null : o.kernel.config,
    vmlinuz: o.kernel === 'uml' ? '' : o.kernel.vmlinuz,
  };
  let tools: Promise<{ image: string; init: string }> | undefined;
  const prepare = () => {
    tools ??= (async () => {
      const image = uml
        ? await ensureUmlImage(o.docker, o.imagesDir ?? IMAGES_DIR, o.log)
        : await ensureVmImage(o.docker, o.imagesDir ?? IMAGES_DIR, o.log);
      const init = await compileVmInit(o.session, image, o.probesDir ?? PROBES_DIR, o.cacheDir);
      return { image, init: init.path };
    })();
    // A failure is not kept: the next run tries again.
    tools.catch(() => {
      tools = undefined;
    });
    return tools;
  };
  return async (spec) => {
    const started = Date.now();
    const info: VmRunInfo = {
      kernel: kernel.release,
      reason: 'skipped',
      bootMs: 0,
      userlandMs: 0,
      memoryMiB,
      dataBytes: 0,
    };
    const binds = spec.binds.map(parseBind);
    const errno = spec.seccompProfile === undefined ? undefined : rseqErrnoOfProfile(spec.seccompProfile);
    if (errno !== undefined && kernel.config) {
      const config = await readFile(kernel.config, 'utf8').catch(() => '');
      if (config && !configHasSeccompFilter(config))
        return answer(spec, info, started, {
          exitCode: SECCOMP_FAILED_STATUS,
          stdout: '',
          stderr: `vm: the kernel ${kernel.release} has no CONFIG_SECCOMP_FILTER: rseq cannot be made to fail with errno ${errno}, so nothing ran\n`,
          timedOut: false,
        });
    }
    const { image: vmImage, init } = await prepare();
    const readOnly = binds.filter((b) => b.readOnly);
    const writable = binds.filter((b) => !b.readOnly);
    const script = await commandScript(spec, writable);
    const t0 = Date.now();
    const userland = await ensureUserland({
      session: o.session,
      docker: o.docker,
      image: spec.image,
      binds: readOnly,
      commands: [
        ...new Set([
          ...GUEST_COMMANDS,
          ...spec.cmd.slice(0, 1).filter((c) => !writable.some((b) => c.startsWith(`${b.guest}/`))),
          ...(script.includes(VALGRIND.command) ? [VALGRIND.command] : []),
        ]),
      ],
      extraTrees: script.includes(VALGRIND.command) ? VALGRIND.trees : [],
      initPath: init,
      cacheDir: o.cacheDir,
      ...(o.tmpDir ? { tmpDir: o.tmpDir } : {}),
      log: o.log,
    });
    info.userlandMs = Date.now() - t0;
    info.userland = { key: userland.key, cached: userland.cached, missing: userland.missing };
    const tmp = await mkdtemp(join(o.tmpDir ?? tmpdir(), 'rseq-matrix-vm-run-'));
    try {
      const runEntries: InitramfsEntry[] = [
        {
          kind: 'file',
          path: '/run.sh',
          mode: 0o755,
          data: guestScript({
            cmd: spec.cmd,
            ...(spec.env ? { env: spec.env } : {}),
            ...(spec.workdir ? { workdir: spec.workdir } : {}),
            timeoutSec: spec.timeoutMs / 1000,
            sendBack: writable.map((b) => b.guest),
          }),
        },
        ...(errno !== undefined
          ? [{ kind: 'file' as const, path: SECCOMP_ERRNO_FILE, data: `${errno}\n` }]
          : []),
      ];
      for (const b of writable) {
        // The folder's own mode: the tar that comes back sets it on the host folder.
        const st = await stat(b.host).catch(() => undefined);
        runEntries.push({ kind: 'dir', path: b.guest, mode: st?.isDirectory() ? st.mode & 0o7777 : 0o755 });
        if (st?.isDirectory()) runEntries.push(...(await treeEntries(resolve(b.host), b.guest)));
      }
      const initramfs = join(tmp, 'initramfs.img');
      await writeInitramfs(initramfs, userland.path, runEntries);
      const boot = {
        session: o.session,
        image: vmImage,
        initramfs,
        memoryMiB,
        timeoutMs: spec.timeoutMs + BOOT_ALLOWANCE_MS + RETURN_ALLOWANCE_MS,
        outDir: join(tmp, 'boot'),
        log: o.log,
      };
      const bootStart = spec.timing?.timer.now() ?? 0;
      const r = uml ? await bootUml(boot) : await bootVm({ ...boot, kernel: kernel.vmlinuz });
      // The boot, start to power-off, as a span of the run's timings (`run --timings`, the bench).
      spec.timing?.timer.add('vm-boot', spec.timing.group, bootStart, spec.timing.timer.now());
      info.reason = r.reason;
      info.bootMs = r.durationMs;
      info.dataBytes = r.data.length;
      const report = parseGuestReport(r.data);
      // Whatever came back whole goes into the host folders, also from a VM that did not finish.
      const unpackErrors: string[] = [];
      for (const b of writable) {
        const frame = report.frames.get(`tar ${b.guest}`);
        if (!frame) continue;
        await unpackInto(frame, b.host).catch((e: unknown) =>
          unpackErrors.push(`vm: unpacking ${b.guest} into ${b.host}: ${errorMessage(e)}`),
        );
      }
      const meminfo = report.frames.get('meminfo');
      if (meminfo) info.memory = memoryOf(meminfo.toString('utf8'));
      const release = report.frames.get('uname')?.toString('utf8').trim();
      if (release) info.guestRelease = release;
      const consoleTail = tail(r.console, CONSOLE_LINES_KEPT).trim();
      const lines = [
        ...(report.cut.length ? [`vm: the data port stopped inside ${report.cut.join(', ')}`] : []),
        ...unpackErrors,
        ...(report.stray.length ? [`vm: on the data port: ${tail(report.stray.join('\n'), 5)}`] : []),
      ];
      const stdout = report.frames.get('stdout')?.toString('utf8') ?? '';
      const stderrOfCommand = report.frames.get('stderr')?.toString('utf8') ?? '';
      const console = `--- the VM's console (${kernel.release}), last lines ---\n${consoleTail}\n`;
      if (r.reason === 'done' && report.seccompFailed !== undefined)
        return answer(spec, info, started, {
          exitCode: SECCOMP_FAILED_STATUS,
          stdout,
          stderr: `vm: the kernel ${kernel.release} could not install the seccomp filter (rseq to fail with errno ${errno}), so nothing ran: ${report.seccompFailed}\n${console}`,
          timedOut: false,
        });
      if (r.reason === 'done' && report.status) {
        const st = report.status;
        return answer(spec, info, started, {
          exitCode: st.timedOut ? null : st.rc,
          stdout,
          stderr: `${stderrOfCommand}${lines.map((l) => `${l}\n`).join('')}${console}`,
          timedOut: st.timedOut,
        });
      }
      const why =
        r.reason === 'timeout'
          ? `vm: the VM did not finish within ${Math.round((spec.timeoutMs + BOOT_ALLOWANCE_MS + RETURN_ALLOWANCE_MS) / 1000)} s (the run's ${Math.round(spec.timeoutMs / 1000)} s, boot and return)`
          : r.reason === 'panic'
            ? `vm: the kernel ${kernel.release} panicked`
            : r.reason === 'done'
              ? `vm: /run.sh ended (status ${r.initStatus}) without saying how the command ended`
              : `vm: QEMU ended (exit ${r.exitCode}) without the done marker: ${tail(r.qemuOutput, 5)}`;
      return answer(spec, info, started, {
        exitCode: null,
        stdout,
        stderr: `${stderrOfCommand}${[why, ...lines].map((l) => `${l}\n`).join('')}${console}`,
        timedOut: r.reason === 'timeout',
      });
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  };
}

/** The text of the script the spec's command runs, when it is in a writable bind (to see what it needs). */
async function commandScript(spec: RunSpec, writable: readonly Bind[]): Promise<string> {
  const texts: string[] = [];
  for (const word of spec.cmd.slice(1)) {
    const b = writable.find((w) => word.startsWith(`${w.guest}/`));
    if (b) texts.push(await readFile(join(b.host, word.slice(b.guest.length)), 'utf8').catch(() => ''));
  }
  return texts.join('\n');
}

/**
 * The userland's archive (uncompressed) with the run's appended (a gzip member of its own, after NUL
 * padding to 4): Linux unpacks each part of such a sequence by its own magic (init/initramfs.c).
 */
async function writeInitramfs(path: string, userland: string, entries: readonly InitramfsEntry[]) {
  const base = await readFile(userland);
  const run = await gzipAsync(cpioArchive(await readMembers(entries)));
  const f = await open(path, 'w');
  try {
    await f.write(base);
    await f.write(Buffer.alloc((4 - (base.length % 4)) % 4));
    await f.write(run);
  } finally {
    await f.close();
  }
}

/** A gzip-compressed tar unpacked into a host folder (made when missing). */
async function unpackInto(gz: Buffer, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await pipeline(Readable.from([gz]), createGunzip(), tar.extract(dir));
}

/** The outcome, with the spec's log file and line callback served as a container's would be. */
async function answer(
  spec: RunSpec,
  vm: VmRunInfo,
  started: number,
  o: Pick<RunOutcome, 'exitCode' | 'stdout' | 'stderr' | 'timedOut'>,
): Promise<VmRunOutcome> {
  const out: VmRunOutcome = { ...o, durationMs: Date.now() - started, vm };
  const text = `${o.stdout}${o.stdout && !o.stdout.endsWith('\n') ? '\n' : ''}${o.stderr}`;
  if (spec.logFile)
    await appendFile(spec.logFile, text).catch((e: unknown) => {
      out.logError = errorMessage(e);
    });
  if (spec.onLine) for (const line of text.replace(/\n$/, '').split('\n')) spec.onLine(line);
  if (spec.timing) {
    const { timer, group } = spec.timing;
    timer.add('vm', group, timer.fromEpoch(started), timer.now());
  }
  return out;
}
