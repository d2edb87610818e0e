/**
 * Reads a posted patch series from disk for harness/review/series.ts: an mbox file, or a folder of
 * `*.patch` / `*.diff` files (a `git format-patch` output folder, cover letter included) taken in name
 * order. The parsing itself is pure and lives in series.ts; this is only the reading.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage, InputError } from '../util/errors.js';
import { parseSeries, type Series, type SeriesInput } from './series.js';

/** The texts of the series at `path`, each named by its path (errors and origins cite it). */
export async function readSeriesInputs(path: string): Promise<SeriesInput[]> {
  const info = await stat(path).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT' || e.code === 'ENOTDIR')
      throw new InputError(`${path}: no such file or folder (give an mbox or a folder of .patch files)`);
    throw new InputError(`${path}: cannot read it: ${errorMessage(e)}`);
  });
  const read = async (file: string): Promise<SeriesInput> => {
    try {
      return { name: file, text: await readFile(file, 'utf8') };
    } catch (e) {
      throw new InputError(`${file}: cannot read it: ${errorMessage(e)}`);
    }
  };
  if (!info.isDirectory()) return [await read(path)];
  const names = (await readdir(path, { withFileTypes: true }))
    .filter((d) => !d.isDirectory() && /\.(patch|diff)$/.test(d.name))
    .map((d) => d.name)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (names.length === 0) throw new InputError(`${path}: no .patch or .diff file in this folder`);
  return Promise.all(names.map((n) => read(join(path, n))));
}

/** The series at `path` (an mbox file or a folder of patch files), parsed and checked. */
export async function readSeries(path: string): Promise<Series> {
  return parseSeries(await readSeriesInputs(path));
}
