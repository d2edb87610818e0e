/**
 * The guest side of the VM executor (harness/vm/guest.ts) without a VM: binds read as the executor reads
 * them, the seccomp profiles of harness/probe/seccomp.ts turned into vm-init's errno (and others refused),
 * and the guest's /run.sh run for real by the host's bash (with a scratch folder of its own instead of the
 * guest's /tmp), its framed output read back: the writable folder's tar, stdout, stderr, the status, a
 * time limit, and a frame cut short.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import t from 'tap';
import { seccompProfile } from '../../harness/probe/seccomp.js';
import {
  bashWord,
  configHasSeccompFilter,
  guestScript,
  memoryOf,
  parseBind,
  parseGuestReport,
  rseqErrnoOfProfile,
} from '../../harness/vm/guest.js';

const tmp = mkdtempSync(join(tmpdir(), 'rm-vm-guest-'));
t.teardown(() => rmSync(tmp, { recursive: true, force: true }));

t.test('binds: host, path in the VM, read-only or not', async (t) => {
  t.same(parseBind('/cache/builds/k/install:/opt/glibc:ro'), {
    host: '/cache/builds/k/install',
    guest: '/opt/glibc',
    readOnly: true,
  });
  t.same(parseBind('/w/x:/rm/out/'), { host: '/w/x', guest: '/rm/out', readOnly: false });
  t.same(parseBind('/w/x:/rm/out:rw').readOnly, false);
  t.throws(() => parseBind('/w/x'), /host:container/);
  t.throws(() => parseBind('/w/x:/a:rx'), /host:container/);
  t.throws(() => parseBind('/w/x:rel/path'), /must be absolute/);
  t.throws(() => parseBind('/w/x:/a/../b'), /must be absolute/);
});

t.test("the scenarios' seccomp profiles become an errno; any other profile is refused", async (t) => {
  t.equal(rseqErrnoOfProfile(seccompProfile('ENOSYS')), 38);
  t.equal(rseqErrnoOfProfile(seccompProfile('EPERM')), 1);
  const profile = JSON.parse(seccompProfile('ENOSYS')) as { defaultAction: string; syscalls: object[] };
  const refuse = (p: object, why: string) =>
    t.throws(() => rseqErrnoOfProfile(JSON.stringify(p)), /only a seccomp profile that allows/, why);
  refuse({ ...profile, defaultAction: 'SCMP_ACT_ERRNO' }, 'a default other than allow');
  refuse(
    { ...profile, syscalls: [...profile.syscalls, { names: ['getpid'], action: 'SCMP_ACT_KILL' }] },
    'a second rule',
  );
  refuse(
    { ...profile, syscalls: [{ names: ['rseq', 'getpid'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }] },
    'more names',
  );
  refuse({ ...profile, syscalls: [{ names: ['rseq'], action: 'SCMP_ACT_KILL' }] }, 'another action');
  refuse({ ...profile, syscalls: [{ names: ['rseq'], action: 'SCMP_ACT_ERRNO' }] }, 'no errno');
  t.throws(() => rseqErrnoOfProfile('{'), /not JSON/);
});

t.test('small readers: bash words, meminfo, kernel config', async (t) => {
  t.equal(bashWord('/rm/out/run.sh'), '/rm/out/run.sh');
  t.equal(bashWord("it's here"), `'it'\\''s here'`);
  t.equal(execFileSync('bash', ['-c', `printf %s ${bashWord("a 'b' $c")}`]).toString(), "a 'b' $c");
  t.same(memoryOf('MemTotal:        995616 kB\nMemFree: 1 kB\nMemAvailable:     776276 kB\n'), {
    totalKiB: 995616,
    availableKiB: 776276,
  });
  t.same(memoryOf('nothing'), {});
  t.ok(configHasSeccompFilter('CONFIG_SECCOMP=y\nCONFIG_SECCOMP_FILTER=y\n'));
  t.notOk(configHasSeccompFilter('CONFIG_SECCOMP=y\n# CONFIG_SECCOMP_FILTER is not set\n'));
});

/** Runs a guest script with the host's bash; its descriptor 1 (the data port in the VM) is returned. */
function runGuest(name: string, cmd: string[], timeoutSec: number, env?: Record<string, string>) {
  const out = join(tmp, name, 'out');
  mkdirSync(join(out, 'obs'), { recursive: true });
  writeFileSync(join(out, 'run.sh'), '# the runner would be here\n');
  const script = guestScript({
    cmd,
    ...(env ? { env } : {}),
    workdir: out,
    timeoutSec,
    sendBack: [out],
    tmp: join(tmp, name, 'guest-tmp'),
  });
  const file = join(tmp, name, 'guest.sh');
  writeFileSync(file, script);
  let data: string;
  let status = 0;
  try {
    data = execFileSync('bash', [file], { encoding: 'utf8' });
  } catch (e) {
    const err = e as { stdout: string; status: number };
    data = err.stdout;
    status = err.status;
  }
  return { out, data, status, report: parseGuestReport(data) };
}

/** The member names and texts of a gzip-compressed tar (ustar headers read here). */
function untar(gz: Buffer): Map<string, string> {
  const buf = gunzipSync(gz);
  const files = new Map<string, string>();
  for (let at = 0; at + 512 <= buf.length; ) {
    const header = buf.subarray(at, at + 512);
    if (header.every((b) => b === 0)) break;
    const name = header.subarray(0, 100).toString('utf8').replace(/\0.*$/s, '');
    const size = Number.parseInt(header.subarray(124, 136).toString('ascii').replace(/\0.*$/s, '').trim(), 8);
    const type = String.fromCharCode(header[156] ?? 0);
    if (type === '0' || type === '\0')
      files.set(name, buf.subarray(at + 512, at + 512 + size).toString('utf8'));
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}

t.test("the guest's /run.sh: the command's folder, output and status come back framed", async (t) => {
  const { data, status, report } = runGuest(
    'plain',
    [
      '/bin/bash',
      '-c',
      'echo "$GREETING" > obs/a.jsonl; printf "%s\\n" "to stdout"; echo "to stderr" >&2; exit 3',
    ],
    30,
    { GREETING: "hello 'there'" },
  );
  t.equal(status, 3, "the script ends with the command's status");
  t.same(report.cut, [], 'no frame cut short');
  t.same(report.stray, [], 'nothing outside the frames');
  t.same(report.status, { rc: 3, timedOut: false });
  t.equal(report.frames.get('stdout')?.toString(), 'to stdout\n');
  t.match(report.frames.get('stderr')?.toString(), /^to stderr\n/);
  t.match(report.frames.get('meminfo')?.toString(), /^MemTotal:/m);
  t.equal(report.frames.get('uname')?.toString().trim(), execFileSync('uname', ['-r']).toString().trim());
  const tarFrame = [...report.frames.keys()].find((k) => k.startsWith('tar '));
  t.ok(tarFrame, 'the writable folder came back');
  const files = untar(report.frames.get(tarFrame as string) as Buffer);
  t.equal(files.get('./obs/a.jsonl'), "hello 'there'\n", 'with what the command wrote, its environment in');
  t.equal(files.get('./run.sh'), '# the runner would be here\n', 'and what was there before');
  t.ok(
    data.split('\n').every((l) => l.length <= 80),
    'base64 lines stay short (a serial line never carries a whole file in one line)',
  );
});

t.test("the guest's time limit: the command is stopped and the status says so", async (t) => {
  const started = Date.now();
  const { report } = runGuest('slow', ['/bin/bash', '-c', 'echo started > obs/b; sleep 60'], 1);
  t.ok(Date.now() - started < 20_000, 'stopped well before the sleep ended');
  t.same(report.status, { rc: 124, timedOut: true });
  const tarFrame = [...report.frames.keys()].find((k) => k.startsWith('tar ')) as string;
  t.equal(
    untar(report.frames.get(tarFrame) as Buffer).get('./obs/b'),
    'started\n',
    'what it wrote so far came back',
  );
});

t.test('a data port that stops inside a frame: the frame is cut, the whole ones are kept', async (t) => {
  const { data } = runGuest('cut', ['/bin/bash', '-c', 'echo hi'], 30);
  const at = data.indexOf('@@vm-begin meminfo');
  const r = parseGuestReport(`${data.slice(0, at)}@@vm-begin meminfo\nTWVtVG90YWw6`);
  t.same(r.cut, ['meminfo']);
  t.equal(r.frames.get('stdout')?.toString(), 'hi\n');
  t.equal(r.status, undefined, 'no status line');
  const seccomp = parseGuestReport(
    '@@vm-seccomp-failed prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER): Invalid argument\n',
  );
  t.match(seccomp.seccompFailed, /Invalid argument/);
});
