/**
 * Bad input through the real command line: each gets exit 2 and exactly one line naming the file, line
 * and field, never a stack trace. (The matrix corpus itself is test/bad-matrices, checked by
 * matrix.test.ts; these are the cases that need the file system or another command.)
 */
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { execa } from 'execa';
import t, { type Test } from 'tap';

const cli = join(process.cwd(), 'dist/harness/cli/main.js');
const tmp = mkdtempSync(join(tmpdir(), 'rm-bad-input-'));
t.teardown(() => rmSync(tmp, { recursive: true, force: true }));

async function rseqMatrix(args: string[]) {
  const r = await execa('node', [cli, ...args], { reject: false });
  return { code: r.exitCode, lines: r.stderr.split('\n').filter(Boolean), stdout: r.stdout };
}

function oneLine(t: Test, r: { code?: number; lines: string[] }, message: string) {
  t.equal(r.code, 2, 'exit 2');
  t.same(r.lines, [`rseq-matrix: ${message}`], 'exactly one line');
}

/** A one-variant matrix over stock bookworm with the given patch list. */
function matrixWithPatch(name: string, patch: string): string {
  const file = join(tmp, `${name}.yaml`);
  writeFileSync(
    file,
    `schemaVersion: 1
name: ${name}
glibc:
  - id: g
    source: debian
    debian: { suite: bookworm }
variants:
  - id: v
    patches: [${patch}]
links: [shared]
scenarios: [default]
stages: [main]
expect:
  - expect: registered
    why: w
`,
  );
  return file;
}

t.test('a patch file that does not exist', async (t) => {
  const file = matrixWithPatch('missing', 'test/no-such-file.patch');
  oneLine(
    t,
    await rseqMatrix(['validate', file]),
    `${relative(process.cwd(), file)}:9: variants[0].patches[0]: patch file "test/no-such-file.patch" does not exist in patches/`,
  );
});

t.test('a patch path that leaves patches/ through a symlink', async (t) => {
  const link = join(process.cwd(), 'patches', 'test', `.escape-${process.pid}.patch`);
  symlinkSync('/etc/passwd', link);
  t.teardown(() => rmSync(link, { force: true }));
  const rel = `test/.escape-${process.pid}.patch`;
  const file = matrixWithPatch('symlink', rel);
  oneLine(
    t,
    await rseqMatrix(['validate', file]),
    `${relative(process.cwd(), file)}:9: variants[0].patches[0]: patch path "${rel}" leaves patches/ (it resolves to /etc/passwd)`,
  );
  const run = await rseqMatrix(['run', file, '--no-setup', '--out', join(tmp, 'never')]);
  t.equal(run.code, 2, 'run refuses it before anything starts');
});

t.test('a results file of another schema version, given to report and compare', async (t) => {
  const good = JSON.parse(readFileSync('test/fixtures/results/small.json', 'utf8'));
  const future = join(tmp, 'future.json');
  writeFileSync(future, JSON.stringify({ ...good, schemaVersion: 2 }));
  const base = 'test/fixtures/results/small.json';
  const msg = `${future}:1: schemaVersion: this is version 2; this rseq-matrix reads version 1`;
  oneLine(t, await rseqMatrix(['report', future, '--out', join(tmp, 'r')]), msg);
  oneLine(t, await rseqMatrix(['compare', base, future]), msg);
  const notResults = join(tmp, 'not.json');
  writeFileSync(notResults, '{"hello": 1}');
  oneLine(
    t,
    await rseqMatrix(['compare', notResults, base]),
    `${notResults}:1: schemaVersion: missing; not an rseq-matrix results file`,
  );
});

t.test('a bad --filter and a bad --shard', async (t) => {
  oneLine(
    t,
    await rseqMatrix(['run', 'matrices/stock.yaml', '--no-setup', '--filter', 'stag=main']),
    '--filter: unknown axis "stag" (did you mean "stage"?); axes: glibc, variant, link, scenario, stage',
  );
  oneLine(
    t,
    await rseqMatrix(['run', 'matrices/stock.yaml', '--no-setup', '--shard', '0/2']),
    '--shard: "0/2": K must be from 1 to 2',
  );
});
