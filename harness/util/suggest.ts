/** "did you mean" hints for unknown names in messages. */
import { closest, distance } from 'fastest-levenshtein';

/** ` (did you mean "x"?)` when a known word is close to the given one, else ''. */
export function didYouMean(word: string, known: readonly string[]): string {
  if (known.length === 0) return '';
  const best = closest(word, [...known]);
  const d = distance(word.toLowerCase(), best.toLowerCase());
  return d <= Math.max(2, Math.floor(best.length / 3)) ? ` (did you mean "${best}"?)` : '';
}
