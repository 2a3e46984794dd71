/* SPDX-License-Identifier: MIT */
/* queue.c -- multiprocessing.Queue, SimpleQueue and JoinableQueue in the shared heap: a ring of
 * 64-byte slots under one owner-tracking lock, small messages inline, large ones in heap blocks
 * that are filled outside the lock and reused through a small per-queue cache.
 *
 * Waiting is mp__wait (os/wait.h) on the lock-free head/tail: a waiter spins a bounded, adaptive
 * while (in a stream the next message is usually a few hundred ns away, and a consumer that
 * sleeps makes every put pay a FUTEX_WAKE), then counts itself a sleeper and sleeps in slices
 * (MP__OWN_SLICE_NS), so a wake-up lost to a process that died between its commit and its
 * FUTEX_WAKE heals within 50 ms; it re-checks under the lock after every wake-up.  A put or get
 * pays for a FUTEX_WAKE only when somebody sleeps.  queue_internal.h lists the commit points that make
 * a process killed anywhere harmless to the others. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "heap/heap.h"
#include "os/wait.h"
#include "queue/queue_internal.h"

/* ---- lock ---- */

/* Takes the queue lock.  Every critical section ends in one committing store (see
 * queue_internal.h), so a take-over from a dead holder is consistent and is only counted. */
static int qlock(mp_queue *q) {
  int rc = mp__olock_acquire(&q->lock, MP_FOREVER);
  if (mp__unlikely(rc == MP_EOWNERDEAD)) {
    q->recoveries++;
    mp__olock_consistent(&q->lock);
    mp__log(MP_LOG_WARNING, "queue: took the lock over from a dead process");
    rc = 0;
  }
  return rc;
}

static inline void qunlock(mp_queue *q) { mp__olock_release(&q->lock); }

static inline uint64_t count_of(mp_queue *q) {
  return atomic_load_explicit(&q->tail, memory_order_relaxed) -
         atomic_load_explicit(&q->head, memory_order_relaxed);
}

static inline bool is_closed(mp_queue *q) {
  return atomic_load_explicit(&q->closed, memory_order_relaxed) != 0;
}

static inline bool has_room(mp_queue *q) { return q->maxsize == 0 || count_of(q) < q->maxsize; }

/* ---- making and freeing ---- */

static uint64_t pow2_at_least(uint64_t n) {
  uint64_t c = 1;
  while (c < n) c <<= 1;
  return c;
}

static queue_ring *ring_new(uint64_t cap) {
  queue_ring *r = mp__shared_alloc(sizeof(queue_ring) + cap * sizeof(queue_slot));
  if (r != NULL) r->cap = cap;
  return r;
}

static void ring_free(queue_ring *r) {
  if (r != NULL) mp__shared_free(r, sizeof(queue_ring) + r->cap * sizeof(queue_slot));
}

static int queue_make(mp_queue **out, size_t maxsize, uint32_t kind) {
  if (out == NULL) return -EINVAL;
  *out = NULL;
  if (maxsize > INT32_MAX) return -EINVAL;
  mp_queue *q = mp__shared_alloc(sizeof *q);
  if (q == NULL) return -ENOMEM;
  uint64_t cap = maxsize != 0 && maxsize <= 64 ? pow2_at_least(maxsize) : 64;
  q->r = ring_new(cap);
  if (q->r == NULL) {
    mp__shared_free(q, sizeof *q);
    return -ENOMEM;
  }
  q->maxsize = (uint32_t)maxsize;
  q->kind = kind;
  *out = q;
  return 0;
}

int mp_queue_new(mp_queue **out, size_t maxsize) { return queue_make(out, maxsize, QUEUE_PLAIN); }
int mp_simple_queue_new(mp_queue **out) { return queue_make(out, 0, QUEUE_SIMPLE); }
int mp_joinable_queue_new(mp_queue **out, size_t maxsize) {
  return queue_make(out, maxsize, QUEUE_JOINABLE);
}

void mp_queue_free(mp_queue *q) {
  if (q == NULL) return;
  queue_ring *r = q->r;
  uint64_t tail = atomic_load(&q->tail);
  for (uint64_t n = atomic_load(&q->head); n != tail; n++) {
    queue_slot *s = &r->s[n & (r->cap - 1)];
    if (s->len > QUEUE_SLOT_DATA) mp__shared_free(s->u.ref.block, s->u.ref.cap);
  }
  for (uint32_t i = 0; i < q->ncache; i++) mp__shared_free(q->cache[i].block, q->cache[i].cap);
  ring_free(r);
  mp__shared_free(q, sizeof *q);
}

/* ---- large-message blocks ---- */

/* The capacity a block for len bytes gets: whole pages for large runs, so blocks of nearby
 * sizes are interchangeable in the cache. */
static uint64_t block_cap(uint64_t len) {
  if (len <= 2048) return (len + 63) & ~UINT64_C(63);
  return (len + 4095) & ~UINT64_C(4095);
}

/* A block of at least len bytes: the smallest cached one that fits without wasting more than
 * half of it, else a new one from the heap (NULL when exhausted). */
static void *block_get(mp_queue *q, uint64_t len, uint64_t *cap) {
  if (atomic_load_explicit(&q->ncache, memory_order_relaxed) != 0 && qlock(q) == 0) {
    int best = -1;
    for (int i = 0; i < (int)q->ncache; i++) {
      uint64_t c = q->cache[i].cap;
      if (c >= len && c / 2 <= len && (best < 0 || c < q->cache[best].cap)) best = i;
    }
    if (best >= 0) {
      void *b = q->cache[best].block;
      *cap = q->cache[best].cap;
      uint32_t last = q->ncache - 1;
      /* Drop the last entry from view first (commit), then move it into the taken one's place:
       * a process killed in between leaks that last block, whereas the other order would leave
       * one block listed twice and hand it to two messages. */
      queue_block moved = q->cache[last];
      q->ncache = last; /* commit */
      q->cache[best] = moved;
      qunlock(q);
      return b;
    }
    qunlock(q);
  }
  *cap = block_cap(len);
  return mp__shared_alloc(*cap);
}

/* Returns a block to the queue's cache (or frees it). */
static void block_release(mp_queue *q, void *block, uint64_t cap) {
  if (block == NULL) return;
  if (qlock(q) == 0) {
    uint32_t n = q->ncache;
    if (n < QUEUE_CACHE) {
      q->cache[n].block = block;
      q->cache[n].cap = cap;
      q->ncache = n + 1; /* commit */
      qunlock(q);
      return;
    }
    /* full: keep the larger block, which is the more expensive one to fault in again */
    int small = 0;
    for (int i = 1; i < (int)n; i++)
      if (q->cache[i].cap < q->cache[small].cap) small = i;
    if (q->cache[small].cap < cap) {
      void *old = q->cache[small].block;
      uint64_t oldcap = q->cache[small].cap;
      /* Block before capacity: a process killed in between leaves the new, larger block
       * recorded with the old, smaller capacity -- wasteful but safe -- never a block with
       * more capacity than it has. */
      q->cache[small].block = block;
      q->cache[small].cap = cap;
      block = old;
      cap = oldcap;
    }
    qunlock(q);
  }
  mp__shared_free(block, cap);
}

/* ---- waiting ----
 * Both waits are called with the lock held and return with it held. */

/* A put or get that may have made a waiter's condition true bumps its word, but only pays for
 * that and the FUTEX_WAKE when somebody counted itself asleep (os/wait.h has the fences that
 * make the count and the change meet). */
static void wake_getters(mp_queue *q) { mp__wake_bump(&q->nonempty, &q->get_sleepers, 1); }
static void wake_putters(mp_queue *q) { mp__wake_bump(&q->nonfull, &q->put_sleepers, 1); }

typedef struct {
  mp_queue *q;
  bool (*ready)(mp_queue *);
} queue_wait;

/* Looked at without the lock: head and tail are atomics whose commit is one store. */
static bool queue_wait_done(void *arg) {
  queue_wait *qw = arg;
  return qw->ready(qw->q) || is_closed(qw->q);
}

/* Waits until ready(q) or the queue is closed (returns 0), or the deadline passes (returns
 * timeout_rc).  seq/sleepers: the futex word and sleeper count of this condition. */
static int wait_until(mp_queue *q, bool (*ready)(mp_queue *), _Atomic uint32_t *seq,
                      _Atomic uint32_t *sleepers, mp__deadline d, int timeout_rc) {
  queue_wait qw = {q, ready};
  mp__waiter w = {.word = seq,
                  .sleepers = sleepers,
                  .done = queue_wait_done,
                  .arg = &qw,
                  .spin_ns = MP__WAIT_SPIN_LONG_NS,
                  .interruptible = true};
  for (;;) {
    if (ready(q) || is_closed(q)) return 0;
    if (mp__deadline_passed(d)) return timeout_rc;
    qunlock(q);
    int wrc = mp__wait(&w, d);
    int rc = qlock(q);
    if (rc != 0) return rc;
    /* Another process may have taken what ended the wait: look again under the lock. */
    if (wrc != 0 && !(ready(q) || is_closed(q))) return wrc == -EINTR ? -EINTR : timeout_rc;
  }
}

static bool ready_get(mp_queue *q) { return count_of(q) != 0; }
static bool ready_put(mp_queue *q) { return has_room(q); }

/* ---- put ---- */

/* Makes room for one more slot when the ring is full (lock held).  The new ring is filled, then
 * published with one store; the old one freed after. */
static int ring_grow(mp_queue *q) {
  queue_ring *r = q->r;
  uint64_t head = atomic_load_explicit(&q->head, memory_order_relaxed);
  uint64_t tail = atomic_load_explicit(&q->tail, memory_order_relaxed);
  if (tail - head < r->cap) return 0;
  queue_ring *nr = ring_new(r->cap * 2);
  if (nr == NULL) return -ENOMEM;
  for (uint64_t n = head; n != tail; n++) nr->s[n & (nr->cap - 1)] = r->s[n & (r->cap - 1)];
  q->r = nr; /* commit */
  ring_free(r);
  return 0;
}

/* Puts one slot (inline bytes, or a filled block).  On error the caller still owns the block. */
static int put_slot(mp_queue *q, const queue_slot *src, size_t copy_len, mp_timeout_ms timeout) {
  int rc = qlock(q);
  if (rc != 0) return rc;
  if (!has_room(q) && !is_closed(q))
    rc =
        wait_until(q, ready_put, &q->nonfull, &q->put_sleepers, mp__deadline_in(timeout), MP_EFULL);
  if (rc == 0 && is_closed(q)) rc = MP_ECLOSED;
  if (rc == 0) rc = ring_grow(q);
  if (rc != 0) {
    if (mp__olock_mine(&q->lock)) qunlock(q);
    return rc;
  }
  queue_ring *r = q->r;
  uint64_t tail = atomic_load_explicit(&q->tail, memory_order_relaxed);
  queue_slot *s = &r->s[tail & (r->cap - 1)];
  memcpy(s, src, offsetof(queue_slot, u) + copy_len);
  atomic_store_explicit(&q->tail, tail + 1, memory_order_release); /* commit */
  qunlock(q);
  wake_getters(q);
  return 0;
}

int mp_queue_put_bytes(mp_queue *q, const void *buf, size_t len, mp_timeout_ms timeout) {
  if (q == NULL || (buf == NULL && len > 0)) return -EINVAL;
  if (len > MP_QUEUE_MSG_MAX) return MP_ETOOBIG;
  if (is_closed(q)) return MP_ECLOSED;
  queue_slot s;
  s.len = len;
  if (len <= QUEUE_SLOT_DATA) {
    if (len) memcpy(s.u.data, buf, len);
    return put_slot(q, &s, len, timeout);
  }
  if (timeout == 0 && !has_room(q)) return MP_EFULL; /* spare the copy of a doomed put */
  uint64_t cap;
  void *b = block_get(q, len, &cap);
  if (b == NULL) return -ENOMEM;
  memcpy(b, buf, len); /* outside the lock: the block is invisible until put_slot commits */
  s.u.ref.block = b;
  s.u.ref.cap = cap;
  int rc = put_slot(q, &s, sizeof s.u.ref, timeout);
  if (rc != 0) block_release(q, b, cap);
  return rc;
}

/* ---- get ---- */

/* Takes the oldest message under the lock.  limit: the largest length accepted (a longer message
 * stays queued: MP_ETOOBIG, *len_out set).  alloc, when not NULL, is called under the lock with
 * the length (at least 1) and its result stored in *mem; a NULL result leaves the message queued
 * (-ENOMEM).  On success *out holds the slot: inline bytes, or a block now owned by the caller. */
static int take(mp_queue *q, mp_timeout_ms timeout, uint64_t limit, size_t *len_out,
                void *(*alloc)(size_t), void **mem, queue_slot *out) {
  int rc = qlock(q);
  if (rc != 0) return rc;
  if (count_of(q) == 0 && !is_closed(q))
    rc = wait_until(q, ready_get, &q->nonempty, &q->get_sleepers, mp__deadline_in(timeout),
                    MP_EEMPTY);
  if (rc == 0 && count_of(q) == 0) rc = MP_ECLOSED; /* closed and drained */
  if (rc != 0) {
    if (mp__olock_mine(&q->lock)) qunlock(q);
    return rc;
  }
  queue_ring *r = q->r;
  uint64_t head = atomic_load_explicit(&q->head, memory_order_relaxed);
  const queue_slot *s = &r->s[head & (r->cap - 1)];
  uint64_t len = s->len;
  if (len_out) *len_out = (size_t)len;
  if (len > limit) {
    qunlock(q);
    return MP_ETOOBIG;
  }
  if (alloc != NULL && (*mem = alloc(len ? (size_t)len : 1)) == NULL) {
    qunlock(q);
    return -ENOMEM;
  }
  memcpy(out, s, offsetof(queue_slot, u) + (len <= QUEUE_SLOT_DATA ? len : sizeof s->u.ref));
  atomic_store_explicit(&q->head, head + 1, memory_order_release); /* commit */
  qunlock(q);
  wake_putters(q);
  return 0;
}

/* Copies a taken slot's bytes to dst and gives its block back. */
static void deliver(mp_queue *q, queue_slot *s, void *dst) {
  if (s->len <= QUEUE_SLOT_DATA) {
    if (s->len) memcpy(dst, s->u.data, s->len);
    return;
  }
  memcpy(dst, s->u.ref.block, s->len);
  block_release(q, s->u.ref.block, s->u.ref.cap);
}

int mp_queue_get_bytes(mp_queue *q, void *buf, size_t cap, size_t *len, mp_timeout_ms timeout) {
  if (q == NULL || len == NULL || (buf == NULL && cap > 0)) return -EINVAL;
  queue_slot s;
  int rc = take(q, timeout, cap, len, NULL, NULL, &s);
  if (rc == 0) deliver(q, &s, buf);
  return rc;
}

int mp_queue_get_alloc(mp_queue *q, void **buf, size_t *len, mp_timeout_ms timeout) {
  if (buf == NULL) return -EINVAL;
  *buf = NULL;
  if (q == NULL || len == NULL) return -EINVAL;
  queue_slot s;
  void *mem = NULL;
  int rc = take(q, timeout, UINT64_MAX, len, malloc, &mem, &s);
  if (rc != 0) return rc;
  deliver(q, &s, mem);
  *buf = mem;
  return 0;
}

int mp_queue_get_msg(mp_queue *q, mp_queue_msg *m, mp_timeout_ms timeout) {
  if (m == NULL) return -EINVAL;
  *m = (mp_queue_msg){0};
  if (q == NULL) return -EINVAL;
  queue_slot s;
  int rc = take(q, timeout, UINT64_MAX, NULL, NULL, NULL, &s);
  if (rc != 0) return rc;
  m->len = (size_t)s.len;
  if (s.len <= QUEUE_SLOT_DATA) {
    if (s.len) memcpy(m->inline_, s.u.data, s.len);
    m->data = m->inline_;
  } else {
    m->block_ = s.u.ref.block;
    m->block_cap_ = (size_t)s.u.ref.cap;
    m->data = m->block_;
  }
  return 0;
}

void mp_queue_msg_release(mp_queue *q, mp_queue_msg *m) {
  if (m == NULL) return;
  if (m->block_ != NULL && q != NULL) block_release(q, m->block_, m->block_cap_);
  *m = (mp_queue_msg){0};
}

/* ---- state ---- */

int mp_queue_qsize(mp_queue *q) {
  if (q == NULL) return -EINVAL;
  int rc = qlock(q);
  if (rc != 0) return rc;
  uint64_t n = count_of(q);
  qunlock(q);
  return n > INT32_MAX ? INT32_MAX : (int)n;
}

bool mp_queue_empty(mp_queue *q) { return q == NULL || mp_queue_qsize(q) == 0; }

bool mp_queue_full(mp_queue *q) {
  if (q == NULL || q->maxsize == 0) return false;
  return mp_queue_qsize(q) >= (int)q->maxsize;
}

int mp_queue_close(mp_queue *q) {
  if (q == NULL) return -EINVAL;
  int rc = qlock(q);
  if (rc != 0) return rc;
  atomic_store(&q->closed, 1);
  atomic_fetch_add(&q->nonempty, 1);
  atomic_fetch_add(&q->nonfull, 1);
  qunlock(q);
  mp__futex_wake(&q->nonempty, INT_MAX);
  mp__futex_wake(&q->nonfull, INT_MAX);
  return 0;
}

bool mp_queue_closed(mp_queue *q) { return q != NULL && is_closed(q); }

void mp_queue_join_thread(mp_queue *q) { (void)q; }
void mp_queue_cancel_join_thread(mp_queue *q) { (void)q; }

/* ---- JoinableQueue ---- */

int mp_queue_task_done(mp_queue *q) {
  if (q == NULL || q->kind != QUEUE_JOINABLE) return -EINVAL;
  int rc = qlock(q);
  if (rc != 0) return rc;
  uint64_t tail = atomic_load_explicit(&q->tail, memory_order_relaxed);
  if (q->done >= tail) {
    qunlock(q);
    return -EOVERFLOW;
  }
  q->done++; /* commit */
  bool all = q->done == tail;
  if (all) atomic_fetch_add(&q->joinseq, 1);
  qunlock(q);
  if (all) mp__wake_if_sleepers(&q->joinseq, &q->join_sleepers, INT_MAX);
  return 0;
}

/* Looked at under the lock: done is a plain counter.  A lock that cannot be taken ends the
 * wait; the caller's own lock then reports why. */
static bool all_done(void *arg) {
  mp_queue *q = arg;
  if (qlock(q) != 0) return true;
  bool all = q->done == atomic_load_explicit(&q->tail, memory_order_relaxed);
  qunlock(q);
  return all;
}

int mp_queue_join(mp_queue *q, mp_timeout_ms timeout) {
  if (q == NULL || q->kind != QUEUE_JOINABLE) return -EINVAL;
  mp__waiter w = {.word = &q->joinseq,
                  .sleepers = &q->join_sleepers,
                  .done = all_done,
                  .arg = q,
                  .interruptible = true};
  int rc = mp__wait(&w, mp__deadline_in(timeout));
  if (rc != 0) return rc;
  /* all_done() also ends the wait when the lock fails: say why. */
  if ((rc = qlock(q)) != 0) return rc;
  qunlock(q);
  return 0;
}
