/** The file I/O around the report formats: write report.html, junit.xml and results.tap for a run. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Results } from '../model/results.js';
import { readResults } from '../results/store.js';
import { renderReport } from './html.js';
import { toJUnit } from './junit.js';
import { toTap } from './tap.js';

export interface WrittenReports {
  html: string;
  junit: string;
  tap: string;
}

export async function writeReports(
  results: Results,
  outDir: string,
  opts: { baseline?: Results; title?: string } = {},
): Promise<WrittenReports> {
  await mkdir(outDir, { recursive: true });
  const out = {
    html: join(outDir, 'report.html'),
    junit: join(outDir, 'junit.xml'),
    tap: join(outDir, 'results.tap'),
  };
  await Promise.all([
    writeFile(out.html, renderReport(results, opts)),
    writeFile(out.junit, toJUnit(results)),
    writeFile(out.tap, toTap(results)),
  ]);
  return out;
}

/** Reads OUT/results.json (and a baseline results file) and writes the reports next to it or into outDir. */
export async function writeReportsFromFiles(
  resultsPath: string,
  outDir: string,
  opts: { baselinePath?: string; title?: string } = {},
): Promise<WrittenReports> {
  const results = await readResults(resultsPath);
  const baseline = opts.baselinePath ? await readResults(opts.baselinePath) : undefined;
  return writeReports(results, outDir, { baseline, title: opts.title });
}
