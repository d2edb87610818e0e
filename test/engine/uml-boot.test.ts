/**
 * Real boots of user-mode Linux (Debian sid's user-mode-linux, Linux 7.2 as a host program on
 * 2026-12-06) in the UML image, with an initramfs that holds only the static vm-init. That kernel is
 * built without CONFIG_RSEQ (UML does not select HAVE_RSEQ), so rseq(2) is not wired up and answers
 * ENOSYS (kernel/sys_ni.c); the init's static glibc then leaves __rseq_size 0 (its registration failed);
 * and without CONFIG_RSEQ it gives no rseq auxv entries (fs/binfmt_elf.c adds them only under it).
 * vm-init's power-off ends UML with status 0; a missing rdinit panics, which ends UML at once (abort,
 * 134); a 0.3 s limit (the init runs at about 1 s of uptime) kills the container. Needs a Docker engine and the Debian mirror (the images, once).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ContainerSession } from '../../harness/docker/containers.js';
import { connectEngine } from '../../harness/docker/engine.js';
import { ensureUmlImage } from '../../harness/docker/uml-image.js';
import { stderrLog } from '../../harness/util/log.js';
import { defaultCacheDir, IMAGES_DIR, PROBES_DIR } from '../../harness/util/paths.js';
import { compileVmInit, vmInitEntries } from '../../harness/vm/init.js';
import { ensureInitramfs } from '../../harness/vm/initramfs.js';
import { bootUml } from '../../harness/vm/uml.js';
import { requireFilePrereq, unreachable } from '../helpers/prereq.js';

requireFilePrereq(
  t,
  'the Debian mirror',
  await unreachable('http://deb.debian.org/debian/dists/sid/Release'),
);

const log = stderrLog({ quiet: true });
const cache = defaultCacheDir();
const tmp = mkdtempSync(join(process.env.RSEQ_MATRIX_TMP ?? tmpdir(), 'rseq-matrix-uml-'));
t.teardown(() => rmSync(tmp, { recursive: true, force: true }));

const engine = await connectEngine({ autoSetup: true, log });
const image = await ensureUmlImage(engine.docker, IMAGES_DIR, log);
const sessionId = `uml-boot-${process.pid}-${Date.now()}`;
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
  probe_errno: number;
  glibc_rseq_size: number;
  glibc_area_registered: boolean | null;
  uptime_s: number;
}

/** The boot times measured, printed at the end. */
const times: string[] = [];
t.teardown(() => {
  if (times.length) t.comment(`UML boot to its end (container included): ${times.join('; ')}`);
});

t.test('vm-init alone: a kernel without rseq, ENOSYS, no auxv entries', async (t) => {
  const r = await bootUml({
    session,
    image,
    initramfs: initramfs.path,
    memoryMiB: 256,
    timeoutMs: 120_000,
    outDir: join(tmp, 'report'),
    log,
  });
  t.equal(r.reason, 'done', 'vm-init powered off', { console: r.console, uml: r.qemuOutput });
  t.equal(r.initStatus, 0, 'the done marker says 0');
  t.equal(r.exitCode, 0, 'UML ended by itself, with status 0');
  t.equal(r.accel, 'uml');
  t.match(r.commandLine, /^mem=256M initrd=\S+ con=null con0=null,fd:4 ssl=null ssl1=null,fd:3$/);
  const lines = r.data.trim().split('\n');
  t.equal(lines.length, 1, 'one report line before the marker');
  const report = JSON.parse(lines[0] ?? '') as InitReport;
  times.push(
    `done ${(r.durationMs / 1000).toFixed(1)} s (init at ${report.uptime_s.toFixed(2)} s of uptime)`,
  );
  t.match(report.release, /^\d+\.\d+\.\d+/, `sid's user-mode-linux: Linux ${report.release}`);
  t.equal(report.machine, 'x86_64');
  t.equal(report.rseq_syscall, false, 'rseq(NULL, 0, 0, 0) does not give EINVAL: no syscall');
  t.equal(report.kernel_rseq, 'unavailable');
  t.equal(report.probe_errno, 38, 'rseq answers ENOSYS');
  t.equal(report.at_rseq_feature_size, 0, 'no AT_RSEQ_FEATURE_SIZE');
  t.equal(report.at_rseq_align, 0, 'no AT_RSEQ_ALIGN');
  t.equal(report.glibc_rseq_size, 0, "glibc's registration failed, so its __rseq_size stays 0");
  t.equal(report.glibc_area_registered, null, 'and it names no area to ask about');
  t.match(r.console, /Run \/init as init process/, 'the console file holds the kernel messages');
  // kernel/reboot.c: 'Power down' where the architecture has a power-off handler (UML 7.2), else the
  // halt's 'System halted' (UML 6.1).
  t.match(r.console, /reboot: (System halted|Power down)/, 'and the power-off');
});

t.test('a missing rdinit panics, and UML ends at once', async (t) => {
  const r = await bootUml({
    session,
    image,
    initramfs: initramfs.path,
    timeoutMs: 120_000,
    append: ' rdinit=/nonexistent  init=/nonexistent ',
    outDir: join(tmp, 'panic'),
    log,
  });
  times.push(`panic ${(r.durationMs / 1000).toFixed(1)} s`);
  t.equal(r.reason, 'panic', 'judged a panic', { console: r.console, uml: r.qemuOutput });
  t.match(r.console, /Kernel panic - not syncing/);
  t.equal(r.exitCode, 134, 'UML aborted (SIGABRT), not killed at the limit');
  t.equal(r.data, '', 'vm-init never ran: nothing on the data port');
  t.equal(r.initStatus, null);
  t.match(r.commandLine, /ssl1=null,fd:3 rdinit=\/nonexistent init=\/nonexistent$/);
});

t.test('a 0.3 s limit: timeout, and no container left', async (t) => {
  const r = await bootUml({
    session,
    image,
    initramfs: initramfs.path,
    timeoutMs: 300,
    outDir: join(tmp, 'timeout'),
    log,
  });
  t.equal(r.reason, 'timeout', 'judged a timeout', { console: r.console, uml: r.qemuOutput });
  t.equal(r.exitCode, null, 'killed, not ended');
  t.equal(r.initStatus, null);
  t.same(ourContainers(), [], 'the container was removed');
});
