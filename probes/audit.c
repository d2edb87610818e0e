/*
 * libprobe-audit.so (LD_AUDIT): stages audit-version (la_version), audit-objopen
 * (la_objopen for the main program), audit-activity (the first la_activity: LA_ACT_ADD,
 * when ld.so starts adding the initial objects), audit-objsearch (the first la_objsearch:
 * the search for the program's first DT_NEEDED) and audit-preinit (la_preinit).
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

/* ld.so calls la_activity(LA_ACT_ADD) before it maps the program's dependencies and
   la_activity(LA_ACT_CONSISTENT) when they are all there; that second call comes after
   relocation and __libc_early_init in 2.36, so only the first, made during loading, is
   the stage. */
static int activity_seen;
RP_EXPORT void la_activity(uintptr_t *cookie, unsigned int flag) {
  (void)cookie;
  if (activity_seen || flag != LA_ACT_ADD) return;
  activity_seen = 1;
  rp_observe("audit-activity");
}

/* Called for every name ld.so searches (each DT_NEEDED, and each path it tries). The
   first call, during loading, is the stage; the name is returned as it is. */
static int objsearch_seen;
RP_EXPORT char *la_objsearch(const char *name, uintptr_t *cookie, unsigned int flag) {
  (void)cookie;
  (void)flag;
  if (!objsearch_seen) {
    objsearch_seen = 1;
    rp_observe("audit-objsearch");
  }
  return (char *)name;
}

RP_EXPORT void la_preinit(uintptr_t *cookie) {
  (void)cookie;
  rp_observe("audit-preinit");
}
