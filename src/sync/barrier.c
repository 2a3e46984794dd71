/* SPDX-License-Identifier: MIT */
/* barrier.c -- multiprocessing.Barrier (threading.Barrier's semantics) without a draining
 * phase, so a process that dies after the barrier trips cannot wedge the next cycle.
 *
 * State lives under an owner-tracking lock (os/olock.h).  Each cycle has a generation number,
 * which is also the futex word: the last party to arrive runs the action, records the
 * cycle's outcome, bumps the generation and wakes everybody; the waiters of that cycle see
 * the generation move and read their cycle's outcome from a 64-cycle history (a waiter that
 * sleeps through 64 further cycles, which needs aborts or resets since it is itself one of the
 * parties, would read a later cycle's outcome).  Breaking (abort, a timeout, reset with
 * waiters, or a process that died holding the internal lock, e.g. inside the action) ends the
 * cycle the same way with the outcome "broken".  A party that dies while waiting still counts
 * as arrived-but-not-released: the others wait until their timeouts break the barrier, which
 * is why a wait without a timeout can wait for ever for a party that is gone. */
#include <limits.h>

#include "heap/heap.h"
#include "os/olock.h"
#include "os/wait.h"

typedef struct {
  mp__olock lk;
  _Atomic uint32_t gen; /* the futex */
  uint32_t parties;
  uint32_t count; /* arrived in this cycle */
  uint32_t broken; /* until reset() */
  uint64_t broke; /* bit g % 64: cycle g ended broken */
  void (*action)(void *);
  void *arg;
} barrier_impl;

_Static_assert(sizeof(barrier_impl) <= sizeof(mp_barrier_t), "barrier_impl must fit");

static inline barrier_impl *impl(mp_barrier_t *b) { return (barrier_impl *)(void *)b; }
static inline const barrier_impl *cimpl(const mp_barrier_t *b) {
  return (const barrier_impl *)(const void *)b;
}

int mp_barrier_init(mp_barrier_t *b, unsigned parties, void (*action)(void *), void *arg) {
  if (b == NULL || parties < 1 || parties > INT32_MAX) return -EINVAL;
  *b = (mp_barrier_t){{0}};
  barrier_impl *bi = impl(b);
  bi->parties = parties;
  bi->action = action;
  bi->arg = arg;
  atomic_store(&bi->lk.word, 0);
  atomic_store(&bi->gen, 0);
  return 0;
}

int mp_barrier_new(mp_barrier_t **out, unsigned parties, void (*action)(void *), void *arg) {
  if (out == NULL || parties < 1 || parties > INT32_MAX) return -EINVAL;
  *out = mp__shared_alloc(sizeof(mp_barrier_t));
  if (*out == NULL) return -ENOMEM;
  return mp_barrier_init(*out, parties, action, arg);
}

void mp_barrier_free(mp_barrier_t *b) {
  if (b != NULL) mp__shared_free(b, sizeof *b);
}

/* Ends the current cycle (lock held). */
static void end_cycle(barrier_impl *bi, bool broken) {
  uint32_t g = atomic_load(&bi->gen);
  uint64_t bit = UINT64_C(1) << (g % 64);
  bi->broke = broken ? bi->broke | bit : bi->broke & ~bit;
  if (broken) bi->broken = 1;
  bi->count = 0;
  atomic_store(&bi->gen, g + 1);
  mp__futex_wake(&bi->gen, INT_MAX);
}

/* Takes the internal lock.  A process that died holding it (in the middle of the bookkeeping,
 * or while running the action) breaks the barrier. */
static int lock(barrier_impl *bi) {
  int rc = mp__olock_acquire_slow(&bi->lk, mp__self(), mp__deadline_in(MP_FOREVER));
  if (rc == MP_EOWNERDEAD) {
    end_cycle(bi, true);
    mp__olock_consistent(&bi->lk);
    return 0;
  }
  return rc;
}

/* mp__wait's check: takes and drops the lock, breaking the barrier if its holder died. */
static int check_holder(void *arg) {
  barrier_impl *bi = arg;
  int rc = lock(bi);
  if (rc == 0) mp__olock_release(&bi->lk);
  return rc;
}

int mp_barrier_wait(mp_barrier_t *b, mp_timeout_ms timeout) {
  if (b == NULL) return -EINVAL;
  barrier_impl *bi = impl(b);
  mp__deadline d = mp__deadline_in(timeout);
  int rc = lock(bi);
  if (rc != 0) return rc;
  if (bi->broken) {
    mp__olock_release(&bi->lk);
    return MP_EBROKEN;
  }
  uint32_t index = bi->count++;
  if (bi->count == bi->parties) {
    if (bi->action) bi->action(bi->arg);
    end_cycle(bi, false);
    mp__olock_release(&bi->lk);
    return (int)index;
  }
  uint32_t g = atomic_load(&bi->gen);
  mp__olock_release(&bi->lk);
  /* Every slice the check takes the lock once, so a process that died holding it (e.g. inside
   * the action) breaks the barrier instead of leaving the others asleep. */
  mp__waiter w = {
      .word = &bi->gen, .old = g, .check = check_holder, .arg = bi, .interruptible = true};
  int wrc = mp__wait(&w, d);
  if (wrc != 0 && wrc != MP_ETIMEDOUT && wrc != -EINTR) return wrc;
  if ((rc = lock(bi)) != 0) return rc;
  if (atomic_load(&bi->gen) != g) {
    rc = (bi->broke >> (g % 64) & 1) ? MP_EBROKEN : (int)index;
  } else { /* our timeout (or interrupt) breaks the barrier for everybody, as in Python */
    end_cycle(bi, true);
    rc = wrc == -EINTR ? -EINTR : MP_ETIMEDOUT;
  }
  mp__olock_release(&bi->lk);
  return rc;
}

int mp_barrier_abort(mp_barrier_t *b) {
  if (b == NULL) return -EINVAL;
  barrier_impl *bi = impl(b);
  int rc = lock(bi);
  if (rc != 0) return rc;
  if (bi->count > 0) end_cycle(bi, true);
  bi->broken = 1;
  mp__olock_release(&bi->lk);
  return 0;
}

int mp_barrier_reset(mp_barrier_t *b) {
  if (b == NULL) return -EINVAL;
  barrier_impl *bi = impl(b);
  int rc = lock(bi);
  if (rc != 0) return rc;
  if (bi->count > 0) end_cycle(bi, true);
  bi->broken = 0;
  mp__olock_release(&bi->lk);
  return 0;
}

bool mp_barrier_broken(const mp_barrier_t *b) {
  return b && __atomic_load_n(&cimpl(b)->broken, __ATOMIC_RELAXED) != 0;
}

int mp_barrier_n_waiting(const mp_barrier_t *b) {
  if (b == NULL) return -EINVAL;
  const barrier_impl *bi = cimpl(b);
  if (__atomic_load_n(&bi->broken, __ATOMIC_RELAXED)) return 0;
  return (int)__atomic_load_n(&bi->count, __ATOMIC_RELAXED);
}

unsigned mp_barrier_parties(const mp_barrier_t *b) { return b ? cimpl(b)->parties : 0; }
