/** The file I/O around compare.ts: read results files, write a comparison in every format. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readResults } from '../results/store.js';
import { type Comparison, compareRuns, formatJson, formatMarkdown, formatText } from './compare.js';

/** Compares two results files and writes comparison.{txt,md,json} into outDir. */
export async function compareFiles(oldPath: string, newPath: string, outDir?: string): Promise<Comparison> {
  const [a, b] = await Promise.all([readResults(oldPath), readResults(newPath)]);
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
