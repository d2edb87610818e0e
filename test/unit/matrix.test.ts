/** Matrices: the bad-matrix corpus and its messages, expansion, rule specificity, filters, YAML lines. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import t from 'tap';
import { type PlannedCell, resolveExpectation, specificity } from '../../harness/matrix/expand.js';
import { parseFilter } from '../../harness/matrix/filter.js';
import type { ExpectRuleDoc, ExpectTestRuleDoc, MatrixDoc } from '../../harness/matrix/schema.js';
import { selectCells, validateMatrix } from '../../harness/matrix/validate.js';
import { parseYaml } from '../../harness/matrix/yaml.js';
import { InputError } from '../../harness/util/errors.js';
import { resolveTestExpectation, testRuleSpecificity } from '../../harness/verdict/glibc-tests.js';

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
  const cell = {
    glibc: 'g',
    variant: 'v',
    kernel: 'host',
    link: 'static' as const,
    scenario: 'default',
    stage: 'main',
  };
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
      '--filter: unknown axis "stag" (did you mean "stage"?); axes: glibc, variant, kernel, link, scenario, stage',
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

t.test('expectTests: specificity, ambiguity and coverage of glibc tests', async (t) => {
  const rules: ExpectTestRuleDoc[] = [
    { expect: 'PASS', why: 'default' },
    { match: { test: 'misc/*' }, expect: 'UNSUPPORTED', why: 'one axis, a glob' },
    { match: { variant: ['abi-a', 'abi-b'], test: 'misc/tst-rseq' }, expect: 'FAIL', why: 'two axes' },
    { match: { glibc: '*', test: 'nptl/tst-rseq-nptl' }, expect: 'XFAIL', why: "'*' pins nothing" },
  ];
  t.equal(testRuleSpecificity(rules[0]!), 0);
  t.equal(testRuleSpecificity(rules[2]!), 2);
  t.equal(testRuleSpecificity(rules[3]!), 1, "'*' is no constraint");
  const c = { glibc: 'g', variant: 'abi-a', test: 'misc/tst-rseq' };
  t.same(resolveTestExpectation(rules, c), {
    kind: 'ok',
    expected: { outcome: 'FAIL', rule: 2, why: 'two axes' },
  });
  t.match(resolveTestExpectation(rules, { ...c, variant: 'upstream' }), {
    kind: 'ok',
    expected: { outcome: 'UNSUPPORTED', rule: 1 },
  });
  t.match(resolveTestExpectation(rules, { ...c, test: 'nptl/tst-rseq-nptl' }), {
    kind: 'ok',
    expected: { outcome: 'XFAIL', rule: 3 },
  });
  t.match(resolveTestExpectation(rules, { ...c, test: 'elf/tst-x' }), { kind: 'ok', expected: { rule: 0 } });
  t.same(resolveTestExpectation(rules.slice(1), { ...c, test: 'elf/tst-x' }), { kind: 'uncovered' });
  t.same(resolveTestExpectation([rules[1]!, { match: { variant: 'abi-a' }, expect: 'PASS', why: 'x' }], c), {
    kind: 'ambiguous',
    rules: [0, 1],
  });
  t.match(
    resolveTestExpectation([rules[1]!, { match: { variant: 'abi-a' }, expect: 'UNSUPPORTED', why: 'x' }], c),
    { kind: 'ok', expected: { rule: 0 } },
    'equal rules that agree are fine',
  );
});

t.test('matrices/rseq.yaml: every glibc test of every build has its expectation', async (t) => {
  const m = validateMatrix(readFileSync('matrices/rseq.yaml', 'utf8'), 'matrices/rseq.yaml');
  const tests = m.doc.options?.glibcTests ?? [];
  t.ok(tests.length >= 3, 'the matrix names glibc tests');
  const builds = new Set(m.cells.filter((c) => c.glibc !== 'bullseye').map((c) => `${c.glibc}/${c.variant}`));
  t.equal(m.glibcTestPlan.length, builds.size * tests.length, 'every test of every built glibc x variant');
  t.notOk(
    m.glibcTestPlan.some((p) => p.glibc === 'bullseye'),
    'the stock glibc has no build tree and runs no test',
  );
  const expected = (variant: string, test: string, glibc = 'glibc-2.36') =>
    m.glibcTestPlan.find((p) => p.glibc === glibc && p.variant === variant && p.test === test)?.expected
      .outcome;
  for (const v of ['libc-tls-abi', 'ldso-handled', 'ldso-dlsym', 'ldso-handled-early']) {
    t.equal(expected(v, 'misc/tst-rseq'), 'FAIL', `${v}: __rseq_size stays 0`);
    t.equal(expected(v, 'nptl/tst-rseq-nptl'), 'PASS', `${v}: the registration checks are always true`);
    t.equal(expected(v, 'misc/tst-rseq-disable'), 'PASS', v);
  }
  for (const v of ['upstream', 'early-init', 'libc-ctor', 'libc-start'])
    for (const test of tests) t.equal(expected(v, test), 'PASS', `${v} ${test}`);
  t.equal(expected('upstream', 'misc/tst-rseq', 'glibc-sid'), 'PASS');
  t.ok(
    m.glibcTestPlan.every((p) => p.expected.why.length > 20),
    'every expectation says why',
  );
  const stock = validateMatrix(readFileSync('matrices/stock.yaml', 'utf8'), 'matrices/stock.yaml');
  t.same(stock.glibcTestPlan, [], 'a matrix without expectTests plans no judged test');
});

// --- static-pie (issue 14): the third link, and how a matrix expands and resolves it.
t.test('static-pie: expands where static does, with its own reasons where it does not', async (t) => {
  const doc = yaml.load(readFileSync('matrices/stock.yaml', 'utf8')) as MatrixDoc;
  doc.links = ['shared', 'static', 'static-pie'];
  const m = validateMatrix(yaml.dump(doc, { lineWidth: -1 }), 'stock-static-pie.yaml');
  t.equal(m.cells.length, doc.glibc.length * 3 * doc.scenarios.length * doc.stages.length, 'every link');
  const byId = new Map(m.cells.map((c) => [c.id, c]));
  const cell = (link: string, scenario: string, stage: string) =>
    byId.get(`bookworm/stock/${link}/${scenario}/${stage}`);
  const byStage = (c: PlannedCell | undefined) => c?.expected.state === 'skip' && c.expected.rule === -1;
  const probeStages = doc.stages.filter((s) => !s.startsWith('client:'));
  const applies = probeStages.filter((s) => !byStage(cell('static-pie', 'default', s)));
  t.same(
    applies,
    probeStages.filter((s) =>
      [
        'ifunc-exe',
        'signal-early',
        'malloc-first',
        'preinit-array',
        'exe-ctor',
        'main',
        'thread',
        'fork-child',
        'vfork-child',
        'static-dlopen',
      ].includes(s),
    ),
    'the probe stages of a static program, static-dlopen included',
  );
  for (const s of probeStages)
    t.equal(
      byStage(cell('static-pie', 'default', s)),
      byStage(cell('static', 'default', s)),
      `${s}: as static`,
    );
  t.equal(
    cell('static-pie', 'default', 'preload-ctor')?.expected.why,
    'a static executable loads no LD_PRELOAD library',
    "a shared-only stage gives the stage's own reason",
  );
  const selftest = cell('static-pie', 'default', 'client:basic_test');
  t.ok(byStage(selftest), 'the selftests are not built static-pie');
  t.match(selftest?.expected.why, /built shared and static only/, 'with the link reason');
  t.equal(
    cell('static-pie', 'tunable-off', 'client:basic_test')?.expected.why,
    'clients run in the default scenario only',
    'the scenario reason comes first',
  );
  t.notOk(byStage(cell('static-pie', 'default', 'client:valgrind')), 'valgrind runs the static-pie probe');
  t.ok(byStage(cell('static-pie', 'tunable-off', 'client:valgrind')), 'in the default scenario only');
  const pick = (f: string) => selectCells(m.cells, parseFilter(f));
  t.ok(
    pick('link=static-pie').every((c) => c.link === 'static-pie'),
    'link=static-pie picks static-pie only',
  );
  t.equal(pick('link=static-pie').length, m.cells.length / 3);
  t.equal(pick('link=static').length, m.cells.length / 3, 'link=static does not pick static-pie');
  t.equal(pick('link=static*').length, (2 * m.cells.length) / 3, 'a glob picks both');
});

t.test('static-pie: rules name it exactly, alone or in a list', async (t) => {
  const rules: ExpectRuleDoc[] = [
    { expect: 'registered', why: 'default' },
    { match: { link: 'static' }, expect: 'unregistered', why: 'static only' },
    { match: { link: ['static', 'static-pie'], stage: 'ifunc-exe' }, expect: 'unavailable', why: 'a list' },
    { match: { link: 'static*', stage: 'thread' }, expect: 'unregistered', why: 'a glob' },
  ];
  const cell = {
    glibc: 'g',
    variant: 'v',
    kernel: 'host',
    link: 'static-pie' as const,
    scenario: 'default',
    stage: 'main',
  };
  t.match(resolveExpectation(rules, cell), { kind: 'ok', expected: { state: 'registered', rule: 0 } });
  t.match(resolveExpectation(rules, { ...cell, link: 'static' }), { kind: 'ok', expected: { rule: 1 } });
  t.match(resolveExpectation(rules, { ...cell, stage: 'ifunc-exe' }), {
    kind: 'ok',
    expected: { state: 'unavailable', rule: 2 },
  });
  t.match(resolveExpectation(rules, { ...cell, stage: 'thread' }), { kind: 'ok', expected: { rule: 3 } });
  t.match(resolveExpectation(rules, { ...cell, stage: 'ifunc-dso' }), {
    kind: 'ok',
    expected: { state: 'skip', rule: -1, why: 'a static executable has no DT_NEEDED library' },
  });
});

t.test('matrices/rseq.yaml: every static-pie cell expects what its static cell does', async (t) => {
  const m = validateMatrix(readFileSync('matrices/rseq.yaml', 'utf8'), 'matrices/rseq.yaml');
  t.ok(m.doc.links.includes('static-pie'), 'the default matrix has the link');
  const byId = new Map(m.cells.map((c) => [c.id, c]));
  const pie = m.cells.filter((c) => c.link === 'static-pie' && c.expected.rule >= 0);
  t.ok(pie.length >= 100, `${pie.length} static-pie cells judged by a rule`);
  const differ = pie
    .filter((c) => byId.get(c.id.replace('/static-pie/', '/static/'))?.expected.state !== c.expected.state)
    .map((c) => c.id);
  // The sources (docs/findings.md, "static-pie") move only the IFUNC resolvers, and those stay before TLS.
  t.same(differ, [], 'no design registers differently in a static-pie program');
});

t.test('expectFacts: each fact from the most specific rule that names it', async (t) => {
  const m = validateMatrix(readFileSync('matrices/kernels.yaml', 'utf8'), 'matrices/kernels.yaml');
  const facts = (id: string) => m.cells.find((c) => c.id === id)?.expected.facts;
  t.match(facts('trixie/stock/k7.3/shared/default/main'), {
    rseqSize: { value: 33 },
    rseqLen: { value: 33 },
    mode: { value: 'optimized' },
    featureSize: { value: 33 },
    align: { value: 64 },
  });
  t.match(facts('trixie/stock/k6.1/static/default/thread'), {
    rseqSize: { value: 20 },
    rseqLen: { value: 32 },
    mode: { value: 'legacy' },
    featureSize: { value: 0 },
  });
  t.match(facts('glibc-2.36/upstream/k7.2/shared/default/main'), {
    rseqSize: { value: 32 },
    mode: { value: 'legacy' },
  });
  t.equal(facts('glibc-2.36/upstream/k7.2/shared/tunable-off/main'), undefined, 'no fact outside the rules');
  t.equal(
    facts('bookworm/stock/uml/shared/default/main')?.rseqSize?.value,
    0,
    'uml: the failed registration says 0',
  );
  t.equal(facts('bookworm/stock/uml/shared/default/main')?.mode, undefined, 'and no mode');
});
