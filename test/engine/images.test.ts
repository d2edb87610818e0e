/**
 * Toolchain images made again keep the build keys: the toolchain's part of a build key is the recipe tag
 * and the fingerprint of the installed packages, so removing the project's bookworm images and making
 * them again (debootstrap, import, toolchain build: about a minute) gives a new image id but the same
 * toolchain identity. Needs a Docker engine and root (debootstrap).
 */
import t from 'tap';
import { connectEngine } from '../../harness/docker/engine.js';
import { ensureSuiteImages, forgetSuiteImages, imageTags } from '../../harness/docker/images.js';
import { FINGERPRINT_REPO } from '../../harness/docker/toolchain-fingerprint.js';
import { silentLog } from '../../harness/util/log.js';
import { IMAGES_DIR } from '../../harness/util/paths.js';
import { notRoot, requireFilePrereq } from '../helpers/prereq.js';

requireFilePrereq(t, 'root', notRoot('debootstrap makes the base image'));

t.test('bookworm images made twice: new image ids, the same toolchain identity', async (t) => {
  const engine = await connectEngine({ autoSetup: true, log: silentLog });
  const docker = engine.docker;
  const first = await ensureSuiteImages(docker, IMAGES_DIR, 'bookworm', silentLog);
  const firstImageId = (await docker.getImage(first.toolchain).inspect()).Id;
  t.match(first.toolchainId, new RegExp(`^${first.toolchain.replace(/[/.]/g, '\\$&')}@[0-9a-f]{16}$`));

  // Remove the toolchain image (all its tags, the fingerprint tag included) and the base image.
  const { base, toolchain } = await imageTags(IMAGES_DIR, 'bookworm');
  const tags = (await docker.getImage(toolchain).inspect()).RepoTags ?? [];
  t.ok(
    tags.some((x) => x.startsWith(`${FINGERPRINT_REPO}:bookworm-`)),
    'the fingerprint is kept as a tag',
  );
  for (const tag of tags) await docker.getImage(tag).remove({ force: true });
  await docker.getImage(base).remove({ force: true });

  forgetSuiteImages();
  const second = await ensureSuiteImages(docker, IMAGES_DIR, 'bookworm', silentLog);
  const secondImageId = (await docker.getImage(second.toolchain).inspect()).Id;
  t.not(secondImageId, firstImageId, 'the toolchain image was made again');
  t.equal(second.toolchainId, first.toolchainId, 'the same toolchain identity, so the same build keys');
});
