/**
 * Engines that cannot be used, through the built CLI and no real engine: an engine whose API is too old,
 * and one older than the client that is spoken to in its own API version. The fake engines are HTTP
 * servers on unix sockets that answer what dockerd answers to /_ping and /version. (The real engine's
 * socket, not permitted for the user nobody: test/engine/engine-faults.test.ts.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { runCli } from '../helpers/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'rm-engine-'));
t.teardown(() => rmSync(tmp, { recursive: true, force: true }));

/** A fake engine of the given API version; every request's path is recorded. */
async function fakeEngine(api: string): Promise<{ host: string; paths: string[]; server: Server }> {
  const sock = join(tmp, `engine-${api}.sock`);
  const paths: string[] = [];
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0] ?? '';
    paths.push(path);
    if (/^(\/v[\d.]+)?\/_ping$/.test(path)) {
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Api-Version': api });
      res.end('OK');
    } else if (/^(\/v[\d.]+)?\/version$/.test(path)) {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(
        JSON.stringify({
          Version: 'fake',
          ApiVersion: api,
          MinAPIVersion: '1.12',
          Os: 'linux',
          Arch: 'amd64',
        }),
      );
    } else if (/^(\/v[\d.]+)?\/info$/.test(path)) {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ SecurityOptions: ['name=seccomp,profile=default'], Driver: 'fake' }));
    } else {
      res.writeHead(500, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ message: `the fake engine does not do ${path}` }));
    }
  });
  await new Promise<void>((r) => server.listen(sock, r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  return { host: `unix://${sock}`, paths, server };
}

const run = (env: Record<string, string>, extra: string[] = []) =>
  runCli(['run', 'matrices/stock.yaml', '--no-setup', '--out', join(tmp, 'out'), ...extra], { env });

t.test('an engine whose API is too old: exit 3, one line and the fix', async (t) => {
  const e = await fakeEngine('1.24');
  const r = await run({ DOCKER_HOST: e.host });
  t.equal(r.exitCode, 3);
  t.same(r.stderr.trim().split('\n'), [
    'rseq-matrix: the Docker engine speaks API 1.24; rseq-matrix needs at least 1.25',
    'fix: upgrade the engine (Debian: apt-get install docker.io)',
  ]);
});

t.test('an engine older than the client is spoken to in its own API version', async (t) => {
  const e = await fakeEngine('1.30');
  const r = await run({ DOCKER_HOST: e.host }, ['--filter', 'glibc=bookworm,stage=main']);
  const after = e.paths.slice(e.paths.findIndex((p) => p.endsWith('/version')) + 1);
  t.ok(after.length > 0, `requests after /version: ${after.join(' ')}`);
  t.ok(
    after.every((p) => p.startsWith('/v1.30/')),
    'every request after the negotiation uses /v1.30/',
  );
  t.notMatch(r.stderr, /\n\s+at .*\.js:\d+/, 'no stack trace');
  t.ok(
    r.exitCode === 1 || r.exitCode === 3,
    `the fake's refusals end the run as a host fault or failed cells (${r.exitCode})`,
  );
});
