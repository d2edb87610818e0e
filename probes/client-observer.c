/*
 * client-observer.c: watches a real rseq client (the Linux rseq selftests) from inside its process,
 * so that the harness can say who owned the registration: glibc, or the test's own library.
 *
 * Shared: built into libprobe-client.so and given to the test with LD_PRELOAD; it defines syscall(),
 * which the selftests' librseq.so calls for rseq(2), and passes every call on.
 * Static: linked into the test with -Wl,--wrap=syscall, so the same code is __wrap_syscall().
 *
 * It writes one observation line (docs/probe-protocol.md) when the process exits, with stage
 * $RSEQ_MATRIX_CLIENT (e.g. "client:basic_test"), and these members of "extra":
 *   clientRegisterCalls   rseq(area, len, 0, sig) calls the test made itself (registrations)
 *   clientRegistered      one of them succeeded: the test owned the registration
 *   clientRegisterErrno   errno of the last that failed (0: none failed)
 *   initKernel            the kernel's answer when this observer initialised (before main):
 *                         "registered", "unregistered" or "unavailable"
 *   initRseqSize          glibc's __rseq_size at that moment (null: no such symbol)
 * Processes that are not a selftest (the shell of run_param_test.sh) write nothing.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>

#include "rseqprobe.h"

#if defined(__x86_64__)
#define CO_NR_RSEQ 334
#define LD_SO_NAME "ld-linux-x86-64.so.2"
#elif defined(__aarch64__)
#define CO_NR_RSEQ 293
#define LD_SO_NAME "ld-linux-aarch64.so.1"
#endif

extern const unsigned int __rseq_size __attribute__((weak));
extern const long __rseq_offset __attribute__((weak));
extern const unsigned int __rseq_flags __attribute__((weak));

/* glibc's claim. Static: this object's weak references bind to libc.a's definitions. Shared: the
   selftests' librseq.so defines __rseq_size and __rseq_offset weakly, and it comes before ld.so in
   the global scope, so a plain reference would read librseq's zeros; ask ld.so (then libc.so, for
   variants that moved the symbols) for its own definitions instead. */
static const unsigned int *co_size_p;
static const long *co_offset_p;
static const unsigned int *co_flags_p;

static void co_find_claims(void) {
#ifdef CO_STATIC
  co_size_p = &__rseq_size;
  co_offset_p = &__rseq_offset;
  co_flags_p = &__rseq_flags;
#else
  static const char *const owners[] = {LD_SO_NAME, "libc.so.6"};
  for (unsigned i = 0; i < sizeof owners / sizeof owners[0] && !co_size_p; i++) {
    void *h = dlopen(owners[i], RTLD_NOLOAD | RTLD_LAZY);
    if (!h) continue;
    co_size_p = (const unsigned int *)dlsym(h, "__rseq_size");
    co_offset_p = (const long *)dlsym(h, "__rseq_offset");
    co_flags_p = (const unsigned int *)dlsym(h, "__rseq_flags");
    dlclose(h);
  }
#endif
}

static const char *co_stage;
static int co_active;
static long co_register_calls;
static int co_registered;
static long co_register_errno;
static int co_init_kernel = -1;
static long co_init_size = -1;

#ifdef CO_STATIC
extern long __real_syscall(long nr, ...);
#define CO_SYSCALL __wrap_syscall
#else
typedef long (*co_syscall_fn)(long nr, ...);
static co_syscall_fn co_real;
#define CO_SYSCALL syscall
#endif

__attribute__((visibility("default"))) long CO_SYSCALL(long nr, ...) {
  va_list ap;
  va_start(ap, nr);
  long a0 = va_arg(ap, long), a1 = va_arg(ap, long), a2 = va_arg(ap, long);
  long a3 = va_arg(ap, long), a4 = va_arg(ap, long), a5 = va_arg(ap, long);
  va_end(ap);
  if (nr == CO_NR_RSEQ) {
    long e = rp_rseq((void *)a0, (unsigned int)a1, (int)a2, (unsigned int)a3);
    /* A registration: an area, flags 0. rseq(NULL, 0, 0, 0) is the test asking whether rseq exists. */
    if (a0 != 0 && a2 == 0) {
      __atomic_add_fetch(&co_register_calls, 1, __ATOMIC_RELAXED);
      if (e == 0)
        __atomic_store_n(&co_registered, 1, __ATOMIC_RELAXED);
      else
        __atomic_store_n(&co_register_errno, e, __ATOMIC_RELAXED);
    }
    if (e) {
      errno = (int)e;
      return -1;
    }
    return 0;
  }
#ifdef CO_STATIC
  return __real_syscall(nr, a0, a1, a2, a3, a4, a5);
#else
  if (!co_real) co_real = (co_syscall_fn)dlsym(RTLD_NEXT, "syscall");
  if (!co_real) {
    errno = ENOSYS;
    return -1;
  }
  return co_real(nr, a0, a1, a2, a3, a4, a5);
#endif
}

static const char *state_name(int s) {
  return s == 1 ? "registered" : s == 0 ? "unregistered" : "unavailable";
}

__attribute__((constructor)) static void co_init(void) {
  co_stage = getenv("RSEQ_MATRIX_CLIENT");
  if (!co_stage || !co_stage[0]) return;
#ifndef CO_STATIC
  /* Only processes that carry the selftests' library are clients. */
  if (!dlsym(RTLD_DEFAULT, "rseq_register_current_thread")) return;
#endif
  co_active = 1;
  co_init_kernel = rp_kernel_state();
  co_find_claims();
  co_init_size = co_size_p ? (long)*co_size_p : -1;
}

__attribute__((destructor)) static void co_fini(void) {
  if (!co_active) return;
  char extra[512];
  char size[24];
  if (co_init_size < 0)
    strcpy(size, "null");
  else
    snprintf(size, sizeof size, "%ld", co_init_size);
  snprintf(extra, sizeof extra,
           "\"clientRegisterCalls\":%ld,\"clientRegistered\":%s,\"clientRegisterErrno\":%ld,"
           "\"initKernel\":\"%s\",\"initRseqSize\":%s",
           __atomic_load_n(&co_register_calls, __ATOMIC_RELAXED),
           __atomic_load_n(&co_registered, __ATOMIC_RELAXED) ? "true" : "false",
           __atomic_load_n(&co_register_errno, __ATOMIC_RELAXED), state_name(co_init_kernel), size);
  struct rp_opts opts;
  memset(&opts, 0, sizeof opts);
  opts.extra_json = extra;
#ifndef CO_STATIC
  /* The 2019 ABI's TLS __rseq_abi (variants that export it): is that what the kernel has? */
  opts.abi_looked_up = 1;
  opts.abi = dlsym(RTLD_DEFAULT, "__rseq_abi");
#endif
  opts.claims_given = 1;
  opts.rseq_size_p = co_size_p;
  opts.rseq_offset_p = co_offset_p;
  opts.rseq_flags_p = co_flags_p;
  rp_observe_opts(co_stage, &opts);
}
