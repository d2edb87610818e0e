/**
 * A series that real `git format-patch` made (test/helpers/series.ts) from the repository's own 2.36
 * patches on glibc 2.36's files, parsed back by parseSeries (harness/review/series.ts): the cover
 * letter, each patch's subject, author, description and files, and the same hunks as the patch files.
 * Needs git, patch and the glibc 2.36 tarball of the pinned Debian version (test/helpers/pins.ts),
 * which it takes from the cache or downloads and verifies itself; the parsing rules themselves are unit
 * tests (test/unit/review-series.test.ts).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import yaml from 'js-yaml';
import t from 'tap';
import { resolveSource } from '../../harness/builder/sources.js';
import type { GlibcEntry } from '../../harness/matrix/schema.js';
import { parseSeries } from '../../harness/review/series.js';
import { silentLog } from '../../harness/util/log.js';
import { defaultCacheDir, PATCHES_DIR } from '../../harness/util/paths.js';
import { pinnedMatrix } from '../helpers/pins.js';
import { exportSeries } from '../helpers/series.js';

/** The hunks of a diff: each '@@ -a,b +c,d @@' (function context dropped) with its lines. */
function hunks(diff: string): string[] {
  const out: string[] = [];
  for (const line of diff.split('\n')) {
    const header = /^@@ -\d+(,\d+)? \+\d+(,\d+)? @@/.exec(line);
    if (header) out.push(header[0]);
    else if (out.length > 0 && /^[ +\-\\]/.test(line) && !/^(---|\+\+\+) /.test(line)) out.push(line);
  }
  return out;
}

t.test(
  "git format-patch's own output: the repository's 2.36 patches as a v2 series, parsed back",
  async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'review-series-git-'));
    t.teardown(() => rm(dir, { recursive: true, force: true }));
    const matrix = await pinnedMatrix(t, 'matrices/rseq.yaml', dir);
    if (!matrix) return;
    const doc = yaml.load(await readFile(matrix, 'utf8')) as { glibc: GlibcEntry[] };
    const entry = doc.glibc.find((g) => g.id === 'glibc-2.36');
    if (!entry) throw new Error('no glibc-2.36 in matrices/rseq.yaml');
    // The pinned Debian source's upstream tarball, from the cache or downloaded and verified into it.
    const { tarball } = await resolveSource(entry, defaultCacheDir(), dirname(matrix), silentLog);
    const sources = [
      join(PATCHES_DIR, '2.36', 'common', '0001-defer-main-thread-registration.patch'),
      join(PATCHES_DIR, '2.36', 'early-init', '0002-register-in-libc-early-init.patch'),
    ];
    const out = await exportSeries({
      tarball,
      topDir: 'glibc-2.36',
      patches: [
        {
          path: sources[0] as string,
          subject: 'nptl: defer the main thread rseq registration',
          body: 'Why one.',
        },
        { path: sources[1] as string, subject: 'elf: register rseq in __libc_early_init' },
      ],
      cover: { subject: 'Register rseq from libc.so', body: 'The blurb.' },
      version: 'v2',
      out: join(dir, 'series.mbox'),
    });
    const text = await readFile(out, 'utf8');
    t.match(text, /^From [0-9a-f]{40} Mon Sep 17 00:00:00 2001$/m, 'git wrote an mbox');
    const s = parseSeries([{ name: 'series.mbox', text }]);
    t.equal(s.version, 'v2');
    t.equal(s.cover?.subject, 'Register rseq from libc.so');
    t.match(s.cover?.body, /^The blurb\./);
    t.same(
      s.patches.map((p) => [p.index, p.total, p.subject, p.author]),
      [
        [1, 2, 'nptl: defer the main thread rseq registration', 'Ada Reviewer <ada@example.org>'],
        [2, 2, 'elf: register rseq in __libc_early_init', 'Ada Reviewer <ada@example.org>'],
      ],
    );
    t.equal(s.patches[0]?.description, 'Why one.');
    t.same(s.patches[0]?.files, ['sysdeps/nptl/dl-tls_init_tp.c', 'sysdeps/unix/sysv/linux/rseq-internal.h']);
    t.same(s.patches[1]?.files, ['elf/libc_early_init.c']);
    for (const [i, source] of sources.entries()) {
      const original = parseSeries([{ name: source, text: await readFile(source, 'utf8') }]).patches[0];
      const parsed = s.patches[i];
      t.ok(original && hunks(original.diff).length > 0, `${source} has hunks`);
      t.same(
        hunks(parsed?.diff ?? ''),
        hunks(original?.diff ?? ''),
        `patch ${i + 1}: the same hunks as ${source}`,
      );
      t.notMatch(parsed?.diff, /^-- $/m, 'no signature in the diff');
    }
  },
);
