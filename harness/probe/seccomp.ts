/**
 * Seccomp profiles for the scenarios in which the kernel must refuse rseq. Each replaces Docker's
 * default profile for that container only: every system call is allowed except rseq, which fails
 * with the scenario's errno.
 */
const ERRNO = { EPERM: 1, ENOSYS: 38 } as const;

export function seccompProfile(errno: keyof typeof ERRNO): string {
  return JSON.stringify({
    defaultAction: 'SCMP_ACT_ALLOW',
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32', 'SCMP_ARCH_AARCH64'],
    syscalls: [{ names: ['rseq'], action: 'SCMP_ACT_ERRNO', errnoRet: ERRNO[errno] }],
  });
}
