/* SPDX-License-Identifier: MIT */
/* 001-6_pool_map.c -- twin of the process pool program in seed 001 (进程池):
 *
 *   pool = Pool(2)
 *   pool.map(fib, [35] * 2)
 *
 * Two workers each compute fib(35); map hands back the results in item order, printed as
 * Python's interactive prompt shows map's value: [9227465, 9227465].
 *
 * The seed memoises fib with @lru_cache, which makes it instant in Python; a plain recursive
 * fib(35) in C takes a few tens of milliseconds, so no cache is needed.
 *
 *   Python                          C
 *   pool = Pool(2)                  mp_pool_new(&pool, &(mp_pool_opts){.processes = 2})
 *   pool.map(fib, [35] * 2)         mp_pool_map(pool, fib_task, items, 0, &results, MP_FOREVER)
 *   fib(n) -> value                 a task function: mp_task_arg_obj / mp_task_return_obj
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <multiproc.h>

static void check(int rc, const char *what) {
  if (rc < 0) {
    fprintf(stderr, "%s: %s\n", what, mp_strerror(rc));
    exit(1);
  }
}

static int64_t fib(int64_t n) {
  if (n < 2) return n;
  return fib(n - 1) + fib(n - 2);
}

/* The task: one item in (an int value), fib of it out. */
static int fib_task(mp_task *t) {
  mp_obj *arg;
  int rc = mp_task_arg_obj(t, &arg);
  if (rc) return rc;
  int64_t n;
  rc = mp_obj_get_int(arg, &n);
  mp_obj_decref(arg);
  if (rc) return mp_task_error(1, "fib() wants an int");
  mp_obj *r = mp_obj_int(fib(n));
  rc = r ? mp_task_return_obj(t, r) : -ENOMEM;
  mp_obj_decref(r);
  return rc;
}

int main(void) {
  mp_pool *pool;
  check(mp_pool_new(&pool, &(mp_pool_opts){.processes = 2}), "Pool(2)");

  mp_obj *items = mp_obj_list(); /* [35] * 2 */
  for (int i = 0; i < 2; i++) check(mp_obj_list_append_steal(items, mp_obj_int(35)), "append");

  mp_obj *results;
  check(mp_pool_map(pool, fib_task, items, 0, &results, MP_FOREVER), "pool.map");
  check(mp_obj_fprint(stdout, results), "print");
  printf("\n");

  mp_obj_decref(results);
  mp_obj_decref(items);
  check(mp_pool_close(pool), "pool.close");
  check(mp_pool_join(pool, MP_FOREVER), "pool.join");
  mp_pool_free(pool);
  return 0;
}
