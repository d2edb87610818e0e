/**
 * DOCKER_HOST is honoured: a second Docker engine on this machine, on its own unix socket, data-root and
 * exec-root under /tmp, is the one `doctor` reports when DOCKER_HOST names it. And a DOCKER_HOST where
 * nothing answers ends `run` with exit 3 and one line naming it, without installing or starting anything.
 *
 * The second engine has no images: the matrix is not run against it (that would need debootstrap and
 * toolchain images, minutes of work); the default engine's runs are tested elsewhere (run-stock, shard).
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { execa } from 'execa';
import t from 'tap';
import { exited } from './helpers/process.js';

const cli = join(process.cwd(), 'dist/harness/cli/main.js');
const SOCK = '/tmp/rm-dockerd2.sock';
const HOST = `unix://${SOCK}`;
const DATA = '/tmp/rm-dockerd2-root';
const EXEC = '/tmp/rm-dockerd2-exec';
const PIDFILE = '/tmp/rm-dockerd2.pid';
const LOG = '/tmp/rm-dockerd2.log';

const isRoot = process.getuid?.() === 0;
const dockerd = (await execa('sh', ['-c', 'command -v dockerd'], { reject: false })).stdout.trim();

async function engineVersion(host: string): Promise<{ version: string; api: string } | undefined> {
  const r = await execa(
    'docker',
    ['-H', host, 'version', '--format', '{{.Server.Version}} {{.Server.APIVersion}}'],
    {
      reject: false,
      timeout: 5000,
    },
  );
  if (r.exitCode !== 0) return undefined;
  const [version = '', api = ''] = r.stdout.trim().split(' ');
  return { version, api };
}

/** Unmounts whatever the second engine left mounted under its roots, then removes every file of it. */
async function removeLeftovers(): Promise<void> {
  const mounts = readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[1] ?? '')
    .filter((m) => m.startsWith(`${DATA}/`) || m.startsWith(`${EXEC}/`) || m === DATA || m === EXEC)
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) await execa('umount', ['-l', m], { reject: false });
  for (const p of [DATA, EXEC, SOCK, PIDFILE, LOG]) rmSync(p, { recursive: true, force: true });
}

t.test(
  'doctor reports the engine that DOCKER_HOST names',
  { skip: !isRoot || !dockerd ? 'needs root and dockerd' : false },
  async (t) => {
    // A dockerd of an earlier, killed test run is still ours: stop it by its pid file, if that pid is one.
    if (existsSync(PIDFILE)) {
      const pid = Number(readFileSync(PIDFILE, 'utf8').trim());
      const cmd =
        pid > 0 && existsSync(`/proc/${pid}/cmdline`) ? readFileSync(`/proc/${pid}/cmdline`, 'utf8') : '';
      if (cmd.includes(SOCK)) process.kill(pid, 'SIGTERM');
      await new Promise((r) => setTimeout(r, 3000));
    }
    await removeLeftovers();

    const log = openSync(LOG, 'w');
    const child = spawn(
      dockerd,
      [
        '--bridge=none',
        '--iptables=false',
        '--ip6tables=false',
        '-H',
        HOST,
        '--data-root',
        DATA,
        '--exec-root',
        EXEC,
        '--pidfile',
        PIDFILE,
      ],
      { stdio: ['ignore', log, log] },
    );
    closeSync(log);
    t.teardown(async () => {
      child.kill('SIGTERM');
      if (!(await exited(child, 30_000))) {
        child.kill('SIGKILL');
        await exited(child, 5000);
      }
      await removeLeftovers();
    });

    let second: { version: string; api: string } | undefined;
    for (let i = 0; i < 120 && !second && child.exitCode === null; i++) {
      await new Promise((r) => setTimeout(r, 500));
      second = await engineVersion(HOST);
    }
    if (!second) {
      t.fail(`the second dockerd did not come up:\n${readFileSync(LOG, 'utf8').slice(-3000)}`);
      return;
    }
    t.match(second.version, /\S/, `second engine: ${second.version}, API ${second.api}`);

    const r = await execa('node', [cli, 'doctor', '--json'], {
      env: { DOCKER_HOST: HOST },
      reject: false,
      timeout: 120_000,
    });
    const checks = JSON.parse(r.stdout) as { name: string; ok: boolean; detail: string }[];
    const engine = checks.find((c) => c.name === 'docker engine');
    t.equal(engine?.ok, true, 'the engine answers');
    t.equal(
      engine?.detail.split(',')[0],
      `${HOST}: engine ${second.version}`,
      'doctor names the second engine and its version',
    );
    t.match(engine?.detail, `API ${second.api} `, 'and its API version');
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
    t.equal(existsSync(`${DATA}/image`), true, `the second engine keeps its data under ${DATA}`);
  },
);

t.test('a DOCKER_HOST where nothing answers: exit 3, one line naming it, no set-up', async (t) => {
  const missing = `unix:///tmp/rm-nothing-${process.pid}.sock`;
  const out = `/tmp/rm-nothing-out-${process.pid}`;
  t.teardown(() => rmSync(out, { recursive: true, force: true }));
  const check = async (host: string, what: string) => {
    const started = Date.now();
    const r = await execa('node', [cli, 'run', 'matrices/stock.yaml', '--out', out], {
      env: { DOCKER_HOST: host },
      reject: false,
      timeout: 60_000,
    });
    t.equal(r.exitCode, 3, `${what}: exit 3`);
    const lines = r.stderr.trim().split('\n');
    t.equal(
      lines[0],
      `rseq-matrix: no Docker engine answers at DOCKER_HOST=${host}`,
      `${what}: one line naming DOCKER_HOST`,
    );
    // The one other line a host error may have is its fix.
    t.same(
      lines.slice(1),
      ['fix: check that engine, or unset DOCKER_HOST'],
      `${what}: and its fix, nothing else`,
    );
    t.notMatch(
      r.stderr,
      /install|starting dockerd|apt-get/,
      `${what}: no automatic set-up for a non-default host`,
    );
    t.equal(r.stdout, '', `${what}: nothing on stdout`);
    t.ok(Date.now() - started < 30_000, `${what}: gives up promptly`);
    t.equal(existsSync(join(out, 'results.json')), false, `${what}: no results written`);
  };
  await check(missing, 'no socket');

  // A socket that accepts connections and never answers: the ping's time limit ends the wait.
  const silent = `/tmp/rm-silent-${process.pid}.sock`;
  const held: Socket[] = [];
  const server = createServer((s) => held.push(s));
  await new Promise<void>((resolve) => server.listen(silent, resolve));
  t.teardown(async () => {
    for (const s of held) s.destroy();
    await new Promise((resolve) => server.close(resolve));
    rmSync(silent, { force: true });
  });
  await check(`unix://${silent}`, 'a silent socket');
});
