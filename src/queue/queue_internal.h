/* SPDX-License-Identifier: MIT */
/* queue_internal.h -- the layout of a queue in the shared heap, shared by queue.c (bytes, waits,
 * close, JoinableQueue) and queue_obj.c (values).  docs/queue.md explains the design.
 *
 * A queue is one header (two cache lines) and a ring of 64-byte slots, all in the shared heap.
 * Everything that changes lives under one owner-tracking lock (os/olock.h), and every operation
 * under it ends in a single store that commits it:
 *   put:      slot written, then tail++            (a dead putter leaves an invisible slot)
 *   get:      slot read, then head++               (a dead getter leaves the message queued)
 *   grow:     new ring filled, then r = new ring   (a dead grower leaks the new ring)
 *   cache:    ncache-- after reading / ncache++ after writing the entry
 *   task_done: done++
 * so a take-over from a dead holder (MP_EOWNERDEAD) finds a consistent queue and just goes on.
 * qsize is tail - head and the unfinished-task count is tail - done: no counter can drift. */
#ifndef MP_QUEUE_INTERNAL_H
#define MP_QUEUE_INTERNAL_H

#include <stdatomic.h>
#include <stdint.h>

#include "os/olock.h"

#define QUEUE_SLOT_DATA 56
_Static_assert(QUEUE_SLOT_DATA == MP_QUEUE_INLINE_MAX, "inline size must match the header");

/* One message.  len <= QUEUE_SLOT_DATA: the bytes are inline; otherwise ref names a heap block
 * of cap bytes (cap >= len) holding them. */
typedef struct queue_slot {
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

/* The ring: cap slots (a power of two); message number n sits in s[n & (cap - 1)]. */
typedef struct queue_ring {
  uint64_t cap;
  unsigned char pad_[56];
  queue_slot s[];
} queue_ring;

enum { QUEUE_PLAIN, QUEUE_SIMPLE, QUEUE_JOINABLE };

/* A large-message block kept for reuse. */
typedef struct queue_block {
  void *block;
  uint64_t cap;
} queue_block;

#define QUEUE_CACHE 16 /* large-message blocks kept for reuse */

struct mp_queue {
  /* line 1: what every put and get touches */
  _Alignas(64) mp__olock lock;
  _Atomic uint64_t head; /* messages ever taken (under lock; read lock-free as a hint) */
  _Atomic uint64_t tail; /* messages ever put */
  queue_ring *r; /* under lock */
  _Atomic uint32_t nonempty; /* futex: bumped by a put (or close) when getters sleep */
  _Atomic uint32_t nonfull; /* futex: bumped by a get (or close) when putters sleep */
  _Atomic uint32_t get_sleepers;
  _Atomic uint32_t put_sleepers;
  _Atomic uint32_t closed;
  uint32_t maxsize; /* 0: unbounded */
  uint32_t kind;
  /* line 2: JoinableQueue and the block cache */
  _Alignas(64) uint64_t done; /* task_done calls (under lock); unfinished = tail - done */
  _Atomic uint32_t joinseq; /* futex: bumped when unfinished reaches 0 */
  _Atomic uint32_t join_sleepers;
  _Atomic uint32_t ncache; /* written under lock; read lock-free as a hint */
  uint32_t recoveries; /* take-overs from a dead lock holder, for diagnostics */
  queue_block cache[QUEUE_CACHE];
};

#endif
