/**
 * Reads a patch series as posted to libc-alpha (an mbox, or one text per patch file) into its cover
 * letter and its patches, each with the unified diff that `patch -p1` applies later. Pure: it gets the
 * texts with their file names and checks the numbering and every hunk's counts, so a broken series is
 * an InputError naming the file and line instead of a confusing failure at build time. The mail
 * decoding (MIME parts, transfer encodings, encoded words) is mime.ts's.
 */
import { InputError } from '../util/errors.js';
import { decodeBody, decodeEncodedWords, HEADER, type Line, linesOf, readHeaders } from './mime.js';

export interface SeriesPatch {
  /** 1-based position in the series (from [PATCH n/m], else the order of the input). */
  index: number;
  /** m of [PATCH n/m]; 1 for a lone [PATCH]. */
  total: number;
  /** 'v10' from [PATCH v10 1/5]-style prefixes ([RFC PATCH glibc v3 2/4] too), or null. */
  version: string | null;
  /** Without the [PATCH ...] prefix, header folding undone, RFC 2047 encoded-words decoded. */
  subject: string;
  /** The From: header (decoded; git send-email's in-body From: wins), '' if none. */
  author: string;
  /** The Date: header as written, '' if none. */
  date: string;
  /** The Message-ID: header without its angle brackets, or null. */
  messageId: string | null;
  /** The commit message body (between headers and the '---' line / first diff), trimmed. */
  description: string;
  /** The unified diff only: from the first 'diff --git' or '--- ' line to its last hunk, without git's '-- \n<version>' signature trailer. */
  diff: string;
  /** Files the diff touches (b/ side, or a/ side for deletions), without the a/ b/ prefix. */
  files: string[];
  /** Where it came from: 'series.mbox:123' (file and 1-based line of the message start) or the file name. */
  origin: string;
}

export interface SeriesCover {
  subject: string;
  author: string;
  date: string;
  body: string;
  origin: string;
}

export interface Series {
  /** The cover letter ([PATCH 0/m]), if any. */
  cover: SeriesCover | null;
  version: string | null;
  /** Ordered by index. */
  patches: SeriesPatch[];
}

export interface SeriesInput {
  /** The file name, used in errors and in `origin`. */
  name: string;
  text: string;
}

/** One mail (or one bare diff file), its headers unfolded and its body decoded. */
interface Message {
  name: string;
  /** file:line of the message start, for errors. */
  at: string;
  origin: string;
  /** Lower-case header name → unfolded value (the first of its name); empty for a bare diff. */
  headers: Map<string, string>;
  hasHeaders: boolean;
  body: Line[];
}

/** What the subject's [PATCH ...] tag says. */
interface Tag {
  n: number | null;
  m: number | null;
  version: string | null;
  subject: string;
  reply: boolean;
}

/** A message of the series: a patch (it has a diff) or the cover letter (0/m). */
interface Entry {
  msg: Message;
  tag: Tag;
  /** Index in msg.body of the diff's first line, or -1. */
  diffStart: number;
}

/** The mbox separator as git mailsplit knows it: `From <anything> <date with hh:mm and a year>`. */
const MBOX_FROM = /^From \S.*\d{1,2}:\d{2}(?::\d{2})?\b.*\b\d{4}\s*$/;
const HUNK_HEADER = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/;

export function parseSeries(inputs: readonly SeriesInput[]): Series {
  if (inputs.length === 0) throw new InputError('no patch series given: no mbox and no patch file');
  const messages = inputs.flatMap(splitMessages);
  const entries: Entry[] = [];
  let repliesWithDiff = 0;
  for (const msg of messages) {
    const tag = parseTag(subjectOf(msg));
    const diffStart = findDiffStart(msg.body);
    if (tag.reply) {
      if (diffStart >= 0) repliesWithDiff++;
      continue;
    }
    if (tag.n === 0 || diffStart >= 0) entries.push({ msg, tag, diffStart });
  }
  const covers = entries.filter((e) => e.tag.n === 0);
  const patchEntries = entries.filter((e) => e.tag.n !== 0);
  if (patchEntries.length === 0) {
    const where = inputs.map((i) => i.name).join(', ');
    const count = `${messages.length} message${messages.length === 1 ? '' : 's'}`;
    const why = repliesWithDiff > 0 ? 'only replies have a diff' : 'none with a diff';
    throw new InputError(`${where}: no patch in ${inputs.length === 1 ? 'it' : 'them'} (${count}, ${why})`);
  }
  const ordered = numberPatches(inputs, covers, patchEntries);
  const version = checkVersions([...covers, ...patchEntries]);
  const cover = covers[0];
  return {
    cover: cover ? coverOf(cover) : null,
    version,
    patches: ordered.map(({ entry, index, total }) => patchOf(entry, index, total)),
  };
}

// ---- splitting the inputs into messages -------------------------------------------------------------

function splitMessages(input: SeriesInput): Message[] {
  const { name } = input;
  if (input.text.trim() === '') throw new InputError(`${name}: empty file, no patch in it`);
  const lines = linesOf(input.text);
  const starts: number[] = [];
  for (let i = 0; i < lines.length; i++) {
    // A body line may read like a separator; a real one is followed by the next mail's headers.
    if (MBOX_FROM.test(lines[i] ?? '') && HEADER.test(lines[i + 1] ?? '')) starts.push(i);
  }
  const numbered = (from: number, to: number): Line[] =>
    lines.slice(from, to).map((text, k) => ({ text, no: from + k + 1 }));
  const first = starts[0];
  if (first === undefined) {
    const all = numbered(0, lines.length);
    const withHeaders = readHeaders(all);
    if (withHeaders.headers.has('from') || withHeaders.headers.has('subject'))
      return [message(name, 1, name, withHeaders.headers, true, withHeaders.rest)];
    return [message(name, 1, name, new Map(), false, all)];
  }
  const preamble = numbered(0, first);
  if (findDiffStart(preamble) >= 0)
    throw new InputError(`${name}:1: a diff before the first 'From ' line of the mbox`);
  return starts.map((start, k) => {
    const end = starts[k + 1] ?? lines.length;
    // mboxrd/mboxo escape body lines starting 'From ' as '>From '; undo one level.
    const mail = numbered(start + 1, end).map((l) =>
      /^>+From /.test(l.text) ? { text: l.text.slice(1), no: l.no } : l,
    );
    const { headers, rest } = readHeaders(mail);
    const origin = starts.length === 1 ? name : `${name}:${start + 1}`;
    return message(name, start + 1, origin, headers, true, rest);
  });
}

function message(
  name: string,
  line: number,
  origin: string,
  headers: Map<string, string>,
  hasHeaders: boolean,
  rest: Line[],
): Message {
  return { name, at: `${name}:${line}`, origin, headers, hasHeaders, body: decodeBody(headers, rest) };
}

// ---- the subject's [PATCH ...] tag ------------------------------------------------------------------

function subjectOf(msg: Message): string {
  if (msg.hasHeaders) return decodeEncodedWords(msg.headers.get('subject') ?? '').trim();
  return msg.body.find((l) => l.text.trim() !== '')?.text.trim() ?? '';
}

/** '[RFC PATCH glibc v3 2/4] elf: x' → 2 of 4, v3, 'elf: x'. A list tag before it ([libc-alpha]) goes too. */
export function parseTag(subject: string): Tag {
  const reply = /^(re|aw|sv|fwd?)\s*:/i.test(subject);
  let rest = subject;
  for (let group = /^\s*\[([^\]]*)\]\s*/.exec(rest); group; group = /^\s*\[([^\]]*)\]\s*/.exec(rest)) {
    rest = rest.slice(group[0].length);
    const words = (group[1] ?? '').split(/\s+/).filter(Boolean);
    if (!words.some((w) => /^PATCH/i.test(w))) continue;
    let n: number | null = null;
    let m: number | null = null;
    let version: string | null = null;
    for (const w of words) {
      const frac = /^(\d+)\/(\d+)$/.exec(w);
      const ver = /^(?:PATCH)?v(\d+)$/i.exec(w);
      if (frac) {
        n = Number(frac[1]);
        m = Number(frac[2]);
      } else if (ver) version = `v${ver[1]}`;
    }
    return { n, m, version, subject: rest.trim(), reply };
  }
  return { n: null, m: null, version: null, subject: subject.trim(), reply };
}

// ---- numbering and versions -------------------------------------------------------------------------

const says = (e: Entry): string => `${e.tag.n}/${e.tag.m}`;

function numberPatches(
  inputs: readonly SeriesInput[],
  covers: Entry[],
  patches: Entry[],
): { entry: Entry; index: number; total: number }[] {
  const [firstCover, secondCover] = covers;
  if (firstCover && secondCover)
    throw new InputError(
      `${secondCover.msg.at}: the cover letter ${says(secondCover)} is there twice (also at ${firstCover.msg.at})`,
    );
  const numbered = [...covers, ...patches.filter((e) => e.tag.n !== null)];
  const lone = patches.find((e) => e.tag.n === null);
  const someNumbered = numbered[0];
  if (lone && someNumbered)
    throw new InputError(
      `${lone.msg.at}: a patch without a number ([PATCH]) in a numbered series (${someNumbered.msg.at} says ${says(someNumbered)})`,
    );
  if (lone) return patches.map((entry, k) => ({ entry, index: k + 1, total: patches.length }));

  // Every message says n/m: check them in input order against the first one.
  const reference = numbered[0] as Entry;
  const byIndex = new Map<number, Entry>();
  for (const e of numbered) {
    const n = e.tag.n as number;
    const m = e.tag.m as number;
    if (n > m) throw new InputError(`${e.msg.at}: says ${n}/${m}, a number above the total`);
    if (m !== reference.tag.m)
      throw new InputError(`${e.msg.at}: says ${says(e)} but ${reference.msg.at} says ${says(reference)}`);
    const twin = byIndex.get(n);
    if (twin && n > 0)
      throw new InputError(`${e.msg.at}: patch ${n}/${m} is there twice (also at ${twin.msg.at})`);
    byIndex.set(n, e);
  }
  const total = reference.tag.m as number;
  for (let k = 1; k <= total; k++) {
    if (byIndex.has(k)) continue;
    const neighbour = byIndex.get(k + 1) ?? byIndex.get(k - 1);
    const where = inputs.length === 1 || !neighbour ? (inputs[0]?.name ?? '') : neighbour.msg.at;
    const present = [...byIndex.keys()].filter((i) => i > 0).sort((a, b) => a - b);
    throw new InputError(
      `${where}: patch ${k}/${total} is missing (the series has ${present.map((i) => `${i}/${total}`).join(', ')})`,
    );
  }
  return [...byIndex.entries()]
    .filter(([n]) => n > 0)
    .sort(([a], [b]) => a - b)
    .map(([n, entry]) => ({ entry, index: n, total }));
}

function checkVersions(entries: Entry[]): string | null {
  const reference = entries[0];
  if (!reference) return null;
  const what = (e: Entry): string =>
    e.tag.n === null ? 'the patch' : e.tag.n === 0 ? `the cover letter ${says(e)}` : `patch ${says(e)}`;
  const version = (e: Entry): string => (e.tag.version ? `is ${e.tag.version}` : 'has no version');
  for (const e of entries) {
    if (e.tag.version !== reference.tag.version)
      throw new InputError(
        `${e.msg.at}: ${what(e)} ${version(e)} but ${reference.msg.at} (${what(reference)}) ${version(reference)}`,
      );
  }
  return reference.tag.version;
}

// ---- one patch: description, diff, hunks -------------------------------------------------------------

/** The first line of a diff: 'diff --git', or a '--- ' line followed by a '+++ ' line. */
function findDiffStart(lines: Line[]): number {
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i]?.text ?? '';
    if (text.startsWith('diff --git ')) return i;
    if (text.startsWith('--- ') && (lines[i + 1]?.text ?? '').startsWith('+++ ')) return i;
  }
  return -1;
}

/** git's signature: a last '-- ' line followed only by lines no diff has (its version, a name). */
function trailerStart(lines: Line[], from: number): number {
  for (let i = lines.length - 1; i >= from; i--) {
    if (lines[i]?.text !== '-- ') continue;
    const after = lines.slice(i + 1).filter((l) => l.text.trim() !== '');
    const diffish = after.some((l) => /^([ +\-@\\]|diff )/.test(l.text));
    return after.length > 0 && !diffish ? i : lines.length;
  }
  return lines.length;
}

/** In-body 'From:' and 'Date:' lines (git send-email for another author) at the top of the body. */
function inBodyHeaders(body: Line[]): { from?: string; date?: string; skip: number } {
  const found: { from?: string; date?: string; skip: number } = { skip: 0 };
  let i = 0;
  for (; i < body.length; i++) {
    const m = /^(From|Date):\s*(.*)$/.exec(body[i]?.text ?? '');
    if (!m) break;
    if (m[1] === 'From') found.from = m[2] ?? '';
    else found.date = m[2] ?? '';
  }
  if (i > 0 && (body[i]?.text ?? '') === '') found.skip = i + 1;
  else return { skip: 0 };
  return found;
}

function coverOf(entry: Entry): SeriesCover {
  const { msg } = entry;
  const body = msg.body.slice(0, trailerStart(msg.body, 0));
  return {
    subject: entry.tag.subject,
    author: decodeEncodedWords(msg.headers.get('from') ?? '').trim(),
    date: (msg.headers.get('date') ?? '').trim(),
    body: body
      .map((l) => l.text)
      .join('\n')
      .trim(),
    origin: msg.origin,
  };
}

function patchOf(entry: Entry, index: number, total: number): SeriesPatch {
  const { msg, tag, diffStart } = entry;
  const inBody = msg.hasHeaders ? inBodyHeaders(msg.body) : { skip: 0 };
  // A bare diff's first non-empty line is its subject; its description follows.
  const firstText = msg.body.findIndex((l) => l.text.trim() !== '');
  const descFrom = msg.hasHeaders ? inBody.skip : firstText + 1;
  let descTo = diffStart;
  for (let i = descFrom; i < diffStart; i++) {
    if (/^---\s*$/.test(msg.body[i]?.text ?? '')) {
      descTo = i;
      break;
    }
  }
  const label = `patch ${index}/${total}`;
  const end = trailerStart(msg.body, diffStart);
  const { last, files } = checkDiff(msg.name, label, msg.body, diffStart, end);
  const messageId =
    msg.headers
      .get('message-id')
      ?.trim()
      .replace(/^<(.*)>$/, '$1') || null;
  return {
    index,
    total,
    version: tag.version,
    subject: tag.subject,
    author: decodeEncodedWords(inBody.from ?? msg.headers.get('from') ?? '').trim(),
    date: (inBody.date ?? msg.headers.get('date') ?? '').trim(),
    messageId,
    description: msg.body
      .slice(descFrom, descTo)
      .map((l) => l.text)
      .join('\n')
      .trim(),
    diff: `${msg.body
      .slice(diffStart, last + 1)
      .map((l) => l.text)
      .join('\n')}\n`,
    files,
    origin: msg.origin,
  };
}

/** A path of a ---/+++ line or of 'diff --git', without its timestamp, quotes and first component (-p1). */
function diffPath(raw: string): string | null {
  let p = raw.split('\t')[0] ?? '';
  if (/^".*"$/.test(p)) p = p.slice(1, -1).replace(/\\(.)/g, (_, c: string) => (c === 't' ? '\t' : c));
  p = p.trimEnd();
  if (p === '/dev/null') return null;
  const slash = p.indexOf('/');
  return slash >= 0 ? p.slice(slash + 1) : p;
}

const GIT_EXTENDED =
  /^(index |old mode |new mode |deleted file mode |new file mode |similarity index |dissimilarity index |rename from |rename to |copy from |copy to |Binary files )/;

/** Walks the diff: file headers and hunks, each hunk's counts checked. Returns its last line and files. */
function checkDiff(
  name: string,
  label: string,
  lines: Line[],
  start: number,
  end: number,
): { last: number; files: string[] } {
  const files: string[] = [];
  let file: string | null = null;
  let last = start;
  let afterHunk = false;
  const at = (i: number): string => `${name}:${lines[i]?.no ?? lines[lines.length - 1]?.no ?? 1}`;
  const setFile = (f: string | null) => {
    file = f;
    if (f !== null && !files.includes(f)) files.push(f);
  };
  let i = start;
  while (i < end) {
    const text = lines[i]?.text ?? '';
    if (text.startsWith('diff --git ')) {
      // 'diff --git a/x b/x': the b/ side (the ---/+++ lines that follow, if any, say it again).
      const cut = text.lastIndexOf(' b/');
      setFile(cut >= 0 ? diffPath(text.slice(cut + 1)) : null);
      last = i;
      afterHunk = false;
      i++;
      continue;
    }
    if (text.startsWith('--- ') && (lines[i + 1]?.text ?? '').startsWith('+++ ')) {
      // A deletion's +++ side is /dev/null: then the --- side names the file.
      setFile(diffPath((lines[i + 1]?.text ?? '').slice(4)) ?? diffPath(text.slice(4)));
      last = i + 1;
      afterHunk = false;
      i += 2;
      continue;
    }
    if (text.startsWith('@@')) {
      if (file === null)
        throw new InputError(`${at(i)}: ${label}: a hunk before any '--- a/...' '+++ b/...' file header`);
      i = checkHunk(name, `${label} (${file})`, lines, i, end);
      last = i - 1;
      afterHunk = true;
      continue;
    }
    if (text === 'GIT binary patch') {
      while (i < end && !(lines[i]?.text ?? '').startsWith('diff --git ')) last = i++;
      continue;
    }
    if (afterHunk && i === last + 1 && /^[ +-]/.test(text)) {
      const hunk = lastHunkHeader(lines, i);
      throw new InputError(
        `${at(i)}: ${label} (${file}): hunk ${hunk} has more lines than its header counts`,
      );
    }
    if (GIT_EXTENDED.test(text)) {
      if (text.startsWith('rename to ')) setFile(text.slice('rename to '.length));
      last = i;
    }
    afterHunk = false;
    i++;
  }
  return { last, files };
}

function lastHunkHeader(lines: Line[], before: number): string {
  for (let i = before - 1; i >= 0; i--) {
    const m = HUNK_HEADER.exec(lines[i]?.text ?? '');
    if (m) return m[0];
  }
  return '@@';
}

/** Checks one hunk's counts against its lines; returns the index of the first line after it. */
function checkHunk(name: string, label: string, lines: Line[], start: number, end: number): number {
  const header = lines[start] as Line;
  const m = HUNK_HEADER.exec(header.text);
  if (!m) throw new InputError(`${name}:${header.no}: ${label}: malformed hunk header '${header.text}'`);
  const hunk = m[0];
  const wantOld = m[2] === undefined ? 1 : Number(m[2]);
  const wantNew = m[4] === undefined ? 1 : Number(m[4]);
  let gotOld = 0;
  let gotNew = 0;
  let i = start + 1;
  for (; i < end && (gotOld < wantOld || gotNew < wantNew); i++) {
    const text = lines[i]?.text ?? '';
    const c = text[0];
    // An empty line is a context line whose blank a mailer ate; patch(1) and git apply read it so.
    if (c === undefined || c === ' ') {
      gotOld++;
      gotNew++;
    } else if (c === '-') gotOld++;
    else if (c === '+') gotNew++;
    else if (c !== '\\') break;
  }
  while (i < end && (lines[i]?.text ?? '').startsWith('\\')) i++;
  if (gotOld === wantOld && gotNew === wantNew) return i;
  const short = gotOld <= wantOld && gotNew <= wantNew;
  const stopper = lines[i]?.text ?? '';
  const nextThing =
    i >= end ||
    stopper.startsWith('@@') ||
    stopper.startsWith('diff ') ||
    (stopper.startsWith('--- ') && (lines[i + 1]?.text ?? '').startsWith('+++ '));
  if (short && !nextThing) {
    throw new InputError(
      `${name}:${lines[i]?.no}: ${label}: a line in hunk ${hunk} starts with ${JSON.stringify(stopper.slice(0, 1))}, not ' ', '+', '-' or '\\'`,
    );
  }
  const differs: { got: number; want: number; side: string }[] = [];
  if (gotOld !== wantOld) differs.push({ got: gotOld, want: wantOld, side: 'old' });
  if (gotNew !== wantNew) differs.push({ got: gotNew, want: wantNew, side: 'new' });
  const has = differs.map((d) => `${d.got} ${d.side} line${d.got === 1 ? '' : 's'}`).join(' and ');
  const said = differs.map((d) => d.want).join(' and ');
  throw new InputError(`${name}:${header.no}: ${label}: hunk ${hunk} has ${has}, its header says ${said}`);
}
