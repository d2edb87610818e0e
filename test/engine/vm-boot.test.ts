/**
 * Real boots under QEMU (TCG) in the VM image: Debian's cloud kernels, fetched and verified through
 * harness/builder/kernels.ts, with an initramfs that holds only the static vm-init. Bookworm's 6.1 gives
 * its init no rseq auxv entries (they came with Linux 6.3) while the init's static glibc 2.36 registers;
 * trixie-backports' 7.x gives both (fs/binfmt_elf.c, create_elf_tables: NEW_AUX_ENT(AT_RSEQ_FEATURE_SIZE,
 * offsetof(struct rseq, end)), 33 since a reserved byte after byte 32 was added to struct rseq
 * (include/uapi/linux/rseq.h); and NEW_AUX_ENT(AT_RSEQ_ALIGN, rseq_alloc_align()), that size rounded up
 * to a power of two (include/linux/rseq.h): 64; it was __alignof__(struct rseq), 32, before). A missing
 * rdinit panics; a 1 s limit kills the container. Needs a Docker engine and the Debian mirror (the images and the kernels, once).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { ensureKernel } from '../../harness/builder/kernels.js';
import { ContainerSession } from '../../harness/docker/containers.js';
import { connectEngine } from '../../harness/docker/engine.js';
import { ensureVmImage } from '../../harness/docker/vm-image.js';
import { stderrLog } from '../../harness/util/log.js';
import { defaultCacheDir, IMAGES_DIR, PROBES_DIR } from '../../harness/util/paths.js';
import { bootVm } from '../../harness/vm/boot.js';
import { compileVmInit, vmInitEntries } from '../../harness/vm/init.js';
import { ensureInitramfs } from '../../harness/vm/initramfs.js';
import { requireFilePrereq, unreachable } from '../helpers/prereq.js';

requireFilePrereq(
  t,
  'the Debian mirror',
  await unreachable('http://deb.debian.org/debian/dists/bookworm/Release'),
);

const log = stderrLog({ quiet: true });
const cache = defaultCacheDir();
const tmp = mkdtempSync(join(process.env.RSEQ_MATRIX_TMP ?? tmpdir(), 'rseq-matrix-vm-'));
t.teardown(() => rmSync(tmp, { recursive: true, force: true }));

const engine = await connectEngine({ autoSetup: true, log });
const image = await ensureVmImage(engine.docker, IMAGES_DIR, log);
const sessionId = `vm-boot-${process.pid}-${Date.now()}`;
const session = new ContainerSession(engine.docker, sessionId, log);
t.teardown(() => session.close());

const init = await compileVmInit(session, image, PROBES_DIR, cache);
const initramfs = await ensureInitramfs(vmInitEntries(init.path), cache);

function ourContainers(): string[] {
  const out = execFileSync('docker', ['ps', '-aq', '--filter', `label=rseq-matrix.session=${sessionId}`])
    .toString()
    .trim();
  return out ? out.split('\n') : [];
}

/** What vm-init reports of itself (probes/vm-init.c, report()). */
interface InitReport {
  release: string;
  machine: string;
  at_rseq_feature_size: number;
  at_rseq_align: number;
  rseq_syscall: boolean;
  kernel_rseq: string;
  glibc_rseq_size: number;
  glibc_area_registered: boolean | null;
  glibc_area_len: number;
  uptime_s: number;
}

/** The boot-to-power-off times measured, printed at the end. */
const times: string[] = [];
t.teardown(() => {
  if (times.length) t.comment(`boot to power-off (container included): ${times.join('; ')}`);
});

async function bootReport(t: Test, name: string, kernel: { vmlinuz: string; release: string }) {
  const r = await bootVm({
    session,
    image,
    kernel: kernel.vmlinuz,
    initramfs: initramfs.path,
    memoryMiB: 256,
    timeoutMs: 120_000,
    outDir: join(tmp, name),
    log,
  });
  t.equal(r.reason, 'done', `${name}: vm-init powered off`, { console: r.console, qemu: r.qemuOutput });
  t.equal(r.initStatus, 0, 'the done marker says 0');
  t.equal(r.exitCode, 0, 'QEMU ended by itself');
  t.equal(r.accel, 'tcg');
  const lines = r.data.trim().split('\n');
  t.equal(lines.length, 1, 'one report line before the marker');
  const report = JSON.parse(lines[0] ?? '') as InitReport;
  times.push(
    `${name} ${(r.durationMs / 1000).toFixed(1)} s (init at ${report.uptime_s.toFixed(2)} s of uptime)`,
  );
  t.equal(report.release, kernel.release, 'uname -r is the release the package named');
  t.equal(report.machine, 'x86_64');
  t.equal(report.rseq_syscall, true, 'rseq(NULL, 0, 0, 0) gives EINVAL: the syscall is there');
  t.equal(report.kernel_rseq, 'registered', "the kernel says an area is registered for vm-init's thread");
  t.equal(report.glibc_area_registered, true, "and it is glibc's (thread pointer + __rseq_offset)");
  t.equal(report.glibc_area_len, 32, 'glibc 2.36 registers 32 bytes');
  t.equal(report.glibc_rseq_size, 20, 'while its __rseq_size says 20 (the original ABI fields)');
  t.match(r.console, /reboot: Power down/, 'the console shows the power-off');
  return report;
}

t.test("bookworm's 6.1 cloud kernel: no rseq auxv entries, glibc registered", async (t) => {
  const kernel = await ensureKernel({ suite: 'bookworm', package: 'linux-image-cloud-amd64' }, cache, log);
  t.match(kernel.release, /^6\.1\./);
  const report = await bootReport(t, 'bookworm-6.1', kernel);
  t.equal(report.at_rseq_feature_size, 0, 'AT_RSEQ_FEATURE_SIZE absent before Linux 6.3');
  t.equal(report.at_rseq_align, 0, 'AT_RSEQ_ALIGN absent before Linux 6.3');
});

t.test("trixie-backports' 7.x cloud kernel: the rseq auxv entries are there", async (t) => {
  const kernel = await ensureKernel(
    { suite: 'trixie-backports', package: 'linux-image-cloud-amd64' },
    cache,
    log,
  );
  t.match(kernel.release, /^7\./);
  const report = await bootReport(t, 'trixie-backports-7', kernel);
  // 33 measured on 7.3.4: offsetof(struct rseq, end), the fields up to the reserved byte after byte 32.
  t.ok(report.at_rseq_feature_size > 20, `AT_RSEQ_FEATURE_SIZE ${report.at_rseq_feature_size} > 20`);
  t.equal(report.at_rseq_align, 64, 'rseq_alloc_align(): 33 rounded up to a power of two');
});

t.test('a missing rdinit panics, and the console tail says so', async (t) => {
  const kernel = await ensureKernel({ suite: 'bookworm', package: 'linux-image-cloud-amd64' }, cache, log);
  // With an initramfs the kernel runs rdinit (default /init) and ignores init=; with rdinit missing it
  // falls back to mounting root=, of which there is none: "VFS: Unable to mount root fs", a panic.
  const r = await bootVm({
    session,
    image,
    kernel: kernel.vmlinuz,
    initramfs: initramfs.path,
    timeoutMs: 120_000,
    append: 'rdinit=/nonexistent init=/nonexistent',
    outDir: join(tmp, 'panic'),
    log,
  });
  times.push(`panic ${(r.durationMs / 1000).toFixed(1)} s`);
  t.equal(r.reason, 'panic', 'judged a panic', { console: r.console, qemu: r.qemuOutput });
  t.match(r.console, /Kernel panic - not syncing/);
  t.equal(r.data, '', 'vm-init never ran: nothing on the data port');
  t.equal(r.initStatus, null);
  t.match(r.commandLine, /^console=ttyS0 panic=-1 rdinit=\/nonexistent/);
});

t.test('a 1 s limit: timeout, and no container left', async (t) => {
  const kernel = await ensureKernel({ suite: 'bookworm', package: 'linux-image-cloud-amd64' }, cache, log);
  const r = await bootVm({
    session,
    image,
    kernel: kernel.vmlinuz,
    initramfs: initramfs.path,
    timeoutMs: 1000,
    outDir: join(tmp, 'timeout'),
    log,
  });
  t.equal(r.reason, 'timeout');
  t.equal(r.exitCode, null, 'killed, not ended');
  t.equal(r.initStatus, null);
  t.same(ourContainers(), [], 'the container was removed');
});
