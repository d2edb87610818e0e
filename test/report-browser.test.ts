/**
 * The HTML report in a real browser (Debian's chromium through playwright-core): the grid, filters
 * from the UI and from the URL hash, the cell panel, the changes list, hostile data, and how long a
 * 10,000-cell report takes to render. Skipped only when /usr/bin/chromium is missing.
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import t from 'tap';
import { renderReport } from '../harness/report/html.js';
import type { CellResult, Results } from '../harness/results/types.js';
import { cloneResults, largeResults, summarize } from '../harness/report/synthetic.js';

const CHROMIUM = '/usr/bin/chromium';
if (!existsSync(CHROMIUM)) {
  t.plan(
    0,
    `${CHROMIUM} does not exist: install Debian's chromium (apt-get install -y chromium) to run this test`,
  );
  process.exit(0);
}

const small = JSON.parse(
  readFileSync(new URL('./fixtures/results/small.json', import.meta.url), 'utf8'),
) as Results;
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
t.before(async () => {
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});
t.teardown(async () => {
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
  page.on('close', () => void context.close());
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
  t.match(await page.locator('.legend').textContent(), /Fail.*Error.*Pass.*Skip/);
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
    "rseq-matrix run matrices/stock.yaml --only 'bookworm/stock/shared/tunable-off/thread'",
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
    "rseq-matrix run matrices/stock.yaml --only 'bookworm/stock/shared/tunable-off/thread'",
  );
  const opened = await hash(page);
  t.match(opened, 'cell=bookworm/stock/shared/tunable-off/thread');
  await page.evaluate(() => document.getElementById('matrix')?.scrollIntoView({ block: 'start' }));
  await page.screenshot({ path: join(dir, 'panel.png') });
  copyFileSync(join(dir, 'panel.png'), '/tmp/report-shot.png');
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
  await page.screenshot({ path: join(dir, 'large.png') });
  t.same(errors, []);
  await page.close();
});
