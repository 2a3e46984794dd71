/* lock.c -- multiprocessing.Lock on a futex word in shared memory.  The word holds 0 (free),
 * 1 (held, nobody waiting) or 2 (held, maybe waiters), the classic three-state mutex: an
 * uncontended acquire and release are one atomic instruction each, and only a release that
 * may have waiters pays for a FUTEX_WAKE. */
#include <stdatomic.h>

#include "heap/heap.h"
#include "os/os.h"

typedef struct {
  _Atomic uint32_t word;
} lock_impl;

_Static_assert(sizeof(lock_impl) <= sizeof(mp_lock_t), "lock_impl must fit mp_lock_t");

/* A waiter spins this many rounds before sleeping: a lock held for a few hundred cycles is
 * usually free again before a futex round trip would even start. */
#define LOCK_SPINS 100

static inline lock_impl *impl(mp_lock_t *l) { return (lock_impl *)(void *)l; }

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

void mp_lock_free(mp_lock_t *l) { mp__shared_free(l, sizeof *l); }

static int acquire_slow(lock_impl *li, mp_timeout_ms timeout) {
  for (int i = 0; i < LOCK_SPINS; i++) {
    uint32_t c = 0;
    if (atomic_load_explicit(&li->word, memory_order_relaxed) == 0 &&
        atomic_compare_exchange_weak_explicit(&li->word, &c, 1, memory_order_acquire,
                                              memory_order_relaxed))
      return 0;
    __builtin_ia32_pause();
  }
  mp__deadline d = mp__deadline_in(timeout);
  /* Mark the lock contended (2) whenever we are about to sleep, so the holder's release
   * knows to wake someone. */
  while (atomic_exchange_explicit(&li->word, 2, memory_order_acquire) != 0) {
    int r = mp__futex_wait(&li->word, 2, d);
    if (r == -ETIMEDOUT) return MP_ETIMEDOUT;
  }
  return 0;
}

int mp_lock_acquire(mp_lock_t *l, mp_timeout_ms timeout) {
  if (l == NULL) return -EINVAL;
  lock_impl *li = impl(l);
  uint32_t c = 0;
  if (mp__likely(atomic_compare_exchange_strong_explicit(&li->word, &c, 1, memory_order_acquire,
                                                         memory_order_relaxed)))
    return 0;
  if (timeout == 0) return MP_ETIMEDOUT;
  return acquire_slow(li, timeout);
}

int mp_lock_release(mp_lock_t *l) {
  if (l == NULL) return -EINVAL;
  lock_impl *li = impl(l);
  uint32_t c = atomic_load_explicit(&li->word, memory_order_relaxed);
  for (;;) {
    if (c == 0) return MP_ESTATE;
    if (c == 1) {
      if (atomic_compare_exchange_weak_explicit(&li->word, &c, 0, memory_order_release,
                                                memory_order_relaxed))
        return 0;
      continue;
    }
    atomic_store_explicit(&li->word, 0, memory_order_release);
    mp__futex_wake(&li->word, 1);
    return 0;
  }
}

bool mp_lock_locked(const mp_lock_t *l) {
  return l && atomic_load(&((const lock_impl *)(const void *)l)->word) != 0;
}
