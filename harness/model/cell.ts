/**
 * A cell's coordinates and the ids made of them: one type and one id function for the whole harness.
 * A cell is one point of the axes (catalogue.ts AXES); a new axis (a kernel, say) is added to AXES and so
 * to CellCoords, and the ids follow. Pure.
 */
import { AXES, type Axis, type Link } from './catalogue.js';

/** Where a cell sits: one value per axis. PlannedCell and CellResult extend it. */
export interface CellCoords extends Record<Axis, string> {
  link: Link;
}

/** A grid row: a cell's coordinates but the stage. */
export type RowCoords = Omit<CellCoords, 'stage'>;

const ROW_AXES = AXES.filter((a): a is Exclude<Axis, 'stage'> => a !== 'stage');

/** The cell's id: its coordinates in axis order, joined by '/' (glibc/variant/link/scenario/stage). */
export function cellId(c: CellCoords): string {
  return AXES.map((a) => c[a]).join('/');
}

/** The row's id: glibc/variant/link/scenario. */
export function rowId(c: RowCoords): string {
  return ROW_AXES.map((a) => c[a]).join('/');
}
