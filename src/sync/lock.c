/* SPDX-License-Identifier: MIT */
/* lock.c -- multiprocessing.Lock on the owner-tracking word of os/olock.h: an uncontended acquire
 * is one CAS of 0 to the caller's (pid, tid) and an uncontended release one CAS back to 0; only
 * a release that sees the WAITERS flag pays for a FUTEX_WAKE.  Recording the owner costs
 * nothing extra and lets a waiter detect a holder that died (docs/sync.md). */
#include "heap/heap.h"
#include "os/olock.h"

_Static_assert(sizeof(mp__olock) <= sizeof(mp_lock_t), "mp__olock must fit mp_lock_t");

static inline mp__olock *impl(mp_lock_t *l) { return (mp__olock *)(void *)l; }

int mp_lock_init(mp_lock_t *l) {
  if (l == NULL) return -EINVAL;
  *l = (mp_lock_t){{0}};
  atomic_store(&impl(l)->word, 0);
  return 0;
}

int mp_lock_new(mp_lock_t **out) {
  if (out == NULL) return -EINVAL;
  *out = mp__shared_alloc(sizeof(mp_lock_t));
  if (*out == NULL) return -ENOMEM;
  return mp_lock_init(*out);
}

void mp_lock_free(mp_lock_t *l) {
  if (l != NULL) mp__shared_free(l, sizeof *l);
}

int mp_lock_acquire(mp_lock_t *l, mp_timeout_ms timeout) {
  if (l == NULL) return -EINVAL;
  return mp__olock_acquire_interruptible(impl(l), timeout);
}

int mp_lock_release(mp_lock_t *l) {
  if (l == NULL) return -EINVAL;
  return mp__olock_release(impl(l));
}

int mp_lock_consistent(mp_lock_t *l) {
  if (l == NULL) return -EINVAL;
  return mp__olock_consistent(impl(l));
}

bool mp_lock_locked(const mp_lock_t *l) {
  return l && atomic_load(&((const mp__olock *)(const void *)l)->word) != 0;
}
