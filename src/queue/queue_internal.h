/* SPDX-License-Identifier: MIT */
/* queue_internal.h -- the layout of a queue in the shared heap, shared by ring.c (the lock-free
 * ring of slots), queue.c (bytes, waits, close, JoinableQueue), queue_obj.c (values) and
 * queue_watch.c (the event-loop fd).  docs/queue.md explains the design.
 *
 * Messages travel through rings of 64-byte slots without a lock: a put claims the slot of the
 * ring's tail position with one CAS on the slot's state word, writes it and publishes it with
 * one store; a get claims the slot of the head position the same way, reads it and frees it for
 * the next lap (the bounded MPMC ring with per-slot sequence numbers, whose claims also name
 * their owner so that a process killed holding one is noticed).  A side of the queue that has
 * had one thread only holds a lease and goes without the CAS (lease.c).  Producers touch the tail's
 * cache line, consumers the head's, and both the slot's: one producer and one consumer pass
 * each slot line once each way and share nothing else.
 *
 * An unbounded queue grows by rings ("segments") chained in order: a put that finds its ring
 * full (and, for a ring of 4096 slots or more, no room soon: queue.c) takes the queue's lock,
 * chains a ring twice as large and seals the full one at its tail position, after which every
 * put goes to the new ring and gets drain the old one before they move on.  Old rings stay
 * chained until mp_queue_free(): a get still reading one must never find it freed, and a ring
 * that once held n messages is the size the queue needs again.
 *
 * The lock (owner-tracking, os/olock.h) guards only what is rare: sealing and chaining a ring,
 * the cache of large-message blocks, and a JoinableQueue's count of puts. */
#ifndef MP_QUEUE_INTERNAL_H
#define MP_QUEUE_INTERNAL_H

#include <stdatomic.h>
#include <stdint.h>

#include "os/olock.h"

#define QUEUE_SLOT_DATA 48
_Static_assert(QUEUE_SLOT_DATA == MP_QUEUE_INLINE_MAX, "inline size must match the header");

/* A slot's state word.  Unclaimed, it is the slot's sequence number for the ring's position p
 * of the current lap: p when the slot is free for the put of position p, p + 1 once that put
 * published it (with SLOT_SKIP when the putter died instead and a survivor published it as
 * empty).  Claimed, it is SLOT_CLAIMED | phase | the claimer's owner id (os/olock.h, packed
 * into 62 bits): a put writing it (SLOT_WRITING) or a get reading it (SLOT_READING).  A claim
 * whose owner died is taken over or skipped by whoever waits behind it (ring.c). */
#define SLOT_CLAIMED (UINT64_C(1) << 63)
#define SLOT_READING (UINT64_C(1) << 62)
#define SLOT_SKIP (UINT64_C(1) << 62) /* unclaimed: published by a survivor, holds nothing */
#define SLOT_SEQ_MASK ((UINT64_C(1) << 62) - 1)

/* The claim word of owner id (bits 30 and 31 are olock flags, always clear in an id, so the
 * id packs into 62 bits), and the owner id of a claim word. */
static inline uint64_t mp__qslot_claim(uint64_t id, uint64_t phase) {
  return SLOT_CLAIMED | phase | (id & UINT64_C(0x3FFFFFFF)) | (id >> 32) << 30;
}
static inline uint64_t mp__qslot_owner(uint64_t st) {
  st &= SLOT_SEQ_MASK;
  return (st & UINT64_C(0x3FFFFFFF)) | (st >> 30) << 32;
}

/* Copies n <= QUEUE_SLOT_DATA bytes between a slot and a caller's buffer (which do not
 * overlap) with a few fixed-size moves, some overlapping: a message's bytes into or out of a
 * slot, where a call to memcpy, or a loop, for a handful of bytes costs more than the moves. */
static inline void mp__qcopy_small(void *dst, const void *src, size_t n) {
  unsigned char *d = dst;
  const unsigned char *s = src;
  if (n >= 16) { /* the first 16, the middle 16 of a message over 32, the last 16 */
    __builtin_memcpy(d, s, 16);
    if (n > 32) __builtin_memcpy(d + 16, s + 16, 16);
    __builtin_memcpy(d + n - 16, s + n - 16, 16);
  } else if (n >= 8) {
    __builtin_memcpy(d, s, 8);
    __builtin_memcpy(d + n - 8, s + n - 8, 8);
  } else if (n >= 4) {
    __builtin_memcpy(d, s, 4);
    __builtin_memcpy(d + n - 4, s + n - 4, 4);
  } else if (n > 0) { /* 1 to 3 bytes */
    d[0] = s[0];
    d[n / 2] = s[n / 2];
    d[n - 1] = s[n - 1];
  }
}

/* One message.  len <= QUEUE_SLOT_DATA: the bytes are inline; otherwise ref names a heap block
 * of cap bytes (cap >= len) holding them. */
typedef struct queue_slot {
  _Atomic uint64_t state;
  uint64_t len;
  union {
    unsigned char data[QUEUE_SLOT_DATA];
    struct {
      void *block;
      uint64_t cap;
    } ref;
  } u;
} queue_slot;
_Static_assert(sizeof(queue_slot) == 64, "a slot is one cache line");

/* One ring: cap slots (a power of two, at least 2); position p sits in s[p & (cap - 1)].
 * tail: puts published here (positions below it are published or skipped); head: gets that
 * freed their slot (positions below it are consumed).  Each is advanced by its owner after the
 * slot's store, and by anyone who finds the slot already past it.  sealed: UINT64_MAX while
 * puts may go here, else the first position that is not in this ring (ring.c). */
typedef struct queue_seg {
  _Alignas(64) _Atomic uint64_t tail;
  _Alignas(64) _Atomic uint64_t head;
  _Alignas(64) uint64_t cap;
  _Atomic uint64_t sealed;
  struct queue_seg *_Atomic next; /* the ring chained after this one, set before sealed */
  _Alignas(64) queue_slot s[];
} queue_seg;

#define SEG_OPEN UINT64_MAX

/* The slot of ring position pos. */
static inline queue_slot *mp__qslot_at(queue_seg *g, uint64_t pos) {
  return &g->s[pos & (g->cap - 1)];
}

enum { QUEUE_PLAIN, QUEUE_SIMPLE, QUEUE_JOINABLE };

/* A large-message block kept for reuse. */
typedef struct queue_block {
  void *block;
  uint64_t cap;
} queue_block;

#define QUEUE_CACHE 16 /* large-message blocks kept for reuse */

/* A lease on one side of a queue (its puts, or its gets), lease.c: while one thread does all of
 * a side's operations it holds the lease and does them without a CAS -- a load of the slot's
 * state, the copy, a store of the next state, a store of the tail or head -- as a single
 * producer or consumer ring would.  Another thread that comes to that side revokes the lease
 * (waiting out the holder's operation in flight, made visible by a process-wide memory
 * barrier); from then on the side is shared and every operation claims its slot with a CAS.
 * owner: LEASE_FREE, LEASE_SHARED or the holder's owner id (os/olock.h).  working: p + 1 from
 * the start of the holder's leased operation at position p of its ring, left so once it
 * succeeded (the tail or head then reads p + 1 too), 0 after one that did not happen; so an
 * operation is in flight exactly while working == position + 1 (mp__qlease_in_flight) --
 * one store per operation, where a flag raised and cleared around it cost two (queue_small's
 * median 57.9 -> 85.5 M msgs/s without the second).  revoke: set by a revoker before it waits. */
#define LEASE_FREE UINT64_C(0)
#define LEASE_SHARED UINT64_MAX

typedef struct queue_lease {
  _Alignas(64) _Atomic uint64_t owner;
  _Atomic uint64_t working;
  _Atomic uint32_t revoke;
} queue_lease;

struct mp_queue {
  /* line 1: read by every put and get, written rarely */
  _Alignas(64) queue_seg *_Atomic prod; /* the ring puts go to */
  queue_seg *_Atomic cons; /* the ring gets take from (prod, or one chained before it) */
  queue_seg *first; /* the oldest ring: the chain's start, for mp_queue_free() */
  _Atomic uint32_t closed;
  uint32_t maxsize; /* 0: unbounded (the ring grows) */
  uint32_t kind;
  /* line 2: the wake-up words; their counts are read after every put and get */
  _Alignas(64) _Atomic uint32_t get_sleepers;
  _Atomic uint32_t put_sleepers;
  _Atomic uint32_t nonempty; /* futex: bumped by a put (or close) when getters sleep */
  _Atomic uint32_t nonfull; /* futex: bumped by a get (or close) when putters sleep */
  /* line 3: the lock and what it guards */
  _Alignas(64) mp__olock lock;
  uint32_t recoveries; /* take-overs from a dead lock holder, for diagnostics */
  _Atomic uint32_t ncache; /* written under lock; read lock-free as a hint */
  queue_block cache[QUEUE_CACHE];
  /* JoinableQueue (under lock): puts counted, task_done calls, and the put in flight */
  uint64_t nput;
  uint64_t done; /* unfinished = nput - done */
  queue_slot *jslot; /* NULL, or the slot a put holding the lock is publishing... */
  uint64_t jpos; /* ...at this position of its ring... */
  uint64_t jtarget; /* ...after which nput becomes this */
  _Atomic uint32_t joinseq; /* futex: bumped when unfinished reaches 0 */
  _Atomic uint32_t join_sleepers;
  /* lines 4 and 5: each written by its side's lease holder on every operation */
  queue_lease put_lease;
  queue_lease get_lease;
};

/* Whether a bounded queue holds maxsize messages with the put of position t counted (rings of
 * exactly maxsize slots need no count: a full ring is the limit). */
static inline bool mp__qover_limit(mp_queue *q, queue_seg *g, uint64_t t) {
  return q->maxsize != 0 && q->maxsize != g->cap &&
         t - atomic_load_explicit(&g->head, memory_order_acquire) >= q->maxsize;
}

/* ---- ring.c ---- */

/* The result of one try at a ring operation. */
enum {
  RING_DONE = 0, /* the operation happened */
  RING_EMPTY = 1, /* (get) nothing published at the head */
  RING_BUSY = 2, /* a claim of another process in the way: wait for its store */
  RING_FULL = 3, /* (put) no free slot, or a bounded queue holds maxsize: an unbounded one grows */
  RING_AGAIN = 4 /* (leased forms) not done without a CAS: do it the shared way */
};

/* Makes a ring of cap slots (a power of two >= 2) in the shared heap; NULL when exhausted. */
queue_seg *mp__qring_new(uint64_t cap);
void mp__qring_free(queue_seg *g);

/* One try at putting a message of len bytes into the queue's current ring: the slot's u gets
 * the body_len bytes at body (the bytes themselves, or a filled block's ref).
 * publishing, when not NULL, is called with the slot written and about to be published (a
 * JoinableQueue records the put in flight).  Returns RING_DONE, RING_BUSY or RING_FULL. */
int mp__qring_put(mp_queue *q, uint64_t len, const void *body, size_t body_len,
                  void (*publishing)(mp_queue *, queue_slot *, uint64_t));

/* One try at taking the oldest message.  take(arg, slot) is called with the slot claimed: it
 * copies what it needs and returns 0, or a non-zero error that leaves the message queued (too
 * big for the caller, no memory; a negative errno or an MP_E code).  Returns RING_DONE,
 * RING_EMPTY, RING_BUSY or take()'s error. */
int mp__qring_get(mp_queue *q, int (*take)(void *arg, const queue_slot *s), void *arg);

/* Whether a get may find something now (a message, a claim to look behind, or a sealed ring to
 * move on from), for a waiting get's spin.  Lock-free. */
bool mp__qring_get_ready(mp_queue *q);
/* Whether a put may succeed now. */
bool mp__qring_put_ready(mp_queue *q);
/* Whether the ring has room for ahead + 1 more puts: the slot ahead positions past the tail is
 * free for its position (ahead is capped at the ring's size less one), within maxsize. */
bool mp__qring_put_room(mp_queue *q, uint64_t ahead);

/* After a wait's sleep: publishes as empty a slot whose putter died writing it, and puts back
 * a message whose getter died reading it, so the calls behind them go on (true when it did). */
bool mp__qring_heal(mp_queue *q);

/* Chains a ring twice the size of the full current one and seals that one (lock held), unless
 * another put grew it first or, when with_room is false, the ring has room again.  0, or
 * -ENOMEM. */
int mp__qring_grow(mp_queue *q, queue_seg *full, bool with_room);

/* The number of messages queued across the rings, at some moment during the call. */
uint64_t mp__qring_count(mp_queue *q);

/* Frees the large-message blocks of every message still queued (no process uses the queue). */
void mp__qring_drop_all(mp_queue *q);

/* ---- lease.c ---- */

/* The lease l's owner, as a put or get reads it first: the caller's own owner id (it holds
 * the lease), LEASE_SHARED, or anything else (mp__qlease_settle() then decides). */
static inline uint64_t mp__qlease_owner(queue_lease *l) {
  return atomic_load_explicit(&l->owner, memory_order_relaxed);
}
/* The position the leased operations of l work at: the tail of the ring puts go to (the put
 * lease) or the head of the ring gets take from (the get lease). */
static inline uint64_t mp__qlease_pos(mp_queue *q, queue_lease *l) {
  if (l == &q->put_lease) return atomic_load(&atomic_load(&q->prod)->tail);
  return atomic_load(&atomic_load(&q->cons)->head);
}
/* Whether l's holder is inside a leased operation (or died inside one).  The position is read
 * before working: the holder stores working before it moves the position, so a position that
 * moved past an operation comes with that operation's working, and an operation begun after
 * the position was read shows working == position + 1. */
static inline bool mp__qlease_in_flight(mp_queue *q, queue_lease *l) {
  uint64_t pos = mp__qlease_pos(q, l);
  return atomic_load(&l->working) == pos + 1;
}
/* Settles the lease l for the calling thread, which does not hold it: takes a free lease (when
 * this process can have the memory barriers that revoking needs, else makes the side shared),
 * or revokes another thread's: waits until its operation in flight, if any, is over (or its
 * owner dead) and makes the side shared -- or takes the lease over when the holder is dead.
 * Holds the queue's lock while revoking.  0; MP_ETIMEDOUT when the holder stayed inside an
 * operation past the deadline (a stopped process), the lease still set to be revoked; or the
 * lock's error. */
int mp__qlease_settle(mp_queue *q, queue_lease *l, mp__deadline d);

/* Wakes sleeping getters and putters (each only when some counted themselves): right after a
 * put or a get returned RING_DONE, whose change may end either kind of wait.  Its look at the
 * sleeper counts must come after the slot's store, a store-load order that needs a full fence;
 * on x86-64 the locked CAS that advanced the tail or head after that store is one, so only
 * other targets pay for a fence of their own; the leased forms pass one themselves (leased.h).  Inline:
 * it follows every message. */
/* The rare half of mp__queue_wake: some sleeper counted itself (ring.c). */
void mp__queue_wake_sleepers(mp_queue *q);
static inline void mp__queue_wake(mp_queue *q) {
#if defined(__x86_64__)
  atomic_signal_fence(memory_order_seq_cst); /* keep the loads below after the locked CAS */
#else
  atomic_thread_fence(memory_order_seq_cst);
#endif
  if (atomic_load_explicit(&q->get_sleepers, memory_order_relaxed) != 0 ||
      atomic_load_explicit(&q->put_sleepers, memory_order_relaxed) != 0)
    mp__queue_wake_sleepers(q);
}

/* Heals the dead claims a waiter may be stuck behind (mp__qring_heal, under the lock for a
 * JoinableQueue): after a wait's sleep (queue.c, queue_watch.c).  true when it healed one. */
bool mp__queue_heal(mp_queue *q);

/* Takes the queue lock, handling a dead holder's take-over (queue.c). */
int mp__queue_lock(mp_queue *q);
void mp__queue_unlock(mp_queue *q);

#endif
