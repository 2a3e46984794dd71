/* SPDX-License-Identifier: MIT */
/* chaos_pool.c -- Pool: a worker SIGKILLed at a random moment while tasks run, and the pool's
 * owner SIGKILLed with its workers busy.
 *
 * Workers: a pool of two runs P_TASKS numbered tasks; each task records the worker that ran
 * it and how many times it started, and returns its number.  After the kill every task must
 * be done: a success carrying its own number, run once; or MP_EWORKER with status -SIGKILL,
 * and then it must have been held by the killed worker -- running in it, or claimed by it and
 * not started yet -- and at most one task per kill (a failure anywhere else is a lost task, a
 * success after two starts a duplicate).  The pool must be back to two live workers
 * within a few seconds and run a fresh batch without a failure.
 *
 * Owner: a child makes a pool of two, records its workers and keeps them busy; it is killed
 * at a random moment (before, during or after the pool's start).  Its workers must go (they
 * are daemons: the kernel's parent-death signal ends them), which the census after the
 * iteration checks: nothing may outlive it. */
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chaos.h"

#define P_WORKERS 2
#define P_TASKS 60
#define P_AFTER 4 /* the fresh batch after the kill */
#define P_WAIT 30000 /* ms for every result */
#define P_RESTORE 5000 /* ms for the pool to be whole again */

typedef struct {
  _Atomic pid_t ran_in[P_TASKS];
  _Atomic int starts[P_TASKS];
} pstate;

static pstate *ps;

static int task(mp_task *t) {
  size_t len = 0;
  const uint32_t *i = mp_task_arg(t, &len);
  if (len != sizeof *i || *i >= P_TASKS) return 99;
  atomic_store(&ps->ran_in[*i], getpid());
  atomic_fetch_add(&ps->starts[*i], 1);
  chaos_sleep_us((int64_t)(getpid() * 7919u + *i * 104729u) % 3000);
  return mp_task_return(t, i, sizeof *i);
}

/* Waits for the pool's workers to be n live children again. */
static bool whole_again(int n) {
  pid_t kids[16];
  int64_t until = chaos_now_ms() + P_RESTORE;
  while (chaos_children(kids, 16) != n) {
    if (chaos_now_ms() > until) return false;
    chaos_sleep_us(5000);
  }
  return true;
}

static void workers_iteration(chaos_row *row) {
  memset(ps, 0, sizeof *ps);
  mp_pool *pool = NULL;
  mp_pool_opts opts = {.processes = P_WORKERS};
  int rc = mp_pool_new(&pool, &opts);
  if (rc != 0) {
    chaos_note(row, "mp_pool_new: %s", mp_err_name(rc));
    row->lost++;
    return;
  }
  mp_async_result *res[P_TASKS];
  for (uint32_t i = 0; i < P_TASKS; i++)
    if (mp_pool_apply_async(pool, task, &i, sizeof i, NULL, &res[i]) != 0) abort();
  chaos_sleep_us((int64_t)chaos_below(40000));
  pid_t kids[16];
  int n = chaos_children(kids, 16);
  pid_t victim = n > 0 ? kids[chaos_below((uint64_t)n)] : 0;
  if (victim > 0 && kill(victim, SIGKILL) == 0) row->kills++;
  int failed = 0;
  for (uint32_t i = 0; i < P_TASKS; i++) {
    rc = mp_async_result_get(res[i], P_WAIT);
    if (rc == MP_ETIMEDOUT && !mp_async_result_ready(res[i])) {
      row->hangs++;
      chaos_note(row, "task %u not done after %d ms", i, P_WAIT);
    } else if (rc == 0) {
      const void *data = NULL;
      size_t len = 0;
      uint32_t got = UINT32_MAX;
      if (mp_async_result_item(res[i], 0, &data, &len) == 0 && len == sizeof got)
        memcpy(&got, data, sizeof got);
      if (got != i) {
        row->torn++;
        chaos_note(row, "task %u returned %u", i, got);
      }
      if (ps->starts[i] > 1) {
        row->duplicated++;
        chaos_note(row, "task %u ran %d times", i, ps->starts[i]);
      }
    } else {
      int code = 0, status = 0;
      (void)mp_async_result_error(res[i], &code, &status, NULL);
      /* Killed in the victim: while running it, or after claiming it and before the task
       * function's first line (then it has not recorded itself anywhere yet). */
      pid_t in = ps->ran_in[i];
      if (code == MP_EWORKER && status == -SIGKILL && (in == victim || in == 0)) {
        failed++;
      } else {
        row->lost++;
        chaos_note(row, "task %u failed with %s (status %d) in %d, victim %d", i, mp_err_name(code),
                   status, (int)ps->ran_in[i], (int)victim);
      }
    }
    mp_async_result_free(res[i]);
  }
  if (failed > 1) {
    row->lost += failed - 1; /* one worker runs one task at a time */
    chaos_note(row, "%d tasks failed for one killed worker", failed);
  }
  if (!whole_again(P_WORKERS)) {
    row->hangs++;
    chaos_note(row, "the pool did not get back to %d workers", P_WORKERS);
  }
  for (uint32_t i = 0; i < P_AFTER; i++) {
    mp_async_result *r = NULL;
    if (mp_pool_apply_async(pool, task, &i, sizeof i, NULL, &r) != 0 ||
        mp_async_result_get(r, P_WAIT) != 0) {
      row->lost++;
      chaos_note(row, "a task after the kill failed");
    }
    mp_async_result_free(r);
  }
  (void)mp_pool_close(pool);
  if (mp_pool_join(pool, P_WAIT) != 0) {
    row->hangs++;
    chaos_note(row, "the pool did not join");
  }
  mp_pool_free(pool);
}

void chaos_pool_workers(chaos_row *row, int64_t deadline_ms, long max_iters) {
  ps = chaos_shared(sizeof *ps);
  chaos_census before;
  chaos_census_take(&before);
  while (chaos_now_ms() < deadline_ms && (max_iters == 0 || row->iterations < max_iters)) {
    workers_iteration(row);
    row->iterations++;
    row->leaks += chaos_leaks(row, &before, 3000);
  }
}

/* ---- the owner ---- */

static int busy_task(mp_task *t) {
  (void)t;
  chaos_sleep_us(20000);
  return 0;
}

static int owner(void *arg) {
  (void)arg;
  mp_pool *pool = NULL;
  mp_pool_opts opts = {.processes = P_WORKERS};
  if (mp_pool_new(&pool, &opts) != 0) return 1;
  for (;;) {
    mp_async_result *r = NULL;
    if (mp_pool_apply_async(pool, busy_task, NULL, 0, NULL, &r) != 0) return 1;
    (void)mp_async_result_get(r, 1000);
    mp_async_result_free(r);
  }
  return 0;
}

void chaos_pool_owner(chaos_row *row, int64_t deadline_ms, long max_iters) {
  chaos_census before;
  chaos_census_take(&before);
  while (chaos_now_ms() < deadline_ms && (max_iters == 0 || row->iterations < max_iters)) {
    mp_process *p = chaos_start(owner, NULL);
    chaos_sleep_us((int64_t)chaos_below(60000));
    if (chaos_kill(p)) row->kills++;
    mp_process_free(p);
    row->iterations++;
    /* the workers get SIGKILL from the kernel when their parent goes: a moment at most */
    row->leaks += chaos_leaks(row, &before, 5000);
  }
}
