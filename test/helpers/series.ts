/**
 * Test helper: makes a REAL posted series, the mbox that `git format-patch --stdout` writes, from patch
 * files applied on the files they touch as a glibc source tarball has them. Only those files are
 * extracted (a tarball of glibc is large); the base is committed with a fixed author and date, each
 * patch is applied with `patch -p1` and committed with its subject and body, and the cover letter's
 * placeholders are filled in.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';

export interface ExportSeriesOptions {
  /** A glibc source tarball, e.g. glibc_2.36.orig.tar.xz. */
  tarball: string;
  /** Its top folder; by default 'glibc-X.Y' from the tarball's name. */
  topDir?: string;
  /** Patch files (a unified diff for `patch -p1`, free text before it is fine) and their commits. */
  patches: { path: string; subject: string; body?: string }[];
  /** The cover letter's subject and blurb (ASCII); without it, no cover letter. */
  cover?: { subject: string; body: string };
  /** 'v3' → [PATCH v3 n/m]. */
  version?: string;
  /** The mbox to write. */
  out: string;
}

/** The same author, committer and dates every time, and no user or system git configuration. */
const GIT_ENV = {
  GIT_AUTHOR_NAME: 'Ada Reviewer',
  GIT_AUTHOR_EMAIL: 'ada@example.org',
  GIT_AUTHOR_DATE: '2024-03-01T12:00:00+00:00',
  GIT_COMMITTER_NAME: 'Ada Reviewer',
  GIT_COMMITTER_EMAIL: 'ada@example.org',
  GIT_COMMITTER_DATE: '2024-03-01T12:00:00+00:00',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
};
const IDENTITY = ['-c', 'user.name=Ada Reviewer', '-c', 'user.email=ada@example.org'];

/** The paths a unified diff names on its ---/+++ lines, without their first component (-p1). */
function touchedPaths(diff: string): string[] {
  const paths = new Set<string>();
  for (const m of diff.matchAll(/^(?:---|\+\+\+) ([^\t\n]+)/gm)) {
    const p = (m[1] ?? '').trim();
    if (p === '/dev/null' || !p.includes('/')) continue;
    paths.add(p.slice(p.indexOf('/') + 1));
  }
  return [...paths];
}

export async function exportSeries(opts: ExportSeriesOptions): Promise<string> {
  const tarball = resolve(opts.tarball);
  const release = /glibc[-_](\d+\.\d+(?:\.\d+)?)/.exec(tarball)?.[1];
  const top = opts.topDir ?? (release ? `glibc-${release}` : undefined);
  if (!top) throw new Error(`exportSeries: give topDir, there is none to guess from ${tarball}`);
  const work = await mkdtemp(join(tmpdir(), 'rseq-matrix-series-'));
  try {
    const patchTexts = await Promise.all(opts.patches.map((p) => readFile(resolve(p.path), 'utf8')));
    for (const [i, text] of patchTexts.entries())
      if (touchedPaths(text).length === 0)
        throw new Error(`exportSeries: ${opts.patches[i]?.path} has no diff`);
    const members = [...new Set(patchTexts.flatMap(touchedPaths))].map((p) => `${top}/${p}`);
    // Files a patch creates are not in the tarball: tar says so and extracts the others.
    const tar = await execa('tar', ['-xf', tarball, '-C', work, ...members], { reject: false });
    const complaints = tar.stderr
      .split('\n')
      .filter((l) => l.trim() && !/Not found in archive|Exiting with failure status/.test(l));
    if (tar.exitCode !== 0 && complaints.length > 0)
      throw new Error(`exportSeries: tar -xf ${tarball}: ${complaints.join('; ')}`);
    const repo = join(work, top);
    await mkdir(repo, { recursive: true });
    const git = (...args: string[]) => execa('git', [...IDENTITY, ...args], { cwd: repo, env: GIT_ENV });
    await git('init', '-q');
    await git('add', '-A');
    await git('commit', '-q', '--allow-empty', '-m', 'base: the files the series touches');
    const base = (await git('rev-parse', 'HEAD')).stdout.trim();
    for (const p of opts.patches) {
      await execa('patch', ['-p1', '--batch', '--no-backup-if-mismatch', '-i', resolve(p.path)], {
        cwd: repo,
      });
      await git('add', '-A');
      const message = p.body ? ['-m', p.subject, '-m', p.body] : ['-m', p.subject];
      await git('commit', '-q', ...message);
    }
    const args = ['format-patch', '--stdout'];
    if (opts.cover) args.push('--cover-letter');
    if (opts.version) args.push(`--subject-prefix=PATCH ${opts.version}`);
    let mbox = (await git(...args, `${base}..HEAD`)).stdout;
    if (opts.cover) {
      mbox = mbox
        .replace('*** SUBJECT HERE ***', opts.cover.subject)
        .replace('*** BLURB HERE ***', opts.cover.body);
    }
    await writeFile(opts.out, mbox.endsWith('\n') ? mbox : `${mbox}\n`);
    return opts.out;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
