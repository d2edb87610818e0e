/**
 * The review of a patch series (harness/review/review.ts) as ONE self-contained HTML file (review.html)
 * that works from file:// with no network: the series and its cover letter, the base, one row per patch
 * (its build, how many cells it changed against the previous step and the base, how many of them break)
 * that opens onto the changed cells grouped by stage, each outcome linking to its cell in the run's report
 * (`report.html#cell=<id>`, which the report page opens), then the series against the base, the previous
 * version of the series, and the warnings.
 *
 * Static HTML, no script: the report's stylesheet (pageAssets, the same look) and a small one of the
 * review's own, both allowed by their sha256 hashes in the Content-Security-Policy; every text from the
 * data is escaped. Pure but for reading the built stylesheet (page-assets.ts).
 */
import {
  buildWords,
  changeSetWords,
  deltasByStage,
  formatDuration,
  outcomeWord,
  patchTitle,
  sameAgainst,
  versionTag,
} from '../review/format.js';
import type {
  CellDelta,
  CellOutcome,
  Review,
  ReviewAgainst,
  StepBuild,
  StepReview,
  TestDelta,
} from '../review/review.js';
import { cspHash, htmlEscape as esc } from './html.js';
import { pageAssets } from './page-assets.js';

/** The review's own style, after the report's (later rules win). */
export const REVIEW_STYLE = `
.review table.steps, .review table.cells, .review table.tests, .review table.against {
  border-collapse: collapse; width: 100%; font-size: 13px;
}
.review table th, .review table td {
  text-align: left; padding: 5px 10px 5px 0; vertical-align: top; overflow-wrap: anywhere;
}
.review table thead th { color: var(--muted); font-weight: 600; white-space: nowrap; }
.review table.steps > tbody > tr.patch > *, .review table.steps > tbody > tr.base > *,
.review table.cells tbody tr > *, .review table.tests tbody tr > *, .review table.against tbody tr > * {
  border-top: 1px solid var(--border);
}
.review td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.review tr.rv-cells > td { padding: 0 0 10px 24px; }
.review tr.unknown td.subject { color: var(--muted); }
.review tr.rv-stagehead th { background: var(--soft); color: var(--fg); padding-left: 8px; }
.review tr.breaks > td { background: var(--fail-bg); }
.review .brk { color: var(--fail); font-weight: 700; }
.review .fields { font-family: var(--mono); font-size: 12px; color: var(--muted); }
.review .detail { color: var(--muted); font-size: 12px; display: block; }
.review pre.text, .review pre.log {
  white-space: pre-wrap; overflow-wrap: anywhere; max-height: 480px; overflow: auto;
  background: var(--soft); padding: 8px 10px; border-radius: 6px; margin: 6px 0;
}
.review details > summary { cursor: pointer; }
.review a { color: var(--accent); }
.review h3 { margin-top: 12px; }
.review footer { color: var(--muted); font-size: 12px; }
`;

/** The page's policy: its two style elements by hash, no script at all, nothing loaded from anywhere. */
export function reviewSecurityPolicy(styles: readonly string[]): string {
  return [
    "default-src 'none'",
    `style-src ${styles.map(cspHash).join(' ')}`,
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

/** A path relative to the review, as a URL (each segment encoded). */
function pathHref(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

/** Where the report shows a cell: the report page opens the cell of `#cell=<id>`. */
export function evidenceHref(review: Review, cellId: string): string {
  return `${pathHref(review.run.report)}#cell=${encodeURIComponent(cellId).replace(/%2F/g, '/')}`;
}

const OBSERVED = new Set(['registered', 'unregistered', 'unavailable', 'mixed']);

function stateBadge(o: CellOutcome | null): string {
  const word = outcomeWord(o);
  if (o?.status === 'error') return '<span class="badge error">error</span>';
  if (o?.status === 'skip') return '<span class="badge skip">skip</span>';
  const cls = !o ? 'none' : OBSERVED.has(word) ? word : 'other';
  return `<span class="badge opal o-${cls}">${esc(word)}</span>`;
}

/** One side of a changed cell: its state, what else it says, linked to its cell in the report. */
function outcomeCell(review: Review, o: CellOutcome | null, id: string | null): string {
  const details: string[] = [];
  if (o?.status === 'measured') details.push(`__rseq_size ${o.rseqSize ?? 'none'}`);
  if (o?.owner) details.push(`owner ${o.owner}`);
  if (o?.client !== undefined) details.push(`client ${o.client}`);
  if (o?.inconsistency) details.push(`observers disagree: ${o.inconsistency}`);
  if (o?.reason) details.push(o.reason);
  const badge = id ? `<a href="${esc(evidenceHref(review, id))}">${stateBadge(o)}</a>` : stateBadge(o);
  return `<td>${badge}${details.map((d) => `<span class="detail">${esc(d)}</span>`).join('')}</td>`;
}

/** The changed cells, grouped by stage (a head row per stage). */
function cellsTable(review: Review, deltas: readonly CellDelta[], what: string): string {
  if (!deltas.length) return `<p class="sub">No cell changed ${esc(what)}.</p>`;
  const groups = deltasByStage(deltas);
  const out = [
    '<table class="cells">',
    '<thead><tr><th>Link</th><th>Scenario</th><th>Before</th><th>After</th><th>What differs</th></tr></thead>',
  ];
  for (const g of groups) {
    const breaks = g.deltas.filter((d) => d.breaks).length;
    out.push(
      `<tbody class="rv-stage" data-stage="${esc(g.stage)}">`,
      `<tr class="rv-stagehead"><th colspan="5"><code>${esc(g.stage)}</code> <span class="count">${g.deltas.length} ${g.deltas.length === 1 ? 'cell' : 'cells'}${breaks ? `, <span class="brk">${breaks} ${breaks === 1 ? 'break' : 'breaks'}</span>` : ''}</span></th></tr>`,
    );
    for (const d of g.deltas)
      out.push(
        `<tr class="cell${d.breaks ? ' breaks' : ''}" data-key="${esc(d.key)}">`,
        `<td>${esc(d.link)}</td><td>${esc(d.scenario)}</td>`,
        outcomeCell(review, d.before, d.beforeId),
        outcomeCell(review, d.after, d.afterId),
        `<td>${d.breaks ? '<span class="brk">BREAKS</span> ' : ''}<span class="fields">${esc(d.fields.join(', '))}</span></td>`,
        '</tr>',
      );
    out.push('</tbody>');
  }
  out.push('</table>');
  return out.join('\n');
}

function testsTable(tests: readonly TestDelta[]): string {
  if (!tests.length) return '';
  return [
    '<table class="tests"><thead><tr><th>glibc\'s own test</th><th>Before</th><th>After</th></tr></thead><tbody>',
    ...tests.map(
      (t) =>
        `<tr><td><code>${esc(t.test)}</code></td><td>${esc(t.before ?? 'not run')}</td><td>${esc(t.after ?? 'not run')}</td></tr>`,
    ),
    '</tbody></table>',
  ].join('\n');
}

function buildCell(b: StepBuild): string {
  if (b.status !== 'error') return `<td class="build ${b.status}">${esc(buildWords(b))}</td>`;
  return [
    '<td class="build error"><details><summary><span class="badge error">build failed</span></summary>',
    `<p>${esc(b.reason ?? 'no reason recorded')}</p>`,
    b.logTail ? `<pre class="log">${esc(b.logTail)}</pre>` : '',
    '</details></td>',
  ].join('');
}

function filesCell(files: readonly string[]): string {
  if (!files.length) return '<td class="num">0</td>';
  return `<td><details><summary>${files.length} ${files.length === 1 ? 'file' : 'files'}</summary>${files.map((f) => `<code class="detail">${esc(f)}</code>`).join('')}</details></td>`;
}

function countCell(s: StepReview, deltas: readonly CellDelta[]): string {
  return s.unknown ? '<td class="num">–</td>' : `<td class="num">${deltas.length}</td>`;
}

const COLUMNS = [
  '#',
  'Patch',
  'Author',
  'Date',
  'Files',
  'Build',
  'Changed vs previous',
  'Changed vs base',
  'Breaks',
  'glibc tests changed',
];

function stepRows(review: Review, s: StepReview): string {
  const unknown = s.unknown ? ' unknown' : '';
  if (!s.patch)
    return [
      `<tr class="base${unknown}" id="step-0">`,
      '<td>0</td>',
      `<td class="subject">Base: <code>${esc(review.base.glibc)}</code> ${esc(review.base.description)}</td>`,
      '<td></td><td></td><td></td>',
      buildCell(s.build),
      `<td colspan="4">${s.unknown ? `Tells nothing: ${esc(s.unknown)}` : `${s.cells} cells, ${s.measured} measured`}</td>`,
      '</tr>',
    ].join('\n');
  const breaks = s.vsPrevious.filter((d) => d.breaks).length;
  const row = [
    `<tr class="patch${unknown}${breaks ? ' breaks' : ''}" id="step-${s.step}">`,
    `<td class="num">${s.patch.index}</td>`,
    `<td class="subject">${esc(patchTitle(s.patch))}</td>`,
    `<td>${esc(s.patch.author)}</td>`,
    `<td>${esc(s.patch.date)}</td>`,
    filesCell(s.patch.files),
    buildCell(s.build),
    countCell(s, s.vsPrevious),
    countCell(s, s.vsBase),
    s.unknown ? '<td class="num">–</td>' : `<td class="num${breaks ? ' brk' : ''}">${breaks}</td>`,
    s.unknown ? '<td class="num">–</td>' : `<td class="num">${s.testsVsPrevious.length}</td>`,
    '</tr>',
  ].join('\n');
  const body = s.unknown
    ? `<p class="callout error">This step tells nothing: ${esc(s.unknown.replace(/\.$/, ''))}.</p>`
    : [
        `<details${s.vsPrevious.length ? ' open' : ''}><summary>Against the previous step: ${s.vsPrevious.length} changed ${s.vsPrevious.length === 1 ? 'cell' : 'cells'}</summary>`,
        cellsTable(review, s.vsPrevious, 'against the previous step'),
        testsTable(s.testsVsPrevious),
        '</details>',
        `<details><summary>Against the base: ${s.vsBase.length} changed ${s.vsBase.length === 1 ? 'cell' : 'cells'}</summary>`,
        cellsTable(review, s.vsBase, 'against the base'),
        testsTable(s.testsVsBase),
        '</details>',
      ].join('\n');
  return `${row}\n<tr class="rv-cells" id="step-${s.step}-cells"><td colspan="${COLUMNS.length}">${body}</td></tr>`;
}

function header(review: Review): string {
  const version = versionTag(review.series.version);
  const title = `Review${version ? ` of ${version}` : ''}: ${review.series.cover?.subject ?? `${review.series.patches} patches`}`;
  return [
    '<header class="top">',
    `<div class="titlebar"><h1>${esc(title)}</h1><span class="runstate ${review.run.complete ? 'ok' : 'bad'}">${review.run.complete ? 'complete run' : 'incomplete run'}</span></div>`,
    '<div class="meta">',
    `<span>base <code>${esc(review.base.glibc)}</code> ${esc(review.base.description)}</span>`,
    `<span>${review.series.patches} ${review.series.patches === 1 ? 'patch' : 'patches'}</span>`,
    `<span>run <a href="${esc(pathHref(review.run.report))}"><code>${esc(review.run.id)}</code></a>, ${esc(formatDuration(review.run.durationMs))}</span>`,
    `<span><a href="${esc(pathHref(review.run.results))}">results.json</a></span>`,
    '</div>',
    '</header>',
  ].join('\n');
}

function coverSection(review: Review): string {
  const c = review.series.cover;
  if (!c) return '';
  return [
    '<section id="cover">',
    `<details><summary><b>Cover letter</b>: ${esc(c.subject)}</summary>`,
    `<p class="sub">${esc(c.author)}${c.date ? `, ${esc(c.date)}` : ''}</p>`,
    `<pre class="text">${esc(c.body)}</pre>`,
    '</details>',
    '</section>',
  ].join('\n');
}

function patchesSection(review: Review): string {
  return [
    '<section id="patches">',
    `<div class="sechead"><h2>Steps</h2><span class="count">the base, then patches 1..k applied; each patch against the step before it</span></div>`,
    '<table class="steps">',
    `<thead><tr>${COLUMNS.map((c) => `<th>${esc(c)}</th>`).join('')}</tr></thead>`,
    '<tbody>',
    ...review.steps.map((s) => stepRows(review, s)),
    '</tbody>',
    '</table>',
    '</section>',
  ].join('\n');
}

function seriesSection(review: Review): string {
  const w = review.seriesVsBase;
  const out = ['<section id="series">', '<div class="sechead"><h2>The series against the base</h2></div>'];
  if (!w) out.push('<p class="sub">Nothing to say: no step after a base that built is known.</p>');
  else {
    if (w.step < review.series.patches)
      out.push(`<p class="callout">Up to patch ${w.step}, the last step that built and was measured.</p>`);
    out.push(cellsTable(review, w.cells, 'against the base'), testsTable(w.tests));
  }
  out.push('</section>');
  return out.join('\n');
}

function againstSection(review: Review, a: ReviewAgainst | undefined): string {
  if (!a) return '';
  const version = versionTag(a.previous.version);
  const keys = (list: readonly string[]) =>
    list.length ? list.map((k) => `<code class="detail">${esc(k)}</code>`).join('') : '';
  const rows = a.patches.map((p) => {
    const now = p.now
      ? patchTitle({ ...p.now, total: review.series.patches, version: review.series.version })
      : '';
    const before = p.before
      ? patchTitle({ ...p.before, total: a.previous.patches, version: a.previous.version })
      : '';
    const same = sameAgainst(p);
    return [
      `<tr class="against${same ? ' same' : ''}">`,
      `<td>${now ? esc(now) : '<i>dropped</i>'}</td>`,
      `<td>${before ? esc(before) : '<i>new</i>'}</td>`,
      same
        ? '<td colspan="3" class="sub">the same changes</td>'
        : `<td>${keys(p.newlyChanged)}</td><td>${keys(p.noLongerChanged)}</td><td>${keys(p.changedOtherwise)}</td>`,
      '</tr>',
    ].join('');
  });
  const whole = changeSetWords(a.series);
  return [
    '<section id="against">',
    `<div class="sechead"><h2>Against ${esc(version || 'the previous version')}</h2><span class="count">run ${esc(a.previous.run)}, ${a.previous.patches} patches</span></div>`,
    '<table class="against"><thead><tr><th>Patch now</th><th>Patch before</th><th>Newly changed</th><th>No longer changed</th><th>Changed otherwise</th></tr></thead>',
    '<tbody>',
    ...rows,
    '</tbody></table>',
    `<p>The series as a whole against the base: ${esc(whole || 'the same changes in both versions')}.</p>`,
    '</section>',
  ].join('\n');
}

function warningsSection(review: Review): string {
  if (!review.warnings.length) return '';
  return [
    '<section id="warnings">',
    '<div class="sechead"><h2>Warnings</h2></div>',
    ...review.warnings.map((w) => `<p class="warn">${esc(w)}</p>`),
    '</section>',
  ].join('\n');
}

/** The review as one HTML file. */
export function renderReview(review: Review, against?: ReviewAgainst): string {
  const styles = [pageAssets().style, REVIEW_STYLE];
  const version = versionTag(review.series.version);
  const title = `rseq-matrix review${version ? ` ${version}` : ''}: ${review.series.cover?.subject ?? review.base.glibc}`;
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${esc(reviewSecurityPolicy(styles))}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="referrer" content="no-referrer">',
    `<title>${esc(title)}</title>`,
    '<link rel="icon" href="data:,">',
    ...styles.map((s) => `<style>${s}</style>`),
    '</head>',
    '<body>',
    '<div id="app" class="review">',
    header(review),
    coverSection(review),
    patchesSection(review),
    seriesSection(review),
    againstSection(review, against),
    warningsSection(review),
    `<footer>Each outcome links to its cell in the run's report (${esc(review.run.report)}).</footer>`,
    '</div>',
    '</body>',
    '</html>',
  ]
    .filter((line) => line !== '')
    .join('\n')
    .concat('\n');
}
