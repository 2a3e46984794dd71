/* SPDX-License-Identifier: MIT */
/* heap_journal.c -- the redo log that makes a page-run operation all or nothing for a process
 * killed in the middle of it.
 *
 * Merging a freed run with its neighbours changes a dozen words (two neighbours unlinked from
 * their bins, new boundary tags, the merged run linked in, the counters), so the one-store
 * commits of the size classes do not reach.  An operation is therefore planned first, in a
 * process-local heap_txn that records each word's new value and reads its own writes, without
 * touching the heap.  Then the plan is copied into the header's log, one store of the entry
 * count commits it, the words are written, and the count goes back to 0.
 *
 * A holder killed before the commit store leaves the heap exactly as it was (the planned block
 * stays the dead process's: leaked, and still counted allocated).  A holder killed after it
 * left a committed log: the next process to take the lock over writes the same words again
 * (each entry is an absolute value, so writing it twice is harmless) and the operation ends as
 * if the dead process had finished it -- a free that was committed frees its block.
 *
 * Redo rather than undo, because the plan can be made without writing anything, so there is
 * never anything to roll back, and a committed free never loses its block. */
#include <string.h>
#include <unistd.h>

#include "heap/heap_internal.h"

uint64_t mp__heap_txn_get(const heap_txn *t, uint64_t off) {
  for (int i = t->n - 1; i >= 0; i--)
    if (t->e[i].off == off) return t->e[i].val;
  return *(const uint64_t *)(const void *)(mp__heap_base + off);
}

void mp__heap_txn_set(heap_txn *t, uint64_t off, uint64_t val) {
  for (int i = t->n - 1; i >= 0; i--)
    if (t->e[i].off == off) {
      t->e[i].val = val;
      return;
    }
  if (mp__unlikely(t->n == HEAP_LOG_MAX)) {
    t->overflow = true;
    return;
  }
  t->e[t->n++] = (heap_log_entry){off, val};
}

/* The test hook (mp__heap_test_pause_in_commit): where this process stops in its next commit.
 * INT_MIN: nowhere; -1: with the log written but not committed; k >= 0: after writing k of
 * the words (the count still set). */
#define NO_PAUSE (-0x7fffffff - 1)
static int pause_at = NO_PAUSE;
static int pause_fd = -1;

void mp__heap_test_pause_in_commit(int after_writes, int notify_fd) {
  pause_at = after_writes;
  pause_fd = notify_fd;
}

static void test_pause(void) {
  char c = 1;
  pause_at = NO_PAUSE;
  if (write(pause_fd, &c, 1) != 1) return;
  for (;;) pause(); /* killed here, inside the operation */
}

static void apply(heap_hdr *h, const heap_log_entry *e, uint64_t n, bool hooked) {
  for (uint64_t i = 0; i < n; i++) {
    if (mp__unlikely(hooked && pause_at >= 0) && (uint64_t)pause_at == i) test_pause();
    /* Entries come from this file, but a log scribbled over by a stray write must not turn
     * into stray writes of its own. */
    if (mp__unlikely(e[i].off % 8 != 0 || e[i].off >= h->size)) continue;
    *(uint64_t *)(void *)(mp__heap_base + e[i].off) = e[i].val;
  }
  if (mp__unlikely(hooked && pause_at >= 0)) test_pause();
}

int mp__heap_txn_commit(heap_hdr *h, heap_txn *t) {
  if (mp__unlikely(t->overflow)) return MP_ECORRUPT;
  if (t->n == 0) return 0;
  memcpy(h->log.e, t->e, (size_t)t->n * sizeof t->e[0]);
  if (mp__unlikely(pause_at == -1)) test_pause();
  /* A process can stop at any instruction, so the compiler must keep program order around
   * the commit: the entries before the count, the words after it, the clearing last. */
  atomic_store_explicit(&h->log.count, (uint64_t)t->n, memory_order_release);
  atomic_signal_fence(memory_order_seq_cst);
  apply(h, t->e, (uint64_t)t->n, true);
  atomic_signal_fence(memory_order_seq_cst);
  atomic_store_explicit(&h->log.count, 0, memory_order_release);
  return 0;
}

void mp__heap_log_recover(heap_hdr *h) {
  uint64_t n = atomic_load_explicit(&h->log.count, memory_order_acquire);
  if (n == 0) return;
  if (n > HEAP_LOG_MAX) {
    mp__log(MP_LOG_ERROR, "shared heap: redo log of %llu entries is corrupt; not replayed",
            (unsigned long long)n);
  } else {
    apply(h, h->log.e, n, false);
    mp__log(MP_LOG_WARNING, "shared heap: finished a dead process's page-run operation");
  }
  atomic_signal_fence(memory_order_seq_cst);
  atomic_store_explicit(&h->log.count, 0, memory_order_release);
}
