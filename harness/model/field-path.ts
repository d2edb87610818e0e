/** The path of a field inside a document (a matrix, a results file), as error messages name it. Pure. */

/** Keys and list indexes from the document's root, e.g. ['expect', 3, 'match', 'stage']. */
export type FieldPath = readonly (string | number)[];

/** `expect[3].match.stage` */
export function formatPath(path: FieldPath): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${p}` : p;
  return out || '(top level)';
}
