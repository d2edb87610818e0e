/**
 * Debian's kernels for real (issue 15): bookworm's linux-image-cloud-amd64 resolved on deb.debian.org
 * through its metapackage, downloaded, checked and unpacked into the default cache, then found there
 * without a download (and once into an empty cache, so that the download is always exercised); an x86
 * boot image of 6.1 with rseq. A pinned version the mirror does not have and a suite it does not carry
 * are one-line errors.
 */
import { execFileSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { DEFAULT_KERNEL_MIRROR } from '../../harness/builder/kernel-index.js';
import { ensureKernel, kernelFeatures } from '../../harness/builder/kernels.js';
import { sha256File } from '../../harness/cache/digest.js';
import type { Log } from '../../harness/util/log.js';
import { defaultCacheDir } from '../../harness/util/paths.js';
import { requireFilePrereq, requirePrereq, unreachable, which } from '../helpers/prereq.js';

requireFilePrereq(
  t,
  'the Debian mirror',
  await unreachable(`${DEFAULT_KERNEL_MIRROR}/dists/bookworm/Release`),
);
requireFilePrereq(
  t,
  'dpkg-deb (unpacks the kernel package)',
  !(await which('dpkg-deb')) && 'dpkg-deb is not installed',
);
requireFilePrereq(t, 'xz (reads the Packages index)', !(await which('xz')) && 'xz is not installed');

function recordingLog(): Log & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => lines.push(m),
    warn: (m) => lines.push(`warning: ${m}`),
    debug: () => {},
  };
}

/** The 4 bytes at 0x202 of a bzImage: the "HdrS" of the x86 boot protocol's setup header. */
function setupMagic(path: string): string {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(4);
    readSync(fd, b, 0, 4, 0x202);
    return b.toString('latin1');
  } finally {
    closeSync(fd);
  }
}

const bookworm = { id: 'k6.1', suite: 'bookworm', package: 'linux-image-cloud-amd64' };

t.test("bookworm's cloud kernel: downloaded once, then from the cache", async (t) => {
  const cache = defaultCacheDir();
  const log = recordingLog();
  const started = Date.now();
  const k = await ensureKernel(bookworm, cache, log);
  const firstMs = Date.now() - started;
  t.comment(`${k.release}: ${k.package} ${k.version}, ${k.size} bytes, in ${firstMs} ms (${k.dir})`);
  t.match(k.release, /^6\.1\.\d+-\d+-cloud-amd64$/);
  t.match(k.package, /^linux-image-6\.1\.\d+-\d+-cloud-amd64$/);
  t.equal(k.chain[0], 'linux-image-cloud-amd64');
  t.equal(k.chain.at(-1), k.package);
  t.ok(existsSync(k.vmlinuz), k.vmlinuz);
  t.equal(setupMagic(k.vmlinuz), 'HdrS', 'an x86 boot image (the setup header at 0x202)');
  const file = await which('file');
  if (requirePrereq(t, 'file (names the image)', !file && 'file is not installed'))
    t.match(
      execFileSync('file', ['-b', k.vmlinuz], { encoding: 'utf8' }),
      /^Linux kernel x86 boot executable/,
    );
  t.ok(k.config, 'the config is kept');
  const config = readFileSync(k.config as string, 'utf8');
  t.match(config, /^CONFIG_RSEQ=y$/m);
  const features = kernelFeatures(config);
  t.equal(features.rseq, true);
  t.same(features.missing, [], 'an initramfs on ttyS0 can boot it without modules');
  t.equal(k.deb, null);

  const again = recordingLog();
  const hitStarted = Date.now();
  const hit = await ensureKernel(bookworm, cache, again);
  const hitMs = Date.now() - hitStarted;
  t.comment(`cache hit in ${hitMs} ms`);
  t.same(hit, k, 'the same kernel');
  t.notOk(
    again.lines.some((l) => /fetching|reading the kernels/.test(l)),
    'no download, not even of the index',
  );
  t.ok(
    again.lines.some((l) =>
      l.startsWith(`kernel k6.1: ${k.release} (${k.package} ${k.version}) from the cache`),
    ),
    'a cache hit, said so',
  );
  t.ok(hitMs < 5000, `the hit took ${hitMs} ms`);
});

t.test('into an empty cache: a real download, checked against the index', async (t) => {
  const cache = mkdtempSync(join(tmpdir(), 'rm-kernels-engine-'));
  t.teardown(() => rmSync(cache, { recursive: true, force: true }));
  const log = recordingLog();
  const started = Date.now();
  const k = await ensureKernel(bookworm, cache, log);
  t.comment(`downloaded and unpacked ${k.size} bytes in ${Date.now() - started} ms`);
  t.ok(
    log.lines.some(
      (l) =>
        l ===
        `kernel k6.1: fetching ${DEFAULT_KERNEL_MIRROR}/${k.filename} (${(k.size / 2 ** 20).toFixed(1)} MB)`,
    ),
    'the .deb was downloaded',
  );
  t.equal(
    await sha256File(k.vmlinuz),
    await sha256File((await ensureKernel(bookworm, defaultCacheDir(), log)).vmlinuz),
    'the same image as the default cache holds',
  );
  t.equal(k.dir, join(cache, 'kernels', k.sha256.slice(0, 16)));
  t.same(readdirSync(join(cache, 'kernels')), [k.sha256.slice(0, 16)], 'one entry, no stage or lock left');
});

t.test('one-line errors from the real mirror', async (t) => {
  const cache = defaultCacheDir();
  const pinned = await ensureKernel(
    { ...bookworm, version: '6.1.0-0+nonexistent' },
    cache,
    recordingLog(),
  ).then(
    () => '(nothing thrown)',
    (e: Error) => e.message,
  );
  t.match(
    pinned,
    /^kernel k6\.1: bookworm on http:\/\/deb\.debian\.org\/debian has no linux-image-cloud-amd64 6\.1\.0-0\+nonexistent; it has 6\.1\.\d+-\d+\S*(, \S+)*$/,
  );
  t.notMatch(pinned, /\n/, 'one line');
  const suite = await ensureKernel({ ...bookworm, suite: 'bookwrom' }, cache, recordingLog()).then(
    () => '(nothing thrown)',
    (e: Error) => e.message,
  );
  t.equal(suite, 'kernel k6.1: suite "bookwrom" is not on http://deb.debian.org/debian: HTTP 404');
});
