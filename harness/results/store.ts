/**
 * Writing results so that nothing measured is lost: each finished cell is appended to OUT/journal.jsonl
 * at once; OUT/results.json is written whole, to a temporary file renamed into place, so a reader never
 * sees a truncated file.
 */
import { appendFileSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatPath } from '../model/field-path.js';
import type { BuildResult, CellResult, GroupResult, Results, Summary } from '../model/results.js';
import { resultsProblem } from '../model/results-schema.js';
import { READABLE_RESULTS_VERSIONS, upgradeResults } from '../model/results-upgrade.js';
import { InputError } from '../util/errors.js';

export type JournalEntry =
  | { type: 'run'; run: Results['run']; environment: Results['environment'] }
  | { type: 'build'; build: BuildResult }
  | { type: 'group'; group: GroupResult }
  | { type: 'cell'; cell: CellResult };

export class Journal {
  readonly path: string;
  constructor(readonly outDir: string) {
    mkdirSync(outDir, { recursive: true });
    this.path = join(outDir, 'journal.jsonl');
  }
  start(entry: JournalEntry & { type: 'run' }): void {
    writeFileSync(this.path, `${JSON.stringify(entry)}\n`);
  }
  /** Synchronous on purpose: an entry is on disk before the next cell starts, whatever happens next. */
  append(entry: JournalEntry): void {
    appendFileSync(this.path, `${JSON.stringify(entry)}\n`);
  }
}

function writeFileAtomic(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

export function summarize(cells: readonly CellResult[]): Summary {
  const s: Summary = { pass: 0, fail: 0, error: 0, skip: 0, total: cells.length };
  for (const c of cells) s[c.status]++;
  return s;
}

export function writeResults(outDir: string, results: Results): string {
  const path = join(outDir, 'results.json');
  writeFileAtomic(path, `${JSON.stringify(results, null, 1)}\n`);
  return path;
}

/**
 * Reads a results file (for report, compare and merge), refusing one of a schema version it cannot read,
 * or one that does not fit the results schema (model/results-schema.ts), with a one-line error naming the
 * file and the field. A file of an older readable version comes back as the current version
 * (model/results-upgrade.ts: a version-1 file's cells are host cells).
 */
export async function readResults(path: string): Promise<Results> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new InputError(`${path}: cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  let v: Partial<Results>;
  try {
    v = JSON.parse(text) as Partial<Results>;
  } catch (e) {
    throw new InputError(`${path}: not a results file: ${(e as Error).message}`);
  }
  if (v === null || typeof v !== 'object' || !('schemaVersion' in v))
    throw new InputError(`${path}:1: schemaVersion: missing; not an rseq-matrix results file`);
  if (!READABLE_RESULTS_VERSIONS.includes(v.schemaVersion as number))
    throw new InputError(
      `${path}:1: schemaVersion: this is version ${JSON.stringify(v.schemaVersion)}; this rseq-matrix reads versions ${READABLE_RESULTS_VERSIONS.join(' and ')}`,
    );
  const current = upgradeResults(v);
  const problem = resultsProblem(current);
  if (problem) throw new InputError(`${path}: ${formatPath(problem.path)}: ${problem.message}`);
  return current as Results;
}
