/**
 * The HTML report's inline script and style: the files that page-build.ts builds from page/ (`npm run
 * build` writes dist/harness/report/page/report.js and report.css). html.ts inlines them and hashes them for
 * the page's Content-Security-Policy.
 *
 * They are found next to this module when it runs from dist/, and in the repository's dist/ when it runs
 * from the sources (the tests).
 */
import { readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SCRIPT_FILE = 'report.js';
export const STYLE_FILE = 'report.css';

const here = dirname(fileURLToPath(import.meta.url));
/** The repository (or package) root: this module is in harness/report or dist/harness/report. */
export const ROOT =
  basename(resolve(here, '../..')) === 'dist' ? resolve(here, '../../..') : resolve(here, '../..');
/** Where page-build.ts writes the page's script and style. */
export const PAGE_OUT_DIR = join(ROOT, 'dist', 'harness', 'report', 'page');
/** The page's sources. */
export const PAGE_SRC_DIR = join(ROOT, 'harness', 'report', 'page');

function readAsset(name: string): string {
  for (const dir of [join(here, 'page'), PAGE_OUT_DIR]) {
    try {
      return readFileSync(join(dir, name), 'utf8');
    } catch {
      // Not in this place: try the next.
    }
  }
  return '';
}

/** The page's script ('' when the page is not built). */
export const CLIENT_JS = readAsset(SCRIPT_FILE);
/** The page's style ('' when the page is not built). */
export const CLIENT_CSS = readAsset(STYLE_FILE);

export function pageAssets(): { script: string; style: string } {
  if (!CLIENT_JS || !CLIENT_CSS)
    throw new Error(
      `the report page is not built: ${join(PAGE_OUT_DIR, SCRIPT_FILE)} or ${STYLE_FILE} is missing (run npm run build)`,
    );
  return { script: CLIENT_JS, style: CLIENT_CSS };
}
