/**
 * Prerequisites of a test (a binary, root, a reachable mirror, a cached build it could not make).
 * Under CI=true a missing one FAILS the test, naming it: CI installs everything the tests need, so a
 * missing prerequisite there is a broken CI set-up, never a reason to pass. Elsewhere it is a skip with
 * the reason (tap counts skips in its summary).
 */
import { execa } from 'execa';
import type { Test } from 'tap';

export const underCI = (): boolean => process.env.CI === 'true';

/**
 * True when the prerequisite is there (`missing` is false). Otherwise fails (CI=true) or skips with
 * `missing` as the reason, and returns false: the caller returns at once.
 *
 *   if (!requirePrereq(t, 'root', isRoot ? false : 'run the tests as root')) return;
 */
export function requirePrereq(t: Test, what: string, missing: string | false | undefined): boolean {
  if (!missing) return true;
  if (underCI()) t.fail(`missing prerequisite under CI=true: ${what} (${missing})`);
  else t.pass(`missing prerequisite: ${what}`, { skip: missing });
  return false;
}

/**
 * For a prerequisite of a whole file: when it is missing, records the failure (CI=true) or the skip, and
 * ends the process (exit 1 under CI, 0 otherwise) without running the rest of the file. Call it at the
 * top, before any t.test: a test already started would be cut off unfinished.
 */
export function requireFilePrereq(t: Test, what: string, missing: string | false | undefined): void {
  if (requirePrereq(t, what, missing)) return;
  t.end();
  process.exit(underCI() ? 1 : 0);
}

/** The path of a command on PATH, or undefined. */
export async function which(cmd: string): Promise<string | undefined> {
  const r = await execa('sh', ['-c', 'command -v "$1"', 'sh', cmd], { reject: false });
  return r.exitCode === 0 && r.stdout.trim() ? r.stdout.trim() : undefined;
}

export const isRoot = (): boolean => process.getuid?.() === 0;

/** Why root is missing, or false. */
export const notRoot = (why: string): string | false => (isRoot() ? false : `not root: ${why}`);

/** False when `url` answers an HTTP HEAD within 10 s (any status), else why not. */
export async function unreachable(url: string): Promise<string | false> {
  try {
    await fetch(url, { method: 'HEAD', signal: AbortSignal.timeout(10_000) });
    return false;
  } catch (e) {
    const cause = (e as { cause?: { message?: string } }).cause?.message;
    return `${url} does not answer: ${cause ?? (e as Error).message}`;
  }
}
