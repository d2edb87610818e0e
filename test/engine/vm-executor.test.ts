/**
 * The VM executor for real (harness/vm/executor.ts): the probes of glibc 2.36 `upstream` (matrices/rseq.yaml;
 * built once and then taken from the cache) run through runProbes with `executor`, as run-group.ts would
 * run them, inside VMs booted with bookworm's 6.1 cloud kernel and trixie-backports' 7.x one. What the
 * guest writes comes back into the work folder, so runProbes reads status.tsv, strace.version and obs/*
 * as after a container: every cell observed, main and thread registered on both kernels, the IFUNC
 * resolver of a static executable running before registration (as on the host), strace and the ptrace
 * observer watching inside the VM. The seccomp-enosys scenario becomes vm-init's filter (rseq fails with ENOSYS: unavailable); a
 * kernel whose config lacks CONFIG_SECCOMP_FILTER is not booted and the cells say why; the guest's own
 * time limit stops a command and brings back what it wrote. Needs a Docker engine and the Debian mirror
 * (the images, the kernels and glibc's source, once). Prints the boot-to-done time of each VM.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import t from 'tap';
import { ensureKernel, type ResolvedKernel } from '../../harness/builder/kernels.js';
import { prepareBuild } from '../../harness/builder/prepare.js';
import { ContainerSession, type RunSpec } from '../../harness/docker/containers.js';
import { connectEngine } from '../../harness/docker/engine.js';
import { validateMatrix } from '../../harness/matrix/validate.js';
import { type Link, scenarioDef } from '../../harness/model/catalogue.js';
import {
  compileProbes,
  type ProbeCellInput,
  type ProbeCellOutput,
  readInvocationTable,
  runProbes,
} from '../../harness/probe/execute.js';
import { stderrLog } from '../../harness/util/log.js';
import { defaultCacheDir, PATCHES_DIR, PROBES_DIR, ROOT } from '../../harness/util/paths.js';
import { type VmRunOutcome, vmExecutor } from '../../harness/vm/executor.js';
import { requireFilePrereq, unreachable } from '../helpers/prereq.js';

requireFilePrereq(
  t,
  'the Debian mirror',
  await unreachable('http://deb.debian.org/debian/dists/bookworm/Release'),
);

const log = stderrLog({ quiet: true });
const cache = defaultCacheDir();
const tmp = mkdtempSync(join(process.env.RSEQ_MATRIX_TMP ?? tmpdir(), 'rseq-matrix-vm-exec-'));
t.teardown(() => rmSync(tmp, { recursive: true, force: true }));

const engine = await connectEngine({ autoSetup: true, log });
const sessionId = `vm-executor-${process.pid}-${Date.now()}`;
const session = new ContainerSession(engine.docker, sessionId, log);
t.teardown(() => session.close());

// The build run-group.ts would prepare for glibc-2.36/upstream (cached after its first run).
const matrixPath = join(ROOT, 'matrices', 'rseq.yaml');
const matrix = validateMatrix(readFileSync(matrixPath, 'utf8'), matrixPath);
const entry = matrix.doc.glibc.find((g) => g.id === 'glibc-2.36');
const variant = matrix.doc.variants.find((v) => v.id === 'upstream');
const planned = matrix.cells.find((c) => c.glibc === 'glibc-2.36' && c.variant === 'upstream');
if (!entry || !variant || !planned) throw new Error('matrices/rseq.yaml has no glibc-2.36/upstream');
const build = await prepareBuild(
  {
    docker: engine.docker,
    session,
    cacheDir: cache,
    matrixDir: dirname(resolve(matrixPath)),
    patchesDir: PATCHES_DIR,
    log,
    cores: availableParallelism(),
    rebuild: false,
    incremental: true,
    ccache: 'incremental',
    glibcTests: matrix.doc.options?.glibcTests ?? [],
  },
  entry,
  variant,
  planned.patches,
);
const { binDir } = await compileProbes(session, build, PROBES_DIR, cache);
const table = await readInvocationTable(PROBES_DIR);

const bookworm = await ensureKernel({ suite: 'bookworm', package: 'linux-image-cloud-amd64' }, cache, log);
const backports = await ensureKernel(
  { suite: 'trixie-backports', package: 'linux-image-cloud-amd64' },
  cache,
  log,
);

/** Boot to power-off of each VM (its container's life), printed at the end. */
const times: string[] = [];
t.teardown(() => {
  if (times.length) t.comment(`VM boot to done: ${times.join('; ')}`);
});

function ourContainers(): string[] {
  const out = execFileSync('docker', ['ps', '-aq', '--filter', `label=rseq-matrix.session=${sessionId}`])
    .toString()
    .trim();
  return out ? out.split('\n') : [];
}

const cellsOf = (stages: readonly string[], links: readonly Link[]): ProbeCellInput[] =>
  stages.flatMap((stage) => links.map((link) => ({ id: `${link}/${stage}`, stage, link })));

/** runProbes as run-group.ts calls it, with the VM executor of `kernel`; the executor's answer kept. */
async function probeInVm(name: string, kernel: ResolvedKernel, scenarioId: string, cells: ProbeCellInput[]) {
  const scenario = scenarioDef(scenarioId);
  if (!scenario) throw new Error(`no scenario ${scenarioId}`);
  const execute = vmExecutor({ session, docker: engine.docker, kernel, cacheDir: cache, log, tmpDir: tmp });
  const outcomes: VmRunOutcome[] = [];
  const workDir = join(tmp, name);
  const outputs = await runProbes({
    session,
    build,
    binDir,
    workDir,
    scenario,
    cells,
    table,
    timeoutSec: 10,
    executor: async (spec: RunSpec) => {
      const r = await execute(spec);
      outcomes.push(r);
      return r;
    },
  });
  const vm = outcomes[0];
  if (vm?.vm.reason !== 'skipped' && vm)
    times.push(
      `${name} (${kernel.release}) ${(vm.vm.bootMs / 1000).toFixed(1)} s` +
        `${vm.vm.userland?.cached === false ? `, userland staged in ${(vm.vm.userlandMs / 1000).toFixed(1)} s` : ''}`,
    );
  return { outputs, outcomes, workDir };
}

const cellOut = (outputs: Map<string, ProbeCellOutput>, id: string) => outputs.get(id) as ProbeCellOutput;
const stateAt = (o: ProbeCellOutput, stage: string) => o.observations.find((x) => x.stage === stage)?.kernel;

const CELLS = [
  ...cellsOf(['main', 'thread', 'ifunc-exe'], ['shared', 'static']),
  ...cellsOf(['preload-ctor'], ['shared']),
];

for (const [name, kernel, release] of [
  ['bookworm-6.1', bookworm, /^6\.1\./],
  ['trixie-backports-7', backports, /^7\./],
] as const) {
  t.test(`${name}: the probes run in the VM and their files come back`, async (t) => {
    t.match(kernel.release, release);
    const { outputs, outcomes, workDir } = await probeInVm(name, kernel, 'default', CELLS);
    t.equal(outcomes.length, 1, 'one VM for the whole group');
    const vm = outcomes[0] as VmRunOutcome;
    t.equal(vm.vm.reason, 'done', 'the VM finished', { stderr: vm.stderr });
    t.equal(vm.exitCode, 0, 'the runner script ended with 0');
    t.equal(vm.timedOut, false);
    t.equal(vm.vm.guestRelease, kernel.release, 'uname -r in the guest is the kernel booted');
    t.ok(
      (vm.vm.memory?.availableKiB ?? 0) > 256 * 1024,
      `memory left at the end: ${vm.vm.memory?.availableKiB} KiB`,
    );
    t.ok(existsSync(join(workDir, 'status.tsv')), 'status.tsv came back into the work folder');
    t.match(
      readFileSync(join(workDir, 'strace.version'), 'utf8'),
      /^strace -- version /,
      'strace ran in the VM',
    );
    for (const c of CELLS) {
      const o = cellOut(outputs, c.id);
      t.notOk(o.failure, `${c.id}: ran (${o.failure ?? ''})`);
      t.ok(o.observations.length > 0, `${c.id}: observed`);
      t.ok(o.strace, `${c.id}: strace watched it (${o.straceReason ?? ''})`);
      t.equal(o.run?.exitCode, 0, `${c.id}: the probe exited 0`);
      t.ok(o.ptrace, `${c.id}: the ptrace observer read it (${o.ptraceReason ?? ''})`);
      const at = o.observations.find((x) => x.stage === c.stage);
      t.equal(at?.ptrace?.registered, at?.kernel === 'registered', `${c.id}: ptrace agrees with the probe`);
    }
    for (const link of ['shared', 'static'] as const) {
      t.equal(stateAt(cellOut(outputs, `${link}/main`), 'main'), 'registered', `${link} main: registered`);
      t.equal(
        stateAt(cellOut(outputs, `${link}/thread`), 'thread'),
        'registered',
        `${link} thread: registered`,
      );
    }
    // As on the host: a static executable's IRELATIVE relocations run before __libc_setup_tls registers.
    t.equal(stateAt(cellOut(outputs, 'static/ifunc-exe'), 'ifunc-exe'), 'unregistered', 'static ifunc-exe');
    t.equal(stateAt(cellOut(outputs, 'shared/ifunc-exe'), 'ifunc-exe'), 'registered', 'shared ifunc-exe');
    t.equal(stateAt(cellOut(outputs, 'shared/preload-ctor'), 'preload-ctor'), 'registered', 'preload-ctor');
    t.same(ourContainers(), [], 'no container left');
  });
}

t.test('seccomp-enosys: rseq fails with ENOSYS in the VM, under strace too', async (t) => {
  const cells = cellsOf(['main'], ['shared', 'static']);
  const { outputs, outcomes } = await probeInVm('bookworm-seccomp-enosys', bookworm, 'seccomp-enosys', cells);
  t.equal(outcomes[0]?.vm.reason, 'done');
  for (const c of cells) {
    const o = cellOut(outputs, c.id);
    t.notOk(o.failure, `${c.id}: ran`);
    const main = o.observations.find((x) => x.stage === 'main');
    t.equal(main?.kernel, 'unavailable', `${c.id}: unavailable`);
    t.equal(main?.availErrno, 38, `${c.id}: rseq(NULL, 0, 0, 0) gives ENOSYS, not the kernel's EINVAL`);
    t.ok(o.strace, `${c.id}: strace watched it`);
  }
});

t.test(
  'a kernel without CONFIG_SECCOMP_FILTER is not booted for a seccomp scenario; the cells say why',
  async (t) => {
    const config = join(tmp, 'config-no-seccomp-filter');
    writeFileSync(config, 'CONFIG_SECCOMP=y\n# CONFIG_SECCOMP_FILTER is not set\n');
    const cells = cellsOf(['main'], ['shared']);
    const { outputs, outcomes } = await probeInVm(
      'no-filter',
      { ...bookworm, config },
      'seccomp-enosys',
      cells,
    );
    t.equal(outcomes[0]?.vm.reason, 'skipped', 'no boot');
    t.equal(outcomes[0]?.exitCode, 125);
    const o = cellOut(outputs, 'shared/main');
    t.match(o.failure, /ended \(exit 125\) before this probe ran/);
    t.match(o.logTail, /has no CONFIG_SECCOMP_FILTER: rseq cannot be made to fail with errno 38/);
  },
);

t.test("the guest's time limit stops the command; what it wrote comes back", async (t) => {
  const out = join(tmp, 'slow');
  mkdirSync(out, { recursive: true });
  const execute = vmExecutor({
    session,
    docker: engine.docker,
    kernel: bookworm,
    cacheDir: cache,
    log,
    tmpDir: tmp,
  });
  const r = await execute({
    image: build.image,
    cmd: ['/bin/bash', '-c', 'echo begun > /rm/out/begun; echo said; echo complained >&2; sleep 600'],
    binds: [`${out}:/rm/out`],
    network: 'none',
    timeoutMs: 3000,
    purpose: 'the VM executor test: a command past its time',
  });
  times.push(`time limit (${bookworm.release}) ${(r.vm.bootMs / 1000).toFixed(1)} s`);
  t.equal(r.vm.reason, 'done', 'the VM itself finished');
  t.equal(r.timedOut, true, 'timed out, as a container killed at its limit');
  t.equal(r.exitCode, null);
  t.equal(readFileSync(join(out, 'begun'), 'utf8'), 'begun\n');
  t.equal(r.stdout, 'said\n');
  t.match(r.stderr, /^complained\n/);
  t.match(r.stderr, /--- the VM's console/, "the console's tail follows");
});
