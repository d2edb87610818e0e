/*
 * libprobe-initfirst.so: stage initfirst-ctor. Linked with -z initfirst (DF_1_INITFIRST)
 * and a DT_NEEDED of probe-shared-initfirst, so ld.so's _dl_init calls its constructor
 * before every other initializer: before the executable's DT_PREINIT_ARRAY and before
 * libc.so's own constructors (but after __libc_early_init, which ld.so calls at the end of
 * relocation). Libc-free (compiled freestanding), since libc is not constructed yet; no
 * dlsym here, so extra.rseqAbi* stay null.
 */
#include "rseqprobe.h"

__attribute__((constructor)) static void initfirst_ctor(void) { rp_observe("initfirst-ctor"); }
