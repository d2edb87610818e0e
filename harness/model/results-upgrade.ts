/**
 * Reading results written by an older rseq-matrix: the one place where an older results file (or journal
 * cell) becomes the current version, before anything checks or reads it. Pure: no I/O.
 *
 * Version 1 -> 2: version 1 had no kernel axis; every cell ran on the host's kernel, so each gets
 * `kernel: "host"` (HOST_KERNEL). Its id does not change: a host cell's id leaves the kernel out
 * (cell.ts), so version-1 and version-2 cells of the host kernel are the same cells to compare, merge
 * and resume.
 */
import { HOST_KERNEL } from './catalogue.js';
import { RESULTS_SCHEMA_VERSION } from './results.js';

/** The versions a reader takes: the current one and those upgradeResults turns into it. */
export const READABLE_RESULTS_VERSIONS: readonly number[] = [1, RESULTS_SCHEMA_VERSION];

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A cell of any readable version as a current one: one without a kernel gets the host's, placed after
 * its variant (where a current cell has it). Anything else is returned as it is (the schema judges it).
 */
export function upgradeCell<T>(cell: T): T {
  if (!isObj(cell) || 'kernel' in cell) return cell;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(cell)) {
    out[k] = v;
    if (k === 'variant') out.kernel = HOST_KERNEL;
  }
  if (!('kernel' in out)) out.kernel = HOST_KERNEL;
  return out as T;
}

/**
 * A parsed results file of a readable version as the current version (a new object; the input is not
 * changed). A file of the current version, of a version it cannot read, or of no results shape at all
 * is returned as it is: the version check and the schema then say what is wrong with it.
 */
export function upgradeResults(value: unknown): unknown {
  if (!isObj(value) || value.schemaVersion !== 1) return value;
  const cells = Array.isArray(value.cells) ? value.cells.map((c) => upgradeCell(c)) : value.cells;
  return { ...value, schemaVersion: RESULTS_SCHEMA_VERSION, cells };
}
