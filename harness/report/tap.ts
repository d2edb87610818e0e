/**
 * TAP version 14: one test point per cell, in grid order. pass -> ok; fail and error -> not ok with a
 * YAML diagnostic block; skip -> ok with "# SKIP reason". Pure: returns the stream as a string.
 */
import type { CellResult, Results } from '../model/results.js';
import { describeExpected, describeObserved, groupRows, oneLine } from './common.js';

/** A test point description may not hold '#' (it starts a directive) or a newline; '\' escapes. */
function desc(s: string): string {
  return oneLine(s, 500).replace(/\\/g, '\\\\').replace(/#/g, '\\#');
}

/**
 * JSON strings are YAML double-quoted scalars; YAML also forbids some characters JSON writes raw
 * (DEL, C1 controls, lone surrogates) and parsers split lines at U+2028/U+2029: escape those too.
 */
function yamlLine(key: string, value: unknown): string {
  const json = JSON.stringify(value).replace(
    /[\u007f-\u0084\u0086-\u009f\u2028\u2029\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g,
    (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return `  ${key}: ${json}`;
}

function diagnostics(c: CellResult): string[] {
  const lines = ['  ---'];
  lines.push(yamlLine('status', c.status));
  lines.push(yamlLine('severity', c.status === 'error' ? 'error' : 'fail'));
  if (c.reason) lines.push(yamlLine('message', c.reason));
  lines.push(yamlLine('expected', describeExpected(c.expected)));
  lines.push(yamlLine('observed', describeObserved(c.observed)));
  if (c.probe) {
    lines.push(yamlLine('exitCode', c.probe.exitCode));
    lines.push(yamlLine('signal', c.probe.signal));
    if (c.probe.timedOut) lines.push(yamlLine('timedOut', true));
    if (c.probe.stderrTail) lines.push(yamlLine('stderr', c.probe.stderrTail));
  }
  lines.push(yamlLine('build', c.buildKey));
  if (c.patches.length) lines.push(yamlLine('patches', c.patches));
  if (c.logTail) lines.push(yamlLine('log', c.logTail));
  lines.push(yamlLine('reproduce', c.reproduce));
  lines.push('  ...');
  return lines;
}

export function toTap(results: Results): string {
  const cells = groupRows(results.cells).flatMap((r) => r.cells);
  const out = ['TAP version 14', `1..${cells.length}`];
  cells.forEach((c, i) => {
    const n = i + 1;
    if (c.status === 'pass') out.push(`ok ${n} - ${desc(c.id)}`);
    else if (c.status === 'skip')
      out.push(`ok ${n} - ${desc(c.id)} # SKIP ${desc(c.reason ?? c.expected.why)}`);
    else out.push(`not ok ${n} - ${desc(c.id)}`, ...diagnostics(c));
  });
  if (!results.run.complete)
    out.push(`# run interrupted: ${oneLine(results.run.interrupted ?? 'unknown reason')}`);
  return `${out.join('\n')}\n`;
}
