/**
 * Builds the probes on this host and runs every stage of probes/stages.json.
 * Expectations come from shared/docs/rseq-glibc-background.md for a Debian 12 host
 * (glibc 2.36-9+debN, the 'bookworm' image): registration before every stage of a
 * dynamic program, static IFUNC resolvers before registration, no registration in a
 * vfork child, __rseq_size 20 (Debian's patch), the tunable turning it all off.
 * On any other glibc those tests are prerequisites missing: skipped, or failed under CI=true
 * (test/helpers/prereq.ts).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import t from 'tap';
import { type Link, STAGES } from '../../harness/model/catalogue.js';
import type { Observation } from '../../harness/model/results.js';
import { REPO } from '../helpers/cli.js';
import { requirePrereq } from '../helpers/prereq.js';

const probesDir = join(REPO, 'probes');

interface Invocation {
  program: string;
  args: string[];
  env: Record<string, string>;
}
type StagesFile = Record<string, Partial<Record<Link, Invocation>>>;

const stages: StagesFile = JSON.parse(readFileSync(join(probesDir, 'stages.json'), 'utf8'));

const ldd = await execa('ldd', ['--version'], { reject: false });
const hostGlibc = /(\d+\.\d+)\s*$/m.exec(ldd.stdout.split('\n')[0] ?? '')?.[1];
const isBookworm = hostGlibc === '2.36' && /Debian/.test(ldd.stdout);
const isX86 = process.arch === 'x64';
const BOOKWORM = 'a Debian 12 host glibc (2.36), whose behaviour these expectations describe';
const notBookworm = isBookworm
  ? false
  : `the host glibc is ${hostGlibc ?? 'unknown'} (${ldd.stdout.split('\n')[0] ?? 'no ldd'})`;

const work = mkdtempSync(join(tmpdir(), 'rseq-probes-'));
const bin = join(work, 'bin');
t.teardown(() => rmSync(work, { recursive: true, force: true }));

const build = await execa('make', ['-C', probesDir, `OUT=${bin}`, 'all', 'test-libs'], {
  reject: false,
  all: true,
});

/** The environment of a probe: the test runner's, minus anything that changes start-up. */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || /^(LD_|GLIBC_TUNABLES$|MALLOC_)/.test(k)) continue;
    env[k] = v;
  }
  return env;
}

const sub = (s: string) => s.replaceAll('{bin}', bin);

interface Run {
  exitCode: number | undefined;
  stderr: string;
  lines: string[];
  obs: Observation[];
}

let runCount = 0;
/** Runs one invocation with fd 63 redirected to a file; returns every observation. */
async function run(
  inv: Invocation,
  opts: { env?: Record<string, string>; preload?: string; wrapper?: string[]; fd63?: boolean } = {},
): Promise<Run> {
  const obsFile = join(work, `obs-${runCount++}.jsonl`);
  const env = baseEnv();
  for (const [k, v] of Object.entries(inv.env)) env[k] = sub(v);
  Object.assign(env, opts.env ?? {});
  if (opts.preload) env.LD_PRELOAD = env.LD_PRELOAD ? `${opts.preload}:${env.LD_PRELOAD}` : opts.preload;
  env.OBS = obsFile;
  const script = opts.fd63 === false ? 'exec "$@"' : 'exec "$@" 63>"$OBS"';
  const argv = [...(opts.wrapper ?? []), join(bin, inv.program), ...inv.args.map(sub)];
  const r = await execa('bash', ['-c', script, 'bash', ...argv], {
    env,
    extendEnv: false,
    reject: false,
    timeout: 60_000,
  });
  const text = existsSync(obsFile) ? readFileSync(obsFile, 'utf8') : '';
  const lines = text.split('\n').filter((l) => l !== '');
  return { exitCode: r.exitCode, stderr: String(r.stderr), lines, obs: lines.map((l) => JSON.parse(l)) };
}

/** A tap subtest (the type of the argument of t.test's callback). */
type TT = Parameters<Parameters<typeof t.test>[0]>[0];

const TOP_KEYS = ['v', 'stage', 'pid', 'tid', 'kernel', 'availErrno', 'probeErrno', 'glibc', 'extra'];
const GLIBC_KEYS = ['rseqSize', 'rseqOffset', 'rseqFlags', 'cpuId', 'areaRegistered', 'areaLen'];
const EXTRA_KEYS = [
  'tls',
  'cleanupErrno',
  'rseqHandled',
  'rseqAbiFound',
  'rseqAbiCpuId',
  'rseqAbiRegistered',
];

function checkShape(t: TT, o: Observation) {
  t.same(Object.keys(o), TOP_KEYS, 'top-level keys, in order');
  t.same(Object.keys(o.glibc), GLIBC_KEYS, 'glibc keys, in order');
  const extraKeys = Object.keys(o.extra ?? {});
  t.same(extraKeys.slice(0, EXTRA_KEYS.length), EXTRA_KEYS, 'extra keys, in order');
  t.equal(o.v, 1);
  t.ok(Number.isInteger(o.pid) && o.pid > 0 && Number.isInteger(o.tid) && o.tid > 0, 'pid and tid');
  t.ok(['registered', 'unregistered', 'unavailable'].includes(o.kernel), 'kernel state');
  for (const [k, v] of Object.entries(o.glibc)) {
    if (k === 'areaRegistered') t.ok(v === null || typeof v === 'boolean', k);
    else t.ok(v === null || Number.isInteger(v), k);
  }
}

/** Stages whose invocation looks __rseq_abi up with dlsym (shared builds only). */
const ABI_LOOKUP = new Set([
  'main',
  'thread',
  'exe-ctor',
  'fork-child',
  'preload-ctor',
  'preload-ctor-cycle',
  'dlopen-ctor',
  'dlmopen-ctor',
]);

/** Observations of a cell: only those whose stage is the cell's stage (as the harness does). */
function cellObs(t: TT, r: Run, stage: string): Observation[] {
  t.equal(r.exitCode, 0, `exit status 0${r.stderr ? `; stderr: ${r.stderr}` : ''}`);
  for (const o of r.obs) checkShape(t, o);
  const mine = r.obs.filter((o) => o.stage === stage);
  t.equal(mine.length, stage === 'preload-ctor-cycle' ? 2 : 1, `observations of ${stage}`);
  if (stage === 'preload-ctor-cycle')
    t.same(mine.map((o) => o.extra?.cycleLib).sort(), [1, 2], 'both constructors of the cycle observed');
  return mine;
}

/** No TLS yet: a static executable's IRELATIVE resolvers run before __libc_setup_tls. */
const noTls = (stage: string, link: Link) => link === 'static' && stage === 'ifunc-exe';

t.test('build', async (t) => {
  t.equal(build.exitCode, 0, `make succeeds\n${build.all}`);
  for (const name of ['probe-shared', 'probe-static', 'probe-static-malloc', 'libprobe-test-unregister.so'])
    t.ok(existsSync(join(bin, name)), `${name} built into OUT`);
  const stray = readdirSync(probesDir).filter((f) =>
    /\.(o|so)$|^probe-(shared|static)|^rp-seccomp-exec$/.test(f),
  );
  t.same(stray, [], 'nothing written into the source tree');
});

t.test('stages.json matches the catalogue and the build', async (t) => {
  for (const [stage, links] of Object.entries(stages)) {
    const def = STAGES.find((s) => s.id === stage);
    t.ok(def, `${stage} is a catalogue stage`);
    for (const [link, inv] of Object.entries(links) as [Link, Invocation][]) {
      t.ok(def?.links.includes(link), `${stage}/${link} applies`);
      t.ok(existsSync(join(bin, inv.program)), `${stage}/${link}: ${inv.program} exists`);
      for (const v of Object.values(inv.env))
        for (const f of sub(v).split(':')) t.ok(existsSync(f), `${stage}/${link}: ${f} exists`);
    }
  }
  for (const must of ['main', 'preload-ctor', 'thread']) t.ok(stages[must], `${must} is implemented`);
});

t.test('protocol edge cases', async (t) => {
  const main = stages.main?.shared as Invocation;
  const closed = await run(main, { fd63: false });
  t.equal(closed.exitCode, 0, 'runs with fd 63 closed');
  const bad = await run({ ...main, args: ['no-such-stage'] });
  t.equal(bad.exitCode, 2, 'unknown stage: usage error');
  // Passive probe points (IFUNC resolvers, preinit, constructor) run before main checks argv.
  t.notOk(
    bad.obs.some((o) => o.stage === 'main'),
    'and no observation from main',
  );
  const dl = await run({ ...(stages.main?.static as Invocation), args: ['dlopen-ctor'] });
  t.equal(dl.exitCode, 2, 'a stage the link does not have: usage error');
});

t.test('default: glibc 2.36 registers before every stage', async (t) => {
  if (!requirePrereq(t, BOOKWORM, notBookworm)) return;
  const offsets = new Set<number | null>();
  for (const [stage, links] of Object.entries(stages)) {
    for (const [link, inv] of Object.entries(links) as [Link, Invocation][]) {
      await t.test(`${stage}/${link}`, async (t) => {
        const r = await run(inv);
        for (const o of cellObs(t, r, stage)) {
          const early = noTls(stage, link);
          // The kernel drops the registration in a vfork child (CLONE_VM) while memory still
          // shows the parent's cpu_id; a static IFUNC resolver runs before registration.
          const unreg = early || stage === 'vfork-child';
          t.equal(o.kernel, unreg ? 'unregistered' : 'registered', 'kernel');
          t.equal(o.availErrno, 22, 'syscall available');
          t.equal(o.probeErrno, unreg ? 0 : 22, 'private area');
          t.equal(o.extra?.cleanupErrno, unreg ? 0 : null, 'private area unregistered again');
          t.equal(o.glibc.rseqSize, early ? 0 : 20, '__rseq_size (Debian: 20)');
          t.equal(o.glibc.rseqFlags, 0, '__rseq_flags');
          t.equal(o.extra?.tls, !early, 'thread pointer');
          if (early) {
            t.equal(o.glibc.rseqOffset, 0, '__rseq_offset not set yet');
            t.equal(o.glibc.cpuId, null, 'no TLS: no cpu_id');
            t.equal(o.glibc.areaRegistered, null, 'no TLS: cannot tell');
          } else {
            t.ok((o.glibc.rseqOffset ?? 0) > 0, '__rseq_offset > 0 (x86_64: inside struct pthread)');
            offsets.add(o.glibc.rseqOffset);
            t.ok((o.glibc.cpuId ?? -1) >= 0, 'cpu_id >= 0');
            t.equal(o.glibc.areaRegistered, !unreg, "glibc's area is the registered one");
            t.equal(o.glibc.areaLen, unreg ? null : 32, 'registered with 32 bytes');
          }
          t.equal(o.extra?.rseqHandled, null, 'no __rseq_handled');
          const looked = link === 'shared' && ABI_LOOKUP.has(stage);
          t.equal(o.extra?.rseqAbiFound, looked ? false : null, 'no __rseq_abi');
          t.equal(o.extra?.rseqAbiRegistered, null);
        }
      });
    }
  }
  t.equal(offsets.size, 1, 'one __rseq_offset everywhere');
});

t.test('GLIBC_TUNABLES=glibc.pthread.rseq=0: nothing registers', async (t) => {
  if (!requirePrereq(t, BOOKWORM, notBookworm)) return;
  for (const [stage, links] of Object.entries(stages)) {
    for (const [link, inv] of Object.entries(links) as [Link, Invocation][]) {
      await t.test(`${stage}/${link}`, async (t) => {
        const r = await run(inv, { env: { GLIBC_TUNABLES: 'glibc.pthread.rseq=0' } });
        for (const o of cellObs(t, r, stage)) {
          const early = noTls(stage, link);
          t.equal(o.kernel, 'unregistered', 'kernel');
          t.equal(o.availErrno, 22);
          t.equal(o.probeErrno, 0);
          t.equal(o.extra?.cleanupErrno, 0);
          t.equal(o.glibc.rseqSize, 0, '__rseq_size 0');
          t.equal(o.glibc.cpuId, early ? null : -2, 'cpu_id -2 (registration "failed")');
          t.equal(o.glibc.areaRegistered, early ? null : false);
          t.equal(o.glibc.areaLen, null);
          if (!early) t.ok((o.glibc.rseqOffset ?? 0) > 0, '__rseq_offset still valid');
        }
      });
    }
  }
});

t.test('the observers disagree with glibc when the kernel state is changed behind its back', async (t) => {
  if (!requirePrereq(t, BOOKWORM, notBookworm)) return;
  if (!requirePrereq(t, 'an x86_64 host', isX86 ? false : `the host is ${process.arch}`)) return;
  const shared = (stage: string) => stages[stage]?.shared as Invocation;

  await t.test("a preload constructor unregisters glibc's area", async (t) => {
    const r = await run(shared('main'), { preload: join(bin, 'libprobe-test-unregister.so') });
    t.equal(r.exitCode, 0, r.stderr);
    const by = (s: string) => r.obs.find((o) => o.stage === s) as Observation;
    // DT_PREINIT_ARRAY and IFUNC resolvers run before any constructor: still registered.
    t.equal(by('ifunc-exe')?.kernel, 'registered', 'ifunc-exe (before the constructor)');
    t.equal(by('preinit-array')?.kernel, 'registered', 'preinit-array (before the constructor)');
    for (const s of ['exe-ctor', 'main']) {
      const o = by(s);
      t.equal(o?.kernel, 'unregistered', `${s}: kernel has nothing registered`);
      t.equal(o?.probeErrno, 0, `${s}: private area registers`);
      t.equal(o?.glibc.rseqSize, 20, `${s}: glibc still claims 20`);
      t.equal(o?.glibc.areaRegistered, false, `${s}: glibc's area is not the registered one`);
      t.equal(o?.glibc.cpuId, -1, `${s}: the kernel reset cpu_id to RSEQ_CPU_ID_UNINITIALIZED`);
    }
    const th = await run(shared('thread'), { preload: join(bin, 'libprobe-test-unregister.so') });
    const o = th.obs.find((x) => x.stage === 'thread');
    // start_thread registers only when the creating thread's cpu_id >= 0.
    t.equal(o?.kernel, 'unregistered', 'a new thread is not registered either');
    t.equal(o?.glibc.cpuId, -2, "the new thread's cpu_id says registration failed");
  });

  await t.test('a preload constructor registers an area of its own (glibc off)', async (t) => {
    const r = await run(shared('main'), {
      preload: join(bin, 'libprobe-test-register.so'),
      env: { GLIBC_TUNABLES: 'glibc.pthread.rseq=0' },
    });
    t.equal(r.exitCode, 0, r.stderr);
    const o = r.obs.find((x) => x.stage === 'main');
    t.equal(o?.kernel, 'registered', 'kernel has an area registered');
    t.equal(o?.probeErrno, 22, 'private area refused');
    t.equal(o?.glibc.rseqSize, 0, 'glibc claims nothing');
    t.equal(o?.glibc.areaRegistered, false, 'and its area is not the registered one');
    t.equal(o?.glibc.cpuId, -2);
  });
});

const valgrind = await execa('valgrind', ['--version'], { reject: false });
t.test('valgrind answers ENOSYS: unavailable', async (t) => {
  if (!requirePrereq(t, BOOKWORM, notBookworm)) return;
  if (
    !requirePrereq(
      t,
      'valgrind',
      valgrind.exitCode === 0 ? false : 'not installed (install: apt-get install valgrind)',
    )
  )
    return;
  for (const stage of ['main', 'thread']) {
    const r = await run(stages[stage]?.shared as Invocation, { wrapper: ['valgrind', '-q'] });
    const [o] = cellObs(t, r, stage);
    t.equal(o?.kernel, 'unavailable', `${stage}: kernel`);
    t.equal(o?.availErrno, 38, `${stage}: ENOSYS`);
    t.equal(o?.probeErrno, 38);
    t.equal(o?.glibc.rseqSize, 0, 'glibc gave up: __rseq_size 0');
    t.equal(o?.glibc.cpuId, -2, 'cpu_id -2');
    t.equal(o?.glibc.areaRegistered, null, 'cannot tell without the syscall');
  }
});

for (const [name, errno] of [
  ['EPERM', 1],
  ['ENOSYS', 38],
] as const) {
  t.test(`a seccomp filter makes rseq fail with ${name}: unavailable`, async (t) => {
    if (!requirePrereq(t, BOOKWORM, notBookworm)) return;
    for (const [stage, links] of Object.entries(stages)) {
      for (const [link, inv] of Object.entries(links) as [Link, Invocation][]) {
        await t.test(`${stage}/${link}`, async (t) => {
          const r = await run(inv, { wrapper: [join(bin, 'rp-seccomp-exec'), String(errno)] });
          for (const o of cellObs(t, r, stage)) {
            const early = noTls(stage, link);
            t.equal(o.kernel, 'unavailable', 'kernel');
            t.equal(o.availErrno, errno, 'availability errno');
            t.equal(o.probeErrno, errno, 'probe errno');
            t.equal(o.glibc.rseqSize, 0, 'glibc gave up: __rseq_size 0');
            t.equal(o.glibc.cpuId, early ? null : -2, 'cpu_id -2');
            t.equal(o.glibc.areaRegistered, null, 'cannot tell without the syscall');
          }
        });
      }
    }
  });
}
