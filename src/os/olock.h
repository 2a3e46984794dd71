/* olock.h -- the owner-tracking lock word: the one lock of the library that notices when its
 * holder died.  It sits under the shared heap's allocator and, in the sync layer, under Lock,
 * RLock, a Condition's lock and the Barrier's bookkeeping; it also gives the identity of the
 * calling thread.
 *
 * The word is 64 bits: the high half holds the owner's pid (its thread group id), the low half
 * its tid plus two flags.  0 means free.  The futex is the low half (little-endian: the first
 * four bytes), so a FUTEX_WAIT compares the owner's tid and the flags; the pid half never
 * changes without the tid half changing too.
 *
 *   bits  0..29  owner tid (Linux pids and tids are below PID_MAX_LIMIT = 2^22)
 *   bit   30     WAITERS: somebody may sleep on the futex; the release must wake one
 *   bit   31     DIED: taken over from a dead owner, not yet marked consistent
 *   bits 32..63  owner pid
 *
 * NOTREC (tid bits all ones, pid 0) is the terminal "not recoverable" value. */
#ifndef MP_OS_OLOCK_H
#define MP_OS_OLOCK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "os/os.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "olock.h: the futex is the low half of a 64-bit word; only little-endian is supported"
#endif

#define MP__OWN_TID_MASK UINT64_C(0x3FFFFFFF)
#define MP__OWN_WAITERS (UINT64_C(1) << 30)
#define MP__OWN_DIED (UINT64_C(1) << 31)
#define MP__OWN_FLAGS (MP__OWN_WAITERS | MP__OWN_DIED)
#define MP__OWN_NOTREC MP__OWN_TID_MASK

/* A waiter sleeps at most this long before it looks at whether the owner still exists, so a
 * dead owner is detected within about this time (plus one /proc read). */
#define MP__OWN_SLICE_NS INT64_C(50000000)

/* A waiter spins this many rounds before sleeping: a lock held for a few hundred cycles is
 * usually free again before a futex round trip would even start. */
#ifndef MP__SPINS /* overridable to measure the gain: -DMP__SPINS=0 turns spinning off */
#define MP__SPINS 100
#endif


/* ---- the calling thread's identity ---- */

/* (pid << 32) | tid of the calling thread, cached per thread.  The cache of the thread that
 * forks is cleared in the child by a pthread_atfork handler, so a child never uses its
 * parent's identity.  (A child made with a raw clone()/vfork() that bypasses the atfork
 * handlers would; fork() and posix_spawn are fine.) */
extern _Thread_local uint64_t mp__self_cache __attribute__((tls_model("initial-exec")));
uint64_t mp__self_slow(void);
/* Drops the cached identity: for a child made without fork() (os/clone.c). */
void mp__self_forget(void);
static inline uint64_t mp__self(void) {
  uint64_t s = mp__self_cache;
  return mp__likely(s != 0) ? s : mp__self_slow();
}

/* The calling process's pid from the same cache: getpid() without a system call. */
static inline pid_t mp__self_pid(void) { return (pid_t)(mp__self() >> 32); }

/* Whether the thread named by an owner id (pid << 32 | tid) is gone: true when no such thread
 * exists or it is a zombie (a dead process not yet reaped by its parent).  False when it lives
 * or cannot be checked (e.g. /proc missing).  Costs a tgkill and, when that finds the thread,
 * one read of /proc/<pid>/task/<tid>/stat. */
bool mp__owner_dead(uint64_t id);

/* ---- the owner-tracking lock ---- */
typedef struct mp__olock {
  _Atomic uint64_t word;
} mp__olock;

static inline _Atomic uint32_t *mp__olock_futex(mp__olock *l) {
  return (_Atomic uint32_t *)(uintptr_t)&l->word; /* the low half */
}

static inline uint64_t mp__olock_owner(uint64_t w) { return w & ~MP__OWN_FLAGS; }

/* Acquire until the deadline: 0, MP_EOWNERDEAD (acquired; the previous owner died),
 * MP_ENOTRECOVERABLE, MP_ETIMEDOUT.  A due deadline tries once (and checks the owner once). */
int mp__olock_acquire_slow(mp__olock *l, uint64_t self, mp__deadline d);

static inline int mp__olock_acquire(mp__olock *l, mp_timeout_ms timeout) {
  uint64_t self = mp__self();
  uint64_t c = 0;
  if (mp__likely(atomic_compare_exchange_strong_explicit(&l->word, &c, self, memory_order_acquire,
                                                         memory_order_relaxed)))
    return 0;
  return mp__olock_acquire_slow(l, self, mp__deadline_in(timeout));
}

/* Releases, whoever holds it.  A lock still in the DIED state becomes NOTREC for good and every
 * waiter is woken to see that.  Returns 0, MP_ESTATE (not held), MP_ENOTRECOVERABLE.  The
 * common case -- held, no flags -- is one CAS inline; the rest is mp__olock_release_slow(). */
int mp__olock_release_slow(mp__olock *l);

static inline int mp__olock_release(mp__olock *l) {
  uint64_t w = atomic_load_explicit(&l->word, memory_order_relaxed);
  if (mp__likely(w != 0 && w != MP__OWN_NOTREC && !(w & MP__OWN_FLAGS)) &&
      atomic_compare_exchange_strong_explicit(&l->word, &w, 0, memory_order_release,
                                              memory_order_relaxed))
    return 0;
  return mp__olock_release_slow(l);
}

/* Clears DIED.  MP_ESTATE unless the lock is held in the DIED state. */
int mp__olock_consistent(mp__olock *l);

/* Whether the calling thread holds it. */
static inline bool mp__olock_mine(mp__olock *l) {
  uint64_t w = atomic_load_explicit(&l->word, memory_order_relaxed);
  return w != MP__OWN_NOTREC && mp__olock_owner(w) == mp__self();
}

/* The next futex sleep: the caller's deadline, or MP__OWN_SLICE_NS from now if that is sooner,
 * so every waiter re-checks its condition (and a lost wake-up heals) within one slice. */
mp__deadline mp__slice(mp__deadline d);

#endif
