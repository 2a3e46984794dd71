/* SPDX-License-Identifier: MIT */
/* ring.c -- the queue's lock-free rings: claiming, publishing and freeing slots, the claims of
 * dead processes, and the chaining of a larger ring when an unbounded queue's ring is full.
 * queue_internal.h gives the layout and the states of a slot.
 *
 * A put at position t of a ring: CAS the slot's state from t (free for t) to its WRITING
 * claim, write the message, store t + 1 (published), advance the ring's tail.  A get at
 * position h: CAS the state from h + 1 to its READING claim, copy the message out, store
 * h + cap (free for the next lap), advance the head.  Tail and head move only after the slot's
 * store, so the slot of the current position is always the one to look at, and a put or get
 * waiting behind a claim waits on exactly one other process:
 *   - a put killed while WRITING leaves a claim nobody will publish: whoever waits behind it
 *     (a get at h, a put at t, a grower sealing the ring) finds its owner dead after a sleep
 *     and publishes the slot as SKIP, an empty message the gets step over -- the victim's put
 *     never returned, so nothing that was in the queue is lost;
 *   - a get killed while READING leaves the message in its slot: the next get finds the
 *     reader dead and puts the message back as published, so it is delivered, in order.
 *
 * The leased forms (mp__qring_put_leased, mp__qring_get_leased) are the same put and get for
 * the one thread holding that side's lease (lease.c), without the claim and its CAS: load the
 * state, copy, store the next state, store the tail or head.  They leave anything else to the
 * forms above.
 *
 * Sealing a full ring (lock held, unbounded queues only): chain the new ring as next, store
 * sealed = the tail position s, then look at slot s: a put that claimed it before it could see
 * the seal either publishes (then s was in the ring after all: sealed = s + 1, look again) or
 * sees the seal -- every claim reads sealed after its CAS, both seq_cst, so a claim made after
 * the store sees it -- and gives the slot back.  So no message lands at or after the final
 * sealed position, and a get that finds its position free in a ring sealed there moves on to
 * the next ring, knowing the old one is drained. */
#include <limits.h>
#include <sched.h>

#include "heap/heap.h"
#include "os/wait.h"
#include "queue/queue_internal.h"

/* ---- claims ---- */

static inline uint64_t my_claim(uint64_t phase) {
  return mp__qslot_claim(mp__self(), phase);
}
static inline bool is_claim(uint64_t st) { return (st & SLOT_CLAIMED) != 0; }
static inline bool is_reading(uint64_t st) { return (st & (SLOT_CLAIMED | SLOT_READING)) == (SLOT_CLAIMED | SLOT_READING); }
static inline bool is_writing(uint64_t st) { return (st & (SLOT_CLAIMED | SLOT_READING)) == SLOT_CLAIMED; }
static inline bool claim_dead(uint64_t st) { return mp__owner_dead(mp__qslot_owner(st)); }

static inline queue_slot *slot_at(queue_seg *g, uint64_t pos) { return &g->s[pos & (g->cap - 1)]; }

static inline void advance(_Atomic uint64_t *ctr, uint64_t from) {
  atomic_compare_exchange_strong(ctr, &from, from + 1);
}

/* ---- rings ---- */

queue_seg *mp__qring_new(uint64_t cap) {
  queue_seg *g = mp__shared_alloc(sizeof(queue_seg) + cap * sizeof(queue_slot));
  if (g == NULL) return NULL;
  g->cap = cap;
  atomic_init(&g->sealed, SEG_OPEN);
  for (uint64_t i = 0; i < cap; i++) atomic_init(&g->s[i].state, i);
  return g;
}

void mp__qring_free(queue_seg *g) {
  if (g != NULL) mp__shared_free(g, sizeof(queue_seg) + g->cap * sizeof(queue_slot));
}

/* The ring puts go to now, following a seal a grower has not finished publishing. */
static queue_seg *prod_ring(mp_queue *q) {
  queue_seg *g = atomic_load_explicit(&q->prod, memory_order_acquire);
  while (atomic_load(&g->sealed) != SEG_OPEN) {
    queue_seg *n = atomic_load_explicit(&g->next, memory_order_acquire);
    atomic_compare_exchange_strong(&q->prod, &g, n);
    g = atomic_load_explicit(&q->prod, memory_order_acquire);
  }
  return g;
}

/* Whether a bounded queue holds maxsize messages with the put of position t counted (rings of
 * exactly maxsize slots need no count: a full ring is the limit). */
static inline bool over_limit(mp_queue *q, queue_seg *g, uint64_t t) {
  return q->maxsize != 0 && q->maxsize != g->cap &&
         t - atomic_load_explicit(&g->head, memory_order_acquire) >= q->maxsize;
}

/* ---- put ---- */

int mp__qring_put(mp_queue *q, uint64_t len, const void *body, size_t body_len,
                  void (*publishing)(mp_queue *, queue_slot *, uint64_t)) {
  for (;;) {
    queue_seg *g = prod_ring(q);
    uint64_t t = atomic_load_explicit(&g->tail, memory_order_acquire);
    queue_slot *s = slot_at(g, t);
    uint64_t st = atomic_load_explicit(&s->state, memory_order_acquire);
    if (st == t) {
      if (over_limit(q, g, t)) return RING_FULL;
      if (!atomic_compare_exchange_strong(&s->state, &st, my_claim(0))) continue;
      /* After the claim: a seal stored before it is seen here (both seq_cst). */
      if (atomic_load(&g->sealed) <= t || over_limit(q, g, t)) {
        atomic_store_explicit(&s->state, t, memory_order_release); /* give it back */
        if (q->maxsize != 0) return RING_FULL;
        continue;
      }
      s->len = len;
      mp__qcopy_small(s->u.data, body, body_len);
      if (publishing != NULL) publishing(q, s, t);
      atomic_store_explicit(&s->state, t + 1, memory_order_release); /* commit */
      advance(&g->tail, t);
      return RING_DONE;
    }
    bool current = atomic_load(&g->tail) == t;
    if (!current) continue;
    if (is_claim(st)) {
      if (is_writing(st)) return RING_BUSY; /* another put at t */
      return RING_FULL; /* a get still reading the previous lap's message */
    }
    uint64_t seq = st & SLOT_SEQ_MASK;
    if (seq == t + 1) { /* published; its putter has not advanced the tail yet */
      advance(&g->tail, t);
      continue;
    }
    if (seq < t) return RING_FULL; /* the previous lap's message, not yet taken */
    /* seq > t + 1 cannot be at the current tail; reload */
  }
}

/* The fence between a leased operation's stores and its look at the sleeper counts, which
 * the shared forms get from their locked CAS (mp__queue_wake). */
static inline void leased_done(queue_lease *l) {
  atomic_store_explicit(&l->busy, 0, memory_order_release);
  atomic_thread_fence(memory_order_seq_cst);
}

/* Enters a leased operation: whether the lease still holds (lease.c says why no fence). */
static inline bool leased_enter(queue_lease *l) {
  atomic_store_explicit(&l->busy, 1, memory_order_relaxed);
  atomic_signal_fence(memory_order_seq_cst);
  return atomic_load_explicit(&l->revoke, memory_order_relaxed) == 0;
}

int mp__qring_put_leased(mp_queue *q, uint64_t len, const void *body, size_t body_len) {
  queue_lease *l = &q->put_lease;
  int r = RING_AGAIN;
  if (leased_enter(l)) {
    queue_seg *g = atomic_load_explicit(&q->prod, memory_order_acquire);
    uint64_t t = atomic_load_explicit(&g->tail, memory_order_relaxed); /* ours alone */
    queue_slot *s = slot_at(g, t);
    if (atomic_load_explicit(&s->state, memory_order_acquire) == t &&
        atomic_load_explicit(&g->sealed, memory_order_relaxed) == SEG_OPEN &&
        !over_limit(q, g, t)) {
      s->len = len;
      mp__qcopy_small(s->u.data, body, body_len);
      atomic_store_explicit(&s->state, t + 1, memory_order_release);
      atomic_store_explicit(&g->tail, t + 1, memory_order_release);
      r = RING_DONE;
    }
  }
  leased_done(l);
  return r;
}

/* ---- get ---- */

/* Frees the slot of position h for the next lap and moves the head past it. */
static void release_slot(queue_seg *g, queue_slot *s, uint64_t h) {
  atomic_store_explicit(&s->state, h + g->cap, memory_order_release);
  advance(&g->head, h);
}

int mp__qring_get(mp_queue *q, int (*take)(void *arg, const queue_slot *s), void *arg) {
  for (;;) {
    queue_seg *g = atomic_load_explicit(&q->cons, memory_order_acquire);
    uint64_t h = atomic_load_explicit(&g->head, memory_order_acquire);
    /* sealed before the slot: a free slot seen after a seal at or before h is final */
    uint64_t sealed = atomic_load(&g->sealed);
    queue_slot *s = slot_at(g, h);
    uint64_t st = atomic_load(&s->state);
    if ((st & ~SLOT_SKIP) == h + 1) {
      uint64_t seen = st;
      if (!atomic_compare_exchange_strong(&s->state, &st, my_claim(SLOT_READING))) continue;
      if (seen & SLOT_SKIP) { /* a dead putter's slot: nothing in it */
        release_slot(g, s, h);
        continue;
      }
      int rc = take(arg, s);
      if (rc != 0) { /* leave the message queued */
        atomic_store_explicit(&s->state, seen, memory_order_release);
        return rc;
      }
      release_slot(g, s, h);
      return RING_DONE;
    }
    if (atomic_load(&g->head) != h) continue;
    if (is_claim(st)) return RING_BUSY; /* being written, or another get reading it */
    uint64_t seq = st & SLOT_SEQ_MASK;
    if (seq == h) { /* free: nothing published at h */
      if (sealed > h) return RING_EMPTY;
      queue_seg *n = atomic_load_explicit(&g->next, memory_order_acquire);
      atomic_compare_exchange_strong(&q->cons, &g, n); /* drained: on to the next ring */
      continue;
    }
    if (seq == h + g->cap) advance(&g->head, h); /* taken; its getter has not moved the head */
  }
}

int mp__qring_get_leased(mp_queue *q, int (*take)(void *arg, const queue_slot *s), void *arg) {
  queue_lease *l = &q->get_lease;
  int r = RING_AGAIN;
  if (leased_enter(l)) {
    queue_seg *g = atomic_load_explicit(&q->cons, memory_order_acquire);
    uint64_t h = atomic_load_explicit(&g->head, memory_order_relaxed); /* ours alone */
    queue_slot *s = slot_at(g, h);
    if (atomic_load_explicit(&s->state, memory_order_acquire) == h + 1) {
      r = take(arg, s); /* an error leaves the message queued */
      if (r == 0) {
        atomic_store_explicit(&s->state, h + g->cap, memory_order_release);
        atomic_store_explicit(&g->head, h + 1, memory_order_release);
        r = RING_DONE;
      }
    }
  }
  leased_done(l);
  return r;
}

/* ---- waiting ---- */

bool mp__qring_get_ready(mp_queue *q) {
  queue_seg *g = atomic_load_explicit(&q->cons, memory_order_acquire);
  uint64_t h = atomic_load_explicit(&g->head, memory_order_acquire);
  uint64_t st = atomic_load(&slot_at(g, h)->state);
  if (is_claim(st)) return false; /* its owner's store wakes us */
  if (st == h) return atomic_load(&g->sealed) <= h;
  return true;
}

bool mp__qring_put_ready(mp_queue *q) {
  queue_seg *g = prod_ring(q);
  uint64_t t = atomic_load_explicit(&g->tail, memory_order_acquire);
  uint64_t st = atomic_load(&slot_at(g, t)->state);
  if (is_claim(st) || over_limit(q, g, t)) return false;
  return (st & SLOT_SEQ_MASK) >= t;
}

bool mp__qring_put_room(mp_queue *q, uint64_t ahead) {
  queue_seg *g = prod_ring(q);
  uint64_t t = atomic_load_explicit(&g->tail, memory_order_acquire);
  if (ahead >= g->cap) ahead = g->cap - 1;
  if (over_limit(q, g, t + ahead)) return false;
  uint64_t st = atomic_load(&slot_at(g, t + ahead)->state);
  if (is_claim(st)) return false;
  return (st & SLOT_SEQ_MASK) >= t + ahead;
}

/* Publishes a dead putter's claim of position pos as an empty slot and moves the tail past it;
 * puts back a dead getter's claim as the message it was reading.  true when it did either. */
static bool heal_slot(queue_seg *g, uint64_t pos, bool at_head) {
  queue_slot *s = slot_at(g, pos);
  uint64_t st = atomic_load(&s->state);
  if (!is_claim(st) || !claim_dead(st)) return false;
  if (is_writing(st)) {
    if (!atomic_compare_exchange_strong(&s->state, &st, (pos + 1) | SLOT_SKIP)) return false;
    advance(&g->tail, pos);
    return true;
  }
  /* a reader of the head position; a reader at the tail is the previous lap's, whose
   * position is that of the head */
  if (!at_head) return false;
  return atomic_compare_exchange_strong(&s->state, &st, pos + 1);
}

bool mp__qring_heal(mp_queue *q) {
  queue_seg *c = atomic_load_explicit(&q->cons, memory_order_acquire);
  bool healed = heal_slot(c, atomic_load(&c->head), true);
  queue_seg *p = atomic_load_explicit(&q->prod, memory_order_acquire);
  uint64_t t = atomic_load(&p->tail);
  /* (a full ring whose oldest message a dead get holds has that claim at its head too) */
  if (heal_slot(p, t, false)) healed = true;
  return healed;
}

/* ---- growing ---- */

/* Seals g at its tail (see the top of the file).  Lock held. */
static void seal(queue_seg *g) {
  uint64_t s = atomic_load(&g->tail);
  atomic_store(&g->sealed, s);
  for (int round = 0;; round++) {
    uint64_t st = atomic_load(&slot_at(g, s)->state);
    if (is_writing(st)) { /* a put that claimed s before the seal: wait for its decision */
      if (round > 64 && heal_slot(g, s, false)) continue;
      if (round % 64 == 63) sched_yield();
      mp__cpu_relax();
      continue;
    }
    if (!is_claim(st) && (st & SLOT_SEQ_MASK) == s + 1) { /* it published: s is in the ring */
      advance(&g->tail, s);
      s++;
      atomic_store(&g->sealed, s);
      round = 0;
      continue;
    }
    return; /* free or still the previous lap's: no put will land at s */
  }
}

int mp__qring_grow(mp_queue *q, queue_seg *full, bool with_room) {
  if (atomic_load(&q->prod) != full || atomic_load(&full->sealed) != SEG_OPEN) return 0;
  uint64_t t = atomic_load(&full->tail);
  uint64_t st = atomic_load(&slot_at(full, t)->state);
  /* room again (a reader's claim is on the oldest message: the ring is full) */
  if (!with_room && (is_writing(st) || (!is_claim(st) && (st & SLOT_SEQ_MASK) >= t))) return 0;
  queue_seg *n = mp__qring_new(full->cap * 2);
  if (n == NULL) return -ENOMEM;
  atomic_store_explicit(&full->next, n, memory_order_release);
  seal(full);
  atomic_store_explicit(&q->prod, n, memory_order_release);
  return 0;
}

/* ---- counting and freeing ---- */

uint64_t mp__qring_count(mp_queue *q) {
  uint64_t n = 0;
  for (queue_seg *g = atomic_load(&q->cons); g != NULL; g = atomic_load(&g->next)) {
    uint64_t end = atomic_load(&g->tail), sealed = atomic_load(&g->sealed);
    if (sealed < end) end = sealed;
    uint64_t h = atomic_load(&g->head);
    if (end > h) n += end - h;
    if (sealed == SEG_OPEN) break;
  }
  return n;
}

void mp__qring_drop_all(mp_queue *q) {
  for (queue_seg *g = q->first; g != NULL; g = atomic_load(&g->next)) {
    for (uint64_t i = 0; i < g->cap; i++) {
      queue_slot *s = &g->s[i];
      uint64_t st = atomic_load(&s->state);
      /* a published message (seq one past a position of this slot), or one a dead get was
       * reading; a dead put's claim holds nothing of the queue's */
      bool held = is_reading(st) ||
                  (!is_claim(st) && !(st & SLOT_SKIP) && ((st - 1) & (g->cap - 1)) == i && st != 0);
      if (held && s->len > QUEUE_SLOT_DATA) mp__shared_free(s->u.ref.block, s->u.ref.cap);
    }
  }
}

void mp__queue_wake(mp_queue *q) {
#if defined(__x86_64__)
  /* the advance's lock cmpxchg (done or failed) drained the slot's store: keep the compiler
   * from moving the loads below above it */
  atomic_signal_fence(memory_order_seq_cst);
#else
  atomic_thread_fence(memory_order_seq_cst);
#endif
  if (atomic_load_explicit(&q->get_sleepers, memory_order_relaxed) != 0) {
    atomic_fetch_add(&q->nonempty, 1);
    (void)mp__futex_wake(&q->nonempty, INT_MAX);
  }
  if (atomic_load_explicit(&q->put_sleepers, memory_order_relaxed) != 0) {
    atomic_fetch_add(&q->nonfull, 1);
    (void)mp__futex_wake(&q->nonfull, INT_MAX);
  }
}
