/* SPDX-License-Identifier: MIT */
/* pool_map_common.h -- the map workloads (pool_map_tiny, pool_map_chunk1,
 * pool_map_oversubscribed) differ only in their sizes, chunk size and worker count: one map of n trivial tasks, tasks per second, against the raw
 * pool of raw_pool.h.  multiproc maps a malloc'd int64 array with mp_pool_map_array, which
 * copies it through the shared heap, as the raw floor copies through its mapping. */
#ifndef MP_BENCH_POOL_MAP_COMMON_H
#define MP_BENCH_POOL_MAP_COMMON_H

#include "bench_util.h"
#include "multiproc.h"
#include "raw_pool.h"

static int64_t tiny(int64_t x) { return 2 * x + 1; }

static int tiny_elem(const void *in, void *out) {
  *(int64_t *)out = tiny(*(const int64_t *)in);
  return 0;
}

typedef struct map_ctx {
  mp_pool *pool;
  raw_pool raw;
  int64_t *in, *out;
  uint64_t n, chunksize; /* chunksize 0: Python's default rule */
} map_ctx;

static void check_out(const map_ctx *cx) {
  for (uint64_t i = 0; i < cx->n; i += 997)
    if (cx->out[i] != tiny(cx->in[i])) bench_die("wrong result at %llu", (unsigned long long)i);
}

static double map_mp(void *ctx, long iters) {
  map_ctx *cx = ctx;
  uint64_t t0 = bench_now_ns();
  for (long k = 0; k < iters; k++)
    bench_check_mp(mp_pool_map_array(cx->pool, tiny_elem, cx->in, cx->n, sizeof *cx->in, cx->out,
                                     sizeof *cx->out, cx->chunksize, MP_FOREVER),
                   "mp_pool_map_array");
  uint64_t t1 = bench_now_ns();
  check_out(cx);
  return bench_ops_per_s(t1 - t0, iters * (long)cx->n);
}

static double map_raw(void *ctx, long iters) {
  map_ctx *cx = ctx;
  uint64_t cs = cx->chunksize ? cx->chunksize
                              : (cx->n + 4 * (uint64_t)cx->raw.nworkers - 1) /
                                    (4 * (uint64_t)cx->raw.nworkers);
  uint64_t t0 = bench_now_ns();
  for (long k = 0; k < iters; k++) raw_pool_map(&cx->raw, tiny, cx->in, cx->out, cx->n, cs);
  uint64_t t1 = bench_now_ns();
  check_out(cx);
  return bench_ops_per_s(t1 - t0, iters * (long)cx->n);
}

/* Runs the workload: maps of n tasks, iters maps per batch, on pools of `processes` workers
 * (0: one per usable CPU), multiproc's and the raw one alike; prints the result line. */
static int pool_map_main(const char *workload, uint64_t n, uint64_t chunksize, long maps,
                         int processes) {
  map_ctx cx = {.n = n, .chunksize = chunksize};
  cx.in = malloc(n * sizeof *cx.in);
  cx.out = malloc(n * sizeof *cx.out);
  if (!cx.in || !cx.out) bench_die("out of memory");
  for (uint64_t i = 0; i < n; i++) cx.in[i] = (int64_t)i;
  mp_pool_opts po = {0};
  po.processes = processes;
  bench_check_mp(mp_pool_new(&cx.pool, &po), "mp_pool_new");
  raw_pool_start(&cx.raw, mp_pool_size(cx.pool), n);
  bench_opts o = bench_default_opts(workload, maps);
  o.higher = true;
  o.warmup = 1;
  o.ops_per_iter = (long)n; /* CPU per task */
  double mp_rate, raw_rate;
  bench_compare(&o, map_mp, &cx, map_raw, &cx, &mp_rate, &raw_rate);
  raw_pool_stop(&cx.raw);
  bench_check_mp(mp_pool_close(cx.pool), "close");
  bench_check_mp(mp_pool_join(cx.pool, MP_FOREVER), "join");
  mp_pool_free(cx.pool);
  free(cx.in);
  free(cx.out);
  bench_report(workload, "tasks/s", true, mp_rate, raw_rate);
  return 0;
}

#endif
