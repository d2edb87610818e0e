/** Helpers shared by the report formats (HTML, JUnit, TAP). Pure. */
import { ALL_STAGES, HOST_KERNEL, LINKS, SCENARIOS } from '../model/catalogue.js';
import { type RowCoords, rowId } from '../model/cell.js';
import type { CellResult, Expectation, Observed } from '../model/results.js';

function rankBy(list: readonly string[]): (s: string) => number {
  const m = new Map(list.map((s, i) => [s, i]));
  return (s) => m.get(s) ?? list.length;
}

/**
 * The cells grouped by row, rows in a stable order: glibc, variant and kernel as they first appear in
 * the results (the matrix order), link and scenario in catalogue order; cells in a row in stage order.
 */
export function groupRows(
  cells: readonly CellResult[],
): { key: RowCoords; id: string; cells: CellResult[] }[] {
  const firstSeen = (axis: 'glibc' | 'variant' | 'kernel') => {
    const m = new Map<string, number>();
    for (const c of cells) if (!m.has(c[axis])) m.set(c[axis], m.size);
    return (s: string) => m.get(s) ?? 0;
  };
  const g = firstSeen('glibc');
  const v = firstSeen('variant');
  const k = firstSeen('kernel');
  const l = rankBy(LINKS);
  const sc = rankBy(SCENARIOS.map((s) => s.id));
  const st = stageOrder(cells);
  const rows = new Map<string, { key: RowCoords; id: string; cells: CellResult[] }>();
  for (const c of cells) {
    const id = rowId(c);
    let r = rows.get(id);
    if (!r) {
      const key = {
        glibc: c.glibc,
        variant: c.variant,
        // A version-1 cell not read through readResults (which upgrades it) has none: the host's.
        kernel: c.kernel ?? HOST_KERNEL,
        link: c.link,
        scenario: c.scenario,
      };
      r = { key, id, cells: [] };
      rows.set(id, r);
    }
    r.cells.push(c);
  }
  const out = [...rows.values()];
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  out.sort(
    (a, b) =>
      g(a.key.glibc) - g(b.key.glibc) ||
      v(a.key.variant) - v(b.key.variant) ||
      k(a.key.kernel) - k(b.key.kernel) ||
      l(a.key.link) - l(b.key.link) ||
      sc(a.key.scenario) - sc(b.key.scenario) ||
      cmp(a.key.scenario, b.key.scenario),
  );
  for (const r of out) r.cells.sort((a, b) => st.indexOf(a.stage) - st.indexOf(b.stage));
  return out;
}

/** The stages present, in catalogue order; unknown stages after them, as first seen. */
export function stageOrder(cells: readonly CellResult[]): string[] {
  const present = new Set(cells.map((c) => c.stage));
  const known = ALL_STAGES.map((s) => s.id).filter((s) => present.has(s));
  const extra = [...present].filter((s) => !known.includes(s));
  return [...known, ...extra];
}

function bool(b: boolean | null): string {
  return b === null ? 'unknown' : b ? 'yes' : 'no';
}

export function describeExpected(e: Expectation): string {
  const rule = e.rule < 0 ? 'stage applicability' : `rule #${e.rule}`;
  return `${e.state} (registered: ${bool(e.registered)}; ${rule}: ${e.why})`;
}

export function describeObserved(o: Observed): string {
  const cons =
    o.consistent === null
      ? 'observers: cannot tell'
      : o.consistent
        ? 'observers agree'
        : `observers disagree${o.inconsistency ? `: ${o.inconsistency}` : ''}`;
  return `${o.state ?? 'nothing observed'} (registered: ${bool(o.registered)}; ${cons})`;
}

/** Removes what XML 1.0 cannot hold (control characters, lone surrogates), showing escapes as text. */
function xmlSafe(s: string): string {
  return (
    s
      // biome-ignore lint/suspicious/noControlCharactersInRegex: finding the characters XML forbids
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, (ch) => {
        const code = ch.charCodeAt(0);
        return code < 0x20 ? `\\x${code.toString(16).padStart(2, '0')}` : '\ufffd';
      })
      .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd')
  );
}

export function xmlText(s: string): string {
  return xmlSafe(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function xmlAttr(s: string): string {
  return xmlText(s)
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;')
    .replace(/\t/g, '&#9;');
}

export function oneLine(s: string, max = 300): string {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}
