/* raw_futex.h -- the floors of the sync workloads, written with bare atomics and futex calls:
 * a CAS spinlock-free mutex (the classic three-state futex mutex) and futex wait/wake.  No
 * timeouts, no owner tracking, no error handling: the least any process-shared lock costs. */
#ifndef MP_BENCH_RAW_FUTEX_H
#define MP_BENCH_RAW_FUTEX_H

#include <linux/futex.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

static inline void raw_futex_wait(_Atomic uint32_t *w, uint32_t val) {
  syscall(SYS_futex, w, FUTEX_WAIT, val, NULL, NULL, 0);
}

static inline void raw_futex_wake(_Atomic uint32_t *w, int n) {
  syscall(SYS_futex, w, FUTEX_WAKE, n, NULL, NULL, 0);
}

/* 0 free, 1 held, 2 held with waiters. */
static inline void raw_lock(_Atomic uint32_t *w) {
  uint32_t c = 0;
  if (atomic_compare_exchange_strong(w, &c, 1)) return;
  if (c != 2) c = atomic_exchange(w, 2);
  while (c != 0) {
    raw_futex_wait(w, 2);
    c = atomic_exchange(w, 2);
  }
}

static inline void raw_unlock(_Atomic uint32_t *w) {
  if (atomic_fetch_sub(w, 1) != 1) {
    atomic_store(w, 0);
    raw_futex_wake(w, 1);
  }
}

#endif
