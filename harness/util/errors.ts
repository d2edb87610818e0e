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

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
