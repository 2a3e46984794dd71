/* SPDX-License-Identifier: MIT */
/* random.c -- random bytes for keys, nonces and hash seeds: the kernel's getrandom, with a
 * clock-and-pid fallback so that a caller never has to handle "no randomness". */
#include <sys/random.h>
#include <unistd.h>

#include "os/os.h"

int mp__random_bytes(void *buf, size_t len) {
  unsigned char *p = buf;
  size_t got = 0;
  while (got < len) {
    /* Blocking only until the kernel's generator is first seeded, early in boot: auth keys
     * made from it are secrets. */
    ssize_t n = getrandom(p + got, len - got, 0);
    if (n > 0) {
      got += (size_t)n;
    } else if (n < 0 && errno != EINTR) {
      break;
    }
  }
  if (got == len) return 0;
  int err = -errno;
  uint64_t x = (uint64_t)mp__now_ns() ^ ((uint64_t)getpid() << 32);
  for (size_t i = 0; i < len; i++) {
    x = x * 6364136223846793005u + 1442695040888963407u;
    p[i] = (unsigned char)(x >> 56);
  }
  return err;
}
