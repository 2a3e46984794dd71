/* SPDX-License-Identifier: MIT */
/* 002-5_pool_vs_processes.c -- twin of seed 002 §三, map: the same small function run 100 times,
 * first by 100 Processes (each started, then all joined), then by pool.map(func, range(100)) on
 * a Pool(4) made beforehand.  Each run's wall time is printed in seconds, processes first, as
 * the seed does.  The pool is much faster: its four workers already exist and take the items
 * in chunks, while the first run forks and reaps a process per item.
 *
 *   Python                                  C
 *   Process(target=func, args=(i,))         mp_process_new(&p, func_proc, &args[i], NULL)
 *   pool.map(func, range(100))              mp_pool_map(pool, func_task, items, 0, &results, MP_FOREVER)
 *   time.time()                             clock_gettime(CLOCK_MONOTONIC)
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <multiproc.h>

static void check(int rc, const char *what) {
  if (rc < 0) {
    fprintf(stderr, "%s: %s\n", what, mp_strerror(rc));
    exit(1);
  }
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* def func(i): num = 0; for j in range(5): num += i
 * Python's func returns None; this one returns num so that the loop is not optimised away, and
 * its callers drop it. */
static int64_t func(int64_t i) {
  volatile int64_t num = 0;
  for (int j = 0; j < 5; j++) num += i;
  return num;
}

static int func_proc(void *arg) {
  (void)func(*(const int64_t *)arg);
  return 0;
}

static int func_task(mp_task *t) {
  mp_obj *arg;
  int rc = mp_task_arg_obj(t, &arg);
  if (rc) return rc;
  int64_t i;
  rc = mp_obj_get_int(arg, &i);
  mp_obj_decref(arg);
  if (rc) return mp_task_error(1, "func() wants an int");
  (void)func(i);
  return 0; /* no result: None */
}

int main(void) {
  mp_pool *pool;
  check(mp_pool_new(&pool, &(mp_pool_opts){.processes = 4}), "Pool(4)");

  int64_t args[100];
  mp_process *p_list[100];
  double start_time = now();
  for (int i = 0; i < 100; i++) {
    args[i] = i;
    check(mp_process_new(&p_list[i], func_proc, &args[i], NULL), "Process");
    check(mp_process_start(p_list[i]), "p.start");
  }
  for (int i = 0; i < 100; i++) check(mp_process_join(p_list[i], MP_FOREVER), "pp.join");
  double end_time = now();
  printf("%f\n", end_time - start_time);
  for (int i = 0; i < 100; i++) mp_process_free(p_list[i]);

  mp_obj *items = mp_obj_list(); /* range(100) */
  for (int i = 0; i < 100; i++) check(mp_obj_list_append_steal(items, mp_obj_int(i)), "range");
  mp_obj *results;
  double s_time = now();
  check(mp_pool_map(pool, func_task, items, 0, &results, MP_FOREVER), "pool.map");
  double e_time = now();
  printf("%f\n", e_time - s_time);
  if (mp_obj_len(results) != 100) {
    fprintf(stderr, "pool.map gave %zu results\n", mp_obj_len(results));
    return 1;
  }

  mp_obj_decref(results);
  mp_obj_decref(items);
  check(mp_pool_close(pool), "pool.close");
  check(mp_pool_join(pool, MP_FOREVER), "pool.join");
  mp_pool_free(pool);
  return 0;
}
