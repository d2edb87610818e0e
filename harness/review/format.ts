/**
 * The review of a patch series (review.ts) as text a person reads: markdown that a reviewer pastes into a
 * reply on libc-alpha (formatReviewMarkdown), and a short summary for the terminal (formatReviewText).
 * Changed cells are grouped by stage, in the catalogue's stage order, and cells of one stage that changed
 * in the same way are said in one line that lists their link/scenario places. Also the pieces the HTML
 * review (harness/report/review-html.ts) shares: the patch titles, the stage groups, the change wording.
 * Pure.
 */
import { ALL_STAGES, LINKS, SCENARIOS } from '../model/catalogue.js';
import type {
  CellDelta,
  CellOutcome,
  PatchAgainst,
  Review,
  ReviewAgainst,
  StepBuild,
  StepPatch,
  StepReview,
  TestDelta,
} from './review.js';

/** How many change lines one list of the markdown holds before it says how many more there are. */
export const MAX_LINES = 60;

/** A version as a patch subject writes it ("v2"); '' for none. */
export function versionTag(version: string | null): string {
  if (!version) return '';
  return /^\d+$/.test(version) ? `v${version}` : version;
}

/** What a patch title is made of: a StepPatch, or a patch of ReviewAgainst with the series' length. */
export interface TitledPatch {
  index: number;
  subject: string;
  total?: number;
  version?: string | null;
}

/** "[PATCH v2 1/3] subject" (the version and the total when known). */
export function patchTitle(p: TitledPatch): string {
  const version = versionTag(p.version ?? null);
  const number = p.total !== undefined ? `${p.index}/${p.total}` : `${p.index}`;
  return `[PATCH${version ? ` ${version}` : ''} ${number}] ${oneLine(p.subject)}`;
}

/** Text on one line, at most max characters. */
export function oneLine(s: string, max = 200): string {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

function rankOf(list: readonly string[]): (s: string) => number {
  const m = new Map(list.map((s, i) => [s, i]));
  return (s) => m.get(s) ?? list.length;
}
const stageRank = rankOf(ALL_STAGES.map((s) => s.id));
const linkRank = rankOf(LINKS);
const scenarioRank = rankOf(SCENARIOS.map((s) => s.id));

/** Stages in the catalogue's order; stages it does not know after them, in the order first met. */
function byStage<T>(items: readonly T[], stageOf: (x: T) => string): { stage: string; items: T[] }[] {
  const groups = new Map<string, T[]>();
  for (const x of items) {
    const s = stageOf(x);
    const g = groups.get(s);
    if (g) g.push(x);
    else groups.set(s, [x]);
  }
  const seen = [...groups.keys()];
  return seen
    .sort((a, b) => stageRank(a) - stageRank(b) || seen.indexOf(a) - seen.indexOf(b))
    .map((stage) => ({ stage, items: groups.get(stage) ?? [] }));
}

function byPlace(a: { link: string; scenario: string }, b: { link: string; scenario: string }): number {
  return linkRank(a.link) - linkRank(b.link) || scenarioRank(a.scenario) - scenarioRank(b.scenario);
}

/** The changed cells grouped by stage (catalogue order), each group's cells in link and scenario order. */
export function deltasByStage(deltas: readonly CellDelta[]): { stage: string; deltas: CellDelta[] }[] {
  return byStage(deltas, (d) => d.stage).map((g) => ({ stage: g.stage, deltas: [...g.items].sort(byPlace) }));
}

/** What an outcome was, in a word: the kernel's state when measured, else its status; absent: no such cell. */
export function outcomeWord(o: CellOutcome | null): string {
  if (!o) return 'absent';
  if (o.status !== 'measured') return o.status;
  return o.state ?? 'nothing observed';
}

/** An outcome in one line: its state and what else it says (for tables). */
export function outcomeText(o: CellOutcome | null): string {
  if (!o) return 'absent';
  const parts = [outcomeWord(o)];
  if (o.status === 'measured') {
    parts.push(`__rseq_size ${o.rseqSize ?? 'none'}`);
    if (o.owner) parts.push(`owner ${o.owner}`);
  }
  if (o.client !== undefined) parts.push(`client ${o.client}`);
  if (o.inconsistency) parts.push(`observers disagree: ${o.inconsistency}`);
  if (o.reason) parts.push(o.reason);
  return parts.join('; ');
}

/**
 * What changed in one cell, field by field (old -> new), without its place; "BREAKS: " first when a
 * stage that worked is broken now. __rseq_size, the observers and the owner are said only when both
 * sides were measured (an error has none of them, which is not a change of theirs).
 */
export function describeChange(d: CellDelta): string {
  const a = d.before;
  const b = d.after;
  const parts: string[] = [];
  if (d.fields.includes('status') || d.fields.includes('state'))
    parts.push(`${outcomeWord(a)} -> ${outcomeWord(b)}`);
  if (d.fields.includes('client')) parts.push(`client ${a?.client ?? 'none'} -> ${b?.client ?? 'none'}`);
  if (a?.status === 'measured' && b?.status === 'measured') {
    if (d.fields.includes('rseqSize'))
      parts.push(`__rseq_size ${a.rseqSize ?? 'none'} -> ${b.rseqSize ?? 'none'}`);
    if (d.fields.includes('owner')) parts.push(`owner ${a.owner ?? 'none'} -> ${b.owner ?? 'none'}`);
    if (d.fields.includes('inconsistency'))
      parts.push(
        !a.inconsistency
          ? `observers now disagree: ${oneLine(b.inconsistency ?? '')}`
          : !b.inconsistency
            ? `observers agree now (they disagreed: ${oneLine(a.inconsistency)})`
            : `observers disagree otherwise: ${oneLine(a.inconsistency)} -> ${oneLine(b.inconsistency)}`,
      );
  }
  const text = parts.join('; ') || d.fields.join(', ');
  return d.breaks ? `BREAKS: ${text}` : text;
}

/** Cells of one stage that changed in the same way. */
export interface ChangeLine {
  stage: string;
  /** link/scenario of each cell, in link and scenario order. */
  places: string[];
  change: string;
  /** Why the cells are errors or skipped now, when they all say the same; else a note that they differ. */
  reason: string | null;
  breaks: boolean;
  deltas: CellDelta[];
}

/** The changes grouped by stage, and within a stage the cells that changed alike collapsed into one line. */
export function changeLines(deltas: readonly CellDelta[]): ChangeLine[] {
  const out: ChangeLine[] = [];
  for (const g of deltasByStage(deltas)) {
    const lines = new Map<string, ChangeLine>();
    for (const d of g.deltas) {
      const change = describeChange(d);
      let line = lines.get(change);
      if (!line) {
        line = { stage: g.stage, places: [], change, reason: null, breaks: d.breaks, deltas: [] };
        lines.set(change, line);
      }
      line.places.push(`${d.link}/${d.scenario}`);
      line.deltas.push(d);
    }
    for (const line of lines.values()) {
      const reasons = new Set(
        line.deltas.filter((d) => d.after && d.after.status !== 'measured').map((d) => d.after?.reason ?? ''),
      );
      if (reasons.size === 1) {
        const [only] = [...reasons];
        line.reason = only ? oneLine(only) : null;
      } else if (reasons.size > 1) line.reason = 'reasons differ: see the report';
      out.push(line);
    }
  }
  return out;
}

/** One change line as markdown: `- stage: place change` or `- stage (place, place): change`. */
function changeLine(l: ChangeLine): string {
  const why = l.reason ? ` (${l.reason})` : '';
  return l.places.length === 1
    ? `- ${l.stage}: ${l.places[0]} ${l.change}${why}`
    : `- ${l.stage} (${l.places.join(', ')}): ${l.change}${why}`;
}

function changeList(deltas: readonly CellDelta[], max: number): string[] {
  const lines = changeLines(deltas).map(changeLine);
  if (lines.length <= max) return lines;
  return [...lines.slice(0, max), `- ... and ${lines.length - max} more lines (see the HTML review)`];
}

function testLines(tests: readonly TestDelta[]): string[] {
  return tests.map((t) => `- ${t.test}: ${t.before ?? 'not run'} -> ${t.after ?? 'not run'}`);
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function countBreaks(deltas: readonly CellDelta[]): number {
  return deltas.filter((d) => d.breaks).length;
}

/** The build of a step in words ("ok, cached"; "ok, incremental, 6 files compiled, 32 s"; "failed"). */
export function buildWords(b: StepBuild, withReason = true): string {
  if (b.status === 'absent') return 'not in the run';
  if (b.status === 'error') return withReason && b.reason ? `failed: ${oneLine(b.reason)}` : 'failed';
  if (b.cached) return 'ok, cached';
  const parts = ['ok'];
  if (b.mode) parts.push(b.mode);
  if (b.compiledFiles !== undefined) parts.push(`${plural(b.compiledFiles, 'file')} compiled`);
  if (b.durationMs !== undefined) parts.push(formatDuration(b.durationMs));
  return parts.join(', ');
}

/** The stages that changed, in catalogue order. */
export function changedStages(deltas: readonly CellDelta[]): string[] {
  return deltasByStage(deltas).map((g) => g.stage);
}

/** Cell keys (link/scenario/stage) grouped by stage: "main (shared/default, static/default); thread (...)". */
export function keysByStage(keys: readonly string[]): string {
  const places = keys.map((k) => {
    const i = k.indexOf('/');
    const j = k.indexOf('/', i + 1);
    return { link: k.slice(0, i), scenario: k.slice(i + 1, j), stage: k.slice(j + 1) };
  });
  return byStage(places, (p) => p.stage)
    .map(
      (g) =>
        `${g.stage} (${[...g.items]
          .sort(byPlace)
          .map((p) => `${p.link}/${p.scenario}`)
          .join(', ')})`,
    )
    .join('; ');
}

function files(p: StepPatch): string {
  const shown = p.files.slice(0, 6).join(', ');
  return p.files.length > 6 ? `${shown} and ${p.files.length - 6} more` : shown;
}

/** Cells that a version changes and the other does not, or changes to another outcome, in one phrase. */
export function changeSetWords(
  s: Pick<PatchAgainst, 'newlyChanged' | 'noLongerChanged' | 'changedOtherwise'>,
): string {
  const parts: string[] = [];
  if (s.newlyChanged.length) parts.push(`newly changes ${keysByStage(s.newlyChanged)}`);
  if (s.noLongerChanged.length) parts.push(`no longer changes ${keysByStage(s.noLongerChanged)}`);
  if (s.changedOtherwise.length) parts.push(`changes otherwise ${keysByStage(s.changedOtherwise)}`);
  return parts.join('; ');
}

/** Does a patch change the same cells to the same outcomes in both versions? */
export function sameAgainst(p: PatchAgainst): boolean {
  return !!p.now && !!p.before && changeSetWords(p) === '';
}

/** What one patch does differently in two versions of the series, in one phrase. */
export function againstWords(p: PatchAgainst): string {
  if (sameAgainst(p)) return 'the same changes';
  const parts: string[] = [];
  if (!p.now) parts.push('dropped from this version');
  else if (!p.before) parts.push('new in this version');
  const changes = changeSetWords(p);
  if (changes) parts.push(changes);
  return parts.join('; ');
}

function stepHead(review: Review, s: StepReview): string {
  return s.patch ? patchTitle(s.patch) : `Base: ${review.base.glibc}`;
}

export interface FormatOptions {
  /** Change lines per list before "... and N more" (default MAX_LINES). */
  maxLines?: number;
}

/** The review as markdown for a reply on libc-alpha. */
export function formatReviewMarkdown(
  review: Review,
  against?: ReviewAgainst,
  opts: FormatOptions = {},
): string {
  const max = opts.maxLines ?? MAX_LINES;
  const out: string[] = [];
  const version = versionTag(review.series.version);
  out.push(
    `## rseq-matrix review${version ? ` of ${version}` : ''} (${plural(review.series.patches, 'patch', 'patches')}) against ${review.base.glibc}`,
    '',
  );
  if (review.series.cover) out.push(`Series: ${oneLine(review.series.cover.subject)}`);
  out.push(
    `Base: ${review.base.glibc}${review.base.description ? ` (${oneLine(review.base.description)})` : ''}`,
    `Run: ${review.run.id}, ${formatDuration(review.run.durationMs)}${review.run.complete ? '' : ', INCOMPLETE'}`,
    '',
  );
  for (const s of review.steps) {
    out.push(`### ${stepHead(review, s)}`, '');
    if (s.patch) {
      out.push(`Author: ${oneLine(s.patch.author)}`);
      if (s.patch.files.length) out.push(`Files: ${files(s.patch)}`);
    }
    const reasonInUnknown = !!s.unknown && !!s.build.reason && s.unknown.includes(s.build.reason);
    out.push(`Build: ${buildWords(s.build, !reasonInUnknown)}`);
    if (s.unknown) {
      out.push(`Tells nothing: ${s.unknown.replace(/\.$/, '')}.`, '');
      continue;
    }
    out.push(`Cells: ${s.cells}, ${s.measured} measured`, '');
    if (s.step === 0) continue;
    if (s.vsPrevious.length) {
      const br = countBreaks(s.vsPrevious);
      out.push(
        `Changed against the previous step: ${plural(s.vsPrevious.length, 'cell')}${br ? `, ${plural(br, 'break')}` : ''}`,
        '',
        ...changeList(s.vsPrevious, max),
        '',
      );
    } else out.push('No cell changed against the previous step.', '');
    if (s.testsVsPrevious.length)
      out.push("glibc's own tests that changed:", '', ...testLines(s.testsVsPrevious), '');
  }
  out.push('### The series against the base', '');
  const whole = review.seriesVsBase;
  if (!whole) out.push('Nothing to say: no step after a base that built is known.', '');
  else {
    if (whole.step < review.series.patches)
      out.push(`Up to patch ${whole.step}, the last step that built and was measured.`, '');
    if (whole.cells.length) {
      const br = countBreaks(whole.cells);
      out.push(
        `Changed: ${plural(whole.cells.length, 'cell')}${br ? `, ${plural(br, 'break')}` : ''}`,
        '',
        ...changeList(whole.cells, max),
        '',
      );
    } else out.push('No cell changed against the base.', '');
    if (whole.tests.length) out.push("glibc's own tests that changed:", '', ...testLines(whole.tests), '');
  }
  if (against) out.push(...againstMarkdown(review, against));
  if (review.warnings.length) out.push('### Warnings', '', ...review.warnings.map((w) => `- ${w}`), '');
  return `${out.join('\n').replace(/\n+$/, '')}\n`;
}

function againstMarkdown(review: Review, a: ReviewAgainst): string[] {
  const version = versionTag(a.previous.version);
  const out = [
    `### Against ${version || 'the previous version'} (run ${a.previous.run}, ${plural(a.previous.patches, 'patch', 'patches')})`,
    '',
  ];
  for (const p of a.patches) {
    const title = p.now
      ? patchTitle({ ...p.now, total: review.series.patches, version: review.series.version })
      : `(was ${patchTitle({ ...(p.before ?? { index: 0, subject: '' }), total: a.previous.patches, version: a.previous.version })})`;
    const moved = p.now && p.before && p.before.index !== p.now.index ? ` (was patch ${p.before.index})` : '';
    out.push(`- ${title}${moved}: ${againstWords(p)}`);
  }
  out.push(
    '',
    `The series as a whole: ${changeSetWords(a.series) || 'the same changes against the base'}`,
    '',
  );
  return out;
}

/** A short summary for the terminal: one line per step with its counts, and the stages it changed. */
export function formatReviewText(review: Review, against?: ReviewAgainst): string {
  const out: string[] = [];
  const version = versionTag(review.series.version);
  out.push(
    `review${version ? ` of ${version}` : ''}: ${plural(review.series.patches, 'patch', 'patches')} on ${review.base.glibc}, run ${review.run.id}${review.run.complete ? '' : ' (incomplete)'}`,
  );
  for (const s of review.steps) {
    const label = s.patch ? `${s.patch.index}/${s.patch.total}` : 'base';
    const subject = s.patch ? `  ${oneLine(s.patch.subject, 72)}` : '';
    if (s.unknown) {
      out.push(`  ${label.padEnd(6)} tells nothing: ${oneLine(s.unknown, 100)}${subject}`);
      continue;
    }
    if (!s.patch) {
      out.push(`  ${label.padEnd(6)} build ${buildWords(s.build)}; ${s.cells} cells, ${s.measured} measured`);
      continue;
    }
    const br = countBreaks(s.vsPrevious);
    const tests = s.testsVsPrevious.length ? `, ${plural(s.testsVsPrevious.length, 'test')}` : '';
    out.push(
      `  ${label.padEnd(6)} ${s.vsPrevious.length} changed${br ? ` (${plural(br, 'break')})` : ''}, ${s.vsBase.length} vs base${tests}${subject}`,
    );
    if (s.vsPrevious.length) out.push(`         stages: ${changedStages(s.vsPrevious).join(', ')}`);
  }
  const whole = review.seriesVsBase;
  if (whole) {
    const br = countBreaks(whole.cells);
    out.push(
      `series vs base: ${plural(whole.cells.length, 'cell')} changed${br ? ` (${plural(br, 'break')})` : ''}${whole.cells.length ? ` in ${changedStages(whole.cells).join(', ')}` : ''}${whole.tests.length ? `, ${plural(whole.tests.length, 'glibc test')}` : ''}`,
    );
  } else out.push('series vs base: nothing known');
  if (against) {
    const differ = against.patches.filter((p) => !sameAgainst(p)).length;
    out.push(
      `against ${versionTag(against.previous.version) || 'the previous version'}: ${differ} of ${plural(against.patches.length, 'patch', 'patches')} differ`,
    );
  }
  for (const w of review.warnings) out.push(`warning: ${w}`);
  return `${out.join('\n')}\n`;
}
