/*
 * libprobe-dlopen.so (stage dlopen-ctor) and libprobe-dlmopen.so (stage dlmopen-ctor,
 * loaded into a new namespace with its own libc copy): RP_STAGE names the stage.
 */
#define _GNU_SOURCE
#include <dlfcn.h>

#include "rseqprobe.h"

#ifndef RP_STAGE
#error "define RP_STAGE"
#endif

__attribute__((constructor)) static void dl_ctor(void) {
  struct rp_opts o = {0};
  o.abi_looked_up = 1;
  /* RTLD_DEFAULT from here searches this object's namespace. */
  o.abi = dlsym(RTLD_DEFAULT, "__rseq_abi");
  rp_observe_opts(RP_STAGE, &o);
}
