/*
 * libprobe-preload-a.so / libprobe-preload-b.so (both in LD_PRELOAD), built from this
 * file with RP_CYCLE_LIB=1 (a) or 2 (b). Each has the other as DT_NEEDED and uses a
 * symbol of the other: a dependency cycle. Stage preload-ctor-cycle, extra.cycleLib
 * tells which constructor wrote the line.
 */
#define _GNU_SOURCE
#include <dlfcn.h>

#include "rseqprobe.h"

#if RP_CYCLE_LIB == 1
__attribute__((visibility("default"))) int rp_cycle_token_a = 1;
extern int rp_cycle_token_b;
#define RP_PEER rp_cycle_token_b
#elif RP_CYCLE_LIB == 2
__attribute__((visibility("default"))) int rp_cycle_token_b = 2;
extern int rp_cycle_token_a;
#define RP_PEER rp_cycle_token_a
#else
#error "define RP_CYCLE_LIB to 1 or 2"
#endif

__attribute__((constructor)) static void cycle_ctor(void) {
  struct rp_opts o = {0};
  o.abi_looked_up = 1;
  o.abi = dlsym(RTLD_DEFAULT, "__rseq_abi");
  o.tag = "cycleLib";
  o.tag_value = RP_CYCLE_LIB;
  rp_observe_opts("preload-ctor-cycle", &o);
  if (RP_PEER + RP_CYCLE_LIB != 3) rp_write_str(2, "libprobe-preload cycle: bad peer token\n");
}
