#!/usr/bin/env node
/**
 * rseq-matrix: the command line. Exit status: 0 every cell passed, 1 some cell failed or errored,
 * 2 invalid input or usage, 3 the host or engine could not run the matrix, 130 interrupted.
 * The commands themselves are in ./program.ts; this file only runs them and maps errors to exit codes.
 */
import { CommanderError } from 'commander';
import { errorMessage, HostError, InputError } from '../util/errors.js';
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

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
  // The command is done. A handle left open must not keep the process alive: e.g. the engine ping's
  // request to a DOCKER_HOST that accepts and never answers outlives its time limit (docker/engine.ts).
  setTimeout(() => process.exit(code), 2000).unref();
});
