/** The file I/O around compare.ts: read results files, write a comparison in every format. */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RESULTS_SCHEMA_VERSION, type Results } from '../results/types.js';
import { InputError, errorMessage } from '../util/errors.js';
import { type Comparison, compareRuns, formatJson, formatMarkdown, formatText } from './compare.js';

/** Reads a results.json; checks only what a reader needs (schema version, cells, run). */
export async function readResultsFile(path: string): Promise<Results> {
  let data: unknown;
  try {
    data = JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    throw new InputError(`cannot read results file ${path}: ${errorMessage(e)}`);
  }
  const r = data as Partial<Results> | null;
  if (!r || typeof r !== 'object' || !Array.isArray(r.cells) || !r.run || typeof r.run !== 'object')
    throw new InputError(`${path} is not a results file (no run or cells)`);
  if (r.schemaVersion !== RESULTS_SCHEMA_VERSION)
    throw new InputError(
      `${path} has results schema version ${String(r.schemaVersion)}; this tool reads version ${RESULTS_SCHEMA_VERSION}`,
    );
  return r as Results;
}

/** Compares two results files and writes comparison.{txt,md,json} into outDir. */
export async function compareFiles(oldPath: string, newPath: string, outDir?: string): Promise<Comparison> {
  const [a, b] = await Promise.all([readResultsFile(oldPath), readResultsFile(newPath)]);
  const c = compareRuns(a, b);
  if (outDir) {
    await Promise.all([
      writeFile(join(outDir, 'comparison.txt'), formatText(c)),
      writeFile(join(outDir, 'comparison.md'), formatMarkdown(c)),
      writeFile(join(outDir, 'comparison.json'), formatJson(c)),
    ]);
  }
  return c;
}
