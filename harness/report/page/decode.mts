// biome-ignore-all lint/style/useTemplate: the page script holds no backtick (test/unit/report.test.ts)
/**
 * The report's data block (../format.ts, written by ../encode.ts) read back into cells. The page uses this
 * module, and the unit tests run it in Node (test/unit/report-page.test.ts), so the decoder tested is the
 * one shipped. Pure: no DOM, no Node; every name and mark comes from the data block's `vocab`.
 *
 * openReport decodes what the grid needs for every cell (row, column, id, status, observed state) at once;
 * fullCell decodes the rest of one cell (a results.json CellResult) when the page shows or searches it.
 */
import type {
  CellResult,
  CellStatus,
  Expectation,
  Observation,
  Observed,
  ProbeRun,
  StraceCell,
  StraceEvent,
  StraceView,
} from '../../model/results.js';
import type { ReportData, Vocabulary } from '../format.js';

/** The layout of the data block: encode.ts writes it, openReport refuses any other. */
export const REPORT_DATA_VERSION = 4;

/** A data block of another layout than this decoder reads. */
export class DataVersionError extends Error {
  override name = 'DataVersionError';
}

/** A cell's own values that its strings are templated with. */
export interface TemplateKey {
  id: string;
  buildKey: string;
  glibc: string;
  variant: string;
  scenario: string;
  stage: string;
  link: string;
}

/** The values a cell's strings are templated with, in the order of the placeholders. */
export function templateValues(c: TemplateKey): string[] {
  return [c.id, c.buildKey, c.glibc, c.variant, c.scenario, c.stage, c.link];
}

/** The inverse of encode.ts templateOf: puts a cell's values back in place of the placeholders. */
export function expandTemplate(
  s: string,
  values: readonly string[],
  marks: Pick<Vocabulary, 'placeholders' | 'literal'>,
): string {
  if (!s) return '';
  if (s.startsWith(marks.literal)) return s.slice(marks.literal.length);
  let out = s;
  for (let i = values.length - 1; i >= 0; i--) {
    const p = marks.placeholders[i];
    if (p !== undefined && out.includes(p)) out = out.split(p).join(values[i]);
  }
  return out;
}

/** A grid row: one glibc x variant x kernel x link x scenario. */
export interface Row {
  i: number;
  glibc: string;
  variant: string;
  kernel: string;
  link: string;
  scenario: string;
}

/** The axes of a row, in cell-id order. */
export const ROW_AXES = ['glibc', 'variant', 'kernel', 'link', 'scenario'] as const;
export type RowAxis = (typeof ROW_AXES)[number];

/**
 * The id a cell's coordinates make (model/cell.ts cellId, which the page cannot import): the kernel after
 * the variant, left out when it is the host's.
 */
export function derivedCellId(row: Omit<Row, 'i'>, stage: string, hostKernel: string): string {
  const parts = [row.glibc, row.variant];
  if (row.kernel !== hostKernel) parts.push(row.kernel);
  parts.push(row.link, row.scenario, stage);
  return parts.join('/');
}

/** What the grid needs of a cell. */
export interface CellRef {
  /** Its index in the data block's cells. */
  i: number;
  row: Row;
  /** Its stage column. */
  col: number;
  stage: string;
  id: string;
  status: CellStatus;
  /** The observed state the grid shows: the kernel's (Observed.state), 'none' when nothing was observed. */
  ostate: string;
  /** Do the observers disagree (observed.consistent is false)? */
  inc: boolean;
  /** What changed since the baseline; null when the report has no baseline. */
  change: Change | null;
}

/** A cell's verdict against the baseline. */
export interface Change {
  verdict: string;
  id: string;
  /** null: the cell is not in this run. */
  cell: CellRef | null;
  before: CellStatus | null;
  after: CellStatus | null;
  /** The baseline's reason, for a cell not in this run. */
  reason: string | null;
}

export interface Report {
  data: ReportData;
  vocab: Vocabulary;
  /** Stage ids by column. */
  stages: string[];
  stageHelp: Map<string, string>;
  scenarioHelp: Map<string, string>;
  rows: Row[];
  /** The kernels of the rows, as first seen. */
  kernels: string[];
  /**
   * The row axes the grid shows: all but the kernel when every row is on the host's kernel (a run
   * without `kernels:` looks as it did before the axis).
   */
  rowAxes: RowAxis[];
  cells: CellRef[];
  /** The cell index at [row * stages.length + column]; -1: no cell there. */
  grid: Int32Array;
  byId: Map<string, CellRef>;
  /** The changes the baseline comparison lists (not the unchanged cells). */
  changes: Change[];
  /** The cells of the baseline that are not in this run, by id. */
  removed: Map<string, Change>;
}

/** A whole cell, and which of its fields the encoder did not know (the page shows those apart). */
export interface FullCell {
  cell: CellResult;
  /** The cell's fields the encoder did not know, or null. */
  other: Record<string, unknown> | null;
  /** For each observation: its fields the encoder did not know (glibc's under `glibc`), or null. */
  observationOther: (Record<string, unknown> | null)[];
}

type Tuple = readonly unknown[];
const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number => (typeof v === 'number' ? v : 0);

function at<T>(list: readonly T[], i: number, what: string): T {
  const v = list[i];
  if (v === undefined) throw new Error('report data: no ' + what + ' ' + i);
  return v;
}

export function openReport(data: ReportData): Report {
  if (data.v !== REPORT_DATA_VERSION)
    throw new DataVersionError(
      'the data block has layout version ' + data.v + '; this page reads version ' + REPORT_DATA_VERSION,
    );
  const S = data.s;
  const T = data.t;
  const vocab = data.vocab;
  const str = (i: unknown): string => S[num(i)] ?? '';
  const stages = data.stages.map((x) => x[0]);
  const NS = stages.length;
  const rows: Row[] = data.rows.map((r, i) => ({
    i,
    glibc: str(r[0]),
    variant: str(r[1]),
    link: str(r[2]),
    scenario: str(r[3]),
    kernel: str(r[4]),
  }));
  const kernels = Array.from(new Set(rows.map((r) => r.kernel)));
  const hostOnly = kernels.every((k) => k === vocab.hostKernel);
  const rowAxes = ROW_AXES.filter((a) => a !== 'kernel' || !hostOnly);
  const grid = new Int32Array(rows.length * NS).fill(-1);
  const byId = new Map<string, CellRef>();
  const cells: CellRef[] = data.cells.map((e, ci) => {
    const row = at(rows, num(e[0]), 'row');
    const col = num(e[1]);
    const stage = at(stages, col, 'stage column');
    const id = e[13] ? str(e[13]) : derivedCellId(row, stage, vocab.hostKernel);
    const ob = T[num(e[5])] ?? [];
    const ostate = ob[0] === null || ob[0] === undefined ? 'none' : str(ob[0]);
    const c: CellRef = {
      i: ci,
      row,
      col,
      stage,
      id,
      status: at(vocab.status, num(e[2]), 'status'),
      ostate,
      inc: ob[2] === false,
      change: null,
    };
    byId.set(id, c);
    grid[row.i * NS + col] = ci;
    return c;
  });
  const changes: Change[] = [];
  const removed = new Map<string, Change>();
  const base = data.base;
  if (base) {
    const status = (code: number) => (code >= 0 ? at(vocab.status, code, 'status') : null);
    for (const x of base.ch) {
      const ci = num(x[1]);
      const cell = ci >= 0 ? at(cells, ci, 'cell') : null;
      const ch: Change = {
        verdict: at(vocab.verdicts, num(x[0]), 'verdict'),
        id: cell ? cell.id : str(x[2]),
        cell,
        before: status(num(x[3])),
        after: status(num(x[4])),
        reason: cell ? null : str(x[5]) || null,
      };
      if (cell) cell.change = ch;
      else removed.set(ch.id, ch);
      changes.push(ch);
    }
    for (const c of cells) {
      if (c.change) continue;
      const verdict = at(vocab.verdicts, num(base.same[vocab.status.indexOf(c.status)]), 'verdict');
      c.change = { verdict, id: c.id, cell: c, before: c.status, after: c.status, reason: null };
    }
  }
  return {
    data,
    vocab,
    stages,
    stageHelp: new Map(data.stages),
    scenarioHelp: new Map(data.scenarios),
    rows,
    kernels,
    rowAxes,
    cells,
    grid,
    byId,
    changes,
    removed,
  };
}

const field = (R: Report, c: CellRef, k: number): number => num(at(R.data.cells, c.i, 'cell')[k]);

/** The cell's own values, as templateValues orders them. */
export function valuesOf(R: Report, c: CellRef): string[] {
  const r = c.row;
  const buildKey = R.data.s[field(R, c, 8)] ?? '';
  return templateValues({ ...r, id: c.id, buildKey, stage: c.stage });
}

/** The cell's reason ('' when it has none), without decoding the rest. */
export function reasonOf(R: Report, c: CellRef): string {
  const i = field(R, c, 3);
  return i ? expandTemplate(R.data.s[i] ?? '', valuesOf(R, c), R.vocab) : '';
}

/** Why the observers disagree ('' when they agree or nothing says why), without decoding the rest. */
export function inconsistencyOf(R: Report, c: CellRef): string {
  const ob = R.data.t[field(R, c, 5)] ?? [];
  return ob[3] ? (R.data.s[num(ob[3])] ?? '') : '';
}

/** The whole cell, as results.json holds it (tails capped as the encoder capped them). */
export function fullCell(R: Report, c: CellRef): FullCell {
  const S = R.data.s;
  const T = R.data.t;
  const V = R.vocab;
  const e = at(R.data.cells, c.i, 'cell');
  const str = (i: unknown): string => S[num(i)] ?? '';
  const strOrNull = (i: unknown): string | null => (i === null || i === undefined ? null : str(i));
  const tuple = (i: unknown): Tuple => T[num(i)] ?? [];
  const vals = valuesOf(R, c);
  const x = (i: unknown): string => (i ? expandTemplate(str(i), vals, V) : '');

  const ex = tuple(e[4]);
  const expected: Expectation = {
    state: str(ex[0]) as Expectation['state'],
    registered: ex[1] as boolean | null,
    rule: num(ex[2]),
    why: str(ex[3]),
  };
  const ob = tuple(e[5]);
  const observed: Observed = {
    state: strOrNull(ob[0]) as Observed['state'],
    registered: ob[1] as boolean | null,
    consistent: ob[2] as boolean | null,
  };
  if (ob[3]) observed.inconsistency = str(ob[3]);
  if (ob[4]) observed.owner = str(ob[4]) as Observed['owner'];

  const straceCell = e[14] ? tuple(e[14]) : null;
  const base = straceCell && typeof straceCell[4] === 'number' ? straceCell[4] : 0;
  const observations: Observation[] = [];
  const observationOther: (Record<string, unknown> | null)[] = [];
  const o = (Array.isArray(e[6]) ? e[6] : []) as number[];
  for (let i = 0; i + 3 < o.length; i += 4) {
    const t = tuple(o[i]);
    const other = isObj(t[12]) ? t[12] : null;
    const { glibc: glibcOther, ...rest } = other ?? {};
    const obs: Observation = {
      v: num(t[11]),
      stage: str(t[0]),
      pid: num(o[i + 1]),
      tid: num(o[i + 2]),
      kernel: str(t[1]) as Observation['kernel'],
      availErrno: t[2] as number,
      probeErrno: t[3] as number,
      glibc: {
        rseqSize: t[4] as number | null,
        rseqOffset: t[5] as number | null,
        rseqFlags: t[6] as number | null,
        cpuId: t[7] as number | null,
        areaRegistered: t[8] as boolean | null,
        areaLen: t[9] as number | null,
        ...(isObj(glibcOther) ? glibcOther : {}),
      },
      ...rest,
    };
    if (isObj(t[10])) obs.extra = t[10] as Observation['extra'];
    if (o[i + 3]) obs.strace = decodeView(R, o[i + 3], base);
    observations.push(obs);
    observationOther.push(other);
  }

  const cell: CellResult = {
    id: c.id,
    glibc: c.row.glibc,
    variant: c.row.variant,
    kernel: c.row.kernel,
    link: c.row.link as CellResult['link'],
    scenario: c.row.scenario,
    stage: c.stage,
    status: c.status,
    expected,
    observed,
    observations,
    buildKey: str(e[8]),
    patches: (tuple(e[9]) as number[]).map(str),
    reproduce: x(e[10]),
    durationMs: num(e[11]),
  };
  if (e[3]) cell.reason = x(e[3]);
  const p = Array.isArray(e[7]) ? e[7] : null;
  if (p) {
    const probe: ProbeRun = {
      command: x(p[0]),
      exitCode: p[1] as number | null,
      signal: strOrNull(p[2]),
      timedOut: !!p[3],
      durationMs: num(p[4]),
      stderrTail: x(p[5]),
    };
    const tr = p[6];
    if (Array.isArray(tr))
      probe.traced = {
        command: x(tr[0]),
        exitCode: tr[1] as number | null,
        signal: strOrNull(tr[2]),
        timedOut: !!tr[3],
        durationMs: num(tr[4]),
      };
    if (p[7]) probe.stdoutTail = x(p[7]);
    cell.probe = probe;
  }
  if (e[14]) cell.strace = decodeStrace(R, e[14], x);
  if (e[15]) cell.straceReason = x(e[15]);
  if (e[12]) cell.logTail = x(e[12]);
  const other = e[16] ? tuple(e[16])[0] : null;
  if (isObj(other)) Object.assign(cell, other);
  return { cell, other: isObj(other) ? other : null, observationOther };
}

// The compact strace forms (encode.ts: encodeStraceView, encodeStraceCell): tids relative to the cell's
// base; [vocab.raw, value] is a value of an unexpected shape kept whole.

function merge<T extends object>(a: T, b: unknown): T {
  return isObj(b) ? Object.assign(a, b) : a;
}
const rel = (n: unknown, base: number) => (typeof n === 'number' ? n + base : n);

function decodeView(R: Report, i: unknown, base: number): StraceView {
  const S = R.data.s;
  const t = R.data.t[num(i)] ?? [];
  if (t[0] === R.vocab.raw) return t[1] as StraceView;
  const f = t[3];
  const inForce = !Array.isArray(f)
    ? (f ?? null)
    : f[0] === R.vocab.raw
      ? f[1]
      : { tid: num(f[0]) + base, call: S[num(f[1])] ?? '', by: S[num(f[2])] ?? '' };
  const view = {
    tid: num(t[0]) + base,
    registeredBefore: t[1],
    anyRegisteredBefore: t[2],
    inForce,
    glibcRegisteredAfter: t[4],
    kernel: t[5] === null || t[5] === undefined ? null : (S[num(t[5])] ?? ''),
  };
  return merge(view, t[6]) as StraceView;
}

function decodeEvent(R: Report, i: unknown, base: number): StraceEvent {
  const S = R.data.s;
  const t = R.data.t[num(i)] ?? [];
  const str = (k: number) => S[num(t[k])] ?? '';
  const strOrNull = (k: number) => (t[k] === null || t[k] === undefined ? null : str(k));
  const kind = typeof t[0] === 'number' ? R.vocab.straceEvents[t[0]] : undefined;
  if (kind === 'rseq') return { kind, role: str(1), call: str(2), errno: strOrNull(3) } as StraceEvent;
  if (kind === 'marker') {
    const m = { kind, stage: str(1), kernel: strOrNull(2) } as StraceEvent & { kind: 'marker' };
    if (t[3] !== 0) m.inForce = strOrNull(3) as 'glibc' | 'other' | null;
    return m;
  }
  if (kind === 'spawn') return { kind, child: rel(t[1], base), how: str(2) } as StraceEvent;
  if (kind === 'exec') return { kind, ok: !!t[1] };
  return t[1] as StraceEvent;
}

function decodeStrace(R: Report, i: unknown, x: (i: unknown) => string): StraceCell | null {
  const S = R.data.s;
  const T = R.data.t;
  const t = T[num(i)] ?? [];
  if (t[0] === null) return null;
  if (t[0] === R.vocab.raw) return t[1] as StraceCell;
  const base = num(t[4]);
  const threads = ((T[num(t[2])] ?? []) as Tuple[]).map((th) => {
    if (th[0] === R.vocab.raw) return th[1] as StraceCell['threads'][number];
    const out: Record<string, unknown> = {
      tid: num(th[0]) + base,
      parent: rel(th[1], base),
      origin: S[num(th[2])] ?? '',
    };
    if (th[3] !== 0) out.inherited = th[3] === null || th[3] === undefined ? null : (S[num(th[3])] ?? '');
    out.events = ((th[5] ?? []) as unknown[]).map((ev) => decodeEvent(R, ev, base));
    out.probeCalls = th[4];
    return merge(out, th[6]) as StraceCell['threads'][number];
  });
  return merge({ version: S[num(t[0])] ?? '', log: x(t[1]), threads }, t[3]);
}
