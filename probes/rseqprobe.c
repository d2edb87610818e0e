/*
 * rseqprobe.c: the observer. See rseqprobe.h and docs/probe-protocol.md.
 *
 * Build with -ffreestanding -fno-builtin -fno-stack-protector
 * -fno-tree-loop-distribute-patterns (the Makefile checks with nm that the
 * object has no undefined symbols other than the weak glibc ones below).
 * No libc header is included on purpose: older glibc lacks <sys/rseq.h>, and
 * nothing here may depend on libc.
 */
#include "rseqprobe.h"

#if defined(__x86_64__)
#define RP_NR_READ 0
#define RP_NR_WRITE 1
#define RP_NR_CLOSE 3
#define RP_NR_MMAP 9
#define RP_NR_CLONE 56
#define RP_NR_WAIT4 61
#define RP_NR_PRCTL 157
#define RP_NR_RT_SIGACTION 13
#define RP_NR_RT_SIGPROCMASK 14
#define RP_NR_RT_SIGRETURN 15
#define RP_NR_GETPID 39
#define RP_NR_ARCH_PRCTL 158
#define RP_NR_GETTID 186
#define RP_NR_EXIT_GROUP 231
#define RP_NR_TGKILL 234
#define RP_NR_OPENAT 257
#define RP_NR_RT_TGSIGQUEUEINFO 297
#define RP_NR_RSEQ 334
#define RP_ARCH_GET_FS 0x1003
#elif defined(__aarch64__)
#define RP_NR_OPENAT 56
#define RP_NR_CLOSE 57
#define RP_NR_READ 63
#define RP_NR_WRITE 64
#define RP_NR_EXIT_GROUP 94
#define RP_NR_PRCTL 167
#define RP_NR_CLONE 220
#define RP_NR_WAIT4 260
#define RP_NR_TGKILL 131
#define RP_NR_RT_SIGACTION 134
#define RP_NR_RT_SIGPROCMASK 135
#define RP_NR_GETPID 172
#define RP_NR_GETTID 178
#define RP_NR_MMAP 222
#define RP_NR_RT_TGSIGQUEUEINFO 240
#define RP_NR_RSEQ 293
#else
#error "rseqprobe supports x86_64 and aarch64 only"
#endif

#define RP_STR2(x) #x
#define RP_STR(x) RP_STR2(x)

#define RP_PROT_READ 1
#define RP_PROT_WRITE 2
#define RP_MAP_PRIVATE 0x02
#define RP_MAP_ANONYMOUS 0x20
#define RP_MAP_NORESERVE 0x4000

/* Signature of the probe's own short-lived area: anything works. */
#define RP_PRIVATE_SIG 0x1dea5eedu
/* Signature used to ask "is this area the registered one?". It must differ from the
   signature of every real registration (glibc: 0x53053053 on x86_64, 0xd428bc00 on
   aarch64), otherwise the question would unregister the area. */
#define RP_WRONG_SIG 0x0badc0deu

/* glibc >= 2.35 exports these from ld.so (libc.a for static links). Weak and
   undefined elsewhere: their address is then 0. __rseq_handled only exists in
   some patched variants. */
extern const unsigned int __rseq_size __attribute__((weak));
extern const long __rseq_offset __attribute__((weak));
extern const unsigned int __rseq_flags __attribute__((weak));
extern int __rseq_handled __attribute__((weak));

static inline long rp_sys6(long n, long a, long b, long c, long d, long e, long f) {
#if defined(__x86_64__)
  register long r10 __asm__("r10") = d;
  register long r8 __asm__("r8") = e;
  register long r9 __asm__("r9") = f;
  long ret;
  __asm__ __volatile__("syscall"
                       : "=a"(ret)
                       : "0"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                       : "rcx", "r11", "memory");
  return ret;
#elif defined(__aarch64__)
  register long x8 __asm__("x8") = n;
  register long x0 __asm__("x0") = a;
  register long x1 __asm__("x1") = b;
  register long x2 __asm__("x2") = c;
  register long x3 __asm__("x3") = d;
  register long x4 __asm__("x4") = e;
  register long x5 __asm__("x5") = f;
  __asm__ __volatile__("svc 0"
                       : "+r"(x0)
                       : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
                       : "memory");
  return x0;
#endif
}

/* A raw return value in [-4095, -1] is -errno. */
static inline long rp_errno_of(long ret) {
  if (ret < 0 && ret >= -4095) return -ret;
  return 0;
}

long rp_rseq(void *area, unsigned int len, int flags, unsigned int sig) {
  return rp_errno_of(rp_sys6(RP_NR_RSEQ, (long)area, (long)len, (long)flags, (long)sig, 0, 0));
}

void *rp_thread_pointer(void) {
#if defined(__x86_64__)
  unsigned long fs = 0;
  long r = rp_sys6(RP_NR_ARCH_PRCTL, RP_ARCH_GET_FS, (long)&fs, 0, 0, 0, 0);
  if (r != 0) return (void *)0;
  return (void *)fs;
#elif defined(__aarch64__)
  unsigned long tp;
  __asm__ __volatile__("mrs %0, tpidr_el0" : "=r"(tp));
  return (void *)tp;
#endif
}

void *rp_mmap_anon(unsigned long len) {
  long r = rp_sys6(RP_NR_MMAP, 0, (long)len, RP_PROT_READ | RP_PROT_WRITE,
                   RP_MAP_PRIVATE | RP_MAP_ANONYMOUS | RP_MAP_NORESERVE, -1, 0);
  if (rp_errno_of(r)) return (void *)0;
  return (void *)r;
}

static unsigned long rp_strlen(const char *s) {
  unsigned long n = 0;
  while (s[n]) n++;
  return n;
}

void rp_write_str(int fd, const char *s) {
  (void)rp_sys6(RP_NR_WRITE, fd, (long)s, (long)rp_strlen(s), 0, 0, 0);
}

void rp_exit(int code) {
  for (;;) (void)rp_sys6(RP_NR_EXIT_GROUP, code, 0, 0, 0, 0, 0);
}

/* ---- signals ---- */

#define RP_SA_RESTORER 0x04000000ul

#if defined(__x86_64__)
/* What a handler returns to: rt_sigreturn(2). The x86_64 kernel refuses to deliver a
   signal to a handler installed without SA_RESTORER, and glibc's own trampoline is not
   ours to use here. */
__asm__(".pushsection .text\n"
        ".p2align 4\n"
        ".globl rp_sigreturn_trampoline\n"
        ".hidden rp_sigreturn_trampoline\n"
        ".type rp_sigreturn_trampoline, @function\n"
        "rp_sigreturn_trampoline:\n"
        "\tmovq $" RP_STR(RP_NR_RT_SIGRETURN) ", %rax\n"
        "\tsyscall\n"
        "\tud2\n" /* never reached */
        ".size rp_sigreturn_trampoline, .-rp_sigreturn_trampoline\n"
        ".popsection\n");
extern void rp_sigreturn_trampoline(void) RP_HIDDEN;
#endif

long rp_sigaction(int sig, const struct rp_ksigaction *act, struct rp_ksigaction *old) {
  struct rp_ksigaction k;
  const struct rp_ksigaction *kp = (const struct rp_ksigaction *)0;
  if (act) {
    /* Field by field: a structure copy could become a memcpy call. */
    k.handler = act->handler;
    k.flags = act->flags;
    k.restorer = act->restorer;
    k.mask = act->mask;
#if defined(__x86_64__)
    /* SIG_DFL is 0 and SIG_IGN 1: only a real handler needs a way back. */
    if ((unsigned long)k.handler > 1) {
      k.flags |= RP_SA_RESTORER;
      k.restorer = rp_sigreturn_trampoline;
    }
#endif
    kp = &k;
  }
  return rp_errno_of(rp_sys6(RP_NR_RT_SIGACTION, sig, (long)kp, (long)old, sizeof(unsigned long), 0, 0));
}

long rp_sigprocmask(int how, const unsigned long *set, unsigned long *old) {
  return rp_errno_of(rp_sys6(RP_NR_RT_SIGPROCMASK, how, (long)set, (long)old, sizeof(unsigned long), 0, 0));
}

long rp_raise(int sig) {
  long pid = rp_sys6(RP_NR_GETPID, 0, 0, 0, 0, 0, 0);
  long tid = rp_sys6(RP_NR_GETTID, 0, 0, 0, 0, 0, 0);
  return rp_errno_of(rp_sys6(RP_NR_TGKILL, pid, tid, sig, 0, 0, 0));
}

/* ---- the environment, read raw: the ptrace observer's stop and the test-only lie ---- */

#define RP_AT_FDCWD (-100)
#define RP_O_RDONLY 0
#define RP_O_CLOEXEC 02000000

/* What this module read of the process's initial environment (each module has its own copy;
   threads and a vfork child that race here compute the same values). */
static int rp_env_ready;
static int rp_env_stop_sig;
static char rp_env_stop_stage[72]; /* empty: stop at every stage */
static char rp_env_fault[72];

/* One key being looked for in a stream of NUL-separated NAME=VALUE entries. */
struct rp_env_key {
  const char *prefix; /* "NAME=" */
  char *value;        /* where the value goes (NUL-terminated, cut at cap - 1) */
  int cap;
  int matching;
  int found;
  int len;
};

static void rp_env_byte(struct rp_env_key *k, long pos, char c) {
  if (pos == 0) {
    k->matching = 1;
    k->len = 0;
  }
  if (!k->matching) return;
  long plen = (long)rp_strlen(k->prefix);
  if (c == 0) {
    if (pos >= plen) {
      k->found = 1;
      k->value[k->len] = 0;
    }
    k->matching = 0;
    return;
  }
  if (pos < plen) {
    if (k->prefix[pos] != c) k->matching = 0;
  } else if (k->len < k->cap - 1) {
    k->value[k->len++] = c;
  }
}

static void rp_env_load(void) {
  if (__atomic_load_n(&rp_env_ready, __ATOMIC_ACQUIRE)) return;
  char stop[8 + sizeof rp_env_stop_stage], fault[sizeof rp_env_fault];
  /* Field by field: an initialiser could become a memcpy call. */
  struct rp_env_key keys[2];
  keys[0].prefix = RP_STOP_ENV "=";
  keys[0].value = stop;
  keys[0].cap = (int)sizeof stop;
  keys[1].prefix = RP_FAULT_ENV "=";
  keys[1].value = fault;
  keys[1].cap = (int)sizeof fault;
  for (int k = 0; k < 2; k++) keys[k].matching = keys[k].found = keys[k].len = 0;
  long fd = rp_sys6(RP_NR_OPENAT, RP_AT_FDCWD, (long)"/proc/self/environ", RP_O_RDONLY | RP_O_CLOEXEC, 0, 0, 0);
  if (!rp_errno_of(fd)) {
    char buf[256];
    long pos = 0;
    for (;;) {
      long n = rp_sys6(RP_NR_READ, fd, (long)buf, sizeof buf, 0, 0, 0);
      if (n <= 0) break;
      for (long i = 0; i < n; i++) {
        for (int k = 0; k < 2; k++) rp_env_byte(&keys[k], pos, buf[i]);
        pos = buf[i] ? pos + 1 : 0;
      }
    }
    (void)rp_sys6(RP_NR_CLOSE, fd, 0, 0, 0, 0, 0);
  }
  /* SIG or SIG:STAGE */
  int sig = 0, i = 0, j = 0;
  if (keys[0].found) {
    for (; stop[i] >= '0' && stop[i] <= '9' && i < 3; i++) sig = sig * 10 + (stop[i] - '0');
    if (sig < 32 || sig > 64) sig = 0; /* only a real-time signal: never one with a default use */
    if (stop[i] == ':')
      for (i++; stop[i] && j < (int)sizeof rp_env_stop_stage - 1; i++) rp_env_stop_stage[j++] = stop[i];
    else if (stop[i])
      sig = 0;
  }
  rp_env_stop_stage[j] = 0;
  i = 0;
  if (keys[1].found)
    for (; fault[i]; i++) rp_env_fault[i] = fault[i];
  rp_env_fault[i] = 0;
  rp_env_stop_sig = sig;
  __atomic_store_n(&rp_env_ready, 1, __ATOMIC_RELEASE);
}

/* The kernel's siginfo for a queued signal (x86_64 and aarch64: 128 bytes, the sender's pid
   and uid at offset 16, the value at 24). */
struct rp_ksiginfo {
  int signo;
  int err;
  int code;
  int pad0;
  int pid;
  unsigned int uid;
  const void *value;
  unsigned long rest[12];
};

static int rp_same(const char *a, const char *b) {
  for (; *a && *a == *b; a++, b++) {
  }
  return *a == *b;
}

/* Under rseq-tracer: stop this thread for it (see rseqprobe.h), at every stage or only at the one
   it names. The signal is unblocked for the call (a mask that blocks it would delay the stop past
   this moment) and the mask put back. */
static void rp_stop_for_tracer(const char *stage) {
  int sig = rp_env_stop_sig;
  if (!sig) return;
  if (rp_env_stop_stage[0] && !rp_same(rp_env_stop_stage, stage)) return;
  long pid = rp_sys6(RP_NR_GETPID, 0, 0, 0, 0, 0, 0);
  long tid = rp_sys6(RP_NR_GETTID, 0, 0, 0, 0, 0, 0);
  struct rp_ksiginfo info;
  info.signo = sig;
  info.err = 0;
  info.code = RP_SI_QUEUE;
  info.pad0 = 0;
  info.pid = (int)pid;
  info.uid = RP_STOP_MAGIC;
  info.value = stage;
  for (int i = 0; i < 12; i++) info.rest[i] = 0;
  unsigned long bit = 1ul << (sig - 1), saved = 0;
  long masked = rp_sigprocmask(RP_SIG_UNBLOCK, &bit, &saved);
  (void)rp_sys6(RP_NR_RT_TGSIGQUEUEINFO, pid, tid, sig, (long)&info, 0, 0);
  if (masked == 0) (void)rp_sigprocmask(RP_SIG_SETMASK, &saved, (unsigned long *)0);
}

/* RP_TEST_FAULT=lie:STAGE names this stage. */
static int rp_lie_here(const char *stage) {
  const char *f = rp_env_fault;
  const char *want = "lie:";
  for (; *want; want++, f++)
    if (*f != *want) return 0;
  return rp_same(f, stage);
}

/* Tri-state values: RP_NULL means JSON null. */
#define RP_NULL (-0x7fffffffffffffffL - 1)

/* ---- what the kernel offers: the auxiliary vector's rseq entries ---- */

#define RP_AT_RSEQ_FEATURE_SIZE 27 /* Linux 6.3+ */
#define RP_AT_RSEQ_ALIGN 28        /* Linux 6.3+ */

/* Read once per module from /proc/self/auxv with raw calls (getauxval is libc's, and libc may not
   be usable where the probe observes). -1: the file could not be read; 0: no such entry. */
static int rp_auxv_ready;
static long rp_aux_feature_size = -1;
static long rp_aux_align = -1;

static void rp_auxv_load(void) {
  if (__atomic_load_n(&rp_auxv_ready, __ATOMIC_ACQUIRE)) return;
  long fd = rp_sys6(RP_NR_OPENAT, RP_AT_FDCWD, (long)"/proc/self/auxv", RP_O_RDONLY | RP_O_CLOEXEC, 0, 0, 0);
  long feature = -1, align = -1;
  if (!rp_errno_of(fd)) {
    /* (type, value) pairs of machine words; a pair may straddle two reads. */
    unsigned long pair[2];
    char *pp = (char *)pair;
    unsigned long have = 0;
    char buf[256];
    int ended = 0;
    feature = align = 0;
    for (;;) {
      long n = rp_sys6(RP_NR_READ, fd, (long)buf, sizeof buf, 0, 0, 0);
      if (n <= 0) break;
      for (long i = 0; i < n && !ended; i++) {
        pp[have++] = buf[i];
        if (have < sizeof pair) continue;
        have = 0;
        if (pair[0] == 0) ended = 1; /* AT_NULL */
        if (pair[0] == RP_AT_RSEQ_FEATURE_SIZE) feature = (long)pair[1];
        if (pair[0] == RP_AT_RSEQ_ALIGN) align = (long)pair[1];
      }
    }
    (void)rp_sys6(RP_NR_CLOSE, fd, 0, 0, 0, 0, 0);
  }
  rp_aux_feature_size = feature;
  rp_aux_align = align;
  __atomic_store_n(&rp_auxv_ready, 1, __ATOMIC_RELEASE);
}

/* ---- what the kernel does: the mode test (docs/probe-protocol.md, "Kernel facts") ---- */

/* The four fields the kernel keeps up to date in a registered area (uapi struct rseq): cpu_id_start
   and cpu_id since 4.18, node_id and mm_cid since 6.3 (before that, bytes 20-27 were padding). */
#define RP_OFF_CPU_ID_START 0
#define RP_OFF_CPU_ID 4
#define RP_OFF_NODE_ID 20
#define RP_OFF_MM_CID 24
/* Values no CPU, node or concurrency id has. */
#define RP_SENTINEL_BASE 0xfffffff0u
#define RP_SIGUSR2 12
#define RP_SIGCHLD 17
#define RP_SIGSEGV 11
#define RP_PR_SET_DUMPABLE 4
#define RP_EINTR 4
/* The child's exit status: this mark, plus one bit per field the kernel rewrote. */
#define RP_MODE_EXIT_MARK 0x40
#define RP_MODE_ATTEMPTS 3

static void rp_mode_handler(int sig) { (void)sig; }

/* Result of the mode test. mode: "legacy", "optimized" or 0 (unknown); fills: the fields the kernel
   rewrote, as bits 0-3 (cpu_id_start, cpu_id, node_id, mm_cid), -1 unknown; test: what happened. */
struct rp_mode {
  const char *mode;
  long fills;
  const char *test;
  long detail; /* the fork errno, or the signal that ended the child; RP_NULL otherwise */
};

/* In a fork child (a copy of this process that inherits the thread's registration: kernel rseq_fork),
   so that nothing the test writes can reach this process: overwrite the four fields of the child's
   copy of the registered area with sentinels, take a signal to a handler (on every kernel a legacy
   registration has its fields rewritten before the handler runs or on the way back), and report in
   the exit status which sentinels the kernel replaced. A kernel that treats the fields as read-only
   and checks them (Linux 7.x's optimized registrations when the ids change, any debug kernel) kills
   the child with SIGSEGV: that attempt says nothing and is retried. */
static void rp_mode_test(char *area, struct rp_mode *out) {
  out->mode = 0;
  out->fills = -1;
  out->test = "not-run";
  out->detail = RP_NULL;
  for (int attempt = 0; attempt < RP_MODE_ATTEMPTS; attempt++) {
    long pid = rp_sys6(RP_NR_CLONE, RP_SIGCHLD, 0, 0, 0, 0, 0);
    if (rp_errno_of(pid)) {
      out->test = "fork-failed";
      out->detail = rp_errno_of(pid);
      return;
    }
    if (pid == 0) {
      /* The child: raw calls only, then exit_group. No core file if the kernel kills it. */
      (void)rp_sys6(RP_NR_PRCTL, RP_PR_SET_DUMPABLE, 0, 0, 0, 0, 0);
      struct rp_ksigaction act;
      act.handler = rp_mode_handler;
      act.flags = 0;
      act.restorer = 0;
      act.mask = 0;
      unsigned long bit = 1ul << (RP_SIGUSR2 - 1);
      if (rp_sigaction(RP_SIGUSR2, &act, (struct rp_ksigaction *)0) != 0) rp_exit(1);
      if (rp_sigprocmask(RP_SIG_UNBLOCK, &bit, (unsigned long *)0) != 0) rp_exit(1);
      static const int offs[4] = {RP_OFF_CPU_ID_START, RP_OFF_CPU_ID, RP_OFF_NODE_ID, RP_OFF_MM_CID};
      for (int i = 0; i < 4; i++) *(volatile unsigned int *)(area + offs[i]) = RP_SENTINEL_BASE + (unsigned)i;
      if (rp_raise(RP_SIGUSR2) != 0) rp_exit(1);
      int code = RP_MODE_EXIT_MARK;
      for (int i = 0; i < 4; i++)
        if (*(volatile unsigned int *)(area + offs[i]) != RP_SENTINEL_BASE + (unsigned)i) code |= 1 << i;
      rp_exit(code);
    }
    int status = 0;
    long w;
    do {
      w = rp_sys6(RP_NR_WAIT4, pid, (long)&status, 0, 0, 0, 0);
    } while (rp_errno_of(w) == RP_EINTR);
    if (w != pid) {
      out->test = "wait-failed";
      out->detail = rp_errno_of(w);
      return;
    }
    int sig = status & 0x7f;
    int code = (status >> 8) & 0xff;
    if (sig == 0 && (code & ~0xf) == RP_MODE_EXIT_MARK) {
      out->fills = code & 0xf;
      out->mode = (code & 1) ? "legacy" : "optimized";
      out->test = "done";
      out->detail = RP_NULL;
      return;
    }
    out->test = sig ? "child-killed" : "child-failed";
    out->detail = sig ? sig : code;
    if (sig != RP_SIGSEGV) return;
  }
}

/* ---- JSON line builder on a fixed buffer ---- */

struct rp_buf {
  char *p;
  char *end;
};

static void put_c(struct rp_buf *b, char c) {
  if (b->p < b->end) *b->p++ = c;
}

static void put_s(struct rp_buf *b, const char *s) {
  while (*s) put_c(b, *s++);
}

static void put_u(struct rp_buf *b, unsigned long v) {
  char tmp[24];
  int n = 0;
  do {
    tmp[n++] = (char)('0' + (v % 10));
    v /= 10;
  } while (v);
  while (n) put_c(b, tmp[--n]);
}

static void put_i(struct rp_buf *b, long v) {
  if (v < 0) {
    put_c(b, '-');
    put_u(b, (unsigned long)0 - (unsigned long)v);
  } else {
    put_u(b, (unsigned long)v);
  }
}

/* A JSON string of at most max input bytes. */
static void put_jstr(struct rp_buf *b, const char *s, int max) {
  static const char hex[] = "0123456789abcdef";
  put_c(b, '"');
  for (int i = 0; s && s[i] && i < max; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\') {
      put_c(b, '\\');
      put_c(b, (char)c);
    } else if (c < 0x20) {
      put_s(b, "\\u00");
      put_c(b, hex[c >> 4]);
      put_c(b, hex[c & 15]);
    } else {
      put_c(b, (char)c);
    }
  }
  put_c(b, '"');
}

static void put_key(struct rp_buf *b, const char *key, int first) {
  if (!first) put_c(b, ',');
  put_c(b, '"');
  put_s(b, key);
  put_s(b, "\":");
}


static void put_num_or_null(struct rp_buf *b, long v) {
  if (v == RP_NULL)
    put_s(b, "null");
  else
    put_i(b, v);
}

static void put_bool_or_null(struct rp_buf *b, long v) {
  if (v == RP_NULL)
    put_s(b, "null");
  else
    put_s(b, v ? "true" : "false");
}

/* "Is area the registered one, with length len?" without changing anything:
   unregistering with a wrong signature gives EPERM only for the registered
   area and length (and then does nothing), EINVAL otherwise.
   Returns 1 (yes), 0 (no) or RP_NULL (another errno: cannot tell). */
static long rp_is_registered(void *area, unsigned int len) {
  long e = rp_rseq(area, len, RP_RSEQ_FLAG_UNREGISTER, RP_WRONG_SIG);
  if (e == RP_EPERM) return 1;
  if (e == RP_EINVAL) return 0;
  if (e == 0) {
    /* Impossible unless the registered signature equals RP_WRONG_SIG: the area is now
       unregistered. Say so loudly rather than hide it. */
    rp_write_str(2, "rseqprobe: wrong-signature unregister succeeded; area unregistered\n");
    return 1;
  }
  return RP_NULL;
}

struct rp_area32 {
  volatile unsigned long w[4];
} __attribute__((aligned(32)));

void rp_observe_opts(const char *stage, const struct rp_opts *opts) {
  /* Kernel: is the syscall there at all? rseq(NULL, 0, 0, 0) never registers:
     EINVAL whenever the syscall exists, ENOSYS/EPERM when refused. */
  long avail = rp_rseq((void *)0, 0, 0, 0);

  /* Kernel: is anything registered? Registering a private area fails with EINVAL
     if any other area is registered; if it succeeds, nothing was, and it is
     unregistered at once. */
  struct rp_area32 priv;
  for (int i = 0; i < 4; i++) priv.w[i] = 0;
  long probe = rp_rseq((void *)&priv, 32, 0, RP_PRIVATE_SIG);
  long cleanup = RP_NULL;
  if (probe == 0) cleanup = rp_rseq((void *)&priv, 32, RP_RSEQ_FLAG_UNREGISTER, RP_PRIVATE_SIG);
  const char *kernel;
  if (probe == 0)
    kernel = "unregistered";
  else if (probe == RP_EINVAL)
    kernel = "registered";
  else
    kernel = "unavailable";
  int syscall_ok = (avail == RP_EINVAL);

  /* The test-only lie turns the answer around (RP_TEST_FAULT=lie:STAGE). */
  rp_env_load();
  if (rp_env_fault[0] && rp_lie_here(stage)) {
    if (probe == 0)
      kernel = "registered";
    else if (probe == RP_EINVAL)
      kernel = "unregistered";
  }

  /* glibc's claim. A weak undefined symbol has address 0. Inside an IFUNC resolver
     of a dynamically linked object a GOT slot could still be unrelocated: for
     position-independent code it then holds 0 too, which reads as "absent". */
  const volatile unsigned int *psize = &__rseq_size;
  const volatile long *poff = &__rseq_offset;
  const volatile unsigned int *pflags = &__rseq_flags;
  if (opts && opts->claims_given) {
    psize = opts->rseq_size_p;
    poff = opts->rseq_offset_p;
    pflags = opts->rseq_flags_p;
  }
  volatile int *phandled = &__rseq_handled;
  long size = psize ? (long)*psize : RP_NULL;
  long off = poff ? *poff : RP_NULL;
  long flags = pflags ? (long)*pflags : RP_NULL;
  long handled = phandled ? (long)*phandled : RP_NULL;

  rp_auxv_load();
  char *tp = (char *)rp_thread_pointer();
  long cpu = RP_NULL, area_reg = RP_NULL, area_len = RP_NULL;
  /* Both 0: glibc has not set them up yet (e.g. a static executable before TLS). */
  int area_known = tp && off != RP_NULL && size != RP_NULL && !(off == 0 && size == 0);
  if (area_known) {
    char *area = tp + off;
    cpu = (long)*(volatile int *)(area + 4);
    if (syscall_ok) {
      area_reg = rp_is_registered(area, 32);
      if (area_reg == 1) area_len = 32;
      if (area_reg == 0 && size > 0 && size != 32) {
        area_reg = rp_is_registered(area, (unsigned int)size);
        if (area_reg == 1) area_len = size;
      }
      /* Something is registered but not at 32 or __rseq_size: the lengths glibc 2.41+ registers
         with (the auxiliary vector's feature size, at least 32: Linux 7.x offers 33), then every
         multiple of 4 up to 512 (a design may register more). */
      long feat = rp_aux_feature_size;
      long feat_len = feat > 32 ? feat : 32;
      if (area_reg == 0 && probe == RP_EINVAL && feat_len != 32 && feat_len != size && feat_len <= 512) {
        area_reg = rp_is_registered(area, (unsigned int)feat_len);
        if (area_reg == 1) area_len = feat_len;
      }
      for (unsigned int len = 20; area_reg == 0 && probe == RP_EINVAL && len <= 512; len += 4) {
        if (len == 32 || (long)len == size || (long)len == feat_len) continue;
        area_reg = rp_is_registered(area, len);
        if (area_reg == 1) area_len = len;
      }
    }
  }

  long abi_found = RP_NULL, abi_cpu = RP_NULL, abi_reg = RP_NULL;
  if (opts && opts->abi_looked_up) {
    abi_found = opts->abi != (void *)0;
    if (opts->abi) {
      abi_cpu = (long)*(volatile int *)((char *)opts->abi + 4);
      if (syscall_ok) abi_reg = rp_is_registered(opts->abi, 32);
    }
  }

  /* The mode test, last of the reads (its fork and wait can preempt this thread, after which a legacy
     kernel rewrites the ids in the registered area: nothing above may read after that). */
  struct rp_mode mode;
  mode.mode = 0;
  mode.fills = -1;
  mode.test = 0;
  mode.detail = RP_NULL;
  if (opts && opts->mode_test) {
    if (area_reg == 1)
      rp_mode_test(tp + off, &mode);
    else
      mode.test = "no-glibc-registration";
  }

  long pid = rp_sys6(RP_NR_GETPID, 0, 0, 0, 0, 0, 0);
  long tid = rp_sys6(RP_NR_GETTID, 0, 0, 0, 0, 0, 0);

  char line[2048];
  struct rp_buf b;
  b.p = line;
  b.end = line + sizeof line - 1; /* room for the newline */
  put_c(&b, '{');
  put_key(&b, "v", 1);
  put_i(&b, 1);
  put_key(&b, "stage", 0);
  put_jstr(&b, stage, 64);
  put_key(&b, "pid", 0);
  put_i(&b, pid);
  put_key(&b, "tid", 0);
  put_i(&b, tid);
  put_key(&b, "kernel", 0);
  put_jstr(&b, kernel, 32);
  put_key(&b, "availErrno", 0);
  put_i(&b, avail);
  put_key(&b, "probeErrno", 0);
  put_i(&b, probe);
  put_key(&b, "glibc", 0);
  put_c(&b, '{');
  put_key(&b, "rseqSize", 1);
  put_num_or_null(&b, size);
  put_key(&b, "rseqOffset", 0);
  put_num_or_null(&b, off);
  put_key(&b, "rseqFlags", 0);
  put_num_or_null(&b, flags);
  put_key(&b, "cpuId", 0);
  put_num_or_null(&b, cpu);
  put_key(&b, "areaRegistered", 0);
  put_bool_or_null(&b, area_reg);
  put_key(&b, "areaLen", 0);
  put_num_or_null(&b, area_len);
  put_c(&b, '}');
  put_key(&b, "extra", 0);
  put_c(&b, '{');
  put_key(&b, "tls", 1);
  put_s(&b, tp ? "true" : "false");
  put_key(&b, "cleanupErrno", 0);
  put_num_or_null(&b, cleanup);
  put_key(&b, "rseqHandled", 0);
  put_num_or_null(&b, handled);
  put_key(&b, "rseqAbiFound", 0);
  put_bool_or_null(&b, abi_found);
  put_key(&b, "rseqAbiCpuId", 0);
  put_num_or_null(&b, abi_cpu);
  put_key(&b, "rseqAbiRegistered", 0);
  put_bool_or_null(&b, abi_reg);
  put_key(&b, "auxRseqFeatureSize", 0);
  put_num_or_null(&b, rp_aux_feature_size < 0 ? RP_NULL : rp_aux_feature_size);
  put_key(&b, "auxRseqAlign", 0);
  put_num_or_null(&b, rp_aux_align < 0 ? RP_NULL : rp_aux_align);
  put_key(&b, "rseqMode", 0);
  if (mode.mode)
    put_jstr(&b, mode.mode, 16);
  else
    put_s(&b, "null");
  put_key(&b, "kernelFills", 0);
  if (mode.mode && mode.fills >= 0 && mode.fills & 1) {
    static const char *const names[4] = {"cpu_id_start", "cpu_id", "node_id", "mm_cid"};
    put_c(&b, '"');
    int first = 1;
    for (int i = 0; i < 4; i++) {
      if (!(mode.fills & (1 << i))) continue;
      if (!first) put_c(&b, ',');
      put_s(&b, names[i]);
      first = 0;
    }
    put_c(&b, '"');
  } else {
    put_s(&b, "null");
  }
  put_key(&b, "rseqModeTest", 0);
  if (mode.test) {
    put_c(&b, '"');
    put_s(&b, mode.test);
    if (mode.detail != RP_NULL) {
      put_c(&b, ':');
      put_i(&b, mode.detail);
    }
    put_c(&b, '"');
  } else {
    put_s(&b, "null");
  }
  if (opts && opts->tag) {
    put_c(&b, ',');
    put_jstr(&b, opts->tag, 32);
    put_c(&b, ':');
    put_i(&b, opts->tag_value);
  }
  if (opts && opts->extra_json && opts->extra_json[0]) {
    put_c(&b, ',');
    put_s(&b, opts->extra_json);
  }
  put_c(&b, '}');
  put_c(&b, '}');
  *b.p++ = '\n';
  /* Under rseq-tracer the ptrace observer reads the registration now: after everything above was
     read (a stop is a context switch, after which the kernel rewrites cpu_id in a registered area,
     so stopping earlier would change what this line says) and before the line is written. */
  rp_stop_for_tracer(stage);
  /* One write: lines of concurrent writers (threads, fork/vfork children sharing the
     open file description) never interleave. Failure (fd 63 closed) is ignored. */
  (void)rp_sys6(RP_NR_WRITE, RP_FD, (long)line, (long)(b.p - line), 0, 0, 0);
}

int rp_kernel_state(void) {
  struct rp_area32 priv;
  for (int i = 0; i < 4; i++) priv.w[i] = 0;
  long probe = rp_rseq((void *)&priv, 32, 0, RP_PRIVATE_SIG);
  if (probe == 0) {
    (void)rp_rseq((void *)&priv, 32, RP_RSEQ_FLAG_UNREGISTER, RP_PRIVATE_SIG);
    return 0;
  }
  return probe == RP_EINVAL ? 1 : 2;
}

void rp_observe(const char *stage) {
  rp_observe_opts(stage, (const struct rp_opts *)0);
}
