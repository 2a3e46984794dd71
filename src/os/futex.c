/* SPDX-License-Identifier: MIT */
/* futex.c -- the one place that calls SYS_futex.  The words are in shared memory, so the
 * private flag is never used. */
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "os/os.h"

int mp__futex_wait(_Atomic uint32_t *word, uint32_t expected, mp__deadline d) {
  struct timespec ts;
  const struct timespec *at = mp__deadline_abs(d, &ts);
  /* FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC time, so a retried wait keeps the
   * original deadline instead of restarting a relative one. */
  long r = syscall(SYS_futex, word, FUTEX_WAIT_BITSET, expected, at, NULL, FUTEX_BITSET_MATCH_ANY);
  if (r == 0) return 0;
  return -errno;
}

int mp__futex_wake(_Atomic uint32_t *word, int n) {
  long r = syscall(SYS_futex, word, FUTEX_WAKE, n, NULL, NULL, 0);
  return r < 0 ? -errno : (int)r;
}
