/** Matrices: the bad-matrix corpus and its messages, expansion, rule specificity, filters, YAML lines. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { resolveExpectation, specificity } from '../../harness/matrix/expand.js';
import { parseFilter } from '../../harness/matrix/filter.js';
import type { ExpectRuleDoc } from '../../harness/matrix/schema.js';
import { selectCells, validateMatrix } from '../../harness/matrix/validate.js';
import { parseYaml } from '../../harness/matrix/yaml.js';
import { InputError } from '../../harness/util/errors.js';

const dir = 'test/unit/bad-matrices';
const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Record<string, string>;

t.test('every bad matrix fails with its exact one-line message', async (t) => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
  t.ok(files.length >= 25, `corpus has ${files.length} bad matrices`);
  t.same(
    files.map((f) => f.replace(/\.yaml$/, '')).sort(),
    Object.keys(expected).sort(),
    'every file has a message',
  );
  for (const f of files) {
    const path = join(dir, f);
    const want = expected[f.replace(/\.yaml$/, '')];
    t.throws(() => validateMatrix(readFileSync(path, 'utf8'), path), new InputError(want), f);
    try {
      validateMatrix(readFileSync(path, 'utf8'), path);
    } catch (e) {
      t.notMatch((e as Error).message, /\n/, `${f}: one line`);
    }
  }
});

t.test('the stock matrix expands to every glibc x variant x link x scenario x stage', async (t) => {
  const m = validateMatrix(readFileSync('matrices/stock.yaml', 'utf8'), 'matrices/stock.yaml');
  // 23 probe stages and 5 client stages.
  t.equal(m.cells.length, 2 * 1 * 2 * 4 * 28);
  t.equal(new Set(m.cells.map((c) => c.id)).size, m.cells.length, 'ids are unique');
  const probeCells = m.cells.filter((c) => !c.stage.startsWith('client:'));
  const skips = probeCells.filter((c) => c.expected.state === 'skip');
  t.equal(
    skips.length,
    (13 + 1) * 4 * 2,
    '13 stages have no static form, static-dlopen no shared one: 14 x 4 scenarios x 2 glibc',
  );
  t.ok(
    skips.every(
      (c) => c.link === (c.stage === 'static-dlopen' ? 'shared' : 'static') && c.expected.rule === -1,
    ),
    'only the link a stage lacks is skipped, by the stage itself',
  );
  const clientSkips = m.cells.filter((c) => c.stage.startsWith('client:') && c.expected.state === 'skip');
  t.equal(
    clientSkips.filter((c) => c.expected.rule === -1).length,
    5 * 2 * 2 * 3,
    'clients: default scenario only',
  );
  t.equal(
    clientSkips.filter((c) => c.expected.rule >= 0).length,
    2 * 2,
    'the percpu selftests: shared only, by rule',
  );
  t.ok(
    skips.some((c) => c.id === 'bookworm/stock/static/default/preload-ctor'),
    'LD_PRELOAD stages do not apply to static links',
  );
  const byId = new Map(m.cells.map((c) => [c.id, c]));
  t.equal(byId.get('bookworm/stock/shared/default/main')?.expected.state, 'registered');
  t.equal(
    byId.get('bookworm/stock/shared/tunable-off/main')?.expected.state,
    'unregistered',
    'the more specific rule wins',
  );
  t.equal(byId.get('bookworm/stock/shared/tunable-off/main')?.expected.rule, 2);
  t.equal(byId.get('bullseye/stock/static/default/thread')?.expected.state, 'unregistered');
  t.match(m.digest, /^[0-9a-f]{64}$/);
});

t.test('specificity and ambiguity', async (t) => {
  const rules: ExpectRuleDoc[] = [
    { expect: 'registered', why: 'default' },
    { match: { stage: 'main' }, expect: 'unregistered', why: 'one axis' },
    { match: { stage: ['main', 'thread'], link: 'shared' }, expect: 'registered', why: 'two axes' },
    { match: { stage: 'audit-*' }, expect: 'unavailable', why: 'glob' },
    { match: { glibc: '*', stage: 'exe-ctor' }, expect: 'skip', why: 'a star pins nothing' },
  ];
  t.equal(specificity(rules[0]!), 0);
  t.equal(specificity(rules[2]!), 2);
  t.equal(specificity(rules[4]!), 1, "'*' is no constraint");
  const cell = { glibc: 'g', variant: 'v', link: 'static' as const, scenario: 'default', stage: 'main' };
  t.match(resolveExpectation(rules, cell), { kind: 'ok', expected: { state: 'unregistered', rule: 1 } });
  t.match(resolveExpectation(rules, { ...cell, link: 'shared' }), {
    kind: 'ok',
    expected: { state: 'registered', rule: 2 },
  });
  t.match(resolveExpectation(rules, { ...cell, stage: 'audit-version', link: 'shared' }), {
    kind: 'ok',
    expected: { state: 'unavailable' },
  });
  t.match(resolveExpectation(rules, { ...cell, stage: 'exe-ctor' }), {
    kind: 'ok',
    expected: { state: 'skip', registered: null },
  });
  t.match(
    resolveExpectation(rules, { ...cell, stage: 'ifunc-preload' }),
    {
      kind: 'ok',
      expected: { state: 'skip', rule: -1 },
    },
    'a stage that does not apply to the link is skipped before any rule',
  );
  t.same(resolveExpectation(rules.slice(1), { ...cell, stage: 'thread' }), { kind: 'uncovered' });
  const clash: ExpectRuleDoc[] = [
    { match: { stage: 'main' }, expect: 'registered', why: 'a' },
    { match: { link: 'static' }, expect: 'unregistered', why: 'b' },
  ];
  t.same(resolveExpectation(clash, cell), { kind: 'ambiguous', rules: [0, 1] });
  const agree: ExpectRuleDoc[] = [
    { match: { stage: 'main' }, expect: 'registered', why: 'a' },
    { match: { link: 'static' }, expect: 'registered', why: 'b' },
  ];
  t.match(
    resolveExpectation(agree, cell),
    { kind: 'ok', expected: { rule: 0 } },
    'equal rules that agree are fine',
  );
});

t.test('filters', async (t) => {
  const m = validateMatrix(readFileSync('matrices/stock.yaml', 'utf8'), 'matrices/stock.yaml');
  const pick = (f: string) => selectCells(m.cells, parseFilter(f)).map((c) => c.id);
  t.equal(pick('glibc=bookworm,link=shared,scenario=default,stage!=client:*').length, 23);
  t.equal(pick('glibc=bookworm,link=shared,scenario=default').length, 28);
  t.same(pick('glibc=bookworm,link=shared,scenario=default,stage=main|preload-ctor|thread'), [
    'bookworm/stock/shared/default/preload-ctor',
    'bookworm/stock/shared/default/main',
    'bookworm/stock/shared/default/thread',
  ]);
  t.equal(pick('stage=main|thread').length, 32);
  t.equal(pick('stage!=main|thread').length, 416);
  t.equal(pick('stage=pre*').length, 64, 'preload-ctor, preload-ctor-cycle, preload-thread, preinit-array');
  t.throws(
    () => parseFilter('stag=main'),
    new InputError(
      '--filter: unknown axis "stag" (did you mean "stage"?); axes: glibc, variant, link, scenario, stage',
    ),
  );
  t.throws(
    () => parseFilter('main'),
    new InputError('--filter: "main" is not of the form axis=pattern or axis!=pattern'),
  );
  t.throws(() => parseFilter(' , '), new InputError('--filter: the expression is empty'));
  t.throws(() => parseFilter('stage=main|'), new InputError('--filter: "stage=main|" has an empty pattern'));
});

t.test('yaml line locator', async (t) => {
  const y = parseYaml('a: 1\nb:\n  - x\n  - {c: 2, d: [3]}\n  - k: 1\n    m: 2\ne: &q 5\nf: *q\n', 'f.yaml');
  t.equal(y.lineOf(['a']), 1);
  t.equal(y.lineOf(['b']), 2);
  t.equal(y.lineOf(['b', 0]), 3);
  t.equal(y.lineOf(['b', 1, 'd']), 4);
  t.equal(y.lineOf(['b', 2, 'm']), 6);
  t.equal(y.lineOf(['f']), 8);
  t.equal(y.lineOf(['b', 2, 'nope']), 5, 'a missing key points at its mapping');
});
