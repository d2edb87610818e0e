/**
 * Pure matrix logic: which cells a matrix has, and which rule decides each cell's expectation.
 */
import picomatch from 'picomatch';
import { AXES, HOST_KERNEL, isClientStage, stageDef } from '../model/catalogue.js';
import type { CellCoords } from '../model/cell.js';
import type { Expectation, ExpectedFact } from '../model/results.js';
import {
  type ExpectFactRuleDoc,
  type ExpectRuleDoc,
  FACT_KEYS,
  type FactKey,
  type GlibcEntry,
  KERNEL_KINDS,
  type KernelEntry,
  type KernelKind,
  type MatrixDoc,
  type VariantEntry,
} from './schema.js';

export interface PlannedCell extends CellCoords {
  id: string;
  patches: string[];
  expected: Expectation;
}

/** The kernels of a matrix without `kernels:`: the host's alone. */
export const DEFAULT_KERNELS: readonly KernelEntry[] = [{ id: HOST_KERNEL, host: true }];

/** The matrix's kernels, in its order (the default: the host's). */
export function matrixKernels(doc: Pick<MatrixDoc, 'kernels'>): readonly KernelEntry[] {
  return doc.kernels ?? DEFAULT_KERNELS;
}

/** The `kernels:` entry of a cell's kernel id (undefined: the matrix has no such kernel). */
export function kernelEntry(doc: Pick<MatrixDoc, 'kernels'>, id: string): KernelEntry | undefined {
  return matrixKernels(doc).find((k) => k.id === id);
}

/** Which kind of kernel an entry is: the one kind key it has (validate.ts checks there is one). */
export function kernelKind(k: KernelEntry): KernelKind {
  return KERNEL_KINDS.find((kind) => kind in k) ?? 'host';
}

/**
 * Every combination the matrix names, in a stable order (glibc, variant, kernel, link, scenario, stage):
 * a matrix without `kernels:` gives the cells, in the order, it gave before the kernel axis.
 */
export function combinations(doc: MatrixDoc): CellCoords[] {
  const out: CellCoords[] = [];
  for (const g of doc.glibc)
    for (const v of doc.variants) {
      if (!variantAppliesTo(v, g.id)) continue;
      for (const k of matrixKernels(doc))
        for (const link of doc.links)
          for (const scenario of doc.scenarios)
            for (const stage of doc.stages)
              out.push({ glibc: g.id, variant: v.id, kernel: k.id, link, scenario, stage });
    }
  return out;
}

export function patternList(p: string | string[] | undefined): string[] | undefined {
  if (p === undefined) return undefined;
  const list = Array.isArray(p) ? p : [p];
  return list.includes('*') ? undefined : list;
}

const matcherCache = new Map<string, (s: string) => boolean>();
export function globMatch(pattern: string, value: string): boolean {
  let m = matcherCache.get(pattern);
  if (!m) {
    m = picomatch(pattern, { nobrace: false, dot: true });
    matcherCache.set(pattern, m);
  }
  return m(value);
}

function ruleMatches(rule: Pick<ExpectRuleDoc, 'match'>, cell: CellCoords): boolean {
  for (const axis of AXES) {
    const pats = patternList(rule.match?.[axis]);
    if (pats && !pats.some((p) => globMatch(p, cell[axis]))) return false;
  }
  return true;
}

/** How many axes a rule pins down: the more, the more specific. */
export function specificity(rule: Pick<ExpectRuleDoc, 'match'>): number {
  return AXES.filter((a) => patternList(rule.match?.[a]) !== undefined).length;
}

/**
 * The rule that decides: the most specific of those that match, the first of equals; `tie` is the first
 * equally specific rule that expects something else (-1: none), which makes the choice ambiguous.
 * Shared by the cell rules (`expect:`) and the glibc-test rules (`expectTests:`).
 */
export function mostSpecificRule<R extends { expect: string }>(
  rules: readonly R[],
  matches: (rule: R) => boolean,
  specificityOf: (rule: R) => number,
): { best: number; tie: number } {
  let best = -1;
  let bestSpec = -1;
  let tie = -1;
  rules.forEach((rule, i) => {
    if (!matches(rule)) return;
    const s = specificityOf(rule);
    if (s > bestSpec) {
      best = i;
      bestSpec = s;
      tie = -1;
    } else if (s === bestSpec && rules[best]?.expect !== rule.expect && tie < 0) {
      tie = i;
    }
  });
  return { best, tie };
}

export type Resolution =
  | { kind: 'ok'; expected: Expectation }
  | { kind: 'uncovered' }
  | { kind: 'ambiguous'; rules: [number, number] };

/** The expectation of one cell: the stage's own applicability first, then the most specific rule. */
export function resolveExpectation(rules: readonly ExpectRuleDoc[], cell: CellCoords): Resolution {
  const stage = stageDef(cell.stage);
  // The stage's own applicability: a scenario it does not run in, a link it has no meaning for.
  const scenarioOff = stage?.scenarios && !stage.scenarios.includes(cell.scenario);
  const linkOff = stage && !stage.links.includes(cell.link);
  const notHere = scenarioOff
    ? `the stage does not run in the ${cell.scenario} scenario`
    : linkOff
      ? `the stage does not apply to ${cell.link} links`
      : undefined;
  if (notHere) {
    const why =
      (!scenarioOff && linkOff ? stage?.linkNotApplicable?.[cell.link] : undefined) ??
      stage?.notApplicable ??
      notHere;
    return { kind: 'ok', expected: { state: 'skip', registered: null, rule: -1, why } };
  }
  const { best, tie } = mostSpecificRule(rules, (r) => ruleMatches(r, cell), specificity);
  const rule = rules[best];
  if (!rule) return { kind: 'uncovered' };
  if (tie >= 0) return { kind: 'ambiguous', rules: [best, tie] };
  return {
    kind: 'ok',
    expected: {
      state: rule.expect,
      registered: rule.expect === 'skip' || rule.expect === 'any' ? null : rule.expect === 'registered',
      rule: best,
      why: rule.why,
      ...(rule.clientFails && isClientStage(cell.stage) ? { clientFails: true } : {}),
    },
  };
}

export type FactResolution =
  | { kind: 'ok'; facts: Record<string, ExpectedFact> }
  | { kind: 'ambiguous'; fact: FactKey; rules: [number, number] };

/**
 * The kernel-dependent facts a measured cell must show (`expectFacts:`): for each fact, the most specific
 * rule that names it and matches the cell; two equally specific rules with other values are ambiguous.
 * A skipped cell has none.
 */
export function resolveFacts(
  rules: readonly ExpectFactRuleDoc[],
  cell: CellCoords,
  skipped: boolean,
): FactResolution {
  const facts: Record<string, ExpectedFact> = {};
  if (skipped) return { kind: 'ok', facts };
  for (const key of FACT_KEYS) {
    const named = rules.map((r) => ({ ...r, expect: r[key] === undefined ? '' : String(r[key]) }));
    const { best, tie } = mostSpecificRule(
      named,
      (r) => r.expect !== '' && ruleMatches(r, cell),
      specificity,
    );
    const rule = rules[best];
    if (!rule || rule[key] === undefined) continue;
    if (tie >= 0) return { kind: 'ambiguous', fact: key, rules: [best, tie] };
    facts[key] = { value: rule[key] as number | string, rule: best, why: rule.why };
  }
  return { kind: 'ok', facts };
}

/** A variant applies to the glibc entries it lists, else to those its per-glibc patches name, else to all. */
export function variantAppliesTo(v: VariantEntry, glibc: string): boolean {
  if (v.glibc) return v.glibc.includes(glibc);
  if (v.patches && !Array.isArray(v.patches)) return glibc in v.patches;
  return true;
}

/** The variant's patch series for one glibc entry. */
export function patchesFor(doc: MatrixDoc, variant: string, glibc: string): string[] {
  const p = doc.variants.find((v) => v.id === variant)?.patches;
  if (!p) return [];
  return Array.isArray(p) ? p : (p[glibc] ?? []);
}

/** The Debian suite whose toolchain image builds (or, for stock, is) this glibc. */
export function toolchainSuite(g: GlibcEntry): string {
  if (g.source === 'debian') return g.suite ?? (g.debian.suite === 'experimental' ? 'sid' : g.debian.suite);
  return g.suite;
}
