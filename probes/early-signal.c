/*
 * Stage signal-early: a signal handled as early as a probe can raise one. An IFUNC
 * resolver of the main executable (probe-shared-signal, probe-static-signal) installs a
 * SIGUSR1 handler with the raw rt_sigaction system call, unblocks SIGUSR1, raises it at
 * its own thread with tgkill, and puts mask and action back; the handler observes.
 * Shared: the resolver runs while ld.so relocates the executable. Static: it runs from
 * __libc_start_main's IRELATIVE pass, before TLS exists. Libc-free (compiled
 * freestanding, checked with nm), like rseqprobe.c, because libc is not usable there.
 */
#include "rseqprobe.h"

static volatile int early_handled;

static void early_handler(int sig) {
  (void)sig;
  early_handled = 1;
  rp_observe("signal-early");
}

static int signal_early_impl(void) { return 13; }
static int signal_early_fired;

static int (*signal_early_resolver(void))(void) {
  if (signal_early_fired) return signal_early_impl;
  signal_early_fired = 1;
  struct rp_ksigaction act, old;
  act.handler = early_handler;
  act.flags = 0;
  act.restorer = (void (*)(void))0;
  act.mask = 0;
  long e = rp_sigaction(RP_SIGUSR1, &act, &old);
  if (e) {
    rp_write_str(2, "probe: signal-early: rt_sigaction failed\n");
    return signal_early_impl;
  }
  /* A mask inherited from the parent might block SIGUSR1: unblock it for the raise, so
     that the signal is handled before tgkill returns and nothing stays pending. */
  unsigned long usr1 = 1ul << (RP_SIGUSR1 - 1), saved = 0;
  long masked = rp_sigprocmask(RP_SIG_UNBLOCK, &usr1, &saved);
  e = rp_raise(RP_SIGUSR1);
  if (masked == 0) (void)rp_sigprocmask(RP_SIG_SETMASK, &saved, (unsigned long *)0);
  (void)rp_sigaction(RP_SIGUSR1, &old, (struct rp_ksigaction *)0);
  if (e || !early_handled) rp_write_str(2, "probe: signal-early: SIGUSR1 was not handled\n");
  return signal_early_impl;
}

/* Called from main (probe-main.c, RP_SIGNAL_EARLY), so that the linker keeps the IFUNC and
   its IRELATIVE relocation. */
RP_HIDDEN int rp_signal_early_call(void) __attribute__((ifunc("signal_early_resolver")));
