/**
 * Turns a matrix file's text into a checked, expanded matrix, or throws an InputError whose one line
 * names the file, the line and the field. Pure: the caller reads the file.
 */
import { createHash } from 'node:crypto';
import { Ajv, type ErrorObject } from 'ajv';
import { ALL_STAGES, AXES, type Axis, HOST_KERNEL, LINKS, SCENARIOS } from '../model/catalogue.js';
import { type CellCoords, cellId } from '../model/cell.js';
import { formatPath } from '../model/field-path.js';
import { InputError } from '../util/errors.js';
import { didYouMean } from '../util/suggest.js';
import {
  glibcTestId,
  type PlannedGlibcTest,
  resolveTestExpectation,
  TEST_AXES,
  type TestAxis,
} from '../verdict/glibc-tests.js';
import {
  combinations,
  globMatch,
  matrixKernels,
  type PlannedCell,
  patchesFor,
  patternList,
  resolveExpectation,
  resolveFacts,
  variantAppliesTo,
} from './expand.js';
import type { Filter } from './filter.js';
import { GLIBC_SCHEMAS, KERNEL_KINDS, type MatrixDoc, MatrixSchema } from './schema.js';
import { type LocatedYaml, parseYaml, type YamlPath } from './yaml.js';

const ajv = new Ajv({ allErrors: true, strict: false });
const checkSchema = ajv.compile(MatrixSchema);
const checkGlibc = Object.fromEntries(
  Object.entries(GLIBC_SCHEMAS).map(([k, schema]) => [k, { schema, check: ajv.compile(schema) }]),
);

export interface Matrix {
  file: string;
  doc: MatrixDoc;
  /** sha256 of the file's text: shards of one matrix share it. */
  digest: string;
  cells: PlannedCell[];
  /**
   * Every test of options.glibcTests in every build of a glibc the matrix builds (not `stock`), with
   * the outcome its expectTests rule expects; empty when the matrix has no expectTests.
   */
  glibcTestPlan: PlannedGlibcTest[];
  /**
   * `file:line: field` for a place in the matrix, as every message of validateMatrix starts: for what is
   * checked later (a kernel the mirror lacks, harness/builder/kernels.ts resolveKernel), e.g.
   * `${matrix.where(['kernels', 2, 'debian'])}: ${problem}`.
   */
  where(path: YamlPath): string;
}

export interface ValidateOptions {
  /**
   * Why a patch file cannot be used, or undefined: the file system's part. `patchesDir` is the matrix's
   * options.patchesDir (relative to the matrix file) when it names one; else paths are under patches/.
   */
  patchFileProblem?: (path: string, patchesDir: string | undefined) => string | undefined;
}

export function validateMatrix(text: string, file: string, options: ValidateOptions = {}): Matrix {
  const src = parseYaml(text, file);
  const where = (path: YamlPath): string => `${file}:${src.lineOf(path)}: ${formatPath(path)}`;
  const fail = (path: YamlPath, msg: string): never => {
    throw new InputError(`${where(path)}: ${msg}`);
  };
  if (src.value === null || src.value === undefined) fail([], 'the matrix is empty');
  if (!checkSchema(src.value)) schemaFailure(src, checkSchema.errors ?? [], fail, [], MatrixSchema);
  const doc = src.value as MatrixDoc;
  doc.glibc.forEach((entry, i) => {
    const kind = checkGlibc[entry.source];
    if (kind && !kind.check(entry))
      schemaFailure(src, kind.check.errors ?? [], fail, ['glibc', i], kind.schema);
    if (entry.source === 'tarball' && Boolean(entry.tarball.path) === Boolean(entry.tarball.url))
      fail(['glibc', i, 'tarball'], 'give exactly one of path and url');
  });
  checkReferences(doc, fail, options);
  const cells = expandChecked(doc, fail);
  const glibcTestPlan = planGlibcTests(doc, fail);
  const digest = createHash('sha256').update(text).digest('hex');
  return { file, doc, digest, cells, glibcTestPlan, where };
}

type Fail = (path: YamlPath, msg: string) => never;

function pathOfError(e: ErrorObject, prefix: readonly (string | number)[] = []): (string | number)[] {
  return [
    ...prefix,
    ...e.instancePath
      .split('/')
      .slice(1)
      .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
      .map((p) => (/^\d+$/.test(p) ? Number(p) : p)),
  ];
}

function schemaFailure(
  src: LocatedYaml,
  rawErrors: ErrorObject[],
  fail: Fail,
  prefix: (string | number)[],
  schema: unknown,
): never {
  const errors = rawErrors;
  const pathOf = (e: ErrorObject) => pathOfError(e, prefix);
  // The deepest failing place is the most precise; among equals, the first in the file.
  const depth = Math.max(...errors.map((e) => pathOf(e).length));
  const deepest = errors.filter((e) => pathOf(e).length === depth && e.keyword !== 'anyOf');
  const pick = (kw: string) => deepest.filter((e) => e.keyword === kw);
  const first = deepest.length ? deepest : errors;
  const path = pathOf(first[0] as ErrorObject);
  const extra = pick('additionalProperties')[0];
  if (extra) {
    const key = String(extra.params.additionalProperty);
    const known = Object.keys(schemaAt(schema as SchemaNode, path.slice(prefix.length))?.properties ?? {});
    fail([...path, key], `unknown key "${key}"${didYouMean(key, known)}; allowed: ${known.join(', ')}`);
  }
  const req = pick('required')[0];
  if (req) fail(path, `missing required key "${String(req.params.missingProperty)}"`);
  const consts = pick('const');
  if (consts.length) {
    const allowed = consts.map((e) => JSON.stringify(e.params.allowedValue));
    const got = valueAt(src.value, path);
    const hint =
      typeof got === 'string'
        ? didYouMean(
            got,
            consts.map((e) => String(e.params.allowedValue)),
          )
        : '';
    fail(
      path,
      `must be ${allowed.length > 1 ? 'one of ' : ''}${allowed.join(', ')}, not ${JSON.stringify(got)}${hint}`,
    );
  }
  const e = first[0] as ErrorObject;
  const got = valueAt(src.value, path);
  switch (e.keyword) {
    case 'type': {
      const want = first.filter((x) => x.keyword === 'type').map((x) => String(x.params.type));
      fail(path, `must be ${[...new Set(want)].map(article).join(' or ')}, not ${describe(got)}`);
      break;
    }
    case 'pattern': {
      const pattern = String(e.params.pattern);
      fail(
        path,
        pattern.includes('https?')
          ? `"${String(got)}" is not an http:// or https:// URL`
          : pattern.includes('latest')
            ? `"${String(got)}" is not a Debian version or "latest"`
            : `"${String(got)}" is not a valid id: use lowercase letters, digits, '.', '_' and '-'${pattern.includes('client:') ? ' (clients: client:<name>)' : ''}`,
      );
      break;
    }
    case 'minItems':
      fail(
        path,
        Number(e.params.limit) === 1 ? 'must not be empty' : `must list at least ${e.params.limit} items`,
      );
      break;
    case 'minLength':
      fail(path, 'must not be empty');
      break;
    case 'uniqueItems':
      fail(path, `lists ${JSON.stringify((got as unknown[])[Number(e.params.i)])} twice`);
      break;
  }
  fail(path, e.message ?? 'is not valid');
  throw new Error('unreachable');
}

interface SchemaNode {
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  anyOf?: SchemaNode[];
}
function schemaAt(schema: SchemaNode, path: readonly (string | number)[]): SchemaNode | undefined {
  let node: SchemaNode | undefined = schema;
  for (const p of path) {
    if (!node) return undefined;
    node = typeof p === 'number' ? node.items : node.properties?.[p];
    // For a union (a glibc entry of several kinds), the first branch that has the key.
    if (node?.anyOf) node = node.anyOf.find((b) => b.properties) ?? node;
  }
  return node;
}

function valueAt(root: unknown, path: readonly (string | number)[]): unknown {
  let v = root;
  for (const p of path)
    v = v !== null && typeof v === 'object' ? (v as Record<string | number, unknown>)[p] : undefined;
  return v;
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return 'empty';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}
function article(t: string): string {
  return t === 'object' ? 'a mapping' : t === 'array' ? 'a list' : `a ${t}`;
}

function checkReferences(doc: MatrixDoc, fail: Fail, options: ValidateOptions): void {
  const glibcIds = doc.glibc.map((g) => g.id);
  uniqueIds(doc.glibc, 'glibc', fail);
  uniqueIds(doc.variants, 'variants', fail);
  doc.variants.forEach((v, i) => {
    v.glibc?.forEach((g, j) => {
      if (!glibcIds.includes(g))
        fail(['variants', i, 'glibc', j], `unknown glibc entry "${g}"${didYouMean(g, glibcIds)}`);
    });
    const lists: [YamlPath, string[]][] = Array.isArray(v.patches)
      ? [[['variants', i, 'patches'], v.patches]]
      : Object.entries(v.patches ?? {}).map(([g, list]) => [['variants', i, 'patches', g], list]);
    for (const [at, list] of lists) {
      const g = at[3];
      if (typeof g === 'string' && !glibcIds.includes(g))
        fail(at, `unknown glibc entry "${g}"${didYouMean(g, glibcIds)}`);
      list.forEach((p, j) => {
        const bad = patchPathProblem(p) ?? options.patchFileProblem?.(p, doc.options?.patchesDir);
        if (bad) fail([...at, j], bad);
      });
      if (!list.length) continue;
      const stock = doc.glibc.filter(
        (e) => e.source === 'stock' && (typeof g === 'string' ? e.id === g : variantAppliesTo(v, e.id)),
      );
      if (stock[0]) fail(at, `glibc entry "${stock[0].id}" is the image's own libc and cannot be patched`);
    }
  });
  checkKernels(doc, fail);
  const scenarioIds = SCENARIOS.map((s) => s.id);
  doc.scenarios.forEach((s, i) => {
    if (!scenarioIds.includes(s))
      fail(
        ['scenarios', i],
        `unknown scenario "${s}"${didYouMean(s, scenarioIds)}; known: ${scenarioIds.join(', ')}`,
      );
  });
  const stageIds = ALL_STAGES.map((s) => s.id);
  doc.stages.forEach((s, i) => {
    if (!stageIds.includes(s)) fail(['stages', i], `unknown stage "${s}"${didYouMean(s, stageIds)}`);
  });
  const known: Record<Axis, string[]> = {
    glibc: glibcIds,
    variant: doc.variants.map((v) => v.id),
    kernel: matrixKernels(doc).map((k) => k.id),
    link: [...LINKS],
    scenario: doc.scenarios,
    stage: doc.stages,
  };
  doc.expect.forEach((rule, i) => {
    for (const axis of AXES) {
      const raw = rule.match?.[axis];
      for (const [j, p] of (patternList(raw) ?? []).entries()) {
        if (known[axis].some((id) => globMatch(p, id))) continue;
        const at: YamlPath = Array.isArray(raw)
          ? ['expect', i, 'match', axis, j]
          : ['expect', i, 'match', axis];
        fail(at, `"${p}" matches no ${axis} of this matrix${didYouMean(p, known[axis])}`);
      }
    }
    if (rule.clientFails) {
      const stages = patternList(rule.match?.stage);
      if (!stages?.every((s) => s.startsWith('client:')))
        fail(
          ['expect', i, 'clientFails'],
          'only a client can be expected to fail: match.stage must name client:* stages only',
        );
    }
  });
}

/**
 * The `kernels:` entries: unique ids, exactly one kind each, and `host` the id of the host kernel and of
 * nothing else (a cell on it keeps its old id: model/cell.ts).
 */
function checkKernels(doc: MatrixDoc, fail: Fail): void {
  const kernels = doc.kernels ?? [];
  uniqueIds(kernels, 'kernels', fail);
  const kinds = KERNEL_KINDS.map((k) => (k === 'debian' ? 'debian: { suite, package }' : `${k}: true`));
  kernels.forEach((k, i) => {
    const has = KERNEL_KINDS.filter((kind) => kind in k);
    if (has.length === 0) fail(['kernels', i], `kernel "${k.id}" needs one of ${kinds.join(', ')}`);
    if (has.length > 1)
      fail(['kernels', i, has[1] as string], `kernel "${k.id}" is ${has.join(' and ')}: give one of them`);
    if ('host' in k && k.id !== HOST_KERNEL)
      fail(['kernels', i, 'id'], `the host kernel's id is "${HOST_KERNEL}", not "${k.id}"`);
    if (!('host' in k) && k.id === HOST_KERNEL)
      fail(['kernels', i, 'id'], `"${HOST_KERNEL}" is the host kernel's id: give this kernel another`);
  });
}

/** Why a patch path is refused, or undefined. Paths are relative to the repository's patches/. */
function patchPathProblem(p: string): string | undefined {
  if (p.startsWith('/') || /^[a-zA-Z]:[\\/]/.test(p)) return `patch path "${p}" must be relative to patches/`;
  if (p.split(/[\\/]/).includes('..')) return `patch path "${p}" leaves patches/`;
  if (!p.endsWith('.patch') && !p.endsWith('.diff')) return `patch path "${p}" must end in .patch or .diff`;
  return undefined;
}

function uniqueIds(list: readonly { id: string }[], key: string, fail: Fail): void {
  const seen = new Map<string, number>();
  list.forEach((item, i) => {
    const prev = seen.get(item.id);
    if (prev !== undefined) fail([key, i, 'id'], `duplicate id "${item.id}" (also ${key}[${prev}])`);
    seen.set(item.id, i);
  });
}

function expandChecked(doc: MatrixDoc, fail: Fail): PlannedCell[] {
  const combos = combinations(doc);
  if (combos.length === 0)
    fail(['variants'], 'the matrix has no cells: no variant applies to any glibc entry');
  return combos.map((c) => planCell(doc, c, fail));
}

function planCell(doc: MatrixDoc, c: CellCoords, fail: Fail): PlannedCell {
  const r = resolveExpectation(doc.expect, c);
  const id = cellId(c);
  if (r.kind === 'uncovered') fail(['expect'], `no rule covers cell ${id}`);
  if (r.kind === 'ambiguous') {
    const [a, b] = r.rules;
    fail(
      ['expect', b],
      `rules expect[${a}] and expect[${b}] are equally specific and disagree on cell ${id}; make one more specific`,
    );
  }
  if (r.kind !== 'ok') throw new Error('unreachable');
  const f = resolveFacts(doc.expectFacts ?? [], c, r.expected.state === 'skip');
  if (f.kind === 'ambiguous') {
    const [a, b] = f.rules;
    fail(
      ['expectFacts', b],
      `rules expectFacts[${a}] and expectFacts[${b}] are equally specific and disagree on ${f.fact} of cell ${id}; make one more specific`,
    );
  }
  const expected =
    f.kind === 'ok' && Object.keys(f.facts).length ? { ...r.expected, facts: f.facts } : r.expected;
  return { id, ...c, patches: patchesFor(doc, c.variant, c.glibc), expected };
}

/** The builds whose tree runs glibc's tests: every glibc entry but `stock` x each variant that applies. */
function testedBuilds(doc: MatrixDoc): { glibc: string; variant: string }[] {
  return doc.glibc
    .filter((g) => g.source !== 'stock')
    .flatMap((g) =>
      doc.variants.filter((v) => variantAppliesTo(v, g.id)).map((v) => ({ glibc: g.id, variant: v.id })),
    );
}

/**
 * Checks the expectTests rules (each pattern matches something, every test of every tested build is
 * covered, no ambiguity) and resolves each test's expectation.
 */
function planGlibcTests(doc: MatrixDoc, fail: Fail): PlannedGlibcTest[] {
  const rules = doc.expectTests;
  if (!rules) return [];
  const tests = doc.options?.glibcTests ?? [];
  if (!tests.length) fail(['expectTests'], 'options.glibcTests names no test, so there is nothing to expect');
  const builds = testedBuilds(doc);
  if (!builds.length)
    fail(['expectTests'], 'no glibc entry of this matrix is built (stock entries run no glibc tests)');
  const known: Record<TestAxis, string[]> = {
    glibc: [...new Set(builds.map((b) => b.glibc))],
    variant: [...new Set(builds.map((b) => b.variant))],
    test: tests,
  };
  const what: Record<TestAxis, string> = {
    glibc: 'glibc this matrix builds (stock entries run no glibc tests)',
    variant: 'variant of a glibc this matrix builds',
    test: 'test of options.glibcTests',
  };
  rules.forEach((rule, i) => {
    for (const axis of TEST_AXES) {
      const raw = rule.match?.[axis];
      for (const [j, p] of (patternList(raw) ?? []).entries()) {
        if (known[axis].some((id) => globMatch(p, id))) continue;
        const at: YamlPath = Array.isArray(raw)
          ? ['expectTests', i, 'match', axis, j]
          : ['expectTests', i, 'match', axis];
        fail(at, `"${p}" matches no ${what[axis]}${didYouMean(p, known[axis])}`);
      }
    }
  });
  return builds.flatMap((b) =>
    tests.map((test) => {
      const c = { ...b, test };
      const r = resolveTestExpectation(rules, c);
      if (r.kind === 'uncovered')
        fail(['expectTests'], `no rule covers glibc test ${test} of build ${b.glibc}/${b.variant}`);
      if (r.kind === 'ambiguous') {
        const [x, y] = r.rules;
        fail(
          ['expectTests', y],
          `rules expectTests[${x}] and expectTests[${y}] are equally specific and disagree on glibc test ${glibcTestId(c)}; make one more specific`,
        );
      }
      if (r.kind !== 'ok') throw new Error('unreachable');
      return { ...c, expected: r.expected };
    }),
  );
}

/** Cells the filter keeps. */
export function selectCells(cells: readonly PlannedCell[], filter: Filter | undefined): PlannedCell[] {
  return filter ? cells.filter((c) => filter.matches(c)) : [...cells];
}
