/*
 * probe-main.c: the main executable of the probes, built these ways:
 *   probe-shared           (-DRP_SHARED, PIE, DT_NEEDED libprobe-dso.so)
 *   probe-static           (-static)
 *   probe-static-malloc    (-static, linked with malloc.c: the malloc-first stage)
 *   probe-shared-initfirst (as probe-shared, -DRP_INITFIRST, also DT_NEEDED
 *                           libprobe-initfirst.so: the initfirst-ctor stage)
 *   probe-shared-signal, probe-static-signal
 *                          (-DRP_SIGNAL_EARLY, linked with early-signal.c: the
 *                           signal-early stage, an IFUNC resolver that raises SIGUSR1)
 *   probe-static-dlopen    (-static, -DRP_STATIC_DLOPEN: the static-dlopen stage)
 * The stages with programs of their own are built apart so that what they add (a signal
 * during relocation, an INITFIRST library, libc.a's dlopen) never changes the runs of the
 * other stages.
 *
 * Usage: probe-{shared,static} STAGE   (docs/probe-protocol.md)
 * Passive probe points (IFUNC resolver, DT_PREINIT_ARRAY, constructor, main) always
 * observe; the active ones (thread, fork-child, vfork-child, dlopen-ctor,
 * dlmopen-ctor, malloc-first) only run when STAGE names them.
 * Exit status: 0 done, 1 a step of the stage failed, 2 bad usage.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#if defined(RP_SHARED) || defined(RP_STATIC_DLOPEN)
#include <dlfcn.h>
#endif

#include "rseqprobe.h"

/* Set (from DT_PREINIT_ARRAY, before any constructor) when the stage is malloc-first:
   dlsym allocates (a failed look-up builds an error message with malloc), and the probe
   must not be the one that makes the first malloc call. */
static int no_abi_lookup;

/* Observe, also looking up a TLS __rseq_abi where that is safe (shared builds only:
   dlsym in a static executable is not part of the matrix). mode_test: also run the kernel mode
   test (rseqprobe.h), only where nothing the process observes afterwards can be affected. */
static void observe_abi_mode(const char *stage, int mode_test) {
  struct rp_opts o = {0};
  o.mode_test = mode_test;
#ifdef RP_SHARED
  if (!no_abi_lookup) {
    o.abi_looked_up = 1;
    o.abi = dlsym(RTLD_DEFAULT, "__rseq_abi");
  }
#endif
  rp_observe_opts(stage, &o);
}

static void observe_abi(const char *stage) { observe_abi_mode(stage, 0); }

/* ifunc-exe: an IFUNC resolver of the main executable. Shared: it runs while ld.so
   relocates the executable (IRELATIVE relocations are applied eagerly, even with lazy
   binding). Static: it runs from the start-up code's IRELATIVE pass. Only rseqprobe
   (no libc) may be called here. */
static int exe_ifunc_impl(void) { return 7; }
static int exe_ifunc_fired;
static int (*exe_ifunc_resolver(void))(void) {
  if (!exe_ifunc_fired) {
    exe_ifunc_fired = 1;
    rp_observe("ifunc-exe");
  }
  return exe_ifunc_impl;
}
int rp_exe_ifunc(void) __attribute__((ifunc("exe_ifunc_resolver")));

static int same_str(const char *a, const char *b) {
  while (*a && *a == *b) a++, b++;
  return *a == *b;
}

/* preinit-array: the executable's DT_PREINIT_ARRAY (called with argc, argv, envp). */
static void preinit_hook(int argc, char **argv, char **envp) {
  (void)envp;
  if (argc > 1 && argv && argv[1] && same_str(argv[1], "malloc-first")) no_abi_lookup = 1;
  rp_observe("preinit-array");
}
__attribute__((section(".preinit_array"), used)) static void (*const preinit_entry)(int, char **, char **) =
    preinit_hook;

/* exe-ctor: a constructor of the executable. */
__attribute__((constructor)) static void exe_ctor(void) { observe_abi("exe-ctor"); }

#ifdef RP_SHARED
extern int rp_dso_call(void); /* libprobe-dso.so: its IFUNC is the ifunc-dso stage */
#endif
#ifdef RP_SIGNAL_EARLY
RP_HIDDEN int rp_signal_early_call(void); /* early-signal.c: its IFUNC raises the signal */
#endif

static void *thread_main(void *arg) {
  (void)arg;
  /* The thread's line is the last of the run: the mode test cannot change a later one. */
  observe_abi_mode("thread", 1);
  return NULL;
}

static const char *const known_stages[] = {
    "main", "ifunc-exe", "preinit-array", "exe-ctor", "thread", "fork-child", "vfork-child", "malloc-first",
#ifdef RP_SHARED
    "ifunc-preload", "ifunc-dso", "audit-version", "audit-objopen", "audit-preinit", "preload-ctor",
    "preload-ctor-cycle", "dlopen-ctor", "dlmopen-ctor", "audit-activity", "audit-objsearch", "preload-thread",
    "audit-symbind",
#endif
#ifdef RP_INITFIRST
    "initfirst-ctor",
#endif
#ifdef RP_SIGNAL_EARLY
    "signal-early",
#endif
#ifdef RP_STATIC_DLOPEN
    "static-dlopen",
#endif
};

static int wait_child(pid_t pid, const char *what) {
  int st;
  if (pid < 0) {
    perror(what);
    return 1;
  }
  if (waitpid(pid, &st, 0) != pid) {
    perror("waitpid");
    return 1;
  }
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    fprintf(stderr, "probe: %s child ended with status 0x%x\n", what, st);
    return 1;
  }
  return 0;
}

int main(int argc, char **argv) {
  const char *stage = argc > 1 ? argv[1] : "main";
  int known = 0;
  for (size_t i = 0; i < sizeof known_stages / sizeof known_stages[0]; i++)
    if (strcmp(stage, known_stages[i]) == 0) known = 1;
  if (argc > 2 || !known) {
    fprintf(stderr, "usage: %s STAGE  (unknown stage '%s' for this program)\n", argv[0], stage);
    return 2;
  }

  /* The mode test forks and waits, and a wait lets a legacy kernel rewrite the ids in the
     registered area (which can repair a cpu_id a later stage depends on): only when main is the
     run's stage, after which nothing else is observed. */
  observe_abi_mode("main", strcmp(stage, "main") == 0);

  /* Fault injection for the harness's own tests (test/probe-faults.integration.test.ts), given with
     `run --probe-env RP_TEST_FAULT=KIND:STAGE`: at main, when STAGE is this run's stage, KIND is
     segv (a null write), abort, or hang (a child that ignores SIGTERM and the parent waiting on it:
     only killing the whole process group ends it). */
  const char *fault = getenv("RP_TEST_FAULT");
  const char *colon = fault ? strchr(fault, ':') : NULL;
  if (colon && strcmp(colon + 1, stage) == 0) {
    if (strncmp(fault, "segv:", 5) == 0) *(volatile int *)0 = 1;
    if (strncmp(fault, "abort:", 6) == 0) abort();
    if (strncmp(fault, "hang:", 5) == 0) {
      pid_t child = fork();
      if (child == 0) {
        signal(SIGTERM, SIG_IGN);
        for (;;) pause();
      }
      for (;;) pause();
    }
  }

  /* Keep the IFUNC references alive (and check the resolvers returned something). */
  if (rp_exe_ifunc() != 7) return 1;
#ifdef RP_SHARED
  if (rp_dso_call() != 11) return 1;
#endif
#ifdef RP_SIGNAL_EARLY
  if (rp_signal_early_call() != 13) return 1;
#endif

  if (strcmp(stage, "thread") == 0) {
    pthread_t th;
    int e = pthread_create(&th, NULL, thread_main, NULL);
    if (e) {
      fprintf(stderr, "probe: pthread_create: %s\n", strerror(e));
      return 1;
    }
    pthread_join(th, NULL);
  } else if (strcmp(stage, "fork-child") == 0) {
    pid_t pid = fork();
    if (pid == 0) {
      observe_abi("fork-child");
      _exit(0);
    }
    return wait_child(pid, "fork");
  } else if (strcmp(stage, "vfork-child") == 0) {
    pid_t pid = vfork();
    if (pid == 0) {
      /* Shares the parent's memory: only the libc-free observer, then _exit. */
      rp_observe("vfork-child");
      _exit(0);
    }
    return wait_child(pid, "vfork");
  } else if (strcmp(stage, "malloc-first") == 0) {
    /* Make sure the interposed malloc (if any) is called at least once; volatile so
       that the compiler does not drop the pair. */
    void *volatile p = malloc(24);
    free(p);
#ifdef RP_SHARED
  } else if (strcmp(stage, "dlopen-ctor") == 0 || strcmp(stage, "dlmopen-ctor") == 0) {
    /* Found through the executable's DT_RUNPATH ($ORIGIN). */
    void *h = stage[2] == 'o' ? dlopen("libprobe-dlopen.so", RTLD_NOW)
                              : dlmopen(LM_ID_NEWLM, "libprobe-dlmopen.so", RTLD_NOW);
    if (!h) {
      fprintf(stderr, "probe: %s: %s\n", stage, dlerror());
      return 1;
    }
#endif
#ifdef RP_STATIC_DLOPEN
  } else if (strcmp(stage, "static-dlopen") == 0) {
    /* A static program has no RUNPATH: the library is found through LD_LIBRARY_PATH
       (stages.json); its libc.so.6 (a second, nested libc) through the library's
       RUNPATH, else ld.so.cache or the default directories of the libc.a linked in. */
    void *h = dlopen("libprobe-static-dlopen.so", RTLD_NOW);
    if (!h) {
      fprintf(stderr, "probe: %s: %s\n", stage, dlerror());
      return 1;
    }
#endif
  }
  return 0;
}
