/**
 * The data block of the HTML report: the JSON that encode.ts writes into the page and page/decode.mts reads
 * back. Types only, shared by the encoder (Node) and the page (browser): change the layout in all three
 * together and bump REPORT_DATA_VERSION (page/decode.mts).
 *
 * A results file repeats most of its text (expectations, observer answers, commands that differ only by
 * the cell's own id): the data block stores every string once in a table `s` and every repeated structure
 * once in a table `t`, and each cell as a short array of numbers. Per-cell strings are templates: the
 * cell's own id, build key and axis values are replaced by placeholder characters (vocab.placeholders, in
 * templateValues order) that the decoder puts back.
 */
import type { Verdict } from '../compare/compare.js';
import type {
  BuildResult,
  CellStatus,
  Environment,
  GroupResult,
  Results,
  Summary,
} from '../model/results.js';

/**
 * A cell: [row, stageColumn, status, reason, expected, observed, observations, probe, buildKey, patches,
 * reproduce, durationMs, logTail, id, strace, straceReason, other]. Strings are indexes into `s` (0: none),
 * status a code (vocab.status), `expected`, `observed` and `patches` indexes into `t`; observations a flat
 * list of [t index, pid, tid, strace view] quadruples (0: none; the view a t index, 0: none, see
 * encodeStraceView); probe [command, exitCode, signal, timedOut, durationMs, stderrTail, traced, stdoutTail]
 * (0: none; traced [command, exitCode, signal, timedOut, durationMs] or 0); expected [state, registered,
 * rule, why]; observed [state, registered, consistent, inconsistency, owner]; id 0 when it is the one
 * its coordinates make (glibc/variant/link/scenario/stage, the kernel after the variant unless it is
 * vocab.hostKernel: model/cell.ts cellId); strace a t index (0: absent, see encodeStraceCell); other a t index
 * of [{ fields this encoder does not know }] (0: none), which the page shows as key/value rows.
 * Trailing zeros are dropped.
 */
export type EncodedCell = (number | (number | null | (number | null)[])[])[];

/**
 * The names and texts the page shows that the harness defines (so the page holds no copy of them), and the
 * marks of the compact form.
 */
export interface Vocabulary {
  /** Cell statuses by their code in a cell. */
  status: CellStatus[];
  /** The verdicts of a comparison, in the order reports list them (compare.ts), and what each means. */
  verdicts: Verdict[];
  verdictHelp: Record<string, string>;
  /** The verdicts that list a cell as changed (not the UNCHANGED ones). */
  listedVerdicts: Verdict[];
  /** What the kernel reported (Observed.state; 'none': nothing observed), in the page's order, with what each means. */
  observed: [state: string, help: string][];
  /** The placeholders of a cell's own values in its strings, in templateValues order. */
  placeholders: string[];
  /** Marks a string stored literally (it held placeholder characters of its own). */
  literal: string;
  /** Marks a value of an unexpected shape, kept whole: [raw, value]. */
  raw: string;
  /** The kinds of the compact strace events, by code. */
  straceEvents: string[];
  /** The kernel id of the host's kernel: a cell's id leaves it out, and the grid shows no kernel column for it alone. */
  hostKernel: string;
}

export interface ReportData {
  /** The layout version (REPORT_DATA_VERSION): the page refuses a data block of another layout. */
  v: number;
  title: string;
  vocab: Vocabulary;
  s: string[];
  t: unknown[][];
  run: Results['run'];
  env: Environment;
  summary: Summary;
  builds: BuildResult[];
  /** Each group's pipeline (results.groups), shown under its build; absent in older results. */
  groups?: GroupResult[];
  /** Columns: [stage id, summary]. */
  stages: [string, string][];
  scenarios: [string, string][];
  /** [glibc, variant, link, scenario, kernel] as string indexes. */
  rows: number[][];
  cells: EncodedCell[];
  base?: {
    run: { id: string; startedAt: string; matrix: string; complete: boolean; cells: number };
    warnings: string[];
    counts: Record<string, number>;
    /**
     * The changed cells: [verdict index into vocab.verdicts, cell index (-1: not in this run), id, before,
     * after, reason]; statuses as codes, -1 none; id and reason only for cells not in this run (0 otherwise).
     */
    ch: number[][];
    /** By status code: the verdict index of a cell of this run that `ch` does not list (its status did not change). */
    same: number[];
  };
}
