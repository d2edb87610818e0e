/**
 * The HTML report in a real browser (Debian's chromium through playwright-core): the grid, filters
 * from the UI and from the URL hash, the cell panel, the changes list, hostile data, and how long a
 * 10,000-cell report takes to render. /usr/bin/chromium is a prerequisite (test/helpers/prereq.ts):
 * without it the file is skipped, or fails under CI=true.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import t from 'tap';
import type { CellResult, Results } from '../../harness/model/results.js';
import { renderReport } from '../../harness/report/html.js';
import {
  cloneResults,
  generateResults,
  largeResults,
  summarize,
  withObservers,
} from '../../harness/report/synthetic.js';
import { CHROMIUM, chromiumMissing, launchChromium } from '../helpers/chromium.js';
import { requireFilePrereq } from '../helpers/prereq.js';
import { repoPath } from '../helpers/repo.js';

requireFilePrereq(t, CHROMIUM, chromiumMissing());

const small = JSON.parse(readFileSync(repoPath('test/fixtures/results/small.json'), 'utf8')) as Results;
const dir = mkdtempSync(join(tmpdir(), 'rseq-report-'));
t.comment(`reports and screenshots in ${dir}`);

function write(name: string, html: string): string {
  const path = join(dir, name);
  writeFileSync(path, html);
  return pathToFileURL(path).href;
}

/** A baseline for small.json: the failing cell passed, one error cell failed, one cell is gone, one is new. */
function baselineOf(r: Results): Results {
  const b = cloneResults(r);
  b.run.id = '20250610T031500Z-stock-1a2b';
  const fail = b.cells.find((c) => c.status === 'fail') as CellResult;
  fail.status = 'pass';
  delete fail.reason;
  const fixed = b.cells.find((c) => c.id === 'bookworm/stock/static/default/main') as CellResult;
  fixed.status = 'fail';
  fixed.reason = 'expected registered, the kernel reports unregistered';
  b.cells = b.cells.filter((c) => c.id !== 'bullseye/stock/shared/tunable-off/thread');
  b.cells.push({ ...(b.cells[0] as CellResult), id: 'buster/stock/shared/default/main', glibc: 'buster' });
  b.summary = summarize(b.cells);
  return b;
}

let browser: Browser;
/** Each page's context is closed when the page is; the browser closes once they all have. */
const contextsClosing: Promise<void>[] = [];
t.before(async () => {
  browser = await launchChromium();
});
t.teardown(async () => {
  await Promise.all(contextsClosing);
  await browser?.close();
});

interface Watched {
  page: Page;
  errors: string[];
  dialogs: string[];
  requests: string[];
}

async function open(url: string, viewport = { width: 1440, height: 1000 }): Promise<Watched> {
  const context = await browser.newContext({ viewport, permissions: ['clipboard-read', 'clipboard-write'] });
  const page = await context.newPage();
  page.on('close', () => contextsClosing.push(context.close()));
  const w: Watched = { page, errors: [], dialogs: [], requests: [] };
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') w.errors.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => w.errors.push(`page error: ${e.message}`));
  page.on('dialog', async (d) => {
    w.dialogs.push(`${d.type()}: ${d.message()}`);
    await d.dismiss();
  });
  page.on('request', (r) => {
    if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) w.requests.push(r.url());
  });
  await page.goto(url);
  await page.waitForSelector('html[data-ready="true"]');
  return w;
}

const visibleCells = (page: Page) =>
  page.$$eval(
    '#grid .c',
    (tds) =>
      (tds as HTMLElement[]).filter(
        (td) => !td.classList.contains('dim') && !td.hidden && !(td.parentElement as HTMLElement).hidden,
      ).length,
  );
const hash = (page: Page) => page.evaluate(() => decodeURIComponent(location.hash));

t.test('grid, filters, hash, panel and changes in a browser', async (t) => {
  const url = write('small.html', renderReport(small, { baseline: baselineOf(small) }));
  const { page, errors, dialogs, requests } = await open(url);

  t.equal(await page.locator('#grid .c').count(), 24, 'the grid shows every cell');
  t.equal(
    await page.locator('#grid .gbody .grow').count(),
    8,
    'one row per glibc x variant x link x scenario',
  );
  t.same(await page.$$eval('#grid .stage', (ths) => ths.map((th) => th.textContent)), [
    'preload-ctor',
    'main',
    'thread',
  ]);
  t.equal(
    await page.locator('#grid .c.fail').textContent(),
    '\u2717',
    'fail shows a symbol, not only a colour',
  );
  t.equal(await page.locator('#grid .c.error').textContent(), '!');
  t.equal(await page.locator('#grid .c.skip').count(), 4);
  t.match(await page.locator('.legend:not([hidden])').textContent(), /Fail.*Error.*Pass.*Skip/);
  t.match(await page.locator('header.top').textContent(), /Run 20250611T031502Z-stock-7f3c.*Matrix stock/);
  t.match(await page.locator('header .runstate').textContent(), 'Complete');
  t.match(await page.locator('.summary').textContent(), /6\.1\.0-37-amd64.*20\.10\.24\+dfsg1.*v20\.20\.2/);

  // Changes come first, each entry opens its cell.
  const sections = await page.$$eval('#app > section', (s) => s.map((x) => x.className));
  t.same(sections.slice(0, 3), ['summary', 'changes', 'matrix']);
  const changes = await page.locator('#changes').textContent();
  for (const v of ['NEW-FAIL', 'FIXED', 'NEW', 'REMOVED', 'INFRA']) t.match(changes, v);
  t.match(changes, /Infrastructure errors \(INFRA\) are listed apart/);
  await page.locator('.vgroup.v-NEW-FAIL button.chg').first().click();
  await page.waitForSelector('#panel:not([hidden])');
  t.match(await page.locator('#panel .pid').textContent(), 'bookworm/stock/shared/tunable-off/thread');
  t.match(await hash(page), 'cell=bookworm/stock/shared/tunable-off/thread');
  await page.keyboard.press('Escape');
  t.ok(await page.locator('#panel').isHidden(), 'Escape closes the panel');
  t.notMatch(await hash(page), 'cell=');

  // Filters from the UI.
  await page.locator('.chips button[data-status="fail"]').click();
  t.equal(await visibleCells(page), 1, 'status filter: one failing cell');
  t.equal(
    await page.locator('#grid .gbody .grow:not([hidden])').count(),
    1,
    'rows without a match are hidden',
  );
  t.match(await hash(page), /status=fail/);
  await page.locator('.chips button[data-status="fail"]').click();
  await page.selectOption('#f-stage', 'main');
  t.equal(
    await page.locator('#grid .stage:not([hidden])').count(),
    1,
    'stage filter hides the other columns',
  );
  t.equal(await visibleCells(page), 8);
  await page.selectOption('#f-glibc', 'bookworm');
  t.equal(await visibleCells(page), 4);
  t.match(
    await hash(page),
    /glibc=bookworm&stage=main|stage=main.*glibc=bookworm|glibc=bookworm.*stage=main/,
  );
  await page.locator('.reset').click();
  await page.fill('#f-q', 'timed out');
  await page.waitForFunction(() => location.hash.includes('q='));
  t.equal(await visibleCells(page), 1, 'free text finds the reason of the error');
  t.match(await page.locator('.count').textContent(), 'Showing 1 of 24 cells in 1 row');
  t.match(await page.locator('.problems').textContent(), /probe timed out/);

  // Filters and the open panel from the URL hash (a link reopens the view).
  await page.goto(`${url}#scenario=tunable-off&stage=thread&status=fail,pass`);
  await page.waitForSelector('html[data-ready="true"]');
  t.equal(await visibleCells(page), 4, 'tunable-off thread cells that pass or fail');
  t.equal(await page.inputValue('#f-stage'), 'thread', 'the select shows the hash');
  t.equal(await page.getAttribute('.chips button[data-status="pass"]', 'aria-pressed'), 'true');
  await page.evaluate(() => {
    location.hash = 'variant=stock&status=error';
  });
  await page.waitForFunction(
    () => document.querySelectorAll('#grid .gbody .grow:not([hidden])').length === 1,
  );
  t.equal(await visibleCells(page), 1, 'a hash change re-applies the filters');

  // Click a cell: the panel holds everything a reviewer needs.
  await page.goto(url);
  await page.waitForSelector('html[data-ready="true"]');
  await page.locator('#grid .c.fail').click();
  await page.waitForSelector('#panel:not([hidden])');
  const panel = (await page.locator('#panel').textContent()) ?? '';
  for (const s of [
    'Expected vs observed',
    'unregistered',
    'matrix rule #2',
    'observers consistent',
    'the kernel has an area registered for tid',
    'Observations (2)',
    'glibc.rseqSize',
    '22 (EINVAL)',
    "npx rseq-matrix run matrices/stock.yaml --filter 'glibc=bookworm,variant=stock,link=shared,scenario=tunable-off,stage=thread'",
    'Probe run',
    'docker run --rm --network none -e GLIBC_TUNABLES=glibc.pthread.rseq=0',
    'something else is registered',
    'stock-bookworm-a41c09b5e2f3',
    'none (the glibc as shipped)',
    'Environment',
    'overlay2',
    'NEW-FAIL',
  ])
    t.ok(panel.includes(s), `panel shows ${s}`);
  t.equal(await page.locator('#grid .c.sel').count(), 1, 'the open cell is marked in the grid');
  const copy = page.locator('#panel .codewrap .copy').first();
  await copy.click();
  await page.waitForFunction(() => document.querySelector('#panel .codewrap .copy')?.textContent !== 'Copy');
  t.equal(await copy.textContent(), 'Copied', 'the reproduce command is copyable');
  t.equal(
    await page.evaluate(() => navigator.clipboard.readText().catch(() => 'unreadable')),
    "npx rseq-matrix run matrices/stock.yaml --filter 'glibc=bookworm,variant=stock,link=shared,scenario=tunable-off,stage=thread'",
  );
  const opened = await hash(page);
  t.match(opened, 'cell=bookworm/stock/shared/tunable-off/thread');
  await page.evaluate(() => document.getElementById('matrix')?.scrollIntoView({ block: 'start' }));
  await page.screenshot({ path: join(dir, 'panel.png') });
  // The same address opens the same panel.
  const again = await open(`${url}#${opened.slice(1)}`);
  t.match(await again.page.locator('#panel .pid').textContent(), 'bookworm/stock/shared/tunable-off/thread');
  t.ok(await again.page.locator('#panel').isVisible());
  await again.page.locator('#panel button.close').click();
  t.ok(await again.page.locator('#panel').isHidden());
  // A removed cell opens a panel too.
  await again.page.locator('.vgroup.v-REMOVED button.chg').first().click();
  t.match(
    await again.page.locator('#panel').textContent(),
    /not in this run.*buster|buster.*not in this run/,
  );
  t.same([...again.errors, ...again.dialogs], []);
  await again.page.close();

  // An error cell: probe run and log tail.
  await page.locator('#panel button.close').click();
  await page.locator('#grid .c.error').click();
  const ep = (await page.locator('#panel').textContent()) ?? '';
  t.match(ep, /SIGKILL/);
  t.match(ep, /sending SIGKILL to the container/);
  t.match(ep, /INFRA/);
  await page.screenshot({ path: join(dir, 'full.png'), fullPage: true });

  t.same(errors, [], 'no console errors, no page errors');
  t.same(dialogs, []);
  t.same(requests, [], 'no network request');
  await page.close();
});

/** What a grid cell shows and how it is marked, by cell id (cells that are flagged carry a title from the start). */
const cellLook = (page: Page, id: string) =>
  page.evaluate((id) => {
    const td = [...document.querySelectorAll<HTMLElement>('#grid .c')].find((x) =>
      x.title.startsWith(`${id}\n`),
    );
    if (!td) return null;
    const cs = getComputedStyle(td);
    return {
      text: td.textContent,
      cls: td.className,
      title: td.title,
      aria: td.getAttribute('aria-label'),
      border: `${cs.borderTopStyle} ${cs.borderTopWidth}`,
      corner: getComputedStyle(td, '::before').content,
      dot: getComputedStyle(td, '::after').content,
    };
  }, id);

t.test(
  'observed view: the switch, its legend, failing cells stay marked, observers that disagree',
  async (t) => {
    const r = withObservers(small);
    const registered = r.cells.filter((c) => c.observed.state === 'registered').length;
    const inconsistent = r.cells.filter((c) => c.observed.consistent === false);
    t.equal(inconsistent.length, 2, 'the fixture has two cells whose observers disagree');
    const url = write('observed.html', renderReport(r));
    const { page, errors, dialogs, requests } = await open(url);
    const FAIL = 'bookworm/stock/shared/tunable-off/thread';
    const ERROR = 'bullseye/stock/static/default/thread';
    const MIXED = 'bullseye/stock/shared/default/thread';

    // Verdict view (the default): verdict symbols, the disagreement dot, no observed colours.
    t.notOk(await page.locator('#grid.obsview').count(), 'verdict view by default');
    t.equal(await page.getAttribute('button[data-show="verdict"]', 'aria-pressed'), 'true');
    let fail = await cellLook(page, FAIL);
    t.equal(fail?.text, '\u2717');
    t.match(
      fail?.title,
      /Verdict: Fail: expected unregistered.*\nObserved: registered/s,
      'title: verdict and observed state',
    );
    t.match(fail?.title, /Observers disagree: /, 'title: the inconsistency');
    t.not(fail?.dot, 'none', 'the disagreement dot shows in the verdict view too');
    t.equal(await page.locator('#grid .c.inc').count(), 2, 'a dot on each cell whose observers disagree');

    // Switch from the toolbar.
    await page.locator('button[data-show="observed"]').click();
    t.match(await hash(page), 'show=observed');
    t.equal(await page.locator('#grid.obsview').count(), 1);
    t.equal(await page.getAttribute('button[data-show="observed"]', 'aria-pressed'), 'true');
    const symbols = await page.$$eval('#grid .c', (tds) => tds.map((td) => td.textContent));
    t.equal(symbols.filter((x) => x === '\u25cf').length, registered, '\u25cf for each registered cell');
    t.equal(symbols.filter((x) => x === '\u25d0').length, 1, '\u25d0 for the mixed cell');
    t.ok(
      symbols.every((x) => ['\u25cf', '\u25cb', '\u2298', '\u25d0', '\u2013'].includes(x ?? '')),
      'only observed symbols',
    );
    const legend = (await page.locator('.legend:not([hidden])').textContent()) ?? '';
    t.match(
      legend,
      /registered.*unregistered.*unavailable.*mixed.*none \/ skip.*verdict fail.*verdict error.*observers disagree/,
    );
    t.notMatch(legend, /Pass/, 'the verdict legend is hidden');

    // A failing cell shows what was observed, and stays marked as failing.
    fail = await cellLook(page, FAIL);
    t.equal(fail?.text, '\u25cf', 'the failing cell shows the registration the kernel reported');
    t.match(fail?.border, /^solid [23]px$/, 'a solid frame');
    t.not(fail?.corner, 'none', 'and a corner mark');
    t.not(fail?.dot, 'none', 'and its disagreement dot');
    t.match(fail?.aria, /^Observed registered, verdict Fail, observers disagree$/);
    const error = await cellLook(page, ERROR);
    t.equal(error?.text, '\u2013', 'nothing observed');
    t.match(error?.border, /^dashed /, 'errors: a dashed frame');
    t.not(error?.corner, 'none');
    const passing = await page.$$eval('#grid .c.pass', (tds) =>
      tds.map((td) => getComputedStyle(td, '::before').content + getComputedStyle(td).borderTopStyle),
    );
    t.ok(
      passing.every((x) => x === 'nonenone'),
      'passing cells have no frame and no corner',
    );
    const mixed = await cellLook(page, MIXED);
    t.match(mixed?.title, /tid 7: the kernel says registered, strace saw no registration in force/);

    // "Inconsistent only", from the toolbar and from the hash.
    await page.locator('#f-inconsistent').check();
    t.equal(await visibleCells(page), 2, 'inconsistent only');
    t.match(await hash(page), /show=observed.*inconsistent=1/);
    t.match(await page.locator('.legend:not([hidden])').textContent(), /observers disagree\s*2/);
    t.match(
      await page.locator('.problems').textContent(),
      /Observers disagree.*tid 7: the kernel says registered/,
    );
    await page.locator('#f-inconsistent').uncheck();
    t.equal(await visibleCells(page), 24);
    await page.selectOption('#f-observed', 'registered');
    t.equal(await visibleCells(page), registered, 'the observed-state filter');
    t.match(await hash(page), 'observed=registered');
    await page.locator('.reset').click();
    t.match(await hash(page), /^#show=observed$/, 'clearing the filters keeps the view');

    await page.goto(`${url}#show=observed&inconsistent=1&scenario=default`);
    await page.waitForSelector('html[data-ready="true"]');
    t.equal(await page.locator('#grid.obsview').count(), 1, 'the hash opens the observed view');
    t.ok(await page.isChecked('#f-inconsistent'), 'and ticks the filter');
    t.equal(await visibleCells(page), 1, 'the mixed default cell');
    await page.evaluate(() => {
      location.hash = 'status=fail';
    });
    await page.waitForFunction(() => !document.querySelector('#grid.obsview'));
    t.equal((await cellLook(page, FAIL))?.text, '\u2717', 'a hash without show= is the verdict view');
    await page.locator('button[data-show="observed"]').click();
    await page.locator('button[data-show="verdict"]').click();
    t.notMatch(await hash(page), 'show=');
    t.equal(await visibleCells(page), 1);

    // A chip of the summary: the cells where the kernel reported that state, in the observed view.
    await page.goto(url);
    await page.waitForSelector('html[data-ready="true"]');
    await page.locator('.ostrip button[data-observed="registered"]').click();
    t.match(await hash(page), /show=observed&observed=registered/);
    t.equal(await visibleCells(page), registered);

    // The panel: observers first, then every field, known or not, as text.
    await page.goto(`${url}#show=observed&cell=${MIXED}`);
    await page.waitForSelector('#panel:not([hidden])');
    let panel = (await page.locator('#panel').textContent()) ?? '';
    for (const s of [
      'observers disagree',
      'Observers disagree',
      'tid 7: the kernel says registered',
      'mixed',
      'NO: the kernel check, glibc\u2019s claim and strace disagree',
    ])
      t.ok(panel.includes(s), `mixed cell panel shows ${s}`);
    t.equal(await page.locator('#panel .callout.inc').count(), 1, 'the disagreement is a callout');
    await page.screenshot({ path: join(dir, 'observed-panel.png') });
    await page.goto(`${url}#cell=bullseye/stock/shared/default/main`);
    await page.waitForSelector('#panel:not([hidden])');
    panel = (await page.locator('#panel').textContent()) ?? '';
    for (const s of [
      'extra.rseqHandled',
      'extra.rseqAbiCpuId',
      'extra.__rseq_abi',
      'strace.registeredBefore',
      'strace.inForce',
      'futureObserver.verdict',
      '<b>agrees</b>',
      'Outside view (strace)',
      'strace -- version 6.1',
      'work/bullseye--stock/default/obs/shared-main.strace',
      'tid 1000',
      'ifunc-exe',
      'traced run',
      'strace overhead 180 ms',
      'strace -f -qq -s 256 -o /out/obs/shared-main.strace.0',
      'Other fields',
      'outsideNote',
      '<img src=x onerror="window.__pwned=9">',
    ])
      t.ok(panel.includes(s), `panel shows ${s}`);
    await page.goto(`${url}#cell=bullseye/stock/shared/default/preload-ctor`);
    await page.waitForSelector('#panel:not([hidden])');
    t.match(
      await page.locator('#panel').textContent(),
      /strace could not watch this probe: strace is not installed in the image rseq-matrix\/<probe>/,
    );
    await page.goto(`${url}#cell=bullseye/stock/shared/tunable-off/main`);
    await page.waitForSelector('#panel:not([hidden])');
    panel = (await page.locator('#panel').textContent()) ?? '';
    t.ok(
      panel.includes('a thread of an unknown shape') && panel.includes('SIGCHLD'),
      'strace data of an unknown shape, as key/value text',
    );

    // Builds: mode, compiled files, phases and glibc's tests; open because a glibc test failed.
    t.ok(
      await page.locator('details.builds').evaluate((d) => (d as HTMLDetailsElement).open),
      'open: a glibc test failed',
    );
    const builds = (await page.locator('details.builds').textContent()) ?? '';
    for (const s of [
      '1 cold, 1 incremental',
      'glibc tests:',
      '7,535 files',
      '6 files',
      'incremental',
      'configure',
      '8 min 20 s',
      'probe compile',
      'misc/tst-rseq',
      'FAIL',
      'UNSUPPORTED',
    ])
      t.ok(builds.includes(s), `builds show ${s}`);

    t.equal(
      await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned),
      undefined,
      'no script ran',
    );
    t.equal(await page.locator('img, svg, iframe').count(), 0, 'no element came from the data');
    t.equal(await page.locator('b', { hasText: /^agrees$/ }).count(), 0, 'not even a <b>');
    t.same(errors, [], 'no console errors');
    t.same(dialogs, []);
    t.same(requests, []);
    await page.goto(`${url}#show=observed`);
    await page.waitForSelector('html[data-ready="true"]');
    await page.evaluate(() => document.getElementById('matrix')?.scrollIntoView({ block: 'start' }));
    await page.screenshot({ path: join(dir, 'observed.png') });
    await page.close();
  },
);

t.test(
  'kernels: a row key and a filter; the pivot, its choices in the hash, its cells lead to the grid',
  async (t) => {
    const r = generateResults({
      glibcs: ['bullseye', 'bookworm', 'trixie'],
      variants: ['stock', 'early-init'],
      kernels: ['host', 'k6.1', 'uml'],
      scenarios: ['default', 'tunable-off'],
      seed: 8,
    });
    const url = write('kernels.html', renderReport(r));
    const { page, errors, dialogs, requests } = await open(url);
    t.same(
      await page.$$eval('#grid .lab.head', (e) => e.map((x) => x.textContent)),
      ['glibc', 'variant', 'kernel', 'link', 'scenario'],
      'the kernel is a row key',
    );
    t.same(
      await page.$$eval('#f-kernel option', (o) => o.map((x) => (x as HTMLOptionElement).value)),
      ['', 'host', 'k6.1', 'uml'],
      'and a filter',
    );
    await page.selectOption('#f-kernel', 'uml');
    t.equal(await visibleCells(page), r.cells.filter((c) => c.kernel === 'uml').length, 'kernel=uml');
    t.match(await hash(page), 'kernel=uml');

    // The pivot: glibc x kernel at main by default.
    await page.goto(url);
    await page.waitForSelector('html[data-ready="true"]');
    const table = page.locator('#pivot-table');
    t.same(
      [
        await table.getAttribute('data-rows'),
        await table.getAttribute('data-cols'),
        await table.getAttribute('data-stage'),
      ],
      ['glibc', 'kernel', 'main'],
    );
    t.same(await page.$$eval('#pivot-table .pvcol', (e) => e.map((x) => x.textContent)), [
      'host',
      'k6.1',
      'uml',
    ]);
    t.same(await page.$$eval('#pivot-table .pvrow', (e) => e.map((x) => x.textContent)), [
      'bullseye',
      'bookworm',
      'trixie',
    ]);
    t.equal(await page.locator('#pivot-table button.pv').count(), 9);
    const under = r.cells.filter((c) => c.glibc === 'bookworm' && c.kernel === 'uml' && c.stage === 'main');
    const button = page.locator('#pivot-table tbody tr').nth(1).locator('button.pv').nth(2);
    const label = (await button.getAttribute('aria-label')) ?? '';
    t.match(label, `glibc bookworm, kernel uml, stage main: ${under.length} cells`);
    for (const st of ['pass', 'fail', 'error', 'skip'] as const) {
      const n = under.filter((c) => c.status === st).length;
      if (n) t.match(label, `${st} ${n}`, `the status mix: ${st} ${n}`);
    }
    const registered = under.filter((c) => c.observed.state === 'registered').length;
    if (registered) t.match(await button.textContent(), `registered ${registered}`, 'the observed states');
    await button.click();
    await page.waitForFunction(() => location.hash.includes('kernel='));
    const h = await hash(page);
    t.match(h, 'glibc=bookworm');
    t.match(h, 'kernel=uml');
    t.match(h, 'stage=main');
    t.equal(await visibleCells(page), under.length, "the grid shows the pivot cell's cells");

    // Other axes, from the controls and from the hash.
    await page.selectOption('#p-cols', 'stage');
    t.equal(await table.getAttribute('data-cols'), 'stage');
    t.ok(await page.locator('#p-stage').isDisabled(), 'no stage to pick when the stage is an axis');
    await page.selectOption('#p-rows', 'stage');
    t.same(
      [await table.getAttribute('data-rows'), await table.getAttribute('data-cols')],
      ['stage', 'glibc'],
      'rows and columns never on one axis: they swap',
    );
    t.match(await hash(page), /prow=stage.*pcol=glibc/);
    await page.goto(`${url}#prow=variant&pcol=kernel&pstage=thread`);
    await page.waitForSelector('html[data-ready="true"]');
    t.same(
      [
        await table.getAttribute('data-rows'),
        await table.getAttribute('data-cols'),
        await table.getAttribute('data-stage'),
      ],
      ['variant', 'kernel', 'thread'],
    );
    t.equal(await page.inputValue('#p-stage'), 'thread', 'the controls show the hash');
    await page.evaluate(() => document.getElementById('pivot')?.scrollIntoView({ block: 'start' }));
    await page.screenshot({ path: join(dir, 'pivot.png') });
    t.same(dialogs, []);
    t.same(errors, [], 'no console errors (so no CSP violation either)');
    t.same(requests, []);
    await page.close();

    // A host-only run shows no kernel column and no kernel filter; its pivot is glibc x link.
    const host = await open(write('host-only.html', renderReport(small)));
    t.notOk(
      (await host.page.$$eval('#grid .lab.head', (e) => e.map((x) => x.textContent))).includes('kernel'),
    );
    t.equal(await host.page.locator('#f-kernel').count(), 0);
    t.equal(await host.page.locator('#pivot-table').getAttribute('data-cols'), 'link');
    t.same(host.errors, []);
    await host.page.close();
  },
);

t.test('hostile names and logs stay text', async (t) => {
  const r = cloneResults(small);
  for (const c of r.cells)
    if (c.glibc === 'bookworm') {
      c.variant = '<img src=x onerror=alert(1)>';
      c.id = `${c.glibc}/${c.variant}/${c.link}/${c.scenario}/${c.stage}`;
    }
  const fail = r.cells.find((c) => c.status === 'fail') as CellResult;
  fail.logTail = 'before\n</script><script>alert(2)</script>\n<img src=y onerror="window.__pwned=1">';
  fail.reason = '<svg onload="window.__pwned=2"></svg> & more';
  (fail.probe as NonNullable<CellResult['probe']>).command = '"><script>window.__pwned=3</script>';
  r.summary = summarize(r.cells);
  r.run.complete = false;
  r.run.interrupted = 'SIGINT <after 12 cells>';
  const url = write('hostile.html', renderReport(r, { baseline: small, title: '<script>alert(3)</script>' }));
  const { page, errors, dialogs, requests } = await open(url);
  await page.locator('#grid .c.fail').click();
  await page.waitForSelector('#panel:not([hidden])');
  const panel = (await page.locator('#panel').textContent()) ?? '';
  t.ok(panel.includes('</script><script>alert(2)</script>'), 'the log is shown as text');
  t.ok(panel.includes('<svg onload="window.__pwned=2"></svg> & more'), 'the reason is shown as text');
  t.ok(
    (await page.locator('#grid .gbody .lab').allTextContents()).includes('<img src=x onerror=alert(1)>'),
    'the variant is shown as text',
  );
  t.equal(await page.title(), '<script>alert(3)</script>');
  t.equal(await page.locator('header .runstate').textContent(), 'Interrupted: SIGINT <after 12 cells>');
  await page.fill('#f-q', '<img');
  await page.waitForFunction(() => location.hash.includes('q='));
  await page.selectOption('#f-variant', '<img src=x onerror=alert(1)>');
  t.equal(await visibleCells(page), 12, 'the search matches the literal text "<img" in the ids');
  await page.fill('#f-q', '');
  await page.waitForTimeout(200);
  // Reload with the hostile cell in the hash.
  await page.reload();
  await page.waitForSelector('html[data-ready="true"]');
  t.ok(await page.locator('#panel').isVisible(), 'the hash reopens the hostile cell');
  await page.waitForTimeout(300);
  t.same(dialogs, [], 'no dialog opened');
  t.equal(
    await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned),
    undefined,
    'no script ran',
  );
  t.equal(await page.locator('img, svg, iframe, object, embed').count(), 0, 'no element came from the data');
  t.equal(await page.locator('script').count(), 2, 'no script element was added');
  t.same(errors, [], 'no console errors (so no CSP violation either)');
  t.same(requests, [], 'no request for x or y');
  await page.screenshot({ path: join(dir, 'hostile.png') });
  await page.close();
});

t.test('10,000 cells render fast enough', async (t) => {
  const r = largeResults(10_000);
  const url = write('large.html', renderReport(r, { baseline: largeResults(10_000, 43) }));
  const { page, errors } = await open(url);
  const timing = await page.evaluate(
    () =>
      new Promise<{ script: number; painted: number }>((resolve) =>
        requestAnimationFrame(() =>
          setTimeout(() =>
            resolve({
              script: Number(document.documentElement.getAttribute('data-render-ms')),
              painted: performance.now(),
            }),
          ),
        ),
      ),
  );
  t.comment(
    `10,000 cells: script ${timing.script.toFixed(0)} ms (parse, decode, build the grid), first frame ${timing.painted.toFixed(0)} ms after navigation`,
  );
  t.equal(await page.locator('#grid .c').count(), 10_000);
  const t0 = Date.now();
  await page.locator('.chips button[data-status="fail"]').click();
  await page.waitForFunction(() => location.hash.includes('status=fail'));
  t.comment(`10,000 cells: a status filter applies in ${Date.now() - t0} ms (click to hash)`);
  await page.fill('#f-q', 'seccomp');
  await page.waitForFunction(() => location.hash.includes('q=seccomp'));
  t.ok((await visibleCells(page)) > 0);
  const t1 = Date.now();
  await page.locator('button[data-show="observed"]').click();
  await page.waitForFunction(() => location.hash.includes('show=observed'));
  t.comment(`10,000 cells: switching to the observed view takes ${Date.now() - t1} ms (click to hash)`);
  t.equal(await page.locator('#grid.obsview').count(), 1);
  await page.screenshot({ path: join(dir, 'large.png') });
  t.same(errors, []);
  await page.close();
});
