/* SPDX-License-Identifier: MIT */
/* idle_manager_call.c -- workload "idle_manager_call": CPU of a process blocked in a manager
 * call, a managed Queue's get with a timeout on an empty queue, until the timeout; the
 * server process counts too (see idle_common.h).  Python twin: python/idle_manager_call.py
 * (Manager().Queue().get(timeout=...)). */
#include <stdlib.h>

#include "idle_common.h"
#include "multiproc.h"

typedef struct managed {
  mp_manager *m;
  mp_proxy *q;
} managed;

static void *setup(void) {
  managed *x = calloc(1, sizeof *x);
  if (x == NULL) bench_die("out of memory");
  bench_check_mp(mp_manager_new(&x->m, NULL), "mp_manager_new");
  bench_check_mp(mp_manager_start(x->m), "mp_manager_start");
  bench_check_mp(mp_manager_queue(x->m, 0, &x->q), "mp_manager_queue");
  return x;
}

static void block(void *ctx, long ms) {
  managed *x = ctx;
  mp_obj *o = NULL;
  int rc = mp_queue_proxy_get(x->q, &o, (mp_timeout_ms)ms);
  if (rc != MP_EEMPTY && rc != MP_ETIMEDOUT) bench_check_mp(rc, "mp_queue_proxy_get");
  mp_obj_decref(o);
}

static void teardown(void *ctx) {
  managed *x = ctx;
  mp_proxy_free(x->q);
  bench_check_mp(mp_manager_shutdown(x->m), "mp_manager_shutdown");
  mp_manager_free(x->m);
  free(x);
}

int main(void) {
  idle_workload w = {"idle_manager_call", setup, block, teardown};
  return idle_main(&w);
}
