/* SPDX-License-Identifier: MIT */
/* job.c -- a job's memory: one small heap block for its header (the words workers and waiters
 * race on) and one block for its per-chunk and per-item arrays, plus the results and error
 * records the workers add. */
#include <string.h>

#include "heap/heap.h"
#include "pool/pool_internal.h"

pool_error mp__error_nomem = {MP_EWORKER, -ENOMEM, "the shared heap was full when the task ended"};

static uint64_t align16(uint64_t x) { return (x + 15) & ~(uint64_t)15; }

uint64_t mp__job_default_chunksize(uint64_t n, int workers) {
  /* Python's Pool._map_async: divmod(len, workers * 4), rounded up. */
  uint64_t div = (uint64_t)(workers > 0 ? workers : 1) * 4;
  uint64_t cs = n / div + (n % div ? 1 : 0);
  return cs ? cs : 1;
}

pool_job *mp__job_new(pool_job_kind kind, uint64_t n, uint64_t chunksize, uint64_t args_bytes,
                      bool unordered) {
  if (chunksize == 0) chunksize = 1;
  uint64_t nchunks = n / chunksize + (n % chunksize ? 1 : 0);
  pool_job *j = mp__shared_alloc(sizeof *j);
  if (j == NULL) return NULL;
  j->kind = kind;
  j->n = n;
  j->chunksize = chunksize;
  j->nchunks = nchunks;
  atomic_init(&j->wake_at, UINT64_MAX);
  if (unordered) j->flags |= JOB_UNORDERED;

  uint64_t sz = align16(nchunks * 8);
  uint64_t order_at = sz;
  if (unordered) sz += align16(nchunks * 8);
  uint64_t off_at = sz, res_at = 0, args_at = 0;
  if (kind == JOB_GENERIC) {
    sz += align16((n + 1) * 8);
    res_at = sz;
    sz += align16(n * sizeof(pool_res));
    args_at = sz;
    sz += args_bytes;
  }
  if (sz == 0) sz = 16; /* a map over nothing still has a (finished) job */
  unsigned char *a = mp__shared_alloc(sz);
  if (a == NULL) {
    mp__shared_free(j, sizeof *j);
    return NULL;
  }
  j->arrays = a;
  j->arrays_size = sz;
  j->chunk_state = (uint64_t *)(void *)a;
  if (unordered) j->order = (uint64_t *)(void *)(a + order_at);
  if (kind == JOB_GENERIC) {
    j->arg_off = (uint64_t *)(void *)(a + off_at);
    j->res = (pool_res *)(void *)(a + res_at);
    j->args = a + args_at;
  }
  return j;
}

void mp__job_free(pool_job *j) {
  if (j == NULL) return;
  for (uint64_t c = 0; c < j->nchunks; c++) {
    uint64_t st = j->chunk_state[c];
    pool_error *e = (pool_error *)(uintptr_t)st;
    if (chunk_failed(st) && e != &mp__error_nomem && e != j->bulk_error)
      mp__shared_free((void *)(uintptr_t)st, sizeof(pool_error));
  }
  if (j->kind == JOB_GENERIC) {
    for (uint64_t i = 0; i < j->n; i++) {
      pool_res *r = &j->res[i];
      if (!(r->flags & RES_INLINE) && r->u.heap.block)
        mp__shared_free(r->u.heap.block, r->u.heap.cap);
    }
  }
  if (j->bulk_error) mp__shared_free(j->bulk_error, sizeof *j->bulk_error);
  if (j->in_owned) mp__stage_give(j->stage, (void *)(uintptr_t)j->in, j->in_owned);
  if (j->out_owned) mp__stage_give(j->stage, j->out, j->out_owned);
  mp__shared_free(j->arrays, j->arrays_size);
  mp__shared_free(j, sizeof *j);
}

int mp__job_set_result(pool_job *j, uint64_t i, const void *buf, size_t len, bool raw) {
  pool_res *r = &j->res[i];
  uint32_t flags = RES_SET | (raw ? RES_RAW : 0);
  if (len <= RES_INLINE_MAX) {
    void *old = (r->flags & RES_INLINE) ? NULL : r->u.heap.block;
    uint64_t oldcap = r->u.heap.cap;
    if (old) mp__shared_free(old, oldcap);
    if (len) memcpy(r->u.inline_, buf, len);
    r->len = len;
    r->flags = flags | RES_INLINE;
    return 0;
  }
  if ((r->flags & RES_INLINE) || r->u.heap.block == NULL || r->u.heap.cap < len) {
    if (!(r->flags & RES_INLINE) && r->u.heap.block)
      mp__shared_free(r->u.heap.block, r->u.heap.cap);
    r->flags = 0;
    r->u.heap.block = NULL;
    void *b = mp__shared_alloc(len);
    if (b == NULL) return -ENOMEM;
    /* The block is recorded before anything else so that job_free finds it even if this worker
     * dies right now. */
    r->u.heap.cap = len;
    r->u.heap.block = b;
  }
  memcpy(r->u.heap.block, buf, len);
  r->len = len;
  r->flags = flags;
  return 0;
}
