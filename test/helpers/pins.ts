/**
 * Debian versions the tests were written for. A matrix that says `version: latest` follows the mirror
 * (sid moves daily); a test that depends on what it measured pins the version instead, through a copy
 * of the matrix with the pins written in. While the mirror serves a pinned version the test runs on
 * it; when the mirror no longer does, the test says so by name: a failure under CI=true (update the pin
 * here, and the test's expectations if they changed), a skip with that reason elsewhere.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import yaml from 'js-yaml';
import type { Test } from 'tap';
import { requirePrereq } from './prereq.js';

const MIRROR = 'http://deb.debian.org/debian';

/** Per glibc entry id of the shipped matrices: the Debian `glibc` source version it was tested on. */
export const GLIBC_PINS: Record<string, string> = {
  'glibc-2.36': '2.36-9+deb12u14',
  'glibc-sid': '2.43-6',
};
/** The Debian `linux` source version whose rseq selftests the tests ran. */
export const SELFTESTS_PIN = '6.12.107-1';

/** The .dsc of a Debian source version in the mirror's pool. */
export function dscUrl(pkg: string, version: string): string {
  const dir = pkg.startsWith('lib') ? pkg.slice(0, 4) : pkg.slice(0, 1);
  return `${MIRROR}/pool/main/${dir}/${pkg}/${pkg}_${version.replace(/^\d+:/, '')}.dsc`;
}

/** Whether the mirror serves that version: false when it does, else why not. */
async function missingOnMirror(pkg: string, version: string): Promise<string | false> {
  const url = dscUrl(pkg, version);
  try {
    const r = await fetch(url, { method: 'HEAD', signal: AbortSignal.timeout(15_000) });
    if (r.ok) return false;
    return `the mirror no longer serves ${pkg} ${version} (${url}: HTTP ${r.status}); update the pin in test/helpers/pins.ts`;
  } catch (e) {
    return `${url} does not answer: ${(e as Error).message}`;
  }
}

interface MatrixYaml {
  glibc: { id: string; debian?: { version?: string } }[];
  clients?: { selftests?: { version?: string; suite?: string } };
}

/**
 * Writes `<dir>/<name of file>` with every pinned glibc entry and the selftests pinned, and returns its
 * path; or, when the mirror lacks a pinned version, records that (fail under CI=true, else skip) and
 * returns undefined.
 */
export async function pinnedMatrix(t: Test, file: string, dir: string): Promise<string | undefined> {
  const doc = yaml.load(readFileSync(file, 'utf8')) as MatrixYaml;
  const wanted: [string, string][] = [];
  for (const g of doc.glibc) {
    const pin = GLIBC_PINS[g.id];
    if (g.debian && pin) {
      g.debian.version = pin;
      wanted.push(['glibc', pin]);
    }
  }
  if (doc.clients?.selftests) {
    doc.clients.selftests.version = SELFTESTS_PIN;
    wanted.push(['linux', SELFTESTS_PIN]);
  }
  for (const [pkg, version] of wanted) {
    const missing = await missingOnMirror(pkg, version);
    if (!requirePrereq(t, `Debian ${pkg} ${version} on the mirror`, missing)) return undefined;
  }
  const out = join(dir, basename(file));
  writeFileSync(out, yaml.dump(doc, { lineWidth: -1, noRefs: true }));
  return out;
}
