/*
 * libprobe-preload.so (LD_PRELOAD): stages preload-ctor and ifunc-preload.
 */
#define _GNU_SOURCE
#include <dlfcn.h>

#include "rseqprobe.h"

/* ifunc-preload: a hidden IFUNC called from inside the library, so the linker emits an
   IRELATIVE relocation that ld.so applies (eagerly) while relocating this library. */
static int preload_ifunc_impl(void) { return 3; }
static int preload_ifunc_fired;
static int (*preload_ifunc_resolver(void))(void) {
  if (!preload_ifunc_fired) {
    preload_ifunc_fired = 1;
    rp_observe("ifunc-preload");
  }
  return preload_ifunc_impl;
}
RP_HIDDEN int rp_preload_ifunc(void) __attribute__((ifunc("preload_ifunc_resolver")));

__attribute__((constructor)) static void preload_ctor(void) {
  struct rp_opts o = {0};
  o.abi_looked_up = 1;
  o.abi = dlsym(RTLD_DEFAULT, "__rseq_abi");
  rp_observe_opts("preload-ctor", &o);
  if (rp_preload_ifunc() != 3) rp_write_str(2, "libprobe-preload: bad IFUNC result\n");
}
