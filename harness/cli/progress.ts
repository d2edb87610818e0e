/**
 * The live view of long work: one line per build (phase, files compiled, time, and, where an earlier
 * build of the same source and patches says how many files there were, the share done and the time
 * left). On a terminal the lines are redrawn in place (log-update); elsewhere (CI logs, `> log`) each
 * phase change is one log line, and every build still at work prints its line at least once a minute.
 */
import { logUpdateStderr } from 'log-update';
import type { BuildProgress } from '../builder/glibc.js';
import type { Log } from '../util/log.js';

interface Line {
  phase: string;
  compiled: number;
  expected?: number;
  since: number;
  started: number;
  /** When this build's line was last printed (off a terminal). */
  printed: number;
}

/** Off a terminal, a build at work prints its line at least this often. */
export const HEARTBEAT_MS = 60_000;

/** "make, 1200 of 7535 files (16 %), about 9 min left, 2 min 3 s": the words of one build's line. */
export function describeLine(l: Line, now: number): string {
  const parts = [l.phase];
  if (l.compiled || l.expected) {
    if (l.expected && l.phase === 'make') {
      const share = Math.min(1, l.compiled / l.expected);
      parts.push(`${l.compiled} of about ${l.expected} files (${Math.round(share * 100)} %)`);
      const makeElapsed = now - l.since;
      if (l.compiled >= 25 && share < 1) {
        const left = (makeElapsed / l.compiled) * (l.expected - l.compiled);
        parts.push(`about ${duration(left)} left`);
      }
    } else if (l.compiled) parts.push(`${l.compiled} files compiled`);
  }
  parts.push(duration(now - l.started));
  return parts.join(', ');
}

function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
}

export function buildProgress(
  log: Log,
  tty = Boolean(process.stderr.isTTY),
): { report: BuildProgress; done(): void } {
  const lines = new Map<string, Line>();
  const render = () => {
    const now = Date.now();
    const text = [...lines].map(([b, l]) => `  ${b.padEnd(28)} ${describeLine(l, now)}`).join('\n');
    logUpdateStderr(text);
  };
  const heartbeat = () => {
    const now = Date.now();
    for (const [b, l] of lines)
      if (now - l.printed >= HEARTBEAT_MS) {
        l.printed = now;
        log.info(`${b}: ${describeLine(l, now)}`);
      }
  };
  const timer = tty ? setInterval(render, 1000) : setInterval(heartbeat, 5000);
  timer.unref();
  return {
    report(ev) {
      const now = Date.now();
      const l = lines.get(ev.build) ?? {
        phase: 'prepare',
        compiled: 0,
        since: now,
        started: now,
        printed: now,
      };
      if (ev.compiled !== undefined) l.compiled = ev.compiled;
      if (ev.expected !== undefined) l.expected = ev.expected;
      if (ev.phase && ev.phase !== l.phase) {
        l.phase = ev.phase;
        l.since = now;
        if (!tty) {
          l.printed = now;
          log.info(`${ev.build}: ${describeLine(l, now)}`);
        }
      }
      if (ev.note && !tty) log.info(`${ev.build}: ${ev.note}`);
      if (ev.phase === 'done') lines.delete(ev.build);
      else lines.set(ev.build, l);
      if (tty) render();
    },
    done() {
      clearInterval(timer);
      if (tty) logUpdateStderr.clear();
    },
  };
}
