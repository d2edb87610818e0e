/**
 * Builds the probes on this host and runs every stage of probes/stages.json.
 * Expectations come from the source reading in docs/source-reading.md for a Debian 12 host
 * (glibc 2.36-9+debN, the 'bookworm' image): registration before every stage of a
 * dynamic program, static IFUNC resolvers before registration, no registration in a
 * vfork child, __rseq_size 20 (Debian's patch), the tunable turning it all off.
 * On any other glibc those tests are prerequisites missing: skipped, or failed under CI=true
 * (test/helpers/prereq.ts).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { release, tmpdir } from 'node:os';
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
  'preload-thread',
  'dlopen-ctor',
  'dlmopen-ctor',
]);
/** Does the observation of this stage and link look __rseq_abi up? static-dlopen's library asks its nested libc. */
const looksUpAbi = (stage: string, link: Link) =>
  (link === 'shared' && ABI_LOOKUP.has(stage)) || stage === 'static-dlopen';

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

/**
 * No TLS yet: a static executable's IRELATIVE resolvers (and a signal raised from one) run before
 * __libc_setup_tls, from apply_irel (static) or from _dl_relocate_static_pie (static-pie).
 */
const noTls = (stage: string, link: Link) =>
  link !== 'shared' && (stage === 'ifunc-exe' || stage === 'signal-early');

/** An ELF file's type (2 ET_EXEC, 3 ET_DYN) and whether it asks for a program interpreter (PT_INTERP). */
function elfKind(file: string): { type: number; interp: boolean } {
  const b = readFileSync(file);
  const phoff = Number(b.readBigUInt64LE(32));
  const phentsize = b.readUInt16LE(54);
  const phnum = b.readUInt16LE(56);
  let interp = false;
  for (let i = 0; i < phnum; i++) if (b.readUInt32LE(phoff + i * phentsize) === 3) interp = true;
  return { type: b.readUInt16LE(16), interp };
}
/**
 * No claim: the library a static program dlopens binds __rseq_size and __rseq_offset to the nested
 * ld.so's copies, which static dlopen never sets up (2.36 elf/rtld_static_init.c copies no rseq
 * variable), so they read 0 whatever the outer libc.a did; the area cannot be located.
 */
const nested = (stage: string) => stage === 'static-dlopen';

t.test('build', async (t) => {
  t.equal(build.exitCode, 0, `make succeeds\n${build.all}`);
  for (const name of ['probe-shared', 'probe-static', 'probe-static-malloc', 'libprobe-test-unregister.so'])
    t.ok(existsSync(join(bin, name)), `${name} built into OUT`);
  if (existsSync(join(bin, 'probe-static-pie'))) {
    t.same(elfKind(join(bin, 'probe-shared')), { type: 3, interp: true }, 'probe-shared: a PIE with ld.so');
    t.same(elfKind(join(bin, 'probe-static')), { type: 2, interp: false }, 'probe-static: ET_EXEC');
    t.same(
      elfKind(join(bin, 'probe-static-pie')),
      { type: 3, interp: false },
      'probe-static-pie: ET_DYN, no ld.so',
    );
  } else t.fail('probe-static-pie built into OUT');
  const stray = readdirSync(probesDir).filter((f) =>
    /\.(o|so)$|^probe-(shared|static)|^rp-seccomp-exec$/.test(f),
  );
  t.same(stray, [], 'nothing written into the source tree');
});

t.test('a libc without rcrt1.o: the static-pie programs say why instead', async (t) => {
  // A prefix with no glibc in it has no rcrt1.o: the makefile builds the plain static stand-in.
  const out = join(work, 'no-pie');
  const made = await execa(
    'make',
    [
      '-C',
      probesDir,
      `OUT=${out}`,
      `GLIBC_PREFIX=${join(work, 'empty-prefix')}`,
      join(out, 'probe-static-pie'),
    ],
    { reject: false, all: true },
  );
  t.equal(made.exitCode, 0, made.exitCode === 0 ? 'make succeeds' : `make fails:\n${made.all}`);
  t.equal(elfKind(join(out, 'probe-static-pie')).type, 2, 'a plain static stand-in (ET_EXEC)');
  const r = await execa(join(out, 'probe-static-pie'), ['main'], { reject: false });
  t.equal(r.exitCode, 77, 'exits 77');
  t.match(r.stderr, /no static-pie probe in this build: .*has no rcrt1\.o/, 'and names the reason');
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
          const noClaim = early || nested(stage);
          // The kernel drops the registration in a vfork child (CLONE_VM) while memory still
          // shows the parent's cpu_id; a static IFUNC resolver runs before registration.
          const unreg = early || stage === 'vfork-child';
          t.equal(o.kernel, unreg ? 'unregistered' : 'registered', 'kernel');
          t.equal(o.availErrno, 22, 'syscall available');
          t.equal(o.probeErrno, unreg ? 0 : 22, 'private area');
          t.equal(o.extra?.cleanupErrno, unreg ? 0 : null, 'private area unregistered again');
          t.equal(o.glibc.rseqSize, noClaim ? 0 : 20, '__rseq_size (Debian: 20)');
          t.equal(o.glibc.rseqFlags, 0, '__rseq_flags');
          t.equal(o.extra?.tls, !early, 'thread pointer');
          if (noClaim) {
            t.equal(
              o.glibc.rseqOffset,
              0,
              early ? '__rseq_offset not set yet' : "the nested ld.so's __rseq_offset",
            );
            t.equal(o.glibc.cpuId, null, 'no area: no cpu_id');
            t.equal(o.glibc.areaRegistered, null, 'no area: cannot tell');
          } else {
            t.ok((o.glibc.rseqOffset ?? 0) > 0, '__rseq_offset > 0 (x86_64: inside struct pthread)');
            offsets.add(o.glibc.rseqOffset);
            t.ok((o.glibc.cpuId ?? -1) >= 0, 'cpu_id >= 0');
            t.equal(o.glibc.areaRegistered, !unreg, "glibc's area is the registered one");
            t.equal(o.glibc.areaLen, unreg ? null : 32, 'registered with 32 bytes');
          }
          t.equal(o.extra?.rseqHandled, null, 'no __rseq_handled');
          t.equal(o.extra?.rseqAbiFound, looksUpAbi(stage, link) ? false : null, 'no __rseq_abi');
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
          const noClaim = noTls(stage, link) || nested(stage);
          t.equal(o.kernel, 'unregistered', 'kernel');
          t.equal(o.availErrno, 22);
          t.equal(o.probeErrno, 0);
          t.equal(o.extra?.cleanupErrno, 0);
          t.equal(o.glibc.rseqSize, 0, '__rseq_size 0');
          t.equal(o.glibc.cpuId, noClaim ? null : -2, 'cpu_id -2 (registration "failed")');
          t.equal(o.glibc.areaRegistered, noClaim ? null : false);
          t.equal(o.glibc.areaLen, null);
          if (!noClaim) t.ok((o.glibc.rseqOffset ?? 0) > 0, '__rseq_offset still valid');
        }
      });
    }
  }
});

/** The host kernel's auxiliary vector entries for rseq, as this Node process got them (0: absent). */
function hostAux(): { featureSize: number; align: number } {
  const b = readFileSync('/proc/self/auxv');
  let featureSize = 0;
  let align = 0;
  for (let i = 0; i + 16 <= b.length; i += 16) {
    const type = Number(b.readBigUInt64LE(i));
    const value = Number(b.readBigUInt64LE(i + 8));
    if (type === 0) break;
    if (type === 27) featureSize = value;
    if (type === 28) align = value;
  }
  return { featureSize, align };
}

/** [major, minor] of the running kernel (os.release(), e.g. "6.18.44-fc-v1272"). */
const kernelVersion = (): [number, number] => {
  const m = /^(\d+)\.(\d+)/.exec(release());
  return m ? [Number(m[1]), Number(m[2])] : [0, 0];
};
const atLeast = ([a, b]: [number, number], [c, d]: [number, number]) => a > c || (a === c && b >= d);

/**
 * What the source reading (docs/probe-protocol.md, "Kernel facts") predicts for a registration of
 * `len` bytes: up to 6.18 every return to user space after a context switch or signal rewrites the
 * ids; 6.19 (6.19.6's source) skips that on generic-IRQ-entry architectures (x86_64) unless the ids
 * changed, whatever the length; 7.x does so only for registrations longer than 32 bytes (rseq_v2).
 */
function predictedMode(v: [number, number], len: number): 'legacy' | 'optimized' {
  if (v[0] === 6 && v[1] === 19) return 'optimized';
  if (atLeast(v, [7, 0]) && len > 32) return 'optimized';
  return 'legacy';
}

t.test(
  'kernel facts (issue 15): the auxiliary vector at every stage, the mode at main and thread',
  async (t) => {
    if (!requirePrereq(t, BOOKWORM, notBookworm)) return;
    if (!requirePrereq(t, 'x86_64', isX86 ? false : `this host is ${process.arch}`)) return;
    const aux = hostAux();
    const v = kernelVersion();
    const fills = atLeast(v, [6, 3]) ? 'cpu_id_start,cpu_id,node_id,mm_cid' : 'cpu_id_start,cpu_id';
    for (const stage of ['main', 'thread', 'exe-ctor', 'ifunc-exe']) {
      for (const [link, inv] of Object.entries(stages[stage] ?? {}) as [Link, Invocation][]) {
        await t.test(`${stage}/${link}`, async (t) => {
          const r = await run(inv);
          for (const o of r.obs) {
            t.equal(
              o.extra?.auxRseqFeatureSize,
              aux.featureSize,
              `${o.stage}: AT_RSEQ_FEATURE_SIZE as the host's`,
            );
            t.equal(o.extra?.auxRseqAlign, aux.align, `${o.stage}: AT_RSEQ_ALIGN as the host's`);
            // The test runs only where it cannot change a later line: main when main is the stage, thread.
            const tested = o.stage === stage && (stage === 'main' || stage === 'thread');
            if (!tested) {
              t.same(
                [o.extra?.rseqMode, o.extra?.kernelFills, o.extra?.rseqModeTest],
                [null, null, null],
                `${o.stage}: no mode test`,
              );
              continue;
            }
            t.equal(o.glibc.areaLen, 32, 'glibc 2.36 registers 32 bytes');
            t.equal(o.extra?.rseqModeTest, 'done', 'the fork child reported');
            t.equal(o.extra?.rseqMode, predictedMode(v, 32), `${release()}, 32 bytes`);
            if (o.extra?.rseqMode === 'legacy')
              t.equal(o.extra?.kernelFills, fills, 'the fields the kernel rewrote');
            // The parent's own area was never written: its registration and ids are as before.
            t.equal(o.kernel, 'registered');
            t.ok((o.glibc.cpuId ?? -1) >= 0, 'cpu_id >= 0');
          }
        });
      }
    }
    await t.test('no registration: no test', async (t) => {
      const inv = stages.main?.shared as Invocation;
      const r = await run(inv, { env: { GLIBC_TUNABLES: 'glibc.pthread.rseq=0' } });
      const o = r.obs.find((x) => x.stage === 'main');
      t.equal(o?.extra?.rseqModeTest, 'no-glibc-registration');
      t.equal(o?.extra?.rseqMode, null);
      t.equal(o?.extra?.kernelFills, null);
    });
    await t.test('the test leaves the process as it was: a second observation agrees', async (t) => {
      // thread: main (not tested, stage thread) then the thread (tested); the process exits 0 and
      // both threads saw glibc's registration with the same length.
      const r = await run(stages.thread?.static as Invocation);
      t.equal(r.exitCode, 0);
      const [main, thread] = ['main', 'thread'].map((s) => r.obs.find((o) => o.stage === s));
      t.equal(main?.glibc.areaLen, 32);
      t.equal(thread?.glibc.areaLen, 32);
      t.equal(thread?.extra?.rseqModeTest, 'done');
    });
  },
);

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

  await t.test('a thread made by a preload constructor while the creator is unregistered', async (t) => {
    // What a design that registers after the preload constructors would give preload-thread. ld.so
    // runs the initializers of independent preloaded objects in reverse LD_PRELOAD order, so
    // libprobe-test-unregister.so (listed second) unregisters before the thread is made.
    const inv = shared('preload-thread');
    const r = await run(inv, {
      env: { LD_PRELOAD: `${sub(inv.env.LD_PRELOAD ?? '')}:${join(bin, 'libprobe-test-unregister.so')}` },
    });
    const [o] = cellObs(t, r, 'preload-thread');
    t.equal(o?.kernel, 'unregistered', 'the thread is not registered');
    t.equal(o?.glibc.rseqSize, 20, 'while glibc claims 20');
    t.equal(o?.glibc.cpuId, -2, 'start_thread was not asked to register (creator cpu_id -1)');
    t.equal(o?.glibc.areaRegistered, false);
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

t.test('the stages the 2019 thread named (issue 14, item 7): where and when they run', async (t) => {
  if (!requirePrereq(t, BOOKWORM, notBookworm)) return;
  const inv = (stage: string, link: Link = 'shared') => stages[stage]?.[link] as Invocation;
  const order = (r: Run) => r.obs.map((o) => o.stage);
  const before = (t: TT, r: Run, a: string, b: string) =>
    t.ok(order(r).indexOf(a) >= 0 && order(r).indexOf(a) < order(r).indexOf(b), `${a} before ${b}`);

  await t.test('initfirst-ctor: first of all initializers, before libc.so and ld.so', async (t) => {
    const r = await run(inv('initfirst-ctor'), { env: { LD_DEBUG: 'files' } });
    cellObs(t, r, 'initfirst-ctor');
    before(t, r, 'initfirst-ctor', 'preinit-array');
    before(t, r, 'initfirst-ctor', 'exe-ctor');
    // LD_DEBUG also reaches the bash that execs the probe (same pid): keep the probe's own part, from
    // bash's "transferring control" to the probe's "initialize program".
    const end = r.stderr.search(/initialize program: \S*probe-shared-initfirst/);
    const log = r.stderr.slice(Math.max(0, r.stderr.lastIndexOf('transferring control:', end)), end);
    t.ok(end > 0, "ld.so's log of the probe");
    const inits = [...log.matchAll(/calling init: (\S+)/g)].map((m) => m[1] ?? '');
    t.match(inits[0] ?? '', /\/libprobe-initfirst\.so$/, 'ld.so calls its initializer first');
    t.ok(
      inits.some((p) => /\/libc\.so\.6$/.test(p)),
      `and libc.so.6's later (${inits.map((p) => p.split('/').pop()).join(', ')})`,
    );
  });

  await t.test('audit-activity and audit-objsearch: while ld.so loads, after la_objopen', async (t) => {
    const r = await run(inv('audit-activity'));
    cellObs(t, r, 'audit-activity');
    t.equal(r.obs.filter((o) => o.stage === 'audit-objsearch').length, 1, 'one la_objsearch line');
    before(t, r, 'audit-version', 'audit-objopen');
    before(t, r, 'audit-objopen', 'audit-activity');
    before(t, r, 'audit-activity', 'audit-objsearch');
    before(t, r, 'audit-objsearch', 'ifunc-dso');
  });

  await t.test('audit-symbind: while ld.so relocates the program, before its IFUNC', async (t) => {
    const r = await run(inv('audit-symbind'));
    const [o] = cellObs(t, r, 'audit-symbind');
    t.equal(o?.extra?.symbindFlags, 3, 'a bind-now JUMP_SLOT: LA_SYMB_NOPLTENTER|LA_SYMB_NOPLTEXIT');
    t.match(o?.extra?.symbindName, /^[A-Za-z_][\w.@$]*$/, 'the symbol bound');
    before(t, r, 'ifunc-dso', 'audit-symbind');
    before(t, r, 'audit-symbind', 'ifunc-exe');
    before(t, r, 'audit-symbind', 'preinit-array');
  });

  await t.test('preload-thread: another thread, during the preload constructor', async (t) => {
    const r = await run(inv('preload-thread'));
    const [o] = cellObs(t, r, 'preload-thread');
    t.not(o?.tid, o?.pid, 'observed in a thread of its own');
    before(t, r, 'preinit-array', 'preload-thread');
    before(t, r, 'preload-thread', 'exe-ctor');
  });

  for (const link of ['shared', 'static', 'static-pie'] as const)
    await t.test(`signal-early/${link}: handled inside the IFUNC resolver`, async (t) => {
      const r = await run(inv('signal-early', link));
      const [o] = cellObs(t, r, 'signal-early');
      t.equal(r.stderr, '', 'no complaint from the resolver (SIGUSR1 was handled before tgkill returned)');
      t.equal(o?.tid, o?.pid, 'in the main thread');
      before(t, r, 'signal-early', 'preinit-array');
    });

  for (const link of ['static', 'static-pie'] as const)
    await t.test(
      `static-dlopen/${link}: the nested libc claims nothing while the thread is registered`,
      async (t) => {
        const r = await run(inv('static-dlopen', link));
        const [o] = cellObs(t, r, 'static-dlopen');
        const main = r.obs.find((x) => x.stage === 'main');
        t.equal(main?.glibc.rseqSize, 20, "main reads libc.a's __rseq_size");
        t.equal(o?.kernel, 'registered', 'the same thread, registered by libc.a');
        t.equal(o?.glibc.rseqSize, 0, "the library reads the nested ld.so's __rseq_size: 0");
        t.equal(o?.glibc.rseqOffset, 0, 'and its __rseq_offset: 0');
        t.equal(o?.extra?.rseqAbiFound, false, 'its libc.so.6 has no __rseq_abi');
        before(t, r, 'main', 'static-dlopen');
      },
    );
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
            const noClaim = noTls(stage, link) || nested(stage);
            t.equal(o.kernel, 'unavailable', 'kernel');
            t.equal(o.availErrno, errno, 'availability errno');
            t.equal(o.probeErrno, errno, 'probe errno');
            t.equal(o.glibc.rseqSize, 0, 'glibc gave up: __rseq_size 0');
            t.equal(o.glibc.cpuId, noClaim ? null : -2, 'cpu_id -2');
            t.equal(o.glibc.areaRegistered, null, 'cannot tell without the syscall');
          }
        });
      }
    }
  });
}
