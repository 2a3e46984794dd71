/* SPDX-License-Identifier: MIT */
/* complete.c -- a chunk ending: the state changes (as redo-log entries, so a worker and the
 * result thread share them), error records, and the wake-ups that follow. */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "heap/heap.h"
#include "os/os.h"
#include "pool/pool_internal.h"

int mp__complete_log(pool_shared *sh, pool_txn *t, pool_job *j, uint64_t c, uint64_t state) {
  uint64_t done = j->done_chunks + 1;
  mp__txn_set(t, &j->chunk_state[c], state);
  mp__txn_set(t, &j->done_items, j->done_items + (mp__chunk_end(j, c) - mp__chunk_begin(j, c)));
  if (chunk_failed(state) && j->first_error == 0) mp__txn_set(t, &j->first_error, c + 1);
  if (j->order) {
    mp__txn_set(t, &j->order[j->order_n], c);
    mp__txn_set(t, &j->order_n, j->order_n + 1);
  }
  int how = 0;
  if (done == j->nchunks) {
    how |= COMPLETE_FINISHED;
    /* mp_pool_fd(): the result thread makes the pool's fd readable at each job's end. */
    if (atomic_load_explicit(&sh->notify_any, memory_order_relaxed)) how |= COMPLETE_KICK;
    if (j->flags & JOB_ON_DONE_LIST) {
      if (sh->done_tail)
        mp__txn_set(t, &((pool_job *)(uintptr_t)sh->done_tail)->next_done, (uint64_t)(uintptr_t)j);
      else
        mp__txn_set(t, &sh->done_head, (uint64_t)(uintptr_t)j);
      mp__txn_set(t, &sh->done_tail, (uint64_t)(uintptr_t)j);
      how |= COMPLETE_KICK;
    }
  }
  /* Last, so that a waiter that sees the new count also sees the chunk's state. */
  mp__txn_set(t, &j->done_chunks, done);
  return how;
}

static const pool_shared *foreign_sh; /* set only in a worker of another image */
static int foreign_kick_fd = -1;

void mp__worker_set_kick_fd(const pool_shared *sh, int fd) {
  foreign_sh = sh;
  foreign_kick_fd = fd;
}

void mp__result_thread_kick(pool_shared *sh) {
  /* The count tells a result thread about to sleep that something happened since it last
   * looked; the eventfd wakes one already asleep. */
  atomic_fetch_add_explicit(&sh->kicks, 1, memory_order_seq_cst);
  if (atomic_load_explicit(&sh->result_sleeping, memory_order_relaxed)) {
    uint64_t one = 1;
    ssize_t w = write(sh == foreign_sh ? foreign_kick_fd : sh->efd, &one, sizeof one);
    (void)w; /* EAGAIN: the counter is already non-zero, the thread will wake */
  }
}

void mp__wake_workers(pool_shared *sh) {
  atomic_fetch_add(&sh->work_seq, 1);
  (void)mp__futex_wake(&sh->work_seq, INT_MAX);
}

void mp__complete_wake(pool_shared *sh, pool_job *j, int how) {
  /* j may already be freed by its owner once its last chunk is counted; its header is a small
   * heap block, so this read sees reused memory at worst and the wake is then spurious.  The
   * fence orders the count's store before this load (a waiter does the mirror image). */
  atomic_thread_fence(memory_order_seq_cst);
  if (atomic_load_explicit(&j->waiters, memory_order_relaxed) &&
      mp__ld(&j->done_chunks) >= atomic_load_explicit(&j->wake_at, memory_order_relaxed))
    (void)mp__futex_wake((_Atomic uint32_t *)(void *)&j->done_chunks, INT_MAX);
  if (how & COMPLETE_KICK) mp__result_thread_kick(sh);
}

pool_error *mp__error_new(int code, int status, const char *fmt, ...) {
  pool_error *e = mp__shared_alloc(sizeof *e);
  if (e == NULL) return NULL;
  e->code = code;
  e->status = status;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(e->message, sizeof e->message, fmt, ap);
  va_end(ap);
  return e;
}
