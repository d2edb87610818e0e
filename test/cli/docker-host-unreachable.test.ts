/**
 * A DOCKER_HOST where nothing answers (no socket; a socket that accepts and never answers) ends `run`
 * with exit 3 and one line naming it, without installing or starting anything. No engine needed.
 * (DOCKER_HOST naming a real second engine: test/engine/docker-host.test.ts.)
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { runCli } from '../helpers/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'rm-docker-host-'));
t.teardown(() => rmSync(tmp, { recursive: true, force: true }));

t.test('a DOCKER_HOST where nothing answers: exit 3, one line naming it, no set-up', async (t) => {
  const missing = `unix://${join(tmp, 'nothing.sock')}`;
  const out = join(tmp, 'out');
  const check = async (host: string, what: string) => {
    const started = Date.now();
    const r = await runCli(['run', 'matrices/stock.yaml', '--out', out], {
      env: { DOCKER_HOST: host },
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
  const silent = join(tmp, 'silent.sock');
  const held: Socket[] = [];
  const server = createServer((s) => held.push(s));
  await new Promise<void>((resolve) => server.listen(silent, resolve));
  t.teardown(async () => {
    for (const s of held) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  await check(`unix://${silent}`, 'a silent socket');
});
