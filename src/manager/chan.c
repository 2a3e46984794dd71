/* chan.c -- the shared-memory request/reply channel between a heap-sharing client and a
 * server thread: message placement (inline or a heap block) and the spin-then-futex wait that
 * lets two awake processes hand a request over without a system call. */
#include <string.h>

#include "heap/heap.h"
#include "manager/mgr_internal.h"

mgr_chan *mp__mgr_chan_new(uint64_t session) {
  mgr_chan *c = mp__shared_alloc(sizeof *c);
  if (c == NULL) return NULL;
  c->client_pid = mp__self_pid();
  c->session = session;
  return c;
}

void mp__mgr_chan_free(mgr_chan *c) {
  if (c == NULL) return;
  mp__mgr_chan_release(c);
  mp__shared_free(c, sizeof *c);
}

int mp__mgr_chan_put(mgr_chan *c, const void *msg, size_t len) {
  if (len <= MGR_CHAN_INLINE) {
    memcpy(c->buf, msg, len);
  } else {
    void *b = mp__shared_alloc(len);
    if (b == NULL) return -ENOMEM;
    memcpy(b, msg, len);
    c->big = b;
    c->bigcap = len;
  }
  c->len = len;
  return 0;
}

const void *mp__mgr_chan_msg(mgr_chan *c, size_t *len) {
  *len = c->len;
  return c->big != NULL ? c->big : c->buf;
}

void mp__mgr_chan_release(mgr_chan *c) {
  if (c->big != NULL) {
    mp__shared_free(c->big, c->bigcap);
    c->big = NULL;
    c->bigcap = 0;
  }
}

int mp__mgr_chan_wait(_Atomic uint32_t *word, _Atomic uint32_t *sleep_flag, uint32_t old,
                   long spin_ns, mp__deadline d, int (*check)(void *), void *arg) {
  /* Spin first: the other side is usually a few microseconds from answering, and a futex
   * sleep plus wake-up costs tens of microseconds on a VM. */
  if (spin_ns > 0) {
    int64_t until = mp__now_ns() + spin_ns;
    for (;;) {
      for (int i = 0; i < 64; i++) {
        if (atomic_load_explicit(word, memory_order_acquire) != old) return 0;
        mp__cpu_relax();
      }
      if (mp__now_ns() >= until) break;
    }
  }
  for (;;) {
    /* Announce the sleep, then look again: the poster stores the word before it reads the
     * flag (both sequentially consistent), so one of the two sees the other. */
    atomic_store(sleep_flag, 1);
    if (atomic_load(word) != old) {
      atomic_store(sleep_flag, 0);
      return 0;
    }
    (void)mp__futex_wait(word, old, mp__slice(d));
    atomic_store(sleep_flag, 0);
    if (atomic_load_explicit(word, memory_order_acquire) != old) return 0;
    if (check != NULL) {
      int rc = check(arg);
      if (rc != 0) return rc;
    }
    if (mp__deadline_passed(d)) return MP_ETIMEDOUT;
  }
}

void mp__mgr_chan_post(_Atomic uint32_t *word, _Atomic uint32_t *sleep_flag, uint32_t v) {
  atomic_store(word, v);
  if (atomic_load(sleep_flag)) mp__futex_wake(word, 1);
}
