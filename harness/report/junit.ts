/**
 * JUnit XML for CI systems: one <testsuite> per grid row (glibc/variant[/kernel]/link/scenario), one
 * <testcase> per cell (named by stage). fail -> <failure>, error -> <error>, skip -> <skipped>.
 * Pure: returns the document as a string.
 */
import type { CellResult, Results } from '../model/results.js';
import { describeExpected, describeObserved, groupRows, oneLine, xmlAttr, xmlText } from './common.js';

function seconds(ms: number): string {
  return (Math.max(0, ms) / 1000).toFixed(3);
}

function details(c: CellResult): string {
  const lines = [
    `cell: ${c.id}`,
    `expected: ${describeExpected(c.expected)}`,
    `observed: ${describeObserved(c.observed)}`,
  ];
  if (c.reason) lines.push(`reason: ${c.reason}`);
  if (c.probe)
    lines.push(
      `probe: exit ${c.probe.exitCode ?? '-'}, signal ${c.probe.signal ?? '-'}${c.probe.timedOut ? ', timed out' : ''}, ${c.probe.durationMs} ms`,
    );
  lines.push(`build: ${c.buildKey}`, `patches: ${c.patches.length ? c.patches.join(', ') : 'none'}`);
  lines.push(`reproduce: ${c.reproduce}`);
  return lines.join('\n');
}

function testcase(c: CellResult, classname: string): string {
  const open = `    <testcase name="${xmlAttr(c.stage)}" classname="${xmlAttr(classname)}" time="${seconds(c.durationMs)}"`;
  if (c.status === 'pass') return `${open}/>`;
  const body: string[] = [];
  const msg = xmlAttr(oneLine(c.reason ?? c.status));
  if (c.status === 'skip') body.push(`      <skipped message="${msg}"/>`);
  else {
    const tag = c.status === 'fail' ? 'failure' : 'error';
    const type = c.status === 'fail' ? 'rseq-mismatch' : 'harness-error';
    body.push(`      <${tag} message="${msg}" type="${type}">${xmlText(details(c))}</${tag}>`);
    body.push(
      `      <system-out>${xmlText(`${c.reproduce}\n${c.probe ? `${c.probe.command}\n` : ''}`)}</system-out>`,
    );
    const err = [c.probe?.stderrTail, c.logTail].filter((s): s is string => !!s).join('\n--- log ---\n');
    if (err) body.push(`      <system-err>${xmlText(err)}</system-err>`);
  }
  return `${open}>\n${body.join('\n')}\n    </testcase>`;
}

export function toJUnit(results: Results): string {
  const rows = groupRows(results.cells);
  const count = (cells: readonly CellResult[], s: CellResult['status']) =>
    cells.filter((c) => c.status === s).length;
  const all = results.cells;
  const time = (cells: readonly CellResult[]) => seconds(cells.reduce((t, c) => t + c.durationMs, 0));
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  out.push(
    `<testsuites name="${xmlAttr(`rseq-matrix ${results.run.matrix.name}`)}" tests="${all.length}" failures="${count(all, 'fail')}" errors="${count(all, 'error')}" skipped="${count(all, 'skip')}" time="${seconds(results.run.durationMs)}">`,
  );
  for (const r of rows) {
    const cs = r.cells;
    out.push(
      `  <testsuite name="${xmlAttr(r.id)}" tests="${cs.length}" failures="${count(cs, 'fail')}" errors="${count(cs, 'error')}" skipped="${count(cs, 'skip')}" time="${time(cs)}" timestamp="${xmlAttr(results.run.startedAt)}" hostname="${xmlAttr(results.environment.hostname)}">`,
      '    <properties>',
      ...(['glibc', 'variant', 'kernel', 'link', 'scenario'] as const).map(
        (k) => `      <property name="${k}" value="${xmlAttr(r.key[k])}"/>`,
      ),
      `      <property name="run" value="${xmlAttr(results.run.id)}"/>`,
      '    </properties>',
    );
    for (const c of cs) out.push(testcase(c, r.id));
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return `${out.join('\n')}\n`;
}
