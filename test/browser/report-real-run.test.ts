/**
 * The report of a real run (bookworm's own glibc from matrices/stock.yaml, every stage but the
 * selftest clients), read as a reviewer and a CI system read it: report.html in Chromium (every cell
 * shown, filters, the changes view against a baseline), junit.xml parsed as XML with counts equal to
 * results.json's, results.tap parsed with tap-parser, and the reproduce command copied from a cell's
 * panel executed: it re-runs exactly that cell and exits as the cell's verdict says.
 * Needs a Docker engine and /usr/bin/chromium (prerequisites: a failure under CI=true, else a skip).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import type { Browser } from 'playwright-core';
import t from 'tap';
import { Parser } from 'tap-parser';
import type { CellResult, Results } from '../../harness/model/results.js';
import { CHROMIUM, chromiumMissing, launchChromium } from '../helpers/chromium.js';
import { runCli } from '../helpers/cli.js';
import { requireFilePrereq } from '../helpers/prereq.js';

requireFilePrereq(t, CHROMIUM, chromiumMissing());

const tmp = mkdtempSync(join(tmpdir(), 'rm-report-real-'));
t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
const FILTER = 'glibc=bookworm,stage!=client:*';
const out = join(tmp, 'run');

const first = await runCli(['run', 'matrices/stock.yaml', '--filter', FILTER, '--out', out, '--json'], {
  timeout: 3_600_000,
});
const resultsFile = join(out, 'results.json');
requireFilePrereq(
  t,
  'a real run of the stock matrix',
  existsSync(resultsFile) ? false : `no results.json (exit ${first.exitCode}): ${first.stderr.slice(-2000)}`,
);
const results = JSON.parse(readFileSync(resultsFile, 'utf8')) as Results;

let browser: Browser;
t.before(async () => {
  browser = await launchChromium();
});
t.teardown(() => browser?.close());

async function openReport(file: string) {
  const context = await browser.newContext({
    viewport: { width: 1440, height: 1000 },
    permissions: ['clipboard-read', 'clipboard-write'],
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.goto(pathToFileURL(file).href);
  await page.waitForSelector('html[data-ready="true"]');
  return { page, errors, close: () => context.close() };
}

const visible = (page: import('playwright-core').Page) =>
  page.$$eval(
    '#grid .c[data-i]',
    (tds) =>
      (tds as HTMLElement[]).filter(
        (td) => !td.classList.contains('dim') && !td.hidden && !(td.parentElement as HTMLElement).hidden,
      ).length,
  );

t.test('the run itself', async (t) => {
  t.equal(first.exitCode, 0, `the stock run passed\n${first.stderr.slice(-2000)}`);
  t.ok(results.cells.length > 20, `${results.cells.length} cells`);
  t.ok(
    results.cells.every((c) => c.glibc === 'bookworm' && !c.stage.startsWith('client:')),
    'only the filtered cells',
  );
});

t.test('report.html shows every cell, and its filters work', async (t) => {
  const { page, errors, close } = await openReport(join(out, 'report.html'));
  t.teardown(close);
  t.equal(await page.locator('#grid .c[data-i]').count(), results.cells.length, 'one grid cell per cell');
  t.equal(await visible(page), results.cells.length, 'all shown with no filter');
  t.match(
    await page.locator('.count').textContent(),
    new RegExp(`^${results.cells.length} cells in \\d+ rows`),
  );

  const links = [...new Set(results.cells.map((c) => c.link))];
  for (const link of links) {
    await page.evaluate((l) => {
      location.hash = `link=${l}`;
    }, link);
    await page.waitForFunction((l) => location.hash.includes(`link=${l}`), link);
    await page.waitForTimeout(100);
    t.equal(
      await visible(page),
      results.cells.filter((c) => c.link === link).length,
      `hash filter link=${link}`,
    );
  }
  await page.evaluate(() => {
    location.hash = '';
  });
  await page.selectOption('#f-stage', 'main');
  t.equal(
    await visible(page),
    results.cells.filter((c) => c.stage === 'main').length,
    'stage filter from the toolbar',
  );
  t.same(errors, [], 'no script error');
});

t.test('the changes view against a baseline', async (t) => {
  // The baseline: one cell that passes now failed then, and one cell did not exist.
  const base = JSON.parse(JSON.stringify(results)) as Results;
  base.run.id = `${results.run.id}-baseline`;
  const passing = base.cells.filter((c) => c.status === 'pass');
  const fixed = passing[0] as CellResult;
  fixed.status = 'fail';
  fixed.reason = 'made to fail in the baseline by the test';
  const added = passing[1] as CellResult;
  base.cells = base.cells.filter((c) => c.id !== added.id);
  const baseFile = join(tmp, 'baseline.json');
  writeFileSync(baseFile, JSON.stringify(base));
  const changed = join(tmp, 'changed');
  const r = await runCli(['report', resultsFile, '--baseline', baseFile, '--out', changed]);
  t.equal(r.exitCode, 0, r.stderr);
  const { page, errors, close } = await openReport(join(changed, 'report.html'));
  t.teardown(close);
  const text = (await page.locator('#changes').textContent()) ?? '';
  t.match(text, /FIXED/);
  t.match(text, /NEW/);
  t.ok(text.includes(fixed.id.split('/').slice(-1)[0] as string), 'the fixed cell is listed');
  t.equal(await page.locator('.vgroup.v-FIXED li').count(), 1, 'one FIXED');
  t.equal(await page.locator('.vgroup.v-NEW li').count(), 1, 'one NEW');
  t.same(errors, [], 'no script error');
});

t.test('junit.xml and results.tap agree with results.json', async (t) => {
  const count = (s: string) => results.cells.filter((c) => c.status === s).length;
  const xml = readFileSync(join(out, 'junit.xml'), 'utf8');
  // Parsed as XML by Chromium's DOMParser: a parse error is a <parsererror> element.
  const { page, close } = await openReport(join(out, 'report.html'));
  t.teardown(close);
  const junit = await page.evaluate((src) => {
    const doc = new DOMParser().parseFromString(src, 'application/xml');
    if (doc.getElementsByTagName('parsererror').length) return { error: true } as const;
    const cases = [...doc.getElementsByTagName('testcase')];
    const suites = doc.documentElement;
    return {
      error: false,
      tests: Number(suites.getAttribute('tests')),
      failures: Number(suites.getAttribute('failures')),
      errors: Number(suites.getAttribute('errors')),
      skipped: Number(suites.getAttribute('skipped') ?? 0),
      cases: cases.length,
      failed: cases.filter((c) => c.getElementsByTagName('failure').length).length,
      errored: cases.filter((c) => c.getElementsByTagName('error').length).length,
      skippedCases: cases.filter((c) => c.getElementsByTagName('skipped').length).length,
    } as const;
  }, xml);
  t.equal(junit.error, false, 'junit.xml is well-formed XML');
  if (junit.error) return;
  t.equal(junit.cases, results.cells.length, 'one testcase per cell');
  t.equal(junit.tests, results.cells.length, 'tests=');
  t.equal(junit.failed, count('fail'), 'failures');
  t.equal(junit.errored, count('error'), 'errors');
  t.equal(junit.skippedCases, count('skip'), 'skipped');
  t.equal(junit.failures, count('fail'), 'failures=');
  t.equal(junit.errors, count('error'), 'errors=');

  const tap = readFileSync(join(out, 'results.tap'), 'utf8');
  const final = await new Promise<{ count: number; pass: number; fail: number; skip: number; ok: boolean }>(
    (resolve) => {
      const p = new Parser((r) => resolve(r as never));
      p.end(tap);
    },
  );
  t.equal(final.count, results.cells.length, 'TAP: one test point per cell');
  t.equal(final.skip, count('skip'), 'TAP skips');
  t.equal(final.fail, count('fail') + count('error'), 'TAP failures: fail and error cells');
  t.equal(final.ok, count('fail') + count('error') === 0, 'TAP plan ok');
});

t.test('the reproduce command of a cell, copied from its panel and run, re-runs that cell', async (t) => {
  const target =
    results.cells.find((c) => c.link === 'shared' && c.stage === 'preload-ctor') ?? results.cells[0];
  if (!target) return t.fail('no cell');
  const { page, close } = await openReport(join(out, 'report.html'));
  t.teardown(close);
  await page.evaluate((id) => {
    location.hash = `cell=${id}`;
  }, target.id);
  await page.waitForSelector('#panel:not([hidden])');
  t.match(await page.locator('#panel .pid').textContent(), target.id);
  await page.locator('#panel .codewrap .copy').first().click();
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  t.equal(copied, target.reproduce, 'the panel copies the cell\u2019s reproduce command');

  // Run as printed, from the project's folder, with its results sent to a folder of the test's own.
  const again = join(tmp, 'again');
  const r = await execa('sh', ['-c', `${copied} --out '${again}' --json`], {
    cwd: process.cwd(),
    reject: false,
    all: true,
    timeout: 1_800_000,
  });
  // A lone cell: 0 when it passes or is skipped, 1 when it fails or errs (an error cell of a lone
  // run is also its only cell: 3, the run's infrastructure-only status).
  const expectedExit = { pass: 0, skip: 0, fail: 1, error: 3 }[target.status];
  t.equal(
    r.exitCode,
    expectedExit,
    `exit status as the verdict ${target.status} says\n${r.all?.slice(-2000)}`,
  );
  const rerun = JSON.parse(readFileSync(join(again, 'results.json'), 'utf8')) as Results;
  t.same(
    rerun.cells.map((c) => c.id),
    [target.id],
    'exactly that cell',
  );
  t.equal(rerun.cells[0]?.status, target.status, 'with the same verdict');
  t.same(rerun.cells[0]?.observed.state, target.observed.state, 'and the same observed state');
});
