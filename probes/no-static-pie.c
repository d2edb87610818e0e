/* The stand-in for each static-pie probe program where the toolchain or the libc cannot link
 * static-pie (probes/Makefile, toolchain.mk STATIC_PIE_MISSING): it observes nothing, says why on
 * stderr and exits 77, so the cell is an error that names the reason instead of a missing file. */
#include <stdio.h>

#ifndef RP_NO_STATIC_PIE
#error "RP_NO_STATIC_PIE (the reason) is required"
#endif

int main(int argc, char **argv) {
  fprintf(stderr, "%s: no static-pie probe in this build: %s\n", argc > 0 ? argv[0] : "probe",
          RP_NO_STATIC_PIE);
  return 77;
}
