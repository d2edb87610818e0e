/**
 * One piece of work per key, however many callers ask for it at once: the first caller starts it, the
 * others get the same promise. A failed attempt is forgotten, so a later caller tries again.
 */
export function sharedWork<T>(
  pending: Map<string, Promise<T>>,
  key: string,
  start: () => Promise<T>,
): Promise<T> {
  let p = pending.get(key);
  if (!p) {
    p = start();
    pending.set(key, p);
    p.catch(() => pending.delete(key));
  }
  return p;
}
