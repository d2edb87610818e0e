/*
 * libprobe-dlopen.so (stage dlopen-ctor), libprobe-dlmopen.so (stage dlmopen-ctor,
 * loaded into a new namespace with its own libc copy) and libprobe-static-dlopen.so
 * (stage static-dlopen, opened by a static program: it brings a nested libc.so.6 and
 * ld.so, and the look-up below asks that nested libc): RP_STAGE names the stage.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <gnu/libc-version.h>

#include "rseqprobe.h"

#ifndef RP_STAGE
#error "define RP_STAGE"
#endif

__attribute__((constructor)) static void dl_ctor(void) {
  struct rp_opts o = {0};
  /* Look __rseq_abi up in the libc of this object's namespace (a dlmopen namespace has
     its own copy): dlopen from here opens in this namespace, and RTLD_NOLOAD only finds
     the libc already there. Before 2.34, libdl in a dlmopen namespace has no error
     catcher: a failed dlsym there ends the process with "symbol lookup error", so on
     those versions no look-up is made (extra.rseqAbi* stay null). */
  const char *v = gnu_get_libc_version();
  int major = 0, minor = 0;
  while (*v >= '0' && *v <= '9') major = major * 10 + (*v++ - '0');
  if (*v == '.') v++;
  while (*v >= '0' && *v <= '9') minor = minor * 10 + (*v++ - '0');
  void *libc = 0;
  if (major > 2 || (major == 2 && minor >= 34)) {
    o.abi_looked_up = 1;
    libc = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
    o.abi = libc ? dlsym(libc, "__rseq_abi") : 0;
  }
  rp_observe_opts(RP_STAGE, &o);
  if (libc) dlclose(libc);
}
