/**
 * The toolchain's identity in a build key: what is installed in the toolchain image (every Debian
 * package with its version), not the engine's image id. An image made again from the same recipe on
 * the same mirror (images removed, a new machine, a CI runner restoring the build cache) installs the
 * same packages and so keeps every build key; a new gcc or binutils from the mirror changes them.
 *
 * The fingerprint is computed once per image, in a container (network none), and kept on the image
 * itself as a second tag, rseq-matrix/toolchain-fingerprint:<suite>-<sha>, so that later runs read it
 * from `docker image inspect` without starting anything.
 */
import { createHash, randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import { HostError } from '../util/errors.js';
import type { Log } from '../util/log.js';
import { ContainerSession } from './containers.js';

export const FINGERPRINT_REPO = 'rseq-matrix/toolchain-fingerprint';

/** The package list as the container prints it: one "name version arch" line each. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format, not a JavaScript template
export const LIST_PACKAGES = "dpkg-query -W -f='${Package} ${Version} ${Architecture}\\n' | LC_ALL=C sort";

/** The fingerprint of a package list (pure): 16 hex digits of its sha256, lines sorted, blanks dropped. */
export function fingerprintOf(packageList: string): string {
  const lines = packageList
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .sort();
  if (lines.length === 0) throw new HostError('the toolchain image lists no Debian package');
  return createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 16);
}

/** The fingerprint tag among an image's tags, for this suite, or undefined. */
export function fingerprintFromTags(tags: readonly string[] | undefined, suite: string): string | undefined {
  const prefix = `${FINGERPRINT_REPO}:${suite}-`;
  const tag = (tags ?? []).find((t) => t.startsWith(prefix));
  return tag?.slice(prefix.length);
}

/** The toolchain image's fingerprint: read from its tag, or computed in a container and tagged. */
export async function toolchainFingerprint(
  docker: Docker,
  image: string,
  suite: string,
  log: Log,
): Promise<string> {
  const info = await docker.getImage(image).inspect();
  const known = fingerprintFromTags(info.RepoTags, suite);
  if (known) return known;
  const session = new ContainerSession(docker, `fingerprint-${randomBytes(3).toString('hex')}`, log);
  try {
    const r = await session.run({
      image,
      cmd: ['/bin/sh', '-c', LIST_PACKAGES],
      binds: [],
      network: 'none',
      timeoutMs: 60_000,
      purpose: `list the packages of ${image}`,
    });
    if (r.exitCode !== 0)
      throw new HostError(
        `listing the packages of ${image} failed (exit ${r.exitCode})`,
        undefined,
        r.stderr.slice(-2000),
      );
    const fp = fingerprintOf(r.stdout);
    await docker.getImage(info.Id).tag({ repo: FINGERPRINT_REPO, tag: `${suite}-${fp}` });
    log.info(
      `toolchain ${image}: ${r.stdout.split('\n').filter(Boolean).length} packages, fingerprint ${fp}`,
    );
    return fp;
  } finally {
    await session.close();
  }
}
