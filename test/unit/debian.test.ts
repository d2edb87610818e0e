/** Debian's version order, .dsc and Sources parsing, and the classification of build output lines. */
import t from 'tap';
import {
  compareDebianVersions,
  newestVersion,
  parseDeb822,
  sha256Files,
  sourceVersions,
  upstreamVersion,
} from '../../harness/builder/debian.js';
import { classifyLine } from '../../harness/builder/recipe.js';

t.test("dpkg's version order", async (t) => {
  const lt: [string, string][] = [
    ['2.36-8', '2.36-9+deb12u14'],
    ['1.0~rc1', '1.0'],
    ['2.0', '1:0.1'],
    ['2.41-6', '2.41-10'],
    ['1.0a', '1.0+'],
    ['2.42-99', '2.43-1'],
    ['1.0~~', '1.0~'],
    ['2.43-6', '2.43-7'],
  ];
  for (const [a, b] of lt) {
    t.ok(compareDebianVersions(a, b) < 0, `${a} < ${b}`);
    t.ok(compareDebianVersions(b, a) > 0, `${b} > ${a}`);
  }
  t.equal(compareDebianVersions('1.0', '1.0-0'), 0, 'a missing revision equals 0');
  t.equal(newestVersion(['2.43-6', '2.44-1', '2.43-7']), '2.44-1');
  t.equal(upstreamVersion('2.36-9+deb12u14'), '2.36');
  t.equal(upstreamVersion('1:2.36-1'), '2.36');
});

const dsc = `-----BEGIN PGP SIGNED MESSAGE-----
Hash: SHA512

Format: 3.0 (quilt)
Source: glibc
Version: 2.36-9+deb12u14
Checksums-Sha256:
 a543c02070d46ccaf866957efd13f10c924daa74c86a90a0254db09a92a708ee 19363988 glibc_2.36.orig.tar.xz
 cf4ac9cd98185452cae3ef34e2e4ee12753e3d93fd0c62c61396d4a47eec902f 918488 glibc_2.36-9+deb12u14.debian.tar.xz
Files:
 0123 19363988 glibc_2.36.orig.tar.xz

-----BEGIN PGP SIGNATURE-----
abc
`;

t.test('a .dsc and a Sources index', async (t) => {
  const [p] = parseDeb822(dsc);
  t.equal(p?.get('Version'), '2.36-9+deb12u14');
  t.same(sha256Files(p!), [
    {
      sha256: 'a543c02070d46ccaf866957efd13f10c924daa74c86a90a0254db09a92a708ee',
      size: 19363988,
      name: 'glibc_2.36.orig.tar.xz',
    },
    {
      sha256: 'cf4ac9cd98185452cae3ef34e2e4ee12753e3d93fd0c62c61396d4a47eec902f',
      size: 918488,
      name: 'glibc_2.36-9+deb12u14.debian.tar.xz',
    },
  ]);
  const sources =
    'Package: glibc\nVersion: 2.43-6\nDirectory: pool/main/g/glibc\n\nPackage: other\nVersion: 9\nDirectory: x\n\nPackage: glibc\nVersion: 2.43-7\nDirectory: pool/main/g/glibc\n';
  t.same(
    sourceVersions(parseDeb822(sources), 'glibc').map((v) => v.version),
    ['2.43-6', '2.43-7'],
  );
});

t.test('build output lines', async (t) => {
  t.same(classifyLine('@@phase make'), { phase: 'make' });
  t.same(classifyLine('@@phase nonsense'), {});
  t.same(classifyLine('@@failed-patch 0001-x.patch'), { failedPatch: '0001-x.patch' });
  t.same(classifyLine('gcc exit.c -c -std=gnu11 -O2 -o exit.o'), { compiled: true });
  t.same(classifyLine('gcc -o libc.so exit.o'), {});
});
