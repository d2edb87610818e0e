/**
 * Builds the report page's script and style from page/ (`npm run build` runs this after the type checks:
 * node dist/harness/report/page-build.js).
 *
 * The script: every page module (page/*.mts, ES modules that import only each other, and types) is
 * transpiled on its own by TypeScript (types stripped, CommonJS out), and the modules are joined into ONE
 * plain script, an IIFE with a table of the modules and a small require(); main.mts runs first. The HTML
 * inlines that script (one script, one CSP hash). Type-checking is not done here: tsc -p tsconfig.page.json.
 * The style: the CSS files joined in CSS_FILES order.
 *
 * Build-time only: this module needs the TypeScript compiler (a devDependency); nothing at run time
 * imports it.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { PAGE_OUT_DIR, PAGE_SRC_DIR, SCRIPT_FILE, STYLE_FILE } from './page-assets.js';

/** The module the page starts with. */
export const ENTRY = './main.mjs';
/** The style sheets, in the order they are joined (later rules win). */
export const CSS_FILES = ['base.css', 'grid.css', 'panel.css'];

const REQUIRE = /\brequire\("([^"]*)"\)/g;

function transpile(file: string, source: string): string {
  const out = ts.transpileModule(source, {
    fileName: file.replace(/\.mts$/, '.ts'),
    reportDiagnostics: true,
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2020,
      removeComments: true,
      sourceMap: false,
      isolatedModules: true,
    },
  });
  const errors = (out.diagnostics ?? []).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  if (errors.length) throw new Error(`${file}: ${errors.join('; ')}`);
  return out.outputText.trim();
}

/** The page's script: the modules of srcDir in one IIFE. */
export function bundleScript(srcDir = PAGE_SRC_DIR): string {
  const files = readdirSync(srcDir)
    .filter((f) => f.endsWith('.mts'))
    .sort();
  const names = new Set(files.map((f) => `./${f.replace(/\.mts$/, '.mjs')}`));
  if (!names.has(ENTRY)) throw new Error(`${srcDir}: no ${ENTRY.replace(/\.mjs$/, '.mts')}`);
  const modules = files.map((f) => {
    const code = transpile(f, readFileSync(join(srcDir, f), 'utf8'));
    for (const m of code.matchAll(REQUIRE))
      if (!names.has(m[1] as string))
        throw new Error(`${f} imports ${m[1]}: the page's modules may import only each other (and types)`);
    return `${JSON.stringify(`./${f.replace(/\.mts$/, '.mjs')}`)}: function (exports, require) {\n${code}\n}`;
  });
  const script = [
    '(function () {',
    "'use strict';",
    'var modules = {',
    modules.join(',\n'),
    '};',
    'var loaded = {};',
    'function require(name) {',
    '  if (loaded[name]) return loaded[name];',
    "  if (!modules[name]) throw new Error('the page has no module ' + name);",
    '  var exports = (loaded[name] = {});',
    '  modules[name](exports, require);',
    '  return exports;',
    '}',
    `require(${JSON.stringify(ENTRY)});`,
    '})();',
    '',
  ].join('\n');
  // The HTML inlines it: nothing in it may end the script element or start an HTML comment there.
  if (/<\/script|<!--/i.test(script)) throw new Error('the page script holds </script or <!--');
  return script;
}

/** The page's style: the CSS files of srcDir joined. */
export function bundleStyle(srcDir = PAGE_SRC_DIR): string {
  const style = CSS_FILES.map((f) => readFileSync(join(srcDir, f), 'utf8')).join('\n');
  if (/<\/style/i.test(style)) throw new Error('the page style holds </style');
  return style;
}

/** Writes report.js and report.css into outDir. */
export function buildPage(srcDir = PAGE_SRC_DIR, outDir = PAGE_OUT_DIR): { script: string; style: string } {
  mkdirSync(outDir, { recursive: true });
  const script = join(outDir, SCRIPT_FILE);
  const style = join(outDir, STYLE_FILE);
  writeFileSync(script, bundleScript(srcDir));
  writeFileSync(style, bundleStyle(srcDir));
  return { script, style };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = buildPage();
  process.stdout.write(`report page: ${out.script}, ${out.style}\n`);
}
