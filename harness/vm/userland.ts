/**
 * The userland a probe run needs inside a VM, taken from the image the container would have run: a
 * short container of that image (network none, the run's read-only binds mounted as they would be)
 * copies into a staging folder bash and every command the runner script, the clients and the guest's
 * /run.sh use (each found with `command -v`), the shared libraries `ldd` lists for them and for every
 * program and library of the binds, with the dynamic loader, and the symbolic links on the way to each
 * (/bin -> usr/bin, /lib64/ld-linux-x86-64.so.2 -> ...), plus the binds' contents at their paths in
 * the container, without what no program loads at run time (static archives, objects; include/, share/,
 * sbin/ and var/ of an install tree). The staged tree becomes an uncompressed newc archive with
 * vm-init as /init (harness/vm/init.ts), kept in the cache under a digest of its inputs: the image's
 * id, the binds (their host paths name cache entries by key: a build's install tree, the compiled
 * probes, the clients; with the names, sizes and times of what each holds at its top), the command
 * list and vm-init's path (named by the digest of its source). The per-run part (the run's script and
 * writable folders) is a second, small archive the executor appends (harness/vm/executor.ts).
 */
import { createHash } from 'node:crypto';
import { lstat, mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { hasCompleteMark, makeEntry, touchEntry } from '../cache/entry.js';
import type { ContainerSession } from '../docker/containers.js';
import { tail } from '../docker/host-setup.js';
import { HostError } from '../util/errors.js';
import type { Log } from '../util/log.js';
import { sharedWork } from '../util/shared.js';
import type { Bind } from './guest.js';
import { vmInitEntries } from './init.js';
import { cpioArchive, type InitramfsEntry, initramfsRoot, readMembers } from './initramfs.js';

/** Bump when the staged tree changes for the same inputs: it is part of the cache key. */
const USERLAND_VERSION = 2;

/**
 * The userland's archive in its cache entry: uncompressed. Under TCG the guest kernel's gunzip is the
 * larger part of unpacking it: an 82 MB userland (glibc 2.36 with its debug information, the static
 * probes) took 2.4 s to unpack from gzip and 0.85 s as it is (7.3, one vCPU). The cache pays in
 * space instead (about 2.3 times as much as gzip), which `cache gc` manages like every entry.
 */
const USERLAND_FILE = 'initramfs.cpio';

/**
 * The commands of the runner script (harness/probe/plan.ts runnerScript: bash, timeout, env, mkdir, rm,
 * date, strace), of the clients' scripts (run_param_test.sh) and of the guest's /run.sh (tar, gzip,
 * base64, cat). Those the image lacks are left out (strace: the runner then traces nothing).
 */
export const GUEST_COMMANDS = [
  'bash',
  'sh',
  'env',
  'timeout',
  'mkdir',
  'rm',
  'cat',
  'date',
  'strace',
  'tar',
  'gzip',
  'base64',
  'sleep',
  'ls',
  'seq',
  'grep',
  'sed',
  'head',
  'tail',
  'wc',
  'uname',
  'nproc',
  'id',
] as const;

/** valgrind, for client cells that run under it: the program and its tools' folders. */
export const VALGRIND = {
  command: 'valgrind',
  trees: ['/usr/libexec/valgrind', '/usr/lib/x86_64-linux-gnu/valgrind'],
};

/** Where the staging container writes, and the tree it fills. */
const STAGE_IN_CONTAINER = '/rm-vm-stage';
/** The commands the image lacks, one a line, in the stage and in the cache entry. */
const MISSING_FILE = 'missing.txt';

/**
 * The staging container's bash script. Arguments: the commands; environment: VM_TREES (the binds' paths,
 * copied whole but for the exclusions) and VM_EXTRA_TREES (image folders copied whole, when present).
 */
export const STAGE_SCRIPT = `
set -u
S=${STAGE_IN_CONTAINER}/root
mkdir -p "$S"
declare -A seen
missing=()
# keep PATH: copies the file a path names to the same path in $S, and each symbolic link met on the way
# (as a link, at its own path): the tree then resolves the path as the image does.
keep() {
  local p hops=0 pre link c t rest
  p=$(realpath -sm -- "$1")
  while [ "$hops" -lt 40 ]; do
    [ -n "\${seen[$p]:-}" ] && return 0
    pre= link=
    rest=\${p#/}
    local IFS=/
    for c in $rest; do
      pre="$pre/$c"
      if [ -L "$pre" ]; then link=$pre; break; fi
    done
    unset IFS
    if [ -z "$link" ]; then
      seen[$p]=1
      if [ -f "$p" ]; then
        mkdir -p "$S\${p%/*}" && cp -p -- "$p" "$S$p"
      else
        echo "vm-stage: $p is not a file" >&2
      fi
      return 0
    fi
    t=$(readlink -- "$link")
    if [ -z "\${seen[$link]:-}" ]; then
      seen[$link]=1
      mkdir -p "$S\${link%/*}" && ln -sfn -- "$t" "$S$link"
    fi
    case $t in /*) ;; *) t=\${link%/*}/$t ;; esac
    p=$(realpath -sm -- "$t\${p#"$link"}")
    hops=$((hops + 1))
  done
  echo "vm-stage: too many links on the way to $1" >&2
}
libs() {
  local a b c d
  while read -r a b c d; do
    if [ "$b" = "=>" ]; then
      case $c in /*) keep "$c" ;; esac
    else
      case $a in /*) keep "$a" ;; esac
    fi
  done < <(ldd "$1" 2>/dev/null)
}
is_elf() { [ "$(head -c 4 -- "$1" 2>/dev/null)" = $'\\177ELF' ]; }
for c in "$@"; do
  p=$(command -v -- "$c" 2>/dev/null) || { missing+=("$c"); continue; }
  case $p in /*) ;; *) missing+=("$c"); continue ;; esac
  keep "$p"
  is_elf "$p" && libs "$p"
  # Scripts name programs by other paths (#!/bin/bash where PATH finds /usr/bin/bash): keep those too.
  for dir in /bin /sbin /usr/bin /usr/sbin; do
    [ -e "$dir/$c" ] && keep "$dir/$c"
  done
done
for d in \${VM_EXTRA_TREES:-}; do
  [ -d "$d" ] || continue
  VM_TREES="\${VM_TREES:-} $d"
done
for d in \${VM_TREES:-}; do
  mkdir -p "$S$d"
  tar -C "$d" --exclude=./include --exclude=./share --exclude=./sbin --exclude=./var --exclude=./.obj --exclude='*.a' --exclude='*.o' \\
    -cf - . | tar -C "$S$d" -xpf -
  while IFS= read -r -d '' f; do
    is_elf "$f" && libs "$f"
  done < <(find "$d" -type f \\( -perm -u+x -o -name '*.so' -o -name '*.so.*' \\) \\
    -not -path '*/gconv/*' -not -name '*.a' -not -name '*.o' -print0)
done
[ -f /etc/ld.so.cache ] && keep /etc/ld.so.cache
printf '%s\\n' "\${missing[@]}" > ${STAGE_IN_CONTAINER}/${MISSING_FILE}
exit 0
`;

export interface Userland {
  /** The cached archive (vm-init as /init, the staged tree). */
  path: string;
  key: string;
  cached: boolean;
  /** Commands the image does not have. */
  missing: string[];
}

/** The cache key of a userland: the image's id, the read-only binds, the commands, the init. */
export function userlandKey(a: {
  imageId: string;
  binds: readonly Bind[];
  /** What each bind's folder holds at its top (bindListing), in the order of `binds`. */
  listings: readonly string[];
  commands: readonly string[];
  extraTrees: readonly string[];
  initPath: string;
}): string {
  return createHash('sha256')
    .update(
      JSON.stringify({
        userland: USERLAND_VERSION,
        image: a.imageId,
        binds: a.binds.map((b, i) => [b.host, b.guest, a.listings[i] ?? '']),
        commands: a.commands,
        extraTrees: a.extraTrees,
        init: a.initPath,
      }),
    )
    .digest('hex')
    .slice(0, 16);
}

/**
 * The entries of a host folder's tree at `guest` in the VM ("" for its root): folders, files and links,
 * parents first, in a fixed order.
 */
export async function treeEntries(host: string, guest = ''): Promise<InitramfsEntry[]> {
  const out: InitramfsEntry[] = [];
  const items = (await readdir(host, { withFileTypes: true })).sort((x, y) =>
    x.name < y.name ? -1 : x.name > y.name ? 1 : 0,
  );
  for (const e of items) {
    const path = `${guest}/${e.name}`;
    const from = join(host, e.name);
    if (e.isSymbolicLink()) out.push({ kind: 'symlink', path, target: await readlink(from) });
    else if (e.isDirectory()) out.push({ kind: 'dir', path }, ...(await treeEntries(from, path)));
    else if (e.isFile()) out.push({ kind: 'file', path, from });
  }
  return out;
}

/**
 * A bind's host folder at its top: each member's name, size and modification time, but the marks the
 * cache touches on use (.complete, manifest.json). The binds are cache entries named by key (their
 * content never changes under a name); this guards against a folder of the same name made anew.
 */
export async function bindListing(host: string): Promise<string> {
  const names = (await readdir(host).catch(() => [] as string[]))
    .filter((n) => !n.startsWith('.') && n !== 'manifest.json')
    .sort();
  const lines: string[] = [];
  for (const n of names) {
    const st = await lstat(join(host, n)).catch(() => undefined);
    if (st) lines.push(`${n} ${st.isDirectory() ? 'dir' : st.size} ${Math.floor(st.mtimeMs)}`);
  }
  return lines.join('\n');
}

const inFlight = new Map<string, Promise<Userland>>();

/** The userland of an image and its binds, from the cache or staged and archived now. */
export function ensureUserland(a: {
  session: ContainerSession;
  docker: Docker;
  image: string;
  binds: readonly Bind[];
  commands: readonly string[];
  extraTrees: readonly string[];
  initPath: string;
  cacheDir: string;
  tmpDir?: string;
  log: Log;
}): Promise<Userland> {
  return (async () => {
    const imageId = ((await a.docker.getImage(a.image).inspect()) as { Id: string }).Id;
    const listings = await Promise.all(a.binds.map((b) => bindListing(b.host)));
    const key = userlandKey({ ...a, imageId, listings });
    return sharedWork(inFlight, `${a.cacheDir}\0${key}`, () => makeUserland(a, key)).finally(() =>
      inFlight.delete(`${a.cacheDir}\0${key}`),
    );
  })();
}

async function makeUserland(a: Parameters<typeof ensureUserland>[0], key: string): Promise<Userland> {
  const root = initramfsRoot(a.cacheDir);
  const dir = join(root, key);
  const path = join(dir, USERLAND_FILE);
  const missingOf = (d: string) =>
    readFile(join(d, MISSING_FILE), 'utf8')
      .then((t) => t.split('\n').filter(Boolean))
      .catch(() => [] as string[]);
  if (hasCompleteMark(dir)) {
    await touchEntry(dir);
    return { path, key, cached: true, missing: await missingOf(dir) };
  }
  const started = Date.now();
  const stage = await mkdtemp(join(a.tmpDir ?? tmpdir(), 'rseq-matrix-userland-'));
  try {
    const r = await a.session.run({
      image: a.image,
      cmd: ['/bin/bash', '-c', STAGE_SCRIPT, 'vm-stage', ...a.commands],
      env: {
        VM_TREES: a.binds.map((b) => b.guest).join(' '),
        VM_EXTRA_TREES: a.extraTrees.join(' '),
      },
      binds: [...a.binds.map((b) => `${b.host}:${b.guest}:ro`), `${stage}:${STAGE_IN_CONTAINER}`],
      network: 'none',
      timeoutMs: 300_000,
      purpose: `stage a VM userland from ${a.image}`,
    });
    if (r.exitCode !== 0)
      throw new HostError(
        `staging the VM's userland from ${a.image} failed (${r.timedOut ? 'timed out' : `exit ${r.exitCode}`})`,
        undefined,
        tail(`${r.stdout}\n${r.stderr}`, 30),
      );
    const missing = await missingOf(stage);
    const entries = vmInitEntries(a.initPath, [
      { kind: 'dir', path: '/tmp', mode: 0o1777 },
      ...(await treeEntries(join(stage, 'root'))),
    ]);
    const members = await readMembers(entries);
    const bytes = members.reduce((s, m) => s + m.data.length, 0);
    await makeEntry({
      root,
      key,
      fill: async (d) => {
        await writeFile(join(d, USERLAND_FILE), cpioArchive(members));
        await writeFile(join(d, MISSING_FILE), missing.map((m) => `${m}\n`).join(''));
      },
    });
    a.log.info(
      `vm: userland of ${a.image} staged (${members.length} members, ${(bytes / 2 ** 20).toFixed(1)} MiB) in ${((Date.now() - started) / 1000).toFixed(1)} s${missing.length ? `; the image lacks ${missing.join(', ')}` : ''}`,
    );
    if (r.stderr.trim()) a.log.debug(`vm: staging said: ${tail(r.stderr, 10)}`);
    return { path, key, cached: false, missing };
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}
