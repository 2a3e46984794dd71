/* SPDX-License-Identifier: MIT */
/* olock.h -- the owner-tracking lock word: the one lock of the library that notices when its
 * holder died.  It sits under the shared heap's allocator and, in the sync layer, under Lock,
 * RLock, a Condition's lock and the Barrier's bookkeeping; it also gives the identity of the
 * calling thread (os/owner.c).
 *
 * The word is 64 bits: the owner's identity plus two flags.  0 means free.  The futex is the
 * low half (little-endian: the first four bytes), so a FUTEX_WAIT compares the owner's tid, part
 * of its stamp and the flags; the high half never changes without the low half changing too.
 *
 *   bits  0..21  owner tid (Linux pids and tids are below PID_MAX_LIMIT = 2^22)
 *   bits 22..29  owner stamp, low 8 bits
 *   bit   30     WAITERS: somebody may sleep on the futex; the release must wake one
 *   bit   31     DIED: taken over from a dead owner, not yet marked consistent
 *   bits 32..53  owner pid (its thread group id)
 *   bits 54..63  owner stamp, high 10 bits
 *
 * The stamp (18 bits, 0 = unknown) tells the owner thread apart from a later thread that was
 * given the same pid and tid after the owner died: it is derived from what the kernel knows of
 * the thread's birth (os/owner.c), so a waiter can recompute it for whoever has that tid now.
 *
 * NOTREC (tid and low stamp bits all ones, pid 0) is the terminal "not recoverable" value. */
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

#define MP__OWN_TID_MASK UINT64_C(0x3FFFFF) /* also the pid's mask, once shifted down */
#define MP__OWN_PID_SHIFT 32
#define MP__OWN_STAMP_BITS 18
#define MP__OWN_STAMP_MASK (UINT64_C(0xFF) << 22 | UINT64_C(0x3FF) << 54)
#define MP__OWN_WAITERS (UINT64_C(1) << 30)
#define MP__OWN_DIED (UINT64_C(1) << 31)
#define MP__OWN_FLAGS (MP__OWN_WAITERS | MP__OWN_DIED)
#define MP__OWN_NOTREC UINT64_C(0x3FFFFFFF)

/* The parts of an owner id (a word without its flags). */
static inline pid_t mp__owner_tid(uint64_t id) { return (pid_t)(id & MP__OWN_TID_MASK); }
static inline pid_t mp__owner_pid(uint64_t id) {
  return (pid_t)((id >> MP__OWN_PID_SHIFT) & MP__OWN_TID_MASK);
}
static inline uint32_t mp__owner_stamp(uint64_t id) {
  return (uint32_t)(((id >> 22) & 0xFF) | ((id >> 54) << 8));
}
/* The owner id of a thread; stamp < 2^18. */
static inline uint64_t mp__owner_id(pid_t pid, pid_t tid, uint32_t stamp) {
  return ((uint64_t)pid & MP__OWN_TID_MASK) << MP__OWN_PID_SHIFT |
         ((uint64_t)tid & MP__OWN_TID_MASK) | (uint64_t)(stamp & 0xFF) << 22 |
         (uint64_t)(stamp >> 8) << 54;
}

/* A waiter's first sleep lasts at most this long before it looks at whether the owner still
 * exists (or, in mp__wait, heals a wake-up lost to a waker that died), so a death soon after a
 * wait began is noticed within about this time (plus one /proc read).  Each further sleep of
 * the same wait is MP__OWN_SLICE_GROWTH times as long, up to MP__OWN_SLICE_MAX_NS: a wake-up
 * costs the sleeper ~50 us of CPU on a VM, so a process blocked for minutes must not wake 20
 * times a second.  With 50 ms x4 up to 3.2 s a wait wakes 4 times in its first 5 s and then
 * about once in 3 s (CPU ~0.001%); a death late in a long wait is noticed within about 3 s. */
#define MP__OWN_SLICE_NS INT64_C(50000000)
#define MP__OWN_SLICE_GROWTH 4
#define MP__OWN_SLICE_MAX_NS INT64_C(3200000000)

/* A waiter spins this many rounds before sleeping: a lock held for a few hundred cycles is
 * usually free again before a futex round trip would even start. */
#ifndef MP__SPINS /* overridable to measure the gain: -DMP__SPINS=0 turns spinning off */
#define MP__SPINS 100
#endif

/* ---- the calling thread's identity (os/owner.c) ---- */

/* The calling thread's owner id (pid, tid and stamp), cached per thread.  The cache of the
 * thread that forks is cleared in the child by a pthread_atfork handler, so a child never uses
 * its parent's identity.  (A child made with a raw clone()/vfork() that bypasses the atfork
 * handlers would; fork() and posix_spawn are fine.)  Filling the cache costs a few system
 * calls once per thread; every later call is one thread-local load. */
extern _Thread_local uint64_t mp__self_cache __attribute__((tls_model("initial-exec")));
uint64_t mp__self_slow(void);
/* Drops the cached identity: for a child made without fork() (os/clone.c). */
void mp__self_forget(void);
static inline uint64_t mp__self(void) {
  uint64_t s = mp__self_cache;
  return mp__likely(s != 0) ? s : mp__self_slow();
}

/* The calling process's pid, cached apart from the owner id (and cleared at fork the same
 * way), so that code that only needs getpid() never pays for the stamp. */
extern _Thread_local pid_t mp__self_pid_cache __attribute__((tls_model("initial-exec")));
pid_t mp__self_pid_slow(void);
static inline pid_t mp__self_pid(void) {
  pid_t p = mp__self_pid_cache;
  return mp__likely(p != 0) ? p : mp__self_pid_slow();
}

/* Whether the thread named by an owner id is gone: true when no such thread exists, when it is
 * a zombie (a dead process not yet reaped by its parent), or when a thread that now has its pid
 * and tid has another stamp (the pid was recycled).  False when it lives or cannot be checked
 * (e.g. /proc missing).  Costs a tgkill and, when that finds the thread, a pidfd_open + fstat
 * and one read of /proc/<pid>/task/<tid>/stat: only a waiter that suspects death pays it. */
bool mp__owner_dead(uint64_t id);

/* What a waiter keeps on the owner it waits behind, for the length of one wait: once a full
 * mp__owner_dead() check found that owner alive, a pidfd of its thread (Linux 6.9+, where the
 * owner's stamp comes from pidfs) whose birth stamp matched, so that every later look is one
 * poll of that fd (~1 us) instead of the full check (a tgkill, a pidfd, a /proc read: ~50 us on
 * a VM, paid after every sleep slice of a long wait).  The waiter owns the fd; it starts as
 * MP__OWNER_WATCH_INIT and is closed by mp__owner_watch_end() however the wait ends. */
typedef struct mp__owner_watch {
  uint64_t id; /* the owner the fd stands for */
  int fd;      /* -1: none (not looked at yet, another owner, or no thread pidfds) */
} mp__owner_watch;
#define MP__OWNER_WATCH_INIT {0, -1}
/* mp__owner_dead(id), answered from the watch when it stands for id; otherwise the full check,
 * after which the watch stands for id if it is alive and a thread pidfd can be had. */
bool mp__owner_watch_dead(mp__owner_watch *w, uint64_t id);
void mp__owner_watch_end(mp__owner_watch *w);

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
/* The same for a public Lock or RLock acquire: mp_interrupt() ends its sleep with -EINTR.  (The
 * library's own uses -- the heap, the pool -- are never interrupted: they must not fail.) */
int mp__olock_acquire_slow_interruptible(mp__olock *l, uint64_t self, mp__deadline d);

static inline int mp__olock_acquire(mp__olock *l, mp_timeout_ms timeout) {
  uint64_t self = mp__self();
  uint64_t c = 0;
  if (mp__likely(atomic_compare_exchange_strong_explicit(&l->word, &c, self, memory_order_acquire,
                                                         memory_order_relaxed)))
    return 0;
  return mp__olock_acquire_slow(l, self, mp__deadline_in(timeout));
}

static inline int mp__olock_acquire_interruptible(mp__olock *l, mp_timeout_ms timeout) {
  uint64_t self = mp__self();
  uint64_t c = 0;
  if (mp__likely(atomic_compare_exchange_strong_explicit(&l->word, &c, self, memory_order_acquire,
                                                         memory_order_relaxed)))
    return 0;
  return mp__olock_acquire_slow_interruptible(l, self, mp__deadline_in(timeout));
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
/* The same for the sleep after `slept` slices of one wait already ended: MP__OWN_SLICE_NS
 * multiplied by MP__OWN_SLICE_GROWTH that many times, at most MP__OWN_SLICE_MAX_NS. */
mp__deadline mp__slice_after(mp__deadline d, unsigned slept);

#endif
