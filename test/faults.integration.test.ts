/**
 * Faults injected for real (issue #8), each asserting the exit status, the one line the run ends with
 * (no stack trace), what results.json keeps, and that `docker ps -a` shows no container of the run:
 *
 * - the Docker engine stopped (SIGTERM) and crashed (SIGKILL) while probes run: a second dockerd on its
 *   own socket, data-root and exec-root under /tmp, never the shared one; the bookworm images are copied
 *   into it with `docker save | docker load`. On that engine, still empty, also SIGTERM while
 *   debootstrap makes the base image;
 * - the disk under the cache full while a glibc builds, and while a source is copied into the cache
 *   (small tmpfs mounts);
 * - a probe container killed from outside with `docker kill`;
 * - SIGTERM while probes run, while probes compile and while a glibc builds;
 * - the source download failing (a mirror that refuses connections) with the source in the cache
 *   (the run goes on) and without it.
 *
 * No mocks: real engines, real containers, real mounts. Builds from source use the .dsc and orig
 * tarball of glibc 2.36 from the default cache (test/build.integration.test.ts puts them there), copied
 * into temporary caches, so no test needs the network.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  closeSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statfsSync,
  writeFileSync,
} from 'node:fs';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { execa, type ResultPromise } from 'execa';
import t, { type Test } from 'tap';
import type { BuildSpec } from '../harness/build/glibc.js';
import { imageTags } from '../harness/docker/images.js';
import type { Results } from '../harness/results/types.js';
import { defaultCacheDir } from '../harness/util/paths.js';
import { exited } from './helpers/process.js';

const cli = join(process.cwd(), 'dist/harness/cli/main.js');
const HOME_CACHE = defaultCacheDir();
const isRoot = process.getuid?.() === 0;
const dockerd = (await execa('sh', ['-c', 'command -v dockerd'], { reject: false })).stdout.trim();
const hasDebootstrap =
  (await execa('sh', ['-c', 'command -v debootstrap'], { reject: false })).exitCode === 0;

/**
 * A mirror that refuses connections: a port that was free a moment ago. (Not port 9: fetch refuses the
 * "bad ports" of the Fetch standard before connecting.)
 */
const deadPort = await new Promise<number>((resolve) => {
  const server = createServer();
  server.listen(0, '127.0.0.1', () => {
    const { port } = server.address() as AddressInfo;
    server.close(() => resolve(port));
  });
});
const DEAD_MIRROR = `http://127.0.0.1:${deadPort}/debian`;
const REFUSED = `connect ECONNREFUSED 127.0.0.1:${deadPort}`;

const tmp = mkdtempSync(join(tmpdir(), 'rm-faults-'));
/** The --out folder of every run on the default engine: whatever a failing test leaves there is removed. */
const outs = new Set<string>();
t.teardown(async () => {
  for (const out of outs) {
    const first = existsSync(join(out, 'journal.jsonl'))
      ? readFileSync(join(out, 'journal.jsonl'), 'utf8').split('\n')[0]
      : undefined;
    const id = first ? (JSON.parse(first) as { run?: { id?: string } }).run?.id : undefined;
    const left = id ? containersOf(id) : [];
    if (left.length) await execa('docker', ['rm', '-f', ...left], { reject: false });
  }
  rmSync(tmp, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------------
// Helpers

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Containers of one run on an engine (`docker ps -a --filter label=rseq-matrix.session=<run id>`). */
function containersOf(session: string, host?: string): string[] {
  const out = execFileSync('docker', [
    ...(host ? ['-H', host] : []),
    'ps',
    '-aq',
    '--filter',
    `label=rseq-matrix.session=${session}`,
  ])
    .toString()
    .trim();
  return out ? out.split('\n') : [];
}

/** results.json parsed from its text: a file cut short would throw here. */
function resultsOf(out: string): Results {
  return JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as Results;
}

function journalCells(out: string): number {
  return readFileSync(join(out, 'journal.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .filter((l) => (JSON.parse(l) as { type: string }).type === 'cell').length;
}

/**
 * The run's own line: exactly one line that starts with "rseq-matrix: ", matching `re`; no stack trace
 * and no internal error anywhere on stderr.
 */
function oneLine(t: Test, stderr: string, re: RegExp): RegExpMatchArray | null {
  const lines = stderr.split('\n').filter((l) => l.startsWith('rseq-matrix: '));
  t.equal(lines.length, 1, 'one closing line', { output: stderr.slice(-2500) });
  t.match(lines[0] ?? '', re, 'the closing line says what happened');
  t.notMatch(stderr, /^\s+at \S.*(:\d+:\d+\)?|<anonymous>)$/m, 'no stack trace');
  t.notMatch(stderr, /internal error|Unhandled|node:internal/, 'no internal error');
  return (lines[0] ?? '').match(re);
}

function noStackTrace(t: Test, stderr: string): void {
  t.notMatch(stderr, /^\s+at \S.*(:\d+:\d+\)?|<anonymous>)$/m, 'no stack trace');
  t.notMatch(stderr, /internal error|Unhandled|node:internal/, 'no internal error');
}

/** Every file and folder under dir, relative to it. */
function walk(dir: string, rel = ''): string[] {
  if (!existsSync(join(dir, rel))) return [];
  const out: string[] = [];
  for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
    const p = rel ? `${rel}/${e.name}` : e.name;
    out.push(p);
    if (e.isDirectory()) out.push(...walk(dir, p));
  }
  return out;
}

/** What a failed, interrupted or stopped build must not leave in a cache: half-made entries, locks, parts. */
function halfPublished(cache: string): string[] {
  return walk(cache).filter(
    (p) =>
      /(^|\/)\.tmp-/.test(p) || /\.lock$/.test(p) || /\.part$/.test(p) || /^builds\/[0-9a-f]{16}$/.test(p),
  );
}

interface StartEvent {
  id: string;
  purpose: string;
  session: string;
  pid: number;
}

/**
 * `docker events` for the start of rseq-matrix containers, from a moment before the run was spawned
 * (--since), so that no start is missed however soon it comes.
 */
class StartEvents {
  private readonly child: ChildProcess;
  private readonly seen: StartEvent[] = [];
  private readonly waiting: { pred: (e: StartEvent) => boolean; resolve: (e: StartEvent) => void }[] = [];

  constructor(host: string | undefined, since: number) {
    this.child = spawn(
      'docker',
      [
        ...(host ? ['-H', host] : []),
        'events',
        '--since',
        String(since),
        '--filter',
        'type=container',
        '--filter',
        'event=start',
        '--filter',
        'label=rseq-matrix.session',
        '--format',
        '{{json .Actor}}',
      ],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    createInterface({ input: this.child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      let a: { ID: string; Attributes: Record<string, string> };
      try {
        a = JSON.parse(line);
      } catch {
        return;
      }
      const ev: StartEvent = {
        id: a.ID,
        purpose: a.Attributes['rseq-matrix.purpose'] ?? '',
        session: a.Attributes['rseq-matrix.session'] ?? '',
        pid: Number(a.Attributes['rseq-matrix.pid']),
      };
      this.seen.push(ev);
      for (const w of [...this.waiting])
        if (w.pred(ev)) {
          this.waiting.splice(this.waiting.indexOf(w), 1);
          w.resolve(ev);
        }
    });
  }

  /** The first start (seen or to come) that `pred` accepts; undefined after `ms`. */
  next(pred: (e: StartEvent) => boolean, ms: number): Promise<StartEvent | undefined> {
    const found = this.seen.find(pred);
    if (found) return Promise.resolve(found);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        const i = this.waiting.indexOf(w);
        if (i >= 0) this.waiting.splice(i, 1);
        resolve(undefined);
      }, ms);
      timer.unref();
      const w = {
        pred,
        resolve: (e: StartEvent) => {
          clearTimeout(timer);
          resolve(e);
        },
      };
      this.waiting.push(w);
    });
  }

  stop(): void {
    this.child.kill('SIGTERM');
  }
}

function startEvents(t: Test, host?: string): StartEvents {
  const ev = new StartEvents(host, Math.floor(Date.now() / 1000) - 1);
  t.teardown(() => ev.stop());
  return ev;
}

interface Spawned {
  child: ResultPromise<{ reject: false; all: true }>;
  stderr: () => string;
  /** Resolves once a line of stderr matches. */
  line: (re: RegExp, ms: number) => Promise<boolean>;
}

/** `rseq-matrix run ...` in the background, stderr watched as it comes. */
function spawnRun(t: Test, args: string[], env: Record<string, string> = {}): Spawned {
  track(args, env);
  const child = execa('node', [cli, 'run', ...args], {
    reject: false,
    all: true,
    env,
    timeout: 600_000,
    // A run that does not end after SIGTERM must show as such, not be killed after 5 s by execa.
    forceKillAfterDelay: false,
  });
  let text = '';
  const watchers: { re: RegExp; resolve: (ok: boolean) => void }[] = [];
  child.stderr?.on('data', (b: Buffer) => {
    text += b.toString();
    for (const w of [...watchers])
      if (w.re.test(text)) {
        watchers.splice(watchers.indexOf(w), 1);
        w.resolve(true);
      }
  });
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return {
    child,
    stderr: () => text,
    line: (re, ms) =>
      re.test(text)
        ? Promise.resolve(true)
        : new Promise((resolve) => {
            const end = (ok: boolean) => {
              clearTimeout(timer);
              if (watchers.includes(w)) watchers.splice(watchers.indexOf(w), 1);
              resolve(ok);
            };
            const w = { re, resolve: end };
            const timer = setTimeout(() => end(false), ms);
            timer.unref();
            watchers.push(w);
            void child.then(() => end(re.test(text)));
          }),
  };
}

function track(args: string[], env: Record<string, string>): void {
  const out = args[args.indexOf('--out') + 1];
  if (out && !env.DOCKER_HOST) outs.add(out);
}

async function runCli(args: string[], env: Record<string, string> = {}) {
  track(args, env);
  return execa('node', [cli, 'run', ...args], { reject: false, env, timeout: 600_000 });
}

const EXPECT: Record<string, string> = {
  default: 'registered',
  'tunable-off': 'unregistered',
  'seccomp-eperm': 'unavailable',
  'seccomp-enosys': 'unavailable',
};

/** A matrix of Debian 12's own glibc: no build, a probe container per scenario. */
function stockMatrix(name: string, scenarios: string[], stages: string[], links = ['shared']): string {
  const file = join(tmp, `${name}.yaml`);
  writeFileSync(
    file,
    `schemaVersion: 1
name: ${name}
glibc:
  - id: bookworm
    source: stock
    suite: bookworm
variants:
  - id: stock
links: [${links.join(', ')}]
scenarios: [${scenarios.join(', ')}]
stages: [${stages.join(', ')}]
expect:
${scenarios
  .map(
    (s) => `  - match: { scenario: ${s} }
    expect: ${EXPECT[s]}
    why: as matrices/stock.yaml expects for bookworm
`,
  )
  .join('')}`,
  );
  return file;
}

/** A matrix with glibc 2.36 from Debian's source package (and, with `stock`, Debian 12's own glibc). */
function sourceMatrix(
  name: string,
  o: { version: string; mirror?: string; glibcTests?: string[]; stock?: boolean },
): string {
  const file = join(tmp, `${name}.yaml`);
  writeFileSync(
    file,
    `schemaVersion: 1
name: ${name}
glibc:
${o.stock ? '  - id: bookworm\n    source: stock\n    suite: bookworm\n' : ''}  - id: glibc-2.36
    source: debian
    debian: { suite: bookworm, version: ${o.version}, debianPatches: false${o.mirror ? `, mirror: '${o.mirror}'` : ''} }
variants:
  - id: upstream
links: [shared]
scenarios: [default]
stages: [main, thread]
${o.glibcTests?.length ? `options:\n  glibcTests: [${o.glibcTests.join(', ')}]\n` : ''}expect:
  - expect: registered
    why: both register in __tls_init_tp
`,
  );
  return file;
}

/** glibc 2.36's .dsc and orig tarball in the default cache, as sources.ts names them. */
function cachedSource():
  | { version: string; dsc: string; orig: string; origName: string; sha256: string }
  | undefined {
  const dir = join(HOME_CACHE, 'sources', 'dsc');
  const name = existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => /^glibc_2\.36-[^/]+\.dsc$/.test(f))
        .sort()
        .at(-1)
    : undefined;
  if (!name) return undefined;
  const text = readFileSync(join(dir, name), 'utf8');
  const block = text.split(/^Checksums-Sha256:\n/m)[1] ?? '';
  const m = block.match(/^ ([0-9a-f]{64}) \d+ (glibc_[^\s]+\.orig\.tar\.xz)$/m);
  if (!m) return undefined;
  const [, sha256 = '', origName = ''] = m;
  const orig = join(HOME_CACHE, 'sources', 'blobs', `${sha256.slice(0, 16)}-${origName}`);
  if (!existsSync(orig)) return undefined;
  return {
    version: name.replace(/^glibc_/, '').replace(/\.dsc$/, ''),
    dsc: join(dir, name),
    orig,
    origName,
    sha256,
  };
}

/** A cache that holds the source (as a run that fetched it once leaves it), and nothing else. */
function seedSource(cache: string, src: NonNullable<ReturnType<typeof cachedSource>>): void {
  mkdirSync(join(cache, 'sources', 'dsc'), { recursive: true });
  mkdirSync(join(cache, 'sources', 'blobs'), { recursive: true });
  copyFileSync(src.dsc, join(cache, 'sources', 'dsc', `glibc_${src.version}.dsc`));
  copyFileSync(src.orig, join(cache, 'sources', 'blobs', `${src.sha256.slice(0, 16)}-${src.origName}`));
}

function mountTmpfs(t: Test, dir: string, size: string): void {
  mkdirSync(dir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
  t.teardown(async () => {
    for (let i = 0; i < 5; i++) {
      if ((await execa('umount', [dir], { reject: false })).exitCode === 0) break;
      await sleep(1000);
    }
    if (readFileSync('/proc/mounts', 'utf8').includes(` ${dir} `))
      await execa('umount', ['-l', dir], { reject: false });
    rmSync(dir, { recursive: true, force: true });
  });
}

/**
 * A second Docker engine of our own: its own socket, data-root and exec-root under this test's
 * temporary folder. Stopped and started again by the tests; removed with everything it made at the end.
 */
class SecondEngine {
  readonly dir: string;
  readonly sock: string;
  readonly host: string;
  private child: ChildProcess | undefined;
  private readonly data: string;
  private readonly exec: string;
  private readonly log: string;

  constructor(dir: string) {
    this.dir = dir;
    this.sock = join(dir, 'd.sock');
    this.host = `unix://${this.sock}`;
    this.data = join(dir, 'root');
    this.exec = join(dir, 'exec');
    this.log = join(dir, 'dockerd.log');
  }

  async start(): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    const fd = openSync(this.log, 'a');
    const child = spawn(
      dockerd,
      [
        '--bridge=none',
        '--iptables=false',
        '--ip6tables=false',
        '-H',
        this.host,
        '--data-root',
        this.data,
        '--exec-root',
        this.exec,
        '--pidfile',
        join(this.dir, 'dockerd.pid'),
      ],
      { stdio: ['ignore', fd, fd] },
    );
    closeSync(fd);
    this.child = child;
    for (let i = 0; i < 120 && child.exitCode === null; i++) {
      const r = await execa('docker', ['-H', this.host, 'version', '--format', '{{.Server.Version}}'], {
        reject: false,
        timeout: 5000,
      });
      if (r.exitCode === 0) return;
      await sleep(500);
    }
    throw new Error(`the second dockerd did not come up:\n${readFileSync(this.log, 'utf8').slice(-3000)}`);
  }

  /** Sends dockerd a signal and waits for it to be gone. */
  async signal(sig: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill(sig);
    if (!(await exited(child, 60_000))) {
      child.kill('SIGKILL');
      await exited(child, 10_000);
    }
    this.child = undefined;
  }

  /** Processes our dockerd's containerd left behind (container shims survive a SIGKILL of dockerd). */
  private leftovers(): number[] {
    const pids: number[] = [];
    for (const p of readdirSync('/proc')) {
      if (!/^\d+$/.test(p)) continue;
      try {
        if (readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(this.exec)) pids.push(Number(p));
      } catch {
        /* gone meanwhile */
      }
    }
    return pids;
  }

  async remove(): Promise<void> {
    await this.signal('SIGTERM');
    for (const pid of this.leftovers()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    const mounts = readFileSync('/proc/mounts', 'utf8')
      .split('\n')
      .map((l) => l.split(' ')[1] ?? '')
      .filter((m) => m === this.dir || m.startsWith(`${this.dir}/`))
      .sort((a, b) => b.length - a.length);
    for (const m of mounts) await execa('umount', ['-l', m], { reject: false });
    rmSync(this.dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------------
// 1. The engine stops in the middle of a run (and SIGTERM while the base image is made)

t.test(
  'the Docker engine stops or crashes in the middle of a run',
  { skip: !isRoot || !dockerd ? 'needs root and dockerd' : false },
  async (t) => {
    const engine = new SecondEngine(join(tmp, 'engine2'));
    t.teardown(() => engine.remove());
    await engine.start();
    const H = engine.host;
    const env = { DOCKER_HOST: H };

    await t.test(
      'SIGTERM while debootstrap makes the base image: exit 130 at once, nothing left behind',
      { skip: hasDebootstrap ? false : 'debootstrap is not installed' },
      async (t) => {
        // The second engine has no image yet: the run starts by making the bookworm base image.
        const rootfsDir = join(tmp, 'debootstrap');
        mkdirSync(rootfsDir);
        const out = join(tmp, 'images-sigterm');
        const run = spawnRun(t, [stockMatrix('images', ['default'], ['main']), '--out', out, '--no-setup'], {
          ...env,
          RSEQ_MATRIX_TMP: rootfsDir,
        });
        t.ok(await run.line(/debootstrap --variant=/, 60_000), 'debootstrap started');
        await sleep(700);
        if (run.child.exitCode !== null) {
          // debootstrap needs deb.debian.org; without it, it fails before the signal can come.
          t.comment(`not tested: the run ended by itself before the signal (no network for debootstrap?)`);
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
    const tags = await imageTags(join(process.cwd(), 'images'), 'bookworm');
    const load = await execa(
      'sh',
      ['-c', `docker save "$1" "$2" | docker -H "$3" load`, 'sh', tags.toolchain, tags.base, H],
      {
        reject: false,
      },
    );
    t.equal(load.exitCode, 0, 'bookworm images loaded into the second engine', { output: load.stderr });
    if (load.exitCode !== 0) return;

    const scenarios = ['default', 'tunable-off', 'seccomp-eperm', 'seccomp-enosys'];
    const stages = ['main', 'thread', 'preload-ctor', 'exe-ctor', 'fork-child', 'malloc-first'];
    const matrix = stockMatrix('engine', scenarios, stages);

    for (const sig of ['SIGTERM', 'SIGKILL'] as const) {
      await t.test(`dockerd gets ${sig} while probes run`, async (t) => {
        const out = join(tmp, `engine-${sig}`);
        const events = startEvents(t, H);
        const run = spawnRun(t, [matrix, '--out', out, '--no-setup', '--jobs', '1'], env);
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
        const again = await runCli([matrix, '--out', out, '--no-setup', '--resume'], env);
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
  },
);

// ---------------------------------------------------------------------------------------------------
// 2. Disk full

const source = cachedSource();
const noSource = source
  ? false
  : `no glibc 2.36 source in ${HOME_CACHE}/sources (run test/build.integration.test.ts once)`;

t.test(
  'the disk under the cache fills up',
  { skip: !isRoot ? 'needs root (mount)' : noSource },
  async (t) => {
    const src = source as NonNullable<typeof source>;

    await t.test('while glibc builds: the build is an error naming the full disk, exit 3', async (t) => {
      const cache = join(tmp, 'full-build');
      mountTmpfs(t, cache, '64m');
      seedSource(cache, src);
      const out = join(tmp, 'full-build-out');
      const r = await runCli([
        sourceMatrix('full', { version: src.version, mirror: DEAD_MIRROR }),
        '--out',
        out,
        '--cache',
        cache,
        '--no-setup',
      ]);
      t.equal(r.exitCode, 3, 'exit 3', { output: r.stderr.slice(-2500) });
      oneLine(
        t,
        r.stderr,
        new RegExp(
          `^rseq-matrix: no cell could be measured: build glibc-2\\.36/upstream: No space left on device in the build cache ${cache} \\(the build stopped in phase (unpack|configure|make), exit \\d+\\)$`,
        ),
      );
      const results = resultsOf(out);
      const b = results.builds.find((x) => x.glibc === 'glibc-2.36');
      t.equal(b?.status, 'error', 'the build is recorded as an error');
      t.match(b?.reason, 'No space left on device', 'naming the full disk');
      t.match(b?.logTail, 'No space left on device', 'its log tail shows it');
      t.same(
        results.cells.map((c) => [c.status, c.reason]),
        results.cells.map(() => ['error', b?.reason]),
        'every cell is an error with that reason',
      );
      t.equal(results.run.complete, true, 'every cell has a result');
      t.match(
        r.stdout,
        /ERROR glibc-2\.36\/upstream\/shared\/default\/main: build glibc-2\.36\/upstream: No space left on device/,
      );
      t.same(halfPublished(cache), [], 'no half-made entry, lock or partial file in the cache');
      t.same(readdirSync(join(cache, 'builds')), ['failed'], 'builds/ holds only the failure log');
      const failed = readdirSync(join(cache, 'builds', 'failed'));
      t.equal(failed.length, 1);
      t.match(
        readFileSync(join(cache, 'builds', 'failed', failed[0] as string), 'utf8'),
        'No space left on device',
        'the failure log is kept',
      );
      t.equal(b?.logPath, join(cache, 'builds', 'failed', failed[0] as string));
      const free = statfsSync(cache);
      t.ok(free.bavail * free.bsize > 40 * 2 ** 20, 'the space the build took is given back');
      t.same(containersOf(results.run.id), [], 'no container of the run');
    });

    await t.test(
      'while the source is copied into the cache: an error naming the full disk, exit 3',
      async (t) => {
        const cache = join(tmp, 'full-source');
        mountTmpfs(t, cache, '8m');
        const file = join(tmp, 'tarball.yaml');
        writeFileSync(
          file,
          `schemaVersion: 1
name: tarball
glibc:
  - id: glibc-2.36
    source: tarball
    tarball: { path: '${src.orig}', sha256: '${src.sha256}' }
    suite: bookworm
variants:
  - id: upstream
links: [shared]
scenarios: [default]
stages: [main]
expect:
  - expect: registered
    why: 2.36 registers in __tls_init_tp
`,
        );
        const out = join(tmp, 'full-source-out');
        const r = await runCli([file, '--out', out, '--cache', cache, '--no-setup']);
        t.equal(r.exitCode, 3, 'exit 3', { output: r.stderr.slice(-2500) });
        oneLine(
          t,
          r.stderr,
          /^rseq-matrix: no cell could be measured: build glibc-2\.36\/upstream: No space left on device: cannot write \S+$/,
        );
        const results = resultsOf(out);
        t.match(results.cells, [{ status: 'error', reason: /No space left on device/ }]);
        t.same(halfPublished(cache), [], 'no partial copy of the tarball is left');
        t.same(containersOf(results.run.id), [], 'no container of the run');
      },
    );
  },
);

// ---------------------------------------------------------------------------------------------------
// 3. A probe container killed from outside

t.test('a probe container killed from outside: its cells are errors, the run goes on, exit 1', async (t) => {
  // Many invocations in one container (both links, 15 stages, each run twice): long enough to be hit.
  const stages = [
    'ifunc-preload',
    'ifunc-dso',
    'audit-version',
    'audit-objopen',
    'audit-preinit',
    'preload-ctor',
    'preload-ctor-cycle',
    'malloc-first',
    'preinit-array',
    'exe-ctor',
    'main',
    'thread',
    'fork-child',
    'dlopen-ctor',
    'dlmopen-ctor',
  ];
  const out = join(tmp, 'killed');
  const events = startEvents(t);
  const run = spawnRun(t, [
    stockMatrix('killed', ['default', 'tunable-off'], stages, ['shared', 'static']),
    '--out',
    out,
    '--no-setup',
    '--jobs',
    '1',
  ]);
  const pid = run.child.pid;
  const ev = await events.next((e) => e.pid === pid && e.purpose === 'probe bookworm/stock default', 120_000);
  t.ok(ev, 'the probe container started');
  const kill = await execa('docker', ['kill', ev?.id ?? 'none'], { reject: false });
  t.equal(kill.exitCode, 0, 'docker kill hit it while it ran', { output: kill.stderr });
  const r = await run.child;
  t.equal(r.exitCode, 1, 'exit 1', { output: r.all?.slice(-2500) });
  noStackTrace(t, r.stderr);
  t.equal(
    r.stderr.split('\n').filter((l) => l.startsWith('rseq-matrix: ')).length,
    0,
    'an ordinary end: no closing line',
  );
  t.match(r.stderr, /probed bookworm\/stock tunable-off/, 'the run went on to the next container');
  const results = resultsOf(out);
  t.equal(results.run.complete, true);
  const killed = results.cells.filter((c) => c.scenario === 'default' && c.status !== 'skip');
  const errors = killed.filter((c) => c.status === 'error');
  t.ok(errors.length > 0, `${errors.length} of ${killed.length} cells of the killed container are errors`);
  t.ok(
    errors.every((c) => /probe container .*\(exit 137\)|killed/.test(c.reason ?? '')),
    `each with a reason: ${errors[0]?.reason}`,
  );
  t.ok(
    killed.every((c) => c.status === 'pass' || c.status === 'error'),
    'the rest of it passed (probes that ended before the kill)',
  );
  t.match(r.stdout, /ERROR bookworm\/stock\/\w+\/default\/[\w-]+: .*exit 137/, 'the summary names them');
  const next = results.cells.filter((c) => c.scenario === 'tunable-off' && c.status !== 'skip');
  t.ok(next.length > 0 && next.every((c) => c.status === 'pass'), 'the next container measured every cell');
  t.same(containersOf(results.run.id), [], 'no container of the run');
});

// ---------------------------------------------------------------------------------------------------
// 4. SIGTERM at several phases

t.test('SIGTERM', async (t) => {
  await t.test('while the engine is asked for: exit 130, nothing written', async (t) => {
    // An engine socket that accepts and never answers: the run waits for its ping when the signal comes.
    const sock = join(tmp, 'silent.sock');
    const held: Socket[] = [];
    let asked!: () => void;
    const connected = new Promise<void>((resolve) => {
      asked = resolve;
    });
    const server = createServer((c) => {
      held.push(c);
      asked();
    });
    await new Promise<void>((resolve) => server.listen(sock, resolve));
    t.teardown(async () => {
      for (const c of held) c.destroy();
      await new Promise((resolve) => server.close(resolve));
    });
    const out = join(tmp, 'sigterm-connect');
    const run = spawnRun(t, [stockMatrix('connect', ['default'], ['main']), '--out', out, '--no-setup'], {
      DOCKER_HOST: `unix://${sock}`,
    });
    await connected;
    const sent = Date.now();
    run.child.kill('SIGTERM');
    const r = await run.child;
    const took = Date.now() - sent;
    t.equal(r.exitCode, 130, 'exit 130', { output: r.all });
    t.ok(took < 3000, `ended ${took} ms after the signal (the ping is not waited for)`);
    oneLine(t, r.stderr, /^rseq-matrix: interrupted by SIGTERM before any cell ran; nothing was written$/);
    t.notOk(existsSync(out), 'no results, no journal');
  });

  await t.test('while probes run: exit 130, measured cells kept, containers removed', async (t) => {
    const out = join(tmp, 'sigterm-probes');
    const events = startEvents(t);
    const run = spawnRun(t, [
      stockMatrix(
        'sigterm',
        ['default', 'tunable-off', 'seccomp-eperm', 'seccomp-enosys'],
        ['main', 'thread', 'exe-ctor', 'fork-child', 'malloc-first', 'preload-ctor'],
      ),
      '--out',
      out,
      '--no-setup',
      '--jobs',
      '1',
    ]);
    const pid = run.child.pid;
    const ev = await events.next(
      (e) => e.pid === pid && e.purpose === 'probe bookworm/stock tunable-off',
      120_000,
    );
    t.ok(ev, 'the second probe container started');
    run.child.kill('SIGTERM');
    const r = await run.child;
    t.equal(r.exitCode, 130, 'exit 130', { output: r.all?.slice(-2500) });
    const m = oneLine(
      t,
      r.stderr,
      /^rseq-matrix: interrupted by SIGTERM: (\d+) of 24 cells kept in \S+results\.json \((\d+) pass, 0 fail, 0 error, 0 skip\); run again with --resume for the rest$/,
    );
    const results = resultsOf(out);
    t.equal(results.run.complete, false, 'complete: false');
    t.equal(results.run.interrupted, 'SIGTERM');
    t.ok(
      results.cells.filter((c) => c.scenario === 'default').every((c) => c.status === 'pass'),
      "the first container's cells are kept",
    );
    t.ok(
      results.summary.pass >= 6 && results.summary.pass < 24,
      `${results.summary.pass} cells measured so far`,
    );
    t.equal(results.summary.error, 0, 'no cell is blamed for the stop');
    t.equal(Number(m?.[1]), results.cells.length);
    t.equal(journalCells(out), results.cells.length, 'journal and results agree');
    t.same(containersOf(results.run.id), [], 'every container of the run is removed');
  });

  await t.test('while probes compile: exit 130, no half-compiled probes in the cache', async (t) => {
    const cache = join(tmp, 'sigterm-compile-cache');
    mkdirSync(cache);
    const out = join(tmp, 'sigterm-compile');
    const events = startEvents(t);
    const run = spawnRun(t, [
      stockMatrix('compile', ['default'], ['main', 'thread']),
      '--out',
      out,
      '--cache',
      cache,
      '--no-setup',
    ]);
    const pid = run.child.pid;
    const ev = await events.next((e) => e.pid === pid && e.purpose.startsWith('compile probes'), 120_000);
    t.ok(ev, 'the compile container started');
    run.child.kill('SIGTERM');
    const r = await run.child;
    t.equal(r.exitCode, 130, 'exit 130', { output: r.all?.slice(-2500) });
    oneLine(
      t,
      r.stderr,
      /^rseq-matrix: interrupted by SIGTERM: 0 of 2 cells kept in \S+ \(0 pass, 0 fail, 0 error, 0 skip\); run again with --resume for the rest$/,
    );
    const results = resultsOf(out);
    t.equal(results.run.complete, false);
    t.same(halfPublished(cache), [], 'no half-compiled probes');
    t.same(
      walk(cache).filter((p) => /^probes\/./.test(p)),
      [],
      'and no compiled probes claimed complete',
    );
    t.same(containersOf(results.run.id), [], 'every container of the run is removed');
  });

  await t.test(
    'while glibc builds: exit 130 at once, cells measured so far kept, nothing half-made in the cache',
    { skip: noSource },
    async (t) => {
      const src = source as NonNullable<typeof source>;
      const cache = join(tmp, 'sigterm-build-cache');
      seedSource(cache, src);
      const out = join(tmp, 'sigterm-build');
      const events = startEvents(t);
      // Debian 12's own glibc first (nothing to build), then a cold build of 2.36 into an empty cache.
      const run = spawnRun(t, [
        sourceMatrix('build', { version: src.version, mirror: DEAD_MIRROR, stock: true }),
        '--out',
        out,
        '--cache',
        cache,
        '--no-setup',
        '--jobs',
        '1',
        '--rebuild',
      ]);
      const pid = run.child.pid;
      const ev = await events.next(
        (e) => e.pid === pid && e.purpose === 'build glibc-2.36/upstream',
        180_000,
      );
      t.ok(ev, 'the build container started');
      t.ok(
        await run.line(/glibc-2\.36\/upstream: (configure|make)/, 120_000),
        'the build got past unpacking',
      );
      const sent = Date.now();
      run.child.kill('SIGTERM');
      const r = await run.child;
      const took = Date.now() - sent;
      t.equal(r.exitCode, 130, 'exit 130', { output: r.all?.slice(-2500) });
      t.ok(took < 30_000, `ended ${took} ms after the signal (the build is not waited for)`);
      oneLine(
        t,
        r.stderr,
        /^rseq-matrix: interrupted by SIGTERM: 2 of 4 cells kept in \S+ \(2 pass, 0 fail, 0 error, 0 skip\); run again with --resume for the rest$/,
      );
      const results = resultsOf(out);
      t.equal(results.run.complete, false);
      t.equal(results.run.interrupted, 'SIGTERM');
      t.same(
        results.cells.map((c) => [c.id, c.status]),
        [
          ['bookworm/upstream/shared/default/main', 'pass'],
          ['bookworm/upstream/shared/default/thread', 'pass'],
        ],
        "the stock cells measured before the build are kept; the build's are not blamed",
      );
      t.notOk(
        results.builds.some((b) => b.status === 'error'),
        'no build recorded as failed',
      );
      t.same(halfPublished(cache), [], 'no half-made build, lock or partial file in the cache');
      t.notOk(existsSync(join(cache, 'builds', 'failed')), 'no failure log for a build we stopped');
      t.same(containersOf(results.run.id), [], 'every container of the run is removed');
    },
  );
});

// ---------------------------------------------------------------------------------------------------
// 5. The source download fails

/** The key the harness gives an unpatched 2.36 build, and the glibc tests it was made with. */
async function cachedBuild(
  src: NonNullable<typeof source>,
): Promise<{ key: string; glibcTests: string[] } | undefined> {
  // The compiled harness, as the CLI runs it: it finds the build script beside itself.
  const { keyOf } = (await import(
    join(process.cwd(), 'dist/harness/build/glibc.js')
  )) as typeof import('../harness/build/glibc.js');
  const tags = await imageTags(join(process.cwd(), 'images'), 'bookworm');
  const id = (
    await execa('docker', ['image', 'inspect', '--format', '{{.Id}}', tags.toolchain], { reject: false })
  ).stdout.trim();
  if (!id) return undefined;
  for (const glibcTests of [['misc/tst-rseq', 'misc/tst-rseq-disable', 'nptl/tst-rseq-nptl'], []]) {
    const spec = {
      glibc: { id: 'glibc-2.36', source: 'debian', debian: { suite: 'bookworm', version: src.version } },
      variant: { id: 'upstream' },
      images: { suite: 'bookworm', base: tags.base, toolchain: tags.toolchain, toolchainId: id },
      source: { digest: src.sha256, description: '', tarball: '', version: '2.36' },
      patches: [],
    } as unknown as BuildSpec;
    const key = await keyOf(spec, [], glibcTests);
    if (existsSync(join(HOME_CACHE, 'builds', key, 'manifest.json'))) return { key, glibcTests };
  }
  return undefined;
}

t.test('the source download fails', { skip: noSource }, async (t) => {
  const src = source as NonNullable<typeof source>;
  const built = await cachedBuild(src);
  const noBuild = built
    ? false
    : `no cached build of glibc ${src.version} in ${HOME_CACHE} (test/build.integration.test.ts makes it); "SIGTERM while glibc builds" shows a build starting from a cached source`;
  // One cache for both cases that go on: the source, and the build made from it (its install tree and
  // manifest, copied), as the cache of a machine that has run this matrix before holds them.
  const cache = join(tmp, 'offline-cache');
  seedSource(cache, src);
  if (built) {
    cpSync(join(HOME_CACHE, 'builds', built.key, 'install'), join(cache, 'builds', built.key, 'install'), {
      recursive: true,
      verbatimSymlinks: true,
    });
    copyFileSync(
      join(HOME_CACHE, 'builds', built.key, 'manifest.json'),
      join(cache, 'builds', built.key, 'manifest.json'),
    );
  }

  await t.test(
    'a pinned version whose source is cached: the run goes on without the mirror',
    { skip: noBuild },
    async (t) => {
      const b = built as NonNullable<typeof built>;
      const out = join(tmp, 'offline-pinned');
      const r = await runCli([
        sourceMatrix('offline', { version: src.version, mirror: DEAD_MIRROR, glibcTests: b.glibcTests }),
        '--out',
        out,
        '--cache',
        cache,
        '--no-setup',
      ]);
      t.equal(r.exitCode, 0, 'exit 0', { output: r.stderr.slice(-2500) });
      noStackTrace(t, r.stderr);
      t.notMatch(r.stderr, /fetching|download of/, 'nothing was downloaded');
      const results = resultsOf(out);
      t.match(
        results.builds,
        [{ glibc: 'glibc-2.36', status: 'ok', key: b.key, cached: true }],
        'the cached build, under the same key',
      );
      t.same(results.summary, { pass: 2, fail: 0, error: 0, skip: 0, total: 2 }, 'its cells measured');
      t.same(containersOf(results.run.id), [], 'no container of the run');
    },
  );

  await t.test(
    'version latest, mirror down: the last cached index is used, with a warning',
    { skip: noBuild },
    async (t) => {
      const b = built as NonNullable<typeof built>;
      // An index fetched on an earlier day (sources.ts keeps one per suite and day).
      mkdirSync(join(cache, 'sources', 'index'), { recursive: true });
      writeFileSync(
        join(cache, 'sources', 'index', 'bookworm-2000-01-01.v2.json'),
        JSON.stringify([{ version: src.version, directory: 'pool/main/g/glibc' }]),
      );
      const out = join(tmp, 'offline-latest');
      const r = await runCli([
        sourceMatrix('offline-latest', { version: 'latest', mirror: DEAD_MIRROR, glibcTests: b.glibcTests }),
        '--out',
        out,
        '--cache',
        cache,
        '--no-setup',
      ]);
      t.equal(r.exitCode, 0, 'exit 0', { output: r.stderr.slice(-2500) });
      t.match(
        r.stderr,
        `warning: download of ${DEAD_MIRROR}/dists/bookworm/main/source/Sources.xz failed: ${REFUSED}; using the cached index bookworm-2000-01-01.v2.json instead`,
      );
      const results = resultsOf(out);
      t.match(results.builds, [{ status: 'ok', key: b.key, cached: true }]);
      t.same(results.summary, { pass: 2, fail: 0, error: 0, skip: 0, total: 2 });
      t.same(containersOf(results.run.id), [], 'no container of the run');
    },
  );

  await t.test('nothing cached: the cells are errors naming the download, exit 3', async (t) => {
    const empty = join(tmp, 'offline-empty');
    mkdirSync(empty);
    for (const [name, version, url] of [
      ['pinned', src.version, `${DEAD_MIRROR}/pool/main/g/glibc/glibc_${src.version}.dsc`],
      ['latest', 'latest', `${DEAD_MIRROR}/dists/bookworm/main/source/Sources.xz`],
    ] as const) {
      const out = join(tmp, `offline-empty-${name}`);
      const r = await runCli([
        sourceMatrix(`empty-${name}`, { version, mirror: DEAD_MIRROR }),
        '--out',
        out,
        '--cache',
        empty,
        '--no-setup',
      ]);
      t.equal(r.exitCode, 3, `${version}: exit 3`, { output: r.stderr.slice(-2000) });
      const reason = `build glibc-2.36/upstream: download of ${url} failed: ${REFUSED}`;
      oneLine(
        t,
        r.stderr,
        new RegExp(
          `^rseq-matrix: no cell could be measured: ${reason.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`,
        ),
      );
      const results = resultsOf(out);
      t.same(
        results.cells.map((c) => [c.status, c.reason]),
        [
          ['error', reason],
          ['error', reason],
        ],
        `${version}: both cells are errors naming the download`,
      );
      t.match(results.builds, [{ status: 'error', reason }]);
      t.same(halfPublished(empty), [], `${version}: no partial download left`);
      t.same(containersOf(results.run.id), [], `${version}: no container of the run`);
    }
  });
});
