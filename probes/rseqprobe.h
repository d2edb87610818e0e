/*
 * rseqprobe: observe, at one point of a process's life, whether rseq(2) is
 * registered for the calling thread, and what glibc claims about it.
 *
 * Every function here uses raw system calls only (no libc, no errno, no TLS
 * access, no compiler-generated memset/memcpy), so it may be called from an
 * IFUNC resolver (also in a static executable before TLS and IRELATIVE
 * relocations exist), from an LD_AUDIT module and from a vfork child.
 *
 * Each observation is ONE line of JSON written with one write(2) to file
 * descriptor RP_FD; docs/probe-protocol.md describes the line.
 *
 * All symbols are hidden: every module links its own copy of rseqprobe.o and
 * calls it directly, never through a PLT slot that might not be relocated yet.
 */
#ifndef RSEQPROBE_H
#define RSEQPROBE_H

#define RP_FD 63

#define RP_HIDDEN __attribute__((visibility("hidden")))

/* Optional inputs of one observation. Zero every field you do not set. */
struct rp_opts {
  /* 1: abi holds what dlsym(RTLD_DEFAULT, "__rseq_abi") returned (NULL: absent).
     0: no look-up was made here (it is not safe everywhere), extra.rseqAbi* are null. */
  int abi_looked_up;
  void *abi;
  /* Optional extra key with an integer value (e.g. "cycleLib"); NULL: none. */
  const char *tag;
  long tag_value;
  /* Optional further members of "extra", already JSON (e.g. "\"a\":1,\"b\":true"),
     appended as they are; at most 512 bytes. NULL: none. */
  const char *extra_json;
  /* 1: read glibc's claim through these pointers (NULL: no such symbol) instead of this
     object's own weak references, which another object's definitions can interpose
     (the selftests' librseq.so defines __rseq_size and __rseq_offset weakly). */
  int claims_given;
  const unsigned int *rseq_size_p;
  const long *rseq_offset_p;
  const unsigned int *rseq_flags_p;
  /* 1: also run the mode test on glibc's registered area (extra.rseqMode, extra.kernelFills): it
     forks a child, so only where nothing observed later in the process could be affected by that
     (docs/probe-protocol.md, "Kernel facts"). */
  int mode_test;
};

/* Observe now and write one line tagged with stage. */
RP_HIDDEN void rp_observe(const char *stage);
RP_HIDDEN void rp_observe_opts(const char *stage, const struct rp_opts *opts);

/* The kernel's answer for the calling thread without glibc's view:
   0 nothing registered, 1 something registered, 2 rseq refused (ENOSYS, EPERM). */
RP_HIDDEN int rp_kernel_state(void);

/* Raw helpers, also for the other probe sources (malloc replacement, test libraries). */

/* rseq(2); returns 0 or a positive errno. */
RP_HIDDEN long rp_rseq(void *area, unsigned int len, int flags, unsigned int sig);
/* The thread pointer (x86_64: the FS base from arch_prctl), NULL before TLS is set up. */
RP_HIDDEN void *rp_thread_pointer(void);
/* Anonymous private read/write mapping; NULL on failure. */
RP_HIDDEN void *rp_mmap_anon(unsigned long len);
/* write(2) of a NUL-terminated string; the result is ignored. */
RP_HIDDEN void rp_write_str(int fd, const char *s);
/* exit_group(2). */
RP_HIDDEN __attribute__((noreturn)) void rp_exit(int code);

/* Raw signal calls (the signal-early stage raises a signal from an IFUNC resolver, where
   libc may not be usable yet: in a static executable there is not even TLS). */

/* The kernel's struct sigaction on x86_64 and aarch64: one word of signal mask. */
struct rp_ksigaction {
  void (*handler)(int);
  unsigned long flags;
  void (*restorer)(void);
  unsigned long mask;
};
/* rt_sigaction(2); act or old may be NULL. When act installs a function (not SIG_DFL or
   SIG_IGN), x86_64 gets rseqprobe's own rt_sigreturn trampoline as SA_RESTORER (the kernel
   requires one there; aarch64 returns through the vDSO). Returns 0 or a positive errno. */
RP_HIDDEN long rp_sigaction(int sig, const struct rp_ksigaction *act, struct rp_ksigaction *old);
/* rt_sigprocmask(2) over one word of mask; set or old may be NULL. 0 or a positive errno. */
RP_HIDDEN long rp_sigprocmask(int how, const unsigned long *set, unsigned long *old);
/* tgkill(getpid(), gettid(), sig): an unblocked signal is handled before the call returns.
   0 or a positive errno. */
RP_HIDDEN long rp_raise(int sig);

#define RP_SIGUSR1 10
#define RP_SIG_UNBLOCK 1
#define RP_SIG_SETMASK 2

#define RP_RSEQ_FLAG_UNREGISTER 1
#define RP_EPERM 1
#define RP_ENOSYS 38
#define RP_EINVAL 22

/* The ptrace observer (probes/rseq-tracer.c, docs/probe-protocol.md "The ptrace view").
   rseq-tracer puts RP_STOP_ENV=<signal number>[:<stage>] into its tracee's environment; a probe
   that finds it there stops at each observation (only at <stage>'s when one is named), after its
   reads and before its write, by queueing that signal to its own thread (rt_tgsigqueueinfo,
   si_code SI_QUEUE, si_uid RP_STOP_MAGIC, si_value the address of the stage string). The tracer
   reads the thread's registration at that signal-delivery-stop and suppresses the signal; without
   the variable nothing is sent. The environment is read once per module from /proc/self/environ
   with raw calls (libc's environ may not be set yet). */
#define RP_STOP_ENV "RP_PTRACE_STOP"
#define RP_STOP_SIGNAL 62
#define RP_STOP_MAGIC 0x72736571u /* "rseq" */
#define RP_SI_QUEUE (-1)

/* Test-only (test/engine/ptrace-observer.integration.test.ts): RP_TEST_FAULT=lie:STAGE makes
   the in-process check report the opposite answer (registered <-> unregistered) at STAGE, so
   that the observers disagree. The other RP_TEST_FAULT kinds are probe-main.c's. */
#define RP_FAULT_ENV "RP_TEST_FAULT"

/* The signature glibc registers with (needed only by the test libraries). */
#if defined(__x86_64__)
#define RP_GLIBC_RSEQ_SIG 0x53053053u
#elif defined(__aarch64__)
#define RP_GLIBC_RSEQ_SIG 0xd428bc00u
#endif

#endif
