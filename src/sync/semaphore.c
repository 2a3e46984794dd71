/* SPDX-License-Identifier: MIT */
/* semaphore.c -- multiprocessing.Semaphore and BoundedSemaphore: a futex word holding the value
 * and a count of sleepers, so a release only pays for a FUTEX_WAKE when somebody may sleep.
 *
 * A semaphore has no owner, so a process that dies after acquiring cannot be told apart from
 * one that kept the unit on purpose: that unit is not given back (docs/sync.md).  A process
 * that dies while waiting leaves the sleeper count one too high, which only costs later
 * releases a needless FUTEX_WAKE; a wake-up delivered to a waiter that dies before taking the
 * unit is healed because every sleeper re-checks the value at least every slice. */
#include <limits.h>

#include "heap/heap.h"
#include "os/wait.h"

typedef struct {
  _Atomic uint32_t value;
  _Atomic uint32_t sleepers;
  uint32_t max; /* the largest value a release may produce */
} sem_impl;

_Static_assert(sizeof(sem_impl) <= sizeof(mp_semaphore_t), "sem_impl must fit mp_semaphore_t");

static inline sem_impl *impl(mp_semaphore_t *s) { return (sem_impl *)(void *)s; }

int mp_semaphore_init(mp_semaphore_t *s, unsigned value, bool bounded) {
  if (s == NULL || value > INT32_MAX) return -EINVAL;
  *s = (mp_semaphore_t){{0}};
  sem_impl *si = impl(s);
  si->max = bounded ? value : INT32_MAX;
  atomic_store(&si->sleepers, 0);
  atomic_store(&si->value, value);
  return 0;
}

int mp_semaphore_new(mp_semaphore_t **out, unsigned value, bool bounded) {
  if (out == NULL || value > INT32_MAX) return -EINVAL;
  *out = mp__shared_alloc(sizeof(mp_semaphore_t));
  if (*out == NULL) return -ENOMEM;
  return mp_semaphore_init(*out, value, bounded);
}

void mp_semaphore_free(mp_semaphore_t *s) {
  if (s != NULL) mp__shared_free(s, sizeof *s);
}

static bool try_take(sem_impl *si) {
  uint32_t v = atomic_load_explicit(&si->value, memory_order_relaxed);
  while (v > 0)
    if (atomic_compare_exchange_weak_explicit(&si->value, &v, v - 1, memory_order_acquire,
                                              memory_order_relaxed))
      return true;
  return false;
}

static bool take_for_wait(void *arg) { return try_take(arg); }

int mp_semaphore_acquire(mp_semaphore_t *s, mp_timeout_ms timeout) {
  if (s == NULL) return -EINVAL;
  sem_impl *si = impl(s);
  if (mp__likely(try_take(si))) return 0;
  if (timeout == 0) return MP_ETIMEDOUT;
  /* The value is the futex: a release changes it, so a sleeper sees every release. */
  mp__waiter w = {.word = &si->value,
                  .sleepers = &si->sleepers,
                  .done = take_for_wait,
                  .arg = si,
                  .spin_ns = MP__WAIT_SPIN_SHORT_NS,
                  .interruptible = true};
  return mp__wait(&w, mp__deadline_in(timeout));
}

int mp_semaphore_release(mp_semaphore_t *s) {
  if (s == NULL) return -EINVAL;
  sem_impl *si = impl(s);
  uint32_t v = atomic_load_explicit(&si->value, memory_order_relaxed);
  do {
    if (v >= si->max) return -EOVERFLOW;
  } while (!atomic_compare_exchange_weak(&si->value, &v, v + 1));
  mp__wake_if_sleepers(&si->value, &si->sleepers, 1);
  return 0;
}

int mp_semaphore_value(const mp_semaphore_t *s) {
  if (s == NULL) return -EINVAL;
  return (int)atomic_load(&((const sem_impl *)(const void *)s)->value);
}
