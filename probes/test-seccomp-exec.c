/*
 * rp-seccomp-exec ERRNO PROGRAM [ARGS...]: installs a seccomp filter that makes rseq(2)
 * fail with ERRNO (every other system call allowed), then executes PROGRAM. A host
 * stand-in for the harness's seccomp-eperm / seccomp-enosys scenarios (Docker profiles).
 * Test-only: built by `make test-libs`.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#if defined(__x86_64__)
#define RSEQ_NR 334
#define THIS_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define RSEQ_NR 293
#define THIS_AUDIT_ARCH AUDIT_ARCH_AARCH64
#else
#error "x86_64 and aarch64 only"
#endif

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s ERRNO PROGRAM [ARGS...]\n", argv[0]);
    return 2;
  }
  unsigned int err = (unsigned int)strtoul(argv[1], NULL, 10);
  if (err == 0 || err > 4095) {
    fprintf(stderr, "%s: ERRNO must be 1..4095\n", argv[0]);
    return 2;
  }
  struct sock_filter code[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, THIS_AUDIT_ARCH, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, RSEQ_NR, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (err & SECCOMP_RET_DATA)),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = {.len = sizeof code / sizeof code[0], .filter = code};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)) {
    fprintf(stderr, "%s: installing the filter: %s\n", argv[0], strerror(errno));
    return 1;
  }
  execv(argv[2], argv + 2);
  fprintf(stderr, "%s: exec %s: %s\n", argv[0], argv[2], strerror(errno));
  return 127;
}
