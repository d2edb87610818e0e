/**
 * Where a group of cells runs, by the kind of its kernel (the matrix's `kernels:` entry): on the host's
 * kernel in a probe container (runProbes' own default, no executor), under QEMU with a Debian kernel,
 * or under user-mode Linux (both harness/vm/executor.ts). One executor per kernel of a run, made on first
 * use and shared by its groups. Another environment (another architecture, a kernel built from source)
 * is a new kind here and a file of its own beside harness/vm/executor.ts.
 */
import type Docker from 'dockerode';
import { ensureKernel } from '../builder/kernels.js';
import type { ContainerSession } from '../docker/containers.js';
import { kernelEntry, kernelKind } from '../matrix/expand.js';
import type { KernelEntry, KernelKind } from '../matrix/schema.js';
import type { Matrix } from '../matrix/validate.js';
import { HOST_KERNEL } from '../model/catalogue.js';
import type { Log } from '../util/log.js';
import { type VmExecutor, vmExecutor } from '../vm/executor.js';

export interface ExecutorContext {
  matrix: Matrix;
  session: ContainerSession;
  docker: Docker;
  cacheDir: string;
  log: Log;
}

/** How each kind of kernel is made into an executor; undefined: the probe container on the host. */
const MAKERS: Record<KernelKind, (c: ExecutorContext, k: KernelEntry) => Promise<VmExecutor | undefined>> = {
  host: async () => undefined,
  debian: async (c, k) => {
    if (!('debian' in k)) throw new Error(`kernel "${k.id}" is no Debian kernel`);
    const kernel = await ensureKernel({ id: k.id, ...k.debian }, c.cacheDir, c.log);
    c.log.info(`kernel ${k.id}: ${kernel.release} (${kernel.package} ${kernel.version})`);
    return vmExecutor({ ...c, kernel });
  },
  uml: async (c) => vmExecutor({ ...c, kernel: 'uml' }),
};

export class Executors {
  private readonly made = new Map<string, Promise<VmExecutor | undefined>>();

  constructor(private readonly ctx: ExecutorContext) {}

  /** The executor of a kernel of the matrix (undefined for the host's); a failure is not kept. */
  forKernel(id: string): Promise<VmExecutor | undefined> {
    if (id === HOST_KERNEL) return Promise.resolve(undefined);
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
