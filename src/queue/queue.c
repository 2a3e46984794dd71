/* SPDX-License-Identifier: MIT */
/* queue.c -- multiprocessing.Queue, SimpleQueue and JoinableQueue in the shared heap: making and
 * freeing, the put and get forms, their waits, close, and the JoinableQueue's counts.  The
 * messages travel through lock-free rings of 64-byte slots (ring.c); small messages sit inline,
 * large ones in heap blocks filled outside any claim and reused through a small cache.
 *
 * Waiting is mp__wait (os/wait.h): a waiter spins a bounded, adaptive while (in a stream the
 * next message is usually a few hundred ns away, and a consumer that sleeps makes every put pay
 * a FUTEX_WAKE), then counts itself a sleeper and sleeps in slices (MP__OWN_SLICE_NS, growing),
 * after each of which it looks for a claim whose owner died (ring.c heals it) and for a wake-up
 * lost to a process that died between its store and its FUTEX_WAKE.  A put or get pays for a
 * FUTEX_WAKE only when somebody sleeps. */
#include <limits.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "heap/heap.h"
#include "os/wait.h"
#include "queue/leased.h"
#include "queue/queue_internal.h"

/* ---- lock ---- */

/* A JoinableQueue's put holds the lock from its claim to counting itself; a holder that died
 * in between is repaired here: its message counts once it was published. */
static void joinable_repair(mp_queue *q) {
  queue_slot *s = q->jslot;
  if (s == NULL) return;
  uint64_t st = atomic_load(&s->state);
  bool published = (st & SLOT_CLAIMED) ? (st & SLOT_READING) != 0
                                       : !(st & SLOT_SKIP) && (st & SLOT_SEQ_MASK) > q->jpos;
  if (published) q->nput = q->jtarget;
  q->jslot = NULL; /* commit */
}

/* Takes the queue lock.  Every critical section ends in one committing store, so a take-over
 * from a dead holder is consistent once a JoinableQueue's put in flight is settled. */
int mp__queue_lock(mp_queue *q) {
  int rc = mp__olock_acquire(&q->lock, MP_FOREVER);
  if (mp__unlikely(rc == MP_EOWNERDEAD)) {
    q->recoveries++;
    joinable_repair(q);
    mp__olock_consistent(&q->lock);
    mp__log(MP_LOG_WARNING, "queue: took the lock over from a dead process");
    rc = 0;
  }
  return rc;
}

void mp__queue_unlock(mp_queue *q) { mp__olock_release(&q->lock); }

static inline bool is_closed(mp_queue *q) {
  return atomic_load_explicit(&q->closed, memory_order_relaxed) != 0;
}

/* ---- making and freeing ---- */

static uint64_t pow2_at_least(uint64_t n) {
  uint64_t c = 2;
  while (c < n) c <<= 1;
  return c;
}

static int queue_make(mp_queue **out, size_t maxsize, uint32_t kind) {
  if (out == NULL) return -EINVAL;
  *out = NULL;
  if (maxsize > INT32_MAX) return -EINVAL;
  mp_queue *q = mp__shared_alloc(sizeof *q);
  if (q == NULL) return -ENOMEM;
  /* A bounded queue's one ring holds maxsize; an unbounded one starts at 64 slots and grows. */
  queue_seg *g = mp__qring_new(maxsize != 0 ? pow2_at_least(maxsize) : 64);
  if (g == NULL) {
    mp__shared_free(q, sizeof *q);
    return -ENOMEM;
  }
  atomic_init(&q->prod, g);
  atomic_init(&q->cons, g);
  q->first = g;
  q->maxsize = (uint32_t)maxsize;
  q->kind = kind;
  /* a JoinableQueue's puts hold the lock: they gain nothing from the lease */
  if (kind == QUEUE_JOINABLE) atomic_init(&q->put_lease.owner, LEASE_SHARED);
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
  mp__qring_drop_all(q);
  for (queue_seg *g = q->first; g != NULL;) {
    queue_seg *next = atomic_load(&g->next);
    mp__qring_free(g);
    g = next;
  }
  for (uint32_t i = 0; i < q->ncache; i++) mp__shared_free(q->cache[i].block, q->cache[i].cap);
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
  if (atomic_load_explicit(&q->ncache, memory_order_relaxed) != 0 && mp__queue_lock(q) == 0) {
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
      mp__queue_unlock(q);
      return b;
    }
    mp__queue_unlock(q);
  }
  *cap = block_cap(len);
  return mp__shared_alloc(*cap);
}

/* Returns a block to the queue's cache (or frees it). */
static void block_release(mp_queue *q, void *block, uint64_t cap) {
  if (block == NULL) return;
  if (mp__queue_lock(q) == 0) {
    uint32_t n = q->ncache;
    if (n < QUEUE_CACHE) {
      q->cache[n].block = block;
      q->cache[n].cap = cap;
      q->ncache = n + 1; /* commit */
      mp__queue_unlock(q);
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
    mp__queue_unlock(q);
  }
  mp__shared_free(block, cap);
}

/* ---- waiting ---- */

#define QUEUE_HEALED 1 /* a wait's check() healed a dead claim: try again */

typedef struct {
  mp_queue *q;
  bool (*ready)(mp_queue *);
} queue_wait;

static bool queue_wait_done(void *arg) {
  queue_wait *qw = arg;
  return qw->ready(qw->q) || is_closed(qw->q);
}

bool mp__queue_heal(mp_queue *q) {
  /* A JoinableQueue's put claims its slot holding the lock: heal under the lock, so that a dead
   * putter's count is settled (joinable_repair) while its slot still shows the dead claim --
   * once healed and stepped over, the slot would read as a message that was taken. */
  bool joinable = q->kind == QUEUE_JOINABLE;
  if (joinable && mp__queue_lock(q) != 0) return false;
  bool healed = mp__qring_heal(q);
  if (joinable) mp__queue_unlock(q);
  return healed;
}

static int queue_wait_check(void *arg) {
  queue_wait *qw = arg;
  return mp__queue_heal(qw->q) ? QUEUE_HEALED : 0;
}

/* Waits until ready(q) may hold, the queue is closed or a dead claim was healed (0), or the
 * deadline passes (MP_ETIMEDOUT), or -EINTR. */
static int queue_wait_for(mp_queue *q, bool (*ready)(mp_queue *), bool getter, mp__deadline d) {
  queue_wait qw = {q, ready};
  mp__waiter w = {.word = getter ? &q->nonempty : &q->nonfull,
                  .sleepers = getter ? &q->get_sleepers : &q->put_sleepers,
                  .done = queue_wait_done,
                  .check = queue_wait_check,
                  .arg = &qw,
                  .spin_ns = MP__WAIT_SPIN_LONG_NS,
                  .interruptible = true};
  int rc = mp__wait(&w, d);
  return rc == QUEUE_HEALED ? 0 : rc;
}

/* The deadline of a wait behind another process's claim: the call's own, but at least a short
 * grace even for a call that does not wait (timeout 0), since the claim is held for the length
 * of one copy -- as a lock would be -- unless its owner died, which the wait then heals. */
static mp__deadline busy_deadline(mp__deadline d, mp_timeout_ms timeout) {
  if (timeout == MP_FOREVER || timeout >= 100) return d;
  return mp__deadline_in(100);
}

/* ---- waiting for room ---- */

/* A producer that found a bounded queue full and took the first slot a get freed would meet
 * the getter on every slot line after it: each put and each get would pull the same line from
 * the other CPU (a queue of 4096 slots kept full measured 10-28 M msgs/s that way).  So before
 * the timed wait, a full put waits a while, without reading the clock, for room for a batch --
 * an eighth of the queue, at most ROOM_BATCH puts -- and then the getter runs that far ahead
 * of it (31-72 M msgs/s; docs/BENCHMARKS.md, queue_small_bounded).  The queue is full anyway,
 * so the getters lose nothing; after ROOM_LOOKS looks the put takes whatever room there is,
 * or waits as usual.  A thread whose looks keep failing (its getters are slow: the room comes
 * in ones, far apart) makes fewer of them, down to a sixteenth, as the waits' learned spin
 * does (os/wait.h).
 *
 * An unbounded queue whose ring of ROOM_DEEP_RING slots or more is full looks for room the
 * same way before it grows the ring.  A producer faster than its consumer would otherwise
 * grow the ring without end (to 128 K-1 M slots, 8-64 MB, in queue_small), and then every
 * message is a miss to memory on both sides; a consumer that keeps up frees a batch within
 * the looks, and the stream stays in a ring that fits the caches (queue_small: 51 M msgs/s
 * before, 67 M after, medians of ten alternating runs).  A consumer that does not keep up
 * (stopped, slow, gone) makes the looks fail and the ring grows as before, so a put still
 * never waits for more than the looks, and one that found no room for the batch grows the
 * ring rather than take a single freed slot (a consumer freeing slots in ones would hold every
 * put for the looks).  Its looks last ROOM_GROW_WAIT_NS (the clock read every 64 looks, so the
 * bound holds whatever a look costs on the machine or under a sanitizer) and are never cut: a
 * failure grows the ring, which doubles the puts before the ring is full again; a growth costs
 * more than the wait anyway (0.3-10 ms for rings of 8 K-256 K slots). */
#define ROOM_BATCH 256
#define ROOM_LOOKS 1024
#define ROOM_MAX_SHIFT 4
#define ROOM_DEEP_RING 4096 /* 256 KB of slots: deep enough to stream, small enough to cache */
#define ROOM_GROW_WAIT_NS INT64_C(200000) /* an unbounded put's looks, at most */

static _Thread_local unsigned room_shift; /* looks made: ROOM_LOOKS >> room_shift */

/* Waits a while for room for a batch of puts in a ring (or bounded queue) of size slots: true
 * when there is room for the batch or, in a bounded queue, for at least one put. */
static bool room_soon(mp_queue *q, uint64_t size) {
  uint64_t ahead = size / 8 < ROOM_BATCH ? size / 8 : ROOM_BATCH;
  bool bounded = q->maxsize != 0;
  int looks = bounded ? ROOM_LOOKS >> room_shift : INT_MAX;
  int64_t until = bounded ? 0 : mp__now_ns() + ROOM_GROW_WAIT_NS;
  for (int i = 0; i < looks; i++) {
    if (mp__qring_put_room(q, ahead)) {
      if (room_shift > 0 && bounded) room_shift--;
      return true;
    }
    if (i % 64 == 63) {
      sched_yield(); /* the getter may be waiting for this very CPU */
      if (!bounded && mp__now_ns() >= until) break;
    }
    mp__cpu_relax();
  }
  if (!bounded) return false;
  if (room_shift < ROOM_MAX_SHIFT) room_shift++;
  return mp__qring_put_ready(q);
}

/* Whether a put that found the queue full may wait for room before it grows the ring or
 * sleeps: not a put that must not wait, nor one of a process that asked for passive waits. */
static bool may_look_for_room(mp_timeout_ms timeout) {
  return timeout != 0 && !mp__wait_passive();
}

/* ---- put ---- */

/* A JoinableQueue's put in flight, recorded under the lock before it publishes. */
static void joinable_publishing(mp_queue *q, queue_slot *s, uint64_t pos) {
  q->jpos = pos;
  q->jtarget = q->nput + 1;
  q->jslot = s; /* commit: from here a take-over settles the count from the slot */
}

/* Puts one message of len bytes whose slot body is the body_len bytes at body (inline bytes, or
 * a filled block's ref).  On error the caller still owns the block. */
static int put_slot(mp_queue *q, uint64_t len, const void *body, size_t body_len,
                    mp_timeout_ms timeout) {
  bool joinable = q->kind == QUEUE_JOINABLE;
  mp__deadline d = {MP__DEADLINE_UNSET}; /* read the clock only to wait */
  for (;;) {
    if (is_closed(q)) return MP_ECLOSED;
    int r;
    if (joinable) { /* puts counted under the lock, so join() sees every message it counts */
      int rc = mp__queue_lock(q);
      if (rc != 0) return rc;
      r = mp__qring_put(q, len, body, body_len, joinable_publishing);
      if (r == RING_DONE) {
        q->nput = q->jtarget;
        q->jslot = NULL; /* commit */
      }
      mp__queue_unlock(q);
    } else {
      queue_lease *l = &q->put_lease;
      uint64_t owner = mp__qlease_owner(l);
      r = RING_AGAIN;
      if (owner == mp__self()) {
        r = mp__qleased_put(q, len, body, body_len);
      } else if (owner != LEASE_SHARED) {
        int rc = mp__qlease_settle(q, l, busy_deadline(mp__deadline_lazy(&d, timeout), timeout));
        if (rc == MP_ETIMEDOUT) return MP_EFULL;
        if (rc != 0) return rc;
        continue;
      }
      if (r == RING_AGAIN) r = mp__qring_put(q, len, body, body_len, NULL);
    }
    if (r == RING_DONE) {
      mp__queue_wake(q);
      return 0;
    }
    if (r == RING_FULL && q->maxsize == 0) {
      queue_seg *full = atomic_load(&q->prod);
      bool looked = full->cap >= ROOM_DEEP_RING && may_look_for_room(timeout);
      if (looked && room_soon(q, full->cap)) continue;
      int rc = mp__queue_lock(q);
      if (rc != 0) return rc;
      rc = mp__qring_grow(q, full, looked); /* no batch came: grow even for a freed slot */
      mp__queue_unlock(q);
      if (rc != 0) return rc;
      continue;
    }
    if (r == RING_FULL && may_look_for_room(timeout) && room_soon(q, q->maxsize)) continue;
    mp__deadline due = mp__deadline_lazy(&d, timeout);
    int rc = queue_wait_for(q, mp__qring_put_ready, false,
                            r == RING_BUSY ? busy_deadline(due, timeout) : due);
    if (rc == MP_ETIMEDOUT) return MP_EFULL;
    if (rc != 0) return rc;
  }
}

/* A put of a message too long for a slot: its bytes go to a block first. */
mp__noinline static int put_block(mp_queue *q, const void *buf, size_t len, mp_timeout_ms timeout) {
  if (len > MP_QUEUE_MSG_MAX) return MP_ETOOBIG;
  if (is_closed(q)) return MP_ECLOSED;
  if (timeout == 0 && q->maxsize != 0 && !mp__qring_put_ready(q))
    return MP_EFULL; /* spare the copy of a doomed put */
  uint64_t cap;
  void *b = block_get(q, len, &cap);
  if (b == NULL) return -ENOMEM;
  memcpy(b, buf, len); /* before the claim: the block is invisible until the slot is published */
  queue_slot s;
  s.u.ref.block = b;
  s.u.ref.cap = cap;
  int rc = put_slot(q, len, &s.u.ref, sizeof s.u.ref, timeout);
  if (rc != 0) block_release(q, b, cap);
  return rc;
}

int mp_queue_put_bytes(mp_queue *q, const void *buf, size_t len, mp_timeout_ms timeout) {
  if (q == NULL || (buf == NULL && len > 0)) return -EINVAL;
  if (len > QUEUE_SLOT_DATA) return put_block(q, buf, len, timeout);
  /* the stream's one producer: straight to the leased put (a JoinableQueue's is never leased) */
  if (mp__qlease_owner(&q->put_lease) == mp__self() && !is_closed(q) &&
      mp__qleased_put(q, len, buf, len) == RING_DONE) {
    mp__queue_wake(q);
    return 0;
  }
  return put_slot(q, len, buf, len, timeout);
}

/* ---- get ---- */

/* What a get does with the claimed slot: limit is the largest length accepted (a longer
 * message stays queued: MP_ETOOBIG, *len_out set); alloc, when not NULL, makes the caller's
 * buffer (a NULL result leaves the message queued: -ENOMEM); out receives the slot's length
 * and, for a message in a block, its ref; an inline message's bytes go straight to dst when it
 * is not NULL, else to the alloc'd buffer, else to out. */
typedef struct {
  uint64_t limit;
  size_t *len_out;
  void *(*alloc)(size_t);
  void **mem;
  queue_slot *out;
  void *dst;
} take_req;

static int take_slot(void *arg, const queue_slot *s) {
  take_req *t = arg;
  uint64_t len = s->len;
  if (t->len_out) *t->len_out = (size_t)len;
  if (len > t->limit) return MP_ETOOBIG;
  if (t->alloc != NULL && (*t->mem = t->alloc(len ? (size_t)len : 1)) == NULL) return -ENOMEM;
  t->out->len = len;
  if (len > QUEUE_SLOT_DATA)
    t->out->u.ref = s->u.ref;
  else
    mp__qcopy_small(t->dst != NULL ? t->dst : t->alloc != NULL ? *t->mem : t->out->u.data,
                    s->u.data, (size_t)len);
  return 0;
}

/* Takes the oldest message, waiting at most timeout. */
static int take(mp_queue *q, mp_timeout_ms timeout, take_req *t) {
  mp__deadline d = {MP__DEADLINE_UNSET}; /* read the clock only to wait */
  for (;;) {
    queue_lease *l = &q->get_lease;
    uint64_t owner = mp__qlease_owner(l);
    int r = RING_AGAIN;
    if (owner == mp__self()) {
      r = mp__qleased_get(q, take_slot, t);
    } else if (owner != LEASE_SHARED) {
      int rc = mp__qlease_settle(q, l, busy_deadline(mp__deadline_lazy(&d, timeout), timeout));
      if (rc == MP_ETIMEDOUT) return MP_EEMPTY;
      if (rc != 0) return rc;
      continue;
    }
    if (r == RING_AGAIN) r = mp__qring_get(q, take_slot, t);
    if (r == RING_DONE) {
      mp__queue_wake(q);
      return 0;
    }
    if (r < 0) return r; /* take_slot's error: the message stays queued */
    if (r == RING_EMPTY && is_closed(q)) {
      /* closed: deliver what a put published before the close, then say so */
      r = mp__qring_get(q, take_slot, t);
      if (r == RING_DONE) mp__queue_wake(q);
      if (r <= 0) return r;
      if (r == RING_EMPTY) return MP_ECLOSED;
    }
    mp__deadline due = mp__deadline_lazy(&d, timeout);
    int rc = queue_wait_for(q, mp__qring_get_ready, true,
                            r == RING_BUSY ? busy_deadline(due, timeout) : due);
    if (rc == MP_ETIMEDOUT) {
      /* the deadline's last look may have caught a message: take it if so */
      r = mp__qring_get(q, take_slot, t);
      if (r == RING_DONE) mp__queue_wake(q);
      if (r <= 0) return r;
      return MP_EEMPTY;
    }
    if (rc != 0) return rc;
  }
}

/* Copies a taken block's bytes to dst and gives the block back (take_slot copied an inline
 * message to its place already). */
static void deliver(mp_queue *q, queue_slot *s, void *dst) {
  if (s->len <= QUEUE_SLOT_DATA) return;
  memcpy(dst, s->u.ref.block, s->len);
  block_release(q, s->u.ref.block, s->u.ref.cap);
}

/* A get of bytes the general way: any message, waiting, the shared ring. */
mp__noinline static int get_bytes_taken(mp_queue *q, void *buf, size_t cap, size_t *len,
                                        mp_timeout_ms timeout) {
  queue_slot s;
  take_req t = {.limit = cap, .len_out = len, .out = &s, .dst = buf};
  int rc = take(q, timeout, &t);
  if (rc == 0) deliver(q, &s, buf);
  return rc;
}

int mp_queue_get_bytes(mp_queue *q, void *buf, size_t cap, size_t *len, mp_timeout_ms timeout) {
  if (q == NULL || len == NULL || (buf == NULL && cap > 0)) return -EINVAL;
  /* the stream's one consumer and an inline message: straight to the leased get */
  if (mp__qlease_owner(&q->get_lease) == mp__self() &&
      mp__qleased_get_into(q, buf, cap, len) == RING_DONE) {
    mp__queue_wake(q);
    return 0;
  }
  return get_bytes_taken(q, buf, cap, len, timeout);
}

int mp_queue_get_alloc(mp_queue *q, void **buf, size_t *len, mp_timeout_ms timeout) {
  if (buf == NULL) return -EINVAL;
  *buf = NULL;
  if (q == NULL || len == NULL) return -EINVAL;
  queue_slot s;
  void *mem = NULL;
  take_req t = {.limit = UINT64_MAX, .len_out = len, .alloc = malloc, .mem = &mem, .out = &s};
  int rc = take(q, timeout, &t);
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
  take_req t = {.limit = UINT64_MAX, .out = &s};
  int rc = take(q, timeout, &t);
  if (rc != 0) return rc;
  m->len = (size_t)s.len;
  if (s.len <= QUEUE_SLOT_DATA) {
    mp__qcopy_small(m->inline_, s.u.data, (size_t)s.len);
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
  uint64_t n = mp__qring_count(q);
  return n > INT32_MAX ? INT32_MAX : (int)n;
}

bool mp_queue_empty(mp_queue *q) { return q == NULL || mp_queue_qsize(q) == 0; }

bool mp_queue_full(mp_queue *q) {
  if (q == NULL || q->maxsize == 0) return false;
  return mp_queue_qsize(q) >= (int)q->maxsize;
}

int mp_queue_close(mp_queue *q) {
  if (q == NULL) return -EINVAL;
  atomic_store(&q->closed, 1);
  atomic_fetch_add(&q->nonempty, 1);
  atomic_fetch_add(&q->nonfull, 1);
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
  int rc = mp__queue_lock(q);
  if (rc != 0) return rc;
  if (q->done >= q->nput) {
    mp__queue_unlock(q);
    return -EOVERFLOW;
  }
  q->done++; /* commit */
  bool all = q->done == q->nput;
  if (all) atomic_fetch_add(&q->joinseq, 1);
  mp__queue_unlock(q);
  if (all) mp__wake_if_sleepers(&q->joinseq, &q->join_sleepers, INT_MAX);
  return 0;
}

/* Looked at under the lock: the counts are plain.  A lock that cannot be taken ends the wait;
 * the caller's own lock then reports why. */
static bool all_done(void *arg) {
  mp_queue *q = arg;
  if (mp__queue_lock(q) != 0) return true;
  bool all = q->done == q->nput;
  mp__queue_unlock(q);
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
  if ((rc = mp__queue_lock(q)) != 0) return rc;
  mp__queue_unlock(q);
  return 0;
}
