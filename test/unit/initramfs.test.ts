/**
 * The initramfs writer (harness/vm/initramfs.ts) without Docker: the newc format read back by a parser of
 * this test's own (headers, 4-byte padding, names, modes, devices, the trailer), the folders it adds, the
 * paths it refuses, the gzip layer, the cache by digest of inputs, and a round trip through a real cpio
 * reader (GNU cpio, else bsdtar) where the host has one.
 */
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import t from 'tap';
import {
  cpioArchive,
  ensureInitramfs,
  type InitramfsEntry,
  memberName,
  membersDigest,
  NEWC_HEADER_SIZE,
  newcHeader,
  readMembers,
  S_IFCHR,
  S_IFDIR,
  S_IFLNK,
  S_IFREG,
  TRAILER_NAME,
  withParents,
  writeInitramfs,
} from '../../harness/vm/initramfs.js';
import { requirePrereq, which } from '../helpers/prereq.js';

const tmp = mkdtempSync(join(tmpdir(), 'rseq-matrix-initramfs-'));
t.teardown(() => rmSync(tmp, { recursive: true, force: true }));

/** One member as read back from the bytes, with where its header began. */
interface Parsed {
  offset: number;
  ino: number;
  mode: number;
  uid: number;
  gid: number;
  nlink: number;
  mtime: number;
  rdevMajor: number;
  rdevMinor: number;
  check: number;
  name: string;
  nameSize: number;
  data: Buffer;
}

/** Reads a newc archive member by member, failing on anything the kernel's unpacker would refuse. */
function parseNewc(buf: Buffer): { members: Parsed[]; end: number } {
  const members: Parsed[] = [];
  let off = 0;
  for (;;) {
    if (off % 4 !== 0) throw new Error(`header at ${off}: not 4-byte aligned`);
    const magic = buf.toString('ascii', off, off + 6);
    if (magic !== '070701') throw new Error(`bad magic at ${off}: ${JSON.stringify(magic)}`);
    const text = buf.toString('ascii', off + 6, off + NEWC_HEADER_SIZE);
    if (!/^[0-9A-Fa-f]{104}$/.test(text)) throw new Error(`header at ${off} is not 13 hex fields`);
    const f = (i: number) => Number.parseInt(text.slice(i * 8, i * 8 + 8), 16);
    const nameSize = f(11);
    const fileSize = f(6);
    const nameStart = off + NEWC_HEADER_SIZE;
    if (buf[nameStart + nameSize - 1] !== 0) throw new Error(`name at ${nameStart} is not NUL-terminated`);
    const name = buf.toString('utf8', nameStart, nameStart + nameSize - 1);
    let dataStart = nameStart + nameSize;
    const namePad = (4 - (dataStart % 4)) % 4;
    if (!buf.subarray(dataStart, dataStart + namePad).every((b) => b === 0))
      throw new Error('name padding not zero');
    dataStart += namePad;
    const data = buf.subarray(dataStart, dataStart + fileSize);
    members.push({
      offset: off,
      ino: f(0),
      mode: f(1),
      uid: f(2),
      gid: f(3),
      nlink: f(4),
      mtime: f(5),
      rdevMajor: f(9),
      rdevMinor: f(10),
      check: f(12),
      name,
      nameSize,
      data: Buffer.from(data),
    });
    off = dataStart + fileSize;
    const dataPad = (4 - (off % 4)) % 4;
    if (!buf.subarray(off, off + dataPad).every((b) => b === 0)) throw new Error('data padding not zero');
    off += dataPad;
    if (name === TRAILER_NAME) return { members, end: off };
    if (off >= buf.length) throw new Error('no trailer');
  }
}

const hostFile = join(tmp, 'host-init');
writeFileSync(hostFile, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 1, 2, 3]));
chmodSync(hostFile, 0o750);

const sample: InitramfsEntry[] = [
  { kind: 'file', path: '/init', from: hostFile, mode: 0o755 },
  { kind: 'dir', path: '/dev' },
  { kind: 'chardev', path: '/dev/console', major: 5, minor: 1 },
  { kind: 'file', path: '/etc/motd', data: 'hello\n' },
  { kind: 'file', path: '/usr/lib/empty', data: Buffer.alloc(0), mode: 0o600 },
  { kind: 'symlink', path: '/bin/sh', target: '../usr/bin/dash' },
  { kind: 'dir', path: '/proc', mode: 0o555 },
];

t.test('a newc header is 110 ASCII bytes: the magic and 13 fields of 8 hex digits', async (t) => {
  const h = newcHeader({ ino: 1, mode: S_IFREG | 0o755, nlink: 1, fileSize: 0x1234, nameSize: 5 });
  t.equal(h.length, 110);
  t.equal(h.toString('ascii', 0, 6), '070701');
  const fields = h.toString('ascii', 6).match(/.{8}/g);
  t.same(fields, [
    '00000001',
    '000081ED',
    '00000000',
    '00000000',
    '00000001',
    '00000000',
    '00001234',
    '00000000',
    '00000000',
    '00000000',
    '00000000',
    '00000005',
    '00000000',
  ]);
  t.throws(() => newcHeader({ ino: 1, mode: 0, nlink: 1, fileSize: 2 ** 32, nameSize: 1 }), /filesize/);
});

t.test('the archive reads back: names, modes, data, devices, padding and the trailer', async (t) => {
  const buf = cpioArchive(await readMembers(sample));
  const { members, end } = parseNewc(buf);
  t.equal(end, buf.length, 'nothing after the trailer');
  t.equal(buf.length % 4, 0);
  t.same(
    members.map((m) => m.name),
    [
      'init',
      'dev',
      'dev/console',
      'etc',
      'etc/motd',
      'usr',
      'usr/lib',
      'usr/lib/empty',
      'bin',
      'bin/sh',
      'proc',
      TRAILER_NAME,
    ],
    'folders are added before what is in them, in the order given',
  );
  const by = new Map(members.map((m) => [m.name, m]));
  const get = (name: string) => by.get(name) as Parsed;
  t.equal(get('init').mode, S_IFREG | 0o755, 'an explicit mode wins over the host file');
  t.same(get('init').data, readFileSync(hostFile));
  t.equal(get('etc/motd').mode, S_IFREG | 0o644, 'a file from memory defaults to 0644');
  t.equal(get('etc/motd').data.toString(), 'hello\n');
  t.equal(get('etc/motd').nameSize, 'etc/motd'.length + 1, 'namesize counts the NUL');
  t.equal(get('usr/lib/empty').data.length, 0);
  t.equal(get('usr/lib/empty').mode, S_IFREG | 0o600);
  t.equal(get('dev').mode, S_IFDIR | 0o755);
  t.equal(get('dev').nlink, 2, 'a folder has two links');
  t.equal(get('usr/lib').mode, S_IFDIR | 0o755, 'an added folder is 0755');
  t.equal(get('proc').mode, S_IFDIR | 0o555);
  t.equal(get('bin/sh').mode, S_IFLNK | 0o777);
  t.equal(get('bin/sh').data.toString(), '../usr/bin/dash', "a symlink's data is its target");
  t.equal(get('dev/console').mode, S_IFCHR | 0o600);
  t.same([get('dev/console').rdevMajor, get('dev/console').rdevMinor], [5, 1]);
  const trailer = get(TRAILER_NAME);
  t.same([trailer.mode, trailer.data.length, trailer.ino], [0, 0, 0]);
  for (const m of members.filter((m) => m.name !== TRAILER_NAME)) {
    t.same([m.uid, m.gid, m.mtime, m.check], [0, 0, 0, 0], `${m.name}: owned by root, time 0, no check`);
    t.not(m.name.startsWith('/'), true);
  }
  t.same(
    members.slice(0, -1).map((m) => m.ino),
    members.slice(0, -1).map((_, i) => i + 1),
    'inode numbers count from 1',
  );
  // A name whose header + name ends on a 4-byte boundary needs no padding; every other does.
  for (const name of ['a', 'ab', 'abc', 'abcd', 'abcde']) {
    const one = parseNewc(cpioArchive(await readMembers([{ kind: 'file', path: `/${name}`, data: 'xyz' }])));
    t.equal(one.members[0]?.name, name, `a ${name.length}-byte name reads back`);
    t.equal(one.members[0]?.data.toString(), 'xyz');
  }
});

t.test(
  'paths: a folder named after its contents keeps its place; duplicates and climbs are refused',
  async (t) => {
    const m = withParents(
      await readMembers([
        { kind: 'file', path: '/a/b/c', data: 'x' },
        { kind: 'dir', path: '/a', mode: 0o700 },
      ]),
    );
    t.same(
      m.map((x) => [x.name, x.mode]),
      [
        ['a', S_IFDIR | 0o700],
        ['a/b', S_IFDIR | 0o755],
        ['a/b/c', S_IFREG | 0o644],
      ],
    );
    await t.rejects(readMembers([{ kind: 'file', path: '/x/../../etc', data: '' }]), /not a path inside/);
    t.throws(() => memberName('/'), /not a path inside/);
    t.equal(memberName('//sbin/./init/'), 'sbin/init');
    const twice = await readMembers([
      { kind: 'file', path: '/init', data: 'a' },
      { kind: 'file', path: 'init', data: 'b' },
    ]);
    t.throws(() => cpioArchive(twice), /twice/);
    const dirTwice = await readMembers([
      { kind: 'dir', path: '/d' },
      { kind: 'dir', path: '/d' },
    ]);
    t.throws(() => cpioArchive(dirTwice), /twice/, 'a folder named twice is refused too');
    await t.rejects(readMembers([{ kind: 'file', path: '/x', from: tmp }]), /not a regular file/);
  },
);

t.test('the same entries give the same bytes; the digest follows content and mode', async (t) => {
  const a = cpioArchive(await readMembers(sample));
  const b = cpioArchive(await readMembers(sample));
  t.ok(a.equals(b), 'deterministic');
  const digest = (entries: InitramfsEntry[]) =>
    readMembers(entries).then((m) => membersDigest(withParents(m)));
  const base = await digest(sample);
  t.equal(await digest(sample), base);
  const changed = (i: number, e: InitramfsEntry) => sample.map((x, j) => (j === i ? e : x));
  t.not(await digest(changed(3, { kind: 'file', path: '/etc/motd', data: 'hello!\n' })), base, 'content');
  t.not(
    await digest(changed(3, { kind: 'file', path: '/etc/motd', data: 'hello\n', mode: 0o600 })),
    base,
    'mode',
  );
  t.not(
    await digest(changed(5, { kind: 'symlink', path: '/bin/sh', target: 'busybox' })),
    base,
    'link target',
  );
  t.not(
    await digest(changed(2, { kind: 'chardev', path: '/dev/console', major: 4, minor: 64 })),
    base,
    'device',
  );
});

t.test('gzip on disk, and the cache keyed by the inputs', async (t) => {
  const out = join(tmp, 'initramfs.cpio.gz');
  await writeInitramfs(sample, out);
  const gz = readFileSync(out);
  t.same([gz[0], gz[1]], [0x1f, 0x8b], 'gzip magic');
  t.ok(gunzipSync(gz).equals(cpioArchive(await readMembers(sample))), 'gunzip gives the archive');

  const cache = join(tmp, 'cache');
  const first = await ensureInitramfs(sample, cache);
  t.equal(first.cached, false);
  t.ok(gunzipSync(readFileSync(first.path)).equals(cpioArchive(await readMembers(sample))));
  const again = await ensureInitramfs(sample, cache);
  t.same([again.cached, again.path, again.key], [true, first.path, first.key], 'made once, then found');
  writeFileSync(hostFile, Buffer.from('a different init'));
  chmodSync(hostFile, 0o750);
  const other = await ensureInitramfs(sample, cache);
  t.equal(other.cached, false, 'a changed host file is a new set of inputs');
  t.not(other.key, first.key);
  const { members } = parseNewc(gunzipSync(readFileSync(other.path)));
  t.equal(members[0]?.data.toString(), 'a different init');
});

t.test('a real cpio reader lists and extracts the archive', async (t) => {
  const cpio = await which('cpio');
  const bsdtar = cpio ? undefined : await which('bsdtar');
  if (
    !requirePrereq(
      t,
      'cpio or bsdtar',
      !cpio && !bsdtar && 'neither cpio nor bsdtar is installed (Debian: cpio)',
    )
  )
    return;
  // No device node: extracting one needs root.
  const entries = sample.filter((e) => e.kind !== 'chardev');
  const archive = join(tmp, 'roundtrip.cpio');
  writeFileSync(archive, cpioArchive(await readMembers(entries)));
  const listed = cpio
    ? execFileSync(cpio, ['-t', '--quiet', '-F', archive]).toString()
    : execFileSync(bsdtar as string, ['-tf', archive]).toString();
  t.same(
    listed
      .trim()
      .split('\n')
      .map((l) => l.replace(/^\.\//, '').replace(/\/$/, '')),
    ['init', 'dev', 'etc', 'etc/motd', 'usr', 'usr/lib', 'usr/lib/empty', 'bin', 'bin/sh', 'proc'],
    `${cpio ? 'cpio -t' : 'bsdtar -t'} lists every member`,
  );
  const dest = join(tmp, 'extracted');
  mkdirSync(dest);
  if (cpio)
    execFileSync(cpio, ['-i', '--quiet', '-d', '--no-absolute-filenames', '-F', archive], { cwd: dest });
  else execFileSync(bsdtar as string, ['-xpf', archive, '-C', dest]);
  t.equal(readFileSync(join(dest, 'etc/motd'), 'utf8'), 'hello\n');
  t.same(readFileSync(join(dest, 'init')), readFileSync(hostFile));
  t.equal(statSync(join(dest, 'init')).mode & 0o7777, 0o755);
  t.equal(statSync(join(dest, 'usr/lib/empty')).size, 0);
  t.equal(readlinkSync(join(dest, 'bin/sh')), '../usr/bin/dash');
  t.ok(statSync(join(dest, 'proc')).isDirectory());
});
