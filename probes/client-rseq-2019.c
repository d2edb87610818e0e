/*
 * client-rseq-2019.c: stage client:rseq-2019, an rseq user written to the protocol of 2019 - the v10
 * glibc series ("Perform rseq(2) registration at C startup and thread creation (v10)", libc-alpha,
 * 3 May 2019) and librseq of that spring - run against every design (docs/probe-protocol.md,
 * "Clients").
 *
 * The protocol as a library of 2019 saw it:
 *   - a glibc that handles rseq exports a TLS `struct rseq __rseq_abi` and an `int __rseq_handled`
 *     that it sets to 1 at start-up;
 *   - in its constructor the library reads __rseq_handled (here a weak reference: no such symbol reads
 *     as 0). Zero: nobody handles rseq, so the library registers the thread's __rseq_abi itself
 *     (claiming __rseq_handled when the symbol exists) and unregisters it at exit. Non-zero: glibc
 *     registered __rseq_abi, and the library uses that area;
 *   - __rseq_abi.cpu_id says the area's state: >= 0 registered (the kernel keeps it current), -1 not
 *     registered yet, -2 registration failed.
 * The program defines __rseq_abi itself, weak, as librseq did before March 2019, so that libc's
 * definition takes over where libc has one: in a static link libc.a's strong definition replaces it;
 * in a dynamic link the executable's definition is exported and interposes libc.so's, so glibc's own
 * references (a TPOFF relocation against the symbol) and this program's name the same area.
 *
 * In the constructor it decides, registers if it must, then checks that it can use the area:
 * cpu_id >= 0, cpu_id agreeing with sched_getcpu(), and one per-cpu increment in a restartable
 * sequence (x86_64; elsewhere the increment is not tried). It writes one observation line (the probe
 * protocol, stage $RSEQ_MATRIX_CLIENT) with the members of "extra" that the client observer writes
 * (client-observer.c) and its own clientHandled, clientAbiOwner, clientCpuId, clientCpuAgrees,
 * clientCsCommits, clientCsAborts and clientUsable. Exit status: 0 when it could use rseq, 1 when not
 * (with the reason on stderr).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "rseqprobe.h"

#if defined(__x86_64__)
#define RSEQ2019_NR 334
/* The signature v10 and librseq used on x86: the last 4 bytes of ud1 0x53053053(%rip),%edi. */
#define RSEQ2019_SIG 0x53053053u
#define RSEQ2019_SIG_ASM "0x53053053"
#elif defined(__aarch64__)
#define RSEQ2019_NR 293
#define RSEQ2019_SIG 0xd428bc00u /* BRK #0x45E0 */
#endif

#define RSEQ2019_CPU_ID_UNINITIALIZED (-1)
#define RSEQ2019_CPU_ID_REGISTRATION_FAILED (-2)
#define RSEQ2019_FLAG_UNREGISTER 1

/* The kernel's struct rseq as of 2019: 20 bytes used, 32 registered, 32-byte aligned. */
struct rseq2019 {
  uint32_t cpu_id_start;
  uint32_t cpu_id;
  uint64_t rseq_cs;
  uint32_t flags;
} __attribute__((aligned(32)));

struct rseq2019_cs {
  uint32_t version;
  uint32_t flags;
  uint64_t start_ip;
  uint64_t post_commit_offset;
  uint64_t abort_ip;
} __attribute__((aligned(32)));

/* The 2019 ABI symbols. __rseq_abi: defined here, weak, starting out "not registered yet". */
__attribute__((weak)) __thread struct rseq2019 __rseq_abi = {.cpu_id = (uint32_t)RSEQ2019_CPU_ID_UNINITIALIZED};
extern int __rseq_handled __attribute__((weak));
/* Today's ABI, read only to report what glibc claimed when the constructor ran. */
extern const unsigned int __rseq_size __attribute__((weak));

#define RSEQ2019_MAX_CPUS 4096
static long rseq2019_counters[RSEQ2019_MAX_CPUS];

static struct {
  int init_kernel;     /* rp_kernel_state() as the constructor starts */
  long init_size;      /* __rseq_size then, -1: no such symbol */
  long handled;        /* __rseq_handled then, -1: no such symbol */
  int owner;           /* 0: nobody's area is in use, 1: glibc's, 2: this program's own */
  int claimed_handled; /* this program set __rseq_handled to 1 */
  long register_calls; /* rseq(2) registrations made here */
  int registered;      /* one of them succeeded */
  long register_errno;
  long cpu_id;          /* cpu_id of the area when it was checked (-3: not checked) */
  int cpu_agrees;       /* -1: not checked */
  long cs_commits, cs_aborts;
  int usable;
  char why[240];
} c2019 = {.cpu_id = -3, .cpu_agrees = -1};

static const char *state_name(int s) {
  return s == 1 ? "registered" : s == 0 ? "unregistered" : "unavailable";
}

static const char *errno_name(long e) {
  switch (e) {
  case EINVAL:
    return "EINVAL";
  case EBUSY:
    return "EBUSY";
  case EPERM:
    return "EPERM";
  case ENOSYS:
    return "ENOSYS";
  case EFAULT:
    return "EFAULT";
  default:
    return "errno";
  }
}

static long sys_rseq2019(volatile struct rseq2019 *area, uint32_t len, int flags, uint32_t sig) {
  return syscall(RSEQ2019_NR, area, len, flags, sig);
}

static int32_t read_cpu_id(volatile struct rseq2019 *abi) {
  return (int32_t)abi->cpu_id;
}

#if defined(__x86_64__)
/*
 * Adds one to *slot if the thread is still on `cpu` when it stores, as one restartable sequence:
 * [1, 2) is the critical section, its last instruction the commit; 4 is the abort handler, preceded
 * by the signature (as the bytes of ud1 sig(%rip),%edi). Returns 0 on commit, 1 on abort.
 */
static int cs_increment(volatile struct rseq2019 *abi, long *slot, uint32_t cpu) {
  int aborted;
  __asm__ __volatile__(".pushsection __rseq_cs, \"aw\"\n\t"
                       ".balign 32\n\t"
                       "3:\n\t"
                       ".long 0, 0\n\t"
                       ".quad 1f, 2f - 1f, 4f\n\t"
                       ".popsection\n\t"
                       "leaq 3b(%%rip), %%rax\n\t"
                       "movq %%rax, %[cs]\n\t"
                       "1:\n\t"
                       "cmpl %[cpu], %[cpu_id]\n\t"
                       "jnz 4f\n\t"
                       "movq %[slot], %%rax\n\t"
                       "addq $1, %%rax\n\t"
                       "movq %%rax, %[slot]\n\t"
                       "2:\n\t"
                       "xorl %[aborted], %[aborted]\n\t"
                       "jmp 5f\n\t"
                       ".byte 0x0f, 0xb9, 0x3d\n\t"
                       ".long " RSEQ2019_SIG_ASM "\n\t"
                       "4:\n\t"
                       "movl $1, %[aborted]\n\t"
                       "5:\n\t"
                       : [aborted] "=&r"(aborted), [cs] "=m"(abi->rseq_cs), [slot] "+m"(*slot)
                       : [cpu] "r"(cpu), [cpu_id] "m"(abi->cpu_id)
                       : "rax", "memory", "cc");
  return aborted;
}
#endif

/* Is the area usable: registered (cpu_id >= 0), agreeing with sched_getcpu(), and (x86_64) does a
   per-cpu increment commit? Fills c2019 and returns 1 when all holds. */
static int check_area(volatile struct rseq2019 *abi) {
  int32_t cpu = read_cpu_id(abi);
  c2019.cpu_id = cpu;
  if (cpu < 0) {
    snprintf(c2019.why, sizeof c2019.why, "__rseq_abi.cpu_id is %d (%s), so the thread's area is not registered",
             (int)cpu,
             cpu == RSEQ2019_CPU_ID_UNINITIALIZED ? "not registered yet" : "registration failed");
    return 0;
  }
  /* A migration between the two reads makes them differ: try again a few times. */
  c2019.cpu_agrees = 0;
  int seen = -1, kernel = -1;
  for (int i = 0; i < 16 && !c2019.cpu_agrees; i++) {
    int before = read_cpu_id(abi);
    kernel = sched_getcpu();
    int after = read_cpu_id(abi);
    seen = after;
    if (before == after && after == kernel) c2019.cpu_agrees = 1;
  }
  if (!c2019.cpu_agrees) {
    snprintf(c2019.why, sizeof c2019.why, "__rseq_abi.cpu_id says CPU %d, sched_getcpu() says %d", seen, kernel);
    return 0;
  }
#if defined(__x86_64__)
  for (int i = 0; i < 1000 && !c2019.cs_commits; i++) {
    uint32_t start = abi->cpu_id_start;
    if (read_cpu_id(abi) < 0 || start >= RSEQ2019_MAX_CPUS) break;
    long before = rseq2019_counters[start];
    if (cs_increment(abi, &rseq2019_counters[start], start) == 0) {
      c2019.cs_commits++;
      if (rseq2019_counters[start] != before + 1) {
        snprintf(c2019.why, sizeof c2019.why, "the restartable increment committed but the counter of CPU %u went from %ld to %ld",
                 start, before, rseq2019_counters[start]);
        return 0;
      }
    } else {
      c2019.cs_aborts++;
    }
  }
  if (!c2019.cs_commits) {
    snprintf(c2019.why, sizeof c2019.why, "the restartable increment never committed (%ld aborts)", c2019.cs_aborts);
    return 0;
  }
#endif
  return 1;
}

static void observe(const char *stage) {
  char extra[512];
  char size[24], handled[24];
  if (c2019.init_size < 0)
    strcpy(size, "null");
  else
    snprintf(size, sizeof size, "%ld", c2019.init_size);
  if (c2019.handled < 0)
    strcpy(handled, "null");
  else
    snprintf(handled, sizeof handled, "%ld", c2019.handled);
  snprintf(extra, sizeof extra,
           "\"clientRegisterCalls\":%ld,\"clientRegistered\":%s,\"clientRegisterErrno\":%ld,"
           "\"initKernel\":\"%s\",\"initRseqSize\":%s,\"clientHandled\":%s,\"clientAbiOwner\":\"%s\","
           "\"clientCpuId\":%ld,\"clientCpuAgrees\":%s,\"clientCsCommits\":%ld,\"clientCsAborts\":%ld,"
           "\"clientUsable\":%s",
           c2019.register_calls, c2019.registered ? "true" : "false", c2019.register_errno,
           state_name(c2019.init_kernel), size, handled,
           c2019.owner == 1 ? "glibc" : c2019.owner == 2 ? "client" : "none", c2019.cpu_id,
           c2019.cpu_agrees < 0 ? "null" : c2019.cpu_agrees ? "true" : "false", c2019.cs_commits,
           c2019.cs_aborts, c2019.usable ? "true" : "false");
  struct rp_opts opts;
  memset(&opts, 0, sizeof opts);
  opts.extra_json = extra;
  /* glibc's __rseq_abi, when the program took it as glibc's: is it the registered area? */
  if (c2019.owner == 1) {
    opts.abi_looked_up = 1;
    opts.abi = (void *)&__rseq_abi;
  }
  rp_observe_opts(stage, &opts);
}

__attribute__((constructor)) static void rseq2019_init(void) {
  const char *stage = getenv("RSEQ_MATRIX_CLIENT");
  if (!stage || !stage[0]) stage = "client:rseq-2019";
  volatile struct rseq2019 *abi = &__rseq_abi;
  c2019.init_kernel = rp_kernel_state();
  c2019.init_size = &__rseq_size ? (long)__rseq_size : -1;
  c2019.handled = &__rseq_handled ? (long)__rseq_handled : -1;

  if (c2019.handled > 0) {
    /* glibc handles rseq: use its __rseq_abi. */
    c2019.owner = 1;
    c2019.usable = check_area(abi);
  } else {
    /* Nobody handles rseq: take it on for this thread. */
    if (&__rseq_handled) {
      __rseq_handled = 1;
      c2019.claimed_handled = 1;
    }
    c2019.register_calls++;
    if (sys_rseq2019(abi, sizeof(struct rseq2019), 0, RSEQ2019_SIG) == 0) {
      c2019.registered = 1;
      c2019.owner = 2;
      c2019.usable = check_area(abi);
    } else {
      c2019.register_errno = errno;
      /* librseq: EBUSY means this very area is registered already; anything else marks it failed. */
      if (errno != EBUSY) abi->cpu_id = (uint32_t)RSEQ2019_CPU_ID_REGISTRATION_FAILED;
      snprintf(c2019.why, sizeof c2019.why,
               "__rseq_handled is %s, so it registered its own __rseq_abi, and the kernel refused: %s (%ld)",
               c2019.handled < 0 ? "absent" : "0", errno_name(c2019.register_errno), c2019.register_errno);
    }
  }
  observe(stage);
}

__attribute__((destructor)) static void rseq2019_fini(void) {
  if (c2019.registered) {
    if (sys_rseq2019(&__rseq_abi, sizeof(struct rseq2019), RSEQ2019_FLAG_UNREGISTER, RSEQ2019_SIG) != 0)
      fprintf(stderr, "rseq-2019: unregistering its own __rseq_abi failed: %s\n", errno_name(errno));
    c2019.registered = 0;
  }
  if (c2019.claimed_handled) __rseq_handled = 0;
}

int main(void) {
  const char *area = c2019.owner == 1 ? "glibc's __rseq_abi" : c2019.owner == 2 ? "its own __rseq_abi" : "no area";
  if (c2019.usable) {
    printf("rseq-2019: __rseq_handled %ld, using %s on CPU %ld (%ld commit, %ld aborts)\n", c2019.handled, area,
           c2019.cpu_id, c2019.cs_commits, c2019.cs_aborts);
    return 0;
  }
  fprintf(stderr, "rseq-2019: cannot use rseq with %s: %s\n", area, c2019.why);
  return 1;
}
