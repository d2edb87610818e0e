/**
 * The results file's schema (harness/model/results-schema.ts) and readResults, which applies it for
 * report, compare and merge: every results file the harness makes fits; a damaged or foreign one gets one
 * line naming the file and the field. (Through the built CLI: test/cli/results-bad.test.ts.)
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Static } from '@sinclair/typebox';
import t from 'tap';
import { formatPath } from '../../harness/model/field-path.js';
import type { Results } from '../../harness/model/results.js';
import { type ResultsSchema, resultsProblem } from '../../harness/model/results-schema.js';
import {
  cloneResults,
  generateResults,
  largeResults,
  withObservers,
} from '../../harness/report/synthetic.js';
import { mergeShards, shardCells } from '../../harness/results/merge.js';
import { readResults, summarize } from '../../harness/results/store.js';
import { InputError } from '../../harness/util/errors.js';
import { repoPath } from '../helpers/repo.js';

const small = JSON.parse(readFileSync(repoPath('test/fixtures/results/small.json'), 'utf8')) as Results;

// At compile time: every Results the harness writes fits the schema's type (it asks for nothing more).
const fits: Static<typeof ResultsSchema> = small;

/** A results file as it is on disk: JSON, without undefined members. */
const onDisk = (r: Results): unknown => JSON.parse(JSON.stringify(r));

/** Damage: a member set to a value its type does not allow, or removed. */
const set = (o: object, key: string, value: unknown) => {
  (o as Record<string, unknown>)[key] = value;
};
const unset = (o: object, key: string) => {
  delete (o as Record<string, unknown>)[key];
};

/** What resultsProblem says, as readResults words it after the file's name. */
function problem(v: unknown): string | undefined {
  const p = resultsProblem(v);
  return p && `${formatPath(p.path)}: ${p.message}`;
}

t.test('every results file the harness makes fits', async (t) => {
  t.equal(problem(fits), undefined, 'test/fixtures/results/small.json');
  const generated: [string, Results][] = [
    ['generateResults()', generateResults()],
    ['with strace', generateResults({ strace: true })],
    ['many failures and errors', generateResults({ failRate: 0.4, errorRate: 0.3, seed: 7 })],
    ['with client observers', withObservers(generateResults({ limit: 400, strace: true }))],
    ['largeResults(3000)', largeResults(3000)],
    ['no cells', generateResults({ limit: 0 })],
  ];
  for (const [what, r] of generated) t.equal(problem(onDisk(r)), undefined, what);
  // A merged run: the shards of a generated run, as run --shard would have written them, joined by merge.
  const run = generateResults({ limit: 600 });
  const shards = [0, 1, 2].map((index) => {
    const s = cloneResults(run);
    s.run.shard = { index, count: 3 };
    s.cells = shardCells(s.cells, { index, count: 3 });
    s.summary = summarize(s.cells);
    t.equal(problem(onDisk(s)), undefined, `shard ${index + 1}/3`);
    return { file: `s${index + 1}.json`, results: s };
  });
  const merged = mergeShards(shards, { id: 'merged', argv: ['merge'] });
  t.ok(merged.run.mergedFrom.length, 'the merged run has properties the schema does not name');
  t.equal(problem(onDisk(merged)), undefined, 'the merged run');
});

t.test('a damaged file: the first field that does not fit, and why', async (t) => {
  const cases: [string, (r: Results) => void, string][] = [
    [
      'a status of another word',
      (r) => set(r.cells[3]!, 'status', 'passed'),
      'cells[3].status: must be one of pass, fail, error, skip, not "passed"',
    ],
    ['a cell without a status', (r) => unset(r.cells[3]!, 'status'), 'cells[3].status: missing'],
    [
      'a link of no matrix',
      (r) => set(r.cells[0]!, 'link', 'dynamic'),
      'cells[0].link: must be one of shared, static, static-pie, not "dynamic"',
    ],
    [
      'an expected state of no kind',
      (r) => set(r.cells[1]!.expected, 'state', 'maybe'),
      'cells[1].expected.state: must be one of registered, unregistered, unavailable, skip, any, not "maybe"',
    ],
    [
      'an observed state of no kind',
      (r) => set(r.cells[2]!.observed, 'state', 7),
      'cells[2].observed.state: must be a string or null, not number 7',
    ],
    [
      'an observation of no kernel state',
      (r) => set(r.cells[0]!.observations[0]!, 'kernel', 'yes'),
      'cells[0].observations[0].kernel: must be one of registered, unregistered, unavailable, not "yes"',
    ],
    ['a cell without its id', (r) => unset(r.cells[5]!, 'id'), 'cells[5].id: missing'],
    [
      'patches that are not a list',
      (r) => set(r.cells[0]!, 'patches', 'none'),
      'cells[0].patches: must be an array, not string "none"',
    ],
    ['cells that are not a list', (r) => set(r, 'cells', { a: 1 }), 'cells: must be an array, not an object'],
    ['no run', (r) => unset(r, 'run'), 'run: missing'],
    [
      'a run that ended at a number',
      (r) => set(r.run, 'finishedAt', 12),
      'run.finishedAt: must be a string or null, not number 12',
    ],
    [
      'a shard with a negative index',
      (r) => set(r.run, 'shard', { index: -1, count: 3 }),
      'run.shard.index: must be at least 0, not number -1',
    ],
    [
      'a summary count that is not a whole number',
      (r) => set(r.summary, 'pass', 1.5),
      'summary.pass: must be an integer, not number 1.5',
    ],
    [
      'a build of another status',
      (r) => set(r.builds[0]!, 'status', 'fine'),
      'builds[0].status: must be one of ok, error, not "fine"',
    ],
    [
      'a group step of another status',
      (r) => {
        r.groups = generateResults({ limit: 10 }).groups;
        set(r.groups![0]!.steps[1]!, 'status', 'broken');
      },
      'groups[0].steps[1].status: must be one of ok, failed, skipped, not "broken"',
    ],
    [
      'an environment without its host name',
      (r) => unset(r.environment, 'hostname'),
      'environment.hostname: missing',
    ],
  ];
  for (const [what, damage, message] of cases) {
    const r = onDisk(small) as Results;
    damage(r);
    t.equal(problem(r), message, what);
  }
  const extra = onDisk(small) as Results;
  set(extra.cells[0]!, 'annotation', 'a field of a newer writer');
  set(extra.run, 'note', 'x');
  t.equal(problem(extra), undefined, 'properties the schema does not name are allowed');
});

t.test('readResults: one line naming the file and the field (InputError: exit 2)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rm-results-schema-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'results.json');
  const r = onDisk(small) as Results;
  set(r.cells[3]!, 'status', 'passed');
  writeFileSync(file, JSON.stringify(r));
  const e = await readResults(file).then(
    () => undefined,
    (x: unknown) => x,
  );
  t.ok(e instanceof InputError, 'an InputError');
  t.equal(
    (e as Error).message,
    `${file}: cells[3].status: must be one of pass, fail, error, skip, not "passed"`,
  );
  writeFileSync(file, JSON.stringify(small));
  t.same((await readResults(file)).summary, small.summary, 'a good file reads');
});
