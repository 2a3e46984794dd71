/* SPDX-License-Identifier: MIT */
/* leased.h -- the put and get of a lease's holder (lease.c): the ring's put and get without
 * the claim and its CAS -- load the slot's state, copy, store the next state, store the tail or
 * head -- for the one thread that holds that side's lease.  They leave anything else (a full
 * or sealed ring, a claim to look behind, a revoked lease) to the shared forms of ring.c.
 *
 * Inline, because they are the whole of a message's cost when a stream has one producer and
 * one consumer: called through queue.c's layers (the public call, then put_slot or take and
 * their callback, then ring.c), a put ran about 160 instructions and a get 180, where the
 * single-producer ring of the queue_small floor runs a few dozen; mp_queue_put_bytes and
 * mp_queue_get_bytes call these first, straight from their checks. */
#ifndef MP_QUEUE_LEASED_H
#define MP_QUEUE_LEASED_H

#include "queue/queue_internal.h"

/* Enters a leased operation at position pos of its ring: whether the lease still holds.  No
 * fence between the store of working and the load of revoke: a revoker's membarrier()
 * supplies it (lease.c says why). */
static inline bool mp__qleased_enter(queue_lease *l, uint64_t pos) {
  atomic_store_explicit(&l->working, pos + 1, memory_order_relaxed);
  atomic_signal_fence(memory_order_seq_cst);
  return atomic_load_explicit(&l->revoke, memory_order_relaxed) == 0;
}

/* Leaves an operation that did not happen (it stored nothing else). */
static inline int mp__qleased_abandon(queue_lease *l) {
  atomic_store_explicit(&l->working, 0, memory_order_release);
  return RING_AGAIN;
}

/* Ends an operation that happened, whose move of the tail or head just said so: the full fence
 * between its stores and the look at the sleeper counts that follows (mp__queue_wake), which
 * the shared forms get from their locked CAS. */
static inline int mp__qleased_done(void) {
  atomic_thread_fence(memory_order_seq_cst);
  return RING_DONE;
}

/* The put of mp__qring_put() for the holder of the put lease: RING_DONE, or RING_AGAIN when
 * the lease was revoked or the slot at the tail is not simply free (full, a sealed ring, a
 * claim to look behind). */
static inline int mp__qleased_put(mp_queue *q, uint64_t len, const void *body, size_t body_len) {
  queue_lease *l = &q->put_lease;
  queue_seg *g = atomic_load_explicit(&q->prod, memory_order_acquire);
  uint64_t t = atomic_load_explicit(&g->tail, memory_order_relaxed); /* ours alone */
  if (!mp__qleased_enter(l, t)) return mp__qleased_abandon(l);
  queue_slot *s = mp__qslot_at(g, t);
  if (atomic_load_explicit(&s->state, memory_order_acquire) != t ||
      atomic_load_explicit(&g->sealed, memory_order_relaxed) != SEG_OPEN ||
      mp__qover_limit(q, g, t))
    return mp__qleased_abandon(l);
  s->len = len;
  mp__qcopy_small(s->u.data, body, body_len);
  atomic_store_explicit(&s->state, t + 1, memory_order_release);
  atomic_store_explicit(&g->tail, t + 1, memory_order_release);
  return mp__qleased_done();
}

/* Enters a leased get: the slot at the head when it holds a plain published message (its ring
 * in *g, its position in *h), else NULL with the operation abandoned. */
static inline queue_slot *mp__qleased_head(mp_queue *q, queue_seg **g, uint64_t *h) {
  queue_lease *l = &q->get_lease;
  *g = atomic_load_explicit(&q->cons, memory_order_acquire);
  *h = atomic_load_explicit(&(*g)->head, memory_order_relaxed); /* ours alone */
  queue_slot *s = mp__qslot_at(*g, *h);
  if (mp__qleased_enter(l, *h) &&
      atomic_load_explicit(&s->state, memory_order_acquire) == *h + 1)
    return s;
  mp__qleased_abandon(l);
  return NULL;
}

/* Ends a leased get that took the head's message: frees its slot for the next lap and moves the
 * head past it. */
static inline int mp__qleased_pop(queue_seg *g, queue_slot *s, uint64_t h) {
  atomic_store_explicit(&s->state, h + g->cap, memory_order_release);
  atomic_store_explicit(&g->head, h + 1, memory_order_release);
  return mp__qleased_done();
}

/* The get of mp__qring_get() for the holder of the get lease: RING_DONE, take's error (the
 * message stays queued), or RING_AGAIN when the lease was revoked or the head holds no plain
 * message. */
static inline int mp__qleased_get(mp_queue *q, int (*take)(void *arg, const queue_slot *s),
                                  void *arg) {
  queue_seg *g;
  uint64_t h;
  queue_slot *s = mp__qleased_head(q, &g, &h);
  if (s == NULL) return RING_AGAIN;
  int r = take(arg, s);
  if (r != 0) {
    mp__qleased_abandon(&q->get_lease);
    return r;
  }
  return mp__qleased_pop(g, s, h);
}

/* The leased get of an inline message of at most cap bytes into dst, its length to *len:
 * RING_DONE, or RING_AGAIN for anything else (a longer message, one in a block, no plain
 * message, a revoked lease), which the general get then handles. */
static inline int mp__qleased_get_into(mp_queue *q, void *dst, size_t cap, size_t *len) {
  queue_seg *g;
  uint64_t h;
  queue_slot *s = mp__qleased_head(q, &g, &h);
  if (s == NULL) return RING_AGAIN;
  uint64_t n = s->len;
  if (n > cap || n > QUEUE_SLOT_DATA) return mp__qleased_abandon(&q->get_lease);
  *len = (size_t)n;
  mp__qcopy_small(dst, s->u.data, (size_t)n);
  return mp__qleased_pop(g, s, h);
}

#endif
