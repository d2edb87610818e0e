/**
 * DOCKER_HOST is honoured: a second Docker engine on this machine, on its own unix socket, data-root and
 * exec-root under this test's temporary folder (test/helpers/dockerd.ts), is the one `doctor` reports
 * when DOCKER_HOST names it. (A DOCKER_HOST where nothing answers: test/cli/docker-host-unreachable.test.ts.)
 *
 * The second engine has no images: the matrix is not run against it (that would need debootstrap and
 * toolchain images, minutes of work); the default engine's runs are tested elsewhere (run-stock, shard).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import t from 'tap';
import { runCli } from '../helpers/cli.js';
import { startSecondEngine } from '../helpers/dockerd.js';
import { notRoot, requirePrereq, which } from '../helpers/prereq.js';

const tmp = mkdtempSync(join(tmpdir(), 'rm-docker-host-'));
t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
const dockerd = await which('dockerd');

t.test('doctor reports the engine that DOCKER_HOST names', async (t) => {
  if (!requirePrereq(t, 'root', notRoot('a second dockerd needs root'))) return;
  if (!requirePrereq(t, 'dockerd', dockerd ? false : 'not on PATH (install: apt-get install docker.io)'))
    return;
  const engine = await startSecondEngine(t, dockerd as string, join(tmp, 'engine2'));
  const HOST = engine.host;
  const second = await engine.version();
  if (!second) {
    t.fail(`the second dockerd stopped answering:\n${readFileSync(engine.log, 'utf8').slice(-3000)}`);
    return;
  }
  t.match(second.version, /\S/, `second engine: ${second.version}, API ${second.api}`);

  const r = await runCli(['doctor', '--json'], { env: { DOCKER_HOST: HOST }, timeout: 120_000 });
  const checks = JSON.parse(r.stdout) as { name: string; ok: boolean; detail: string }[];
  const check = checks.find((c) => c.name === 'docker engine');
  t.equal(check?.ok, true, 'the engine answers');
  t.equal(
    check?.detail.split(',')[0],
    `${HOST}: engine ${second.version}`,
    'doctor names the second engine and its version',
  );
  t.match(check?.detail, `API ${second.api} `, 'and its API version');
  // Both engines are the same dockerd binary, so the version alone cannot tell them apart: the images
  // can. The default engine has the toolchain image (doctor runs its seccomp check in it); the
  // second one has no image at all, so doctor must say so.
  const images = await execa('docker', ['-H', HOST, 'images', '-q'], { reject: false });
  t.equal(images.stdout.trim(), '', 'the second engine has no images');
  const seccomp = checks.find((c) => c.name === 'seccomp lets rseq through');
  t.match(
    seccomp?.detail,
    'no toolchain image',
    "doctor looked into the second engine's (empty) image store",
  );
  const def = await execa('docker', ['images', '-q', 'rseq-matrix/toolchain'], { reject: false });
  if (def.stdout.trim())
    t.pass('the default engine has a toolchain image: the answer above cannot have come from it');
  t.equal(
    existsSync(join(engine.data, 'image')),
    true,
    `the second engine keeps its data under ${engine.data}`,
  );
});
