/*
 * libprobe-dso.so: a DT_NEEDED library of probe-shared. Stage ifunc-dso: a hidden IFUNC
 * (IRELATIVE relocation, applied while ld.so relocates this library).
 */
#include "rseqprobe.h"

static int dso_ifunc_impl(void) { return 11; }
static int dso_ifunc_fired;
static int (*dso_ifunc_resolver(void))(void) {
  if (!dso_ifunc_fired) {
    dso_ifunc_fired = 1;
    rp_observe("ifunc-dso");
  }
  return dso_ifunc_impl;
}
RP_HIDDEN int rp_dso_ifunc(void) __attribute__((ifunc("dso_ifunc_resolver")));

__attribute__((visibility("default"))) int rp_dso_call(void) { return rp_dso_ifunc(); }
