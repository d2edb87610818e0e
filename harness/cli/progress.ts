/**
 * The live view of long work: one line per build (phase, files compiled, time). On a terminal the
 * lines are redrawn in place (log-update); elsewhere (CI logs) each phase change is one log line.
 */
import { logUpdateStderr } from 'log-update';
import type { BuildProgress } from '../build/glibc.js';
import type { Log } from '../util/log.js';

interface Line {
  phase: string;
  compiled: number;
  since: number;
  started: number;
}

export function buildProgress(
  log: Log,
  tty = Boolean(process.stderr.isTTY),
): { report: BuildProgress; done(): void } {
  const lines = new Map<string, Line>();
  const render = () => {
    const now = Date.now();
    const text = [...lines]
      .map(
        ([b, l]) =>
          `  ${b.padEnd(28)} ${l.phase.padEnd(12)} ${l.compiled ? `${l.compiled} files compiled` : ''}`.trimEnd() +
          `  ${((now - l.started) / 1000).toFixed(0)} s`,
      )
      .join('\n');
    logUpdateStderr(text);
  };
  const timer = tty ? setInterval(render, 1000) : undefined;
  timer?.unref();
  return {
    report(ev) {
      const now = Date.now();
      const l = lines.get(ev.build) ?? { phase: 'prepare', compiled: 0, since: now, started: now };
      if (ev.compiled !== undefined) l.compiled = ev.compiled;
      if (ev.phase && ev.phase !== l.phase) {
        if (!tty)
          log.info(`${ev.build}: ${ev.phase}${l.compiled ? ` (${l.compiled} files compiled so far)` : ''}`);
        l.phase = ev.phase;
        l.since = now;
      }
      if (ev.note && !tty) log.info(`${ev.build}: ${ev.note}`);
      if (ev.phase === 'done') lines.delete(ev.build);
      else lines.set(ev.build, l);
      if (tty) render();
    },
    done() {
      if (timer) clearInterval(timer);
      if (tty) logUpdateStderr.clear();
    },
  };
}
