/**
 * The HTML report: one self-contained file that works from file:// with no network.
 *
 * The page holds the data (encode.ts) as JSON in <script type="application/json" id="data">, one inline
 * script and one inline style (built from page/ by page-build.ts, read by client.ts), and a
 * Content-Security-Policy that allows exactly those two by
 * their sha256 hashes: inline event handlers, injected scripts and remote loads cannot run. Every `<`, `>`
 * and `&` in the JSON is written as a \u escape, so no data can close the script element. Pure.
 */
import { createHash } from 'node:crypto';
import type { Results } from '../model/results.js';
import { encodeReport } from './encode.js';
import { pageAssets } from './page-assets.js';

export interface ReportOptions {
  /** A previous run: adds the "Changes" section (see compare.ts for the verdicts). */
  baseline?: Results;
  title?: string;
}

/** JSON that is safe inside a <script> element (and in HTML at large). */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

export function htmlEscape(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

export function cspHash(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

export function contentSecurityPolicy(script = pageAssets().script, style = pageAssets().style): string {
  return [
    "default-src 'none'",
    `script-src ${cspHash(script)}`,
    `style-src ${cspHash(style)}`,
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

export function renderReport(results: Results, opts: ReportOptions = {}): string {
  const { script, style } = pageAssets();
  const data = encodeReport(results, opts);
  const title = htmlEscape(data.title);
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${htmlEscape(contentSecurityPolicy(script, style))}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="referrer" content="no-referrer">',
    `<title>${title}</title>`,
    '<link rel="icon" href="data:,">',
    `<style>${style}</style>`,
    '</head>',
    '<body>',
    `<div id="app"><noscript><p class="noscript">${title}: this report needs JavaScript to show its ${results.cells.length} cells.</p></noscript></div>`,
    `<script type="application/json" id="data">${jsonForScript(data)}</script>`,
    `<script>${script}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
