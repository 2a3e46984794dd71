/* SPDX-License-Identifier: MIT */
/* event.c -- multiprocessing.Event on one futex word: bit 0 is the flag and the bits above it
 * count the sets, so a waiter that sees the word change knows a set() happened during its wait
 * even if a clear() followed at once (threading.Event.wait's answer: it was set).  A second
 * word counts sleepers so set() skips the FUTEX_WAKE when nobody waits; a waiter that dies
 * leaves it too high, which costs a needless wake, never a lost one. */
#include <limits.h>
#include <stdatomic.h>

#include "heap/heap.h"
#include "os/wait.h"

typedef struct {
  _Atomic uint32_t word; /* (sets << 1) | flag */
  _Atomic uint32_t sleepers;
} event_impl;

_Static_assert(sizeof(event_impl) <= sizeof(mp_event_t), "event_impl must fit mp_event_t");

static inline event_impl *impl(mp_event_t *e) { return (event_impl *)(void *)e; }

int mp_event_init(mp_event_t *e) {
  if (e == NULL) return -EINVAL;
  *e = (mp_event_t){{0}};
  atomic_store(&impl(e)->word, 0);
  return 0;
}

int mp_event_new(mp_event_t **out) {
  if (out == NULL) return -EINVAL;
  *out = mp__shared_alloc(sizeof(mp_event_t));
  if (*out == NULL) return -ENOMEM;
  return mp_event_init(*out);
}

void mp_event_free(mp_event_t *e) {
  if (e != NULL) mp__shared_free(e, sizeof *e);
}

int mp_event_set(mp_event_t *e) {
  if (e == NULL) return -EINVAL;
  event_impl *ei = impl(e);
  uint32_t w = atomic_load(&ei->word);
  do {
    if (w & 1) return 0;
  } while (!atomic_compare_exchange_weak(&ei->word, &w, (w + 2) | 1));
  mp__wake_if_sleepers(&ei->word, &ei->sleepers, INT_MAX);
  return 0;
}

int mp_event_clear(mp_event_t *e) {
  if (e == NULL) return -EINVAL;
  atomic_fetch_and(&impl(e)->word, ~UINT32_C(1));
  return 0;
}

bool mp_event_is_set(const mp_event_t *e) {
  return e && (atomic_load(&((const event_impl *)(const void *)e)->word) & 1);
}

int mp_event_wait(mp_event_t *e, mp_timeout_ms timeout) {
  if (e == NULL) return -EINVAL;
  event_impl *ei = impl(e);
  uint32_t w = atomic_load(&ei->word);
  if (w & 1) return 0;
  if (timeout == 0) return MP_ETIMEDOUT;
  /* A set() that comes within a few microseconds -- the other side of a hand-off that is
   * itself awake -- is caught by the spin, so two processes handing control back and forth stay
   * off the futex.  Only set() changes an unset word (see above).  No slices are needed: set()
   * wakes every sleeper, and a sleeper that dies takes no wake-up from anyone else; an untimed
   * wait (MP_FOREVER) so also spares the kernel a timer per wait, which is most of a hand-off's
   * cost beyond the two context switches. */
  mp__waiter wt = {.word = &ei->word,
                   .sleepers = &ei->sleepers,
                   .old = w,
                   .spin_ns = MP__WAIT_SPIN_SHORT_NS,
                   .whole = true,
                   .interruptible = true};
  return mp__wait(&wt, mp__deadline_in(timeout));
}
