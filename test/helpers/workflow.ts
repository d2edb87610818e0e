/**
 * The nightly workflow (.github/workflows/nightly.yml) read as data: its jobs, and every rseq-matrix
 * command line in its scripts, with the shard matrix expanded (test/unit/nightly.test.ts checks them
 * against the parser, test/cli/nightly.test.ts against the built CLI).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { REPO } from './cli.js';

export const WORKFLOW = '.github/workflows/nightly.yml';

export interface Step {
  name?: string;
  id?: string;
  if?: string;
  run?: string;
  uses?: string;
  with?: Record<string, unknown>;
  'continue-on-error'?: boolean;
}
export interface Job {
  needs?: string | string[];
  if?: string;
  strategy?: { 'fail-fast'?: boolean; matrix?: Record<string, unknown[]> };
  steps: Step[];
}
export const wf = yaml.load(readFileSync(join(REPO, WORKFLOW), 'utf8')) as {
  on: unknown;
  jobs: Record<string, Job>;
};

/** Shell words of a script, one list per simple command; quotes removed; operators end a command. */
export function commands(script: string): string[][] {
  const text = script.replace(/\\\n/g, ' ');
  const out: string[][] = [];
  let cur: string[] = [];
  let word: string | null = null;
  const end = () => {
    if (word !== null) cur.push(word);
    word = null;
  };
  const endCommand = () => {
    end();
    if (cur.length) out.push(cur);
    cur = [];
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (ch === "'" || ch === '"') {
      const close = text.indexOf(ch, i + 1);
      if (close < 0) throw new Error(`unbalanced ${ch} in: ${script}`);
      word = (word ?? '') + text.slice(i + 1, close);
      i = close;
    } else if (ch === '#' && word === null) {
      while (i < text.length && text[i] !== '\n') i++;
      endCommand();
    } else if (ch === '\n' || ch === ';' || ch === '|' || ch === '&' || ch === '>' || ch === '<') {
      // A redirection or operator: what follows is not an argument of this command (nor is 2 in 2>).
      if ((ch === '>' || ch === '<') && word !== null && /^\d+$/.test(word)) word = null;
      endCommand();
      if (ch !== '\n' && ch !== ';') while (i < text.length && text[i] !== '\n' && text[i] !== ';') i++;
    } else if (ch === ' ' || ch === '\t') end();
    else word = (word ?? '') + ch;
  }
  endCommand();
  return out;
}

/** The arguments after `rseq-matrix` of every command line that runs it, per job, with the matrix expanded. */
export function rseqMatrixLines(): { job: string; step: string; line: string; args: string[] }[] {
  const found: { job: string; step: string; line: string; args: string[] }[] = [];
  for (const [jobName, job] of Object.entries(wf.jobs)) {
    const matrix = job.strategy?.matrix ?? {};
    for (const step of job.steps) {
      if (!step.run) continue;
      const perShard = /\$\{\{\s*matrix\.shard\s*\}\}/.test(step.run);
      for (const value of perShard ? ((matrix.shard as unknown[] | undefined) ?? [undefined]) : [undefined]) {
        let script = step.run;
        if (value !== undefined) script = script.replace(/\$\{\{\s*matrix\.shard\s*\}\}/g, String(value));
        for (const words of commands(script)) {
          const at = words.indexOf('rseq-matrix');
          if (at < 0) continue;
          const args = words.slice(at + 1);
          const line = words.join(' ');
          if (args.some((a) => a.includes('${{') || a.includes('$')))
            throw new Error(`${WORKFLOW}: ${line}: an expression or variable the test cannot expand`);
          found.push({ job: jobName, step: step.name ?? step.run.split('\n')[0] ?? '', line, args });
        }
      }
    }
  }
  return found;
}
