/**
 * glibc's own tests (options.glibcTests), judged: which outcome the matrix's `expectTests` rules expect
 * of each test in each build (glibc x variant), resolved like the cell rules (the rule that pins the most
 * axes wins; equally specific rules that disagree are ambiguous), and whether a build's recorded outcome
 * is that one. Pure.
 */
import { globMatch, mostSpecificRule, patternList } from '../matrix/expand.js';
import type { ExpectTestRuleDoc } from '../matrix/schema.js';
import type { BuildResult, GlibcTestOutcome, GlibcTestVerdict } from '../model/results.js';

/** The axes an expectTests rule can pin, in id order. */
export const TEST_AXES = ['glibc', 'variant', 'test'] as const;
export type TestAxis = (typeof TEST_AXES)[number];

/** One glibc test in one build. */
export type GlibcTestCoords = Record<TestAxis, string>;

export interface GlibcTestExpectation {
  outcome: GlibcTestOutcome;
  /** Index of the expectTests rule that decided it. */
  rule: number;
  why: string;
}

/** A test of one build with its expectation, as the matrix plans it (harness/matrix/validate.ts). */
export interface PlannedGlibcTest extends GlibcTestCoords {
  expected: GlibcTestExpectation;
}

export type TestResolution =
  | { kind: 'ok'; expected: GlibcTestExpectation }
  | { kind: 'uncovered' }
  | { kind: 'ambiguous'; rules: [number, number] };

/** glibc/variant/test, e.g. glibc-2.36/upstream/misc/tst-rseq: how compare and the CLI name a judged test. */
export function glibcTestId(c: GlibcTestCoords): string {
  return `${c.glibc}/${c.variant}/${c.test}`;
}

/** How many axes a rule pins down ('*' pins nothing). */
export function testRuleSpecificity(rule: ExpectTestRuleDoc): number {
  return TEST_AXES.filter((a) => patternList(rule.match?.[a]) !== undefined).length;
}

function testRuleMatches(rule: ExpectTestRuleDoc, c: GlibcTestCoords): boolean {
  for (const axis of TEST_AXES) {
    const pats = patternList(rule.match?.[axis]);
    if (pats && !pats.some((p) => globMatch(p, c[axis]))) return false;
  }
  return true;
}

/** The expected outcome of one test in one build: the most specific matching rule, the first of equals. */
export function resolveTestExpectation(
  rules: readonly ExpectTestRuleDoc[],
  c: GlibcTestCoords,
): TestResolution {
  const { best, tie } = mostSpecificRule(rules, (r) => testRuleMatches(r, c), testRuleSpecificity);
  const rule = rules[best];
  if (!rule) return { kind: 'uncovered' };
  if (tie >= 0) return { kind: 'ambiguous', rules: [best, tie] };
  return { kind: 'ok', expected: { outcome: rule.expect, rule: best, why: rule.why } };
}

/**
 * The verdict of every planned test of one build, in the plan's order. `outcomes` is what the build
 * recorded (BuildResult.glibcTests); a planned test without an outcome is a fail, since the build was
 * asked to run it.
 */
export function judgeGlibcTests(
  planned: readonly PlannedGlibcTest[],
  outcomes: Readonly<Record<string, string>> | undefined,
): GlibcTestVerdict[] {
  return planned.map((p) => {
    const outcome = outcomes?.[p.test] ?? null;
    const base = {
      test: p.test,
      outcome,
      expected: p.expected.outcome,
      rule: p.expected.rule,
      why: p.expected.why,
    };
    if (outcome === p.expected.outcome) return { ...base, verdict: 'pass' };
    return {
      ...base,
      verdict: 'fail',
      reason:
        outcome === null
          ? `expected ${p.expected.outcome}, but the build recorded no outcome for ${p.test}`
          : `expected ${p.expected.outcome}, got ${outcome}`,
    };
  });
}

/** Every judged test of these builds with its build's coordinates, failing or not. */
export function judgedTests(
  builds: readonly BuildResult[],
): (GlibcTestVerdict & { glibc: string; variant: string; id: string })[] {
  return builds.flatMap((b) =>
    (b.glibcTestVerdicts ?? []).map((v) => ({
      ...v,
      glibc: b.glibc,
      variant: b.variant,
      id: glibcTestId({ glibc: b.glibc, variant: b.variant, test: v.test }),
    })),
  );
}

/** The judged tests whose outcome was not the expected one: each makes a run exit 1. */
export function failedTests(builds: readonly BuildResult[]): ReturnType<typeof judgedTests> {
  return judgedTests(builds).filter((v) => v.verdict === 'fail');
}
