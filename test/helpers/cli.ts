/** The compiled command line, as users run it, and how the tests run it. */
import { cpSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { execa, type Options } from 'execa';
import { REPO } from './repo.js';

/** The repository's root (see repo.ts). */
export { REPO };

/** The built CLI (`npm run build` makes it): dist/harness/cli/main.js. */
export const CLI = join(REPO, 'dist', 'harness', 'cli', 'main.js');

/**
 * `rseq-matrix ARGS...` through node, not rejecting on a non-zero exit (the tests assert the exit
 * code); `options` go to execa as they are (env, timeout, all, ...).
 */
export function runCli<const O extends Options = object>(args: readonly string[], options?: O) {
  return runCliAt(CLI, args, options);
}

/** runCli with another copy of the CLI (see isolatedCli). */
export function runCliAt<const O extends Options = object>(
  cli: string,
  args: readonly string[],
  options?: O,
) {
  const opts = { reject: false, ...options } as Omit<{ reject: false }, keyof O> & O;
  return execa('node', [cli, ...args], opts);
}

/**
 * A copy of the built CLI in a package root of its own under `dir`: dist/ copied (about 1 MB),
 * node_modules, package.json, probes/ and images/ linked to the repository's, and an empty patches/
 * of its own. The harness finds patches/ beside dist/ (harness/util/paths.ts: PATCHES_DIR), so a test
 * that needs a file of its own in patches/ puts it here instead of into the repository.
 */
export function isolatedCli(dir: string): { cli: string; patches: string } {
  const root = join(dir, 'package');
  mkdirSync(root, { recursive: true });
  cpSync(join(REPO, 'dist'), join(root, 'dist'), { recursive: true });
  for (const name of ['node_modules', 'package.json', 'probes', 'images'])
    symlinkSync(join(REPO, name), join(root, name));
  const patches = join(root, 'patches');
  mkdirSync(patches);
  return { cli: join(root, 'dist', 'harness', 'cli', 'main.js'), patches };
}
