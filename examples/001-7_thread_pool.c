/* SPDX-License-Identifier: MIT */
/* 001-7_thread_pool.c -- twin of the "dummy" program in seed 001: the pool code of 001-6 run
 * on threads or on processes, switched at one place, as the seed does by swapping its import:
 *
 *   from multiprocessing import Pool          # processes
 *   from multiprocessing.dummy import Pool    # threads, same API
 *
 * Here the switch is one field, mp_pool_opts.threads, set from the command line:
 *   001-7_thread_pool              a thread pool (multiprocessing.dummy), as the demo runs it
 *   001-7_thread_pool processes    the same code on worker processes
 * Either way map gives [9227465, 9227465].  A second line shows where the workers run: a
 * thread worker's PID is the main PID, a process worker's is not.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* os.getpid() in a worker. */
static int pid_task(mp_task *t) {
  int64_t pid = getpid();
  return mp_task_return(t, &pid, sizeof pid);
}

int main(int argc, char **argv) {
  bool threads = !(argc > 1 && strcmp(argv[1], "processes") == 0); /* the one switch */

  mp_pool *pool;
  check(mp_pool_new(&pool, &(mp_pool_opts){.processes = 2, .threads = threads}), "Pool(2)");
  printf("%s\n",
         threads ? "multiprocessing.dummy.Pool(2): threads" : "multiprocessing.Pool(2): processes");

  mp_obj *items = mp_obj_list(); /* [35] * 2 */
  for (int i = 0; i < 2; i++) check(mp_obj_list_append_steal(items, mp_obj_int(35)), "append");
  mp_obj *results;
  check(mp_pool_map(pool, fib_task, items, 0, &results, MP_FOREVER), "pool.map");
  check(mp_obj_fprint(stdout, results), "print");
  printf("\n");

  void *buf;
  size_t len;
  check(mp_pool_apply(pool, pid_task, NULL, 0, &buf, &len, MP_FOREVER), "pool.apply(os.getpid)");
  int64_t worker_pid = len == sizeof worker_pid ? *(int64_t *)buf : -1;
  free(buf);
  printf("main pid %d, a worker's pid %lld\n", (int)getpid(), (long long)worker_pid);

  mp_obj_decref(results);
  mp_obj_decref(items);
  check(mp_pool_close(pool), "pool.close");
  check(mp_pool_join(pool, MP_FOREVER), "pool.join");
  mp_pool_free(pool);
  return 0;
}
