/*
 * libprobe-audit.so (LD_AUDIT): stages audit-version (la_version), audit-objopen
 * (la_objopen for the main program), audit-activity (the first la_activity: LA_ACT_ADD,
 * when ld.so starts adding the initial objects), audit-objsearch (the first la_objsearch:
 * the search for the program's first DT_NEEDED), audit-symbind (the first la_symbind64: a
 * binding of a symbol the main program refers to) and audit-preinit (la_preinit).
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

/* The return value asks for la_symbind64 calls (stage audit-symbind): bindings from the main
   program (LA_FLG_BINDFROM) to any object of the base namespace (LA_FLG_BINDTO). ld.so calls
   la_symbind only when the referring object has BINDFROM and the defining one BINDTO (2.36
   elf/dl-audit.c _dl_audit_symbind), so only the program's own references are reported. */
RP_EXPORT unsigned int la_objopen(struct link_map *map, Lmid_t lmid, uintptr_t *cookie) {
  (void)cookie;
  if (lmid != LM_ID_BASE) return 0;
  /* The main program is the object with an empty name in the base namespace. */
  if (map->l_name && map->l_name[0] == '\0') {
    rp_observe("audit-objopen");
    return LA_FLG_BINDFROM | LA_FLG_BINDTO;
  }
  return LA_FLG_BINDTO;
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

/* The first la_symbind64 is the stage. When it comes depends on how the program is bound:
   probe-shared is linked -z now, and 2.35+ then calls la_symbind for each JUMP_SLOT while ld.so
   relocates the program (elf/do-rel.h, flags LA_SYMB_NOPLTENTER|LA_SYMB_NOPLTEXIT); an object
   bound lazily reports at its first call through the PLT (elf/dl-runtime.c _dl_fixup, or
   _dl_profile_fixup when a module has la_pltenter/la_pltexit, as every audit module had before
   2.35). The line says which symbol (extra.symbindName) and the flags ld.so passed
   (extra.symbindFlags). No libc call: the names are copied by hand, the options are static. */
static int symbind_seen;
static char symbind_extra[128];
static struct rp_opts symbind_opts;
RP_EXPORT uintptr_t la_symbind64(Elf64_Sym *sym, unsigned int ndx, uintptr_t *refcook,
                                 uintptr_t *defcook, unsigned int *flags, const char *symname) {
  (void)ndx;
  (void)refcook;
  (void)defcook;
  if (!symbind_seen) {
    symbind_seen = 1;
    static const char key[] = "\"symbindName\":\"";
    char *p = symbind_extra;
    char *end = symbind_extra + sizeof symbind_extra - 3; /* room for the closing quote and NUL */
    for (const char *k = key; *k; k++) *p++ = *k;
    for (const char *n = symname; n && *n && p < end; n++) {
      char ch = *n;
      int plain = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                  ch == '_' || ch == '.' || ch == '@' || ch == '$';
      *p++ = plain ? ch : '?';
    }
    *p++ = '"';
    *p = '\0';
    symbind_opts.tag = "symbindFlags";
    symbind_opts.tag_value = flags ? (long)*flags : -1;
    symbind_opts.extra_json = symbind_extra;
    rp_observe_opts("audit-symbind", &symbind_opts);
  }
  return sym->st_value;
}

RP_EXPORT void la_preinit(uintptr_t *cookie) {
  (void)cookie;
  rp_observe("audit-preinit");
}
