/* SPDX-License-Identifier: MIT */
/* clock.c -- monotonic time and the deadline helper used by every blocking call. */
#include <limits.h>

#include "os/os.h"

int64_t mp__now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

mp__deadline mp__deadline_in(mp_timeout_ms timeout) {
  mp__deadline d = {-1};
  if (timeout < 0) return d;
  /* Clamp so that absurdly long timeouts cannot overflow; 100 years is forever enough. */
  const int64_t max_ms = INT64_C(100) * 365 * 24 * 3600 * 1000;
  if (timeout > max_ms) timeout = max_ms;
  d.at_ns = mp__now_ns() + timeout * 1000000;
  return d;
}

int mp__deadline_poll_ms(mp__deadline d) {
  if (mp__deadline_forever(d)) return -1;
  int64_t left = d.at_ns - mp__now_ns();
  if (left <= 0) return 0;
  int64_t ms = (left + 999999) / 1000000;
  return ms > INT_MAX ? INT_MAX : (int)ms;
}

bool mp__deadline_passed(mp__deadline d) {
  return !mp__deadline_forever(d) && mp__now_ns() >= d.at_ns;
}

const struct timespec *mp__deadline_abs(mp__deadline d, struct timespec *buf) {
  if (mp__deadline_forever(d)) return NULL;
  buf->tv_sec = d.at_ns / 1000000000;
  buf->tv_nsec = d.at_ns % 1000000000;
  return buf;
}
