/* heap_lock.c -- the allocator's lock: a futex word holding the holder's thread id, so that a
 * waiter can tell when the holder died and take over instead of waiting for ever.  Every
 * change the allocator makes under this lock commits with a single store (see heap.c), so a
 * holder killed at any instruction leaves the heap consistent, at worst leaking one block. */
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include "heap/heap_internal.h"
#include "os/os.h"

/* How long a waiter sleeps before checking that the holder still lives. */
#define HOLDER_CHECK_MS 50
#define HEAP_SPINS 200

static _Thread_local uint32_t my_tid;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void forget_tid(void) { my_tid = 0; }
static void install_atfork(void) { pthread_atfork(NULL, NULL, forget_tid); }

/* The caller's thread id, cached; a forked child's thread has a new one, hence the atfork. */
static uint32_t self_tid(void) {
  if (mp__unlikely(my_tid == 0)) {
    pthread_once(&atfork_once, install_atfork);
    my_tid = (uint32_t)gettid();
  }
  return my_tid;
}

/* Whether thread id tid names a live thread.  kill() accepts any thread id and answers for
 * its thread group; a dead process's threads are all gone.  The residual risk is a thread id
 * reused by a new thread within one check interval: then the waiter keeps waiting. */
static bool tid_alive(uint32_t tid) { return kill((pid_t)tid, 0) == 0 || errno == EPERM; }

void mp__heap_lock(heap_hdr *h) {
  uint32_t me = self_tid(), c = 0;
  if (mp__likely(atomic_compare_exchange_strong_explicit(&h->lock, &c, me, memory_order_acquire,
                                                         memory_order_relaxed)))
    return;
  for (int i = 0; i < HEAP_SPINS; i++) {
    c = 0;
    if (atomic_load_explicit(&h->lock, memory_order_relaxed) == 0 &&
        atomic_compare_exchange_weak_explicit(&h->lock, &c, me, memory_order_acquire,
                                              memory_order_relaxed))
      return;
    __builtin_ia32_pause();
  }
  for (;;) {
    c = atomic_load_explicit(&h->lock, memory_order_relaxed);
    if (c == 0) {
      if (atomic_compare_exchange_weak_explicit(&h->lock, &c, me, memory_order_acquire,
                                                memory_order_relaxed))
        return;
      continue;
    }
    atomic_fetch_add(&h->waiters, 1);
    int r = mp__futex_wait(&h->lock, c, mp__deadline_in(HOLDER_CHECK_MS));
    atomic_fetch_sub(&h->waiters, 1);
    if (r == -ETIMEDOUT && !tid_alive(c) &&
        atomic_compare_exchange_strong_explicit(&h->lock, &c, me, memory_order_acquire,
                                                memory_order_relaxed)) {
      h->recoveries++;
      mp__log(MP_LOG_WARNING, "shared heap: took the allocator over from dead thread %u", c);
      return;
    }
  }
}

void mp__heap_unlock(heap_hdr *h) {
  /* The exchange is a full barrier: the store must not pass the load of waiters below, or a
   * waiter that counted itself just before sleeping could miss its wake-up. */
  atomic_exchange(&h->lock, 0);
  /* A waiter killed while counted leaves waiters above zero: that costs needless wakes,
   * never a lost one. */
  if (atomic_load(&h->waiters) != 0) mp__futex_wake(&h->lock, 1);
}
