/*
 * Test-only preload libraries that change what the kernel has registered behind
 * glibc's back, to show that the probe does not just repeat glibc's claim.
 *   -DTAMPER_UNREGISTER  libprobe-test-unregister.so: the constructor unregisters
 *                        glibc's area (glibc still claims __rseq_size > 0).
 *   -DTAMPER_REGISTER    libprobe-test-register.so: the constructor registers an area
 *                        of its own (run it with glibc.pthread.rseq=0, glibc then claims 0).
 * Built by `make test-libs`, never part of the default build.
 */
#include "rseqprobe.h"

extern const unsigned int __rseq_size __attribute__((weak));
extern const long __rseq_offset __attribute__((weak));

#ifdef TAMPER_REGISTER
static struct {
  volatile unsigned int w[8];
} own_area __attribute__((aligned(32)));
#endif

__attribute__((constructor)) static void tamper_ctor(void) {
#if defined(TAMPER_UNREGISTER)
  char *tp = (char *)rp_thread_pointer();
  if (!tp || !&__rseq_offset || !&__rseq_size) {
    rp_write_str(2, "test-unregister: no thread pointer or no __rseq_offset\n");
    rp_exit(99);
  }
  char *area = tp + __rseq_offset;
  /* glibc 2.35+ registers 32 bytes whatever __rseq_size says; try __rseq_size too. */
  long e = rp_rseq(area, 32, RP_RSEQ_FLAG_UNREGISTER, RP_GLIBC_RSEQ_SIG);
  if (e && __rseq_size > 32) e = rp_rseq(area, __rseq_size, RP_RSEQ_FLAG_UNREGISTER, RP_GLIBC_RSEQ_SIG);
  if (e) {
    rp_write_str(2, "test-unregister: unregistering glibc's area failed\n");
    rp_exit(99);
  }
#elif defined(TAMPER_REGISTER)
  if (rp_rseq((void *)&own_area, 32, 0, 0x7e57a11cu)) {
    rp_write_str(2, "test-register: registering an own area failed\n");
    rp_exit(99);
  }
#else
#error "define TAMPER_UNREGISTER or TAMPER_REGISTER"
#endif
}
