/**
 * An engine that cannot be used, for real: the real engine's socket, which the user nobody may not open.
 * Needs root (to run the CLI as nobody) and the default engine's socket. (Engines whose API is too old,
 * faked: test/cli/engine-api.test.ts.)
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import t from 'tap';
import { CLI } from '../helpers/cli.js';
import { notRoot, requirePrereq } from '../helpers/prereq.js';

const tmp = mkdtempSync(join(tmpdir(), 'rm-engine-'));
t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
const SOCKET = '/var/run/docker.sock';

t.test("the engine's socket is not permitted for this user: exit 3, one line and the fix", async (t) => {
  if (!requirePrereq(t, 'root', notRoot('the test runs the CLI as the user nobody'))) return;
  if (
    !requirePrereq(
      t,
      `the Docker engine's socket ${SOCKET}`,
      existsSync(SOCKET) ? false : 'it does not exist (is dockerd running?)',
    )
  )
    return;
  const r = await execa(
    'runuser',
    [
      '-u',
      'nobody',
      '--',
      // env -i: not tap's process-info hook (it joins every node child and cannot write .tap/ as nobody).
      'env',
      '-i',
      `PATH=${process.env.PATH ?? '/usr/bin:/bin'}`,
      `DOCKER_HOST=unix://${SOCKET}`,
      'node',
      CLI,
      'run',
      'matrices/stock.yaml',
      '--no-setup',
      '--out',
      join(tmp, 'nobody'),
    ],
    { reject: false },
  );
  t.equal(r.exitCode, 3);
  t.same(r.stderr.trim().split('\n'), [
    "rseq-matrix: the Docker engine's socket /var/run/docker.sock is not permitted for nobody",
    "fix: run as root, or add nobody to the socket's group (Debian: sudo usermod -aG docker nobody, then log in again)",
  ]);
});
