/** Reads the JSON lines a probe wrote to its observation descriptor. Pure. */
import { isRseqState } from '../model/catalogue.js';
import type { Observation } from '../model/results.js';

/**
 * Each non-blank line of a JSON-lines text, parsed: its value, or undefined where the line is no JSON
 * (shared by the probes' observations and the ptrace observer's readings: harness/probe/ptrace.ts).
 */
export function jsonLines(text: string): { line: string; value: unknown }[] {
  const out: { line: string; value: unknown }[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      value = undefined;
    }
    out.push({ line, value });
  }
  return out;
}

export function parseObservations(text: string): { observations: Observation[]; garbage: string[] } {
  const observations: Observation[] = [];
  const garbage: string[] = [];
  for (const { line, value } of jsonLines(text)) {
    if (isObservation(value)) observations.push(value);
    else garbage.push(line);
  }
  return { observations, garbage };
}

function isObservation(v: unknown): v is Observation {
  if (v === null || typeof v !== 'object') return false;
  const o = v as Record<string, unknown>;
  return (
    typeof o.stage === 'string' && isRseqState(o.kernel) && typeof o.glibc === 'object' && o.glibc !== null
  );
}
