/**
 * The report page's decoder (harness/report/page/decode.mts), the one the page ships, run in Node: every
 * cell encoded by encodeReport decodes back to the results file's cell, field by field; the names the page
 * shows come from the data block; the page script in dist/ is built from the current page sources.
 */
import { readFileSync } from 'node:fs';
import t from 'tap';
import { compareRuns, VERDICT_HELP, VERDICTS } from '../../harness/compare/compare.js';
import { cellId } from '../../harness/model/cell.js';
import type { CellResult, Results } from '../../harness/model/results.js';
import {
  CELL_KEYS,
  capTail,
  encodeReport,
  OBSERVED_HELP,
  otherObservationFields,
  PLACEHOLDERS,
  STATUS_CODES,
} from '../../harness/report/encode.js';
import {
  DataVersionError,
  derivedCellId,
  fullCell,
  inconsistencyOf,
  openReport,
  REPORT_DATA_VERSION,
  reasonOf,
} from '../../harness/report/page/decode.mjs';
import {
  axisValues,
  EVERY_STAGE,
  isPivotAxis,
  PIVOT_AXES,
  type PivotAxis,
  type PivotCell,
  pivotChoice,
  pivotFilters,
  pivotOf,
} from '../../harness/report/page/pivot-data.mjs';
import { CLIENT_CSS, CLIENT_JS } from '../../harness/report/page-assets.js';
import { bundleScript, bundleStyle } from '../../harness/report/page-build.js';
import { cloneResults, generateResults, summarize, withObservers } from '../../harness/report/synthetic.js';
import { repoPath } from '../helpers/repo.js';

const small = JSON.parse(readFileSync(repoPath('test/fixtures/results/small.json'), 'utf8')) as Results;

/** small.json with markup, placeholder characters and long tails in its names and texts. */
function hostile(): Results {
  const r = cloneResults(small);
  for (const c of r.cells)
    if (c.glibc === 'bookworm') {
      c.variant = '<img src=x onerror=alert(1)>';
      c.id = cellId(c);
    }
  const fail = r.cells.find((c) => c.status === 'fail') as CellResult;
  fail.logTail = `build ok\n</script><script>alert(2)</script>\n${'x'.repeat(100)}\n`.repeat(200);
  fail.reason = `${fail.reason} \u0001 literal \u0003 placeholders <b>"quoted"</b>`;
  if (fail.probe) fail.probe.stdoutTail = `stdout of ${fail.id}`;
  (r.cells[0] as CellResult).id = 'an id that is not glibc/variant/link/scenario/stage';
  r.summary = summarize(r.cells);
  return r;
}

/** A baseline: one cell fixed, one failing, one removed, one error cell that passed. */
function baselineOf(r: Results): Results {
  const b = cloneResults(r);
  b.run.id = 'baseline-run';
  const fail = b.cells.find((c) => c.status === 'fail') as CellResult;
  fail.status = 'pass';
  delete fail.reason;
  const pass = b.cells.find((c) => c.status === 'pass') as CellResult;
  pass.status = 'fail';
  pass.reason = 'it failed in the baseline';
  b.cells.push({ ...(b.cells[1] as CellResult), id: 'gone/stock/shared/default/main', reason: 'was here' });
  b.summary = summarize(b.cells);
  return b;
}

/**
 * The cell as the report keeps it: tails capped, empty optional texts and empty `extra` left out. Not in
 * the report (the page does not show them): expected.clientFails and probe.observerLines.
 */
function asReported(c: CellResult): CellResult {
  const x = JSON.parse(JSON.stringify(c)) as CellResult;
  delete x.expected.clientFails;
  if (!x.reason) delete x.reason;
  if (!x.straceReason) delete x.straceReason;
  if (!x.observed.inconsistency) delete x.observed.inconsistency;
  const log = capTail(x.logTail);
  if (log) x.logTail = log;
  else delete x.logTail;
  if (x.probe) {
    delete x.probe.observerLines;
    x.probe.stderrTail = capTail(x.probe.stderrTail) ?? '';
    const out = capTail(x.probe.stdoutTail);
    if (out) x.probe.stdoutTail = out;
    else delete x.probe.stdoutTail;
  }
  for (const o of x.observations) if (o.extra && !Object.keys(o.extra).length) delete o.extra;
  return x;
}

/** A run on three kernels (the host's and two others), and its options. */
const KERNEL_RUN = {
  glibcs: ['bullseye', 'bookworm', 'trixie'],
  variants: ['stock', 'early-init'],
  kernels: ['host', 'k6.1', 'uml'],
  scenarios: ['default', 'tunable-off'],
  seed: 8,
};
const onKernels = generateResults(KERNEL_RUN);

const datasets: [string, Results, Results | undefined][] = [
  ['small', small, baselineOf(small)],
  ['hostile', hostile(), small],
  ['observers', withObservers(hostile()), undefined],
  [
    'strace',
    generateResults({ limit: 2500, seed: 9, strace: true }),
    generateResults({ limit: 2400, seed: 3 }),
  ],
  ['kernels', onKernels, generateResults({ ...KERNEL_RUN, seed: 4, kernels: ['host', 'k6.1'] })],
];

t.test('every cell decodes to the results file’s cell, every field the page shows', async (t) => {
  for (const [name, results, baseline] of datasets) {
    const R = openReport(encodeReport(results, { baseline }));
    t.equal(R.cells.length, results.cells.length, `${name}: every cell`);
    let bad = 0;
    for (const c of results.cells) {
      const ref = R.byId.get(c.id);
      if (!ref) {
        t.fail(`${name}: ${c.id} is missing`);
        continue;
      }
      const { cell, other, observationOther } = fullCell(R, ref);
      const want = asReported(c);
      const unknown = Object.fromEntries(Object.entries(c).filter(([k]) => !CELL_KEYS.has(k)));
      const grid = {
        id: ref.id,
        glibc: ref.row.glibc,
        variant: ref.row.variant,
        kernel: ref.row.kernel,
        link: ref.row.link,
        scenario: ref.row.scenario,
        stage: ref.stage,
        status: ref.status,
        ostate: ref.ostate,
        inc: ref.inc,
        reason: reasonOf(R, ref),
        inconsistency: inconsistencyOf(R, ref),
      };
      const same =
        JSON.stringify(sorted(cell)) === JSON.stringify(sorted(want)) &&
        JSON.stringify(other ?? {}) === JSON.stringify(unknown) &&
        JSON.stringify(observationOther) ===
          JSON.stringify(c.observations.map((o) => otherObservationFields(o) ?? null)) &&
        JSON.stringify(grid) ===
          JSON.stringify({
            id: c.id,
            glibc: c.glibc,
            variant: c.variant,
            kernel: c.kernel,
            link: c.link,
            scenario: c.scenario,
            stage: c.stage,
            status: c.status,
            ostate: c.observed.state ?? 'none',
            inc: c.observed.consistent === false,
            reason: c.reason ?? '',
            inconsistency: c.observed.inconsistency ?? '',
          });
      if (!same && bad++ < 3) {
        t.same(cell, want, `${name}: ${c.id}`);
        t.same(other ?? {}, unknown, `${name}: ${c.id}: fields the encoder does not know`);
        t.same(grid.reason, c.reason ?? '', `${name}: ${c.id}: reason`);
      }
    }
    t.equal(bad, 0, `${name}: all cells decode to their original values`);
    const stages = new Set(results.cells.map((c) => c.stage));
    t.same(new Set(R.stages), stages, `${name}: the stage columns`);
  }
});

/** Keys sorted at every level, so that JSON.stringify compares content, not key order. */
function sorted(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sorted);
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sorted((v as Record<string, unknown>)[k])]),
    );
  return v;
}

t.test('the comparison with a baseline: a verdict for every cell, removed cells apart', async (t) => {
  for (const [name, results, baseline] of datasets) {
    if (!baseline) continue;
    const R = openReport(encodeReport(results, { baseline }));
    const cmp = compareRuns(baseline, results);
    const byId = new Map(cmp.changes.map((x) => [x.id, x]));
    let bad = 0;
    for (const c of R.cells) {
      const x = byId.get(c.id);
      const got = c.change && [c.change.verdict, c.change.before, c.change.after];
      if (JSON.stringify(got) !== JSON.stringify(x && [x.verdict, x.before, x.after]) && bad++ < 3)
        t.same(got, x && [x.verdict, x.before, x.after], `${name}: ${c.id}`);
    }
    t.equal(bad, 0, `${name}: every cell has its verdict`);
    const removed = cmp.changes.filter((x) => x.verdict === 'REMOVED');
    t.same(
      [...R.removed.values()].map((x) => [x.id, x.verdict, x.before, x.after, x.reason]),
      removed.map((x) => [x.id, x.verdict, x.before, x.after, x.reason || null]),
      `${name}: the removed cells`,
    );
    t.equal(
      R.changes.length,
      cmp.changes.filter((x) => !x.verdict.startsWith('UNCHANGED')).length,
      `${name}: the listed changes`,
    );
  }
  const none = openReport(encodeReport(small));
  t.ok(
    none.cells.every((c) => c.change === null),
    'no baseline, no verdicts',
  );
});

t.test('names and texts travel in the data block; the page holds no copy', async (t) => {
  const d = encodeReport(small, { baseline: small });
  t.same(d.vocab.verdicts, VERDICTS);
  t.same(d.vocab.verdictHelp, VERDICT_HELP);
  t.same(d.vocab.status, STATUS_CODES);
  t.same(Object.fromEntries(d.vocab.observed), OBSERVED_HELP);
  t.ok(CLIENT_JS.length > 10_000, 'the page is built');
  for (const text of [...Object.values(VERDICT_HELP), ...Object.values(OBSERVED_HELP), 'UNCHANGED-'])
    t.notOk(CLIENT_JS.includes(text), `the script does not hold "${text}"`);
  for (const p of PLACEHOLDERS) t.notOk(CLIENT_JS.includes(p), 'nor the placeholders');
  t.notMatch(CLIENT_JS, /\\u000[1-7]/, 'not even escaped');
});

t.test('a data block of another layout is refused, with a reason', async (t) => {
  const d = encodeReport(small);
  t.equal(d.v, REPORT_DATA_VERSION);
  t.throws(() => openReport({ ...d, v: REPORT_DATA_VERSION - 1 }), {
    name: 'DataVersionError',
    message: `the data block has layout version ${REPORT_DATA_VERSION - 1}; this page reads version ${REPORT_DATA_VERSION}`,
  });
  try {
    openReport({ ...d, v: 99 });
  } catch (err) {
    t.ok(err instanceof DataVersionError, 'a DataVersionError (the page shows its message)');
  }
});

t.test('the shipped page is built from the current sources (else: npm run build)', async (t) => {
  t.equal(CLIENT_JS, bundleScript(), 'dist/harness/report/page/report.js');
  t.equal(CLIENT_CSS, bundleStyle(), 'dist/harness/report/page/report.css');
  t.match(CLIENT_JS, /^\(function \(\) \{\n'use strict';\n/, 'one plain script');
  t.match(CLIENT_JS, /"\.\/decode\.mjs": function \(exports, require\)/, 'with the decoder tested here');
  t.notMatch(CLIENT_JS, /\bimport\b|\bexport\b/, 'no module syntax left');
});

t.test('the kernel: a row key, a grid column only when a run has another kernel than the host', async (t) => {
  const host = openReport(encodeReport(small));
  t.same(host.kernels, ['host']);
  t.same(host.rowAxes, ['glibc', 'variant', 'link', 'scenario'], 'a host-only run looks as it did');
  const R = openReport(encodeReport(onKernels));
  t.same(R.kernels, ['host', 'k6.1', 'uml']);
  t.same(R.rowAxes, ['glibc', 'variant', 'kernel', 'link', 'scenario']);
  t.equal(R.rows.length, 3 * 2 * 3 * 2 * 2, 'a row per glibc x variant x kernel x link x scenario');
  t.same(
    R.rows.slice(0, 5).map((r) => [r.glibc, r.variant, r.kernel, r.link, r.scenario].join(' ')),
    [
      'bullseye stock host shared default',
      'bullseye stock host shared tunable-off',
      'bullseye stock host static default',
      'bullseye stock host static tunable-off',
      'bullseye stock k6.1 shared default',
    ],
    'rows in glibc, variant, kernel, link, scenario order',
  );
  const v1 = JSON.parse(readFileSync(repoPath('test/fixtures/results/small-v1.json'), 'utf8')) as Results;
  const fromV1 = openReport(encodeReport(v1));
  t.same(
    fromV1.cells.map((c) => [c.id, c.row.kernel]).sort(),
    v1.cells.map((c) => [c.id, 'host']).sort(),
    'a version-1 object given as it is: host cells, their ids kept',
  );
  const only = cloneResults(onKernels);
  only.cells = only.cells.filter((c) => c.kernel === 'uml');
  t.same(
    openReport(encodeReport(only)).rowAxes,
    ['glibc', 'variant', 'kernel', 'link', 'scenario'],
    'one kernel, not the host: shown',
  );
  t.equal(
    derivedCellId(
      { glibc: 'g', variant: 'v', kernel: 'host', link: 'shared', scenario: 'default' },
      'main',
      'host',
    ),
    'g/v/shared/default/main',
  );
  t.equal(
    derivedCellId(
      { glibc: 'g', variant: 'v', kernel: 'uml', link: 'shared', scenario: 'default' },
      'main',
      'host',
    ),
    cellId({ glibc: 'g', variant: 'v', kernel: 'uml', link: 'shared', scenario: 'default', stage: 'main' }),
    'the page makes the ids model/cell.ts makes',
  );
});

/** The pivot counted again from the results file, the plain way: [row value][column value] -> cells. */
function plainPivot(r: Results, rows: PivotAxis, cols: PivotAxis, stage: string) {
  const out = new Map<string, CellResult[]>();
  for (const c of r.cells) {
    if (rows !== 'stage' && cols !== 'stage' && stage !== EVERY_STAGE && c.stage !== stage) continue;
    const k = `${c[rows]}\n${c[cols]}`;
    out.set(k, [...(out.get(k) ?? []), c]);
  }
  return out;
}

t.test(
  'the pivot: any two axes, one stage, each pivot cell its status mix and observed states',
  async (t) => {
    const R = openReport(encodeReport(onKernels));
    const views: [PivotAxis, PivotAxis, string][] = [
      ['glibc', 'kernel', 'main'],
      ['kernel', 'glibc', 'thread'],
      ['variant', 'link', EVERY_STAGE],
      ['kernel', 'stage', 'main'],
      ['stage', 'scenario', 'ignored when an axis is the stage'],
    ];
    for (const [rows, cols, stage] of views) {
      const name = `${rows} x ${cols} at ${stage}`;
      const p = pivotOf(R, rows, cols, stage);
      const plain = plainPivot(onKernels, rows, cols, stage);
      t.same(p.rowValues, axisValues(R, rows), `${name}: the row values`);
      t.same(p.colValues, axisValues(R, cols), `${name}: the column values`);
      let counted = 0;
      let bad = 0;
      for (const row of p.cells)
        for (const pc of row) {
          const want = plain.get(`${pc.rowValue}\n${pc.colValue}`) ?? [];
          counted += pc.cells.length;
          const status: Record<string, number> = {};
          const states = new Map<string, number>();
          for (const c of want) {
            status[c.status] = (status[c.status] ?? 0) + 1;
            const st = c.observed.state ?? 'none';
            states.set(st, (states.get(st) ?? 0) + 1);
          }
          const worst = (['fail', 'error', 'pass', 'skip'] as const).find((s) => status[s]) ?? null;
          const got = [pc.cells.map((c) => c.id).sort(), pc.status, new Map(pc.states), pc.worst];
          const exp = [want.map((c) => c.id).sort(), status, states, worst];
          if (
            JSON.stringify(sorted([got[0], got[1], [...(got[2] as Map<string, number>)].sort(), got[3]])) !==
              JSON.stringify(sorted([exp[0], exp[1], [...(exp[2] as Map<string, number>)].sort(), exp[3]])) &&
            bad++ < 3
          )
            t.same(got, exp, `${name}: ${pc.rowValue} x ${pc.colValue}`);
        }
      t.equal(bad, 0, `${name}: every pivot cell holds its cells, their statuses and observed states`);
      const total = [...plain.values()].reduce((n, l) => n + l.length, 0);
      t.equal(counted, total, `${name}: every cell of the stage once (${total})`);
    }
    const p = pivotOf(R, 'glibc', 'kernel', 'main');
    const states = p.cells.flat().flatMap((pc) => pc.states.map((x) => x[0]));
    t.ok(states.length > 0, 'observed states are listed');
    for (const pc of p.cells.flat()) {
      const order = pc.states.map((x) => R.vocab.observed.findIndex((o) => o[0] === x[0]));
      t.same(
        order,
        [...order].sort((a, b) => a - b),
        `${pc.rowValue} x ${pc.colValue}: states in the report's order`,
      );
    }
    const cell = p.cells[1]?.[2] as PivotCell;
    t.same(
      pivotFilters(p, cell),
      { glibc: [cell.rowValue], kernel: [cell.colValue], stage: ['main'] },
      'a pivot cell leads to its cells',
    );
    const byStage = pivotOf(R, 'kernel', 'stage', 'main');
    t.same(
      pivotFilters(byStage, byStage.cells[0]?.[0] as PivotCell),
      { kernel: ['host'], stage: [R.stages[0]] },
      'no stage filter beside a stage axis',
    );
  },
);

t.test('the pivot view: defaults, and what the hash asks when it makes sense', async (t) => {
  const R = openReport(encodeReport(onKernels));
  t.same(pivotChoice(R, {}), { rows: 'glibc', cols: 'kernel', stage: 'main' }, 'glibc x kernel at main');
  t.same(pivotChoice(R, { rows: 'variant', cols: 'link', stage: 'thread' }), {
    rows: 'variant',
    cols: 'link',
    stage: 'thread',
  });
  t.same(
    pivotChoice(R, { rows: 'kernel' }),
    { rows: 'kernel', cols: 'variant', stage: 'main' },
    'columns move off the rows',
  );
  t.same(pivotChoice(R, { rows: 'nonsense', cols: 'kernel', stage: 'no-such-stage' }), {
    rows: 'glibc',
    cols: 'kernel',
    stage: 'main',
  });
  t.same(pivotChoice(R, { stage: EVERY_STAGE }).stage, EVERY_STAGE);
  const host = openReport(encodeReport(small));
  t.same(
    pivotChoice(host, {}),
    { rows: 'glibc', cols: 'link', stage: 'main' },
    'one kernel, one variant: the links',
  );
  const noMain = cloneResults(small);
  noMain.cells = noMain.cells.filter((c) => c.stage !== 'main');
  t.equal(
    pivotChoice(openReport(encodeReport(noMain)), {}).stage,
    'preload-ctor',
    'no main: the first stage',
  );
  t.ok(isPivotAxis('kernel') && !isPivotAxis('test'));
  t.same(PIVOT_AXES, ['glibc', 'variant', 'kernel', 'link', 'scenario', 'stage']);
});
