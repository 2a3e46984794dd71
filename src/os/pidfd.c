/* SPDX-License-Identifier: MIT */
/* pidfd.c -- process tracking by pidfd: open, signal, reap.  A pidfd names one process for
 * good, so a recycled pid can never be signalled or reaped by mistake, and it can be polled,
 * which is what lets the library follow children without a SIGCHLD handler. */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "os/os.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

int mp__pidfd_open(pid_t pid) {
  /* pidfds are always close-on-exec. */
  long fd = syscall(SYS_pidfd_open, pid, 0);
  return fd < 0 ? -errno : (int)fd;
}

int mp__pidfd_signal(int pidfd, int sig) {
  if (syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) == 0) return 0;
  /* ESRCH: the process has exited (it may still be a zombie); nothing to signal. */
  return errno == ESRCH ? 0 : -errno;
}

int mp__pidfd_reap(int pidfd, bool block, int *exitcode) {
  siginfo_t info;
  for (;;) {
    info.si_pid = 0;
    int r = waitid((idtype_t)P_PIDFD, (id_t)pidfd, &info, WEXITED | (block ? 0 : WNOHANG));
    if (r == 0) break;
    if (errno != EINTR) return -errno;
  }
  if (info.si_pid == 0) return 0;
  *exitcode = info.si_code == CLD_EXITED ? info.si_status : -info.si_status;
  return 1;
}

bool mp__pidfd_ended(int pidfd) {
  if (pidfd < 0) return false;
  struct pollfd p = {.fd = pidfd, .events = POLLIN};
  return poll(&p, 1, 0) == 1;
}
