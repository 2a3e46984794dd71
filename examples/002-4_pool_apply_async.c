/* SPDX-License-Identifier: MIT */
/* 002-4_pool_apply_async.c -- twin of seed 002 §三, 异步调用 (asynchronous calls): Pool(3),
 * ten p.apply_async(work, args=(i,)) calls submitted at once, then close() and join(), then
 * each result's get() printed in submission order.  The three workers share the ten tasks: at
 * most three PIDs appear in the "run" lines, which all come before the results.
 *
 * work() sleeps random() * 0.1 s where the seed sleeps random() s.
 *
 *   Python                                  C
 *   res = p.apply_async(work, args=(i,))    mp_pool_apply_async_obj(p, work, arg, NULL, &res)
 *   p.close(); p.join()                     mp_pool_close(p); mp_pool_join(p, MP_FOREVER)
 *   res.get()                               mp_async_result_get(res, ...), then the value with
 *                                           mp_async_result_item_obj(res, 0, &value)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <multiproc.h>

static void check(int rc, const char *what) {
  if (rc < 0) {
    fprintf(stderr, "%s: %s\n", what, mp_strerror(rc));
    exit(1);
  }
}

static int work(mp_task *t) {
  mp_obj *arg;
  int rc = mp_task_arg_obj(t, &arg);
  if (rc) return rc;
  int64_t n;
  rc = mp_obj_get_int(arg, &n);
  mp_obj_decref(arg);
  if (rc) return mp_task_error(1, "work() wants an int");
  printf("%d run\n", (int)getpid());
  fflush(stdout);
  /* random.random(): the workers are forks with one rand() state, so seed per task */
  unsigned seed = (unsigned)getpid() * 2654435761u ^ (unsigned)n ^ (unsigned)time(NULL);
  usleep((useconds_t)(rand_r(&seed) % 100000));
  mp_obj *r = mp_obj_int(n * n);
  rc = r ? mp_task_return_obj(t, r) : -ENOMEM;
  mp_obj_decref(r);
  return rc;
}

int main(void) {
  mp_pool *p;
  check(mp_pool_new(&p, &(mp_pool_opts){.processes = 3}), "Pool(3)");
  mp_async_result *res_l[10];
  for (int i = 0; i < 10; i++) {
    mp_obj *arg = mp_obj_int(i);
    check(mp_pool_apply_async_obj(p, work, arg, NULL, &res_l[i]), "p.apply_async");
    mp_obj_decref(arg);
  }
  check(mp_pool_close(p), "p.close");
  check(mp_pool_join(p, MP_FOREVER), "p.join");
  for (int i = 0; i < 10; i++) {
    mp_obj *value;
    check(mp_async_result_get(res_l[i], MP_FOREVER), "res.get");
    check(mp_async_result_item_obj(res_l[i], 0, &value), "res.get");
    check(mp_obj_fprint(stdout, value), "print");
    printf("\n");
    mp_obj_decref(value);
    mp_async_result_free(res_l[i]);
  }
  mp_pool_free(p);
  return 0;
}
