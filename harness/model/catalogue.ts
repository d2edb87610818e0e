/**
 * The fixed vocabulary of a matrix: links, scenarios, stages (probe points), axes and the kernel's states.
 * Pure data: the matrix schema, expansion, the probe plan, the verdicts and the results schema all read it.
 */

/**
 * shared: a PIE with ld.so as interpreter; static: a plain static executable (-static, ET_EXEC);
 * static-pie: a static executable that relocates itself at start-up (-static-pie, rcrt1.o:
 * __libc_start_main calls _dl_relocate_static_pie, which also runs the IFUNC resolvers).
 */
export const LINKS = ['shared', 'static', 'static-pie'] as const;
export type Link = (typeof LINKS)[number];
/** The links whose executable carries its own libc (libc.a): no ld.so, no LD_PRELOAD, no LD_AUDIT. */
const STATIC_LINKS = ['static', 'static-pie'] as const;
/** Every link: a stage that applies wherever a program starts. */
const ALL_LINKS = ['shared', ...STATIC_LINKS] as const;

export interface ScenarioDef {
  id: string;
  summary: string;
  /** Environment given to every probe process of the scenario. */
  env: Record<string, string>;
  /** A seccomp profile that makes rseq fail with this errno (none: Docker's default profile). */
  seccompRseqErrno?: 'EPERM' | 'ENOSYS';
}

export const SCENARIOS: readonly ScenarioDef[] = [
  { id: 'default', summary: "no tunables, Docker's default seccomp profile", env: {} },
  {
    id: 'tunable-off',
    summary: 'GLIBC_TUNABLES=glibc.pthread.rseq=0',
    env: { GLIBC_TUNABLES: 'glibc.pthread.rseq=0' },
  },
  {
    id: 'seccomp-eperm',
    summary: 'a seccomp profile that allows every system call but rseq, which fails with EPERM',
    env: {},
    seccompRseqErrno: 'EPERM',
  },
  {
    id: 'seccomp-enosys',
    summary: 'a seccomp profile that allows every system call but rseq, which fails with ENOSYS',
    env: {},
    seccompRseqErrno: 'ENOSYS',
  },
];

export interface StageDef {
  id: string;
  /** Where the probe runs. */
  summary: string;
  links: readonly Link[];
  /** Why the stage has no meaning for the links it lacks. */
  notApplicable?: string;
  /** Why the stage has no meaning for one link in particular (before notApplicable, which may speak of scenarios). */
  linkNotApplicable?: Partial<Record<Link, string>>;
  /** The scenarios the stage runs in (absent: all). */
  scenarios?: readonly string[];
  /** A client stage: a real rseq user, run against the build (docs/probe-protocol.md, "Clients"). */
  client?: ClientDef;
}

export type ClientDef =
  | {
      kind: 'selftest';
      /**
       * A program probes/clients.mk compiles against the build into the clients folder: a Linux selftest
       * (tools/testing/selftests/rseq), or client-rseq-2019 (`rseq-2019`), the 2019-ABI client.
       */
      program: string;
      /** Run through the selftests' run_param_test.sh, only with `run --thorough`. */
      thorough?: boolean;
    }
  | {
      kind: 'valgrind';
      /** The probe stage run under valgrind, whose observations stand for the cell. */
      probeStage: string;
    };

const CLIENT_SCENARIOS = ['default'] as const;
const CLIENT_NOT_APPLICABLE = 'clients run in the default scenario only';
/**
 * The selftests are built shared and static (probes/clients.mk). A static-pie build would only restate
 * the static cells: the self-relocation (and every IFUNC resolver with it) is over before TLS set-up,
 * registration and constructors, and the selftests look only from main on.
 */
const SELFTEST_NOT_STATIC_PIE =
  "the selftests are built shared and static only: static-pie's self-relocation ends before TLS set-up and registration, so from main on (where a selftest looks) it starts as static does";

/**
 * Built shared and static (probes/clients.mk). Its constructor, where it reads __rseq_handled and
 * registers or checks, runs after static-pie's self-relocation, TLS set-up and libc.a's registration
 * point, as in the static program.
 */
const RSEQ_2019_NOT_STATIC_PIE =
  "the 2019 client is built shared and static only: its constructor runs after static-pie's self-relocation, TLS set-up and libc.a's registration, where the static program's does";

/**
 * The real clients, as stages `client:<name>`: the Linux rseq selftests (clients of the 2.35 ABI: they
 * find glibc's registration through __rseq_size and __rseq_offset), a client of the 2019 ABI
 * (__rseq_handled and a TLS __rseq_abi), and valgrind.
 */
export const CLIENT_STAGES: readonly StageDef[] = [
  ...(['basic_test', 'basic_percpu_ops_test', 'basic_percpu_ops_mm_cid_test'] as const).map(
    (program): StageDef => ({
      id: `client:${program}`,
      summary: `the Linux rseq selftest ${program}, a client of the 2.35 ABI (__rseq_size, __rseq_offset)`,
      links: ['shared', 'static'],
      scenarios: CLIENT_SCENARIOS,
      notApplicable: CLIENT_NOT_APPLICABLE,
      linkNotApplicable: { 'static-pie': SELFTEST_NOT_STATIC_PIE },
      client: { kind: 'selftest', program },
    }),
  ),
  {
    id: 'client:param_test',
    summary:
      "the Linux rseq selftests' run_param_test.sh (param_test and its forms; with run --thorough), clients of the 2.35 ABI",
    links: ['shared', 'static'],
    scenarios: CLIENT_SCENARIOS,
    notApplicable: CLIENT_NOT_APPLICABLE,
    linkNotApplicable: { 'static-pie': SELFTEST_NOT_STATIC_PIE },
    client: { kind: 'selftest', program: 'run_param_test.sh', thorough: true },
  },
  {
    id: 'client:rseq-2019',
    summary:
      "a client of the 2019 ABI (probes/client-rseq-2019.c): reads __rseq_handled, registers its own __rseq_abi or uses glibc's, and runs a per-cpu restartable increment",
    links: ['shared', 'static'],
    scenarios: CLIENT_SCENARIOS,
    notApplicable: CLIENT_NOT_APPLICABLE,
    linkNotApplicable: { 'static-pie': RSEQ_2019_NOT_STATIC_PIE },
    client: { kind: 'selftest', program: 'rseq-2019' },
  },
  {
    id: 'client:valgrind',
    summary: 'the probe program under valgrind, which answers rseq(2) with ENOSYS',
    // static-pie too: valgrind loads the self-relocating executable itself, and glibc's static-pie
    // start must still cope with ENOSYS (probe-static-pie main).
    links: ALL_LINKS,
    scenarios: CLIENT_SCENARIOS,
    notApplicable: CLIENT_NOT_APPLICABLE,
    client: { kind: 'valgrind', probeStage: 'main' },
  },
];

export const STAGES: readonly StageDef[] = [
  { id: 'ifunc-exe', summary: 'an IFUNC resolver in the main executable', links: ALL_LINKS },
  {
    id: 'signal-early',
    summary: 'a signal handler, for SIGUSR1 raised from an IFUNC resolver of the main executable',
    links: ALL_LINKS,
  },
  {
    id: 'ifunc-preload',
    summary: 'an IFUNC resolver in an LD_PRELOAD library',
    links: ['shared'],
    notApplicable: 'a static executable loads no LD_PRELOAD library',
  },
  {
    id: 'ifunc-dso',
    summary: 'an IFUNC resolver in a DT_NEEDED library',
    links: ['shared'],
    notApplicable: 'a static executable has no DT_NEEDED library',
  },
  {
    id: 'audit-version',
    summary: "an LD_AUDIT module's la_version",
    links: ['shared'],
    notApplicable: 'LD_AUDIT is a feature of the dynamic loader',
  },
  {
    id: 'audit-objopen',
    summary: 'la_objopen for the main program',
    links: ['shared'],
    notApplicable: 'LD_AUDIT is a feature of the dynamic loader',
  },
  {
    id: 'audit-activity',
    summary: 'la_activity(LA_ACT_ADD), when ld.so starts loading the initial objects',
    links: ['shared'],
    notApplicable: 'LD_AUDIT is a feature of the dynamic loader',
  },
  {
    id: 'audit-objsearch',
    summary: "la_objsearch, for the first name ld.so searches (the program's first DT_NEEDED)",
    links: ['shared'],
    notApplicable: 'LD_AUDIT is a feature of the dynamic loader',
  },
  {
    id: 'audit-symbind',
    summary:
      'la_symbind64, for the first binding of a symbol the main program refers to (with -z now: while ld.so relocates the program)',
    links: ['shared'],
    notApplicable: 'LD_AUDIT is a feature of the dynamic loader',
  },
  {
    id: 'audit-preinit',
    summary: 'la_preinit',
    links: ['shared'],
    notApplicable: 'LD_AUDIT is a feature of the dynamic loader',
  },
  {
    id: 'initfirst-ctor',
    summary: 'the constructor of a DT_NEEDED library linked with -z initfirst (DF_1_INITFIRST: first of all)',
    links: ['shared'],
    notApplicable:
      'a static executable has no DT_NEEDED library; DF_1_INITFIRST orders the initializers ld.so runs',
  },
  {
    id: 'preload-ctor',
    summary: 'the constructor of an LD_PRELOAD library',
    links: ['shared'],
    notApplicable: 'a static executable loads no LD_PRELOAD library',
  },
  {
    id: 'preload-ctor-cycle',
    summary: 'constructors of two preloaded libraries that depend on each other',
    links: ['shared'],
    notApplicable: 'a static executable loads no LD_PRELOAD library',
  },
  {
    id: 'preload-thread',
    summary: "the start routine of a thread created by an LD_PRELOAD library's constructor",
    links: ['shared'],
    notApplicable: 'a static executable loads no LD_PRELOAD library',
  },
  { id: 'malloc-first', summary: 'the first call into an interposed malloc', links: ALL_LINKS },
  { id: 'preinit-array', summary: "the main executable's DT_PREINIT_ARRAY", links: ALL_LINKS },
  { id: 'exe-ctor', summary: 'a constructor of the main executable', links: ALL_LINKS },
  { id: 'main', summary: 'main', links: ALL_LINKS },
  { id: 'thread', summary: "a new pthread's start routine", links: ALL_LINKS },
  { id: 'fork-child', summary: 'the child of fork, before exec', links: ALL_LINKS },
  { id: 'vfork-child', summary: 'the child of vfork, before exec', links: ALL_LINKS },
  {
    id: 'dlopen-ctor',
    summary: 'the constructor of a library loaded with dlopen',
    links: ['shared'],
    notApplicable: 'dlopen from a static executable is the static-dlopen stage',
  },
  {
    id: 'dlmopen-ctor',
    summary: 'the constructor of a library loaded with dlmopen(LM_ID_NEWLM)',
    links: ['shared'],
    notApplicable: 'dlmopen from a static executable is not part of the matrix',
  },
  {
    id: 'static-dlopen',
    summary:
      "the constructor of a library dlopen'ed from a static executable (it brings a second, nested libc)",
    links: STATIC_LINKS,
    notApplicable: "a dynamic program's dlopen loads no second libc; that case is the dlopen-ctor stage",
  },
];

export const ALL_STAGES: readonly StageDef[] = [...STAGES, ...CLIENT_STAGES];

export function isClientStage(id: string): boolean {
  return id.startsWith('client:');
}

/**
 * The axes of a cell, in the order of its id (model/cell.ts). `kernel` is the kernel the probes run on: a
 * matrix's `kernels:` entry (matrix/schema.ts), HOST_KERNEL when the matrix names none.
 */
export const AXES = ['glibc', 'variant', 'kernel', 'link', 'scenario', 'stage'] as const;
export type Axis = (typeof AXES)[number];

/**
 * The kernel id that means the host's own kernel (the one Docker shares with the containers): the whole
 * kernel axis of a matrix without `kernels:`. Its cells keep the ids they had before there was an axis.
 */
export const HOST_KERNEL = 'host';

export const STATES = ['registered', 'unregistered', 'unavailable'] as const;
/** What the kernel says of the probing thread: rseq registered, not registered, or refused outright. */
export type RseqState = (typeof STATES)[number];

export function isRseqState(s: unknown): s is RseqState {
  return (STATES as readonly unknown[]).includes(s);
}

export function stageDef(id: string): StageDef | undefined {
  return ALL_STAGES.find((s) => s.id === id);
}
export function scenarioDef(id: string): ScenarioDef | undefined {
  return SCENARIOS.find((s) => s.id === id);
}
