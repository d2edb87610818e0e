/**
 * Real rseq clients against a build: the Linux rseq selftests compiled against the build's glibc
 * (probes/clients.mk), cached under a key of (build, selftests tree, probe sources).
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ReadyBuild } from '../builder/build.js';
import type { SelftestsSource } from '../builder/selftests.js';
import { hasCompleteMark, makeEntry, touchEntry } from '../cache/entry.js';
import { cachePath } from '../cache/layout.js';
import type { ContainerSession } from '../docker/containers.js';
import { tail } from '../docker/host-setup.js';
import type { ClientDef, Link } from '../model/catalogue.js';
import { errorMessage } from '../util/errors.js';
import { IN_CONTAINER } from './plan.js';
import { probeSourceDigest } from './source-digest.js';

/** What the client cells of a container need; each part absent when it could not be made (failure says why). */
export interface ClientSetup {
  /** The image with valgrind (the toolchain image plus CLIENT_PACKAGES). */
  image?: string;
  /** The compiled selftests (compileClients). */
  binDir?: string;
  /** Why there is no image / no compiled selftests. */
  imageFailure?: string;
  selftestsFailure?: string;
  selftestsLogTail?: string;
  thoroughTimeoutSec: number;
}

export interface CompiledClients {
  binDir: string;
  cached: boolean;
  durationMs: number;
}

/**
 * Compiles every selftest, shared and static, against the build. A test that does not build does not
 * stop the others (make -k): its cells say why (clientMissing). Throws only when nothing could run.
 */
export async function compileClients(
  session: ContainerSession,
  build: ReadyBuild,
  image: string,
  selftests: SelftestsSource,
  probesDir: string,
  cacheDir: string,
): Promise<CompiledClients> {
  const started = Date.now();
  const key = `${build.key}-${selftests.digest.slice(0, 12)}-${await probeSourceDigest(probesDir)}`;
  const root = cachePath(cacheDir, 'clientBins');
  const binDir = join(root, key);
  if (hasCompleteMark(binDir)) {
    await touchEntry(binDir);
    return { binDir, cached: true, durationMs: 0 };
  }
  const fill = async (tmp: string) => {
    const vars = Object.entries(build.probeMakeVars).map(([k, v]) => `${k}=${v}`);
    const r = await session.run({
      image,
      cmd: [
        'make',
        '-k',
        '-s',
        '-f',
        'clients.mk',
        '-C',
        '/rm/src',
        `OUT=${IN_CONTAINER.clients}`,
        'SELFTESTS=/rm/selftests',
        ...vars,
      ],
      binds: [
        `${probesDir}:/rm/src:ro`,
        `${selftests.dir}:/rm/selftests:ro`,
        `${tmp}:${IN_CONTAINER.clients}`,
        ...build.binds,
      ],
      network: 'none',
      timeoutMs: 600_000,
      purpose: `compile the rseq selftests for ${build.glibc}/${build.variant}`,
    });
    if (r.timedOut) throw new Error('compiling the rseq selftests timed out');
    // make -k exits 2 when some selftest does not build: that is kept (each cell says why). A container
    // that was stopped or killed (a Ctrl-C, the engine) compiled nothing to keep: no entry is sealed.
    if (r.exitCode === null || r.exitCode >= 128)
      throw new Error(
        `compiling the rseq selftests was stopped (${r.exitCode === null ? 'no exit status' : `exit ${r.exitCode}`})`,
      );
    await writeFile(join(tmp, 'make.log'), `${r.stdout}\n${r.stderr}`);
  };
  // Staged, sealed with .complete and renamed into place; another run's entry of the same key is as good.
  await makeEntry({ root, key, fill });
  return { binDir, cached: false, durationMs: Date.now() - started };
}

/**
 * Why a client cannot run from this clients folder (a selftest that did not build, with the last
 * lines of its compiler output), or undefined when it can.
 */
export async function clientMissing(
  binDir: string,
  client: ClientDef,
  link: Link,
): Promise<{ reason: string; logTail: string } | undefined> {
  if (client.kind !== 'selftest') return undefined;
  const names = client.thorough
    ? ['param_test', 'param_test_compare_twice', 'param_test_mm_cid', 'param_test_mm_cid_compare_twice']
    : [client.program];
  if (link === 'shared' && !existsSync(join(binDir, 'libprobe-client.so')))
    return {
      reason: 'the client observer libprobe-client.so did not build',
      logTail: tail(await readFile(join(binDir, 'make.log'), 'utf8').catch(() => ''), 20),
    };
  for (const name of names) {
    if (existsSync(join(binDir, link, name))) continue;
    const log = await readFile(join(binDir, 'logs', `${link}-${name}.log`), 'utf8').catch(() => '');
    const lib = link === 'shared' && !existsSync(join(binDir, 'shared', 'librseq.so'));
    const why = lib ? 'librseq.so' : name;
    const libLog = lib
      ? await readFile(join(binDir, 'logs', 'shared-librseq.so.log'), 'utf8').catch(() => '')
      : '';
    const text = libLog || log;
    const last = text
      .split('\n')
      .filter((l) => /error/i.test(l))
      .pop();
    return {
      reason: `the selftest ${why} does not build against this glibc (${link})${last ? `: ${last.trim()}` : ''}`,
      logTail: tail(text, 20),
    };
  }
  return undefined;
}

/**
 * Everything the client cells of one build need: the client image (valgrind), the selftests tree
 * (fetched once per run) and the selftests compiled against the build. Never throws: what could not
 * be made is a reason in the setup, and the cells that need it become `error` with that reason.
 */
export async function prepareClients(a: {
  needSelftests: boolean;
  makeImage: () => Promise<string>;
  getSelftests: () => Promise<SelftestsSource>;
  compile: (image: string, selftests: SelftestsSource) => Promise<CompiledClients>;
  thoroughTimeoutSec: number;
}): Promise<ClientSetup & { selftests?: SelftestsSource; compileMs?: number }> {
  const setup: ClientSetup & { selftests?: SelftestsSource; compileMs?: number } = {
    thoroughTimeoutSec: a.thoroughTimeoutSec,
  };
  try {
    setup.image = await a.makeImage();
  } catch (e) {
    setup.imageFailure = errorMessage(e);
    return setup;
  }
  if (!a.needSelftests) return setup;
  try {
    setup.selftests = await a.getSelftests();
  } catch (e) {
    setup.selftestsFailure = `the Linux rseq selftests could not be fetched: ${errorMessage(e)}`;
    return setup;
  }
  try {
    const compiled = await a.compile(setup.image, setup.selftests);
    setup.binDir = compiled.binDir;
    setup.compileMs = compiled.durationMs;
  } catch (e) {
    setup.selftestsFailure = `compiling the selftests failed: ${errorMessage(e)}`;
  }
  return setup;
}
