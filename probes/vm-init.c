/*
 * vm-init.c: PID 1 of the small VM the harness boots under QEMU (harness/vm/boot.ts).
 *
 * Mounts proc, sys and devtmpfs, opens the data port (/dev/ttyS1, QEMU's second serial port, which
 * the harness writes to a file), then either runs /run.sh with its stdout and stderr on the data port,
 * or, without /run.sh, writes a one-line JSON report of its own: the kernel release, the rseq entries of
 * its auxiliary vector (AT_RSEQ_FEATURE_SIZE 27, AT_RSEQ_ALIGN 28; 0 when the kernel gives none, i.e.
 * before Linux 6.3) and whether rseq is registered for this process (a static bookworm glibc registers
 * at start-up), asked of the kernel with raw rseq calls that change nothing (as rseqprobe.c does).
 * Ends with the marker line "@@vm-done <status>" and powers the machine off; with QEMU's -no-reboot
 * that ends QEMU.
 *
 * Seccomp: when the initramfs holds /etc/rseq-matrix/seccomp-rseq-errno (a number, e.g. 38), /run.sh and
 * everything it starts run under a seccomp filter that makes rseq(2) fail with that errno and allows every
 * other call, as the Docker profile of harness/probe/seccomp.ts does in a container. The filter is
 * installed in the child before it executes /run.sh (prctl PR_SET_NO_NEW_PRIVS, then PR_SET_SECCOMP with
 * SECCOMP_MODE_FILTER) and checked with a raw rseq(NULL, 0, 0, 0), which must then fail with that errno.
 * A kernel that cannot (no CONFIG_SECCOMP_FILTER: EINVAL) gets no /run.sh at all: the data port says
 * "@@vm-seccomp-failed <why>" and the done marker carries status 125.
 *
 * Build: gcc -static -O2 -o vm-init vm-init.c (in bookworm's toolchain image).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#ifndef AT_RSEQ_FEATURE_SIZE
#define AT_RSEQ_FEATURE_SIZE 27
#endif
#ifndef AT_RSEQ_ALIGN
#define AT_RSEQ_ALIGN 28
#endif
#ifndef SYS_rseq
#define SYS_rseq 334
#endif

#define RSEQ_FLAG_UNREGISTER 1
/* The signature of this program's own short-lived area, and one that no real registration uses
   (glibc's is 0x53053053 on x86_64): unregistering with it never succeeds. */
#define PRIVATE_SIG 0x1dea5eedu
#define WRONG_SIG 0x0badc0deu

#define DATA_PORT "/dev/ttyS1"
#define RUN_SCRIPT "/run.sh"
#define SECCOMP_ERRNO_FILE "/etc/rseq-matrix/seccomp-rseq-errno"
/* The done marker's status when the seccomp filter asked for could not be installed. */
#define SECCOMP_FAILED_STATUS 125
/* x32 system calls are the x86_64 numbers with this bit set (arch/x86/include/uapi/asm/unistd.h). */
#define X32_SYSCALL_BIT 0x40000000u
/* rseq on i386 (arch/x86/entry/syscalls/syscall_32.tbl). */
#define I386_NR_RSEQ 386

/* glibc >= 2.35 exports where its registered area is; weak, so the program links without them. */
extern const unsigned int __rseq_size __attribute__((weak));
extern const ptrdiff_t __rseq_offset __attribute__((weak));

static int data_fd = -1;

static void say(int fd, const char *s) {
  size_t n = strlen(s);
  while (n > 0) {
    ssize_t w = write(fd, s, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    s += w;
    n -= (size_t)w;
  }
}

/* On the console, where the kernel's own messages go. */
static void note(const char *s) {
  say(2, "vm-init: ");
  say(2, s);
  say(2, "\n");
}

static void mount_fs(const char *source, const char *target, const char *type) {
  mkdir(target, 0755);
  if (mount(source, target, type, 0, NULL) != 0 && errno != EBUSY) {
    char msg[160];
    snprintf(msg, sizeof msg, "mount %s on %s: %s", type, target, strerror(errno));
    note(msg);
  }
}

/* The console as stdin, stdout and stderr: the kernel starts init with /dev/console open when the
   initramfs has it; otherwise nothing is open, and the console is opened here once devtmpfs is up. */
static void open_console(void) {
  if (fcntl(2, F_GETFD) != -1) return;
  int fd = open("/dev/console", O_RDWR | O_NOCTTY);
  if (fd < 0) return;
  for (int i = 0; i < 3; i++)
    if (fd != i) dup2(fd, i);
  if (fd > 2) close(fd);
}

static int open_data_port(void) {
  int fd = open(DATA_PORT, O_WRONLY | O_NOCTTY);
  if (fd < 0 && errno == ENOENT) {
    /* No devtmpfs: make the node (major 4, minor 65 is ttyS1). */
    mknod(DATA_PORT, S_IFCHR | 0600, makedev(4, 65));
    fd = open(DATA_PORT, O_WRONLY | O_NOCTTY);
  }
  if (fd < 0) {
    char msg[160];
    snprintf(msg, sizeof msg, "open %s: %s", DATA_PORT, strerror(errno));
    note(msg);
    return -1;
  }
  /* Raw: no "\n" to "\r\n", so the data file holds what was written. */
  struct termios tio;
  if (tcgetattr(fd, &tio) == 0) {
    cfmakeraw(&tio);
    tcsetattr(fd, TCSANOW, &tio);
  }
  return fd;
}

static long raw_rseq(void *area, unsigned int len, int flags, unsigned int sig) {
  long r = syscall(SYS_rseq, area, len, flags, sig);
  return r == 0 ? 0 : errno;
}

struct area32 {
  volatile unsigned long w[4];
} __attribute__((aligned(32)));

/* "registered", "unregistered" or "unavailable": registering a private area fails with EINVAL when
   another one is registered; when it succeeds nothing was, and it is unregistered at once. */
static const char *kernel_rseq_state(long *err) {
  struct area32 priv = {{0, 0, 0, 0}};
  long e = raw_rseq((void *)&priv, 32, 0, PRIVATE_SIG);
  *err = e;
  if (e == 0) {
    raw_rseq((void *)&priv, 32, RSEQ_FLAG_UNREGISTER, PRIVATE_SIG);
    return "unregistered";
  }
  return e == EINVAL ? "registered" : "unavailable";
}

/* Is glibc's area (thread pointer + __rseq_offset) the registered one, and with what length? Unregistering
   it with a wrong signature gives EPERM only for the registered area and length, and changes nothing;
   EINVAL otherwise. glibc registers 32 bytes (or its feature size, newer versions) while __rseq_size
   may say 20, so 32 and __rseq_size are asked first, then every length up to 512 (as rseqprobe.c does).
   The length, 0 (not registered) or -1 (glibc names no area, or the kernel gave another answer). */
static long glibc_area_registered_len(void) {
  if (!&__rseq_size || !&__rseq_offset || __rseq_size == 0) return -1;
  char *area = (char *)__builtin_thread_pointer() + __rseq_offset;
  unsigned int first[2] = {32, __rseq_size};
  for (int i = 0; i < 2; i++) {
    long e = raw_rseq(area, first[i], RSEQ_FLAG_UNREGISTER, WRONG_SIG);
    if (e == EPERM) return first[i];
    if (e != EINVAL) return -1;
  }
  for (unsigned int len = 20; len <= 512; len += 4) {
    long e = raw_rseq(area, len, RSEQ_FLAG_UNREGISTER, WRONG_SIG);
    if (e == EPERM) return len;
    if (e != EINVAL) return -1;
  }
  return 0;
}

static double seconds_since_boot(void) {
  struct timespec ts;
  if (clock_gettime(CLOCK_BOOTTIME, &ts) != 0) return -1;
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A JSON string's body: quotes, backslashes and control characters escaped. */
static void json_text(char *out, size_t size, const char *s) {
  size_t o = 0;
  for (; *s && o + 7 < size; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') {
      out[o++] = '\\';
      out[o++] = (char)c;
    } else if (c < 0x20) {
      o += (size_t)snprintf(out + o, size - o, "\\u%04x", c);
    } else {
      out[o++] = (char)c;
    }
  }
  out[o] = '\0';
}

static int report(int fd) {
  struct utsname u;
  char release[2 * sizeof u.release], machine[2 * sizeof u.machine];
  if (uname(&u) != 0) {
    strcpy(u.release, "?");
    strcpy(u.machine, "?");
  }
  json_text(release, sizeof release, u.release);
  json_text(machine, sizeof machine, u.machine);
  long avail = raw_rseq(NULL, 0, 0, 0);
  long probe_err = 0;
  const char *kernel = kernel_rseq_state(&probe_err);
  long area_len = glibc_area_registered_len();
  char line[1024];
  snprintf(line, sizeof line,
           "{\"release\":\"%s\",\"machine\":\"%s\",\"at_rseq_feature_size\":%lu,"
           "\"at_rseq_align\":%lu,\"rseq_syscall\":%s,\"kernel_rseq\":\"%s\",\"probe_errno\":%ld,"
           "\"glibc_rseq_size\":%u,\"glibc_rseq_offset\":%ld,\"glibc_area_registered\":%s,"
           "\"glibc_area_len\":%ld,"
           "\"uptime_s\":%.3f}\n",
           release, machine, getauxval(AT_RSEQ_FEATURE_SIZE), getauxval(AT_RSEQ_ALIGN),
           avail == EINVAL ? "true" : "false", kernel, probe_err, &__rseq_size ? __rseq_size : 0u,
           &__rseq_offset ? (long)__rseq_offset : 0L, area_len < 0 ? "null" : area_len ? "true" : "false",
           area_len > 0 ? area_len : 0L, seconds_since_boot());
  say(fd, line);
  return 0;
}

/* The errno the seccomp file asks rseq to fail with; 0 without the file, -1 when it says no errno. */
static int wanted_rseq_errno(void) {
  int fd = open(SECCOMP_ERRNO_FILE, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char text[32];
  ssize_t n = read(fd, text, sizeof text - 1);
  close(fd);
  if (n <= 0) return -1;
  text[n] = '\0';
  char *end;
  long e = strtol(text, &end, 10);
  if (end == text || e <= 0 || e > (long)SECCOMP_RET_DATA) return -1;
  return (int)e;
}

/* Installs the filter: rseq (x86_64, x32 and i386 numbering) fails with `err`, everything else runs. The
   architecture is checked first, since a call's number means another call under another ABI. Returns 0,
   or writes why not into `why`. */
static int install_rseq_filter(int err, char *why, size_t size) {
  struct sock_filter code[] = {
      /* 0 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
      /* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 4),
      /* 2 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      /* 3 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_rseq, 6, 0),
      /* 4 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, X32_SYSCALL_BIT | SYS_rseq, 5, 0),
      /* 5 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      /* 6 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_I386, 0, 2),
      /* 7 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      /* 8 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, I386_NR_RSEQ, 1, 0),
      /* 9 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      /* 10 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ((unsigned int)err & SECCOMP_RET_DATA)),
  };
  struct sock_fprog prog = {.len = (unsigned short)(sizeof code / sizeof code[0]), .filter = code};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    snprintf(why, size, "prctl(PR_SET_NO_NEW_PRIVS): %s", strerror(errno));
    return -1;
  }
  if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) {
    int e = errno;
    snprintf(why, size, "prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER): %s%s", strerror(e),
             e == EINVAL ? " (a kernel without CONFIG_SECCOMP_FILTER)" : "");
    return -1;
  }
  /* rseq(NULL, 0, 0, 0) is EINVAL from the kernel itself: through the filter it must be `err`. */
  long got = raw_rseq(NULL, 0, 0, 0);
  if (got != err) {
    snprintf(why, size, "the filter is in place, but rseq(NULL, 0, 0, 0) fails with errno %ld, not %d", got,
             err);
    return -1;
  }
  return 0;
}

/* Runs /run.sh with stdout and stderr on the data port; its exit status, or 128 + its signal. */
static int run_script(int fd) {
  pid_t pid = fork();
  if (pid < 0) {
    note("fork failed");
    return 127;
  }
  if (pid == 0) {
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    int err = wanted_rseq_errno();
    if (err != 0) {
      char why[256];
      if (err < 0)
        snprintf(why, sizeof why, "%s does not hold an errno", SECCOMP_ERRNO_FILE);
      if (err < 0 || install_rseq_filter(err, why, sizeof why) != 0) {
        char line[320];
        snprintf(line, sizeof line, "@@vm-seccomp-failed %s\n", why);
        say(1, line);
        _exit(SECCOMP_FAILED_STATUS);
      }
    }
    char *argv[] = {RUN_SCRIPT, NULL};
    char *envp[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/", "TERM=dumb", NULL};
    execve(RUN_SCRIPT, argv, envp);
    say(2, "vm-init: execve " RUN_SCRIPT " failed\n");
    _exit(127);
  }
  /* PID 1 reaps every orphan; the script's own status is the one that counts. */
  int status = 0;
  for (;;) {
    int st;
    pid_t w = wait(&st);
    if (w == pid) {
      status = st;
      break;
    }
    if (w < 0 && errno != EINTR) break;
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 127;
}

int main(void) {
  mount_fs("devtmpfs", "/dev", "devtmpfs");
  open_console();
  mount_fs("proc", "/proc", "proc");
  mount_fs("sysfs", "/sys", "sysfs");
  data_fd = open_data_port();
  int out = data_fd >= 0 ? data_fd : 1;

  char marker[64];
  if (access(RUN_SCRIPT, X_OK) == 0) {
    int status = run_script(data_fd);
    snprintf(marker, sizeof marker, "@@vm-done %d\n", status);
  } else {
    int status = report(out);
    snprintf(marker, sizeof marker, "@@vm-done %d\n", status);
  }
  say(out, marker);
  if (data_fd >= 0) tcdrain(data_fd);
  sync();
  reboot(RB_POWER_OFF);
  /* PID 1 must not return: that panics the kernel. */
  note("reboot(RB_POWER_OFF) failed");
  for (;;) pause();
}
