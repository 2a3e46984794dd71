/* SPDX-License-Identifier: MIT */
/* raw_spsc_ring.h -- the floor of queue_small: the queue's own mechanism done raw, for one
 * producer and one consumer.  A ring of 64-byte slots in shared memory, each with a sequence
 * number that says whose turn it is (p: free for the put of position p; p + 1: holds that
 * message; p + CAP: taken, free for the next lap), as multiproc's ring has (docs/queue.md).
 * With one producer and one consumer nobody competes for a slot, so where multiproc claims it
 * with a CAS that names its owner and moves a shared head or tail, this ring only loads the
 * sequence, writes the payload and stores the next sequence; each side keeps its position in a
 * local variable.  A full or empty ring is waited on with raw_spin_wait.h (poll, then sleep;
 * a wake only when somebody sleeps), as multiproc's waits poll before they sleep.
 *
 * What the floor leaves out is what multiproc pays for MPMC and death safety: the claim's CAS,
 * the owner stamp, the shared head and tail, dead-claim checks, close, growth, the heap for
 * long messages, timeouts.  Nothing else can make a cross-process message of this layout
 * cheaper: each message costs one slot line passed to the consumer and back. */
#ifndef MP_BENCH_RAW_SPSC_RING_H
#define MP_BENCH_RAW_SPSC_RING_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>

#include "bench_util.h"
#include "raw_spin_wait.h"

#define RAW_SPSC_CAP 4096 /* a power of two: the depth of the other queue floors' rings */

typedef struct raw_spsc_slot {
  _Alignas(64) _Atomic uint64_t seq;
  uint64_t payload;
} raw_spsc_slot;
_Static_assert(sizeof(raw_spsc_slot) == 64, "a slot is one cache line, as multiproc's");

typedef struct raw_spsc {
  raw_wake not_empty; /* the consumer of an empty ring sleeps here */
  raw_wake not_full; /* the producer of a full ring sleeps here */
  raw_spsc_slot slot[RAW_SPSC_CAP];
} raw_spsc;

/* Empties the ring (no process may be using it). */
static inline void raw_spsc_reset(raw_spsc *r) {
  for (uint64_t i = 0; i < RAW_SPSC_CAP; i++) atomic_store(&r->slot[i].seq, i);
}

/* A fresh ring in a shared mapping, faulted in. */
static inline raw_spsc *raw_spsc_new(void) {
  raw_spsc *r = mmap(NULL, sizeof(raw_spsc), PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (r == MAP_FAILED) bench_die("raw spsc ring: mmap failed");
  raw_spsc_reset(r);
  return r;
}

/* What a waiter waits for: its slot's sequence to reach turn. */
typedef struct raw_spsc_turn {
  raw_spsc_slot *slot;
  uint64_t turn;
} raw_spsc_turn;

static inline bool raw_spsc_turn_came(void *arg) {
  raw_spsc_turn *t = arg;
  return atomic_load_explicit(&t->slot->seq, memory_order_acquire) == t->turn;
}

/* The room a producer that found the ring full waits for: multiproc's put does the same
 * (queue.c, room_soon: an eighth of the ring, at most 256 puts), so that the two sides do not
 * meet on every slot line after it, each pulling the line from the other CPU. */
#define RAW_SPSC_BATCH 256

/* Puts v at position pos (the producer's count of its puts so far). */
static inline void raw_spsc_push(raw_spsc *r, uint64_t pos, uint64_t v) {
  raw_spsc_slot *s = &r->slot[pos & (RAW_SPSC_CAP - 1)];
  if (atomic_load_explicit(&s->seq, memory_order_acquire) != pos) { /* full */
    /* the consumer frees slots in order: once position pos + BATCH's slot is free, so are the
     * BATCH slots before it */
    uint64_t ahead = pos + RAW_SPSC_BATCH;
    raw_spsc_slot *room = &r->slot[ahead & (RAW_SPSC_CAP - 1)];
    raw_spin_wait(&r->not_full, raw_spsc_turn_came, &(raw_spsc_turn){room, ahead});
  }
  s->payload = v;
  atomic_store_explicit(&s->seq, pos + 1, memory_order_release);
  raw_spin_wake(&r->not_empty);
}

/* Takes the message of position pos (the consumer's count of its gets so far). */
static inline uint64_t raw_spsc_pop(raw_spsc *r, uint64_t pos) {
  raw_spsc_slot *s = &r->slot[pos & (RAW_SPSC_CAP - 1)];
  if (atomic_load_explicit(&s->seq, memory_order_acquire) != pos + 1) /* empty */
    raw_spin_wait(&r->not_empty, raw_spsc_turn_came, &(raw_spsc_turn){s, pos + 1});
  uint64_t v = s->payload;
  atomic_store_explicit(&s->seq, pos + RAW_SPSC_CAP, memory_order_release);
  raw_spin_wake(&r->not_full);
  return v;
}

#endif
