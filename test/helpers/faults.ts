/**
 * What the fault tests (test/engine/faults-*.test.ts) share: runs of the CLI in the background with
 * their stderr watched, `docker events` for the moment a container starts, the checks every fault
 * makes (one closing line, no stack trace, nothing half-made in a cache, no container left), matrices
 * of Debian 12's own glibc and of glibc 2.36 from source, a mirror that refuses connections, and
 * glibc 2.36's source and build obtained by the test itself (a warm default cache makes that fast).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { createInterface } from 'node:readline';
import { execa, type ResultPromise } from 'execa';
import type { Test } from 'tap';
import { resolveSource } from '../../harness/builder/sources.js';
import type { ExpectRuleDoc, MatrixDoc } from '../../harness/matrix/schema.js';
import type { Results } from '../../harness/model/results.js';
import { silentLog } from '../../harness/util/log.js';
import { defaultCacheDir } from '../../harness/util/paths.js';
import { CLI, REPO } from './cli.js';
import { glibc236, RSEQ_GLIBC_TESTS, STOCK_BOOKWORM, writeMatrix } from './matrix.js';

export const HOME_CACHE = defaultCacheDir();

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Containers of one run on an engine (`docker ps -a --filter label=rseq-matrix.session=<run id>`). */
export function containersOf(session: string, host?: string): string[] {
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
export function resultsOf(out: string): Results {
  return JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as Results;
}

export function journalCells(out: string): number {
  return readFileSync(join(out, 'journal.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .filter((l) => (JSON.parse(l) as { type: string }).type === 'cell').length;
}

/**
 * The run's own line: exactly one line that starts with "rseq-matrix: ", matching `re`; no stack trace
 * and no internal error anywhere on stderr.
 */
export function oneLine(t: Test, stderr: string, re: RegExp): RegExpMatchArray | null {
  const lines = stderr.split('\n').filter((l) => l.startsWith('rseq-matrix: '));
  t.equal(lines.length, 1, 'one closing line', { output: stderr.slice(-2500) });
  t.match(lines[0] ?? '', re, 'the closing line says what happened');
  t.notMatch(stderr, /^\s+at \S.*(:\d+:\d+\)?|<anonymous>)$/m, 'no stack trace');
  t.notMatch(stderr, /internal error|Unhandled|node:internal/, 'no internal error');
  return (lines[0] ?? '').match(re);
}

export function noStackTrace(t: Test, stderr: string): void {
  t.notMatch(stderr, /^\s+at \S.*(:\d+:\d+\)?|<anonymous>)$/m, 'no stack trace');
  t.notMatch(stderr, /internal error|Unhandled|node:internal/, 'no internal error');
}

/** Every file and folder under dir, relative to it. */
export function walk(dir: string, rel = ''): string[] {
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
export function halfPublished(cache: string): string[] {
  return walk(cache).filter(
    (p) =>
      /(^|\/)\.tmp-/.test(p) || /\.lock$/.test(p) || /\.part$/.test(p) || /^builds\/[0-9a-f]{16}$/.test(p),
  );
}

export interface StartEvent {
  id: string;
  purpose: string;
  session: string;
  pid: number;
}

/**
 * `docker events` for the start of rseq-matrix containers, from a moment before the run was spawned
 * (--since), so that no start is missed however soon it comes.
 */
export class StartEvents {
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

export function startEvents(t: Test, host?: string): StartEvents {
  const ev = new StartEvents(host, Math.floor(Date.now() / 1000) - 1);
  t.teardown(() => ev.stop());
  return ev;
}

export interface Spawned {
  child: ResultPromise<{ reject: false; all: true }>;
  stderr: () => string;
  /** Resolves once a line of stderr matches. */
  line: (re: RegExp, ms: number) => Promise<boolean>;
}

/**
 * A mirror that refuses connections: a port that was free a moment ago. (Not port 9: fetch refuses the
 * "bad ports" of the Fetch standard before connecting.) `refused` is the cause a download names.
 */
export async function deadMirror(): Promise<{ url: string; refused: string }> {
  const port = await new Promise<number>((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
  return { url: `http://127.0.0.1:${port}/debian`, refused: `connect ECONNREFUSED 127.0.0.1:${port}` };
}

const EXPECT: Record<string, ExpectRuleDoc['expect']> = {
  default: 'registered',
  'tunable-off': 'unregistered',
  'seccomp-eperm': 'unavailable',
  'seccomp-enosys': 'unavailable',
};

/**
 * The runs of one fault test file: a temporary folder of its own (removed at the end), and every
 * --out folder of a run on the default engine, whose leftover containers are removed at the end too.
 */
export class FaultRuns {
  readonly tmp: string;
  private readonly outs = new Set<string>();

  constructor(root: Test, name: string) {
    this.tmp = mkdtempSync(join(tmpdir(), `rm-${name}-`));
    root.teardown(async () => {
      for (const out of this.outs) {
        const first = existsSync(join(out, 'journal.jsonl'))
          ? readFileSync(join(out, 'journal.jsonl'), 'utf8').split('\n')[0]
          : undefined;
        const id = first ? (JSON.parse(first) as { run?: { id?: string } }).run?.id : undefined;
        const left = id ? containersOf(id) : [];
        if (left.length) await execa('docker', ['rm', '-f', ...left], { reject: false });
      }
      rmSync(this.tmp, { recursive: true, force: true });
    });
  }

  private track(args: string[], env: Record<string, string>): void {
    const out = args[args.indexOf('--out') + 1];
    if (out && !env.DOCKER_HOST) this.outs.add(out);
  }

  /** `rseq-matrix run ...` in the background, stderr watched as it comes. */
  spawn(t: Test, args: string[], env: Record<string, string> = {}): Spawned {
    this.track(args, env);
    const child = execa('node', [CLI, 'run', ...args], {
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

  /** `rseq-matrix run ...` to its end. */
  run(args: string[], env: Record<string, string> = {}, timeout = 600_000) {
    this.track(args, env);
    return execa('node', [CLI, 'run', ...args], { reject: false, env, timeout });
  }

  /** A matrix of Debian 12's own glibc: no build, a probe container per scenario. */
  stockMatrix(name: string, scenarios: string[], stages: string[], links: MatrixDoc['links'] = ['shared']) {
    return writeMatrix(this.tmp, {
      name,
      glibc: [STOCK_BOOKWORM],
      variants: [{ id: 'stock' }],
      links,
      scenarios,
      stages,
      expect: scenarios.map((s) => ({
        match: { scenario: s },
        expect: EXPECT[s] ?? 'registered',
        why: 'as matrices/stock.yaml expects for bookworm',
      })),
    });
  }

  /** A matrix with glibc 2.36 from Debian's source package (and, with `stock`, Debian 12's own glibc). */
  sourceMatrix(
    name: string,
    o: { version: string; mirror?: string; glibcTests?: string[]; stock?: boolean; stages?: string[] },
  ): string {
    return writeMatrix(this.tmp, {
      name,
      glibc: [
        ...(o.stock ? [STOCK_BOOKWORM] : []),
        glibc236({ version: o.version, ...(o.mirror ? { mirror: o.mirror } : {}) }),
      ],
      variants: [{ id: 'upstream' }],
      stages: o.stages ?? ['main', 'thread'],
      ...(o.glibcTests?.length ? { options: { glibcTests: o.glibcTests } } : {}),
      expect: [{ expect: 'registered', why: 'both register in __tls_init_tp' }],
    });
  }
}

/** A tmpfs of `size` on dir (made if missing), unmounted and removed when `t` ends. */
export function mountTmpfs(t: Test, dir: string, size: string): void {
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

/** glibc 2.36's .dsc and orig tarball in the default cache, as sources.ts names them. */
export interface CachedSource {
  /** The Debian version, e.g. 2.36-9+deb12u14. */
  version: string;
  dsc: string;
  orig: string;
  origName: string;
  sha256: string;
}

/**
 * Puts the newest glibc 2.36 of bookworm (its .dsc and orig tarball) into the default cache with the
 * harness's own source code, as a run does before it builds: from deb.debian.org when it is not there
 * yet; a warm cache needs no network. Returns why it could not, as a string.
 */
export async function glibc236Source(): Promise<CachedSource | string> {
  let r: Awaited<ReturnType<typeof resolveSource>>;
  try {
    r = await resolveSource(glibc236(), HOME_CACHE, REPO, silentLog);
  } catch (e) {
    return `it could not be fetched into ${HOME_CACHE}: ${(e as Error).message}`;
  }
  const version = /^Debian glibc (\S+) /.exec(r.description)?.[1];
  if (!version) throw new Error(`no Debian version in the source's description: ${r.description}`);
  const dsc = join(HOME_CACHE, 'sources', 'dsc', `glibc_${version.replace(/^\d+:/, '')}.dsc`);
  if (!existsSync(dsc) || !existsSync(r.tarball))
    throw new Error(`the source is resolved but not where the tests look: ${dsc}, ${r.tarball}`);
  // sources.ts names the cached tarball "<first 16 of its sha256>-<name>"; unpatched, the digest is its sha256.
  return { version, dsc, orig: r.tarball, origName: basename(r.tarball).slice(17), sha256: r.digest };
}

/** A cache that holds the source (as a run that fetched it once leaves it), and nothing else. */
export function seedSource(cache: string, src: CachedSource): void {
  mkdirSync(join(cache, 'sources', 'dsc'), { recursive: true });
  mkdirSync(join(cache, 'sources', 'blobs'), { recursive: true });
  copyFileSync(src.dsc, join(cache, 'sources', 'dsc', `glibc_${src.version}.dsc`));
  copyFileSync(src.orig, join(cache, 'sources', 'blobs', `${src.sha256.slice(0, 16)}-${src.origName}`));
}

/**
 * An unpatched build of glibc 2.36 (`src`, with the glibc tests of matrices/pristine-2.36.yaml, so the
 * same build key as its runs) in the default cache: made by running the CLI on a one-cell matrix, which
 * takes it from the cache when a run made it before (seconds) and builds it otherwise (about 10 minutes
 * on 2 cores). Returns its key, or why there is none, as a string.
 */
export async function glibc236Build(
  runs: FaultRuns,
  src: CachedSource,
): Promise<{ key: string; glibcTests: string[] } | string> {
  const file = runs.sourceMatrix('prep-build', {
    version: src.version,
    glibcTests: RSEQ_GLIBC_TESTS,
    stages: ['main'],
  });
  const out = join(runs.tmp, 'prep-build-out');
  const r = await runs.run([file, '--out', out, '--no-setup'], {}, 3_600_000);
  const b = existsSync(join(out, 'results.json'))
    ? resultsOf(out).builds.find((x) => x.glibc === 'glibc-2.36')
    : undefined;
  if (b?.status !== 'ok')
    return `rseq-matrix run ${file} (to make it) ended with exit ${r.exitCode}: ${
      b?.reason ?? r.stderr.trim().split('\n').at(-1) ?? ''
    }`;
  if (!existsSync(join(HOME_CACHE, 'builds', b.key, 'manifest.json')))
    return `the run built ${b.key}, but ${HOME_CACHE}/builds/${b.key} has no manifest.json`;
  return { key: b.key, glibcTests: RSEQ_GLIBC_TESTS };
}

/**
 * The bookworm images (base and toolchain) on the default engine, which the fault tests time their
 * signals by: a one-cell run of Debian 12's own glibc makes them when they are missing (debootstrap and
 * an image build: minutes) and takes seconds when they are there. Memoized per file: call it from each
 * test that needs them. Resolves false when they are there, else why they are missing (for requirePrereq).
 */
export function bookwormImages(runs: FaultRuns): () => Promise<string | false> {
  let made: Promise<string | false> | undefined;
  return () => {
    made ??= (async () => {
      const out = join(runs.tmp, 'prep-images-out');
      const file = runs.stockMatrix('prep-images', ['default'], ['main']);
      const r = await runs.run([file, '--out', out, '--no-setup'], {}, 3_600_000);
      if (r.exitCode === 0) return false;
      return `rseq-matrix run ${file} (to make them) ended with exit ${r.exitCode}: ${r.stderr.trim().split('\n').at(-1) ?? ''}`;
    })();
    return made;
  };
}
