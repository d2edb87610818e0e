// biome-ignore-all lint/style/useTemplate: the page script holds no backtick (test/unit/report.test.ts)
/**
 * Small DOM helpers for the page: elements are built with createElement and text nodes only (never HTML),
 * and the formatting of numbers, times and dates the page shows.
 */

/** What an element can hold: nodes and text, nested lists of them; null, undefined and false add nothing. */
export type Kid = Node | string | number | null | undefined | false | Kid[];

export function add<E extends Node>(e: E, kids: Kid): E {
  if (kids === null || kids === undefined || kids === false) return e;
  if (Array.isArray(kids)) {
    for (const k of kids) add(e, k);
    return e;
  }
  if (kids instanceof Node) e.appendChild(kids);
  else e.appendChild(document.createTextNode(String(kids)));
  return e;
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  cls?: string | null,
  kids?: Kid,
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  return add(e, kids);
}

/** A div with a class and an ARIA role (the grid's rows and cells). */
export function div(cls: string, role?: string): HTMLDivElement {
  const e = document.createElement('div');
  e.className = cls;
  if (role) e.setAttribute('role', role);
  return e;
}

export function btn(
  cls: string,
  kids: Kid,
  onclick?: ((ev: MouseEvent) => void) | null,
  title?: string,
): HTMLButtonElement {
  const b = h('button', cls, kids);
  b.type = 'button';
  if (title) b.title = title;
  if (onclick) b.addEventListener('click', onclick);
  return b;
}

export function clear<E extends Node>(e: E): E {
  while (e.firstChild) e.removeChild(e.firstChild);
  return e;
}

/** The element with this id (the page's skeleton has it). */
export function byId(id: string): HTMLElement {
  const e = document.getElementById(id);
  if (!e) throw new Error('no element #' + id);
  return e;
}

const DASH = '\u2013';

export function fmtMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return DASH;
  if (ms < 1000) return Math.round(ms) + ' ms';
  const s = ms / 1000;
  if (s < 60) return s.toFixed(1) + ' s';
  const m = Math.floor(s / 60);
  if (m < 60) return m + ' min ' + Math.round(s - m * 60) + ' s';
  const hh = Math.floor(m / 60);
  return hh + ' h ' + (m - hh * 60) + ' min';
}

export function fmtDate(iso: string | null | undefined): string {
  if (!iso) return DASH;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');
}

export function yn(b: boolean | null | undefined): string {
  return b === null || b === undefined ? 'unknown' : b ? 'yes' : 'no';
}

const ERRNO: Record<number, string> = {
  1: 'EPERM',
  2: 'ENOENT',
  14: 'EFAULT',
  16: 'EBUSY',
  22: 'EINVAL',
  38: 'ENOSYS',
};

export function errno(n: number | null | undefined): string {
  if (n === null || n === undefined) return DASH;
  const name = ERRNO[n];
  return name ? n + ' (' + name + ')' : String(n);
}

export function num(n: number): string {
  return Number(n).toLocaleString('en-US');
}

export function plural(n: number, one: string, many?: string): string {
  return num(n) + ' ' + (n === 1 ? one : many || one + 's');
}

export function copyText(text: string, b: HTMLElement): void {
  function done(ok: boolean) {
    const old = b.textContent;
    b.textContent = ok ? 'Copied' : 'Press Ctrl+C';
    b.classList.add('done');
    setTimeout(() => {
      b.textContent = old;
      b.classList.remove('done');
    }, 1400);
  }
  function fallback() {
    const ta = h('textarea', 'offscreen');
    ta.value = text;
    document.body.appendChild(ta);
    ta.select();
    let ok = false;
    try {
      // The clipboard API is missing or refused (file:// in some browsers): the old way still works.
      ok = document.execCommand('copy');
    } catch {
      ok = false;
    }
    document.body.removeChild(ta);
    done(ok);
  }
  if (navigator.clipboard?.writeText) navigator.clipboard.writeText(text).then(() => done(true), fallback);
  else fallback();
}

export function codeBlock(text: string, label?: string): HTMLDivElement {
  const pre = h('pre', 'code', text);
  const b = btn('copy', 'Copy', null, 'Copy ' + (label || 'to the clipboard'));
  b.addEventListener('click', () => copyText(text, b));
  return h('div', 'codewrap', [pre, b]);
}
