/* SPDX-License-Identifier: MIT */
/* pool_apply_async_rtt.c -- workload "pool_apply_async_rtt": the round trip of one small task,
 * apply_async(f, (i,)).get() done sequentially on a pool made beforehand.  Microseconds per
 * task, lower is better.  multiproc: mp_pool_apply_async + mp_async_result_get +
 * mp_async_result_free with an 8-byte argument and result.  limit: the least a hand-off to
 * another process and back costs: the raw ping-pong between two processes, the fastest raw
 * way at the moment (raw_best_pingpong in raw_futex.h); in the _sleep row (bench_variant.h),
 * the raw futex ping-pong.
 * Python twin: python/pool_apply_async_rtt.py. */
#include <string.h>
#include <sys/mman.h>

#include "bench_util.h"
#include "bench_variant.h"
#include "multiproc.h"
#include "raw_futex.h"

static int inc_task(mp_task *t) {
  size_t len;
  const int64_t *x = mp_task_arg(t, &len);
  int64_t y = *x + 1;
  return mp_task_return(t, &y, sizeof y);
}

static double run_mp(void *ctx, long iters) {
  mp_pool *p = ctx;
  uint64_t t0 = bench_now_ns();
  for (long i = 0; i < iters; i++) {
    mp_async_result *r;
    int64_t x = i, y;
    bench_check_mp(mp_pool_apply_async(p, inc_task, &x, sizeof x, NULL, &r), "apply_async");
    bench_check_mp(mp_async_result_get(r, MP_FOREVER), "get");
    const void *d;
    size_t len;
    bench_check_mp(mp_async_result_item(r, 0, &d, &len), "item");
    memcpy(&y, d, sizeof y);
    if (len != sizeof y || y != x + 1) bench_die("wrong result");
    mp_async_result_free(r);
  }
  return bench_us_per_op(bench_now_ns() - t0, iters);
}

int main(void) {
  bench_variant_setup();
  mp_pool *p;
  bench_check_mp(mp_pool_new(&p, NULL), "mp_pool_new");
  raw_pair *rp = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (rp == MAP_FAILED) bench_die("mmap failed");
  const char *name = "pool_apply_async_rtt" BENCH_VARIANT_SUFFIX;
  bench_opts o = bench_default_opts(name, 20000);
  double mp_us, raw_us;
  bench_compare(&o, run_mp, p, BENCH_SLEEP ? raw_sleep_pingpong : raw_best_pingpong, rp, &mp_us, &raw_us);
  bench_check_mp(mp_pool_close(p), "close");
  bench_check_mp(mp_pool_join(p, MP_FOREVER), "join");
  mp_pool_free(p);
  bench_report(name, "us", false, mp_us, raw_us);
  return 0;
}
