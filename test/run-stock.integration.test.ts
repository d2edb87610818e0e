/**
 * The walking skeleton for real: the stock matrix through a real Docker engine, real images made by
 * debootstrap, real probes against Debian's own glibc 2.31 and 2.36 on this kernel.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import t from 'tap';
import type { Results } from '../harness/results/types.js';

const cli = join(process.cwd(), 'dist/harness/cli/main.js');
const tmp = mkdtempSync(join(tmpdir(), 'rm-stock-'));

function ourContainers(): string[] {
  const out = execFileSync('docker', ['ps', '-aq', '--filter', 'label=rseq-matrix.session']).toString().trim();
  return out ? out.split('\n') : [];
}

t.test('the stock matrix passes on this machine', async (t) => {
  const out = join(tmp, 'stock');
  const r = await execa('node', [cli, 'run', 'matrices/stock.yaml', '--out', out, '--json'], { reject: false, timeout: 1_500_000 });
  t.equal(r.exitCode, 0, `exit 0\n${r.stderr.slice(-3000)}`);
  const summary = JSON.parse(r.stdout);
  t.equal(summary.results, join(out, 'results.json'));
  const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as Results;
  t.equal(results.schemaVersion, 1);
  t.match(results.environment, { kernel: /\S/, docker: { version: /\S/, apiVersion: /^\d+\.\d+$/ } });
  t.equal(results.cells.length, 24);
  t.same(results.summary, { pass: 20, fail: 0, error: 0, skip: 4, total: 24 });
  t.equal(results.run.complete, true);
  for (const c of results.cells) {
    if (c.status === 'skip') continue;
    t.equal(c.observed.registered, c.expected.registered, `${c.id} observed = expected`);
    t.ok(c.observations.length > 0 && c.observations.every((o) => o.stage === c.stage), `${c.id} has its own observations`);
  }
  const byId = new Map(results.cells.map((c) => [c.id, c]));
  // glibc's claim as the background doc predicts: Debian's 2.36 says 20, registers 32 bytes; 2.31 has no symbols.
  t.match(byId.get('bookworm/stock/shared/default/main')?.observations[0]?.glibc, { rseqSize: 20, areaRegistered: true, areaLen: 32 });
  t.match(byId.get('bookworm/stock/shared/tunable-off/main')?.observations[0]?.glibc, { rseqSize: 0, cpuId: -2 });
  t.match(byId.get('bullseye/stock/shared/default/main')?.observations[0]?.glibc, { rseqSize: null, rseqOffset: null });
  const journal = readFileSync(join(out, 'journal.jsonl'), 'utf8').trim().split('\n');
  t.equal(journal.filter((l) => JSON.parse(l).type === 'cell').length, 24, 'every cell was journalled');
  t.same(ourContainers(), [], 'no container of the run is left');
});

t.test('a flipped expectation fails the run and names the cell', async (t) => {
  const text = readFileSync('matrices/stock.yaml', 'utf8').replace(
    /(- match: \{ glibc: bookworm, scenario: tunable-off \}\n\s+expect:) unregistered/,
    '$1 registered',
  );
  t.not(text, readFileSync('matrices/stock.yaml', 'utf8'), 'the copy differs');
  const file = join(tmp, 'flipped.yaml');
  writeFileSync(file, text);
  const r = await execa('node', [cli, 'run', file, '--out', join(tmp, 'flipped'), '--filter', 'stage=main'], {
    reject: false,
    timeout: 600_000,
  });
  t.equal(r.exitCode, 1);
  t.match(r.stdout, 'FAIL bookworm/stock/shared/tunable-off/main: expected registered, observed unregistered');
  t.match(r.stdout, 'FAIL bookworm/stock/static/tunable-off/main: expected registered, observed unregistered');
  t.notMatch(r.stdout, /FAIL bookworm\/stock\/shared\/default/);
  t.same(ourContainers(), []);
});

t.test('bad input exits 2 with one line; no engine needed', async (t) => {
  const r = await execa('node', [cli, 'run', 'test/bad-matrices/unknown-stage.yaml'], { reject: false });
  t.equal(r.exitCode, 2);
  t.equal(r.stderr.trim().split('\n').length, 1, 'one line');
  t.match(r.stderr, /unknown-stage\.yaml:21: stages\[1\]: unknown stage "preload-ctr"/);
  const f = await execa('node', [cli, 'run', 'matrices/stock.yaml', '--filter', 'stage=nothing'], { reject: false });
  t.equal(f.exitCode, 2);
  t.match(f.stderr, 'selects no cell');
  const u = await execa('node', [cli, 'run'], { reject: false });
  t.equal(u.exitCode, 2, 'usage error');
});

t.test('Ctrl-C keeps what was measured, removes the containers and exits 130', async (t) => {
  const text = readFileSync('matrices/stock.yaml', 'utf8')
    .replace('scenarios: [default, tunable-off]', 'scenarios: [default, tunable-off, seccomp-eperm, seccomp-enosys]')
    .concat("  - match: { glibc: [bullseye, bookworm], scenario: 'seccomp-*' }\n    expect: unavailable\n    why: the profile refuses rseq\n");
  const file = join(tmp, 'four-scenarios.yaml');
  writeFileSync(file, text);
  const out = join(tmp, 'interrupted');
  const child = execa('node', [cli, 'run', file, '--out', out, '--jobs', '1'], { reject: false, all: true });
  let sent = false;
  child.stderr?.on('data', (b: Buffer) => {
    if (!sent && b.toString().includes('probed ')) {
      sent = true;
      child.kill('SIGINT');
    }
  });
  const r = await child;
  t.ok(sent, 'the run got as far as probing');
  t.equal(r.exitCode, 130, `exit 130\n${r.all?.slice(-2000)}`);
  const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as Results;
  t.equal(results.run.complete, false);
  t.equal(results.run.interrupted, 'SIGINT');
  t.ok(results.summary.pass >= 1, `cells measured before the stop are kept (${results.summary.pass} pass)`);
  t.equal(results.summary.error, 0, 'no cell is blamed for our own stop');
  t.ok(results.cells.length < 48, 'not every cell ran');
  const journalled = readFileSync(join(out, 'journal.jsonl'), 'utf8').trim().split('\n').filter((l) => JSON.parse(l).type === 'cell');
  t.equal(journalled.length, results.cells.length, 'journal and results agree');
  t.same(ourContainers(), [], 'no container of the run is left');
});
