/* SPDX-License-Identifier: MIT */
/* raw_futex.h -- the floors of the sync workloads, written with bare atomics and futex calls:
 * a CAS spinlock-free mutex (the classic three-state futex mutex) and futex wait/wake.  No
 * timeouts, no owner tracking, no error handling: the least any process-shared lock costs. */
#ifndef MP_BENCH_RAW_FUTEX_H
#define MP_BENCH_RAW_FUTEX_H

#include <linux/futex.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_util.h"
#include "raw_placement.h"

static inline void raw_futex_wait(_Atomic uint32_t *w, uint32_t val) {
  syscall(SYS_futex, w, FUTEX_WAIT, val, NULL, NULL, 0);
}

static inline void raw_futex_wake(_Atomic uint32_t *w, int n) {
  syscall(SYS_futex, w, FUTEX_WAKE, n, NULL, NULL, 0);
}

/* 0 free, 1 held, 2 held with waiters. */
static inline void raw_lock(_Atomic uint32_t *w) {
  uint32_t c = 0;
  if (atomic_compare_exchange_strong(w, &c, 1)) return;
  if (c != 2) c = atomic_exchange(w, 2);
  while (c != 0) {
    raw_futex_wait(w, 2);
    c = atomic_exchange(w, 2);
  }
}

static inline void raw_unlock(_Atomic uint32_t *w) {
  if (atomic_fetch_sub(w, 1) != 1) {
    atomic_store(w, 0);
    raw_futex_wake(w, 1);
  }
}

/* ---- the floor of the hand-off workloads (lock_handoff, queue_latency) ----
 * Two processes hand control back and forth on two futex words: store + FUTEX_WAKE to post,
 * FUTEX_WAIT while unchanged to wait.  The pair lives in a MAP_SHARED page. */
typedef struct {
  /* a cache line each: on one line the two sides' stores would pass it back and forth twice
   * as often as the hand-off itself needs (as multiproc's objects, each on lines of its own) */
  _Alignas(64) _Atomic uint32_t ping;
  _Alignas(64) _Atomic uint32_t pong;
} raw_pair;

/* Waits until *w becomes 1, then resets it: the raw form of wait + clear. */
static inline void raw_wait_take(_Atomic uint32_t *w) {
  while (atomic_load(w) == 0) raw_futex_wait(w, 0);
  atomic_store(w, 0);
}

static inline void raw_post(_Atomic uint32_t *w) {
  atomic_store(w, 1);
  raw_futex_wake(w, 1);
}

/* A bench_fn: iters round trips with a forked responder; us per round trip. */
static inline double raw_pingpong(void *ctx, long iters) {
  raw_pair *rp = ctx;
  pid_t pid = fork();
  if (pid < 0) bench_die("fork failed");
  if (pid == 0) {
    for (long i = 0; i < iters; i++) {
      raw_wait_take(&rp->ping);
      raw_post(&rp->pong);
    }
    _exit(0);
  }
  uint64_t t0 = bench_now_ns();
  for (long i = 0; i < iters; i++) {
    raw_post(&rp->ping);
    raw_wait_take(&rp->pong);
  }
  uint64_t t1 = bench_now_ns();
  waitpid(pid, NULL, 0);
  return bench_us_per_op(t1 - t0, iters);
}

/* ---- the polling floor of the same hand-offs ----
 * multiproc's waits poll for a while before they sleep, so on an idle machine a hand-off
 * never sleeps in the kernel; the least that costs is two processes polling shared words.
 * Which raw way is fastest depends on where the two processes run: a pure spin (a pause
 * between polls) wins with a core each to spare; a spin that yields the CPU every 64 polls
 * (multiproc's own shape, done raw) wins when the two share a CPU or other work wants the
 * cores; sleeping on the futex at once (raw_pingpong) when the machine is busier still.  The floor of a wait that polls and
 * then sleeps runs all three, the same number of round trips each, and takes the fastest, so
 * that no such wait, multiproc's included, can beat it by construction. */
#if defined(__x86_64__) || defined(__i386__)
#define RAW_CPU_RELAX() __builtin_ia32_pause()
#elif defined(__aarch64__)
#define RAW_CPU_RELAX() __asm__ __volatile__("yield")
#else
#define RAW_CPU_RELAX() ((void)0)
#endif

static inline void raw_poll_wait_take(_Atomic uint32_t *w, bool yield) {
  for (unsigned i = 1; atomic_load_explicit(w, memory_order_acquire) == 0; i++) {
    RAW_CPU_RELAX();
    if (yield && i % 64 == 0) sched_yield();
  }
  atomic_store_explicit(w, 0, memory_order_relaxed);
}

static inline void raw_poll_post(_Atomic uint32_t *w) {
  atomic_store_explicit(w, 1, memory_order_release);
}

/* iters round trips with a forked responder, both sides polling one way; us per round trip. */
static inline double raw_poll_pingpong_one(raw_pair *rp, long iters, bool yield) {
  pid_t pid = fork();
  if (pid < 0) bench_die("fork failed");
  if (pid == 0) {
    for (long i = 0; i < iters; i++) {
      raw_poll_wait_take(&rp->ping, yield);
      raw_poll_post(&rp->pong);
    }
    _exit(0);
  }
  uint64_t t0 = bench_now_ns();
  for (long i = 0; i < iters; i++) {
    raw_poll_post(&rp->ping);
    raw_poll_wait_take(&rp->pong, yield);
  }
  uint64_t t1 = bench_now_ns();
  waitpid(pid, NULL, 0);
  return bench_us_per_op(t1 - t0, iters);
}

/* A bench_fn: the floor of a hand-off that sleeps at once, raw_pingpong with its two
 * processes where the scheduler puts them and on one CPU, the faster (raw_placement.h). */
static inline double raw_sleep_pingpong(void *ctx, long iters) {
  return raw_best_placement(raw_pingpong, ctx, iters, false);
}

/* raw_poll_pingpong_one as bench_fns: polling with a pause, or yielding between polls. */
static inline double raw_spin_pingpong(void *ctx, long iters) {
  return raw_poll_pingpong_one(ctx, iters, false);
}
static inline double raw_yield_pingpong(void *ctx, long iters) {
  return raw_poll_pingpong_one(ctx, iters, true);
}

/* A bench_fn: the floor of a wait that polls and then sleeps, the fastest of the three raw
 * ways (see above), the sleeping one placed both ways; us per round trip. */
static inline double raw_best_pingpong(void *ctx, long iters) {
  bench_ways w = bench_ways_new(false); /* only the fastest way's CPU is charged */
  bench_ways_run(&w, raw_spin_pingpong, ctx, iters);
  bench_ways_run(&w, raw_yield_pingpong, ctx, iters);
  bench_ways_run(&w, raw_sleep_pingpong, ctx, iters);
  return bench_ways_best(&w);
}

#endif
