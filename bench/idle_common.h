/* SPDX-License-Identifier: MIT */
/* idle_common.h -- the shape of the idle_* workloads: the CPU that the whole process tree
 * (caller, children, workers, servers) spends while the caller is blocked for a few seconds in
 * one call that does not return early.  Unit: CPU microseconds per second blocked, lower is
 * better; a blocked call should cost ~0, whatever spinning it does before it sleeps.
 * limit: a bare FUTEX_WAIT with the same timeout on a word nobody changes, the least a
 * blocked process costs, measured first, before the workload makes its objects (a pool's idle
 * workers must not be charged to the floor).  The block lasts IDLE_SECONDS x BENCH_SCALE (at
 * least 0.2 s); one block per side, no warm-up: the block itself is the measurement.  The
 * floor includes what the accounting itself costs (bench_cpu_ns() reads /proc). */
#ifndef MP_BENCH_IDLE_COMMON_H
#define MP_BENCH_IDLE_COMMON_H

#include <errno.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"

#define IDLE_SECONDS 5.0

/* The block's length in milliseconds. */
static long idle_ms(void) {
  double ms = IDLE_SECONDS * 1000.0 * bench_scale();
  return ms < 200.0 ? 200 : (long)ms;
}

/* The workload: setup makes its objects and returns their context, block blocks about ms
 * milliseconds in the call measured (failing the bench otherwise), teardown frees them. */
typedef struct idle_workload {
  const char *name;
  void *(*setup)(void);
  void (*block)(void *ctx, long ms);
  void (*teardown)(void *ctx);
} idle_workload;

/* One block: CPU microseconds per second blocked; *cpu_us gets the block's whole CPU. */
static double idle_measure(void (*block)(void *ctx, long ms), void *ctx, double *cpu_us) {
  long ms = idle_ms();
  uint64_t c0 = bench_cpu_ns(), t0 = bench_now_ns();
  block(ctx, ms);
  uint64_t c1 = bench_cpu_ns(), t1 = bench_now_ns();
  if ((double)(t1 - t0) < 0.9e6 * (double)ms)
    bench_die("the blocking call returned after %.0f ms, expected %ld", (t1 - t0) / 1e6, ms);
  *cpu_us = (double)(c1 - c0) / 1e3;
  return *cpu_us / ((double)(t1 - t0) / 1e9);
}

/* The floor: FUTEX_WAIT on a private word that stays 0, until the timeout. */
static void idle_raw_block(void *ctx, long ms) {
  static _Atomic uint32_t word;
  struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
  (void)ctx;
  long r;
  do r = syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, &ts, NULL, 0);
  while (r == -1 && errno == EINTR);
  if (r != -1 || errno != ETIMEDOUT) bench_die("raw futex wait did not time out");
}

/* Measures the floor, then the workload, and prints the result line (the CPU columns are the
 * CPU microseconds of the one block). */
static int idle_main(const idle_workload *w) {
  double raw_cpu, mp_cpu;
  double raw_v = idle_measure(idle_raw_block, NULL, &raw_cpu);
  void *ctx = w->setup();
  double mp_v = idle_measure(w->block, ctx, &mp_cpu);
  w->teardown(ctx);
  fprintf(stderr, "%s: multiproc %.1f us/s, floor %.1f us/s\n", w->name, mp_v, raw_v);
  bench_report_cpu(w->name, "us/s", false, mp_v, raw_v, mp_cpu, raw_cpu);
  return 0;
}

#endif
