/* SPDX-License-Identifier: MIT */
/* raw_spin_wait.h -- the raw form of a wait that polls, then sleeps: the floors' way to wait
 * for another process's change to shared memory when multiproc's own wait (os/wait.h) spins
 * first.  The waiter polls its condition with a pause between looks and gives way to anything
 * runnable on its CPU every 64 looks (the waker may be the very process it waits for), for a
 * bounded number of such rounds; then it counts itself a sleeper and sleeps on a wake word.  A
 * waker bumps the word and issues FUTEX_WAKE only when the count says somebody sleeps.
 *
 * No wake-up is lost: the waiter increments the count (a seq_cst RMW) before its last look at
 * the condition, the waker makes its change and passes a seq_cst fence before it reads the
 * count, so either the waker sees the sleeper or the waiter sees the change; and the waiter
 * reads the word before that last look, so a bump after it makes FUTEX_WAIT return at once.
 * No time-outs, no owner checks, no adaptive budget: the least such a wait costs. */
#ifndef MP_BENCH_RAW_SPIN_WAIT_H
#define MP_BENCH_RAW_SPIN_WAIT_H

#include <limits.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "raw_futex.h"

/* Where sleepers of one kind wait: the word wakers bump, and how many sleep on it.  A line of
 * its own, so polling the condition elsewhere does not share it with the wakers' bumps. */
typedef struct raw_wake {
  _Alignas(64) _Atomic uint32_t word;
  _Atomic uint32_t sleepers;
} raw_wake;

/* Rounds of 64 polls (about 2 us each) before a waiter sleeps: about multiproc's longest
 * spin (50 us, MP__WAIT_SPIN_LONG_NS). */
#define RAW_SPIN_ROUNDS 25

/* Waits until done(arg) is true. */
static inline void raw_spin_wait(raw_wake *w, bool (*done)(void *), void *arg) {
  for (int round = 0; round < RAW_SPIN_ROUNDS; round++) {
    for (int i = 0; i < 64; i++) {
      if (done(arg)) return;
      RAW_CPU_RELAX();
    }
    sched_yield();
  }
  atomic_fetch_add(&w->sleepers, 1);
  for (;;) {
    uint32_t seen = atomic_load(&w->word);
    if (done(arg)) break;
    raw_futex_wait(&w->word, seen);
  }
  atomic_fetch_sub(&w->sleepers, 1);
}

/* After a change that may end waits on w: wakes every sleeper, if there is any. */
static inline void raw_spin_wake(raw_wake *w) {
  atomic_thread_fence(memory_order_seq_cst);
  if (atomic_load_explicit(&w->sleepers, memory_order_relaxed) == 0) return;
  atomic_fetch_add(&w->word, 1);
  raw_futex_wake(&w->word, INT_MAX);
}

#endif
