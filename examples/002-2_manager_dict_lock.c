/* SPDX-License-Identifier: MIT */
/* 002-2_manager_dict_lock.c -- twin of seed 002 §二: a Manager dict {'count': 100}; 100
 * processes each decrement d['count'] while holding a Lock (without the lock the read and
 * the write of two processes could interleave and lose updates); the result is {'count': 0}.
 *
 * As in the seed the lock is a plain multiprocessing Lock (mp_lock_new, in the shared heap),
 * not a manager one.
 */
#include <stdio.h>
#include <stdlib.h>

#include <multiproc.h>

static void check(int rc, const char *what) {
  if (rc < 0) {
    fprintf(stderr, "%s: %s (%s)\n", what, mp_strerror(rc), mp_manager_errmsg());
    exit(1);
  }
}

typedef struct {
  mp_proxy *dic;
  mp_lock_t *lock;
} work_args;

static int work(void *arg) {
  work_args *a = arg;
  mp_obj *key = mp_obj_str("count"), *v;
  int64_t n;
  check(mp_lock_acquire(a->lock, MP_FOREVER), "lock"); /* with lock: */
  check(mp_dict_proxy_get(a->dic, key, &v), "d['count']");
  check(mp_obj_get_int(v, &n), "int");
  mp_obj_decref(v);
  v = mp_obj_int(n - 1); /* d['count'] -= 1 */
  check(mp_dict_proxy_set(a->dic, key, v), "d['count'] =");
  check(mp_lock_release(a->lock), "unlock");
  mp_obj_decref(v);
  mp_obj_decref(key);
  return 0;
}

int main(void) {
  work_args a;
  check(mp_lock_new(&a.lock), "Lock");
  mp_manager *m;
  check(mp_manager_new(&m, NULL), "Manager");
  check(mp_manager_start(m), "Manager.start");
  mp_obj *init = mp_obj_dict();
  mp_obj_dict_set_steal(init, mp_obj_str("count"), mp_obj_int(100));
  check(mp_manager_dict(m, init, &a.dic), "m.dict");
  mp_obj_decref(init);
  mp_process *p_l[100];
  for (int i = 0; i < 100; i++) {
    check(mp_process_new(&p_l[i], work, &a, NULL), "Process");
    check(mp_process_start(p_l[i]), "p.start");
  }
  for (int i = 0; i < 100; i++) {
    check(mp_process_join(p_l[i], MP_FOREVER), "p.join");
    mp_process_free(p_l[i]);
  }
  mp_obj *d;
  check(mp_proxy_getvalue(a.dic, &d), "print(dic)");
  mp_obj_fprint(stdout, d);
  printf("\n");
  mp_obj_decref(d);
  mp_proxy_free(a.dic);
  mp_manager_free(m);
  mp_lock_free(a.lock);
  return 0;
}
