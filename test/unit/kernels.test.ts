/**
 * Debian kernel packages without the real mirror: the kernel stanzas of a Packages index and the
 * checksums of a Release file (fixtures cut from real ones), dependency relations, dpkg's version order
 * (cross-checked against `dpkg --compare-versions`), the walk from a metapackage to its image in both
 * package layouts, the one-line errors, what a kernel config says, and ensureKernel against a mirror
 * served from this process (packages built with dpkg-deb): download, cache hit, damage, checksum
 * mismatch, the -unsigned fallback, the 7.x config package, an unknown suite, an offline mirror.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import t, { type Test } from 'tap';
import { compareDebianVersions } from '../../harness/builder/debian.js';
import {
  chooseKernel,
  imageDependency,
  type KernelSpec,
  kernelFeatures,
  kernelStanzas,
  type PackageEntry,
  parseRelations,
  releaseChecksum,
  releaseOfMember,
  satisfies,
} from '../../harness/builder/kernel-index.js';
import { ensureKernel, resolveKernel } from '../../harness/builder/kernels.js';
import type { Log } from '../../harness/util/log.js';
import { requirePrereq, which } from '../helpers/prereq.js';
import { repoPath } from '../helpers/repo.js';

const FIXTURES = repoPath('test/fixtures/kernels');
const fixture = (name: string) => readFileSync(join(FIXTURES, name), 'utf8');
const bookworm = kernelStanzas(fixture('bookworm-Packages'));
const backports = kernelStanzas(fixture('trixie-backports-Packages'));

function thrown(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  return '(nothing thrown)';
}

t.test('the kernel stanzas of a Packages index', async (t) => {
  t.same(
    bookworm.map((e) => e.package),
    [
      'linux-image-6.1.0-50-cloud-amd64-dbg',
      'linux-image-6.1.0-50-cloud-amd64-unsigned',
      'linux-image-cloud-amd64-dbg',
      'linux-image-6.1.0-47-cloud-amd64',
      'linux-image-6.1.0-50-cloud-amd64',
      'linux-image-amd64',
      'linux-image-cloud-amd64',
    ],
    'every linux-image stanza, in index order, and not hello',
  );
  t.same(
    bookworm.find((e) => e.package === 'linux-image-6.1.0-50-cloud-amd64'),
    {
      package: 'linux-image-6.1.0-50-cloud-amd64',
      version: '6.1.176-1',
      depends: 'kmod, linux-base (>= 4.3~), initramfs-tools (>= 0.120+deb8u2) | linux-initramfs-tool',
      filename: 'pool/main/l/linux-signed-amd64/linux-image-6.1.0-50-cloud-amd64_6.1.176-1_amd64.deb',
      size: 26484304,
      sha256: 'efe19f605b6f54a8352e68d85a629abb2d30b72a085faef603a9152590baa791',
    },
  );
  t.same(
    backports.map((e) => e.package).sort(),
    [
      'linux-base-7.3.4+deb13-cloud-amd64',
      'linux-base-cloud-amd64',
      'linux-binary-7.3.4+deb13-cloud-amd64',
      'linux-image-7.2.12+deb13-cloud-amd64',
      'linux-image-7.3.4+deb13-cloud-amd64',
      'linux-image-cloud-amd64',
    ],
    'images, binaries and bases; not the modules',
  );
  t.same(
    kernelStanzas('Package: linux-image-x\nVersion: 1\nFilename: a.deb\nSize: 3\n'),
    [],
    'a stanza without SHA256 is left out',
  );
});

t.test("a Release file's checksums", async (t) => {
  const release = fixture('bookworm-Release');
  t.same(releaseChecksum(release, 'main/binary-amd64/Packages.xz'), {
    sha256: '9e0b5aabb2465b3d2e7a7fe27f9913846277833f7a2826e7767acccff5b588c5',
    size: 8790396,
  });
  t.same(releaseChecksum(release, 'main/binary-arm64/Packages.xz'), {
    sha256: '2ddb1737692e8c45c53e8d57c0ce4cd21c78c5703b830c3226b1423566a06c00',
    size: 8689464,
  });
  t.equal(releaseChecksum(release, 'main/binary-riscv64/Packages.xz'), undefined);
  t.equal(releaseChecksum(release, 'main/binary-amd64/Packages'.slice(0, 20)), undefined, 'whole paths only');
});

t.test('dependency relations', async (t) => {
  t.same(
    parseRelations('kmod, linux-base (>= 4.3~), initramfs-tools (>= 0.120+deb8u2) | linux-initramfs-tool'),
    [
      [{ name: 'kmod' }],
      [{ name: 'linux-base', op: '>=', version: '4.3~' }],
      [{ name: 'initramfs-tools', op: '>=', version: '0.120+deb8u2' }, { name: 'linux-initramfs-tool' }],
    ],
  );
  t.same(parseRelations('python3:any (<< 3.12), foo [amd64] <!nocheck>, bar (< 2)'), [
    [{ name: 'python3', op: '<<', version: '3.12' }],
    [{ name: 'foo' }],
    [{ name: 'bar', op: '<=', version: '2' }],
  ]);
  t.same(parseRelations(''), []);
  t.ok(satisfies('6.1.176-1', { name: 'x', op: '=', version: '6.1.176-1' }));
  t.notOk(satisfies('6.1.176-1', { name: 'x', op: '=', version: '6.1.176-2' }));
  t.ok(satisfies('4.3', { name: 'x', op: '>=', version: '4.3~' }));
  t.ok(satisfies('7.3.4-1~bpo13+1', { name: 'x', op: '<<', version: '7.3.4-1' }));
  t.notOk(satisfies('7.3.4-1', { name: 'x', op: '>>', version: '7.3.4-1' }));
  t.ok(satisfies('7.3.4-1', { name: 'x', op: '<=', version: '7.3.4-1' }));
  t.ok(satisfies('0', { name: 'x' }), 'no constraint: any version');
  const meta = backports.find((e) => e.package === 'linux-image-cloud-amd64') as PackageEntry;
  t.same(
    imageDependency(meta),
    { name: 'linux-image-7.3.4+deb13-cloud-amd64', op: '=', version: '7.3.4-1~bpo13+1' },
    'not linux-base-cloud-amd64, listed first',
  );
  const image = backports.find((e) => e.package === 'linux-image-7.3.4+deb13-cloud-amd64') as PackageEntry;
  t.equal(
    imageDependency(image)?.name,
    'linux-binary-7.3.4+deb13-cloud-amd64',
    'binary before base and modules',
  );
});

/** Pairs in dpkg's order (first < second), kernel-shaped and the rules' corners. */
const ORDERED: [string, string][] = [
  ['6.1.76-1', '6.1.176-1'],
  ['6.1.176-1', '6.1.176-1+deb12u1'],
  ['7.3.4-1~bpo13+1', '7.3.4-1'],
  ['7.2.13-1', '7.3.4-1~bpo13+1'],
  ['6.12.95-1~bpo12+1', '6.12.95-1'],
  ['6.16.12-1~bpo13+1', '6.16.12-2~bpo13+1'],
  ['9.9', '1:0.1'],
  ['1:1.0-1', '2:0.1-1'],
  ['1.0~rc1', '1.0'],
  ['1.0~~', '1.0~'],
  ['1.0~', '1.0'],
  ['1.0', '1.0a'],
  ['1.0a', '1.0+'],
  ['1.0+', '1.0.1'],
  ['1.0-1', '1.0.0-1'],
  ['2.36-9+deb12u9', '2.36-9+deb12u14'],
  ['1.2.3-4', '1.2.3-4.1'],
  ['1-2', '1-2-3'],
  ['a', 'b'],
  ['Z', 'a'],
  ['0.9', '0.10'],
];
/** Pairs dpkg calls equal. */
const EQUAL: [string, string][] = [
  ['1.0', '1.0-0'],
  ['0:6.1.176-1', '6.1.176-1'],
  ['1.001', '1.1'],
  ['1.0', '1.00'],
];

t.test("dpkg's version order", async (t) => {
  for (const [a, b] of ORDERED) {
    t.ok(compareDebianVersions(a, b) < 0, `${a} < ${b}`);
    t.ok(compareDebianVersions(b, a) > 0, `${b} > ${a}`);
  }
  for (const [a, b] of EQUAL) t.equal(compareDebianVersions(a, b), 0, `${a} = ${b}`);
  const dpkg = await which('dpkg');
  if (!requirePrereq(t, 'dpkg (to cross-check the order)', !dpkg && 'dpkg is not installed')) return;
  for (const [a, b] of [...ORDERED, ...EQUAL, ...ORDERED.map(([a, b]) => [b, a] as [string, string])]) {
    const mine = Math.sign(compareDebianVersions(a, b));
    const op = mine < 0 ? 'lt' : mine > 0 ? 'gt' : 'eq';
    const r = spawnSync('dpkg', ['--compare-versions', a, op, b]);
    t.equal(r.status, 0, `dpkg agrees: ${a} ${op} ${b}`);
  }
});

const spec = (s: Partial<KernelSpec> = {}): KernelSpec => ({
  id: 'k6.1',
  suite: 'bookworm',
  package: 'linux-image-cloud-amd64',
  ...s,
});

t.test('from a metapackage to its image', async (t) => {
  const old = chooseKernel(bookworm, spec());
  t.same(
    old.chain.map((e) => `${e.package} ${e.version}`),
    ['linux-image-cloud-amd64 6.1.176-1', 'linux-image-6.1.0-50-cloud-amd64 6.1.176-1'],
  );
  t.equal(old.image.sha256, 'efe19f605b6f54a8352e68d85a629abb2d30b72a085faef603a9152590baa791');
  t.same(
    old.fallbacks.map((e) => e.package),
    ['linux-image-6.1.0-50-cloud-amd64-unsigned'],
  );
  t.same(old.configHolders, [], '6.1: the image package has its config');

  const direct = chooseKernel(bookworm, spec({ package: 'linux-image-6.1.0-47-cloud-amd64' }));
  t.same(
    direct.chain.map((e) => e.package),
    ['linux-image-6.1.0-47-cloud-amd64'],
    'an image package named outright',
  );

  const split = chooseKernel(backports, spec({ id: 'k7', suite: 'trixie-backports' }));
  t.same(
    split.chain.map((e) => e.package),
    [
      'linux-image-cloud-amd64',
      'linux-image-7.3.4+deb13-cloud-amd64',
      'linux-binary-7.3.4+deb13-cloud-amd64',
    ],
  );
  t.same(
    split.configHolders.map((e) => `${e.package} ${e.version}`),
    ['linux-base-7.3.4+deb13-cloud-amd64 7.3.4-1~bpo13+1'],
    '7.x: the config is in linux-base-RELEASE (not linux-base-cloud-amd64)',
  );
  t.same(split.fallbacks, []);
});

t.test(
  "'latest' is the highest version; a pin is that version, and the Depends pins the image",
  async (t) => {
    const meta = bookworm.find((e) => e.package === 'linux-image-cloud-amd64') as PackageEntry;
    const image = bookworm.find((e) => e.package === 'linux-image-6.1.0-50-cloud-amd64') as PackageEntry;
    // Versions as a suite and its updates may list them side by side.
    const versions = ['6.1.176-1', '6.1.99-1', '6.1.176-1~bpo11+1', '6.1.176-1+deb12u1', '6.1.1000-1~rc1'];
    const index = [
      ...versions.map((v) => ({ ...meta, version: v, depends: `linux-image-6.1.0-50-cloud-amd64 (= ${v})` })),
      ...versions.map((v) => ({
        ...image,
        version: v,
        sha256: createHash('sha256').update(v).digest('hex'),
      })),
    ];
    const latest = chooseKernel(index, spec());
    t.equal(latest.chain[0]?.version, '6.1.1000-1~rc1');
    t.equal(latest.image.version, '6.1.1000-1~rc1', 'the image of the version the metapackage pins');
    const pinned = chooseKernel(index, spec({ version: '6.1.176-1+deb12u1' }));
    t.equal(pinned.image.version, '6.1.176-1+deb12u1');
    t.equal(pinned.image.sha256, createHash('sha256').update('6.1.176-1+deb12u1').digest('hex'));
  },
);

t.test('what the index cannot give, in one line', async (t) => {
  t.equal(
    thrown(() => chooseKernel(bookworm, spec({ package: 'linux-image-clod-amd64' }))),
    'kernel k6.1: bookworm on http://deb.debian.org/debian has no package "linux-image-clod-amd64" for amd64 (did you mean "linux-image-cloud-amd64"?)',
  );
  t.equal(
    thrown(() => chooseKernel(bookworm, spec({ package: 'linux-headers-amd64' }))),
    'kernel k6.1: bookworm on http://deb.debian.org/debian has no package "linux-headers-amd64" for amd64 (did you mean "linux-image-amd64"?)',
  );
  t.equal(
    thrown(() => chooseKernel(bookworm, spec({ package: 'firmware-misc-nonfree' }))),
    'kernel k6.1: bookworm on http://deb.debian.org/debian has no package "firmware-misc-nonfree" for amd64',
    'no did-you-mean when nothing is close',
  );
  t.equal(
    thrown(() => chooseKernel(bookworm, spec({ version: '6.1.999-1' }))),
    'kernel k6.1: bookworm on http://deb.debian.org/debian has no linux-image-cloud-amd64 6.1.999-1; it has 6.1.176-1',
  );
  t.equal(
    thrown(() => chooseKernel(bookworm, spec({ package: 'linux-image-cloud-amd64-dbg' }))),
    'kernel k6.1: linux-image-cloud-amd64-dbg holds debug symbols, not a kernel one can boot',
  );
  const noImage = bookworm.filter((e) => e.package !== 'linux-image-6.1.0-50-cloud-amd64');
  t.equal(
    thrown(() => chooseKernel(noImage, spec({ mirror: 'http://mirror.example/debian' }))),
    'kernel k6.1: linux-image-cloud-amd64 6.1.176-1 depends on linux-image-6.1.0-50-cloud-amd64 (= 6.1.176-1), which bookworm on http://mirror.example/debian does not have',
  );
  const loop: PackageEntry[] = ['a', 'b'].map((n, i) => ({
    package: `linux-image-${n}`,
    version: '1',
    depends: `linux-image-${i ? 'a' : 'b'}`,
    filename: `${n}.deb`,
    size: 1,
    sha256: '0'.repeat(64),
  }));
  t.equal(
    thrown(() => chooseKernel(loop, spec({ package: 'linux-image-a' }))),
    'kernel k6.1: linux-image-a -> linux-image-b -> linux-image-a -> linux-image-b -> linux-image-a reaches no kernel image within 4 dependencies',
  );
});

t.test('where a package keeps its image and config, and the release they name', async (t) => {
  t.equal(releaseOfMember('./boot/vmlinuz-6.1.0-50-cloud-amd64', 'vmlinuz'), '6.1.0-50-cloud-amd64');
  t.equal(releaseOfMember('boot/config-6.1.0-50-cloud-amd64', 'config'), '6.1.0-50-cloud-amd64');
  t.equal(
    releaseOfMember('usr/lib/modules/7.3.4+deb13-cloud-amd64/vmlinuz', 'vmlinuz'),
    '7.3.4+deb13-cloud-amd64',
  );
  t.equal(
    releaseOfMember('./usr/lib/modules/7.3.4+deb13-cloud-amd64/config', 'config'),
    '7.3.4+deb13-cloud-amd64',
  );
  t.equal(releaseOfMember('boot/System.map-6.1.0-50-cloud-amd64', 'vmlinuz'), undefined);
  t.equal(releaseOfMember('usr/lib/modules/7.3.4/kernel/vmlinuz', 'vmlinuz'), undefined);
});

t.test("a kernel config's features", async (t) => {
  const config = [
    '# Automatically generated file; DO NOT EDIT.',
    'CONFIG_RSEQ=y',
    'CONFIG_BLK_DEV_INITRD=y',
    'CONFIG_RD_GZIP=y',
    'CONFIG_RD_ZSTD=y',
    '# CONFIG_RD_LZ4 is not set',
    'CONFIG_BINFMT_ELF=y',
    'CONFIG_TTY=y',
    'CONFIG_PROC_FS=y',
    'CONFIG_SERIAL_8250=y',
    'CONFIG_SERIAL_8250_CONSOLE=y',
    'CONFIG_DEVTMPFS=y',
    'CONFIG_VIRTIO=m',
    'CONFIG_VIRTIO_PCI=m',
    'CONFIG_VIRTIO_MENU=y',
    '# CONFIG_VIRTIO_BLK is not set',
    'CONFIG_VIRTIO_BALLOON_X="text"',
    'CONFIG_LOCALVERSION=""',
  ].join('\n');
  t.same(kernelFeatures(config), {
    rseq: true,
    serialConsole: true,
    initramfs: true,
    initramfsCompressions: ['gzip', 'zstd'],
    devtmpfs: true,
    virtio: { VIRTIO: 'm', VIRTIO_MENU: 'y', VIRTIO_PCI: 'm' },
    missing: [],
  });
  const modular = config
    .replace('CONFIG_SERIAL_8250=y', 'CONFIG_SERIAL_8250=m')
    .replace('CONFIG_RSEQ=y', '# CONFIG_RSEQ is not set')
    .replace('CONFIG_RD_GZIP=y', '');
  const f = kernelFeatures(modular);
  t.equal(f.rseq, false);
  t.equal(f.serialConsole, false, 'an 8250 driver as a module is no console without modules');
  t.same(f.missing, ['CONFIG_RD_GZIP', 'CONFIG_SERIAL_8250']);
  t.same(kernelFeatures('').missing.length, 8, 'an empty config lacks everything');
});

// ---- ensureKernel against a mirror served from this process ----

interface Recorded extends Log {
  lines: string[];
}
function recordingLog(): Recorded {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => lines.push(m),
    warn: (m) => lines.push(`warning: ${m}`),
    debug: () => {},
  };
}

function tmp(t: Test): string {
  const d = mkdtempSync(join(tmpdir(), 'rm-kernels-test-'));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

/** A .deb built with dpkg-deb holding the given files (path under / -> content). */
function buildDeb(dir: string, name: string, files: Record<string, string>): Buffer {
  const root = join(dir, name);
  mkdirSync(join(root, 'DEBIAN'), { recursive: true });
  writeFileSync(
    join(root, 'DEBIAN', 'control'),
    `Package: ${name}\nVersion: 1\nArchitecture: amd64\nMaintainer: test <t@example.org>\nDescription: test\n`,
  );
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  execFileSync('dpkg-deb', ['--root-owner-group', '-Zgzip', '--build', root, `${root}.deb`], {
    stdio: 'ignore',
  });
  return readFileSync(`${root}.deb`);
}

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/**
 * A Packages text whose stanzas of the given packages list `deb` (or, given `sha256`, claim that) at
 * pool/SUITE/PACKAGE.deb, where the mirror serves it.
 */
function publishPackages(
  files: Map<string, Buffer>,
  suite: string,
  text: string,
  debs: Record<string, Buffer | { deb: Buffer; sha256: string }>,
): string {
  return text
    .split('\n\n')
    .map((stanza) => {
      const name = /^Package: (\S+)/.exec(stanza)?.[1] ?? '';
      const d = debs[name];
      if (!d) return stanza;
      const deb = Buffer.isBuffer(d) ? d : d.deb;
      const filename = `pool/${suite}/${name}.deb`;
      files.set(filename, deb);
      return stanza
        .replace(/^Filename: .*$/m, `Filename: ${filename}`)
        .replace(/^Size: .*$/m, `Size: ${deb.length}`)
        .replace(/^SHA256: .*$/m, `SHA256: ${Buffer.isBuffer(d) ? sha(deb) : d.sha256}`);
    })
    .join('\n\n');
}

/** An HTTP mirror serving `files` (path under the mirror -> bytes); it counts the requests per path. */
async function serveMirror(t: Test, files: Map<string, Buffer>) {
  const hits = new Map<string, number>();
  const server = createServer((req, res) => {
    const path = (req.url ?? '').replace(/^\/debian\//, '');
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const body = files.get(path);
    res.writeHead(body ? 200 : 404).end(body ?? 'not found');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const close = () =>
    new Promise<void>((r) => {
      server.close(() => r());
      // fetch keeps connections alive: without this a closed mirror would answer "other side closed".
      server.closeAllConnections();
    });
  t.teardown(() => (server.listening ? close() : undefined));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/debian`, hits, close };
}

/** Publishes a suite: its Packages.xz (compressed here) and a Release listing its sha256. */
function addSuite(files: Map<string, Buffer>, suite: string, packages: string, releaseSha?: string) {
  const xz = execFileSync('xz', ['-c'], { input: packages });
  files.set(`dists/${suite}/main/binary-amd64/Packages.xz`, xz);
  files.set(
    `dists/${suite}/Release`,
    Buffer.from(
      `Codename: ${suite}\nSHA256:\n ${releaseSha ?? sha(xz)} ${xz.length} main/binary-amd64/Packages.xz\n`,
    ),
  );
}

t.test('ensureKernel against a local mirror', async (t) => {
  const missing = (await which('dpkg-deb'))
    ? (await which('xz'))
      ? false
      : 'xz is not installed'
    : 'dpkg-deb is not installed';
  if (!requirePrereq(t, 'dpkg-deb and xz (to build and serve packages)', missing)) return;
  const work = tmp(t);
  const R6 = '6.1.0-50-cloud-amd64';
  const R7 = '7.3.4+deb13-cloud-amd64';
  const vmlinuz6 = 'MZ the 6.1 image';
  const good = buildDeb(work, 'image6', {
    [`boot/vmlinuz-${R6}`]: vmlinuz6,
    [`boot/config-${R6}`]: 'CONFIG_RSEQ=y\n',
    [`boot/System.map-${R6}`]: 'map',
    [`usr/lib/modules/${R6}/kernel/a.ko`]: 'module',
  });
  const empty = buildDeb(work, 'empty', { 'usr/share/doc/x/copyright': 'none' });
  const binary7 = buildDeb(work, 'binary7', { [`usr/lib/modules/${R7}/vmlinuz`]: 'MZ the 7.3 image' });
  const base7 = buildDeb(work, 'base7', { [`usr/lib/modules/${R7}/config`]: 'CONFIG_RSEQ=y\nCONFIG_X=m\n' });
  const bw = fixture('bookworm-Packages');
  const signed = 'linux-image-6.1.0-50-cloud-amd64';
  const unsigned = `${signed}-unsigned`;
  const files = new Map<string, Buffer>();
  const suite = (
    name: string,
    text: string,
    debs: Parameters<typeof publishPackages>[3],
    releaseSha?: string,
  ) => addSuite(files, name, publishPackages(files, name, text, debs), releaseSha);
  suite('bookworm', bw, { [signed]: good, [unsigned]: empty });
  suite('fallback', bw, { [signed]: empty, [unsigned]: good });
  suite('bad', bw, { [signed]: { deb: good, sha256: 'f'.repeat(64) } });
  suite('noimage', bw, { [signed]: empty, [unsigned]: empty });
  suite('badindex', bw, {}, 'e'.repeat(64));
  suite('trixie-backports', fixture('trixie-backports-Packages'), {
    [`linux-binary-${R7}`]: binary7,
    [`linux-base-${R7}`]: base7,
  });
  const mirror = await serveMirror(t, files);
  const cache = join(work, 'cache');
  const k = (s: Partial<KernelSpec>) => spec({ mirror: mirror.url, ...s });

  await t.test('download, then the cache', async (t) => {
    const log = recordingLog();
    const first = await ensureKernel(k({}), cache, log);
    t.equal(first.release, R6);
    t.equal(first.package, signed);
    t.equal(first.version, '6.1.176-1');
    t.equal(first.sha256, sha(good));
    t.equal(first.size, good.length);
    t.same(first.chain, ['linux-image-cloud-amd64', signed]);
    t.equal(readFileSync(first.vmlinuz, 'utf8'), vmlinuz6);
    t.equal(readFileSync(first.config as string, 'utf8'), 'CONFIG_RSEQ=y\n');
    t.equal(first.deb, null);
    t.equal(first.dir, join(cache, 'kernels', sha(good).slice(0, 16)));
    t.same(
      readdirSync(join(first.dir, 'boot')).sort(),
      ['config', 'vmlinuz'],
      'nothing else of the package is kept',
    );
    const manifest = JSON.parse(readFileSync(join(first.dir, 'manifest.json'), 'utf8'));
    t.same([manifest.release, manifest.package, manifest.sha256], [R6, signed, sha(good)]);
    t.same(Object.keys(manifest.files), ['config', 'vmlinuz']);
    t.ok(log.lines.some((l) => l.startsWith(`kernel k6.1: fetching ${mirror.url}/${first.filename}`)));
    t.same(
      readdirSync(join(cache, 'kernels')).filter((n) => n.startsWith('.')),
      [],
      'no stage left',
    );
    t.equal(mirror.hits.get(first.filename), 1);

    const again = recordingLog();
    const second = await ensureKernel(k({}), cache, again);
    t.same(second, first);
    t.equal(mirror.hits.get(first.filename), 1, 'no second download');
    t.equal(mirror.hits.get('dists/bookworm/Release'), 1, "the day's index is reused");
    t.match(again.lines, [
      /^kernel k6\.1: 6\.1\.0-50-cloud-amd64 \(linux-image-6\.1\.0-50-cloud-amd64 6\.1\.176-1\) from the cache/,
    ]);

    writeFileSync(first.vmlinuz, 'MZ changed');
    const damaged = recordingLog();
    const third = await ensureKernel(k({}), cache, damaged);
    t.equal(readFileSync(third.vmlinuz, 'utf8'), vmlinuz6, 'a damaged entry is fetched again');
    t.ok(
      damaged.lines.some((l) =>
        /^warning: kernel k6\.1: the cached kernel in .* is damaged \(vmlinuz/.test(l),
      ),
    );
    t.equal(mirror.hits.get(first.filename), 2);
  });

  await t.test('the signed package holds no image: its -unsigned twin', async (t) => {
    const log = recordingLog();
    const got = await ensureKernel(k({ suite: 'fallback' }), join(work, 'cache-fallback'), log);
    t.equal(got.package, `${signed}-unsigned`);
    t.equal(got.sha256, sha(good));
    t.same(got.chain, ['linux-image-cloud-amd64', signed, `${signed}-unsigned`]);
    t.ok(log.lines.includes(`warning: kernel k6.1: ${signed} 6.1.176-1 holds no kernel image`));
  });

  await t.test('7.x: the image in linux-binary, the config in linux-base', async (t) => {
    const got = await ensureKernel(k({ id: 'k7', suite: 'trixie-backports' }), cache, recordingLog());
    t.equal(got.release, R7);
    t.equal(got.package, `linux-binary-${R7}`);
    t.equal(readFileSync(got.vmlinuz, 'utf8'), 'MZ the 7.3 image');
    t.equal(readFileSync(got.config as string, 'utf8'), 'CONFIG_RSEQ=y\nCONFIG_X=m\n');
  });

  await t.test('one-line errors', async (t) => {
    const cacheBad = join(work, 'cache-bad');
    const fail = (s: Partial<KernelSpec>) =>
      ensureKernel(k(s), cacheBad, recordingLog()).then(
        () => '(nothing thrown)',
        (e: Error) => e.message,
      );
    t.equal(
      await fail({ suite: 'bookwrom' }),
      `kernel k6.1: suite "bookwrom" is not on ${mirror.url}: HTTP 404`,
    );
    const filename = `pool/bad/${signed}.deb`;
    t.equal(
      await fail({ suite: 'bad' }),
      `kernel k6.1: sha256 of ${filename} is ${sha(good)}, the index says ${'f'.repeat(64)}`,
    );
    t.equal(
      await fail({ suite: 'noimage' }),
      `kernel k6.1: ${signed} 6.1.176-1 and ${signed}-unsigned 6.1.176-1 hold no kernel image (./boot/vmlinuz-* or ./usr/lib/modules/*/vmlinuz)`,
    );
    const xz = files.get('dists/badindex/main/binary-amd64/Packages.xz') as Buffer;
    t.equal(
      await fail({ suite: 'badindex' }),
      `kernel k6.1: sha256 of ${mirror.url}/dists/badindex/main/binary-amd64/Packages.xz is ${sha(xz)}, the Release file says ${'e'.repeat(64)}`,
    );
    t.equal(
      await fail({ suite: 'bookworm', arch: 'arm64' }),
      `kernel k6.1: ${mirror.url}/dists/bookworm/Release lists no main/binary-arm64/Packages.xz (is arm64 an architecture of bookworm?)`,
    );
    t.same(
      readdirSync(join(cacheBad, 'kernels')).filter((n) => n !== 'kernels'),
      [],
      'nothing left in the cache by the failures',
    );
  });

  await t.test("the mirror does not answer: an earlier day's index, with a warning", async (t) => {
    const offline = join(work, 'cache-offline');
    await resolveKernel(k({}), offline, recordingLog());
    const indexDir = join(offline, 'sources', 'index');
    const [today] = readdirSync(indexDir);
    t.match(today, /^kernels-bookworm-amd64-[0-9a-f]{8}-\d{4}-\d{2}-\d{2}\.json$/);
    const older = (today as string).replace(/\d{4}-\d{2}-\d{2}\.json$/, '2026-01-02.json');
    renameSync(join(indexDir, today as string), join(indexDir, older));
    await mirror.close();
    const log = recordingLog();
    const choice = await resolveKernel(k({}), offline, log);
    t.equal(choice.image.sha256, sha(good));
    t.match(log.lines, [
      new RegExp(
        `^warning: kernel k6\\.1: download of ${mirror.url}/dists/bookworm/Release failed: (connect ECONNREFUSED|other side closed).*; using the cached index ${older.replace(/[.+]/g, '\\$&')} instead$`,
      ),
    ]);
    t.equal(
      await resolveKernel(k({ suite: 'trixie' }), offline, recordingLog()).then(
        () => '',
        (e: Error) => e.message.replace(/ECONNREFUSED \S+/, 'ECONNREFUSED'),
      ),
      `kernel k6.1: download of ${mirror.url}/dists/trixie/Release failed: connect ECONNREFUSED`,
      'no index of the suite kept: the download error',
    );
    t.notOk(existsSync(join(offline, 'kernels')), 'resolving downloads no kernel');
  });
});
