/**
 * The cache layer (harness/cache) on temporary folders, no Docker: the cheap (size + mtime) and full
 * (sha256) checks of an entry, staged entries and whole files, the per-key lock, and `cache gc` / `cache ls`
 * over every kind of entry.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import t, { type Test } from 'tap';
import { verifyEntry } from '../../harness/builder/glibc.js';
import { filesUnder, sha256File, treeDigests, treeSize } from '../../harness/cache/digest.js';
import { makeEntry, publishFile, writeWhole } from '../../harness/cache/entry.js';
import { gcCache, listCache } from '../../harness/cache/gc.js';
import { lockHeld, withLock } from '../../harness/cache/lock.js';
import { checkEntry, checkTree, manifestText, recordTree } from '../../harness/cache/verify.js';
import { buildProgram } from '../../harness/cli/program.js';

const DAY = 86_400_000;

function tmp(t: Test): string {
  const d = mkdtempSync(join(tmpdir(), 'rm-cache-test-'));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

function write(path: string, text: string, ageMs?: number): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  if (ageMs !== undefined) age(path, ageMs);
}

function age(path: string, ageMs: number): void {
  const when = new Date(Date.now() - ageMs);
  utimesSync(path, when, when);
}

/** A hash that counts its calls. */
function countingHash() {
  const calls: string[] = [];
  return {
    calls,
    hash: async (p: string) => {
      calls.push(p);
      return sha256File(p);
    },
  };
}

/** A glibc-like entry: install/ with a few files and a symlink, and its manifest (with or without stats). */
async function makeBuildEntry(dir: string, opts: { stats?: boolean } = {}) {
  write(join(dir, 'install', 'lib', 'libc.so.6'), 'the C library, version one');
  write(join(dir, 'install', 'lib', 'ld-linux-x86-64.so.2'), 'the dynamic linker');
  write(join(dir, 'install', 'include', 'sys', 'rseq.h'), '#define RSEQ 1\n');
  symlinkSync('libc.so.6', join(dir, 'install', 'lib', 'libc.so'));
  const rec = await recordTree(join(dir, 'install'));
  const manifest = {
    key: 'k',
    description: 'test build',
    mode: 'cold',
    createdAt: new Date().toISOString(),
    files: rec.files,
    ...(opts.stats === false ? {} : { stats: rec.stats }),
  };
  writeFileSync(join(dir, 'manifest.json'), manifestText(manifest));
  return manifest;
}

/** Rewrites a file with other content of the same size and puts its mtime back (`touch -r`). */
function sameSizeSameMtime(path: string, text: string): void {
  if (Buffer.byteLength(text) !== statSync(path).size) throw new Error('not the same size');
  const ref = `${path}.ref`;
  execFileSync('touch', ['-r', path, ref]);
  writeFileSync(path, text);
  execFileSync('touch', ['-r', ref, path]);
  rmSync(ref);
}

t.test('the tree walker serves digests, sizes and file lists', async (t) => {
  const d = tmp(t);
  write(join(d, 'b', 'x'), 'xx');
  write(join(d, 'a'), 'a');
  symlinkSync('a', join(d, 'l'));
  t.same(Object.keys(await treeDigests(d)), ['a', 'b/x', 'l']);
  t.equal((await treeDigests(d)).l, 'link:a');
  t.equal(await treeSize(d), 3, 'sizes of regular files only');
  t.same(await filesUnder(d), [join(d, 'a'), join(d, 'b', 'x')]);
  t.equal(await treeSize(join(d, 'nothing')), 0, 'a missing folder has no size');
});

t.test('the cheap check: an unchanged entry passes without hashing anything', async (t) => {
  const d = tmp(t);
  const m = await makeBuildEntry(d);
  t.ok(Object.keys(m.stats ?? {}).length === 3, 'the manifest records size and mtime of each file');
  t.notOk('lib/libc.so' in (m.stats ?? {}), 'a symlink is checked by its target, not by stats');
  const h = countingHash();
  const r = await checkEntry(d, 'install', { hash: h.hash });
  t.same(r, { check: 'cheap' });
  t.equal(h.calls.length, 0, 'no file was hashed');
  t.equal(await verifyEntry(d), undefined, 'the glibc build check agrees');
});

t.test('a file changed with a new mtime is caught by the full check it falls back to', async (t) => {
  const d = tmp(t);
  await makeBuildEntry(d);
  const victim = join(d, 'install', 'lib', 'libc.so.6');
  writeFileSync(victim, 'the C library, version two'); // same size: only the mtime tells
  age(victim, -5000);
  const h = countingHash();
  const r = await checkEntry(d, 'install', { hash: h.hash });
  t.equal(r.check, 'full');
  t.match(r.why, /lib\/libc\.so\.6 changed size or mtime/);
  t.equal(r.damage, 'lib/libc.so.6 does not match its checksum');
  t.ok(h.calls.length > 0, 'the files were hashed');
  // As the damage test of build.integration.test.ts does it: other content, other size.
  writeFileSync(victim, 'not a libc');
  t.equal(await verifyEntry(d), 'lib/libc.so.6 does not match its checksum');
});

t.test(
  'a same-size, same-mtime change: the cheap check misses it, the full check (--verify) does not',
  async (t) => {
    const d = tmp(t);
    await makeBuildEntry(d);
    sameSizeSameMtime(join(d, 'install', 'lib', 'libc.so.6'), 'the C library, version 2!!');
    t.equal(await verifyEntry(d), undefined, 'cheap: sizes and mtimes match (the documented limit)');
    const h = countingHash();
    const r = await checkEntry(d, 'install', { full: true, hash: h.hash });
    t.equal(r.why, 'a full check was asked for');
    t.equal(r.damage, 'lib/libc.so.6 does not match its checksum');
    t.equal(await verifyEntry(d, { full: true }), 'lib/libc.so.6 does not match its checksum');
    const run = buildProgram().commands.find((c) => c.name() === 'run');
    t.ok(
      run?.options.some((o) => o.long === '--verify'),
      'run has --verify, which sets the full check',
    );
  },
);

t.test('missing, extra and relinked files', async (t) => {
  const d = tmp(t);
  await makeBuildEntry(d);
  write(join(d, 'install', 'lib', 'extra.so'), 'not in the manifest');
  const extra = await checkEntry(d, 'install');
  t.equal(extra.check, 'full', 'an extra file makes the check a full one');
  t.match(extra.why, /lib\/extra\.so is not in the manifest/);
  t.equal(extra.damage, undefined, 'an extra file is not damage (as before)');
  rmSync(join(d, 'install', 'lib', 'libc.so'));
  symlinkSync('ld-linux-x86-64.so.2', join(d, 'install', 'lib', 'libc.so'));
  t.equal(await verifyEntry(d), 'lib/libc.so does not match its checksum', 'a symlink to elsewhere');
  rmSync(join(d, 'install', 'include', 'sys', 'rseq.h'));
  t.equal(await verifyEntry(d), 'include/sys/rseq.h is missing');
  rmSync(join(d, 'manifest.json'));
  t.equal(await verifyEntry(d), 'manifest.json is missing or unreadable');
});

t.test(
  'an old manifest without stats: one full check, then the manifest is upgraded and cheap',
  async (t) => {
    const d = tmp(t);
    const m = await makeBuildEntry(d, { stats: false });
    t.notOk('stats' in m);
    const first = countingHash();
    const r1 = await checkEntry(d, 'install', { hash: first.hash });
    t.equal(r1.check, 'full');
    t.equal(r1.why, 'the manifest records no sizes and mtimes');
    t.equal(r1.damage, undefined);
    t.equal(first.calls.length, 3, 'every regular file hashed once');
    const upgraded = JSON.parse(readFileSync(join(d, 'manifest.json'), 'utf8'));
    t.same(Object.keys(upgraded.stats).sort(), [
      'include/sys/rseq.h',
      'lib/ld-linux-x86-64.so.2',
      'lib/libc.so.6',
    ]);
    t.same(upgraded.files, m.files, 'the digests are untouched');
    t.equal(upgraded.description, 'test build', 'every other field is kept');
    const second = countingHash();
    t.same(await checkEntry(d, 'install', { hash: second.hash }), { check: 'cheap' });
    t.equal(second.calls.length, 0);
  },
);

t.test('a tree copied without its mtimes: the full check passes and records the new ones', async (t) => {
  const d = tmp(t);
  await makeBuildEntry(d);
  for (const f of ['lib/libc.so.6', 'lib/ld-linux-x86-64.so.2', 'include/sys/rseq.h'])
    age(join(d, 'install', f), -60_000);
  const r = await checkEntry(d, 'install');
  t.equal(r.check, 'full');
  t.equal(r.damage, undefined);
  t.ok(r.stats, 'new stats to record');
  t.same(await checkEntry(d, 'install'), { check: 'cheap' }, 'cheap again afterwards');
  t.same(await checkTree(join(d, 'install'), { files: {} }), {
    check: 'full',
    why: 'the manifest records no sizes and mtimes',
    stats: {},
  });
});

t.test('a staged entry is renamed into place whole, or leaves nothing', async (t) => {
  const root = tmp(t);
  const made = await makeEntry({
    root,
    key: 'k1',
    fill: async (stage) => {
      t.match(stage, /\/\.tmp-k1-[0-9a-f]{8}$/, 'staged under .tmp-KEY-<random>');
      writeFileSync(join(stage, 'bin'), 'x');
      return 42;
    },
  });
  t.same(made, { dir: join(root, 'k1'), value: 42, ours: true });
  t.ok(existsSync(join(root, 'k1', '.complete')), 'sealed with .complete by default');
  await t.rejects(
    makeEntry({
      root,
      key: 'k2',
      fill: async (stage) => {
        writeFileSync(join(stage, 'half'), 'x');
        throw new Error('the compiler failed');
      },
    }),
    /the compiler failed/,
  );
  t.same(readdirSync(root), ['k1'], 'no stage and no entry left by the failure');
  // Two runs make the same key at once: both succeed, one of them keeps the other's entry.
  const both = await Promise.all(
    ['a', 'b'].map((who) =>
      makeEntry({
        root,
        key: 'k3',
        fill: async (stage) => {
          writeFileSync(join(stage, 'who'), who);
          await new Promise((r) => setTimeout(r, 20));
        },
      }),
    ),
  );
  t.same(
    both.map((b) => b.ours).sort(),
    [false, true],
    "the second finds the first's entry: theirs is as good",
  );
  t.ok(existsSync(join(root, 'k3', 'who')));
  // A folder without its seal (an older harness's leftover) is replaced.
  mkdirSync(join(root, 'k4'));
  writeFileSync(join(root, 'k4', 'junk'), 'x');
  const k4 = await makeEntry({ root, key: 'k4', fill: async (s) => writeFileSync(join(s, 'bin'), 'y') });
  t.equal(k4.ours, true);
  t.notOk(existsSync(join(root, 'k4', 'junk')));
  // A custom seal: a manifest.
  await makeEntry({
    root,
    key: 'k5',
    fill: async () => ({ files: {} }),
    seal: async (s, m) => writeFileSync(join(s, 'manifest.json'), JSON.stringify(m)),
    isWhole: (dir) => existsSync(join(dir, 'manifest.json')),
  });
  t.ok(existsSync(join(root, 'k5', 'manifest.json')));
  t.same(
    readdirSync(root).filter((n) => n.startsWith('.')),
    [],
    'no stage is left',
  );
});

t.test('a file is written whole or not at all', async (t) => {
  const d = tmp(t);
  await writeWhole(join(d, 'sub', 'index.json'), '[1]', { mkdir: true });
  t.equal(readFileSync(join(d, 'sub', 'index.json'), 'utf8'), '[1]');
  await t.rejects(
    publishFile(join(d, 'blob'), async (part) => {
      t.match(part, /blob\.\d+-[0-9a-f]{8}\.part$/);
      writeFileSync(part, 'half a download');
      throw new Error('checksum mismatch');
    }),
    /checksum mismatch/,
  );
  t.same(readdirSync(d), ['sub'], 'neither the file nor its .part is left');
});

/** A pid no process has (a child that has exited). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(r.stdout.toString());
}

t.test('the per-key lock', async (t) => {
  const d = tmp(t);
  const lock = join(d, 'k.lock');
  t.notOk(lockHeld(lock), 'no lock');
  await withLock(lock, async () => {
    t.ok(lockHeld(lock), 'held by this process');
  });
  t.notOk(existsSync(lock), 'released');
  mkdirSync(lock);
  writeFileSync(join(lock, 'pid'), String(deadPid()));
  t.notOk(lockHeld(lock), 'a dead owner holds nothing');
  let ran = false;
  await withLock(lock, async () => {
    ran = true;
  });
  t.ok(ran, "a dead owner's lock is taken over");
});

t.test(
  'cache gc removes old entries and leftovers of every kind, and keeps locked and recent ones',
  async (t) => {
    const c = tmp(t);
    const old = 40 * DAY;
    const hour = 3600_000;
    const entry = (path: string, mark: string, ms: number) => {
      write(join(c, path, 'payload'), 'x'.repeat(100));
      write(join(c, path, mark), '{}', ms);
    };
    const lock = (path: string, pid: number) => {
      mkdirSync(join(c, path), { recursive: true });
      writeFileSync(join(c, path, 'pid'), String(pid));
    };
    // builds
    entry('builds/0000000000000old', 'manifest.json', old);
    entry('builds/000000000000fresh', 'manifest.json', DAY);
    entry('builds/00000000000locked', 'manifest.json', old);
    lock('builds/00000000000locked.lock', process.pid);
    entry('builds/.tmp-0000000000dead-1a2b3c4d', 'meta', 0);
    entry('builds/.tmp-0000000000live-1a2b3c4d', 'meta', 0);
    lock('builds/0000000000live.lock', process.pid);
    lock('builds/000000000stale.lock', deadPid());
    write(join(c, 'builds/failed/0000000000000old.log'), 'log', old);
    write(join(c, 'builds/failed/000000000000fresh.log'), 'log', DAY);
    // compiled probes and clients, selftest trees
    entry('probes/old-probes', '.complete', old);
    entry('probes/fresh-probes', '.complete', DAY);
    entry('probes/.tmp-dead-probes-00000000', '.complete', 2 * hour);
    age(join(c, 'probes/.tmp-dead-probes-00000000'), 2 * hour);
    entry('probes/.tmp-young-probes-00000000', 'x', 0);
    entry('clients/bin/old-clients', '.complete', old);
    entry('clients/bin/fresh-clients', '.complete', 0);
    entry('clients/selftests/00000000000old', 'source.json', old);
    entry('clients/selftests/0000000000fresh', 'source.json', 0);
    entry('clients/selftests/0000000000fresh.tmp-1a2b3c4d', 'x', 2 * hour);
    age(join(c, 'clients/selftests/0000000000fresh.tmp-1a2b3c4d'), 2 * hour);
    // sources: the blobs stay however old; what dead downloads left goes
    write(join(c, 'sources/blobs/abcd-glibc_2.36.orig.tar.xz'), 'tarball', old);
    write(join(c, 'sources/blobs/abcd-glibc_2.36.orig.tar.xz.4242-1a2b3c4d.part'), 'half', 2 * hour);
    write(join(c, 'sources/blobs/abcd-glibc_2.37.orig.tar.xz.4243-1a2b3c4d.part'), 'downloading', 0);
    write(join(c, 'sources/git/0123.tar.part'), 'half', 2 * hour);
    write(join(c, 'sources/index/.tmp-x-1a2b3c4d/inside'), 'half', 2 * hour);
    age(join(c, 'sources/index/.tmp-x-1a2b3c4d'), 2 * hour);
    write(join(c, 'sources/index/bookworm-2020-01-01.v2.json'), '[]', old);
    // ccache: files by age, its configuration kept
    write(join(c, 'ccache/a/b/old.o'), 'object', old);
    write(join(c, 'ccache/a/b/fresh.o'), 'object', 0);
    write(join(c, 'ccache/ccache.conf'), 'max_size = 5G', old);

    const listed = await listCache(c);
    t.same(
      [...new Set(listed.map((e) => e.folder))].sort(),
      ['builds', 'clients/bin', 'clients/selftests', 'probes'],
      'cache ls lists every kind of entry',
    );
    t.notOk(
      listed.some((e) => e.key.startsWith('.') || e.key.endsWith('.lock')),
      'but no temporaries or locks',
    );
    t.equal(listed.find((e) => e.key === '0000000000000old')?.description, '(damaged: no manifest)');

    const r = await gcCache(c, 30);
    t.same(
      r.removed.sort(),
      [
        'builds/.tmp-0000000000dead-1a2b3c4d',
        'builds/0000000000000old',
        'builds/000000000stale.lock',
        'builds/failed/0000000000000old.log',
        'ccache: 1 files',
        'clients/bin/old-clients',
        'clients/selftests/00000000000old',
        'clients/selftests/0000000000fresh.tmp-1a2b3c4d',
        'probes/.tmp-dead-probes-00000000',
        'probes/old-probes',
        'sources/blobs/abcd-glibc_2.36.orig.tar.xz.4242-1a2b3c4d.part',
        'sources/git/0123.tar.part',
        'sources/index/.tmp-x-1a2b3c4d',
      ].sort(),
    );
    t.ok(r.freed > 0);
    for (const kept of [
      'builds/000000000000fresh',
      'builds/00000000000locked',
      'builds/.tmp-0000000000live-1a2b3c4d',
      'builds/0000000000live.lock',
      'builds/failed/000000000000fresh.log',
      'probes/fresh-probes',
      'probes/.tmp-young-probes-00000000',
      'clients/bin/fresh-clients',
      'clients/selftests/0000000000fresh',
      'sources/blobs/abcd-glibc_2.36.orig.tar.xz',
      'sources/blobs/abcd-glibc_2.37.orig.tar.xz.4243-1a2b3c4d.part',
      'sources/index/bookworm-2020-01-01.v2.json',
      'ccache/a/b/fresh.o',
      'ccache/ccache.conf',
    ])
      t.ok(existsSync(join(c, kept)), `kept: ${kept}`);
    t.same((await gcCache(c, 30)).removed, [], 'a second gc finds nothing');
  },
);
