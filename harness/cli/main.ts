#!/usr/bin/env node
/**
 * rseq-matrix: the command line. Exit status: 0 every cell passed, 1 some cell failed or errored,
 * 2 invalid input or usage, 3 the host or engine could not run the matrix, 130 interrupted,
 * 70 an internal error (a bug). README.md, "Exit status", lists what each fault ends with.
 * The commands themselves are in ./program.ts; this file only runs them and maps errors to exit codes.
 */
import { CommanderError } from 'commander';
import { errorMessage, HostError, InputError, InterruptedError } from '../util/errors.js';
import { buildProgram } from './program.js';

export { buildProgram };

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version end here too, with exit code 0.
      return e.exitCode === 0 ? 0 : 2;
    }
    if (e instanceof InputError) {
      process.stderr.write(`rseq-matrix: ${e.message}\n`);
      return 2;
    }
    if (e instanceof InterruptedError) {
      process.stderr.write(`rseq-matrix: ${e.message}\n`);
      return 130;
    }
    if (e instanceof HostError) {
      process.stderr.write(`rseq-matrix: ${e.message}\n`);
      if (e.detail) process.stderr.write(`${e.detail.trimEnd()}\n`);
      if (e.hint) process.stderr.write(`fix: ${e.hint}\n`);
      return 3;
    }
    process.stderr.write(`rseq-matrix: internal error: ${errorMessage(e)}\n${(e as Error)?.stack ?? ''}\n`);
    return 70;
  }
}

function internalError(e: unknown): void {
  process.stderr.write(`rseq-matrix: internal error: ${errorMessage(e)}\n${(e as Error)?.stack ?? ''}\n`);
  process.exit(70);
}
// A bug must not end the process with status 1 ("a cell failed") as Node's default would.
process.on('uncaughtException', internalError);
process.on('unhandledRejection', internalError);

let settled = false;
// The event loop ran dry while the command was still waiting: a promise nothing will ever settle (a
// request whose connection was lost without an error). Node would exit with status 0 and no results.
process.on('beforeExit', () => {
  if (!settled)
    internalError(new Error('the command stopped with work unfinished (a request that was never answered)'));
});

main(process.argv.slice(2)).then((code) => {
  settled = true;
  process.exitCode = code;
  // The command is done. A handle left open must not keep the process alive: e.g. the engine ping's
  // request to a DOCKER_HOST that accepts and never answers outlives its time limit (docker/engine.ts).
  setTimeout(() => process.exit(code), 2000).unref();
});
