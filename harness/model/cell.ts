/**
 * A cell's coordinates and the ids made of them: one type and the id functions for the whole harness.
 * A cell is one point of the axes (catalogue.ts AXES); a new axis is added to AXES and so to CellCoords,
 * and the ids follow. Pure.
 *
 * Ids join the coordinates in axis order with '/': glibc/variant/kernel/link/scenario/stage. The kernel
 * is left out when it is the host's (HOST_KERNEL), so a host cell keeps the id it had before the kernel
 * axis existed (glibc/variant/link/scenario/stage) and old baselines still compare. The two forms cannot
 * be confused: no coordinate holds a '/', and a host id has five parts where any other has six.
 */
import { AXES, type Axis, HOST_KERNEL, type Link } from './catalogue.js';

/** Where a cell sits: one value per axis. PlannedCell and CellResult extend it. */
export interface CellCoords extends Record<Axis, string> {
  link: Link;
}

/** A grid row: a cell's coordinates but the stage. */
export type RowCoords = Omit<CellCoords, 'stage'>;

/** What the run handles as one unit: one build (glibc x variant) probed on one kernel. */
export interface GroupCoords {
  glibc: string;
  variant: string;
  /** Absent: the host kernel (a build result, which belongs to no kernel, names its host group so). */
  kernel?: string;
}

const ROW_AXES = AXES.filter((a): a is Exclude<Axis, 'stage'> => a !== 'stage');

/** The id of any prefix of the axes: the values in axis order, the host kernel left out. */
function joinAxes(c: Partial<Record<Axis, string>>, axes: readonly Axis[]): string {
  return axes
    .filter((a) => a !== 'kernel' || (c.kernel ?? HOST_KERNEL) !== HOST_KERNEL)
    .map((a) => c[a])
    .join('/');
}

/** The cell's id: glibc/variant/link/scenario/stage on the host kernel, else glibc/variant/kernel/link/... */
export function cellId(c: CellCoords): string {
  return joinAxes(c, AXES);
}

/** The row's id: the cell's id without the stage. */
export function rowId(c: RowCoords): string {
  return joinAxes(c, ROW_AXES);
}

/** The group's id: glibc/variant on the host kernel, else glibc/variant/kernel. */
export function groupId(c: GroupCoords): string {
  return joinAxes(c, ['glibc', 'variant', 'kernel']);
}
