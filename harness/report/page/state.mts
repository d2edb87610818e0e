// biome-ignore-all lint/style/useTemplate: the page script holds no backtick (test/unit/report.test.ts)
/**
 * The page's state: the decoded report, the filters, and the view kept in the URL hash:
 *   #show=observed&status=fail,error&glibc=..&variant=..&kernel=..&link=..&scenario=..&stage=..
 *   &observed=registered&change=NEW-FAIL&inconsistent=1&q=text&cell=<id>&prow=glibc&pcol=kernel&pstage=main
 * show: what a grid cell shows, its verdict (default) or the kernel's observed state; inconsistent=1: only
 * cells whose observers disagree; prow, pcol, pstage: the pivot's row axis, column axis and stage (absent:
 * its defaults, pivot.mts).
 */
import type { Report } from './decode.mjs';
import { byId } from './dom.mjs';

/** The decoded report (main.mts sets it before anything is drawn). */
export let R: Report;
export function setReport(r: Report): void {
  R = r;
}

export const LIST_KEYS = [
  'status',
  'glibc',
  'variant',
  'kernel',
  'link',
  'scenario',
  'stage',
  'observed',
  'change',
] as const;
export type ListKey = (typeof LIST_KEYS)[number];
/** The filters shown as a <select>. */
export const SELECT_KEYS = [
  'glibc',
  'variant',
  'kernel',
  'link',
  'scenario',
  'stage',
  'observed',
  'change',
] as const;
export type SelectKey = (typeof SELECT_KEYS)[number];
export type Show = 'verdict' | 'observed';

export interface Filters extends Record<ListKey, string[]> {
  show: Show;
  /** The open cell's id ('' none). */
  cell: string;
  q: string;
  /** Only cells whose observers disagree. */
  inc: boolean;
  /** The pivot's row axis, column axis and stage ('' its default); a view, not a filter. */
  prow: string;
  pcol: string;
  pstage: string;
}

/** The hash keys of the pivot's view. */
const PIVOT_KEYS = ['prow', 'pcol', 'pstage'] as const;

export const F: Filters = {
  show: 'verdict',
  cell: '',
  q: '',
  inc: false,
  prow: '',
  pcol: '',
  pstage: '',
  status: [],
  glibc: [],
  variant: [],
  kernel: [],
  link: [],
  scenario: [],
  stage: [],
  observed: [],
  change: [],
};

/** Clears the filters; the open cell and what cells show are not filters. */
export function resetF(): void {
  for (const k of LIST_KEYS) F[k] = [];
  F.q = '';
  F.inc = false;
}

export function filtering(): boolean {
  return F.inc || !!F.q || LIST_KEYS.some((k) => F[k].length > 0);
}

const isListKey = (k: string): k is ListKey => (LIST_KEYS as readonly string[]).includes(k);

export function readHash(): void {
  resetF();
  F.cell = '';
  F.show = 'verdict';
  for (const k of PIVOT_KEYS) F[k] = '';
  const h0 = location.hash.replace(/^#/, '');
  if (!h0) return;
  for (const part of h0.split('&')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const k = part.slice(0, eq);
    const v = part.slice(eq + 1);
    try {
      if (isListKey(k)) F[k] = v.split(',').filter(Boolean).map(decodeURIComponent);
      else if (k === 'q' || k === 'cell') F[k] = decodeURIComponent(v.replace(/\+/g, ' '));
      else if ((PIVOT_KEYS as readonly string[]).indexOf(k) >= 0)
        F[k as (typeof PIVOT_KEYS)[number]] = decodeURIComponent(v);
      else if (k === 'show') F.show = v === 'observed' ? 'observed' : 'verdict';
      else if (k === 'inconsistent') F.inc = v !== '0' && v !== 'false' && v !== '';
    } catch {
      // A malformed part of the hash is ignored.
    }
  }
}

function enc(v: string): string {
  return encodeURIComponent(v).replace(/%2F/g, '/');
}

function hashString(): string {
  const parts: string[] = [];
  if (F.show !== 'verdict') parts.push('show=' + F.show);
  for (const k of LIST_KEYS) if (F[k].length) parts.push(k + '=' + F[k].map(enc).join(','));
  if (F.inc) parts.push('inconsistent=1');
  if (F.q) parts.push('q=' + encodeURIComponent(F.q));
  for (const k of PIVOT_KEYS) if (F[k]) parts.push(k + '=' + enc(F[k]));
  if (F.cell) parts.push('cell=' + enc(F.cell));
  return parts.join('&');
}

/** The hash the page wrote last (a hashchange to it is the page's own). */
export let lastHash: string | null = null;
export function setLastHash(s: string): void {
  lastHash = s;
}

export function writeHash(): void {
  const s = hashString();
  lastHash = s;
  const url = location.href.split('#')[0] + (s ? '#' + s : '');
  try {
    history.replaceState(null, '', url);
  } catch {
    location.hash = s;
  }
}

/**
 * What the parts of the page do to each other, set by main.mts (so that the modules import each other in
 * one direction only).
 */
export const actions = {
  /** Applies the filters to the grid, its counts and the problems list. */
  apply(): void {},
  /** Shows the filters' state in their controls. */
  syncControls(): void {},
  /** Opens a cell's panel (its id; a removed cell's too). */
  openCell(_id: string): void {},
};

/** After a filter changed: controls, grid, address; optionally scrolls to the grid. */
export function refresh(scrollToGrid = false): void {
  actions.syncControls();
  actions.apply();
  writeHash();
  if (scrollToGrid) byId('matrix').scrollIntoView({ block: 'start' });
}
