/* SPDX-License-Identifier: MIT */
/* 002-6_pool_callback.c -- twin of seed 002 §三, 回调函数 (callback): Pool(5) runs
 * func1(10) with apply_async and callback=func2.  func1 runs in a worker and prints that
 * worker's PID; func2 gets func1's return value and runs in the main process, so the PID it
 * prints is the main PID printed first, and then it prints 100.  The labels are the seed's.
 *
 *   Python                                         C
 *   p.apply_async(func1, args=(10,),               mp_pool_apply_async_obj(p, func1, arg,
 *                 callback=func2)                    &(mp_async_opts){.callback = func2}, &r)
 *   func2(nn)                                      func2(r, user): nn is the result's value,
 *                                                  read with mp_async_result_item_obj(r, 0, ..)
 * The callback runs on the pool's result thread, in the main process.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <multiproc.h>

static void check(int rc, const char *what) {
  if (rc < 0) {
    fprintf(stderr, "%s: %s\n", what, mp_strerror(rc));
    exit(1);
  }
}

static int func1(mp_task *t) {
  mp_obj *arg;
  int rc = mp_task_arg_obj(t, &arg);
  if (rc) return rc;
  int64_t n;
  rc = mp_obj_get_int(arg, &n);
  mp_obj_decref(arg);
  if (rc) return mp_task_error(1, "func1() wants an int");
  printf("func1>> %d\n", (int)getpid());
  printf("func1\n");
  fflush(stdout);
  mp_obj *r = mp_obj_int(n * n);
  rc = r ? mp_task_return_obj(t, r) : -ENOMEM;
  mp_obj_decref(r);
  return rc;
}

static void func2(mp_async_result *r, void *user) {
  (void)user;
  mp_obj *nn;
  printf("func2>> %d\n", (int)getpid());
  printf("func2\n");
  if (mp_async_result_item_obj(r, 0, &nn) == 0) {
    mp_obj_fprint(stdout, nn);
    printf("\n");
    mp_obj_decref(nn);
  }
  fflush(stdout);
}

int main(void) {
  printf("主进程: %d\n", (int)getpid());
  fflush(stdout); /* before the workers' lines */
  mp_pool *p;
  check(mp_pool_new(&p, &(mp_pool_opts){.processes = 5}), "Pool(5)");
  mp_obj *arg = mp_obj_int(10);
  mp_async_result *r;
  check(mp_pool_apply_async_obj(p, func1, arg, &(mp_async_opts){.callback = func2}, &r),
        "p.apply_async");
  mp_obj_decref(arg);
  check(mp_pool_close(p), "p.close");
  check(mp_pool_join(p, MP_FOREVER), "p.join"); /* every callback has run once join returns */
  mp_async_result_free(r);
  mp_pool_free(p);
  return 0;
}
