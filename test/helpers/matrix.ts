/** Matrix files for the tests, written from a small object instead of YAML text. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import type { GlibcEntry, MatrixDoc } from '../../harness/matrix/schema.js';

/** A matrix without its schemaVersion (always 1); links and scenarios default to [shared] and [default]. */
export type MatrixSpec = Omit<MatrixDoc, 'schemaVersion' | 'links' | 'scenarios'> &
  Partial<Pick<MatrixDoc, 'links' | 'scenarios'>>;

/** Writes `<dir>/<name>.yaml` and returns its path. */
export function writeMatrix(dir: string, spec: MatrixSpec): string {
  const { name, glibc, variants, links = ['shared'], scenarios = ['default'], ...rest } = spec;
  const doc = { schemaVersion: 1, name, glibc, variants, links, scenarios, ...rest };
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, yaml.dump(doc, { lineWidth: -1, noRefs: true }));
  return file;
}

/** Debian 12's own glibc (no build: the toolchain image's libc). */
export const STOCK_BOOKWORM: GlibcEntry = { id: 'bookworm', source: 'stock', suite: 'bookworm' };

/** The glibc tests matrices/pristine-2.36.yaml runs (the same build key as its builds). */
export const RSEQ_GLIBC_TESTS = ['misc/tst-rseq', 'misc/tst-rseq-disable', 'nptl/tst-rseq-nptl'];

/** Upstream glibc 2.36 from Debian's orig tarball (no Debian patches), as matrices/pristine-2.36.yaml has it. */
export function glibc236(o: { version?: string; mirror?: string } = {}): GlibcEntry {
  return {
    id: 'glibc-2.36',
    source: 'debian',
    debian: {
      suite: 'bookworm',
      version: o.version ?? 'latest',
      debianPatches: false,
      ...(o.mirror ? { mirror: o.mirror } : {}),
    },
  };
}
