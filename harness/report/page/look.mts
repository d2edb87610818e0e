// biome-ignore-all lint/style/useTemplate: the page script holds no backtick (test/unit/report.test.ts)
/**
 * How the page shows statuses, verdicts and observed states: symbols that read without colour, labels,
 * badges. The names themselves and their help come from the data block (vocab); only the look is here.
 */
import type { RseqState } from '../../model/catalogue.js';
import type { CellStatus } from '../../model/results.js';
import type { CellRef } from './decode.mjs';
import { h } from './dom.mjs';
import { R } from './state.mjs';

/** Statuses in the order the page lists them: what needs a look first. */
export const ORDER: readonly CellStatus[] = ['fail', 'error', 'pass', 'skip'];
export const SYM: Record<CellStatus, string> = { pass: '\u2713', fail: '\u2717', error: '!', skip: '\u2013' };
export const LABEL: Record<CellStatus, string> = { pass: 'Pass', fail: 'Fail', error: 'Error', skip: 'Skip' };
/**
 * What the kernel said (Observed.state), as a symbol; 'other' for a state the page has no symbol for. The
 * page cannot import the model's STATES (page-build.ts bundles page modules only), so the compiler checks
 * that these keys are exactly those states and the page's own.
 */
export const OSYM: Record<string, string> = {
  registered: '\u25cf',
  unregistered: '\u25cb',
  unavailable: '\u2298',
  mixed: '\u25d0',
  none: '\u2013',
  other: '?',
} satisfies Record<RseqState | 'mixed' | 'none' | 'other', string>;
/** Observers that disagree. */
export const INC_SYM = '\u25c9';
/** Verdict groups of the changes list that start open (what a reviewer looks at first). */
export const OPEN_VERDICTS = ['NEW-FAIL', 'INFRA', 'FIXED'];

let ranks: Map<string, number> | null = null;
/** The observed states the report names (vocab), by their place in its order. */
function observedRanks(): Map<string, number> {
  if (!ranks) ranks = new Map(R.vocab.observed.map((x, i) => [x[0], i]));
  return ranks;
}

/** The observed states the report names (vocab), in its order. */
export function observedStates(): string[] {
  return R.vocab.observed.map((x) => x[0]);
}

/** What an observed state means ('' for one the report does not name). */
export function observedHelp(state: string): string {
  for (const [s, help] of R.vocab.observed) if (s === state) return help;
  return '';
}

/** The class and symbol of an observed state: itself when the report names it (and it has a symbol), else 'other'. */
export function obsClass(state: string): string {
  return observedRanks().has(state) && OSYM[state] ? state : 'other';
}

/** Sorts observed states in the report's order, unknown ones last. */
export function rankObserved(state: string): number {
  return observedRanks().get(state) ?? R.vocab.observed.length;
}

export function verdictHelp(verdict: string): string {
  return R.vocab.verdictHelp[verdict] ?? '';
}

/** Is this a verdict that lists a cell as changed (not an UNCHANGED one)? */
export function isListed(verdict: string): boolean {
  return (R.vocab.listedVerdicts as string[]).indexOf(verdict) >= 0;
}

export function statusBadge(st: CellStatus, big?: boolean): HTMLSpanElement {
  return h('span', 'badge ' + st + (big ? ' big' : ''), [h('span', 'sym', SYM[st]), ' ' + LABEL[st]]);
}

export function obsBadge(c: CellRef): HTMLSpanElement {
  const cls = obsClass(c.ostate);
  return h('span', 'badge opal o-' + cls + (c.status === 'skip' ? '' : ' big'), [
    h('span', 'sym', OSYM[cls]),
    ' ' + (c.ostate === 'none' ? 'nothing observed' : c.ostate),
  ]);
}
