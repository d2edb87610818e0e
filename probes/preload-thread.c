/*
 * libprobe-preload-thread.so (LD_PRELOAD): stage preload-thread. Its constructor creates a
 * thread and joins it; the thread's start routine observes. glibc's pthread_create asks
 * start_thread to register the new thread only when the creating thread's cpu_id is >= 0,
 * so under a design that registers the main thread after preload constructors, this
 * thread is never registered.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>

#include "rseqprobe.h"

static void *preload_thread_main(void *arg) {
  struct rp_opts o = {0};
  o.abi_looked_up = 1;
  o.abi = dlsym(RTLD_DEFAULT, "__rseq_abi");
  rp_observe_opts("preload-thread", &o);
  return arg;
}

__attribute__((constructor)) static void preload_thread_ctor(void) {
  pthread_t th;
  if (pthread_create(&th, NULL, preload_thread_main, NULL) != 0) {
    rp_write_str(2, "libprobe-preload-thread: pthread_create failed\n");
    rp_exit(1);
  }
  if (pthread_join(th, NULL) != 0) {
    rp_write_str(2, "libprobe-preload-thread: pthread_join failed\n");
    rp_exit(1);
  }
}
