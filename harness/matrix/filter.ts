/**
 * --filter EXPR: which cells to run. EXPR is a comma-separated list of terms, all of which must hold:
 *   axis=pattern[|pattern...]   the cell's axis matches one of the glob patterns
 *   axis!=pattern[|pattern...]  it matches none of them
 * Axes: glibc, variant, kernel, link, scenario, stage (catalogue.ts AXES). Example:
 *   `glibc=bookworm,stage=main|thread,link!=static,kernel=host`.
 */

import { AXES, type Axis } from '../model/catalogue.js';
import type { CellCoords } from '../model/cell.js';
import { InputError } from '../util/errors.js';
import { didYouMean } from '../util/suggest.js';
import { globMatch } from './expand.js';

export interface Filter {
  text: string;
  matches(cell: CellCoords): boolean;
}

interface Term {
  axis: Axis;
  negate: boolean;
  patterns: string[];
}

export function parseFilter(text: string, what = '--filter'): Filter {
  const terms: Term[] = [];
  for (const raw of text.split(',')) {
    const part = raw.trim();
    if (!part) continue;
    const m = /^([a-z]+)\s*(!?=)\s*(.+)$/.exec(part);
    if (!m) throw new InputError(`${what}: "${part}" is not of the form axis=pattern or axis!=pattern`);
    const [, axis = '', op, rhs = ''] = m;
    if (!(AXES as readonly string[]).includes(axis))
      throw new InputError(
        `${what}: unknown axis "${axis}"${didYouMean(axis, AXES)}; axes: ${AXES.join(', ')}`,
      );
    const patterns = rhs.split('|').map((p) => p.trim());
    if (patterns.some((p) => !p)) throw new InputError(`${what}: "${part}" has an empty pattern`);
    terms.push({ axis: axis as Axis, negate: op === '!=', patterns });
  }
  if (terms.length === 0) throw new InputError(`${what}: the expression is empty`);
  return {
    text,
    matches: (cell) => terms.every((t) => t.patterns.some((p) => globMatch(p, cell[t.axis])) !== t.negate),
  };
}
