/** The toolchain fingerprint (harness/docker/toolchain-fingerprint.ts): pure parts. */
import t from 'tap';
import {
  FINGERPRINT_REPO,
  fingerprintFromTags,
  fingerprintOf,
} from '../../harness/docker/toolchain-fingerprint.js';

t.test('the same packages in any order give the same fingerprint; a new version another', async (t) => {
  const a = fingerprintOf('gcc-12 12.2.0-14 amd64\nbinutils 2.40-2 amd64\n');
  t.equal(a, fingerprintOf('\nbinutils 2.40-2 amd64\n  gcc-12 12.2.0-14 amd64'));
  t.match(a, /^[0-9a-f]{16}$/);
  t.not(a, fingerprintOf('gcc-12 12.2.0-14+deb12u1 amd64\nbinutils 2.40-2 amd64\n'));
  t.throws(() => fingerprintOf('\n\n'), /lists no Debian package/);
});

t.test('the fingerprint is read back from the image tag of its suite only', async (t) => {
  const tags = [
    'rseq-matrix/toolchain:bookworm-824bb531d5af',
    `${FINGERPRINT_REPO}:bullseye-0123456789abcdef`,
    `${FINGERPRINT_REPO}:bookworm-fedcba9876543210`,
  ];
  t.equal(fingerprintFromTags(tags, 'bookworm'), 'fedcba9876543210');
  t.equal(fingerprintFromTags(tags, 'sid'), undefined);
  t.equal(fingerprintFromTags(undefined, 'sid'), undefined);
});
