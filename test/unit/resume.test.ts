/** --resume: reading a journal back (a last line cut short by a crash, and what cannot be resumed). */
import t from 'tap';
import { parseJournal } from '../../harness/results/resume.js';
import { InputError } from '../../harness/util/errors.js';

const run = (digest: string) =>
  JSON.stringify({
    type: 'run',
    run: { id: 'r1', matrix: { path: 'm.yaml', name: 'm', digest } },
    environment: {},
  });
const cell = (id: string, status: string) => JSON.stringify({ type: 'cell', cell: { id, status } });

t.test('a journal cut short by kill -9', async (t) => {
  const text = [
    run('d1'),
    cell('a', 'pass'),
    cell('b', 'error'),
    cell('c', 'fail'),
    '{"type":"cell","cell":{"id":"d"',
  ].join('\n');
  const saved = parseJournal(text, 'out/journal.jsonl', 'd1');
  t.same(
    saved?.cells.map((c) => c.id),
    ['a', 'c'],
    'measured cells are kept; errors run again; the torn last line is dropped',
  );
  t.equal(saved?.run.id, 'r1');
});

t.test('refusals', async (t) => {
  t.throws(
    () => parseJournal([run('d1'), cell('a', 'pass')].join('\n'), 'out/journal.jsonl', 'd2'),
    new InputError(
      'out/journal.jsonl:1: run.matrix.digest: this journal is of another matrix (or an edited one); cannot resume',
    ),
  );
  t.throws(
    () => parseJournal([run('d1'), 'garbage', cell('a', 'pass')].join('\n'), 'out/journal.jsonl', 'd1'),
    new InputError('out/journal.jsonl:2: not a journal line; cannot resume from it'),
  );
  t.equal(parseJournal('', 'j', 'd1'), undefined, 'an empty journal: nothing to resume');
});

t.test(
  "the groups' pipelines: the last record of a group wins (a group run again replaces it)",
  async (t) => {
    const group = (id: string, status: string) =>
      JSON.stringify({ type: 'group', group: { id, steps: [{ step: 'build', status }] } });
    const saved = parseJournal(
      [run('d1'), group('g1', 'failed'), cell('a', 'pass'), group('g2', 'ok'), group('g1', 'ok')].join('\n'),
      'out/journal.jsonl',
      'd1',
    );
    t.same(
      saved?.groups.map((g) => [g.id, g.steps[0]?.status]),
      [
        ['g1', 'ok'],
        ['g2', 'ok'],
      ],
    );
  },
);
