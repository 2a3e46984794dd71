/* SPDX-License-Identifier: MIT */
/* raw_placement.h -- where a sleeping floor's processes run.  A hand-off between two processes
 * that sleep in the kernel costs what waking the other side costs, and on a virtual machine
 * that depends on where it sleeps: on another, idle CPU the wake-up is an interrupt to that
 * CPU and its return from idle (about 30-40 us a round trip on the 2-vCPU VM of
 * docs/BENCHMARKS.md), while with both on one CPU it is a switch between two processes (about
 * 5 us).  The scheduler picks either for multiproc's processes as it likes -- a pool whose
 * worker wakes on its caller's CPU takes the cheap one -- so a sleeping floor runs its
 * processes both ways and keeps the cheaper: the least the mechanism costs on this machine. */
#ifndef MP_BENCH_RAW_PLACEMENT_H
#define MP_BENCH_RAW_PLACEMENT_H

#include <sched.h>

#include "bench_util.h"

/* fn(ctx, iters) with this process, and every process it forks meanwhile, on the one CPU it
 * runs on now; the affinity it had is back on return. */
static inline double raw_on_one_cpu(bench_fn fn, void *ctx, long iters) {
  cpu_set_t saved, one;
  if (sched_getaffinity(0, sizeof saved, &saved) != 0) bench_die("sched_getaffinity failed");
  int cpu = sched_getcpu();
  CPU_ZERO(&one);
  CPU_SET(cpu < 0 ? 0 : cpu, &one);
  if (sched_setaffinity(0, sizeof one, &one) != 0) bench_die("sched_setaffinity failed");
  double v = fn(ctx, iters);
  if (sched_setaffinity(0, sizeof saved, &saved) != 0) bench_die("sched_setaffinity failed");
  return v;
}

/* The better of fn as the scheduler places it and fn on one CPU (the lower value, or the
 * higher where higher is better); only the better way's CPU is charged (bench_ways). */
typedef struct raw_placed {
  bench_fn fn;
  void *ctx;
} raw_placed;

static inline double raw_placed_on_one_cpu(void *arg, long iters) {
  raw_placed *p = arg;
  return raw_on_one_cpu(p->fn, p->ctx, iters);
}

static inline double raw_best_placement(bench_fn fn, void *ctx, long iters, bool higher) {
  bench_ways w = bench_ways_new(higher);
  raw_placed p = {fn, ctx};
  bench_ways_run(&w, fn, ctx, iters);
  bench_ways_run(&w, raw_placed_on_one_cpu, &p, iters);
  return bench_ways_best(&w);
}

#endif
