/**
 * Decodes mail bodies and headers as posted to a list: multipart (the text parts, a patch attached as
 * text/x-patch too), quoted-printable, base64 and RFC 2047 encoded words, plus the header block and line
 * splitting they rest on. Pure: texts in, texts out, each line keeping its line number in the input file.
 */

/** A line of an input and where it stands in its file (1-based). */
export interface Line {
  text: string;
  no: number;
}

// ---- headers and lines ------------------------------------------------------------------------------

/** A header line's start: a name of printable characters other than ':', then ':'. */
export const HEADER = /^[!-9;-~]+:/;

/** The lines of a text (a CRLF file read as LF), without the empty one after a final line end. */
export function linesOf(text: string): string[] {
  // A file saved with CRLF line ends throughout (some archives): read it as LF.
  const crlf = text.includes('\r\n') && !/(^|[^\r])\n/.test(text);
  const lines = (crlf ? text.replace(/\r\n/g, '\n') : text).split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Headers up to the first empty line (folding undone; the first of a repeated name), and the lines after. */
export function readHeaders(lines: Line[]): { headers: Map<string, string>; rest: Line[] } {
  const headers = new Map<string, string>();
  let current: string | null = null;
  let i = 0;
  for (; i < lines.length; i++) {
    const text = lines[i]?.text ?? '';
    if (text === '') {
      i++;
      break;
    }
    if (/^[ \t]/.test(text)) {
      // Unfolding removes the line break only; the folding white space stays.
      if (current !== null) headers.set(current, `${headers.get(current) ?? ''}${text}`);
      continue;
    }
    const colon = text.indexOf(':');
    if (!HEADER.test(text)) break;
    const key = text.slice(0, colon).toLowerCase();
    current = headers.has(key) ? null : key;
    if (current !== null) headers.set(current, text.slice(colon + 1).replace(/^[ \t]+/, ''));
  }
  return { headers, rest: lines.slice(i) };
}

// ---- bodies: transfer encodings and MIME parts ------------------------------------------------------

function parameter(value: string, param: string): string | null {
  const m = new RegExp(`;\\s*${param}\\s*=\\s*(?:"([^"]*)"|([^;\\s]+))`, 'i').exec(value);
  return m ? (m[1] ?? m[2] ?? null) : null;
}

export function decodeBody(headers: Map<string, string>, lines: Line[]): Line[] {
  const type = headers.get('content-type') ?? '';
  const charset = parameter(type, 'charset') ?? 'utf-8';
  const boundary = /^\s*multipart\//i.test(type) ? parameter(type, 'boundary') : null;
  if (boundary) return multipartBody(boundary, lines);
  const encoding = (headers.get('content-transfer-encoding') ?? '').trim().toLowerCase();
  if (encoding === 'quoted-printable') return quotedPrintableBody(lines, charset);
  if (encoding === 'base64') {
    const first = lines[0]?.no ?? 0;
    const text = bytesToText(base64Bytes(lines.map((l) => l.text).join('')), charset);
    return linesOf(text).map((t) => ({ text: t, no: first }));
  }
  return lines;
}

/** The text parts of a multipart mail (a patch attached as text/x-patch too), one after the other. */
function multipartBody(boundary: string, lines: Line[]): Line[] {
  const out: Line[] = [];
  let part: Line[] | null = null;
  const flush = (done: Line[] | null) => {
    if (!done) return;
    const { headers, rest } = readHeaders(done);
    const type = (headers.get('content-type') ?? 'text/plain').trim();
    const named = parameter(type, 'name') ?? parameter(headers.get('content-disposition') ?? '', 'filename');
    if (/^(text|multipart)\//i.test(type) || /\.(patch|diff)$/i.test(named ?? '')) {
      if (out.length > 0) out.push({ text: '', no: done[0]?.no ?? 0 });
      out.push(...decodeBody(headers, rest));
    }
  };
  for (const line of lines) {
    const text = line.text.trimEnd();
    if (text === `--${boundary}` || text === `--${boundary}--`) {
      flush(part);
      part = text === `--${boundary}` ? [] : null;
    } else part?.push(line);
  }
  flush(part);
  return out;
}

/** The bytes of quoted-printable text (RFC 2045; with `underscoreIsSpace`, RFC 2047's Q encoding). */
function quotedBytes(text: string, underscoreIsSpace: boolean): number[] {
  const bytes: number[] = [];
  const encoder = new TextEncoder();
  for (let i = 0; i < text.length; i++) {
    const hex = text[i] === '=' ? /^[0-9A-Fa-f]{2}$/.exec(text.slice(i + 1, i + 3)) : null;
    if (hex) {
      bytes.push(Number.parseInt(hex[0], 16));
      i += 2;
    } else if (underscoreIsSpace && text[i] === '_') bytes.push(0x20);
    else {
      const char = String.fromCodePoint(text.codePointAt(i) ?? 0x3f);
      bytes.push(...encoder.encode(char));
      i += char.length - 1;
    }
  }
  return bytes;
}

function quotedPrintableBody(lines: Line[], charset: string): Line[] {
  const out: Line[] = [];
  let bytes: number[] = [];
  let startNo: number | null = null;
  for (const line of lines) {
    startNo ??= line.no;
    const soft = line.text.endsWith('=');
    // Trailing blanks stay (RFC 2045 drops them): a sloppy encoder leaves a diff's ' ' lines and '-- ' bare.
    bytes.push(...quotedBytes(soft ? line.text.slice(0, -1) : line.text, false));
    if (soft) continue;
    out.push({ text: bytesToText(Uint8Array.from(bytes), charset), no: startNo });
    bytes = [];
    startNo = null;
  }
  if (startNo !== null) out.push({ text: bytesToText(Uint8Array.from(bytes), charset), no: startNo });
  return out;
}

function base64Bytes(b64: string): Uint8Array {
  const clean = b64.replace(/[^A-Za-z0-9+/]/g, '');
  const binary = atob(clean.slice(0, clean.length - (clean.length % 4 === 1 ? 1 : 0)));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

function bytesToText(bytes: Uint8Array, charset: string): string {
  try {
    return new TextDecoder(charset.trim().toLowerCase()).decode(bytes);
  } catch {
    return new TextDecoder('utf-8').decode(bytes);
  }
}

/** RFC 2047: `=?charset?Q?...?=` and `=?charset?B?...?=`, the white space between two of them dropped. */
export function decodeEncodedWords(value: string): string {
  const joined = value.replace(/(\?=)\s+(?==\?[^?\s]+\?[QqBb]\?)/g, '$1');
  return joined.replace(
    /=\?([^?\s]+)\?([QqBb])\?([^?\s]*)\?=/g,
    (_, charset: string, enc: string, text: string) => {
      // RFC 2231 may add a language: 'UTF-8*en'.
      const cs = charset.replace(/\*.*$/, '');
      const bytes = enc.toUpperCase() === 'B' ? base64Bytes(text) : Uint8Array.from(quotedBytes(text, true));
      return bytesToText(bytes, cs);
    },
  );
}
