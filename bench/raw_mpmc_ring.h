/* SPDX-License-Identifier: MIT */
/* raw_mpmc_ring.h -- the floor of queue_mpmc: a bounded lock-free multi-producer
 * multi-consumer ring in shared memory, the well-known design with a sequence number per slot
 * (D. Vyukov's bounded MPMC queue), written here from its description.
 *
 * Slot i of a ring of RAW_MPMC_CAP holds the message of position p = i + k * CAP.  Its
 * sequence says whose turn it is: p when the slot is free for the producer of position p,
 * p + 1 once that message is in it, p + CAP once its consumer has taken it (free for the
 * producer of p + CAP).  A producer claims a position with one CAS on the enqueue counter when
 * its slot's sequence says free, writes the payload and publishes it by storing the sequence; a
 * consumer does the same on the dequeue counter.  A full or empty ring is waited on with
 * raw_spin_wait.h (poll, then sleep on a wake word; wakes only when somebody sleeps).  8-byte
 * payloads, nothing else: no close, no dead-process checks, no growth. */
#ifndef MP_BENCH_RAW_MPMC_RING_H
#define MP_BENCH_RAW_MPMC_RING_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>

#include "bench_util.h"
#include "raw_spin_wait.h"

#define RAW_MPMC_CAP 4096 /* a power of two: the depth of the other queue floors' rings */

typedef struct raw_mpmc_slot {
  _Atomic uint64_t seq;
  uint64_t payload;
} raw_mpmc_slot;

typedef struct raw_mpmc {
  _Alignas(64) _Atomic uint64_t enq; /* positions claimed by producers */
  _Alignas(64) _Atomic uint64_t deq; /* positions claimed by consumers */
  raw_wake not_empty; /* consumers of an empty ring sleep here */
  raw_wake not_full; /* producers of a full ring sleep here */
  _Alignas(64) raw_mpmc_slot slot[RAW_MPMC_CAP];
} raw_mpmc;

/* Empties the ring (no process may be using it). */
static inline void raw_mpmc_reset(raw_mpmc *r) {
  atomic_store(&r->enq, 0);
  atomic_store(&r->deq, 0);
  for (uint64_t i = 0; i < RAW_MPMC_CAP; i++) atomic_store(&r->slot[i].seq, i);
}

/* A fresh ring in a shared mapping, faulted in. */
static inline raw_mpmc *raw_mpmc_new(void) {
  raw_mpmc *r = mmap(NULL, sizeof(raw_mpmc), PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (r == MAP_FAILED) bench_die("raw mpmc ring: mmap failed");
  raw_mpmc_reset(r);
  return r;
}

/* What a waiter waits for: the slot of position pos to reach turn (as a signed distance, so
 * a slot already past it also ends the wait and the caller looks again). */
typedef struct raw_mpmc_turn {
  raw_mpmc_slot *slot;
  uint64_t turn;
} raw_mpmc_turn;

static inline bool raw_mpmc_turn_came(void *arg) {
  raw_mpmc_turn *t = arg;
  return (int64_t)(atomic_load_explicit(&t->slot->seq, memory_order_acquire) - t->turn) >= 0;
}

static inline void raw_mpmc_push(raw_mpmc *r, uint64_t v) {
  uint64_t pos = atomic_load_explicit(&r->enq, memory_order_relaxed);
  raw_mpmc_slot *s;
  for (;;) {
    s = &r->slot[pos & (RAW_MPMC_CAP - 1)];
    int64_t d = (int64_t)(atomic_load_explicit(&s->seq, memory_order_acquire) - pos);
    if (d == 0) {
      if (atomic_compare_exchange_weak_explicit(&r->enq, &pos, pos + 1, memory_order_relaxed,
                                                memory_order_relaxed))
        break;
    } else if (d < 0) { /* full: the slot's previous message is not taken yet */
      raw_spin_wait(&r->not_full, raw_mpmc_turn_came, &(raw_mpmc_turn){s, pos});
      pos = atomic_load_explicit(&r->enq, memory_order_relaxed);
    } else {
      pos = atomic_load_explicit(&r->enq, memory_order_relaxed);
    }
  }
  s->payload = v;
  atomic_store_explicit(&s->seq, pos + 1, memory_order_release);
  raw_spin_wake(&r->not_empty);
}

static inline uint64_t raw_mpmc_pop(raw_mpmc *r) {
  uint64_t pos = atomic_load_explicit(&r->deq, memory_order_relaxed);
  raw_mpmc_slot *s;
  for (;;) {
    s = &r->slot[pos & (RAW_MPMC_CAP - 1)];
    int64_t d = (int64_t)(atomic_load_explicit(&s->seq, memory_order_acquire) - (pos + 1));
    if (d == 0) {
      if (atomic_compare_exchange_weak_explicit(&r->deq, &pos, pos + 1, memory_order_relaxed,
                                                memory_order_relaxed))
        break;
    } else if (d < 0) { /* empty: the slot's message is not there yet */
      raw_spin_wait(&r->not_empty, raw_mpmc_turn_came, &(raw_mpmc_turn){s, pos + 1});
      pos = atomic_load_explicit(&r->deq, memory_order_relaxed);
    } else {
      pos = atomic_load_explicit(&r->deq, memory_order_relaxed);
    }
  }
  uint64_t v = s->payload;
  atomic_store_explicit(&s->seq, pos + RAW_MPMC_CAP, memory_order_release);
  raw_spin_wake(&r->not_full);
  return v;
}

#endif
