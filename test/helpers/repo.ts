/**
 * The repository's root and files under it, found the same way whether a test runs as TypeScript
 * from test/ (the cli, engine, browser, host and nightly tests, through tap's TypeScript loader) or
 * compiled into dist/test/ (the unit tests, in `npm run test:unit` and `npm test` alike): the nearest
 * folder above this file that holds package.json.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

function findRepo(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

/** The repository's root. */
export const REPO = findRepo(import.meta.dirname);

/** A path under the repository's root, e.g. repoPath('test', 'fixtures', 'results', 'small.json'). */
export function repoPath(...parts: string[]): string {
  return join(REPO, ...parts);
}
