/**
 * Debian archive formats, pure: deb822 paragraphs (Sources indices, .dsc files), the checksums a .dsc
 * lists, and dpkg's version ordering (to find the newest version of a package in a suite).
 */

export type Paragraph = Map<string, string>;

/** Splits deb822 text into paragraphs; continuation lines are kept, joined by newlines. */
export function parseDeb822(text: string): Paragraph[] {
  const out: Paragraph[] = [];
  let cur: Paragraph = new Map();
  let last: string | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('-----BEGIN PGP SIGNED MESSAGE')) continue;
    if (line.startsWith('-----BEGIN PGP SIGNATURE')) break;
    if (/^Hash:/.test(line) && cur.size === 0 && out.length === 0) continue;
    if (line.trim() === '') {
      if (cur.size) out.push(cur);
      cur = new Map();
      last = undefined;
      continue;
    }
    if (/^\s/.test(line) && last) {
      cur.set(last, `${cur.get(last)}\n${line.trim()}`);
      continue;
    }
    const i = line.indexOf(':');
    if (i < 0) continue;
    last = line.slice(0, i);
    cur.set(last, line.slice(i + 1).trim());
  }
  if (cur.size) out.push(cur);
  return out;
}

export interface ListedFile {
  name: string;
  size: number;
  sha256: string;
}

/** The files a .dsc (or a Sources paragraph) lists under Checksums-Sha256. */
export function sha256Files(p: Paragraph): ListedFile[] {
  const block = p.get('Checksums-Sha256') ?? '';
  return block
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length === 3 && /^[0-9a-f]{64}$/.test(f[0] ?? ''))
    .map(([sha256, size, name]) => ({ sha256: sha256 as string, size: Number(size), name: name as string }));
}

/** Every version of a source package that a Sources index lists, with its pool directory. */
export function sourceVersions(
  paragraphs: Paragraph[],
  pkg: string,
): { version: string; directory: string }[] {
  return paragraphs
    .filter((p) => p.get('Package') === pkg)
    .map((p) => ({ version: p.get('Version') ?? '', directory: p.get('Directory') ?? '' }))
    .filter((v) => v.version && v.directory);
}

export function newestVersion(versions: readonly string[]): string | undefined {
  return [...versions].sort(compareDebianVersions).at(-1);
}

function splitVersion(v: string): [number, string, string] {
  const colon = v.indexOf(':');
  const epoch = colon >= 0 ? Number(v.slice(0, colon)) : 0;
  const rest = colon >= 0 ? v.slice(colon + 1) : v;
  const dash = rest.lastIndexOf('-');
  return dash >= 0 ? [epoch, rest.slice(0, dash), rest.slice(dash + 1)] : [epoch, rest, ''];
}

/** dpkg's character order: '~' sorts before everything, even the end; letters before other symbols. */
function order(c: string | undefined): number {
  if (c === undefined) return 0;
  if (c === '~') return -1;
  if (/[0-9]/.test(c)) return 0;
  if (/[A-Za-z]/.test(c)) return c.charCodeAt(0);
  return c.charCodeAt(0) + 256;
}

function comparePart(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    // the non-digit run
    while (
      (i < a.length && !/[0-9]/.test(a[i] as string)) ||
      (j < b.length && !/[0-9]/.test(b[j] as string))
    ) {
      const ac = i < a.length && !/[0-9]/.test(a[i] as string) ? a[i] : undefined;
      const bc = j < b.length && !/[0-9]/.test(b[j] as string) ? b[j] : undefined;
      const d = order(ac) - order(bc);
      if (d) return d;
      if (ac !== undefined) i++;
      if (bc !== undefined) j++;
      if (ac === undefined && bc === undefined) break;
    }
    // the digit run
    let an = '';
    let bn = '';
    while (i < a.length && /[0-9]/.test(a[i] as string)) an += a[i++];
    while (j < b.length && /[0-9]/.test(b[j] as string)) bn += b[j++];
    const d = Number(an || '0') - Number(bn || '0');
    if (d) return d;
  }
  return 0;
}

export function compareDebianVersions(a: string, b: string): number {
  const [ea, ua, ra] = splitVersion(a);
  const [eb, ub, rb] = splitVersion(b);
  return ea - eb || comparePart(ua, ub) || comparePart(ra, rb);
}

/** "2.36-9+deb12u14" -> "2.36" */
export function upstreamVersion(v: string): string {
  return splitVersion(v)[1];
}
