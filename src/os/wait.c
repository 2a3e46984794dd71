/* SPDX-License-Identifier: MIT */
/* wait.c -- mp__wait: the adaptive spin, the sleeper count and the futex sleeps (wait.h has the
 * protocol and why the spin is bounded the way it is). */
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "os/olock.h" /* mp__slice */
#include "os/wait.h"

/* ---- the policy ---- */

/* -1: not read yet, then 0 (active) or 1 (passive).  Racing first readers store the same. */
static _Atomic int passive = -1;

bool mp__wait_passive(void) {
  int p = atomic_load_explicit(&passive, memory_order_relaxed);
  if (mp__unlikely(p < 0)) {
    const char *v = getenv("MP_WAIT_POLICY");
    p = v != NULL && strcmp(v, "passive") == 0;
    atomic_store_explicit(&passive, p, memory_order_relaxed);
  }
  return p;
}

/* ---- the learned budget ---- */

static _Thread_local mp__spin thread_spin;

int64_t mp__wait_spin_budget(const mp__spin *s, int64_t max_ns) {
  if (max_ns <= 0) return 0;
  return max_ns >> (s->shift < MP__WAIT_SPIN_MIN_SHIFT ? s->shift : MP__WAIT_SPIN_MIN_SHIFT);
}

/* ---- the wait ---- */

static inline bool is_done(const mp__waiter *w) {
  if (w->done != NULL) return w->done(w->arg);
  return atomic_load_explicit(w->word, memory_order_acquire) != w->old;
}

enum { SPIN_MISSED, SPIN_CAUGHT, SPIN_LATE };

/* Spins up to budget_ns for the condition.  Every 64 rounds (~2 us) it gives way to anything
 * runnable on this CPU, which may be the very waker: then the waker runs and the spin still
 * catches its change without either side touching the futex.  Behind unrelated busy work the
 * yield can cost a whole time slice, so a change seen only after the budget ran out is LATE:
 * the wait is over, but the spin did not pay. */
static int spin_for(const mp__waiter *w, int64_t budget_ns) {
  int64_t until = mp__now_ns() + budget_ns;
  for (;;) {
    for (int i = 0; i < 64; i++) {
      if (is_done(w)) return SPIN_CAUGHT;
      mp__cpu_relax();
    }
    if (mp__now_ns() >= until) return is_done(w) ? SPIN_LATE : SPIN_MISSED;
    sched_yield();
  }
}

static int sleep_until(const mp__waiter *w, mp__deadline d) {
  if (w->sleepers != NULL) atomic_fetch_add(w->sleepers, 1);
  int rc;
  unsigned slept = 0; /* slices that ended: the next one is longer (olock.h) */
  for (;;) {
    if (w->arm != NULL) w->arm(w->arg);
    /* Pairs with the waker's fence: it sees the sleeper, or this look sees its change. */
    atomic_thread_fence(memory_order_seq_cst);
    uint32_t v = atomic_load_explicit(w->word, memory_order_relaxed);
    if (is_done(w)) {
      rc = 0;
      break;
    }
    if (mp__deadline_passed(d)) {
      rc = MP_ETIMEDOUT;
      break;
    }
    if (w->interruptible) {
      mp__interrupt_sleep_on(w->word);
      if (mp__interrupt_pending()) { /* after publishing: a later mp_interrupt() wakes us */
        mp__interrupt_awake();
        rc = -EINTR;
        break;
      }
    }
    if (mp__futex_wait(w->word, v, w->whole ? d : mp__slice_after(d, slept)) == -ETIMEDOUT) slept++;
    if (w->interruptible) {
      mp__interrupt_awake();
      if (mp__interrupt_pending() && !is_done(w)) {
        rc = -EINTR;
        break;
      }
    }
    if (w->check != NULL && !is_done(w) && (rc = w->check(w->arg)) != 0) break;
  }
  if (w->sleepers != NULL) atomic_fetch_sub(w->sleepers, 1);
  return rc;
}

int mp__wait(const mp__waiter *w, mp__deadline d) {
  if (is_done(w)) return 0;
  if (w->interruptible && mp__interrupt_pending()) return -EINTR;
  if (mp__deadline_passed(d)) return MP_ETIMEDOUT;
  if (w->spin_ns <= 0 || mp__wait_passive()) return sleep_until(w, d);
  mp__spin *s = w->spin != NULL ? w->spin : &thread_spin;
  int spun = spin_for(w, mp__wait_spin_budget(s, w->spin_ns));
  if (spun == SPIN_CAUGHT) {
    if (s->shift > 0) s->shift--; /* it paid: spin longer next time */
    return 0;
  }
  /* It did not pay, whatever the reason: the waker was slow, asleep, or waiting for the very
   * CPU the spin held.  Halve the budget, down to the smallest step: never stopping altogether
   * keeps the way back open, and on a machine full of unrelated busy work a waiter that sleeps
   * at once waits behind it for every wake-up (a manager call fell to ~2 k/s that way). */
  if (s->shift < MP__WAIT_SPIN_MIN_SHIFT) s->shift++;
  return spun == SPIN_LATE ? 0 : sleep_until(w, d);
}
