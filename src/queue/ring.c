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
 * The leased forms of leased.h are the same put and get for the one thread holding that
 * side's lease (lease.c), without the claim and its CAS; they leave anything else to these.
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

/* ---- put ---- */

int mp__qring_put(mp_queue *q, uint64_t len, const void *body, size_t body_len,
                  void (*publishing)(mp_queue *, queue_slot *, uint64_t)) {
  for (;;) {
    queue_seg *g = prod_ring(q);
    uint64_t t = atomic_load_explicit(&g->tail, memory_order_acquire);
    queue_slot *s = mp__qslot_at(g, t);
    uint64_t st = atomic_load_explicit(&s->state, memory_order_acquire);
    if (st == t) {
      if (mp__qover_limit(q, g, t)) return RING_FULL;
      if (!atomic_compare_exchange_strong(&s->state, &st, my_claim(0))) continue;
      /* After the claim: a seal stored before it is seen here (both seq_cst). */
      if (atomic_load(&g->sealed) <= t || mp__qover_limit(q, g, t)) {
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
    queue_slot *s = mp__qslot_at(g, h);
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

/* ---- waiting ---- */

bool mp__qring_get_ready(mp_queue *q) {
  queue_seg *g = atomic_load_explicit(&q->cons, memory_order_acquire);
  uint64_t h = atomic_load_explicit(&g->head, memory_order_acquire);
  uint64_t st = atomic_load(&mp__qslot_at(g, h)->state);
  if (is_claim(st)) return false; /* its owner's store wakes us */
  if (st == h) return atomic_load(&g->sealed) <= h;
  return true;
}

bool mp__qring_put_ready(mp_queue *q) {
  queue_seg *g = prod_ring(q);
  uint64_t t = atomic_load_explicit(&g->tail, memory_order_acquire);
  uint64_t st = atomic_load(&mp__qslot_at(g, t)->state);
  if (is_claim(st) || mp__qover_limit(q, g, t)) return false;
  /* A full ring of an unbounded queue is no reason to wait: the put grows it.  (A put waiting
   * behind another's claim on the ring's last free slot slept to its deadline once that put
   * had filled the ring, when no more puts or gets came to wake it.) */
  return q->maxsize == 0 || (st & SLOT_SEQ_MASK) >= t;
}

bool mp__qring_put_room(mp_queue *q, uint64_t ahead) {
  queue_seg *g = prod_ring(q);
  uint64_t t = atomic_load_explicit(&g->tail, memory_order_acquire);
  if (ahead >= g->cap) ahead = g->cap - 1;
  if (mp__qover_limit(q, g, t + ahead)) return false;
  uint64_t st = atomic_load(&mp__qslot_at(g, t + ahead)->state);
  if (is_claim(st)) return false;
  return (st & SLOT_SEQ_MASK) >= t + ahead;
}

/* Publishes a dead putter's claim of position pos as an empty slot and moves the tail past it;
 * puts back a dead getter's claim as the message it was reading.  true when it did either. */
static bool heal_slot(queue_seg *g, uint64_t pos, bool at_head) {
  queue_slot *s = mp__qslot_at(g, pos);
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
    uint64_t st = atomic_load(&mp__qslot_at(g, s)->state);
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
  uint64_t st = atomic_load(&mp__qslot_at(full, t)->state);
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

void mp__queue_wake_sleepers(mp_queue *q) {
  if (atomic_load_explicit(&q->get_sleepers, memory_order_relaxed) != 0) {
    atomic_fetch_add(&q->nonempty, 1);
    (void)mp__futex_wake(&q->nonempty, INT_MAX);
  }
  if (atomic_load_explicit(&q->put_sleepers, memory_order_relaxed) != 0) {
    atomic_fetch_add(&q->nonfull, 1);
    (void)mp__futex_wake(&q->nonfull, INT_MAX);
  }
}
