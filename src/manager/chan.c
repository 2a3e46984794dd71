/* SPDX-License-Identifier: MIT */
/* chan.c -- the shared-memory side of a manager: the state its heap-sharing clients find the
 * server through, and the request/reply channel between such a client and a server thread:
 * message placement (inline or a heap block) and the wait (os/wait.h: spin, then futex) that
 * lets two awake processes hand a request over without a system call. */
#include <string.h>

#include "heap/heap.h"
#include "manager/mgr_internal.h"
#include "os/wait.h"

int mp__mgr_shared_new(mp_manager *m) {
  int rc = mp__heap_ensure();
  if (rc != 0) return rc;
  mgr_shared *sh = mp__shared_alloc(sizeof *sh);
  if (sh == NULL) return -ENOMEM;
  sh->magic = MGR_SHARED_MAGIC;
  (void)mp__random_bytes(&sh->nonce, sizeof sh->nonce);
  m->sh = sh;
  return 0;
}

void mp__mgr_shared_free(mp_manager *m) {
  if (m->sh == NULL) return;
  m->sh->magic = 0;
  mp__shared_free(m->sh, sizeof *m->sh);
  m->sh = NULL;
}

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

int mp__mgr_chan_wait(bool interruptible, _Atomic uint32_t *word, _Atomic uint32_t *sleep_flag,
                      uint32_t old, long spin_ns, mp__deadline d, int (*check)(void *),
                      void *arg) {
  /* The other side is usually a few microseconds from answering, and a futex sleep plus
   * wake-up costs tens of microseconds on a VM: spin up to spin_ns first, as far as mp__wait's
   * own bounds allow (none while the machine is oversubscribed).  The flag counts the one
   * sleeper of this word, which the poster reads after its store (mp__mgr_chan_post). */
  mp__waiter w = {.word = word,
                  .sleepers = sleep_flag,
                  .old = old,
                  .check = check,
                  .arg = arg,
                  .spin_ns = spin_ns,
                  .interruptible = interruptible};
  return mp__wait(&w, d);
}

void mp__mgr_chan_post(_Atomic uint32_t *word, _Atomic uint32_t *sleep_flag, uint32_t v) {
  atomic_store(word, v);
  mp__wake_if_sleepers(word, sleep_flag, 1);
}
