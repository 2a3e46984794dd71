/* SPDX-License-Identifier: MIT */
/* txn.c -- the pool lock and the redo log that makes a worker's critical section all or
 * nothing, whenever the worker is killed (pool_internal.h explains the scheme). */
#include "pool/pool_internal.h"

static void txn_apply(pool_txn *t) {
  for (uint32_t k = 0; k < t->n; k++) mp__st(t->e[k].addr, t->e[k].val);
}

int mp__txn_commit(pool_txn *t) {
  if (mp__unlikely(t->spoiled)) {
    t->n = 0;
    return -ENOSPC;
  }
  atomic_store_explicit(&t->committed, 1, memory_order_seq_cst);
  txn_apply(t);
  atomic_store_explicit(&t->committed, 0, memory_order_release);
  return 0;
}

void mp__pool_lock(pool_shared *sh) {
  int r = mp__olock_acquire(&sh->lock, MP_FOREVER);
  if (mp__likely(r == 0)) return;
  /* The holder died.  Only a holder writes a log, so at most its slot has a committed log left
   * half applied: finish it.  A log never committed changed nothing shared. */
  for (uint32_t i = 0; i < sh->nslots; i++) {
    pool_txn *t = &sh->slots[i].txn;
    if (atomic_load_explicit(&t->committed, memory_order_acquire)) {
      txn_apply(t);
      atomic_store_explicit(&t->committed, 0, memory_order_release);
    }
  }
  (void)mp__olock_consistent(&sh->lock);
  mp__log(MP_LOG_WARNING, "pool: took over the pool lock from a worker that died holding it");
}

void mp__pool_unlock(pool_shared *sh) { (void)mp__olock_release(&sh->lock); }
