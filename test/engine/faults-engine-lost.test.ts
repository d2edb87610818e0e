/**
 * Faults injected for real (issue #8): the Docker engine stopped (SIGTERM) and crashed (SIGKILL) while
 * probes run, and SIGTERM while debootstrap makes the base image. Each asserts the exit status, the one
 * line the run ends with (no stack trace), what results.json keeps, and that no container of the run is
 * left.
 *
 * The engine is a second dockerd on its own socket, data-root and exec-root under this test's temporary
 * folder (test/helpers/dockerd.ts), never the shared one. The bookworm images are copied into it from
 * the default engine with `docker save | docker load`; a one-cell run on the default engine makes them
 * there first when they are missing. Needs root and dockerd; the debootstrap case also debootstrap and
 * the Debian mirror.
 */
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import t from 'tap';
import { imageTags, readRecipe } from '../../harness/docker/images.js';
import { REPO } from '../helpers/cli.js';
import { startSecondEngine } from '../helpers/dockerd.js';
import {
  bookwormImages,
  containersOf,
  FaultRuns,
  journalCells,
  oneLine,
  resultsOf,
  sleep,
  startEvents,
} from '../helpers/faults.js';
import { notRoot, requirePrereq, unreachable, which } from '../helpers/prereq.js';

const runs = new FaultRuns(t, 'faults-engine');
const images = bookwormImages(runs);
const dockerd = await which('dockerd');
const debootstrap = await which('debootstrap');

t.test('the Docker engine stops or crashes in the middle of a run', async (t) => {
  if (!requirePrereq(t, 'root', notRoot('a second dockerd needs root'))) return;
  if (!requirePrereq(t, 'dockerd', dockerd ? false : 'not on PATH (install: apt-get install docker.io)'))
    return;
  const engine = await startSecondEngine(t, dockerd as string, join(runs.tmp, 'engine2'));
  const H = engine.host;
  const env = { DOCKER_HOST: H };

  await t.test(
    'SIGTERM while debootstrap makes the base image: exit 130 at once, nothing left behind',
    async (t) => {
      if (
        !requirePrereq(
          t,
          'debootstrap',
          debootstrap ? false : 'not on PATH (install: apt-get install debootstrap)',
        )
      )
        return;
      const mirror = (await readRecipe(join(REPO, 'images'), 'bookworm')).mirror;
      const release = `${mirror}/dists/bookworm/Release`;
      if (
        !requirePrereq(
          t,
          `the Debian mirror ${mirror} (debootstrap downloads from it)`,
          await unreachable(release),
        )
      )
        return;
      // The second engine has no image yet: the run starts by making the bookworm base image.
      const rootfsDir = join(runs.tmp, 'debootstrap');
      mkdirSync(rootfsDir);
      const out = join(runs.tmp, 'images-sigterm');
      const run = runs.spawn(
        t,
        [runs.stockMatrix('images', ['default'], ['main']), '--out', out, '--no-setup'],
        { ...env, RSEQ_MATRIX_TMP: rootfsDir },
      );
      t.ok(await run.line(/debootstrap --variant=/, 60_000), 'debootstrap started');
      await sleep(700);
      // The mirror answered a moment ago: debootstrap ending by itself within 700 ms is a fault, not a pass.
      if (run.child.exitCode !== null) {
        t.fail('the run ended by itself before the signal (debootstrap failed at once)', {
          output: run.stderr().slice(-2500),
        });
        return;
      }
      const sent = Date.now();
      run.child.kill('SIGTERM');
      const r = await run.child;
      const took = Date.now() - sent;
      t.equal(r.exitCode, 130, 'exit 130', { output: r.all?.slice(-2000) });
      t.ok(took < 20_000, `ended ${took} ms after the signal (debootstrap is not waited for)`);
      oneLine(
        t,
        r.stderr,
        /^rseq-matrix: interrupted by SIGTERM: 0 of 1 cells kept in .*results\.json \(0 pass, 0 fail, 0 error, 0 skip\); run again with --resume for the rest$/,
      );
      const results = resultsOf(out);
      t.equal(results.run.complete, false);
      t.equal(results.run.interrupted, 'SIGTERM');
      t.same(readdirSync(rootfsDir), [], "debootstrap's root file system is removed");
      const procs = (await execa('pgrep', ['-f', rootfsDir], { reject: false })).stdout.trim();
      t.equal(procs, '', 'no debootstrap process is left');
      t.same(containersOf(results.run.id, H), [], 'no container of the run');
      t.equal(
        (await execa('docker', ['-H', H, 'images', '-q'], { reject: false })).stdout.trim(),
        '',
        'no half-made image',
      );
    },
  );

  // The bookworm images, copied from the default engine: same ids, so the same build keys.
  if (!requirePrereq(t, 'the bookworm images on the default engine', await images())) return;
  const tags = await imageTags(join(REPO, 'images'), 'bookworm');
  const load = await execa(
    'sh',
    ['-c', `docker save "$1" "$2" | docker -H "$3" load`, 'sh', tags.toolchain, tags.base, H],
    { reject: false },
  );
  t.equal(load.exitCode, 0, 'bookworm images loaded into the second engine', { output: load.stderr });
  if (load.exitCode !== 0) return;

  const scenarios = ['default', 'tunable-off', 'seccomp-eperm', 'seccomp-enosys'];
  const stages = ['main', 'thread', 'preload-ctor', 'exe-ctor', 'fork-child', 'malloc-first'];
  const matrix = runs.stockMatrix('engine', scenarios, stages);

  for (const sig of ['SIGTERM', 'SIGKILL'] as const) {
    await t.test(`dockerd gets ${sig} while probes run`, async (t) => {
      const out = join(runs.tmp, `engine-${sig}`);
      const events = startEvents(t, H);
      const run = runs.spawn(t, [matrix, '--out', out, '--no-setup', '--jobs', '1'], env);
      const pid = run.child.pid;
      // The second scenario's container: the first scenario's cells are measured by then.
      const ev = await events.next(
        (e) => e.pid === pid && e.purpose === 'probe bookworm/stock tunable-off',
        120_000,
      );
      t.ok(ev, 'a probe container of the run started');
      const sent = Date.now();
      await engine.signal(sig);
      const r = await run.child;
      const took = Date.now() - sent;
      t.equal(r.exitCode, 3, 'exit 3', { output: r.all?.slice(-2500) });
      t.ok(took < 60_000, `the run ended ${took} ms after the engine went (no hang)`);
      const line = oneLine(
        t,
        r.stderr,
        /^rseq-matrix: the Docker engine at (\S+) stopped answering \(.+\): 24 of 24 cells kept in (\S+) \((\d+) pass, 0 fail, (\d+) error, 0 skip\); start it and run again with --resume$/,
      );
      t.equal(line?.[1], H, 'the line names the engine');
      t.equal(line?.[2], join(out, 'results.json'), 'and the results file');
      const results = resultsOf(out);
      t.equal(results.run.complete, false, 'results.json: complete false');
      t.match(results.run.interrupted, /^the Docker engine at .* stopped answering/);
      t.equal(results.cells.length, 24, 'every cell has a result');
      const dflt = results.cells.filter((c) => c.scenario === 'default');
      t.ok(
        dflt.every((c) => c.status === 'pass' && c.observations.length > 0),
        'the cells measured before the engine went are kept, with their observations',
      );
      const errors = results.cells.filter((c) => c.status === 'error');
      t.ok(errors.length >= 6, `${errors.length} cells not measured are errors`);
      t.ok(
        errors.every((c) => /stopped answering/.test(c.reason ?? '')),
        'each names the engine that went away',
      );
      t.equal(journalCells(out), 24, 'journal and results agree');
      t.same(containersOf(results.run.id, undefined), [], 'nothing of the run on the default engine');

      // The engine comes back: what it still holds of the run (a container it never got to remove)
      // goes with the next run against it, which also measures what was missed.
      await engine.start();
      const left = containersOf(results.run.id, H);
      t.comment(`containers of the run the restarted engine still had: ${left.length}`);
      const again = await runs.run([matrix, '--out', out, '--no-setup', '--resume'], env);
      t.equal(again.exitCode, 0, '--resume: exit 0', { output: again.stderr.slice(-2000) });
      t.match(again.stderr, `resuming run ${results.run.id}: ${24 - errors.length} of 24 cells kept`);
      if (left.length) t.match(again.stderr, /removed \d+ container\(s\) left by runs that died/);
      const resumed = resultsOf(out);
      t.equal(resumed.run.complete, true);
      t.same(resumed.summary, { pass: 24, fail: 0, error: 0, skip: 0, total: 24 });
      t.same(containersOf(results.run.id, H), [], 'no container of the stopped run is left');
      t.same(containersOf(resumed.run.id, H), [], 'nor of the resumed one');
    });
  }
});
