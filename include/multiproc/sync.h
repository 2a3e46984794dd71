/* SPDX-License-Identifier: MIT */
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
  MP_ALIGNAS(16) uint64_t opaque_[8];
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
 * Returns 0 when acquired, MP_EOWNERDEAD when acquired from a holder that died (see below),
 * MP_ENOTRECOVERABLE, MP_ETIMEDOUT, or -EINVAL for NULL. */
MP_EXTERN int mp_lock_acquire(mp_lock_t *lock, mp_timeout_ms timeout);

/* Releases the lock, whoever acquired it (as Python allows).  Errors: MP_ESTATE when the lock
 * is not held, MP_ENOTRECOVERABLE, -EINVAL for NULL. */
MP_EXTERN int mp_lock_release(mp_lock_t *lock);

/* Whether the lock is held right now (a snapshot, for diagnostics; true once not
 * recoverable, false for NULL). */
MP_EXTERN bool mp_lock_locked(const mp_lock_t *lock);

/* ---- owner death ----
 * A Lock, RLock or a Condition's lock whose holder dies (process or thread) is not left locked
 * for ever: the next acquirer detects the dead owner within a bounded time (a waiter looks
 * after 50 ms, then at intervals growing four times up to 3.2 s; a call whose timeout ends first looks
 * once before giving up; docs/sync.md),
 * takes the lock, and gets MP_EOWNERDEAD instead of 0.  It then holds the lock; the data the
 * lock protects may be half-updated.  It calls mp_lock_consistent() / mp_rlock_consistent()
 * after repairing that data; if it releases without doing so, later acquirers get
 * MP_ENOTRECOVERABLE for good (mp_condition_consistent() for a Condition's lock).  A Lock
 * acquired by a thread that then ended is treated as held by a dead owner, even if another
 * process meant to release it (Python allows that hand-over; multiproc detects it as death). */

/* Marks a lock acquired with MP_EOWNERDEAD as consistent again (any process may, as any may
 * release a Lock).  Errors: MP_ESTATE when the lock is not in the owner-died state, -EINVAL
 * for NULL.  mp_lock_init() on an unused lock is the only way back from MP_ENOTRECOVERABLE. */
MP_EXTERN int mp_lock_consistent(mp_lock_t *lock);

/* ---- RLock: recursive, owner-checked (multiprocessing.RLock) ---- */
typedef struct mp_rlock {
  MP_ALIGNAS(16) uint64_t opaque_[8];
} mp_rlock_t;

/* The owner is the thread (pid and tid) that acquired it: a forked child never owns its
 * parent's RLock.  _init, _new and _free are as for Lock (errors -EINVAL, -ENOMEM). */
MP_EXTERN int mp_rlock_init(mp_rlock_t *rlock);
MP_EXTERN int mp_rlock_new(mp_rlock_t **out);
MP_EXTERN void mp_rlock_free(mp_rlock_t *rlock);
/* Acquires, or re-acquires from the owning thread, which only increments the count and never
 * waits.  Waits at most timeout ms for another owner.  Returns 0, MP_EOWNERDEAD (acquired
 * with count 1 from an owner that died; see "owner death"), MP_ENOTRECOVERABLE, MP_ETIMEDOUT,
 * -EOVERFLOW (count at INT32_MAX), -EINVAL (NULL). */
MP_EXTERN int mp_rlock_acquire(mp_rlock_t *rlock, mp_timeout_ms timeout);
/* Decrements the count; the lock is free once it reaches zero.  Errors: MP_ESTATE when the
 * calling thread is not the owner (Python raises), MP_ENOTRECOVERABLE, -EINVAL. */
MP_EXTERN int mp_rlock_release(mp_rlock_t *rlock);
/* As mp_lock_consistent(), and only the owning thread may call it: MP_ESTATE otherwise, or
 * when the lock is not in the owner-died state; -EINVAL for NULL. */
MP_EXTERN int mp_rlock_consistent(mp_rlock_t *rlock);
/* How many times the calling thread holds it (0 when another thread or nobody does, or
 * for NULL). */
MP_EXTERN int mp_rlock_count(const mp_rlock_t *rlock);

/* ---- Semaphore and BoundedSemaphore ---- */
typedef struct mp_semaphore {
  MP_ALIGNAS(16) uint64_t opaque_[8];
} mp_semaphore_t;

/* A semaphore has no owner: a process that dies after acquiring cannot be told apart from
 * one that keeps the unit on purpose, so that unit is not given back (there is no
 * MP_EOWNERDEAD here).  A process that dies while waiting wedges nobody (docs/sync.md). */

/* Initialises a semaphore with value (0..INT32_MAX) in memory the caller placed in shared
 * memory.  bounded=true makes it a BoundedSemaphore: a release that would raise the value
 * above the initial one fails with -EOVERFLOW (Python raises ValueError) and changes nothing.
 * Errors: -EINVAL (NULL, value too large). */
MP_EXTERN int mp_semaphore_init(mp_semaphore_t *sem, unsigned value, bool bounded);
/* The same in library-owned shared memory, freed with mp_semaphore_free().
 * Errors: -EINVAL, -ENOMEM. */
MP_EXTERN int mp_semaphore_new(mp_semaphore_t **out, unsigned value, bool bounded);
/* Frees a semaphore made by mp_semaphore_new(); NULL is accepted. */
MP_EXTERN void mp_semaphore_free(mp_semaphore_t *sem);
/* Decrements, waiting at most timeout ms (MP_FOREVER: no limit; 0: try once) for the value to
 * be positive.  Returns 0, MP_ETIMEDOUT, or -EINVAL for NULL. */
MP_EXTERN int mp_semaphore_acquire(mp_semaphore_t *sem, mp_timeout_ms timeout);
/* Increments and wakes one waiter; any process may release.  Errors: -EOVERFLOW (bounded and
 * already at the initial value, or at INT32_MAX; nothing changes), -EINVAL for NULL. */
MP_EXTERN int mp_semaphore_release(mp_semaphore_t *sem);
/* The current value (a snapshot; Python's get_value()), or -EINVAL for NULL. */
MP_EXTERN int mp_semaphore_value(const mp_semaphore_t *sem);

/* ---- Condition ---- */
typedef struct mp_condition {
  MP_ALIGNAS(16) uint64_t opaque_[16];
} mp_condition_t;

/* Which lock a Condition uses: its own RLock (the default, as in Python), or one the caller
 * supplies, a Lock or an RLock living in the same shared memory as the condition. */
typedef struct mp_condition_opts {
  mp_lock_t *lock; /* use this Lock, or */
  mp_rlock_t *rlock; /* this RLock; both NULL: an RLock inside the condition */
} mp_condition_opts;

/* Initialises a condition in caller-placed shared memory.  opts may be NULL (own RLock).  A
 * caller's lock is only referenced: it must outlive the condition and be at the same address
 * in every process (shared memory mapped before the fork, or from _new).
 * Errors: -EINVAL (NULL cond, or both lock and rlock given). */
MP_EXTERN int mp_condition_init(mp_condition_t *cond, const mp_condition_opts *opts);
/* The same in library-owned shared memory, freed with mp_condition_free().
 * Errors: -EINVAL, -ENOMEM. */
MP_EXTERN int mp_condition_new(mp_condition_t **out, const mp_condition_opts *opts);
/* Frees a condition made by mp_condition_new() (not a caller's lock); NULL is accepted. */
MP_EXTERN void mp_condition_free(mp_condition_t *cond);
/* Acquire/release the condition's lock: results as for that lock (mp_lock_* or mp_rlock_*),
 * MP_EOWNERDEAD included; -EINVAL for NULL. */
MP_EXTERN int mp_condition_acquire(mp_condition_t *cond, mp_timeout_ms timeout);
MP_EXTERN int mp_condition_release(mp_condition_t *cond);
/* Marks the condition's lock consistent after mp_condition_acquire() or a wait returned
 * MP_EOWNERDEAD (as mp_lock_consistent / mp_rlock_consistent).  Errors: MP_ESTATE when the
 * caller does not hold the lock or it is not in the owner-died state, -EINVAL for NULL. */
MP_EXTERN int mp_condition_consistent(mp_condition_t *cond);
/* Releases the lock (fully, for an RLock), waits at most timeout ms for a notify, and
 * re-acquires the lock (with no time limit, at the same RLock depth) before returning, also on
 * timeout.  Returns 0 when notified, MP_ETIMEDOUT, MP_EOWNERDEAD (notified or not: the lock was
 * re-taken from a holder that died; call mp_condition_consistent()), MP_ESTATE when the
 * calling thread does not hold the lock, MP_ENOTRECOVERABLE (the lock is then not held),
 * -EINVAL.  Waiting while the lock is still in the owner-died state releases it without
 * consistent(), which makes it not recoverable. */
MP_EXTERN int mp_condition_wait(mp_condition_t *cond, mp_timeout_ms timeout);
/* Waits until pred(arg) is true, as Python's wait_for: returns 0 once it is, MP_ETIMEDOUT when
 * the timeout (one deadline for all the waits) passes with it still false.  The predicate runs
 * with the lock held, first before any wait.  Other results as mp_condition_wait(); -EINVAL
 * for a NULL cond or pred. */
MP_EXTERN int mp_condition_wait_for(mp_condition_t *cond, bool (*pred)(void *arg), void *arg,
                                    mp_timeout_ms timeout);
/* Wakes exactly min(n, waiting) of the threads waiting when it is called, oldest first (a
 * waiter that died while waiting still counts; docs/sync.md).  n = 0 does nothing.  Errors:
 * MP_ESTATE when the calling thread does not hold the lock, -EINVAL (NULL, n < 0). */
MP_EXTERN int mp_condition_notify(mp_condition_t *cond, int n);
/* Wakes every thread waiting when it is called.  Errors as mp_condition_notify(). */
MP_EXTERN int mp_condition_notify_all(mp_condition_t *cond);

/* ---- Event ---- */
typedef struct mp_event {
  MP_ALIGNAS(16) uint64_t opaque_[4];
} mp_event_t;

/* Initialises a cleared event in caller-placed shared memory.  Errors: -EINVAL (NULL). */
MP_EXTERN int mp_event_init(mp_event_t *ev);
/* The same in library-owned shared memory, freed with mp_event_free().
 * Errors: -EINVAL, -ENOMEM. */
MP_EXTERN int mp_event_new(mp_event_t **out);
/* Frees an event made by mp_event_new(); NULL is accepted. */
MP_EXTERN void mp_event_free(mp_event_t *ev);
/* Sets the flag and wakes every waiter.  Returns 0, or -EINVAL for NULL. */
MP_EXTERN int mp_event_set(mp_event_t *ev);
/* Clears the flag.  Returns 0, or -EINVAL for NULL. */
MP_EXTERN int mp_event_clear(mp_event_t *ev);
/* Whether the flag is set (a snapshot; false for NULL). */
MP_EXTERN bool mp_event_is_set(const mp_event_t *ev);
/* Waits at most timeout ms until set: 0 when set (Python's True; also when a set() happened
 * during the wait and a clear() followed at once, as threading.Event), MP_ETIMEDOUT otherwise
 * (False), -EINVAL for NULL.  Nothing owns an event, so nothing about it is recovered. */
MP_EXTERN int mp_event_wait(mp_event_t *ev, mp_timeout_ms timeout);

/* ---- Barrier ---- */
typedef struct mp_barrier {
  MP_ALIGNAS(16) uint64_t opaque_[16];
} mp_barrier_t;

/* Initialises a barrier for parties (1..INT32_MAX) in caller-placed shared memory.  action,
 * if not NULL, is run by the last process to arrive when the barrier trips, once per cycle,
 * before any party is released, with the barrier's internal lock held (it must not use this
 * barrier).  It must be valid in every process: a function of the program, with arg in shared
 * memory.  A process that dies inside the action breaks the barrier.  Errors: -EINVAL. */
MP_EXTERN int mp_barrier_init(mp_barrier_t *b, unsigned parties, void (*action)(void *arg),
                              void *arg);
/* The same in library-owned shared memory, freed with mp_barrier_free().
 * Errors: -EINVAL, -ENOMEM. */
MP_EXTERN int mp_barrier_new(mp_barrier_t **out, unsigned parties, void (*action)(void *arg),
                             void *arg);
/* Frees a barrier made by mp_barrier_new(); NULL is accepted. */
MP_EXTERN void mp_barrier_free(mp_barrier_t *b);
/* Waits at most timeout ms for all parties.  Returns the arrival index (0..parties-1, as
 * Python) on success, MP_EBROKEN when the barrier is or becomes broken (abort, reset while
 * waiting, another waiter's timeout, or a process that died inside the action or the
 * barrier's bookkeeping), MP_ETIMEDOUT when this caller's timeout passes (which breaks it for
 * everybody), -EINVAL for NULL.  A party that dies while waiting is not detected: the others
 * wait until a timeout breaks the barrier, so give waits a timeout where parties may die. */
MP_EXTERN int mp_barrier_wait(mp_barrier_t *b, mp_timeout_ms timeout);
/* Breaks the barrier: current and later waits return MP_EBROKEN until mp_barrier_reset().
 * Returns 0, or -EINVAL for NULL. */
MP_EXTERN int mp_barrier_abort(mp_barrier_t *b);
/* Returns the barrier to its empty, unbroken state; processes waiting in it get MP_EBROKEN.
 * Returns 0, or -EINVAL for NULL. */
MP_EXTERN int mp_barrier_reset(mp_barrier_t *b);
/* Whether the barrier is broken (a snapshot; false for NULL). */
MP_EXTERN bool mp_barrier_broken(const mp_barrier_t *b);
/* How many parties wait in the current cycle (a snapshot; 0 when broken), -EINVAL for NULL. */
MP_EXTERN int mp_barrier_n_waiting(const mp_barrier_t *b);
/* The number of parties (0 for NULL). */
MP_EXTERN unsigned mp_barrier_parties(const mp_barrier_t *b);

#ifdef __cplusplus
}
#endif
#endif
