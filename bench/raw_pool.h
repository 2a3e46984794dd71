/* SPDX-License-Identifier: MIT */
/* raw_pool.h -- the floor of the pool workloads: persistent forked workers over a MAP_SHARED
 * mapping that claim chunks of a map with one atomic fetch-add each and count finished chunks,
 * the parent waiting on a futex.  No task records, no results per item, no death handling, no
 * timeouts: the least a process pool with dynamic chunk scheduling costs.  Input and output are
 * copied through the mapping, as multiproc does for arrays outside its heap. */
#ifndef MP_BENCH_RAW_POOL_H
#define MP_BENCH_RAW_POOL_H

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "raw_futex.h"

typedef int64_t (*raw_elem_fn)(int64_t x);

typedef struct raw_pool_ctl {
  _Atomic uint32_t gen; /* bumped for every map (and to quit) */
  _Atomic uint32_t done; /* chunks finished in this map */
  _Atomic uint64_t next; /* next chunk to claim */
  uint64_t n, chunksize, nchunks;
  uint32_t quit;
  _Atomic uint32_t parent_waits;
  raw_elem_fn fn;
} raw_pool_ctl;

typedef struct raw_pool {
  raw_pool_ctl *ctl;
  int64_t *in, *out; /* in the mapping */
  size_t cap;
  int nworkers;
  pid_t pids[64];
} raw_pool;

static inline void raw_pool_worker(raw_pool *rp) {
  raw_pool_ctl *c = rp->ctl;
  uint32_t seen = 0;
  for (;;) {
    uint32_t g;
    for (int spin = 0; (g = atomic_load(&c->gen)) == seen; spin++)
      if (spin > 20000) raw_futex_wait(&c->gen, seen);
    seen = g;
    if (c->quit) _exit(0);
    for (;;) {
      uint64_t k = atomic_fetch_add(&c->next, 1);
      if (k >= c->nchunks) break;
      uint64_t b = k * c->chunksize, e = b + c->chunksize < c->n ? b + c->chunksize : c->n;
      for (uint64_t i = b; i < e; i++) rp->out[i] = c->fn(rp->in[i]);
      if (atomic_fetch_add(&c->done, 1) + 1 == c->nchunks && atomic_load(&c->parent_waits))
        raw_futex_wake(&c->done, 1);
    }
  }
}

static inline void raw_pool_start(raw_pool *rp, int nworkers, size_t cap) {
  size_t bytes = 4096 + 2 * cap * sizeof(int64_t);
  char *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) bench_die("mmap failed");
  rp->ctl = (raw_pool_ctl *)(void *)m;
  rp->in = (int64_t *)(void *)(m + 4096);
  rp->out = rp->in + cap;
  rp->cap = cap;
  rp->nworkers = nworkers;
  for (int i = 0; i < nworkers; i++) {
    pid_t pid = fork();
    if (pid < 0) bench_die("fork failed");
    if (pid == 0) raw_pool_worker(rp);
    rp->pids[i] = pid;
  }
}

/* out[i] = fn(in[i]) for n elements, chunksize per claim. */
static inline void raw_pool_map(raw_pool *rp, raw_elem_fn fn, const int64_t *in, int64_t *out,
                                uint64_t n, uint64_t chunksize) {
  raw_pool_ctl *c = rp->ctl;
  memcpy(rp->in, in, n * sizeof *in);
  c->fn = fn;
  c->n = n;
  c->chunksize = chunksize;
  c->nchunks = (n + chunksize - 1) / chunksize;
  atomic_store(&c->done, 0);
  atomic_store(&c->next, 0);
  atomic_fetch_add(&c->gen, 1);
  raw_futex_wake(&c->gen, rp->nworkers);
  uint32_t d;
  for (int spin = 0; (d = atomic_load(&c->done)) != c->nchunks; spin++) {
    if (spin > 20000) {
      atomic_store(&c->parent_waits, 1);
      if (atomic_load(&c->done) != c->nchunks) raw_futex_wait(&c->done, d);
      atomic_store(&c->parent_waits, 0);
    }
  }
  memcpy(out, rp->out, n * sizeof *out);
}

static inline void raw_pool_stop(raw_pool *rp) {
  rp->ctl->quit = 1;
  atomic_fetch_add(&rp->ctl->gen, 1);
  raw_futex_wake(&rp->ctl->gen, rp->nworkers);
  for (int i = 0; i < rp->nworkers; i++) waitpid(rp->pids[i], NULL, 0);
  munmap(rp->ctl, 4096 + 2 * rp->cap * sizeof(int64_t));
}

#endif
