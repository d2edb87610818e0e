/**
 * Where a group of cells runs, by the kind of its kernel (the matrix's `kernels:` entry): on the host's
 * kernel in a probe container (ContainerSession.run), under QEMU with a Debian kernel, or under
 * user-mode Linux (both harness/vm/executor.ts). Every kind answers the same Executor: it runs a probe
 * container's spec and answers as a container would, so the group's pipeline (harness/cli/run-group.ts)
 * has no branch per environment. One executor per kernel of a run, made on first use and shared by its
 * groups. Another environment (another architecture, a kernel built from source) is a new kind in
 * MAKERS and a file of its own beside harness/vm/executor.ts.
 */
import type Docker from 'dockerode';
import { ensureKernel } from '../builder/kernels.js';
import type { ContainerSession, RunOutcome, RunSpec } from '../docker/containers.js';
import { kernelEntry, kernelKind } from '../matrix/expand.js';
import type { KernelEntry, KernelKind } from '../matrix/schema.js';
import type { Matrix } from '../matrix/validate.js';
import { HOST_KERNEL } from '../model/catalogue.js';
import type { Log } from '../util/log.js';
import { vmExecutor } from '../vm/executor.js';

export interface ExecutorContext {
  matrix: Matrix;
  session: ContainerSession;
  docker: Docker;
  cacheDir: string;
  log: Log;
}

/** Runs what a probe container would run, and answers as one. */
export interface Executor {
  /** For the group's record: 'host container', 'qemu: PACKAGE VERSION (RELEASE)', 'user-mode Linux'. */
  readonly description: string;
  run(spec: RunSpec): Promise<RunOutcome>;
}

/** How each kind of kernel is made into an executor. */
const MAKERS: Record<KernelKind, (c: ExecutorContext, k: KernelEntry) => Promise<Executor>> = {
  host: async (c) => hostExecutor(c.session),
  debian: async (c, k) => {
    if (!('debian' in k)) throw new Error(`kernel "${k.id}" is no Debian kernel`);
    const kernel = await ensureKernel({ id: k.id, ...k.debian }, c.cacheDir, c.log);
    c.log.info(`kernel ${k.id}: ${kernel.release} (${kernel.package} ${kernel.version})`);
    return {
      description: `qemu: ${kernel.package} ${kernel.version} (${kernel.release})`,
      run: vmExecutor({ ...c, kernel }),
    };
  },
  uml: async (c) => ({ description: 'user-mode Linux', run: vmExecutor({ ...c, kernel: 'uml' }) }),
};

/** The host's kernel: a probe container of the run's session. */
export function hostExecutor(session: ContainerSession): Executor {
  return { description: 'host container', run: (spec) => session.run(spec) };
}

export class Executors {
  private readonly made = new Map<string, Promise<Executor>>();

  constructor(private readonly ctx: ExecutorContext) {}

  /** The executor of a kernel of the matrix; a failure is not kept (another group may try again). */
  forKernel(id: string): Promise<Executor> {
    if (id === HOST_KERNEL) return Promise.resolve(hostExecutor(this.ctx.session));
    let made = this.made.get(id);
    if (!made) {
      const entry = kernelEntry(this.ctx.matrix.doc, id);
      made = entry
        ? MAKERS[kernelKind(entry)](this.ctx, entry)
        : Promise.reject(new Error(`the matrix has no kernel "${id}"`));
      // Another group may try again (the mirror may answer then).
      made.catch(() => this.made.delete(id));
      this.made.set(id, made);
    }
    return made;
  }
}
