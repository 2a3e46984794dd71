/* SPDX-License-Identifier: MIT */
/* wait.h -- the library's one way to wait for something another process does to shared memory:
 * a bounded, adaptive spin, then futex sleeps.  Every blocking wait above the os layer (queue,
 * semaphore, event, barrier, condition, pool results and workers, manager channels) is an
 * mp__wait; only the owner-tracking lock (olock.c) keeps its own, because it also watches its
 * owner's life.
 *
 * The protocol, for a waiter and a waker in any two processes:
 *   waker:  change the state, so that the word differs from any value a waiter may have read
 *           before (the word is the state, or a sequence bumped with it); then wake, either
 *           always or, with a sleeper count, through mp__wake_if_sleepers()/mp__wake_bump()
 *           (or an equivalent: a seq_cst fence or RMW between the change and the count's read).
 *   waiter: mp__wait(): looks at done() while spinning, then counts itself in *sleepers,
 *           reads the word, looks at done() once more and sleeps while the word is unchanged.
 * Both sides pass a seq_cst fence between their write and their read, so either the waker sees
 * the sleeper or the waiter sees the state: no wake-up is lost.  Sleeps are cut into slices
 * (unless the wait asks for whole sleeps) of MP__OWN_SLICE_NS, growing MP__OWN_SLICE_GROWTH
 * times up to MP__OWN_SLICE_MAX_NS as the wait goes on (olock.h), so a wake-up lost to a
 * waker that died between its change and its FUTEX_WAKE heals within one slice.
 *
 * Spinning only pays while the process that will end the wait is running on another CPU; on a
 * machine with more runnable processes than CPUs the spin takes the very CPU the waker needs
 * (two manager clients on two CPUs fell from ~400 k to ~20 k calls/s that way), and a waker
 * that is asleep (a producer trickling a message every millisecond) makes every spin a waste.
 * So each waiter keeps a budget that only spins which caught their change make longer: a spin
 * that failed halves it, down to an eighth of the site's longest spin after three such waits,
 * and only spins that caught the change double it again.  The spin yields every couple of
 * microseconds, so a waker runnable on the spinner's own CPU gets to run (a stream whose two
 * ends share a CPU then never sleeps; without the yield each message cost a futex round trip,
 * and a waiter behind unrelated busy work got its CPU back only a time slice later). */
#ifndef MP_OS_WAIT_H
#define MP_OS_WAIT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "os/os.h"

/* The longest spin worth paying for: a hand-off between two awake processes (a semaphore's
 * unit, an event) arrives within a few microseconds, a peer's answer or a stream's next message
 * within tens.  Beyond that a futex round trip is cheaper than the spin. */
#define MP__WAIT_SPIN_SHORT_NS INT64_C(3000)
#define MP__WAIT_SPIN_LONG_NS INT64_C(50000)

/* A waiter's learned spin budget: the site's longest spin shifted right by `shift` (0: all of
 * it, at most MP__WAIT_SPIN_MIN_SHIFT: an eighth).  Zero-initialised means "spin fully". */
typedef struct mp__spin {
  uint32_t shift;
} mp__spin;
#define MP__WAIT_SPIN_MIN_SHIFT 3u

/* What one wait waits for.  Fields left zero get the defaults named. */
typedef struct mp__waiter {
  _Atomic uint32_t *word; /* the futex; every waker changes it before waking */
  _Atomic uint32_t *sleepers; /* NULL, or counted around the sleeps so wakers can skip the wake */
  /* The condition that ends the wait, looked at without any lock (may take a lock, or act, as
   * a semaphore's try-take does: it is called until it returns true, then never again).
   * NULL: the wait ends once *word differs from `old`. */
  bool (*done)(void *arg);
  /* NULL, or called before every look that may end in a sleep, after the spin: e.g. tells the
   * wakers what to wake for, or publishes the waiter as asleep in a protocol of its own. */
  void (*arm)(void *arg);
  /* NULL, or called after every sleep that did not end the wait: a non-zero result ends the
   * wait with it (the peer died, the object was closed). */
  int (*check)(void *arg);
  void *arg;
  uint32_t old; /* with done == NULL: the word's value at the start */
  int64_t spin_ns; /* the longest spin that can pay off here; 0 or less: none */
  bool whole; /* sleep to the deadline instead of in slices (every waker always wakes) */
  mp__spin *spin; /* the learned budget to use and update; NULL: the calling thread's own */
  bool interruptible; /* a public blocking call: mp_interrupt() ends it with -EINTR */
} mp__waiter;

/* Whether MP_WAIT_POLICY=passive was in the environment when the library first asked: every
 * wait then sleeps at once, without spinning (mp__wait, the owner-tracking lock, a connection's
 * receive).  For machines where no CPU may be spent waiting, and for measuring what a hand-off
 * costs when both sides sleep (the bench's _sleep rows).  "active" or unset: spin as adaptive.
 * Read once per process image. */
bool mp__wait_passive(void);

/* Waits until done() (or the word moved from old) or the deadline passes, or check() says to
 * stop.  Returns 0 once the condition held, MP_ETIMEDOUT when the deadline passed first (done()
 * is looked at once more at the deadline), or check()'s non-zero result.  A due deadline looks
 * once and never sleeps. */
int mp__wait(const mp__waiter *w, mp__deadline d);

/* The spin budget the next wait of spin state s would use, out of at most max_ns. */
int64_t mp__wait_spin_budget(const mp__spin *s, int64_t max_ns);

/* The waker's half for a word that is the state (or was bumped with it), with a sleeper count:
 * after the change, wakes up to n sleepers on word if any counted themselves. */
static inline void mp__wake_if_sleepers(_Atomic uint32_t *word, _Atomic uint32_t *sleepers, int n) {
  atomic_thread_fence(memory_order_seq_cst);
  if (atomic_load_explicit(sleepers, memory_order_relaxed) != 0) (void)mp__futex_wake(word, n);
}

/* The waker's half for a sequence word that only announces a change of some other state:
 * bumps it and wakes up to n sleepers, both only when any counted themselves (a waiter that
 * counts itself later sees the state itself). */
static inline void mp__wake_bump(_Atomic uint32_t *word, _Atomic uint32_t *sleepers, int n) {
  atomic_thread_fence(memory_order_seq_cst);
  if (atomic_load_explicit(sleepers, memory_order_relaxed) != 0) {
    atomic_fetch_add(word, 1);
    (void)mp__futex_wake(word, n);
  }
}

#endif
