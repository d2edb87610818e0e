/**
 * House rules of the sources themselves: no harness source file (every .ts and .mts file under
 * harness/, read as written, not from dist/) over 600 lines; each one over is named with its count.
 * And no stale compiled test: tap runs the unit tests from dist/test/unit/, which tsc writes but never
 * cleans, so a test file renamed or removed under test/ would otherwise go on running from dist/.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import t from 'tap';
import { REPO } from '../helpers/repo.js';

const ROOT = REPO;
const HARNESS = join(ROOT, 'harness');
const MAX_LINES = 600;

/** Every .ts and .mts file under `dir`, as paths from the package root. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return e.isFile() && /\.m?ts$/.test(e.name) ? [relative(ROOT, path)] : [];
  });
}

/** Lines as `wc -l` would count them, and a last line without its line end too. */
function lineCount(text: string): number {
  const lines = text.split('\n');
  return lines[lines.length - 1] === '' ? lines.length - 1 : lines.length;
}

t.test(`no harness source file over ${MAX_LINES} lines`, async (t) => {
  const files = sources(HARNESS);
  t.ok(files.includes(join('harness', 'cli', 'main.ts')), 'the walk finds the sources (harness/cli/main.ts)');
  t.ok(
    files.some((f) => f.endsWith('.mts')),
    'the walk finds the .mts sources too',
  );
  const over = files
    .map((file) => ({ file, lines: lineCount(readFileSync(join(ROOT, file), 'utf8')) }))
    .filter((f) => f.lines > MAX_LINES)
    .map((f) => `${f.file}: ${f.lines} lines`);
  t.same(over, [], `every one of the ${files.length} files has at most ${MAX_LINES} lines`);
});

t.test('every compiled test under dist/test/ has its source under test/', async (t) => {
  const compiled = join(ROOT, 'dist', 'test');
  t.ok(existsSync(join(compiled, 'unit')), 'dist/test/unit exists (tsc -p tsconfig.test.json writes it)');
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.test.js') ? [join(dir, e.name)] : [],
    );
  const stale = walk(compiled)
    .map((js) => relative(compiled, js))
    .filter((js) => !existsSync(join(ROOT, 'test', js.replace(/\.js$/, '.ts'))))
    .map((js) => `dist/test/${js} has no test/${js.replace(/\.js$/, '.ts')} (remove it)`);
  t.same(stale, [], 'no compiled test without its source');
});
