/*
 * An interposed malloc for stage malloc-first: its first call observes.
 * Shared: libprobe-malloc.so via LD_PRELOAD. Static: linked into probe-static-malloc
 * (glibc supports replacing malloc in static links when all of the functions below
 * are provided).
 *
 * It may be called before anything else works (ld.so switches to it during start-up),
 * so it is libc-free like rseqprobe.c: a thread-safe bump allocator over one lazily
 * reserved anonymous mapping. free() never reuses memory; that is fine for the short
 * probe processes.
 */
#include <stddef.h>

#include "rseqprobe.h"

#define RP_EXPORT __attribute__((visibility("default")))
#define ARENA_SIZE (512UL << 20) /* reserved with MAP_NORESERVE, touched lazily */
#define HDR 16UL

static char *arena;
static unsigned long arena_top;
static int first_call_done;

static char *arena_base(void) {
  char *a = __atomic_load_n(&arena, __ATOMIC_ACQUIRE);
  if (a) return a;
  char *m = (char *)rp_mmap_anon(ARENA_SIZE);
  if (!m) return NULL;
  char *expected = NULL;
  if (!__atomic_compare_exchange_n(&arena, &expected, m, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
    return expected; /* lost the race: the spare reservation is leaked */
  return m;
}

static void first_call(void) {
  if (!__atomic_exchange_n(&first_call_done, 1, __ATOMIC_ACQ_REL)) rp_observe("malloc-first");
}

/* align: a power of two. */
static void *rp_alloc(size_t align, size_t n) {
  first_call();
  if (align < HDR) align = HDR;
  if (n > ARENA_SIZE || align > ARENA_SIZE) return NULL;
  unsigned long need = (HDR + align + n + 15) & ~15UL;
  char *base = arena_base();
  if (!base) return NULL;
  unsigned long off = __atomic_fetch_add(&arena_top, need, __ATOMIC_RELAXED);
  if (off + need > ARENA_SIZE) return NULL;
  unsigned long p = ((unsigned long)base + off + HDR + align - 1) & ~(align - 1);
  ((size_t *)p)[-1] = n;
  return (void *)p;
}

static int ours(void *p) {
  char *a = __atomic_load_n(&arena, __ATOMIC_ACQUIRE);
  return a && (char *)p > a && (char *)p < a + ARENA_SIZE;
}

RP_EXPORT void *malloc(size_t n) { return rp_alloc(16, n); }

RP_EXPORT void free(void *p) {
  first_call();
  (void)p;
}

RP_EXPORT void *calloc(size_t n, size_t m) {
  if (m && n > (size_t)-1 / m) return NULL;
  return rp_alloc(16, n * m); /* fresh anonymous memory is zero */
}

RP_EXPORT void *realloc(void *old, size_t n) {
  void *p = rp_alloc(16, n);
  if (!p || !old) return p;
  /* Blocks from ld.so's start-up allocator are not ours: their size is unknown, copy n
     (ld.so does not hand those to realloc in practice). */
  size_t copy = n;
  if (ours(old) && ((size_t *)old)[-1] < copy) copy = ((size_t *)old)[-1];
  for (size_t i = 0; i < copy; i++) ((volatile char *)p)[i] = ((char *)old)[i];
  return p;
}

RP_EXPORT void *memalign(size_t align, size_t n) {
  if (align & (align - 1)) return NULL;
  return rp_alloc(align, n);
}

RP_EXPORT void *aligned_alloc(size_t align, size_t n) { return memalign(align, n); }

RP_EXPORT int posix_memalign(void **out, size_t align, size_t n) {
  if (align < sizeof(void *) || (align & (align - 1))) return 22; /* EINVAL */
  void *p = rp_alloc(align, n);
  if (!p) return 12; /* ENOMEM */
  *out = p;
  return 0;
}

RP_EXPORT void *valloc(size_t n) { return rp_alloc(4096, n); }

RP_EXPORT void *pvalloc(size_t n) { return rp_alloc(4096, (n + 4095) & ~4095UL); }

RP_EXPORT size_t malloc_usable_size(void *p) { return p && ours(p) ? ((size_t *)p)[-1] : 0; }
