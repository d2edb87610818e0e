/**
 * Bad input through the real command line: each gets exit 2 and exactly one line naming the file, line
 * and field, never a stack trace. (The matrix corpus itself is test/unit/bad-matrices, checked by
 * matrix.test.ts; these are the cases that need the file system or another command.)
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import t, { type Test } from 'tap';
import { CLI, isolatedCli, runCli, runCliAt } from '../helpers/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'rm-bad-input-'));
t.teardown(() => rmSync(tmp, { recursive: true, force: true }));

async function rseqMatrix(args: string[], cli = CLI) {
  const r = await runCliAt(cli, args);
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
  // The symlink goes into the patches/ of a copy of the CLI in this test's folder, not the repository's.
  const copy = isolatedCli(join(tmp, 'symlink-cli'));
  mkdirSync(join(copy.patches, 'test'));
  symlinkSync('/etc/passwd', join(copy.patches, 'test', 'escape.patch'));
  const rel = 'test/escape.patch';
  const file = matrixWithPatch('symlink', rel);
  oneLine(
    t,
    await rseqMatrix(['validate', file], copy.cli),
    `${relative(process.cwd(), file)}:9: variants[0].patches[0]: patch path "${rel}" leaves patches/ (it resolves to /etc/passwd)`,
  );
  const run = await rseqMatrix(['run', file, '--no-setup', '--out', join(tmp, 'never')], copy.cli);
  t.equal(run.code, 2, 'run refuses it before anything starts');
});

t.test('a results file of another schema version, given to report and compare', async (t) => {
  const good = JSON.parse(readFileSync('test/fixtures/results/small.json', 'utf8'));
  const future = join(tmp, 'future.json');
  writeFileSync(future, JSON.stringify({ ...good, schemaVersion: 3 }));
  const base = 'test/fixtures/results/small.json';
  const msg = `${future}:1: schemaVersion: this is version 3; this rseq-matrix reads versions 1 and 2`;
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
    '--filter: unknown axis "stag" (did you mean "stage"?); axes: glibc, variant, kernel, link, scenario, stage',
  );
  oneLine(
    t,
    await rseqMatrix(['run', 'matrices/stock.yaml', '--no-setup', '--shard', '0/2']),
    '--shard: "0/2": K must be from 1 to 2',
  );
  oneLine(
    t,
    await rseqMatrix(['run', 'matrices/stock.yaml', '--no-setup', '--ccache', 'cold']),
    '--ccache: "cold" is not one of incremental, all, off',
  );
});

t.test('bad input to run exits 2 with one line; no engine needed', async (t) => {
  const r = await runCli(['run', 'test/unit/bad-matrices/unknown-stage.yaml']);
  t.equal(r.exitCode, 2);
  t.equal(r.stderr.trim().split('\n').length, 1, 'one line');
  t.match(r.stderr, /unknown-stage\.yaml:21: stages\[1\]: unknown stage "preload-ctr"/);
  const f = await runCli(['run', 'matrices/stock.yaml', '--filter', 'stage=nothing']);
  t.equal(f.exitCode, 2);
  t.match(f.stderr, 'selects no cell');
  const u = await runCli(['run']);
  t.equal(u.exitCode, 2, 'usage error');
});

t.test('bad input to review: exit 2, one line naming the file, before anything is built', async (t) => {
  const dir = join(tmp, 'review');
  mkdirSync(dir, { recursive: true });
  const review = async (series: string, ...more: string[]) =>
    rseqMatrix(['review', series, '--base', 'glibc-2.36', '--no-setup', '--out', join(dir, 'out'), ...more]);
  const hunk = (header: string) =>
    [
      'From 0123456789abcdef0123456789abcdef01234567 Mon Sep 17 00:00:00 2001',
      'From: A Developer <dev@example.org>',
      'Date: Fri, 3 May 2019 14:42:15 -0400',
      'Subject: [PATCH 1/1] elf: a change',
      '',
      'Why.',
      '---',
      'diff --git a/elf/x.c b/elf/x.c',
      '--- a/elf/x.c',
      '+++ b/elf/x.c',
      header,
      ' one',
      '+added',
      ' two',
      '-- ',
      '2.39.2',
      '',
    ].join('\n');

  const none = join(dir, 'none.mbox');
  writeFileSync(
    none,
    'From 0123456789abcdef0123456789abcdef01234567 Mon Sep 17 00:00:00 2001\nFrom: A <a@example.org>\nSubject: Re: [PATCH 1/2] rseq\n\nA reply, no diff.\n',
  );
  const noPatch = await review(none);
  t.equal(noPatch.code, 2, 'an mbox with no patch: exit 2');
  t.equal(noPatch.lines.length, 1, 'one line');
  t.match(noPatch.lines[0] ?? '', /none\.mbox.*no patch/);

  const corrupt = join(dir, 'corrupt.mbox');
  writeFileSync(corrupt, hunk('@@ -1,2 +1,4 @@'));
  const bad = await review(corrupt);
  t.equal(bad.code, 2, 'a corrupt hunk (its header says 4 new lines, it has 3): exit 2');
  t.equal(bad.lines.length, 1, 'one line');
  t.match(bad.lines[0] ?? '', /corrupt\.mbox:\d+: .*hunk/, 'naming the file, line and hunk');

  const good = join(dir, 'good.mbox');
  writeFileSync(good, hunk('@@ -1,2 +1,3 @@'));
  const base = await rseqMatrix([
    'review',
    good,
    '--base',
    'glibc-2.63',
    '--no-setup',
    '--out',
    join(dir, 'out'),
  ]);
  t.equal(base.code, 2, 'an unknown base: exit 2');
  t.match(base.lines[0] ?? '', /--base: "glibc-2\.63" is no glibc entry of matrices\/rseq\.yaml/);
  t.equal(base.lines.length, 1, 'one line');

  const against = await review(good, '--against', join(dir, 'none.mbox'));
  t.equal(against.code, 2, '--against something that is no review: exit 2');
  t.match(against.lines[0] ?? '', /--against: .*none\.mbox: not JSON/);

  const format = await review(good, '--format', 'html');
  t.equal(format.code, 2, 'an unknown --format: exit 2');
  t.same(format.lines, ['rseq-matrix: --format: "html" is not one of text, markdown, json']);

  const missing = await review(join(dir, 'no-such.mbox'));
  t.equal(missing.code, 2, 'a series that does not exist: exit 2');
  t.match(missing.lines[0] ?? '', /no-such\.mbox/);
});
