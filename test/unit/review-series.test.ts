/**
 * parseSeries (harness/review/series.ts): a posted series read into its cover letter and patches, with
 * every rule of its numbering and every hunk's counts checked, each error naming file and line. Inline
 * mbox texts for each rule; readSeries on a folder; and a series that real `git format-patch` made from
 * the repository's own patches on glibc 2.36's files, parsed back, is test/host/review-series-git.test.ts
 * (it needs the glibc 2.36 tarball, git and patch).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { parseSeries, type SeriesInput } from '../../harness/review/series.js';
import { readSeries } from '../../harness/review/series-files.js';
import { InputError } from '../../harness/util/errors.js';

/** A small git diff of elf/x.c: its hunk takes 3 old lines and gives 4 new ones. */
const DIFF_X = [
  'diff --git a/elf/x.c b/elf/x.c',
  'index 1111111..2222222 100644',
  '--- a/elf/x.c',
  '+++ b/elf/x.c',
  '@@ -10,3 +10,4 @@ int f (void)',
  ' a',
  '-b',
  '+B',
  '+c',
  ' d',
].join('\n');

const diffOf = (file: string) => DIFF_X.replaceAll('elf/x.c', file);

interface MailOpts {
  /** The whole [...] tag; by default [PATCH n/m], or [PATCH] without n. */
  tag?: string;
  n?: number;
  m?: number;
  subject: string;
  from?: string;
  date?: string;
  id?: string;
  body?: string;
  /** The diff, or null for a mail without one. */
  diff?: string | null;
}

/** One mail as `git format-patch --stdout` writes it: separator, headers, message, ---, stat, diff, signature. */
function mail(o: MailOpts): string {
  const tag = o.tag ?? (o.n === undefined ? '[PATCH]' : `[PATCH ${o.n}/${o.m}]`);
  const diff = o.diff === undefined ? DIFF_X : o.diff;
  const lines = [
    'From 0123456789abcdef0123456789abcdef01234567 Mon Sep 17 00:00:00 2001',
    `From: ${o.from ?? 'Ada Reviewer <ada@example.org>'}`,
    `Date: ${o.date ?? 'Fri, 1 Mar 2024 12:00:00 +0000'}`,
    `Subject: ${tag} ${o.subject}`,
    `Message-Id: <${o.id ?? `${o.subject.replace(/\W+/g, '-')}@example.org`}>`,
    '',
    o.body ?? `Why: ${o.subject}.`,
  ];
  if (diff !== null)
    lines.push('---', ' elf/x.c | 3 ++-', ' 1 file changed, 2 insertions(+), 1 deletion(-)', '', diff);
  lines.push('-- ', '2.39.5', '', '');
  return lines.join('\n');
}

/** The 1-based line of the `nth` line (1-based) of `text` that starts with `start`. */
function lineOf(text: string, start: string, nth = 1): number {
  let seen = 0;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) if (lines[i]?.startsWith(start) && ++seen === nth) return i + 1;
  throw new Error(`no line ${nth} starting with ${JSON.stringify(start)}`);
}

/** The InputError parseSeries throws, as its message (fails the test when there is none). */
function errorOf(t: Test, inputs: SeriesInput[]): string {
  try {
    parseSeries(inputs);
  } catch (e) {
    t.type(e, InputError, 'an InputError');
    t.notMatch((e as Error).message, /\n/, 'on one line');
    return (e as Error).message;
  }
  t.fail('parseSeries accepted it');
  return '';
}

const mbox = (...mails: string[]): SeriesInput[] => [{ name: 'series.mbox', text: mails.join('') }];

t.test('an mbox of a cover letter and two patches: fields, order of lines, origins', async (t) => {
  const text = [
    mail({
      tag: '[PATCH v3 0/2]',
      subject: 'rseq: register later',
      body: 'The blurb.\n\nAda Reviewer (2):',
      diff: null,
    }),
    mail({
      tag: '[PATCH v3 1/2]',
      subject: 'elf: first',
      body: 'First change.\n\nSigned-off-by: Ada',
      id: 'one@x',
    }),
    mail({ tag: '[PATCH v3 2/2]', subject: 'elf: second', diff: diffOf('elf/y.c') }),
  ].join('');
  const s = parseSeries([{ name: 'series.mbox', text }]);
  t.equal(s.version, 'v3');
  t.same(s.cover, {
    subject: 'rseq: register later',
    author: 'Ada Reviewer <ada@example.org>',
    date: 'Fri, 1 Mar 2024 12:00:00 +0000',
    body: 'The blurb.\n\nAda Reviewer (2):',
    origin: 'series.mbox:1',
  });
  t.same(
    s.patches.map((p) => [p.index, p.total, p.version, p.subject, p.files, p.origin]),
    [
      [1, 2, 'v3', 'elf: first', ['elf/x.c'], `series.mbox:${lineOf(text, 'From 0123', 2)}`],
      [2, 2, 'v3', 'elf: second', ['elf/y.c'], `series.mbox:${lineOf(text, 'From 0123', 3)}`],
    ],
  );
  const [first] = s.patches;
  t.equal(first?.description, 'First change.\n\nSigned-off-by: Ada', 'the message, without the --- and stat');
  t.equal(first?.diff, `${DIFF_X}\n`, "the diff from 'diff --git' to its last hunk line, no signature");
  t.equal(first?.messageId, 'one@x');
  t.equal(first?.author, 'Ada Reviewer <ada@example.org>');
  t.equal(first?.date, 'Fri, 1 Mar 2024 12:00:00 +0000');
});

t.test('patches are ordered by n, not by the order of the files', async (t) => {
  const files = [3, 1, 2].map((n) => ({
    name: `000${n}-p.patch`,
    text: mail({ n, m: 3, subject: `patch ${n}`, diff: diffOf(`f${n}.c`) }),
  }));
  const s = parseSeries(files);
  t.same(
    s.patches.map((p) => [p.index, p.subject, p.files[0], p.origin]),
    [1, 2, 3].map((n) => [n, `patch ${n}`, `f${n}.c`, `000${n}-p.patch`]),
  );
  t.equal(s.cover, null);
  t.equal(s.version, null);
});

t.test('the words of the [PATCH ...] tag, and a list tag before it', async (t) => {
  const cases: [string, number, number, string | null][] = [
    ['[RFC PATCH glibc v3 2/4]', 2, 4, 'v3'],
    ['[PATCH v10 1/5]', 1, 5, 'v10'],
    ['[PATCH RESEND 3/3]', 3, 3, null],
    ['[libc-alpha] [PATCHv2 07/12]', 7, 12, 'v2'],
  ];
  for (const [tag, n, m, version] of cases) {
    // Every other patch of the series is there too, so the numbering holds.
    const mails = Array.from({ length: m }, (_, k) =>
      mail({
        tag: tag.replace(`${n}/${m}`, `${k + 1}/${m}`).replace(/0(\d)\//, '$1/'),
        subject: `s${k + 1}`,
      }),
    );
    const p = parseSeries(mbox(...mails)).patches[n - 1];
    t.same([p?.index, p?.total, p?.version, p?.subject], [n, m, version, `s${n}`], tag);
  }
  const bz = parseSeries(mbox(mail({ n: 1, m: 1, subject: '[BZ #123] elf: fix' }))).patches[0];
  t.equal(bz?.subject, '[BZ #123] elf: fix', 'a bracket after the PATCH tag is part of the subject');
});

t.test('headers: folding undone, RFC 2047 words decoded in Subject and From', async (t) => {
  const b64 = Buffer.from('café über', 'utf8').toString('base64');
  const text = mail({ n: 1, m: 1, subject: 'X' })
    .replace(
      'Subject: [PATCH 1/1] X',
      `Subject: =?UTF-8?q?=5BPATCH=201/1=5D_elf:_caf=C3=A9?=\n =?utf-8?b?${b64}?=\n and more`,
    )
    .replace('From: Ada Reviewer', 'From: =?UTF-8?q?Andr=C3=A9?= Reviewer');
  const p = parseSeries([{ name: 'a.mbox', text }]).patches[0];
  t.equal(p?.subject, 'elf: cafécafé über and more');
  t.equal(p?.author, 'André Reviewer <ada@example.org>');
  t.equal(p?.index, 1);
});

t.test("git send-email's in-body From: is the author", async (t) => {
  const text = mail({ n: 1, m: 1, subject: 'X', body: 'From: Bo Author <bo@example.org>\n\nThe why.' });
  const p = parseSeries([{ name: 'a.mbox', text }]).patches[0];
  t.equal(p?.author, 'Bo Author <bo@example.org>');
  t.equal(p?.description, 'The why.');
});

t.test('a quoted-printable body is decoded, its lines keep their numbers', async (t) => {
  const text = mail({ n: 1, m: 1, subject: 'qp', body: 'caf=C3=A9 and a lo=\nng line' })
    .replace(
      'Message-Id:',
      'Content-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: quoted-printable\nMessage-Id:',
    )
    .replace('+B\n', '+x =3D 1;\n');
  const p = parseSeries([{ name: 'qp.mbox', text }]).patches[0];
  t.equal(p?.description, 'café and a long line');
  t.match(p?.diff, /^\+x = 1;$/m);
  const broken = text.replace(' d\n-- ', '-- ');
  t.equal(
    errorOf(t, [{ name: 'qp.mbox', text: broken }]),
    `qp.mbox:${lineOf(broken, '@@')}: patch 1/1 (elf/x.c): hunk @@ -10,3 +10,4 @@ has 2 old lines and 3 new lines, its header says 3 and 4`,
  );
});

t.test(
  "'>From ' in a body is unescaped; a 'From ' line that is no separator stays in the body",
  async (t) => {
    const text = mail({
      n: 1,
      m: 1,
      subject: 'X',
      body: '>From the start of time 10:00 in 2020 it was so.\nFrom Monday at 10:00 in 2020',
    });
    const s = parseSeries([{ name: 'a.mbox', text }]);
    t.equal(s.patches.length, 1);
    t.equal(
      s.patches[0]?.description,
      'From the start of time 10:00 in 2020 it was so.\nFrom Monday at 10:00 in 2020',
    );
  },
);

t.test("a list archive's separators (pipermail, public-inbox) and CRLF line ends", async (t) => {
  const gitFrom = /^From 0123\S+ Mon Sep 17 00:00:00 2001$/m;
  const archive = [
    mail({ n: 1, m: 2, subject: 'one' }).replace(
      gitFrom,
      'From ada at example.org  Fri Mar  1 12:00:00 2024',
    ),
    mail({ n: 2, m: 2, subject: 'two' }).replace(gitFrom, 'From mboxrd@z Thu Jan  1 00:00:00 1970'),
  ].join('');
  const s = parseSeries([{ name: 'thread.mbox', text: archive }]);
  t.same(
    s.patches.map((p) => [p.subject, p.origin]),
    [
      ['one', 'thread.mbox:1'],
      ['two', `thread.mbox:${lineOf(archive, 'From mboxrd@z')}`],
    ],
  );
  const crlf = parseSeries([{ name: 'thread.mbox', text: archive.replace(/\n/g, '\r\n') }]);
  t.same(crlf, s, 'CRLF throughout reads as LF');
});

t.test('a file with headers and no separator is one message; so is a bare diff', async (t) => {
  const eml = mail({ tag: '[PATCH v2]', subject: 'lone' }).split('\n').slice(1).join('\n');
  const s = parseSeries([{ name: 'lone.eml', text: eml }]);
  t.same(
    s.patches.map((p) => [p.index, p.total, p.version, p.subject, p.origin]),
    [[1, 1, 'v2', 'lone', 'lone.eml']],
  );
  const bare = `rseq-matrix: a change\n\nWhy it is.\n\n--- a/elf/x.c\n+++ b/elf/x.c\n@@ -1 +1 @@\n-x\n+y\n`;
  const b = parseSeries([{ name: '0001-x.patch', text: bare }]).patches[0];
  t.equal(b?.subject, 'rseq-matrix: a change', 'the first non-empty line');
  t.equal(b?.description, 'Why it is.');
  t.equal(b?.diff, '--- a/elf/x.c\n+++ b/elf/x.c\n@@ -1 +1 @@\n-x\n+y\n', "'@@ -1 +1 @@' counts 1 line each");
  t.same(b?.files, ['elf/x.c']);
  t.equal(b?.author, '');
  t.equal(b?.messageId, null);
});

t.test('unnumbered patches: input order, total = how many', async (t) => {
  const s = parseSeries([
    { name: 'b.patch', text: mail({ subject: 'second in name, first given', diff: diffOf('b.c') }) },
    { name: 'a.patch', text: mail({ subject: 'then this', diff: diffOf('a.c') }) },
  ]);
  t.same(
    s.patches.map((p) => [p.index, p.total, p.files[0]]),
    [
      [1, 2, 'b.c'],
      [2, 2, 'a.c'],
    ],
  );
});

t.test('numbering errors name file and line', async (t) => {
  const m = (n: number, total: number, tag?: string) =>
    mail({ tag: tag ?? `[PATCH ${n}/${total}]`, subject: `p${n}` });
  const missing = mbox(m(1, 3), m(3, 3));
  t.equal(errorOf(t, missing), 'series.mbox: patch 2/3 is missing (the series has 1/3, 3/3)');

  const dupText = [m(1, 3), m(2, 3), m(2, 3), m(3, 3)].join('');
  t.equal(
    errorOf(t, [{ name: 'series.mbox', text: dupText }]),
    `series.mbox:${lineOf(dupText, 'From 0123', 3)}: patch 2/3 is there twice (also at series.mbox:${lineOf(dupText, 'From 0123', 2)})`,
  );

  const totals = [m(1, 3), m(2, 4)].join('');
  t.equal(
    errorOf(t, [{ name: 'series.mbox', text: totals }]),
    `series.mbox:${lineOf(totals, 'From 0123', 2)}: says 2/4 but series.mbox:1 says 1/3`,
  );

  const above = [m(1, 2), m(3, 2)].join('');
  t.equal(
    errorOf(t, [{ name: 'series.mbox', text: above }]),
    `series.mbox:${lineOf(above, 'From 0123', 2)}: says 3/2, a number above the total`,
  );

  const versions = [m(0, 2, '[PATCH v2 0/2]'), m(1, 2, '[PATCH v2 1/2]'), m(2, 2, '[PATCH v3 2/2]')].join('');
  t.equal(
    errorOf(t, [{ name: 'series.mbox', text: versions }]),
    `series.mbox:${lineOf(versions, 'From 0123', 3)}: patch 2/2 is v3 but series.mbox:1 (the cover letter 0/2) is v2`,
  );
  const noVersion = [m(1, 2, '[PATCH v2 1/2]'), m(2, 2)].join('');
  t.match(
    errorOf(t, [{ name: 's.mbox', text: noVersion }]),
    /^s\.mbox:\d+: patch 2\/2 has no version but s\.mbox:1 \(patch 1\/2\) is v2$/,
  );

  const mixed = [m(1, 2), mail({ subject: 'lone' })].join('');
  t.equal(
    errorOf(t, [{ name: 'series.mbox', text: mixed }]),
    `series.mbox:${lineOf(mixed, 'From 0123', 2)}: a patch without a number ([PATCH]) in a numbered series (series.mbox:1 says 1/2)`,
  );

  const twoCovers = [m(0, 1, '[PATCH 0/1]'), m(0, 1, '[PATCH 0/1]'), m(1, 1)].join('');
  t.match(
    errorOf(t, [{ name: 'c.mbox', text: twoCovers }]),
    /^c\.mbox:\d+: the cover letter 0\/1 is there twice \(also at c\.mbox:1\)$/,
  );

  // Across files, the missing one is placed next to a neighbour.
  const files = [1, 3].map((n) => ({ name: `000${n}.patch`, text: m(n, 3) }));
  t.equal(errorOf(t, files), '0003.patch:1: patch 2/3 is missing (the series has 1/3, 3/3)');
});

t.test('replies and other mails without a diff are skipped; none left is an error', async (t) => {
  const thread = [
    mail({ n: 1, m: 1, subject: 'the patch' }),
    mail({ tag: 'Re: [PATCH 1/1]', subject: 'the patch', body: '> -b\nWhy?', diff: null }),
    mail({ tag: 'Re: [PATCH 1/1]', subject: 'the patch', body: 'Like this:', diff: diffOf('z.c') }),
  ];
  const s = parseSeries(mbox(...thread));
  t.same(
    s.patches.map((p) => [p.subject, p.files]),
    [['the patch', ['elf/x.c']]],
    'the reply with a diff in it is no patch of the series',
  );
  t.equal(
    errorOf(t, mbox(thread[1] ?? '', mail({ tag: '[PATCH 0/1]', subject: 'cover', diff: null }))),
    'series.mbox: no patch in it (2 messages, none with a diff)',
  );
  t.equal(
    errorOf(t, mbox(thread[2] ?? '')),
    'series.mbox: no patch in it (1 message, only replies have a diff)',
  );
});

t.test('hunk counts: a short hunk, a malformed line, an extra line, each at its line', async (t) => {
  const short = mail({ n: 2, m: 2, subject: 'x', diff: DIFF_X.replace('+c\n', '') });
  const text = mail({ n: 1, m: 2, subject: 'ok' }) + short;
  t.equal(
    errorOf(t, [{ name: 'series.mbox', text }]),
    `series.mbox:${lineOf(text, '@@', 2)}: patch 2/2 (elf/x.c): hunk @@ -10,3 +10,4 @@ has 3 new lines, its header says 4`,
  );

  const wrapped = mail({
    n: 1,
    m: 1,
    subject: 'x',
    diff: DIFF_X.replace('+c\n', '+c is a long line that a mailer\nwrapped here\n'),
  });
  t.equal(
    errorOf(t, [{ name: 'w.mbox', text: wrapped }]),
    `w.mbox:${lineOf(wrapped, 'wrapped here')}: patch 1/1 (elf/x.c): a line in hunk @@ -10,3 +10,4 @@ starts with "w", not ' ', '+', '-' or '\\'`,
  );

  const extra = mail({ n: 1, m: 1, subject: 'x', diff: `${DIFF_X}\n+e` });
  t.equal(
    errorOf(t, [{ name: 'e.mbox', text: extra }]),
    `e.mbox:${lineOf(extra, '+e')}: patch 1/1 (elf/x.c): hunk @@ -10,3 +10,4 @@ has more lines than its header counts`,
  );

  const over = mail({ n: 1, m: 1, subject: 'x', diff: DIFF_X.replace('+10,4', '+10,3') });
  t.equal(
    errorOf(t, [{ name: 'o.mbox', text: over }]),
    `o.mbox:${lineOf(over, '@@')}: patch 1/1 (elf/x.c): hunk @@ -10,3 +10,3 @@ has 4 new lines, its header says 3`,
  );

  const badHeader = mail({
    n: 1,
    m: 1,
    subject: 'x',
    diff: DIFF_X.replace('@@ -10,3 +10,4 @@', '@@ -10,3 @@'),
  });
  t.match(
    errorOf(t, [{ name: 'h.mbox', text: badHeader }]),
    /^h\.mbox:\d+: patch 1\/1 \(elf\/x\.c\): malformed hunk header/,
  );

  const bareShort = 'x: y\n\n--- a/f.c\n+++ b/f.c\n@@ -1,2 +1,2 @@\n-x\n+y\n';
  t.equal(
    errorOf(t, [{ name: 'f.diff', text: bareShort }]),
    'f.diff:5: patch 1/1 (f.c): hunk @@ -1,2 +1,2 @@ has 1 old line and 1 new line, its header says 2 and 2',
  );
});

t.test(
  "'\\ No newline' does not count; a removed '- ' line is no signature; files of each kind",
  async (t) => {
    const diff = [
      'diff --git a/gone.c b/gone.c',
      'deleted file mode 100644',
      'index 1111111..0000000',
      '--- a/gone.c',
      '+++ /dev/null',
      '@@ -1,2 +0,0 @@',
      '-x',
      '-- ',
      'diff --git a/new.c b/new.c',
      'new file mode 100644',
      '--- /dev/null',
      '+++ b/new.c',
      '@@ -0,0 +1 @@',
      '+y',
      '\\ No newline at end of file',
      'diff --git a/old.c b/moved.c',
      'similarity index 100%',
      'rename from old.c',
      'rename to moved.c',
    ].join('\n');
    const p = parseSeries([{ name: 'k.mbox', text: mail({ n: 1, m: 1, subject: 'kinds', diff }) }])
      .patches[0];
    t.same(p?.files, ['gone.c', 'new.c', 'moved.c']);
    t.equal(p?.diff, `${diff}\n`);
  },
);

t.test('empty input, empty files', async (t) => {
  t.equal(errorOf(t, []), 'no patch series given: no mbox and no patch file');
  t.equal(errorOf(t, [{ name: 'e.mbox', text: '\n \n' }]), 'e.mbox: empty file, no patch in it');
  t.equal(
    errorOf(t, [
      { name: '0001-a.patch', text: mail({ n: 1, m: 2, subject: 'a' }) },
      { name: '0002-b.patch', text: '' },
    ]),
    '0002-b.patch: empty file, no patch in it',
  );
  t.equal(
    errorOf(t, [{ name: 'notes.txt', text: 'just words\n' }]),
    'notes.txt: no patch in it (1 message, none with a diff)',
  );
});

t.test('readSeries: an mbox file, a folder of .patch files in name order, a missing path', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'review-series-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const folder = join(dir, 'outgoing');
  await mkdir(folder);
  await writeFile(join(folder, '0002-b.patch'), mail({ n: 2, m: 2, subject: 'b' }));
  await writeFile(join(folder, '0001-a.patch'), mail({ n: 1, m: 2, subject: 'a' }));
  await writeFile(join(folder, '0000-cover-letter.patch'), mail({ n: 0, m: 2, subject: 'c', diff: null }));
  await writeFile(join(folder, 'notes.txt'), 'not a patch');
  const s = await readSeries(folder);
  t.equal(s.cover?.origin, join(folder, '0000-cover-letter.patch'));
  t.same(
    s.patches.map((p) => p.origin),
    ['0001-a.patch', '0002-b.patch'].map((f) => join(folder, f)),
  );
  await t.rejects(readSeries(join(dir, 'nope.mbox')), {
    name: 'InputError',
    message: `${join(dir, 'nope.mbox')}: no such file or folder (give an mbox or a folder of .patch files)`,
  });
  await mkdir(join(dir, 'empty'));
  await t.rejects(readSeries(join(dir, 'empty')), {
    name: 'InputError',
    message: /no \.patch or \.diff file/,
  });
});
