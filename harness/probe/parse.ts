/** Reads the JSON lines a probe wrote to its observation descriptor. Pure. */
import { isRseqState } from '../model/catalogue.js';
import type { Observation } from '../model/results.js';

export function parseObservations(text: string): { observations: Observation[]; garbage: string[] } {
  const observations: Observation[] = [];
  const garbage: string[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      garbage.push(line);
      continue;
    }
    if (isObservation(v)) observations.push(v);
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
