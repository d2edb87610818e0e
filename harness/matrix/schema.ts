/**
 * The matrix file's schema (JSON Schema, built with TypeBox so the TypeScript types follow from it).
 * Structure only; cross-references (ids, rules that cover every cell) are checked in validate.ts.
 */
import { type Static, Type } from '@sinclair/typebox';
import { LINKS, STATES } from '../model/catalogue.js';
import { GLIBC_TEST_OUTCOMES } from '../model/results.js';

export const MATRIX_SCHEMA_VERSION = 1;
export const SUITES = ['bullseye', 'bookworm', 'trixie', 'sid'] as const;

const Id = Type.String({ pattern: '^[a-z0-9][a-z0-9._-]*$', maxLength: 64 });
/** A stage: an id, or `client:<id>` for the real clients. */
const StageId = Type.String({ pattern: '^(client:)?[a-z0-9][a-z0-9._-]*$', maxLength: 64 });
const Text = Type.String({ minLength: 1 });
const Strict = { additionalProperties: false } as const;

const Suite = Type.Union(SUITES.map((s) => Type.Literal(s)));
export const SOURCES = ['stock', 'debian', 'tarball', 'git'] as const;
const Sha256 = Type.String({ pattern: '^[0-9a-f]{64}$' });
/** Extra arguments to glibc's configure, after the harness's own (--prefix, --disable-werror). */
const Configure = Type.Optional(Type.Array(Type.String({ pattern: '^--[a-z0-9-]+(=.*)?$' })));

/** What every glibc entry has; its `source` picks the schema of the rest (checked in a second step). */
export const GlibcCommon = Type.Object(
  { id: Id, source: Type.Union(SOURCES.map((s) => Type.Literal(s))) },
  { additionalProperties: true },
);

export const StockGlibc = Type.Object(
  {
    id: Id,
    source: Type.Literal('stock'),
    /** The Debian suite whose toolchain image (and so whose libc) is used. */
    suite: Suite,
    description: Type.Optional(Text),
  },
  Strict,
);

export const DebianGlibc = Type.Object(
  {
    id: Id,
    source: Type.Literal('debian'),
    debian: Type.Object(
      {
        suite: Type.Union([...SUITES, 'experimental'].map((s) => Type.Literal(s))),
        /** A Debian version such as 2.36-9+deb12u14, or `latest`: the newest in the suite. */
        version: Type.Optional(Type.String({ pattern: '^(latest|[0-9][A-Za-z0-9.+~:-]*)$' })),
        /** Apply Debian's own patch series (default: no, the pristine upstream tree). */
        debianPatches: Type.Optional(Type.Boolean()),
        mirror: Type.Optional(Type.String({ pattern: '^https?://' })),
      },
      Strict,
    ),
    /** The toolchain suite (default: the source's suite; sid for experimental). */
    suite: Type.Optional(Suite),
    configure: Configure,
    description: Type.Optional(Text),
  },
  Strict,
);

export const TarballGlibc = Type.Object(
  {
    id: Id,
    source: Type.Literal('tarball'),
    tarball: Type.Object(
      {
        path: Type.Optional(Text),
        url: Type.Optional(Type.String({ pattern: '^https?://' })),
        sha256: Sha256,
      },
      Strict,
    ),
    suite: Suite,
    configure: Configure,
    description: Type.Optional(Text),
  },
  Strict,
);

export const GitGlibc = Type.Object(
  {
    id: Id,
    source: Type.Literal('git'),
    git: Type.Object({ path: Text, ref: Type.Optional(Text) }, Strict),
    suite: Suite,
    configure: Configure,
    description: Type.Optional(Text),
  },
  Strict,
);

export const GLIBC_SCHEMAS = {
  stock: StockGlibc,
  debian: DebianGlibc,
  tarball: TarballGlibc,
  git: GitGlibc,
} as const;

/**
 * A kernel the probes run on: the host's (`host: true`, id `host`: Docker shares it), a Debian kernel
 * package booted under QEMU (harness/builder/kernels.ts resolves it on the mirror), or Debian's
 * user-mode-linux (a real kernel without rseq). One schema with every kind's key, so an unknown key is
 * named with all the allowed ones; validate.ts checks that an entry has exactly one kind.
 */
export const KernelEntrySchema = Type.Object(
  {
    id: Id,
    description: Type.Optional(Text),
    host: Type.Optional(Type.Literal(true)),
    debian: Type.Optional(
      Type.Object(
        {
          /** A suite of the mirror's dists/ (bookworm, trixie, bookworm-backports, ...). */
          suite: Type.String({ pattern: '^[a-z][a-z0-9-]*$', maxLength: 64 }),
          /** A binary package that holds a kernel image, or a metapackage that leads to one. */
          package: Type.String({ pattern: '^[a-z0-9][a-z0-9+.-]+$', maxLength: 128 }),
          /** A Debian version of the package, or `latest` (the default): the newest in the suite. */
          version: Type.Optional(Type.String({ pattern: '^(latest|[0-9][A-Za-z0-9.+~:-]*)$' })),
          mirror: Type.Optional(Type.String({ pattern: '^https?://' })),
        },
        Strict,
      ),
    ),
    uml: Type.Optional(Type.Literal(true)),
  },
  Strict,
);

/** The keys that say which kernel an entry is, in the order messages list them. */
export const KERNEL_KINDS = ['host', 'debian', 'uml'] as const;
export type KernelKind = (typeof KERNEL_KINDS)[number];

type KernelBase = { id: string; description?: string };
/** A checked `kernels:` entry (validate.ts): exactly one kind. */
export type KernelEntry =
  | (KernelBase & { host: true })
  | (KernelBase & { debian: NonNullable<Static<typeof KernelEntrySchema>['debian']> })
  | (KernelBase & { uml: true });

export const Variant = Type.Object(
  {
    id: Id,
    description: Type.Optional(Text),
    /**
     * Patch files under the repository's patches/, applied in order: one list for every glibc entry
     * the variant applies to, or a list per glibc entry (a port of the same design to another version).
     */
    patches: Type.Optional(Type.Union([Type.Array(Text), Type.Record(Id, Type.Array(Text))])),
    /** The glibc entries this variant applies to (default: all). */
    glibc: Type.Optional(Type.Array(Id, { minItems: 1 })),
  },
  Strict,
);

const Pattern = Type.Union([Text, Type.Array(Text, { minItems: 1 })]);

/** Which cells a rule is about: any axis, by id, glob or list. */
const RuleMatch = Type.Object(
  {
    glibc: Type.Optional(Pattern),
    variant: Type.Optional(Pattern),
    kernel: Type.Optional(Pattern),
    link: Type.Optional(Pattern),
    scenario: Type.Optional(Pattern),
    stage: Type.Optional(Pattern),
  },
  Strict,
);

export const ExpectRule = Type.Object(
  {
    match: Type.Optional(RuleMatch),
    /**
     * The state the cells must show; `skip` leaves them out; `any` records what they show without judging
     * it (a measured cell passes whatever its state; `rseq-matrix review` plans its cells so).
     */
    expect: Type.Union([...STATES.map((s) => Type.Literal(s)), Type.Literal('skip'), Type.Literal('any')]),
    why: Text,
    /**
     * Client stages only: the client (a selftest) is expected to fail in these cells, as `why` says.
     * Its failure is then a pass; its passing, a fail.
     */
    clientFails: Type.Optional(Type.Boolean()),
  },
  Strict,
);

/**
 * What the cells' observations must show beside their state (`expectFacts:`), the facts that depend on
 * the kernel: `__rseq_size` as glibc claims it, the length of glibc's registration, the auxiliary
 * vector's AT_RSEQ_FEATURE_SIZE and AT_RSEQ_ALIGN (0: the kernel gives none), and the kernel's mode for
 * the registration (docs/probe-protocol.md, "Kernel facts"). Each fact of a cell is decided by the most
 * specific rule that names it.
 */
export const FACT_KEYS = ['rseqSize', 'rseqLen', 'featureSize', 'align', 'mode'] as const;
export type FactKey = (typeof FACT_KEYS)[number];
const Size = Type.Integer({ minimum: 0, maximum: 65536 });
export const ExpectFactRule = Type.Object(
  {
    match: Type.Optional(RuleMatch),
    rseqSize: Type.Optional(Size),
    rseqLen: Type.Optional(Size),
    featureSize: Type.Optional(Size),
    align: Type.Optional(Size),
    mode: Type.Optional(Type.Union([Type.Literal('legacy'), Type.Literal('optimized')])),
    why: Text,
  },
  Strict,
);

/**
 * An expectation for glibc's own tests (options.glibcTests), per build (glibc x variant): the outcome
 * glibc's test harness should report. Resolved like `expect` (the rule that pins the most axes wins).
 */
export const ExpectTestRule = Type.Object(
  {
    match: Type.Optional(
      Type.Object(
        {
          glibc: Type.Optional(Pattern),
          variant: Type.Optional(Pattern),
          test: Type.Optional(Pattern),
        },
        Strict,
      ),
    ),
    expect: Type.Union(GLIBC_TEST_OUTCOMES.map((o) => Type.Literal(o))),
    why: Text,
  },
  Strict,
);

export const MatrixSchema = Type.Object(
  {
    schemaVersion: Type.Literal(MATRIX_SCHEMA_VERSION),
    name: Id,
    description: Type.Optional(Text),
    glibc: Type.Array(GlibcCommon, { minItems: 1 }),
    variants: Type.Array(Variant, { minItems: 1 }),
    /** The kernels every build is probed on (absent: the host's alone, `[{ id: host, host: true }]`). */
    kernels: Type.Optional(Type.Array(KernelEntrySchema, { minItems: 1 })),
    links: Type.Array(Type.Union(LINKS.map((l) => Type.Literal(l))), { minItems: 1, uniqueItems: true }),
    scenarios: Type.Array(Id, { minItems: 1, uniqueItems: true }),
    stages: Type.Array(StageId, { minItems: 1, uniqueItems: true }),
    expect: Type.Array(ExpectRule, { minItems: 1 }),
    clients: Type.Optional(
      Type.Object(
        {
          /** Where the Linux rseq selftests come from: Debian's `linux` source package. */
          selftests: Type.Optional(
            Type.Object(
              {
                suite: Type.Optional(Type.String({ pattern: '^[a-z]+$' })),
                /** A Debian version of `linux` (e.g. 6.12.8-1), or latest (the default). */
                version: Type.Optional(Type.String({ pattern: '^(latest|[0-9][A-Za-z0-9.+~:-]*)$' })),
                mirror: Type.Optional(Type.String({ pattern: '^https?://' })),
              },
              Strict,
            ),
          ),
        },
        Strict,
      ),
    ),
    options: Type.Optional(
      Type.Object(
        {
          /** Seconds one probe process may run before its process group is killed. */
          probeTimeout: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 600 })),
          /**
           * Where the variants' patch paths are taken from, relative to the matrix file (default: the
           * repository's patches/). `rseq-matrix review` writes a series' patches beside its matrix so.
           */
          patchesDir: Type.Optional(Type.String({ minLength: 1, pattern: '^[^/]' })),
          /** glibc's own tests to run from each build tree, e.g. misc/tst-rseq. */
          glibcTests: Type.Optional(Type.Array(Type.String({ pattern: '^[a-z0-9_-]+/[A-Za-z0-9_.+-]+$' }))),
        },
        Strict,
      ),
    ),
    /**
     * What each of options.glibcTests should report in each build. When present, every test must be
     * covered for every build; without it the outcomes are recorded but not judged.
     */
    expectTests: Type.Optional(Type.Array(ExpectTestRule, { minItems: 1 })),
    /** Kernel-dependent facts the measured cells must show (ExpectFactRule). */
    expectFacts: Type.Optional(Type.Array(ExpectFactRule, { minItems: 1 })),
  },
  Strict,
);

export type MatrixDoc = Omit<Static<typeof MatrixSchema>, 'glibc' | 'kernels'> & {
  glibc: GlibcEntry[];
  kernels?: KernelEntry[];
};
export type GlibcEntry =
  | Static<typeof StockGlibc>
  | Static<typeof DebianGlibc>
  | Static<typeof TarballGlibc>
  | Static<typeof GitGlibc>;
export type VariantEntry = Static<typeof Variant>;
export type ExpectRuleDoc = Static<typeof ExpectRule>;
export type ExpectTestRuleDoc = Static<typeof ExpectTestRule>;
export type ExpectFactRuleDoc = Static<typeof ExpectFactRule>;
