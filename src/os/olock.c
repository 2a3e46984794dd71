/* SPDX-License-Identifier: MIT */
/* olock.c -- the owner-tracking lock word used by the shared heap and by Lock, RLock,
 * Condition and Barrier (layout in olock.h, design in docs/sync.md; who owns it, and whether
 * that owner is dead, in owner.c). */
#include "os/olock.h"
#include "os/wait.h"

#include <errno.h>
#include <limits.h>

mp__deadline mp__slice_after(mp__deadline d, unsigned slept) {
  int64_t len = MP__OWN_SLICE_NS;
  for (unsigned i = 0; i < slept && len < MP__OWN_SLICE_MAX_NS; i++) len *= MP__OWN_SLICE_GROWTH;
  if (len > MP__OWN_SLICE_MAX_NS) len = MP__OWN_SLICE_MAX_NS;
  int64_t slice_end = mp__now_ns() + len;
  if (mp__deadline_forever(d) || d.at_ns > slice_end) return (mp__deadline){slice_end};
  return d;
}

mp__deadline mp__slice(mp__deadline d) { return mp__slice_after(d, 0); }

/* Takes the lock from the dead owner recorded in w (unchanged since the check). */
static bool take_over(mp__olock *l, uint64_t w, uint64_t self) {
  return atomic_compare_exchange_strong(&l->word, &w, self | MP__OWN_DIED | MP__OWN_WAITERS);
}

static int acquire_loop(mp__olock *l, uint64_t self, mp__deadline d, bool interruptible,
                        mp__owner_watch *ow) {
  unsigned slept = 0; /* slices that ended without a wake-up: the next one is longer */
  uint64_t w = atomic_load_explicit(&l->word, memory_order_relaxed);
  if (w == MP__OWN_NOTREC) return MP_ENOTRECOVERABLE;
  if (!mp__deadline_passed(d) && !mp__wait_passive()) {
    for (int i = 0; i < MP__SPINS; i++) {
      w = atomic_load_explicit(&l->word, memory_order_relaxed);
      if (w == 0 && atomic_compare_exchange_weak_explicit(&l->word, &w, self, memory_order_acquire,
                                                          memory_order_relaxed))
        return 0;
      mp__cpu_relax();
    }
  }
  for (;;) {
    w = atomic_load_explicit(&l->word, memory_order_relaxed);
    if (w == MP__OWN_NOTREC) return MP_ENOTRECOVERABLE;
    if (w == 0) {
      /* We may have slept, so others may sleep too: keep WAITERS so our release wakes one. */
      if (atomic_compare_exchange_strong_explicit(&l->word, &w, self | MP__OWN_WAITERS,
                                                  memory_order_acquire, memory_order_relaxed))
        return 0;
      continue;
    }
    if (mp__deadline_passed(d)) {
      /* Giving up: a dead owner is still worth one look, so a poll is not refused for ever. */
      if (mp__owner_watch_dead(ow, mp__olock_owner(w)) && take_over(l, w, self))
        return MP_EOWNERDEAD;
      return MP_ETIMEDOUT;
    }
    if (!(w & MP__OWN_WAITERS)) {
      uint64_t nw = w | MP__OWN_WAITERS;
      if (!atomic_compare_exchange_strong(&l->word, &w, nw)) continue;
      w = nw;
    }
    if (interruptible) {
      mp__interrupt_sleep_on(mp__olock_futex(l));
      if (mp__interrupt_pending()) {
        mp__interrupt_awake();
        return -EINTR;
      }
    }
    int r = mp__futex_wait(mp__olock_futex(l), (uint32_t)w, mp__slice_after(d, slept));
    if (interruptible) mp__interrupt_awake();
    if (r == -ETIMEDOUT) slept++;
    if (r == -ETIMEDOUT && !mp__deadline_passed(d) &&
        atomic_load_explicit(&l->word, memory_order_relaxed) == w &&
        mp__owner_watch_dead(ow, mp__olock_owner(w)) && take_over(l, w, self))
      return MP_EOWNERDEAD;
  }
}

static int acquire_slow(mp__olock *l, uint64_t self, mp__deadline d, bool interruptible) {
  mp__owner_watch ow = MP__OWNER_WATCH_INIT; /* the owner's pidfd, once it was found alive */
  int rc = acquire_loop(l, self, d, interruptible, &ow);
  mp__owner_watch_end(&ow);
  return rc;
}

int mp__olock_acquire_slow(mp__olock *l, uint64_t self, mp__deadline d) {
  return acquire_slow(l, self, d, false);
}

int mp__olock_acquire_slow_interruptible(mp__olock *l, uint64_t self, mp__deadline d) {
  return acquire_slow(l, self, d, true);
}

int mp__olock_release_slow(mp__olock *l) {
  uint64_t w = atomic_load_explicit(&l->word, memory_order_relaxed);
  for (;;) {
    if (w == 0) return MP_ESTATE;
    if (w == MP__OWN_NOTREC) return MP_ENOTRECOVERABLE;
    if (w & MP__OWN_DIED) {
      /* Released without mp_*_consistent(): nobody may use it again. */
      if (!atomic_compare_exchange_weak(&l->word, &w, MP__OWN_NOTREC)) continue;
      mp__futex_wake(mp__olock_futex(l), INT_MAX);
      return 0;
    }
    if (atomic_compare_exchange_weak_explicit(&l->word, &w, 0, memory_order_release,
                                              memory_order_relaxed)) {
      if (w & MP__OWN_WAITERS) mp__futex_wake(mp__olock_futex(l), 1);
      return 0;
    }
  }
}

int mp__olock_consistent(mp__olock *l) {
  uint64_t w = atomic_load(&l->word);
  for (;;) {
    if (w == MP__OWN_NOTREC || !(w & MP__OWN_DIED)) return MP_ESTATE;
    if (atomic_compare_exchange_weak(&l->word, &w, w & ~MP__OWN_DIED)) return 0;
  }
}
