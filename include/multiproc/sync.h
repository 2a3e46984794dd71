/* multiproc/sync.h -- process-shared synchronisation.  Every object here is a fixed-size struct
 * that works in any memory shared between the processes that use it: place it yourself and
 * call _init, or let the library place it in shared memory with _new.  Waits are futex based,
 * never FUTEX_PRIVATE, and every one takes an mp_timeout_ms. */
#ifndef MULTIPROC_SYNC_H
#define MULTIPROC_SYNC_H

#include <stdbool.h>

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Python's multiprocessing.Lock: not recursive, and releasable by any process or thread.
 * The size is fixed for ABI stability; the fields are private. */
typedef struct mp_lock {
  _Alignas(16) uint64_t opaque_[8];
} mp_lock_t;

/* Initialises an unlocked lock in memory the caller owns.  For the lock to work across
 * processes that memory must be shared (MAP_SHARED) and placed before the fork that shares it.
 * Errors: -EINVAL (NULL). */
MP_EXTERN int mp_lock_init(mp_lock_t *lock);

/* Makes an unlocked lock in library-owned shared memory, so a child forked afterwards shares
 * it.  Free it with mp_lock_free() once no process uses it any more.
 * Errors: -EINVAL (NULL out), -ENOMEM. */
MP_EXTERN int mp_lock_new(mp_lock_t **out);

/* Frees a lock made by mp_lock_new(); NULL is accepted.  Only the process that made it (or a
 * child that no longer needs it) should call this; other processes keep their mapping. */
MP_EXTERN void mp_lock_free(mp_lock_t *lock);

/* Acquires the lock, waiting at most timeout ms (MP_FOREVER: no limit; 0: try once).
 * Returns 0 when acquired, MP_ETIMEDOUT otherwise, -EINVAL for NULL. */
MP_EXTERN int mp_lock_acquire(mp_lock_t *lock, mp_timeout_ms timeout);

/* Releases the lock, whoever acquired it (as Python allows).  Errors: MP_ESTATE when the lock
 * is not held, -EINVAL for NULL. */
MP_EXTERN int mp_lock_release(mp_lock_t *lock);

/* Whether the lock is held right now (a snapshot, for diagnostics). */
MP_EXTERN bool mp_lock_locked(const mp_lock_t *lock);

#ifdef __cplusplus
}
#endif
#endif
