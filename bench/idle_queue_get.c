/* SPDX-License-Identifier: MIT */
/* idle_queue_get.c -- workload "idle_queue_get": CPU of a process blocked in
 * mp_queue_get_bytes with a timeout on an empty queue, until the timeout (see idle_common.h).
 * Python twin: python/idle_queue_get.py (Queue().get(timeout=...)). */
#include "idle_common.h"
#include "multiproc.h"

static void *setup(void) {
  mp_queue *q;
  bench_check_mp(mp_queue_new(&q, 0), "mp_queue_new");
  return q;
}

static void block(void *ctx, long ms) {
  char buf[8];
  size_t len;
  int rc = mp_queue_get_bytes(ctx, buf, sizeof buf, &len, (mp_timeout_ms)ms);
  if (rc != MP_EEMPTY && rc != MP_ETIMEDOUT) bench_check_mp(rc, "mp_queue_get_bytes");
}

static void teardown(void *ctx) { mp_queue_free(ctx); }

int main(void) {
  idle_workload w = {"idle_queue_get", setup, block, teardown};
  return idle_main(&w);
}
