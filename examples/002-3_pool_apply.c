/* SPDX-License-Identifier: MIT */
/* 002-3_pool_apply.c -- twin of seed 002 §三, 同步调用 (synchronous calls): Pool(3) and ten
 * p.apply(work, args=(i,)) calls, each waiting for its result before the next is submitted.
 * Every task prints the PID of the worker running it: the pool made three workers at the start
 * and uses only those, so at most three PIDs appear.  Then main prints the squares.
 *
 * work() sleeps 0.05 s where the seed sleeps 1 s, so the ten calls take half a second.
 *
 *   Python                               C
 *   p = Pool(3)                          mp_pool_new(&p, &(mp_pool_opts){.processes = 3})
 *   res = p.apply(work, args=(i,))       mp_pool_apply_obj(p, work, arg, &res, MP_FOREVER)
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
  usleep(50000);
  mp_obj *r = mp_obj_int(n * n);
  rc = r ? mp_task_return_obj(t, r) : -ENOMEM;
  mp_obj_decref(r);
  return rc;
}

int main(void) {
  mp_pool *p;
  check(mp_pool_new(&p, &(mp_pool_opts){.processes = 3}), "Pool(3)");
  mp_obj *res_l = mp_obj_list();
  for (int i = 0; i < 10; i++) {
    mp_obj *arg = mp_obj_int(i), *res;
    check(mp_pool_apply_obj(p, work, arg, &res, MP_FOREVER), "p.apply");
    mp_obj_decref(arg);
    check(mp_obj_list_append_steal(res_l, res), "res_l.append");
  }
  check(mp_obj_fprint(stdout, res_l), "print");
  printf("\n");
  mp_obj_decref(res_l);
  check(mp_pool_close(p), "p.close");
  check(mp_pool_join(p, MP_FOREVER), "p.join");
  mp_pool_free(p);
  return 0;
}
