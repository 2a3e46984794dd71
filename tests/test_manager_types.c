/* SPDX-License-Identifier: MIT */
/* test_manager_types.c -- the manager's Value, Array, Queue, JoinableQueue, Lock, RLock,
 * Semaphore, BoundedSemaphore, Condition, Event and Barrier; blocking methods that block only
 * their caller; many clients at once; registered types (factory and callable=). */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "manager_util.h"

START_TEST(value_and_array) {
  mp_manager *m = start_manager();
  mp_proxy *v, *a;
  mp_obj *x = mp_obj_int(7), *big = mp_obj_int(INT64_C(1) << 40), *f = mp_obj_float(2.5);
  mp_assert_ok(mp_manager_value(m, 'i', x, &v));
  mp_obj *r;
  mp_assert_ok(mp_value_proxy_get(v, &r));
  ck_assert_int_eq(get_int(r), 7);
  mp_assert_rc(mp_value_proxy_set(v, big), -ERANGE);
  mp_assert_rc(mp_value_proxy_set(v, f), -EINVAL);
  mp_assert_ok(mp_value_proxy_set(v, x));
  mp_proxy_free(v);
  mp_assert_ok(mp_manager_value(m, 'd', x, &v)); /* an int stored as a double */
  mp_assert_ok(mp_value_proxy_get(v, &r));
  assert_repr(r, "7.0");
  mp_proxy_free(v);
  mp_obj *seq = mp_obj_list();
  for (int i = 0; i < 4; i++) mp_obj_list_append_steal(seq, mp_obj_int(i * i));
  mp_assert_ok(mp_manager_array(m, 'i', seq, &a));
  int64_t n;
  mp_assert_ok(mp_array_proxy_len(a, &n));
  ck_assert_int_eq(n, 4);
  mp_assert_ok(mp_array_proxy_get(a, -1, &r));
  ck_assert_int_eq(get_int(r), 9);
  mp_assert_ok(mp_array_proxy_set(a, 0, x));
  mp_assert_rc(mp_array_proxy_set(a, 4, x), -ERANGE);
  mp_assert_rc(mp_array_proxy_set(a, 1, f), -EINVAL);
  mp_assert_ok(mp_proxy_getvalue(a, &r));
  assert_repr(r, "[7, 1, 4, 9]");
  mp_proxy_free(a);
  mp_obj *sz = mp_obj_int(3);
  mp_assert_ok(mp_manager_array(m, 'd', sz, &a));
  mp_assert_ok(mp_proxy_getvalue(a, &r));
  assert_repr(r, "[0.0, 0.0, 0.0]");
  mp_proxy_free(a);
  mp_obj_list_append_steal(seq, mp_obj_str("x"));
  mp_assert_rc(mp_manager_array(m, 'i', seq, &a), -EINVAL);
  mp_obj_decref(seq);
  mp_obj_decref(sz);
  mp_obj_decref(x);
  mp_obj_decref(big);
  mp_obj_decref(f);
  mp_manager_free(m);
}
END_TEST

START_TEST(queue_methods) {
  mp_manager *m = start_manager();
  mp_proxy *q;
  mp_assert_ok(mp_manager_queue(m, 2, &q));
  ck_assert_int_eq(mp_queue_proxy_empty(q), 1);
  mp_obj *a = mp_obj_int(1), *b = mp_obj_str("two"), *r;
  mp_assert_ok(mp_queue_proxy_put(q, a, 0));
  mp_assert_ok(mp_queue_proxy_put(q, b, MP_FOREVER));
  ck_assert_int_eq(mp_queue_proxy_full(q), 1);
  mp_assert_rc(mp_queue_proxy_put(q, a, 0), MP_EFULL);
  int64_t t0 = mp_test_now_ms();
  mp_assert_rc(mp_queue_proxy_put(q, a, 150), MP_EFULL);
  ck_assert_int_ge(mp_test_now_ms() - t0, 140);
  int64_t n;
  mp_assert_ok(mp_queue_proxy_qsize(q, &n));
  ck_assert_int_eq(n, 2);
  mp_assert_ok(mp_queue_proxy_get(q, &r, MP_FOREVER));
  ck_assert_int_eq(get_int(r), 1);
  mp_assert_ok(mp_queue_proxy_get(q, &r, 0));
  assert_repr(r, "'two'");
  mp_assert_rc(mp_queue_proxy_get(q, &r, 0), MP_EEMPTY);
  mp_assert_rc(mp_queue_proxy_get(q, &r, 100), MP_EEMPTY);
  mp_assert_rc(mp_queue_proxy_task_done(q), MP_EREMOTE); /* a plain Queue has no task_done */
  mp_proxy_free(q);
  mp_assert_ok(mp_manager_joinable_queue(m, 0, &q));
  mp_assert_ok(mp_queue_proxy_put(q, a, 0));
  mp_assert_rc(mp_queue_proxy_join(q, 100), MP_ETIMEDOUT);
  mp_assert_ok(mp_queue_proxy_get(q, &r, 0));
  mp_obj_decref(r);
  mp_assert_ok(mp_queue_proxy_task_done(q));
  mp_assert_rc(mp_queue_proxy_task_done(q), -EOVERFLOW);
  mp_assert_ok(mp_queue_proxy_join(q, MP_FOREVER));
  mp_proxy_free(q);
  mp_obj_decref(a);
  mp_obj_decref(b);
  mp_manager_free(m);
}
END_TEST

/* A producer child puts 0..N-1 slowly; the parent's blocking gets wait for each. */
enum { QN = 20 };
static int producer(void *arg) {
  mp_proxy *q = arg;
  for (int i = 0; i < QN; i++) {
    if (i % 5 == 0) mp_test_sleep_ms(10);
    mp_obj *v = mp_obj_int(i);
    int rc = mp_queue_proxy_put(q, v, 10000);
    mp_obj_decref(v);
    if (rc != 0) return 1;
  }
  return 0;
}

START_TEST(queue_across_processes) {
  mp_manager *m = start_manager();
  mp_proxy *q;
  mp_assert_ok(mp_manager_queue(m, 3, &q));
  mp_process *p = mp_test_start(producer, q);
  for (int i = 0; i < QN; i++) {
    mp_obj *r;
    mp_assert_ok(mp_queue_proxy_get(q, &r, 10000));
    ck_assert_int_eq(get_int(r), i);
  }
  ck_assert_int_eq(mp_test_finish(p), 0);
  mp_proxy_free(q);
  mp_manager_free(m);
}
END_TEST

START_TEST(locks_and_semaphores) {
  mp_manager *m = start_manager();
  mp_proxy *l, *rl, *s, *bs;
  mp_assert_ok(mp_manager_lock(m, &l));
  mp_assert_ok(mp_lock_proxy_acquire(l, MP_FOREVER));
  mp_assert_rc(mp_lock_proxy_acquire(l, 0), MP_ETIMEDOUT);
  int64_t t0 = mp_test_now_ms();
  mp_assert_rc(mp_lock_proxy_acquire(l, 120), MP_ETIMEDOUT);
  ck_assert_int_ge(mp_test_now_ms() - t0, 110);
  mp_assert_ok(mp_lock_proxy_release(l));
  mp_assert_rc(mp_lock_proxy_release(l), MP_ESTATE);
  ck_assert_ptr_nonnull(strstr(mp_manager_errmsg(), "release unlocked lock"));
  mp_assert_ok(mp_manager_rlock(m, &rl));
  mp_assert_ok(mp_lock_proxy_acquire(rl, 0));
  mp_assert_ok(mp_lock_proxy_acquire(rl, 0)); /* recursive */
  mp_assert_ok(mp_lock_proxy_release(rl));
  mp_assert_ok(mp_lock_proxy_release(rl));
  mp_assert_rc(mp_lock_proxy_release(rl), MP_ESTATE);
  mp_assert_ok(mp_manager_semaphore(m, 2, &s));
  mp_assert_ok(mp_lock_proxy_acquire(s, 0));
  mp_assert_ok(mp_lock_proxy_acquire(s, 0));
  mp_assert_rc(mp_lock_proxy_acquire(s, 0), MP_ETIMEDOUT);
  mp_assert_ok(mp_lock_proxy_release(s));
  mp_assert_ok(mp_lock_proxy_release(s));
  mp_assert_ok(mp_lock_proxy_release(s)); /* unbounded: may go above the start */
  mp_assert_ok(mp_manager_bounded_semaphore(m, 1, &bs));
  mp_assert_rc(mp_lock_proxy_release(bs), -EOVERFLOW);
  mp_assert_ok(mp_lock_proxy_acquire(bs, 0));
  mp_assert_ok(mp_lock_proxy_release(bs));
  mp_proxy_free(l);
  mp_proxy_free(rl);
  mp_proxy_free(s);
  mp_proxy_free(bs);
  mp_manager_free(m);
}
END_TEST

/* An RLock held by one thread is not the other thread's. */
static void *rlock_other_thread(void *arg) {
  mp_proxy *rl = arg;
  if (mp_lock_proxy_release(rl) != MP_ESTATE) return (void *)1;
  if (mp_lock_proxy_acquire(rl, 50) != MP_ETIMEDOUT) return (void *)2;
  return NULL;
}

START_TEST(rlock_belongs_to_thread) {
  mp_manager *m = start_manager();
  mp_proxy *rl;
  mp_assert_ok(mp_manager_rlock(m, &rl));
  mp_assert_ok(mp_lock_proxy_acquire(rl, 0));
  ck_assert_int_eq(mp_test_threads(rlock_other_thread, rl, 1), 0);
  mp_assert_ok(mp_lock_proxy_release(rl));
  mp_proxy_free(rl);
  mp_manager_free(m);
}
END_TEST

/* Condition: a child waits, the parent notifies. */
static int cond_waiter(void *arg) {
  mp_proxy *c = arg;
  if (mp_lock_proxy_acquire(c, 5000) != 0) return 1;
  int rc = mp_condition_proxy_wait(c, 10000);
  mp_lock_proxy_release(c);
  return rc == 0 ? 0 : 2;
}

START_TEST(condition_notify) {
  mp_manager *m = start_manager();
  mp_proxy *c;
  mp_assert_ok(mp_manager_condition(m, &c));
  mp_assert_rc(mp_condition_proxy_wait(c, 0), MP_ESTATE); /* not held */
  mp_assert_rc(mp_condition_proxy_notify(c, 1), MP_ESTATE);
  mp_assert_ok(mp_lock_proxy_acquire(c, 0));
  mp_assert_rc(mp_condition_proxy_wait(c, 50), MP_ETIMEDOUT);
  mp_assert_ok(mp_lock_proxy_release(c));
  mp_process *w[2] = {mp_test_start(cond_waiter, c), mp_test_start(cond_waiter, c)};
  /* notify until both have been woken: they may not all be waiting yet */
  for (int i = 0; i < 500 && (mp_process_is_alive(w[0]) || mp_process_is_alive(w[1])); i++) {
    mp_assert_ok(mp_lock_proxy_acquire(c, 5000));
    mp_assert_ok(mp_condition_proxy_notify(c, 1));
    mp_assert_ok(mp_lock_proxy_release(c));
    mp_test_sleep_ms(10);
  }
  ck_assert_int_eq(mp_test_finish(w[0]), 0);
  ck_assert_int_eq(mp_test_finish(w[1]), 0);
  mp_assert_ok(mp_lock_proxy_acquire(c, 0));
  mp_assert_ok(mp_condition_proxy_notify_all(c));
  mp_assert_ok(mp_lock_proxy_release(c));
  mp_proxy_free(c);
  mp_manager_free(m);
}
END_TEST

/* wait_for: a child waits until the shared counter reaches 3; the parent bumps it. */
typedef struct wf {
  mp_proxy *c, *v;
} wf;

static bool reached(void *arg) {
  wf *w = arg;
  mp_obj *r;
  int64_t n = 0;
  if (mp_value_proxy_get(w->v, &r) == 0) {
    mp_obj_get_int(r, &n);
    mp_obj_decref(r);
  }
  return n >= 3;
}

static int wait_for_child(void *arg) {
  wf *w = arg;
  if (mp_lock_proxy_acquire(w->c, 5000) != 0) return 1;
  int rc = mp_condition_proxy_wait_for(w->c, reached, w, 10000);
  mp_lock_proxy_release(w->c);
  return rc == 0 ? 0 : 2;
}

START_TEST(condition_wait_for) {
  mp_manager *m = start_manager();
  wf w;
  mp_obj *zero = mp_obj_int(0);
  mp_assert_ok(mp_manager_condition(m, &w.c));
  mp_assert_ok(mp_manager_value(m, 'i', zero, &w.v));
  mp_obj_decref(zero);
  mp_assert_ok(mp_lock_proxy_acquire(w.c, 0));
  mp_assert_rc(mp_condition_proxy_wait_for(w.c, reached, &w, 50), MP_ETIMEDOUT);
  mp_assert_ok(mp_lock_proxy_release(w.c));
  mp_process *p = mp_test_start(wait_for_child, &w);
  for (int i = 1; i <= 3; i++) {
    mp_test_sleep_ms(20);
    mp_assert_ok(mp_lock_proxy_acquire(w.c, 5000));
    mp_obj *v = mp_obj_int(i);
    mp_assert_ok(mp_value_proxy_set(w.v, v));
    mp_obj_decref(v);
    mp_assert_ok(mp_condition_proxy_notify_all(w.c));
    mp_assert_ok(mp_lock_proxy_release(w.c));
  }
  ck_assert_int_eq(mp_test_finish(p), 0);
  mp_proxy_free(w.c);
  mp_proxy_free(w.v);
  mp_manager_free(m);
}
END_TEST

static int event_waiter(void *arg) { return mp_event_proxy_wait(arg, 10000) == 0 ? 0 : 1; }

START_TEST(event_set_wait) {
  mp_manager *m = start_manager();
  mp_proxy *e;
  mp_assert_ok(mp_manager_event(m, &e));
  ck_assert_int_eq(mp_event_proxy_is_set(e), 0);
  mp_assert_rc(mp_event_proxy_wait(e, 50), MP_ETIMEDOUT);
  mp_process *p = mp_test_start(event_waiter, e);
  mp_test_sleep_ms(50);
  mp_assert_ok(mp_event_proxy_set(e));
  ck_assert_int_eq(mp_test_finish(p), 0);
  ck_assert_int_eq(mp_event_proxy_is_set(e), 1);
  mp_assert_ok(mp_event_proxy_wait(e, 0));
  mp_assert_ok(mp_event_proxy_clear(e));
  ck_assert_int_eq(mp_event_proxy_is_set(e), 0);
  mp_proxy_free(e);
  mp_manager_free(m);
}
END_TEST

static int barrier_party(void *arg) {
  int rc = mp_barrier_proxy_wait(arg, 10000);
  return rc >= 0 && rc < 3 ? 0 : 1;
}

START_TEST(barrier_wait) {
  mp_manager *m = start_manager();
  mp_proxy *b;
  mp_assert_ok(mp_manager_barrier(m, 3, &b));
  ck_assert_int_eq(mp_barrier_proxy_parties(b), 3);
  mp_process *p[2] = {mp_test_start(barrier_party, b), mp_test_start(barrier_party, b)};
  int idx = mp_barrier_proxy_wait(b, 10000);
  ck_assert_int_ge(idx, 0);
  ck_assert_int_lt(idx, 3);
  ck_assert_int_eq(mp_test_finish(p[0]), 0);
  ck_assert_int_eq(mp_test_finish(p[1]), 0);
  ck_assert_int_eq(mp_barrier_proxy_n_waiting(b), 0);
  /* a timeout breaks it for everybody until reset */
  mp_assert_rc(mp_barrier_proxy_wait(b, 50), MP_EBROKEN);
  ck_assert_int_eq(mp_barrier_proxy_broken(b), 1);
  mp_assert_rc(mp_barrier_proxy_wait(b, 50), MP_EBROKEN);
  mp_assert_ok(mp_barrier_proxy_reset(b));
  ck_assert_int_eq(mp_barrier_proxy_broken(b), 0);
  mp_assert_ok(mp_barrier_proxy_abort(b));
  ck_assert_int_eq(mp_barrier_proxy_broken(b), 1);
  mp_proxy_free(b);
  mp_manager_free(m);
}
END_TEST

/* While a child blocks in Queue.get and another in Lock.acquire, other calls are served. */
static int blocked_getter(void *arg) {
  mp_obj *r;
  int rc = mp_queue_proxy_get(arg, &r, 10000);
  mp_obj_decref(r);
  return rc == 0 ? 0 : 1;
}

static int blocked_locker(void *arg) {
  int rc = mp_lock_proxy_acquire(arg, 10000);
  if (rc == 0) rc = mp_lock_proxy_release(arg);
  return rc == 0 ? 0 : 1;
}

START_TEST(blocking_call_blocks_only_its_caller) {
  mp_manager *m = start_manager();
  mp_proxy *q, *l, *d;
  mp_assert_ok(mp_manager_queue(m, 0, &q));
  mp_assert_ok(mp_manager_lock(m, &l));
  mp_assert_ok(mp_manager_dict(m, NULL, &d));
  mp_assert_ok(mp_lock_proxy_acquire(l, 0));
  mp_process *g = mp_test_start(blocked_getter, q), *k = mp_test_start(blocked_locker, l);
  mp_test_sleep_ms(100);
  int64_t t0 = mp_test_now_ms();
  for (int i = 0; i < 100; i++) {
    mp_obj *key = mp_obj_int(i);
    mp_assert_ok(mp_dict_proxy_set(d, key, key));
    mp_obj_decref(key);
  }
  int64_t n;
  mp_assert_ok(mp_dict_proxy_len(d, &n));
  ck_assert_int_eq(n, 100);
  ck_assert_int_lt(mp_test_now_ms() - t0, 3000);
  ck_assert(mp_process_is_alive(g) && mp_process_is_alive(k));
  mp_obj *one = mp_obj_int(1);
  mp_assert_ok(mp_queue_proxy_put(q, one, 0));
  mp_obj_decref(one);
  mp_assert_ok(mp_lock_proxy_release(l));
  ck_assert_int_eq(mp_test_finish(g), 0);
  ck_assert_int_eq(mp_test_finish(k), 0);
  mp_proxy_free(q);
  mp_proxy_free(l);
  mp_proxy_free(d);
  mp_manager_free(m);
}
END_TEST

/* A client killed while blocked in a call: the server stays healthy and frees its thread. */
static int get_forever(void *arg) {
  mp_obj *r;
  mp_queue_proxy_get(arg, &r, MP_FOREVER);
  return 1;
}

START_TEST(client_killed_mid_call) {
  mp_manager *m = start_manager();
  mp_proxy *q;
  mp_assert_ok(mp_manager_queue(m, 0, &q));
  mp_process *p = mp_test_start(get_forever, q);
  mp_test_sleep_ms(100);
  mp_assert_ok(mp_process_kill(p));
  ck_assert_int_eq(mp_test_finish(p), -SIGKILL);
  /* the dead getter must not swallow this item */
  mp_test_sleep_ms(300);
  mp_obj *one = mp_obj_int(1), *r;
  mp_assert_ok(mp_queue_proxy_put(q, one, 0));
  mp_obj_decref(one);
  mp_assert_ok(mp_queue_proxy_get(q, &r, 1000));
  ck_assert_int_eq(get_int(r), 1);
  int64_t n;
  mp_assert_ok(mp_manager_number_of_objects(m, &n));
  ck_assert_int_eq(n, 1);
  mp_proxy_free(q);
  mp_manager_free(m);
}
END_TEST

/* 16 processes x 4 threads hammer one dict and one list at once. */
typedef struct many {
  mp_proxy *d, *l;
} many;

static void *many_thread(void *arg) {
  many *s = arg;
  for (int i = 0; i < 50; i++) {
    mp_obj *v = mp_obj_int(i);
    if (mp_list_proxy_append(s->l, v) != 0) return (void *)1;
    if (mp_dict_proxy_set(s->d, v, v) != 0) return (void *)2;
    mp_obj_decref(v);
  }
  return NULL;
}

static int many_client(void *arg) { return mp_test_threads(many_thread, arg, 4); }

START_TEST(many_clients) {
  mp_manager *m = start_manager();
  many s;
  mp_assert_ok(mp_manager_dict(m, NULL, &s.d));
  mp_assert_ok(mp_manager_list(m, NULL, &s.l));
  mp_process *p[16];
  for (int i = 0; i < 16; i++) p[i] = mp_test_start(many_client, &s);
  for (int i = 0; i < 16; i++) ck_assert_int_eq(mp_test_finish(p[i]), 0);
  int64_t n;
  mp_assert_ok(mp_list_proxy_len(s.l, &n));
  ck_assert_int_eq(n, 16 * 4 * 50);
  mp_assert_ok(mp_dict_proxy_len(s.d, &n));
  ck_assert_int_eq(n, 50);
  mp_proxy_free(s.d);
  mp_proxy_free(s.l);
  mp_manager_free(m);
}
END_TEST

/* ---- registered types ---- */

typedef struct counter {
  int64_t n;
} counter;

static int counter_create(mp_manager_ctx *c, const mp_obj *args, void *arg, void **self) {
  (void)arg;
  int64_t start = 0;
  if (mp_obj_len(args) > 0 && mp_obj_get_int(mp_obj_item(args, 0), &start) != 0)
    return mp_manager_error(c, -EINVAL, "Counter(start): start must be an int");
  counter *k = malloc(sizeof *k);
  if (k == NULL) return -ENOMEM;
  k->n = start;
  *self = k;
  return 0;
}

static void counter_destroy(void *self, void *arg) {
  (void)arg;
  free(self);
}

static int counter_add(mp_manager_ctx *c, void *self, const mp_obj *args, mp_obj **result) {
  counter *k = self;
  int64_t d = 1;
  if (mp_obj_len(args) > 0 && mp_obj_get_int(mp_obj_item(args, 0), &d) != 0)
    return mp_manager_error(c, -EINVAL, "add(n): n must be an int");
  k->n += d;
  *result = mp_obj_int(k->n);
  return 0;
}

static int counter_fail(mp_manager_ctx *c, void *self, const mp_obj *args, mp_obj **result) {
  (void)self;
  (void)args;
  (void)result;
  return mp_manager_error(c, 0, "this method always fails (%d)", 42);
}

static const mp_manager_method counter_methods[] = {{"add", counter_add}, {"fail", counter_fail}};

static mp_obj *the_list;
static mp_obj *get_list(void *arg) {
  (void)arg;
  return the_list;
}

static int use_counter(void *arg) {
  mp_proxy *k = arg;
  mp_obj *r;
  for (int i = 0; i < 10; i++) {
    if (mp_proxy_call(k, "add", NULL, &r, MP_FOREVER) != 0) return 1;
    mp_obj_decref(r);
  }
  return 0;
}

START_TEST(registered_types) {
  the_list = mp_obj_list();
  mp_manager *m;
  mp_assert_ok(mp_manager_new(&m, NULL));
  mp_manager_type t = {.type_id = "Counter",
                       .create = counter_create,
                       .destroy = counter_destroy,
                       .methods = counter_methods,
                       .nmethods = 2};
  mp_assert_ok(mp_manager_register(m, &t));
  mp_assert_rc(mp_manager_register(m, &t), -EEXIST);
  mp_assert_rc(mp_manager_register(m, &(mp_manager_type){.type_id = "dict", .callable = get_list}),
               -EEXIST);
  mp_assert_rc(mp_manager_register(m, &(mp_manager_type){.type_id = "x"}), -EINVAL);
  mp_assert_ok(
      mp_manager_register(m, &(mp_manager_type){.type_id = "get_list", .callable = get_list}));
  mp_assert_ok(mp_manager_start(m));
  mp_assert_rc(mp_manager_register(m, &t), MP_ESTATE);
  mp_obj *args = mp_obj_tuple_steal(1, (mp_obj *[]){mp_obj_int(100)}), *r;
  mp_proxy *k;
  mp_assert_ok(mp_manager_create(m, "Counter", args, &k));
  mp_obj_decref(args);
  ck_assert_str_eq(mp_proxy_typeid(k), "Counter");
  mp_process *p[3];
  for (int i = 0; i < 3; i++) p[i] = mp_test_start(use_counter, k);
  for (int i = 0; i < 3; i++) ck_assert_int_eq(mp_test_finish(p[i]), 0);
  mp_assert_ok(mp_proxy_call(k, "add", NULL, &r, MP_FOREVER));
  ck_assert_int_eq(get_int(r), 131);
  mp_assert_rc(mp_proxy_call(k, "fail", NULL, &r, MP_FOREVER), MP_EREMOTE);
  ck_assert_str_eq(mp_manager_errmsg(), "this method always fails (42)");
  mp_assert_rc(mp_proxy_call(k, "nope", NULL, &r, MP_FOREVER), MP_EREMOTE);
  mp_obj *bad = mp_obj_tuple_steal(1, (mp_obj *[]){mp_obj_str("x")});
  mp_assert_rc(mp_proxy_call(k, "add", bad, &r, MP_FOREVER), -EINVAL);
  ck_assert_str_eq(mp_manager_errmsg(), "add(n): n must be an int");
  mp_proxy *none;
  mp_assert_rc(mp_manager_create(m, "Counter", bad, &none), -EINVAL);
  ck_assert_ptr_null(none);
  mp_obj_decref(bad);
  mp_assert_rc(mp_manager_create(m, "NoSuchType", NULL, &none), MP_EREMOTE);
  /* callable=: every get_list gives the same server object */
  mp_proxy *l1, *l2;
  mp_assert_ok(mp_manager_create(m, "get_list", NULL, &l1));
  ck_assert_str_eq(mp_proxy_typeid(l1), "list");
  mp_obj *one = mp_obj_int(1);
  mp_assert_ok(mp_list_proxy_append(l1, one));
  mp_obj_decref(one);
  mp_assert_ok(mp_manager_create(m, "get_list", NULL, &l2));
  mp_assert_ok(mp_proxy_getvalue(l2, &r));
  assert_repr(r, "[1]");
  int64_t n;
  mp_assert_ok(mp_manager_number_of_objects(m, &n));
  ck_assert_int_eq(n, 2); /* the counter and the one shared list */
  mp_proxy_free(l1);
  mp_proxy_free(l2);
  mp_assert_ok(mp_manager_create(m, "get_list", NULL, &l1)); /* the list outlived its proxies */
  mp_assert_ok(mp_proxy_getvalue(l1, &r));
  assert_repr(r, "[1]");
  mp_proxy_free(l1);
  mp_proxy_free(k);
  mp_manager_free(m);
  mp_obj_decref(the_list);
}
END_TEST

Suite *mp_test_suite(void) {
  Suite *s = suite_create("manager_types");
  TCase *tc = mp_tcase("manager_types", 60);
  tcase_add_test(tc, value_and_array);
  tcase_add_test(tc, queue_methods);
  tcase_add_test(tc, queue_across_processes);
  tcase_add_test(tc, locks_and_semaphores);
  tcase_add_test(tc, rlock_belongs_to_thread);
  tcase_add_test(tc, condition_notify);
  tcase_add_test(tc, condition_wait_for);
  tcase_add_test(tc, event_set_wait);
  tcase_add_test(tc, barrier_wait);
  tcase_add_test(tc, blocking_call_blocks_only_its_caller);
  tcase_add_test(tc, client_killed_mid_call);
  tcase_add_test(tc, many_clients);
  tcase_add_test(tc, registered_types);
  suite_add_tcase(s, tc);
  return s;
}
