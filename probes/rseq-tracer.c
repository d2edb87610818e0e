/*
 * rseq-tracer.c: the ptrace observer, an outside reader of the kernel's rseq registration at each
 * stage of a probe (docs/probe-protocol.md, "The ptrace view").
 *
 *   rseq-tracer -o FILE [-s STAGE] [--] PROGRAM [ARG...]
 *
 * Runs PROGRAM as its tracee (PTRACE_TRACEME, then execvp) with RP_STOP_ENV=<RP_STOP_SIGNAL>[:STAGE]
 * added to its environment, and follows every fork, vfork, clone and exec of it. A probe that finds
 * that variable queues RP_STOP_SIGNAL to its own thread at each stage, or only at STAGE with -s
 * (rseqprobe.c rp_stop_for_tracer:
 * si_code SI_QUEUE, si_uid RP_STOP_MAGIC, si_value the address of the stage's name). At that
 * signal-delivery-stop the tracer asks PTRACE_GET_RSEQ_CONFIGURATION for that thread, reads the
 * stage's name from the tracee's memory (PTRACE_PEEKDATA), appends one JSON line to FILE and resumes
 * the thread with the signal suppressed. Every other signal is passed on. A stop is a context switch,
 * after which the kernel rewrites cpu_id in a registered area (rseq's notify-resume), as after any
 * preemption: -s keeps the stages before the one of interest unperturbed.
 *
 * FILE gets, one JSON object a line:
 *   {"v":1,"stage":"main","pid":7,"tid":7,"errno":0,"address":"0x7f..","length":32,
 *    "signature":"0x53053053","flags":0,"registered":true}      a reading (errno 5: the kernel lacks
 *                                                                the request; then the rest is null)
 *   {"v":1,"untraced":"PTRACE_TRACEME: ..."}                     ptrace was refused: PROGRAM ran untraced
 *   {"v":1,"end":{"exitCode":0,"signal":null,"readings":3,"tracees":2}}   at the end
 *
 * Exit status: PROGRAM's (killed by a signal: the tracer kills itself with the same signal, without a
 * core dump); 127 when PROGRAM cannot be executed, 125 for the tracer's own failures. With
 * PTRACE_O_EXITKILL every tracee dies with the tracer, so killing the tracer (the runner's timeout)
 * never leaves a stopped process behind.
 *
 * Linked statically against the toolchain image's own libc, never against the glibc under test.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rseqprobe.h"

/* linux/ptrace.h (Linux 5.13+); older headers lack it, and mixing linux/ptrace.h with sys/ptrace.h
   clashes with some glibc versions. */
#define RT_GET_RSEQ_CONFIGURATION 0x420f
struct rt_rseq_configuration {
  uint64_t rseq_abi_pointer;
  uint32_t rseq_abi_size;
  uint32_t signature;
  uint32_t flags;
  uint32_t pad;
};

#define RT_O_TRACEFORK 0x02
#define RT_O_TRACEVFORK 0x04
#define RT_O_TRACECLONE 0x08
#define RT_O_TRACEEXEC 0x10
#define RT_O_EXITKILL 0x100000
#define RT_STAGE_MAX 64

static int out_fd = -1;
static long readings;

/* The tracees seen so far: a new one's first stop is the SIGSTOP the kernel queued for it. */
static pid_t *seen;
static size_t seen_n, seen_cap;

static int seen_has(pid_t tid) {
  for (size_t i = 0; i < seen_n; i++)
    if (seen[i] == tid) return 1;
  return 0;
}

static void seen_add(pid_t tid) {
  if (seen_n == seen_cap) {
    size_t cap = seen_cap ? seen_cap * 2 : 64;
    pid_t *p = realloc(seen, cap * sizeof *p);
    if (!p) return; /* the worst case: a later SIGSTOP of this tracee is taken for its first */
    seen = p;
    seen_cap = cap;
  }
  seen[seen_n++] = tid;
}

static void seen_drop(pid_t tid) {
  for (size_t i = 0; i < seen_n; i++)
    if (seen[i] == tid) {
      seen[i] = seen[--seen_n];
      return;
    }
}

/* Appends a line to FILE with one write (readings of different tracees never interleave). */
static void emit(const char *line, size_t len) {
  while (len > 0) {
    ssize_t n = write(out_fd, line, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    line += n;
    len -= (size_t)n;
  }
}

/* The stage's name from the tracee's memory, as a JSON string (null when it cannot be read). */
static void stage_json(pid_t tid, uintptr_t addr, char *dst, size_t cap) {
  char name[RT_STAGE_MAX + 1];
  size_t n = 0;
  int ok = addr != 0;
  while (ok && n < RT_STAGE_MAX) {
    errno = 0;
    long word = ptrace(PTRACE_PEEKDATA, tid, (void *)(addr + n), NULL);
    if (errno) {
      ok = n > 0;
      break;
    }
    size_t i = 0;
    for (; i < sizeof word && n < RT_STAGE_MAX; i++) {
      char c = ((const char *)&word)[i];
      if (!c) break;
      name[n++] = c;
    }
    if (i < sizeof word) break;
  }
  name[n] = 0;
  if (!ok) {
    snprintf(dst, cap, "null");
    return;
  }
  size_t o = 0;
  dst[o++] = '"';
  for (size_t i = 0; i < n && o + 8 < cap; i++) {
    unsigned char c = (unsigned char)name[i];
    if (c == '"' || c == '\\')
      o += (size_t)snprintf(dst + o, cap - o, "\\%c", c);
    else if (c < 0x20 || c >= 0x7f)
      o += (size_t)snprintf(dst + o, cap - o, "\\u%04x", c);
    else
      dst[o++] = (char)c;
  }
  dst[o++] = '"';
  dst[o] = 0;
}

/* One reading: the stopped thread's registration as the kernel has it. */
static void record(pid_t tid, const siginfo_t *si) {
  struct rt_rseq_configuration conf;
  memset(&conf, 0, sizeof conf);
  long r = ptrace((enum __ptrace_request)RT_GET_RSEQ_CONFIGURATION, tid, (void *)sizeof conf, &conf);
  int err = r < 0 ? errno : 0;
  char stage[RT_STAGE_MAX * 6 + 8];
  stage_json(tid, (uintptr_t)si->si_value.sival_ptr, stage, sizeof stage);
  char line[1024];
  int len;
  if (err)
    len = snprintf(line, sizeof line,
                   "{\"v\":1,\"stage\":%s,\"pid\":%d,\"tid\":%d,\"errno\":%d,\"error\":\"%s\","
                   "\"address\":null,\"length\":null,\"signature\":null,\"flags\":null,\"registered\":null}\n",
                   stage, (int)si->si_pid, (int)tid, err, err == EIO ? "EIO" : strerror(err));
  else
    len = snprintf(line, sizeof line,
                   "{\"v\":1,\"stage\":%s,\"pid\":%d,\"tid\":%d,\"errno\":0,\"address\":\"0x%llx\","
                   "\"length\":%u,\"signature\":\"0x%08x\",\"flags\":%u,\"registered\":%s}\n",
                   stage, (int)si->si_pid, (int)tid, (unsigned long long)conf.rseq_abi_pointer,
                   conf.rseq_abi_size, conf.signature, conf.flags, conf.rseq_abi_pointer ? "true" : "false");
  if (len > 0) emit(line, (size_t)len < sizeof line ? (size_t)len : sizeof line - 1);
  readings++;
}

static void resume(pid_t tid, int sig) {
  if (ptrace(PTRACE_CONT, tid, NULL, (void *)(long)sig) < 0 && errno != ESRCH)
    fprintf(stderr, "rseq-tracer: PTRACE_CONT %d: %s\n", (int)tid, strerror(errno));
}

/* The end: PROGRAM's status becomes the tracer's. */
static void finish(int status, long tracees) {
  char code[16] = "null", signame[16] = "null", line[256];
  int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  if (WIFEXITED(status)) snprintf(code, sizeof code, "%d", WEXITSTATUS(status));
  if (sig) snprintf(signame, sizeof signame, "%d", sig);
  int len = snprintf(line, sizeof line,
                     "{\"v\":1,\"end\":{\"exitCode\":%s,\"signal\":%s,\"readings\":%ld,\"tracees\":%ld}}\n",
                     code, signame, readings, tracees);
  if (len > 0) emit(line, (size_t)len);
  if (WIFEXITED(status)) exit(WEXITSTATUS(status));
  if (sig) {
    struct rlimit none = {0, 0};
    (void)setrlimit(RLIMIT_CORE, &none);
    signal(sig, SIG_DFL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    kill(getpid(), sig);
    exit(128 + sig);
  }
  exit(125);
}

static void usage(void) {
  fprintf(stderr, "usage: rseq-tracer -o FILE [-s STAGE] [--] PROGRAM [ARG...]\n");
  exit(125);
}

int main(int argc, char **argv) {
  const char *file = NULL, *only = NULL;
  int i = 1;
  for (; i < argc; i++) {
    if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) {
      file = argv[++i];
    } else if (strcmp(argv[i], "-s") == 0 && i + 1 < argc) {
      only = argv[++i];
    } else if (strcmp(argv[i], "--") == 0) {
      i++;
      break;
    } else {
      break;
    }
  }
  if (!file || i >= argc) usage();
  out_fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  if (out_fd < 0) {
    fprintf(stderr, "rseq-tracer: %s: %s\n", file, strerror(errno));
    return 125;
  }
  char sigtext[96];
  if (only && (strlen(only) > 64 || strchr(only, ':'))) usage();
  snprintf(sigtext, sizeof sigtext, "%d%s%s", RP_STOP_SIGNAL, only ? ":" : "", only ? only : "");

  /* The child tells why it could not run PROGRAM (or could not be traced) through this pipe; a
     successful exec closes it empty. */
  int report[2];
  if (pipe2(report, O_CLOEXEC) < 0) {
    perror("rseq-tracer: pipe2");
    return 125;
  }
  pid_t child = fork();
  if (child < 0) {
    perror("rseq-tracer: fork");
    return 125;
  }
  if (child == 0) {
    close(report[0]);
    int traced = ptrace(PTRACE_TRACEME, 0, NULL, NULL) == 0;
    int e = errno;
    char msg[160];
    if (traced) {
      setenv(RP_STOP_ENV, sigtext, 1);
    } else {
      /* Run PROGRAM anyway (its observations stand without this observer) and say why. */
      int len = snprintf(msg, sizeof msg, "T%s\n", strerror(e));
      if (write(report[1], msg, (size_t)len) < 0) _exit(125);
    }
    execvp(argv[i], argv + i);
    e = errno;
    int len = snprintf(msg, sizeof msg, "E%s: %s\n", argv[i], strerror(e));
    if (write(report[1], msg, (size_t)len) < 0) _exit(125);
    _exit(e == ENOENT ? 127 : 126);
  }
  close(report[1]);
  char msg[160];
  ssize_t got = 0;
  for (;;) {
    ssize_t n = read(report[0], msg + got, sizeof msg - 1 - (size_t)got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += n;
  }
  close(report[0]);
  msg[got] = 0;
  /* "T<why>\n": not traced; "E<why>\n": PROGRAM could not be executed. */
  char *exec_err = strstr(msg, "\nE");
  if (exec_err) *exec_err++ = 0;
  else if (msg[0] == 'E') exec_err = msg;
  char *nl = strchr(msg, '\n');
  if (nl) *nl = 0;
  if (exec_err && (nl = strchr(exec_err, '\n'))) *nl = 0;
  if (got > 0 && msg[0] == 'T') {
    /* Untraced: wait for PROGRAM like env(1) would. */
    char line[256];
    int len = snprintf(line, sizeof line, "{\"v\":1,\"untraced\":\"PTRACE_TRACEME: %s\"}\n", msg + 1);
    if (len > 0) emit(line, (size_t)len);
    int st;
    while (waitpid(child, &st, 0) < 0)
      if (errno != EINTR) return 125;
    if (exec_err) fprintf(stderr, "rseq-tracer: %s\n", exec_err + 1);
    finish(st, 1);
  }
  if (exec_err) fprintf(stderr, "rseq-tracer: %s\n", exec_err + 1);

  long tracees = 1;
  int main_status = 0, main_done = 0, options_set = 0;
  seen_add(child);
  for (;;) {
    int st;
    pid_t tid = waitpid(-1, &st, __WALL);
    if (tid < 0) {
      if (errno == EINTR) continue;
      if (errno == ECHILD) break;
      perror("rseq-tracer: waitpid");
      break;
    }
    if (WIFEXITED(st) || WIFSIGNALED(st)) {
      seen_drop(tid);
      if (tid == child) {
        main_status = st;
        main_done = 1;
      }
      continue;
    }
    if (!WIFSTOPPED(st)) continue;
    int sig = WSTOPSIG(st);
    int event = st >> 16;
    if (!options_set && tid == child) {
      /* The first stop: the SIGTRAP after PROGRAM's exec, before its first instruction. */
      options_set = 1;
      if (ptrace(PTRACE_SETOPTIONS, child, NULL,
                 (void *)(long)(RT_O_TRACEFORK | RT_O_TRACEVFORK | RT_O_TRACECLONE | RT_O_TRACEEXEC |
                                RT_O_EXITKILL)) < 0) {
        fprintf(stderr, "rseq-tracer: PTRACE_SETOPTIONS: %s\n", strerror(errno));
        kill(child, SIGKILL);
      }
      resume(tid, sig == SIGTRAP ? 0 : sig);
      continue;
    }
    if (event) {
      /* fork, vfork, clone or exec: the new tracee (if any) reports its own first stop. */
      if (event == PTRACE_EVENT_FORK || event == PTRACE_EVENT_VFORK || event == PTRACE_EVENT_CLONE) {
        unsigned long msg_tid = 0;
        if (ptrace(PTRACE_GETEVENTMSG, tid, NULL, &msg_tid) == 0 && msg_tid) tracees++;
      }
      resume(tid, 0);
      continue;
    }
    if (!seen_has(tid)) {
      seen_add(tid);
      if (sig == SIGSTOP) {
        resume(tid, 0);
        continue;
      }
    }
    siginfo_t si;
    memset(&si, 0, sizeof si);
    if (ptrace(PTRACE_GETSIGINFO, tid, NULL, &si) < 0) {
      /* No siginfo: a group-stop. Let the tracee go on. */
      resume(tid, 0);
      continue;
    }
    if (sig == RP_STOP_SIGNAL && si.si_code == RP_SI_QUEUE && (unsigned)si.si_uid == RP_STOP_MAGIC) {
      record(tid, &si);
      resume(tid, 0);
      continue;
    }
    resume(tid, sig);
  }
  if (!main_done) {
    fprintf(stderr, "rseq-tracer: lost track of process %d\n", (int)child);
    return 125;
  }
  finish(main_status, tracees);
  return 125;
}
