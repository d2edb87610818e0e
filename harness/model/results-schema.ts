/**
 * The results file's schema (JSON Schema, built with TypeBox), checked when `report`, `compare` and
 * `merge` read a results.json (harness/results/store.ts readResults). Strict on what those readers rely
 * on (the run, the environment, the builds, every cell's coordinates, status, expectation, observation and
 * the types of the fields around them, the summary), and open to properties it does not name, so a file
 * with more (a merged run's run.mergedFrom, a future optional field) is read. It describes the current
 * version: an older file is upgraded first (results-upgrade.ts). Pure: no I/O.
 */
import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { Ajv, type ErrorObject } from 'ajv';
import { LINKS, STATES } from './catalogue.js';
import type { FieldPath } from './field-path.js';
import { type CellStatus, GLIBC_TEST_OUTCOMES, GROUP_STEPS, RESULTS_SCHEMA_VERSION } from './results.js';

const STATUSES: readonly CellStatus[] = ['pass', 'fail', 'error', 'skip'];

/** A string that is one of `values`: one JSON Schema `enum`, so a wrong value gives one error naming them. */
function OneOf<const T extends string>(values: readonly T[]) {
  return Type.Unsafe<T>({ type: 'string', enum: [...values] });
}

/** The schema or null, as one `type` list (and `enum` with null), so a wrong value gives one error. */
function OrNull<S extends TSchema>(s: S) {
  const { type, enum: values, ...rest } = s as TSchema & { type?: string; enum?: unknown[] };
  return Type.Unsafe<Static<S> | null>({
    ...rest,
    type: [type, 'null'],
    ...(values ? { enum: [...values, null] } : {}),
  });
}

const Str = Type.String();
const Num = Type.Number();
const Int = Type.Integer();
const Bool = Type.Boolean();

const Run = Type.Object({
  id: Str,
  startedAt: Str,
  finishedAt: OrNull(Str),
  durationMs: Num,
  matrix: Type.Object({ path: Str, name: Str, digest: Str }),
  argv: Type.Array(Str),
  filter: OrNull(Str),
  shard: OrNull(Type.Object({ index: Type.Integer({ minimum: 0 }), count: Type.Integer({ minimum: 1 }) })),
  complete: Bool,
  interrupted: OrNull(Str),
});

/** What JUnit and merge read of the host is required; what the engine may leave out need only be typed. */
const Environment = Type.Object({
  kernel: Str,
  arch: Type.Optional(Str),
  hostname: Str,
  node: Type.Optional(Str),
  tool: Type.Optional(Str),
  docker: Type.Object({
    version: Type.Optional(OrNull(Str)),
    apiVersion: Type.Optional(OrNull(Str)),
    negotiatedApiVersion: Type.Optional(OrNull(Str)),
    host: Str,
    seccomp: Type.Optional(OrNull(Bool)),
    storageDriver: Type.Optional(OrNull(Str)),
  }),
});

/** A judged glibc test (GlibcTestVerdict): compare and the report read every field but `reason`. */
const GlibcTestVerdict = Type.Object({
  test: Str,
  outcome: OrNull(Str),
  expected: OneOf(GLIBC_TEST_OUTCOMES),
  verdict: OneOf(['pass', 'fail']),
  rule: Int,
  why: Str,
  reason: Type.Optional(Str),
});

const Build = Type.Object({
  key: Str,
  glibc: Str,
  variant: Str,
  status: OneOf(['ok', 'error']),
  cached: Bool,
  durationMs: Num,
  description: Str,
  reason: Type.Optional(Str),
  logTail: Type.Optional(Str),
  glibcTests: Type.Optional(Type.Record(Str, Str)),
  glibcTestVerdicts: Type.Optional(Type.Array(GlibcTestVerdict)),
});

const Group = Type.Object({
  id: Str,
  glibc: Str,
  variant: Str,
  kernel: Str,
  executor: Str,
  steps: Type.Array(
    Type.Object({
      step: OneOf(GROUP_STEPS),
      scenario: Type.Optional(Str),
      status: OneOf(['ok', 'failed', 'skipped']),
      durationMs: Num,
      reason: Type.Optional(Str),
      cells: Type.Optional(Int),
    }),
  ),
});

const Expected = Type.Object({
  state: OneOf([...STATES, 'skip', 'any']),
  registered: OrNull(Bool),
  rule: Int,
  why: Str,
  clientFails: Type.Optional(Bool),
  facts: Type.Optional(
    Type.Record(Type.String(), Type.Object({ value: Type.Union([Type.Number(), Str]), rule: Int, why: Str })),
  ),
});

const Observed = Type.Object({
  state: OrNull(OneOf([...STATES, 'mixed'])),
  registered: OrNull(Bool),
  consistent: OrNull(Bool),
  inconsistency: Type.Optional(Str),
  owner: Type.Optional(OneOf(['glibc', 'test', 'none', 'mixed'])),
});

/** The ptrace observer's reading of one observation (PtraceReading): the verdict reads `registered`. */
const PtraceReading = Type.Object({
  errno: Int,
  address: OrNull(Str),
  length: OrNull(Int),
  signature: OrNull(Str),
  flags: OrNull(Int),
  registered: OrNull(Bool),
});

/** As much of an observation as harness/probe/parse.ts demands of a probe's line before it keeps it. */
const Observation = Type.Object({
  stage: Str,
  kernel: OneOf(STATES),
  glibc: Type.Object({}),
  ptrace: Type.Optional(OrNull(PtraceReading)),
});

/** A cell's ptrace observer record (PtraceCell). */
const PtraceCell = Type.Object({
  command: Str,
  log: Str,
  readings: Int,
  paired: Int,
  unpaired: Int,
  orphans: Int,
});

const Cell = Type.Object({
  id: Str,
  glibc: Str,
  variant: Str,
  /** The kernel axis (version 2 on; results-upgrade.ts gives a version-1 cell the host's). */
  kernel: Str,
  link: OneOf(LINKS),
  scenario: Str,
  stage: Str,
  status: OneOf(STATUSES),
  reason: Type.Optional(Str),
  expected: Expected,
  observed: Observed,
  observations: Type.Array(Observation),
  /** The report templates the command and cuts the tail: those must be strings; the rest it only shows. */
  probe: Type.Optional(Type.Object({ command: Str, stderrTail: Str })),
  straceReason: Type.Optional(Str),
  ptrace: Type.Optional(OrNull(PtraceCell)),
  ptraceReason: Type.Optional(Str),
  buildKey: Str,
  patches: Type.Array(Str),
  reproduce: Str,
  durationMs: Num,
  logTail: Type.Optional(Str),
});

const Count = Type.Integer({ minimum: 0 });

export const ResultsSchema = Type.Object({
  // A number in the types (a reader may meet another version); readResults names a wrong one first.
  schemaVersion: Type.Number({ const: RESULTS_SCHEMA_VERSION }),
  run: Run,
  environment: Environment,
  builds: Type.Array(Build),
  groups: Type.Optional(Type.Array(Group)),
  cells: Type.Array(Cell),
  summary: Type.Object({ pass: Count, fail: Count, error: Count, skip: Count, total: Count }),
});

/** What is wrong with a file and where. */
export interface SchemaProblem {
  path: FieldPath;
  message: string;
}

let check: ReturnType<Ajv['compile']> | undefined;

/** The first place where `value` (a parsed results.json) does not fit the schema, or undefined. */
export function resultsProblem(value: unknown): SchemaProblem | undefined {
  check ??= new Ajv({ allErrors: false, strict: false }).compile(ResultsSchema);
  if (check(value)) return undefined;
  const e = check.errors?.[0];
  return e ? describeError(e, value) : { path: [], message: 'is not a results file' };
}

function describeError(e: ErrorObject, root: unknown): SchemaProblem {
  const path: (string | number)[] = e.instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  const got = valueAt(root, path);
  switch (e.keyword) {
    case 'required':
      return { path: [...path, String(e.params.missingProperty)], message: 'missing' };
    case 'type': {
      const want = [e.params.type].flat().map((t) => String(t).split(','));
      return { path, message: `must be ${want.flat().map(article).join(' or ')}, not ${describe(got)}` };
    }
    case 'enum': {
      const allowed = (e.params.allowedValues as unknown[]).map((v) => (v === null ? 'null' : String(v)));
      return { path, message: `must be one of ${allowed.join(', ')}, not ${describe(got, true)}` };
    }
    case 'const':
      return { path, message: `must be ${JSON.stringify(e.params.allowedValue)}, not ${describe(got)}` };
    case 'minimum':
      return { path, message: `must be at least ${e.params.limit}, not ${describe(got)}` };
    default:
      return { path, message: e.message ?? 'is not valid' };
  }
}

function valueAt(root: unknown, path: FieldPath): unknown {
  let v = root;
  for (const p of path)
    v = v !== null && typeof v === 'object' ? (v as Record<string | number, unknown>)[p] : undefined;
  return v;
}

function article(t: string): string {
  return t === 'null' ? 'null' : t === 'object' || t === 'array' || t === 'integer' ? `an ${t}` : `a ${t}`;
}

/** The value found, for a message: its type and (a scalar's) value, `"passed"` alone where the type is known. */
function describe(v: unknown, valueOnly = false): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (v === undefined) return 'nothing';
  const text = JSON.stringify(v);
  const shown = text.length > 40 ? `${text.slice(0, 37)}...` : text;
  return valueOnly && typeof v === 'string' ? shown : `${typeof v} ${shown}`;
}
