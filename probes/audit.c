/*
 * libprobe-audit.so (LD_AUDIT): stages audit-version (la_version), audit-objopen
 * (la_objopen for the main program) and audit-preinit (la_preinit).
 * The module lives in its own link-map namespace; it shares ld.so (and so the
 * __rseq_* variables) with the program. No dlsym here: extra.rseqAbi* stay null.
 */
#define _GNU_SOURCE
#include <link.h>
#include <stdint.h>

#include "rseqprobe.h"

#define RP_EXPORT __attribute__((visibility("default")))

RP_EXPORT unsigned int la_version(unsigned int version) {
  rp_observe("audit-version");
  return version < LAV_CURRENT ? version : LAV_CURRENT;
}

RP_EXPORT unsigned int la_objopen(struct link_map *map, Lmid_t lmid, uintptr_t *cookie) {
  (void)cookie;
  /* The main program is the object with an empty name in the base namespace. */
  if (lmid == LM_ID_BASE && map->l_name && map->l_name[0] == '\0') rp_observe("audit-objopen");
  return 0;
}

RP_EXPORT void la_preinit(uintptr_t *cookie) {
  (void)cookie;
  rp_observe("audit-preinit");
}
