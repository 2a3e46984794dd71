/* SPDX-License-Identifier: MIT */
/* rlock.c -- multiprocessing.RLock: the owner-tracking word of os/olock.h plus a recursion count
 * that only the owning thread touches.  Ownership is (pid, tid), so a forked child never owns
 * its parent's RLock. */
#include "heap/heap.h"
#include "sync/sync_internal.h"

_Static_assert(sizeof(mp__rlock_impl) <= sizeof(mp_rlock_t), "mp__rlock_impl must fit");

static inline mp__rlock_impl *impl(mp_rlock_t *r) { return (mp__rlock_impl *)(void *)r; }

int mp_rlock_init(mp_rlock_t *r) {
  if (r == NULL) return -EINVAL;
  *r = (mp_rlock_t){{0}};
  atomic_store(&impl(r)->lk.word, 0);
  return 0;
}

int mp_rlock_new(mp_rlock_t **out) {
  if (out == NULL) return -EINVAL;
  *out = mp__shared_alloc(sizeof(mp_rlock_t));
  if (*out == NULL) return -ENOMEM;
  return mp_rlock_init(*out);
}

void mp_rlock_free(mp_rlock_t *r) {
  if (r != NULL) mp__shared_free(r, sizeof *r);
}

int mp_rlock_acquire(mp_rlock_t *r, mp_timeout_ms timeout) {
  if (r == NULL) return -EINVAL;
  mp__rlock_impl *ri = impl(r);
  if (mp__olock_mine(&ri->lk)) {
    if (ri->count >= INT32_MAX) return -EOVERFLOW;
    ri->count++;
    return 0;
  }
  int rc = mp__olock_acquire_interruptible(&ri->lk, timeout);
  if (rc == 0 || rc == MP_EOWNERDEAD) ri->count = 1;
  return rc;
}

int mp_rlock_release(mp_rlock_t *r) {
  if (r == NULL) return -EINVAL;
  mp__rlock_impl *ri = impl(r);
  if (!mp__olock_mine(&ri->lk)) return MP_ESTATE;
  if (--ri->count > 0) return 0;
  return mp__olock_release(&ri->lk);
}

int mp_rlock_consistent(mp_rlock_t *r) {
  if (r == NULL) return -EINVAL;
  mp__rlock_impl *ri = impl(r);
  if (!mp__olock_mine(&ri->lk)) return MP_ESTATE;
  return mp__olock_consistent(&ri->lk);
}

int mp_rlock_count(const mp_rlock_t *r) {
  if (r == NULL) return 0;
  mp__rlock_impl *ri = impl((mp_rlock_t *)(uintptr_t)r);
  return mp__olock_mine(&ri->lk) ? (int)ri->count : 0;
}
