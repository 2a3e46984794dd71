/* SPDX-License-Identifier: MIT */
/* cpu_work.h -- the CPU-bound task of the speedup rows (pool_cpu_speedup, mpi_pool_cpu_speedup):
 * an integer hash loop of about 6 ms here, the same for every seed, so tasks are equal. */
#ifndef MP_BENCH_CPU_WORK_H
#define MP_BENCH_CPU_WORK_H

#include <stdint.h>

#define CPU_WORK_ROUNDS 4500000

static inline int64_t cpu_work(int64_t seed) {
  uint64_t x = (uint64_t)seed * 0x9E3779B97F4A7C15ull + 1;
  for (int i = 0; i < CPU_WORK_ROUNDS; i++)
    x = (x ^ (x >> 29)) * 0xBF58476D1CE4E5B9ull + (uint64_t)i;
  return (int64_t)(x >> 1);
}

#endif
