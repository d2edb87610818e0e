/**
 * Phase timings of a run (`run --timings FILE`, `npm run bench`): a recorder of spans
 * {phase, group?, startMs, endMs}, in milliseconds since the process started, and the pure
 * arithmetic on them: the busy time and share of each phase, the run's fixed cost (start to first
 * probe plus last probe to exit), and which phases got slower than an earlier breakdown. When timings
 * are off the run is given NO_TIMING, whose methods do nothing but call the work they wrap.
 */

export interface Span {
  phase: string;
  /** The build group (glibc/variant) the span belongs to; absent for the run's own phases. */
  group?: string;
  startMs: number;
  endMs: number;
}

/** What `run --timings FILE` writes. */
export interface Timings {
  wallMs: number;
  spans: Span[];
}

export interface Timer {
  readonly enabled: boolean;
  /** Milliseconds since the process started. */
  now(): number;
  /** An epoch time (Date.now(), or a clock read inside a container) on this timer's scale. */
  fromEpoch(epochMs: number): number;
  add(phase: string, group: string | undefined, startMs: number, endMs: number): void;
  /** Runs `work` and records it as one span of `phase`, whether it resolves or throws. */
  time<T>(phase: string, group: string | undefined, work: () => Promise<T>): Promise<T>;
  timeSync<T>(phase: string, group: string | undefined, work: () => T): T;
}

/** Timings off: every method is a no-op or a plain call of the work. */
export const NO_TIMING: Timer = {
  enabled: false,
  now: () => 0,
  fromEpoch: () => 0,
  add: () => {},
  time: (_p, _g, work) => work(),
  timeSync: (_p, _g, work) => work(),
};

export interface Clock {
  /** Milliseconds since `originEpochMs`. */
  now(): number;
  /** The epoch time (ms) of now() = 0. */
  originEpochMs: number;
}

const processClock: Clock = { now: () => performance.now(), originEpochMs: performance.timeOrigin };

export class TimingRecorder implements Timer {
  readonly enabled = true;
  readonly spans: Span[] = [];
  constructor(private readonly clock: Clock = processClock) {}

  now(): number {
    return this.clock.now();
  }

  fromEpoch(epochMs: number): number {
    return epochMs - this.clock.originEpochMs;
  }

  add(phase: string, group: string | undefined, startMs: number, endMs: number): void {
    const span: Span = { phase, startMs: round(startMs), endMs: round(Math.max(startMs, endMs)) };
    if (group !== undefined) span.group = group;
    this.spans.push(span);
  }

  async time<T>(phase: string, group: string | undefined, work: () => Promise<T>): Promise<T> {
    const t0 = this.now();
    try {
      return await work();
    } finally {
      this.add(phase, group, t0, this.now());
    }
  }

  timeSync<T>(phase: string, group: string | undefined, work: () => T): T {
    const t0 = this.now();
    try {
      return work();
    } finally {
      this.add(phase, group, t0, this.now());
    }
  }

  /** The timings so far, the wall time being now. */
  result(): Timings {
    return { wallMs: round(this.now()), spans: [...this.spans].sort((a, b) => a.startMs - b.startMs) };
  }
}

const round = (ms: number) => Math.round(ms * 100) / 100;

/** The processes a probe container runs (status.tsv's lines): untraced probes, strace runs, clients. */
export const PROCESS_PHASES = ['probe', 'strace', 'client'] as const;

/**
 * Phases recorded inside another phase's time: their busy time is part of the parent's, so they are
 * shown under it and not counted again in the total. What the parent has beyond its children is shown
 * as `<parent>: rest`.
 */
export const NESTED: Readonly<Record<string, string>> = {
  probe: 'container-wait',
  strace: 'container-wait',
  client: 'container-wait',
};

export interface PhaseRow {
  phase: string;
  /** The phase this one is recorded inside (NESTED), if any. */
  within?: string;
  spans: number;
  /** The sum of its spans' lengths: with build groups in parallel, more than the wall time it covers. */
  busyMs: number;
  /** Wall time during which at least one of its spans was in progress. */
  coveredMs: number;
  /** busyMs / the busy time of all top-level phases. */
  share: number;
}

export interface Breakdown {
  wallMs: number;
  /** The busy time of all top-level phases (groups in parallel: more than wallMs). */
  busyMs: number;
  /** Wall time no top-level span covers (the event loop between phases, module loading before the first). */
  uncoveredMs: number;
  /** Top-level phases in order of their first start; nested ones right after their parent, then its rest. */
  phases: PhaseRow[];
  /** Start of the first probe process to end of the last; absent when nothing was probed. */
  probing?: { firstMs: number; lastMs: number };
  /** Start to first probe plus last probe to exit. */
  fixedMs?: number;
}

/** The length of the union of intervals. */
export function coveredTime(spans: readonly { startMs: number; endMs: number }[]): number {
  const sorted = [...spans].sort((a, b) => a.startMs - b.startMs);
  let total = 0;
  let start = Number.NEGATIVE_INFINITY;
  let end = Number.NEGATIVE_INFINITY;
  for (const s of sorted) {
    if (s.startMs > end) {
      if (end > start) total += end - start;
      start = s.startMs;
      end = s.endMs;
    } else if (s.endMs > end) end = s.endMs;
  }
  if (end > start) total += end - start;
  return total;
}

export function aggregate(t: Timings, nested: Readonly<Record<string, string>> = NESTED): Breakdown {
  const byPhase = new Map<string, Span[]>();
  for (const s of [...t.spans].sort((a, b) => a.startMs - b.startMs)) {
    const list = byPhase.get(s.phase);
    if (list) list.push(s);
    else byPhase.set(s.phase, [s]);
  }
  const busy = (spans: readonly Span[]) => spans.reduce((a, s) => a + (s.endMs - s.startMs), 0);
  const top = [...byPhase.keys()].filter((p) => !nested[p] || !byPhase.has(nested[p]));
  const busyMs = top.reduce((a, p) => a + busy(byPhase.get(p) ?? []), 0);
  const row = (phase: string, spans: readonly Span[], within?: string): PhaseRow => {
    const b = busy(spans);
    return {
      phase,
      ...(within ? { within } : {}),
      spans: spans.length,
      busyMs: r1(b),
      coveredMs: r1(coveredTime(spans)),
      share: busyMs > 0 ? b / busyMs : 0,
    };
  };
  const phases: PhaseRow[] = [];
  for (const p of top) {
    const spans = byPhase.get(p) ?? [];
    phases.push(row(p, spans));
    const children = [...byPhase.keys()].filter((c) => nested[c] === p);
    if (children.length === 0) continue;
    let inChildren = 0;
    for (const c of children) {
      const cs = byPhase.get(c) ?? [];
      inChildren += busy(cs);
      phases.push(row(c, cs, p));
    }
    const rest = Math.max(0, busy(spans) - inChildren);
    phases.push({
      phase: `${p}: rest`,
      within: p,
      spans: spans.length,
      busyMs: r1(rest),
      coveredMs: 0,
      share: busyMs > 0 ? rest / busyMs : 0,
    });
  }
  const topSpans = top.flatMap((p) => byPhase.get(p) ?? []);
  const out: Breakdown = {
    wallMs: t.wallMs,
    busyMs: r1(busyMs),
    uncoveredMs: r1(Math.max(0, t.wallMs - coveredTime(topSpans.map((s) => clip(s, t.wallMs))))),
    phases,
  };
  const processes = t.spans.filter((s) => (PROCESS_PHASES as readonly string[]).includes(s.phase));
  if (processes.length) {
    const firstMs = Math.min(...processes.map((s) => s.startMs));
    const lastMs = Math.max(...processes.map((s) => s.endMs));
    out.probing = { firstMs: r1(firstMs), lastMs: r1(lastMs) };
    out.fixedMs = r1(Math.max(0, firstMs) + Math.max(0, t.wallMs - lastMs));
  }
  return out;
}

const clip = (s: Span, wallMs: number) => ({
  startMs: Math.max(0, s.startMs),
  endMs: Math.min(wallMs, s.endMs),
});
const r1 = (ms: number) => Math.round(ms * 10) / 10;

export interface Slower {
  phase: string;
  beforeMs: number;
  nowMs: number;
  /** nowMs / beforeMs - 1 */
  increase: number;
}

/**
 * The phases whose busy time grew by more than `threshold` (0.25: 25 %) since an earlier breakdown;
 * a phase new since then has nothing to compare with and is not named.
 */
export function slowerPhases(
  before: readonly Pick<PhaseRow, 'phase' | 'busyMs'>[],
  now: readonly Pick<PhaseRow, 'phase' | 'busyMs'>[],
  threshold = 0.25,
): Slower[] {
  const was = new Map(before.map((p) => [p.phase, p.busyMs]));
  const out: Slower[] = [];
  for (const p of now) {
    const b = was.get(p.phase);
    if (b === undefined) continue;
    if (b <= 0 ? p.busyMs > 0 : p.busyMs > b * (1 + threshold))
      out.push({
        phase: p.phase,
        beforeMs: b,
        nowMs: p.busyMs,
        increase: b > 0 ? p.busyMs / b - 1 : Number.POSITIVE_INFINITY,
      });
  }
  return out;
}

/** The breakdown as a table: phase, busy ms, share, spans, covered ms. */
export function formatBreakdown(b: Breakdown): string {
  const lines = [
    `${'phase'.padEnd(34)}${'busy ms'.padStart(10)}${'share'.padStart(8)}${'spans'.padStart(7)}${'covered ms'.padStart(12)}`,
  ];
  for (const p of b.phases) {
    const name = p.within ? `  ${p.phase}` : p.phase;
    lines.push(
      `${name.padEnd(34)}${p.busyMs.toFixed(0).padStart(10)}${`${(p.share * 100).toFixed(1)}%`.padStart(8)}${String(p.spans).padStart(7)}${(p.within ? '' : p.coveredMs.toFixed(0)).padStart(12)}`,
    );
  }
  const over = b.phases.filter((p) => p.phase.endsWith(': rest') && p.busyMs === 0 && p.spans > 0);
  if (over.length)
    lines.push(
      `(${over.map((p) => p.within).join(', ')}: the processes inside ran side by side, so their busy time exceeds it)`,
    );
  lines.push(
    `${'(no phase: between and before phases)'.padEnd(34)}${b.uncoveredMs.toFixed(0).padStart(10)}`,
    `busy ${b.busyMs.toFixed(0)} ms in a wall time of ${b.wallMs.toFixed(0)} ms: build groups run in parallel (--jobs), so busy time exceeds wall time and a share is of the busy total, not of the wall`,
  );
  return lines.join('\n');
}
