/** Errors that carry the exit status the CLI must end with, and a message fit for one line. */

/** A user's mistake (bad matrix, bad option, bad file): exit 2, one line, no stack trace. */
export class InputError extends Error {
  readonly exitCode = 2;
  override name = 'InputError';
}

/** The host or engine cannot run the matrix (no Docker, no debootstrap, image build failed): exit 3. */
export class HostError extends Error {
  readonly exitCode = 3;
  override name = 'HostError';
  constructor(
    message: string,
    readonly hint?: string,
    readonly detail?: string,
  ) {
    super(message);
  }
}

/** The Docker engine stopped answering in the middle of a run (stopped, crashed, its socket gone). */
export class EngineLostError extends HostError {
  override name = 'EngineLostError';
}

/** SIGINT or SIGTERM before the run had anything to keep: exit 130, nothing written. */
export class InterruptedError extends Error {
  readonly exitCode = 130;
  override name = 'InterruptedError';
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Is this error (or its cause) the file system saying it is full? */
export function isNoSpace(e: unknown): boolean {
  for (let x: unknown = e, depth = 0; x && depth < 5; x = (x as { cause?: unknown }).cause, depth++) {
    if ((x as NodeJS.ErrnoException).code === 'ENOSPC') return true;
    if (/\bENOSPC\b|no space left on device/i.test(errorMessage(x))) return true;
  }
  return false;
}

/** The words every disk-full error of the harness carries (strerror(ENOSPC)). */
export const NO_SPACE = 'No space left on device';
