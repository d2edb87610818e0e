/** The tool's name and version, as results files and --version show it. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../util/paths.js';

export const TOOL_VERSION: string = (() => {
  try {
    return `rseq-matrix ${(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version}`;
  } catch {
    return 'rseq-matrix (unknown version)';
  }
})();
