/* SPDX-License-Identifier: MIT */
/* idle_pool_get.c -- workload "idle_pool_get": CPU of a process blocked in mp_async_result_get
 * for a task that sleeps in a worker, with the pool's other workers idle, until the task ends
 * (see idle_common.h).  Python twin: python/idle_pool_get.py
 * (Pool().apply_async(time.sleep, ...).get()). */
#include <time.h>

#include "idle_common.h"
#include "multiproc.h"

static int sleep_task(mp_task *t) {
  size_t len;
  const long *ms = mp_task_arg(t, &len);
  struct timespec ts = {.tv_sec = *ms / 1000, .tv_nsec = (*ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0) {
  }
  return mp_task_return(t, NULL, 0);
}

static void *setup(void) {
  mp_pool *p;
  bench_check_mp(mp_pool_new(&p, NULL), "mp_pool_new");
  return p;
}

static void block(void *ctx, long ms) {
  mp_async_result *r;
  bench_check_mp(mp_pool_apply_async(ctx, sleep_task, &ms, sizeof ms, NULL, &r), "apply_async");
  bench_check_mp(mp_async_result_get(r, MP_FOREVER), "mp_async_result_get");
  mp_async_result_free(r);
}

static void teardown(void *ctx) {
  bench_check_mp(mp_pool_close(ctx), "close");
  bench_check_mp(mp_pool_join(ctx, MP_FOREVER), "join");
  mp_pool_free(ctx);
}

int main(void) {
  idle_workload w = {"idle_pool_get", setup, block, teardown};
  return idle_main(&w);
}
