/** A probe observation for unit tests: registered-looking glibc claims unless overridden. */
import type { Observation } from '../../harness/model/results.js';

export function observation(
  stage: string,
  kernel: Observation['kernel'],
  glibc: Partial<Observation['glibc']> = {},
): Observation {
  return {
    v: 1,
    stage,
    pid: 1,
    tid: 1,
    kernel,
    availErrno: 22,
    probeErrno: kernel === 'registered' ? 22 : 0,
    glibc: {
      rseqSize: 20,
      rseqOffset: 2336,
      rseqFlags: 0,
      cpuId: 1,
      areaRegistered: true,
      areaLen: 32,
      ...glibc,
    },
  };
}
