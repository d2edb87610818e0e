/**
 * --resume: carry on from what an earlier run of the same matrix saved in its journal (after a crash,
 * kill -9 or Ctrl-C). Cells already measured are kept, not run again; errors are run again, since an
 * error is what an interrupted cell can look like.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BuildResult, CellResult, GroupResult, Results } from '../model/results.js';
import { upgradeCell } from '../model/results-upgrade.js';
import { InputError } from '../util/errors.js';
import type { JournalEntry } from './store.js';

export interface SavedRun {
  run: Results['run'];
  cells: CellResult[];
  builds: BuildResult[];
  /** The groups' pipelines as far as they were journalled (a group run again replaces its record). */
  groups: GroupResult[];
}

/** Parses journal lines; a last line cut short by a crash is dropped. Pure. */
export function parseJournal(text: string, file: string, matrixDigest: string): SavedRun | undefined {
  const lines = text.split('\n').filter((l) => l.trim());
  let saved: SavedRun | undefined;
  const cells = new Map<string, CellResult>();
  const builds: BuildResult[] = [];
  const groups = new Map<string, GroupResult>();
  lines.forEach((line, i) => {
    let e: JournalEntry;
    try {
      e = JSON.parse(line) as JournalEntry;
    } catch {
      if (i === lines.length - 1) return; // the write the crash interrupted
      throw new InputError(`${file}:${i + 1}: not a journal line; cannot resume from it`);
    }
    if (e.type === 'run') {
      if (e.run.matrix.digest !== matrixDigest)
        throw new InputError(
          `${file}:${i + 1}: run.matrix.digest: this journal is of another matrix (or an edited one); cannot resume`,
        );
      saved = { run: e.run, cells: [], builds, groups: [] };
    } else if (e.type === 'cell') {
      // A journal written before the kernel axis holds host cells (the ids are the same).
      const cell = upgradeCell(e.cell);
      cells.set(cell.id, cell);
    } else if (e.type === 'build') builds.push(e.build);
    else if (e.type === 'group') groups.set(e.group.id, e.group);
  });
  if (!saved) return undefined;
  saved.cells = [...cells.values()].filter((c) => c.status !== 'error');
  saved.groups = [...groups.values()];
  return saved;
}

export function readSavedRun(outDir: string, matrixDigest: string): SavedRun | undefined {
  const file = join(outDir, 'journal.jsonl');
  if (!existsSync(file)) return undefined;
  return parseJournal(readFileSync(file, 'utf8'), file, matrixDigest);
}
