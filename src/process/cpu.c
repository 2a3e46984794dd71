/* SPDX-License-Identifier: MIT */
/* cpu.c -- cpu_count (online CPUs) and the usable count that honours the affinity mask. */
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>

#include "internal.h"

int mp_cpu_count(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? (int)n : 1;
}

int mp_usable_cpu_count(void) {
  /* The mask may be larger than the fixed cpu_set_t on very large machines: grow until the
   * kernel accepts it. */
  for (int ncpu = 1024; ncpu <= (1 << 20); ncpu *= 2) {
    cpu_set_t *set = CPU_ALLOC(ncpu);
    if (set == NULL) break;
    size_t size = CPU_ALLOC_SIZE(ncpu);
    if (sched_getaffinity(0, size, set) == 0) {
      int n = CPU_COUNT_S(size, set);
      CPU_FREE(set);
      return n > 0 ? n : 1;
    }
    CPU_FREE(set);
    if (errno != EINVAL) break;
  }
  return mp_cpu_count();
}
