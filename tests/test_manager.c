/* SPDX-License-Identifier: MIT */
/* test_manager.c -- the manager: start/shutdown leaving nothing behind, the dict, list and
 * Namespace proxies from the parent and from children, errors with the server's message,
 * reference counting (objects freed with their last proxy, a dead client's references
 * dropped), and serving in the current process. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "manager_util.h"

static mp_obj *S(const char *s) { return mp_obj_str(s); }
static mp_obj *I(int64_t v) { return mp_obj_int(v); }

START_TEST(start_and_shutdown) {
  mp_manager *m = start_manager();
  ck_assert_ptr_nonnull(strchr(mp_manager_address(m), '@')); /* an abstract AF_UNIX name */
  const void *key;
  size_t klen;
  mp_assert_ok(mp_manager_authkey(m, &key, &klen));
  ck_assert_uint_eq(klen, 32);
  int64_t n = -1;
  mp_assert_ok(mp_manager_number_of_objects(m, &n));
  ck_assert_int_eq(n, 0);
  mp_assert_rc(mp_manager_start(m), MP_ESTATE);
  mp_assert_ok(mp_manager_shutdown(m));
  mp_assert_ok(mp_manager_shutdown(m)); /* idempotent */
  mp_proxy *p;
  mp_assert_rc(mp_manager_dict(m, NULL, &p), MP_ECLOSED);
  mp_manager_free(m);
  mp_manager_free(NULL);
  /* freeing without shutdown shuts down too */
  m = start_manager();
  mp_manager_free(m);
}
END_TEST

START_TEST(dict_methods) {
  mp_manager *m = start_manager();
  mp_obj *init = mp_obj_dict();
  mp_obj_dict_set_steal(init, S("count"), I(100));
  mp_proxy *d;
  mp_assert_ok(mp_manager_dict(m, init, &d));
  mp_obj_decref(init);
  ck_assert_str_eq(mp_proxy_typeid(d), "dict");
  mp_obj *k = S("count"), *v;
  mp_assert_ok(mp_dict_proxy_get(d, k, &v));
  ck_assert_int_eq(get_int(v), 100);
  mp_obj *x = S("x"), *one = I(1);
  mp_assert_ok(mp_dict_proxy_set(d, x, one));
  int64_t len;
  mp_assert_ok(mp_dict_proxy_len(d, &len));
  ck_assert_int_eq(len, 2);
  ck_assert_int_eq(mp_dict_proxy_contains(d, x), 1);
  mp_obj *missing = S("missing");
  ck_assert_int_eq(mp_dict_proxy_contains(d, missing), 0);
  mp_assert_rc(mp_dict_proxy_get(d, missing, &v), -ENOENT);
  ck_assert_ptr_nonnull(strstr(mp_manager_errmsg(), "KeyError: 'missing'"));
  mp_assert_ok(mp_dict_proxy_get_default(d, missing, one, &v));
  ck_assert_int_eq(get_int(v), 1);
  mp_assert_ok(mp_dict_proxy_get_default(d, missing, NULL, &v));
  ck_assert_int_eq(mp_obj_type_of(v), MP_OBJ_NONE);
  mp_obj_decref(v);
  mp_assert_ok(mp_dict_proxy_keys(d, &v));
  assert_repr(v, "['count', 'x']");
  mp_assert_ok(mp_dict_proxy_values(d, &v));
  assert_repr(v, "[100, 1]");
  mp_assert_ok(mp_dict_proxy_items(d, &v));
  assert_repr(v, "[('count', 100), ('x', 1)]");
  mp_obj *upd = mp_obj_dict();
  mp_obj_dict_set_steal(upd, S("y"), S("why"));
  mp_assert_ok(mp_dict_proxy_update(d, upd));
  mp_obj_decref(upd);
  mp_assert_ok(mp_dict_proxy_pop(d, x, &v));
  ck_assert_int_eq(get_int(v), 1);
  mp_assert_rc(mp_dict_proxy_pop(d, x, &v), -ENOENT);
  mp_assert_ok(mp_dict_proxy_setdefault(d, x, one, &v));
  ck_assert_int_eq(get_int(v), 1);
  mp_obj *two = I(2);
  mp_assert_ok(mp_dict_proxy_setdefault(d, x, two, &v));
  ck_assert_int_eq(get_int(v), 1);
  mp_assert_ok(mp_dict_proxy_del(d, x));
  mp_assert_rc(mp_dict_proxy_del(d, x), -ENOENT);
  mp_assert_ok(mp_dict_proxy_copy(d, &v));
  assert_repr(v, "{'count': 100, 'y': 'why'}");
  mp_assert_ok(mp_proxy_getvalue(d, &v));
  assert_repr(v, "{'count': 100, 'y': 'why'}");
  mp_obj *lst = mp_obj_list();
  mp_assert_rc(mp_dict_proxy_set(d, lst, one), -EINVAL); /* unhashable */
  ck_assert_ptr_nonnull(strstr(mp_manager_errmsg(), "unhashable"));
  mp_assert_rc(mp_proxy_call(d, "no_such_method", NULL, NULL, MP_FOREVER), MP_EREMOTE);
  ck_assert_ptr_nonnull(strstr(mp_manager_errmsg(), "no_such_method"));
  mp_assert_ok(mp_dict_proxy_clear(d));
  mp_assert_ok(mp_dict_proxy_len(d, &len));
  ck_assert_int_eq(len, 0);
  mp_obj_decref(lst);
  mp_obj_decref(k);
  mp_obj_decref(x);
  mp_obj_decref(one);
  mp_obj_decref(two);
  mp_obj_decref(missing);
  mp_proxy_free(d);
  mp_manager_free(m);
}
END_TEST

START_TEST(list_methods) {
  mp_manager *m = start_manager();
  mp_proxy *l;
  mp_assert_ok(mp_manager_list(m, NULL, &l));
  for (int i = 0; i < 5; i++) {
    mp_obj *v = I(i * 10);
    mp_assert_ok(mp_list_proxy_append(l, v));
    mp_obj_decref(v);
  }
  mp_obj *v, *ext = mp_obj_list();
  mp_obj_list_append_steal(ext, S("a"));
  mp_obj_list_append_steal(ext, S("b"));
  mp_assert_ok(mp_list_proxy_extend(l, ext));
  mp_obj_decref(ext);
  int64_t n;
  mp_assert_ok(mp_list_proxy_len(l, &n));
  ck_assert_int_eq(n, 7);
  mp_assert_ok(mp_list_proxy_get(l, 1, &v));
  ck_assert_int_eq(get_int(v), 10);
  mp_assert_ok(mp_list_proxy_get(l, -1, &v));
  assert_repr(v, "'b'");
  mp_assert_rc(mp_list_proxy_get(l, 7, &v), -ERANGE);
  mp_assert_rc(mp_list_proxy_get(l, -8, &v), -ERANGE);
  mp_obj *x = S("x");
  mp_assert_ok(mp_list_proxy_set(l, -2, x));
  mp_assert_ok(mp_list_proxy_slice(l, 1, 3, &v));
  assert_repr(v, "[10, 20]");
  mp_assert_ok(mp_list_proxy_slice(l, -2, 100, &v));
  assert_repr(v, "['x', 'b']");
  mp_assert_ok(mp_list_proxy_slice(l, 5, 2, &v));
  assert_repr(v, "[]");
  mp_assert_ok(mp_list_proxy_index(l, x, &n));
  ck_assert_int_eq(n, 5);
  mp_assert_ok(mp_list_proxy_count(l, x, &n));
  ck_assert_int_eq(n, 1);
  mp_assert_ok(mp_list_proxy_remove(l, x));
  mp_assert_rc(mp_list_proxy_remove(l, x), -ENOENT);
  mp_assert_rc(mp_list_proxy_index(l, x, &n), -ENOENT);
  mp_assert_ok(mp_list_proxy_insert(l, 0, x));
  mp_assert_ok(mp_list_proxy_pop(l, -1, &v));
  assert_repr(v, "'b'");
  mp_assert_ok(mp_list_proxy_pop(l, 0, &v));
  assert_repr(v, "'x'");
  mp_assert_ok(mp_proxy_getvalue(l, &v));
  assert_repr(v, "[0, 10, 20, 30, 40]");
  mp_assert_ok(mp_list_proxy_sort(l, true));
  mp_assert_ok(mp_proxy_getvalue(l, &v));
  assert_repr(v, "[40, 30, 20, 10, 0]");
  mp_obj *f = mp_obj_float(15.5);
  mp_assert_ok(mp_list_proxy_append(l, f));
  mp_obj_decref(f);
  mp_assert_ok(mp_list_proxy_sort(l, false));
  mp_assert_ok(mp_proxy_getvalue(l, &v));
  assert_repr(v, "[0, 10, 15.5, 20, 30, 40]");
  mp_assert_ok(mp_list_proxy_append(l, x));
  mp_assert_rc(mp_list_proxy_sort(l, false), -EINVAL); /* str < int does not compare */
  mp_obj_decref(x);
  mp_proxy_free(l);
  /* records of the seed: a list made from a list of tuples */
  mp_obj *recs = mp_obj_list();
  mp_obj_list_append_steal(recs, mp_obj_tuple2_steal(S("Sam"), I(10)));
  mp_obj_list_append_steal(recs, mp_obj_tuple2_steal(S("Adam"), I(9)));
  mp_assert_ok(mp_manager_list(m, recs, &l));
  mp_obj_decref(recs);
  mp_assert_ok(mp_list_proxy_get(l, 1, &v));
  assert_repr(v, "('Adam', 9)");
  mp_proxy_free(l);
  mp_manager_free(m);
}
END_TEST

START_TEST(namespace_methods) {
  mp_manager *m = start_manager();
  mp_proxy *ns;
  mp_assert_ok(mp_manager_namespace(m, &ns));
  mp_obj *v = I(1);
  mp_assert_ok(mp_ns_proxy_set(ns, "a", v));
  mp_obj_decref(v);
  mp_assert_ok(mp_ns_proxy_get(ns, "a", &v));
  ck_assert_int_eq(get_int(v), 1);
  mp_assert_rc(mp_ns_proxy_get(ns, "b", &v), -ENOENT);
  ck_assert_ptr_nonnull(strstr(mp_manager_errmsg(), "AttributeError"));
  mp_assert_ok(mp_ns_proxy_del(ns, "a"));
  mp_assert_rc(mp_ns_proxy_del(ns, "a"), -ENOENT);
  mp_proxy_free(ns);
  mp_manager_free(m);
}
END_TEST

/* 001-10's child: ns.a *= 2, extend, d['b'] = 0; through proxies inherited by fork. */
typedef struct shared3 {
  mp_proxy *ns, *l, *d;
} shared3;

static int modify(void *arg) {
  shared3 *s = arg;
  mp_obj *a;
  if (mp_ns_proxy_get(s->ns, "a", &a) != 0) return 1;
  int64_t v;
  mp_obj_get_int(a, &v);
  mp_obj_decref(a);
  a = mp_obj_int(v * 2);
  int rc = mp_ns_proxy_set(s->ns, "a", a);
  mp_obj_decref(a);
  mp_obj *ext = mp_obj_list();
  mp_obj_list_append_steal(ext, mp_obj_str("b"));
  mp_obj_list_append_steal(ext, mp_obj_str("c"));
  rc |= mp_list_proxy_extend(s->l, ext);
  mp_obj_decref(ext);
  mp_obj *k = mp_obj_str("b"), *z = mp_obj_int(0);
  rc |= mp_dict_proxy_set(s->d, k, z);
  mp_obj_decref(k);
  mp_obj_decref(z);
  return rc != 0 ? 2 : 0;
}

START_TEST(children_use_inherited_proxies) {
  mp_manager *m = start_manager();
  shared3 s;
  mp_assert_ok(mp_manager_namespace(m, &s.ns));
  mp_assert_ok(mp_manager_list(m, NULL, &s.l));
  mp_assert_ok(mp_manager_dict(m, NULL, &s.d));
  mp_obj *one = I(1), *a = S("a"), *b = S("b"), *two = I(2);
  mp_assert_ok(mp_ns_proxy_set(s.ns, "a", one));
  mp_assert_ok(mp_list_proxy_append(s.l, a));
  mp_assert_ok(mp_dict_proxy_set(s.d, b, two));
  ck_assert_int_eq(mp_test_finish(mp_test_start(modify, &s)), 0);
  mp_obj *v;
  mp_assert_ok(mp_ns_proxy_get(s.ns, "a", &v));
  ck_assert_int_eq(get_int(v), 2);
  mp_assert_ok(mp_proxy_getvalue(s.l, &v));
  assert_repr(v, "['a', 'b', 'c']");
  mp_assert_ok(mp_proxy_getvalue(s.d, &v));
  assert_repr(v, "{'b': 0}");
  /* the child's references went with it; ours keep the objects */
  int64_t n;
  mp_assert_ok(mp_manager_number_of_objects(m, &n));
  ck_assert_int_eq(n, 3);
  mp_proxy_free(s.ns);
  mp_proxy_free(s.l);
  mp_proxy_free(s.d);
  mp_assert_ok(mp_manager_number_of_objects(m, &n));
  ck_assert_int_eq(n, 0);
  mp_obj_decref(one);
  mp_obj_decref(a);
  mp_obj_decref(b);
  mp_obj_decref(two);
  mp_manager_free(m);
}
END_TEST

/* 002-2: 100 processes each decrement d['count'] under a Lock. */
typedef struct counter {
  mp_proxy *d;
  mp_lock_t *lock;
} counter;

static int decrement(void *arg) {
  counter *c = arg;
  mp_obj *k = mp_obj_str("count"), *v;
  int rc = mp_lock_acquire(c->lock, MP_FOREVER);
  int64_t n = 0;
  if (rc == 0) rc = mp_dict_proxy_get(c->d, k, &v);
  if (rc == 0) {
    mp_obj_get_int(v, &n);
    mp_obj_decref(v);
    v = mp_obj_int(n - 1);
    rc = mp_dict_proxy_set(c->d, k, v);
    mp_obj_decref(v);
  }
  mp_lock_release(c->lock);
  mp_obj_decref(k);
  return rc != 0;
}

START_TEST(many_children_count_down) {
  mp_manager *m = start_manager();
  counter c;
  mp_assert_ok(mp_lock_new(&c.lock));
  mp_obj *init = mp_obj_dict();
  mp_obj_dict_set_steal(init, S("count"), I(40));
  mp_assert_ok(mp_manager_dict(m, init, &c.d));
  mp_obj_decref(init);
  mp_process *ps[40];
  for (int i = 0; i < 40; i++) ps[i] = mp_test_start(decrement, &c);
  for (int i = 0; i < 40; i++) ck_assert_int_eq(mp_test_finish(ps[i]), 0);
  mp_obj *v;
  mp_assert_ok(mp_proxy_getvalue(c.d, &v));
  assert_repr(v, "{'count': 0}");
  mp_proxy_free(c.d);
  mp_lock_free(c.lock);
  mp_manager_free(m);
}
END_TEST

/* A child makes objects and is killed without freeing them: the server drops its
 * references. */
static int make_and_die(void *arg) {
  mp_manager *m = arg;
  mp_proxy *p[3];
  for (int i = 0; i < 3; i++)
    if (mp_manager_list(m, NULL, &p[i]) != 0) return 1;
  raise(SIGKILL);
  return 2;
}

START_TEST(dead_client_leaks_nothing) {
  mp_manager *m = start_manager();
  mp_proxy *keep;
  mp_assert_ok(mp_manager_dict(m, NULL, &keep));
  ck_assert_int_eq(mp_test_finish(mp_test_start(make_and_die, m)), -SIGKILL);
  int64_t n = -1;
  for (int i = 0; i < 100; i++) { /* the server notices within ~50 ms */
    mp_assert_ok(mp_manager_number_of_objects(m, &n));
    if (n == 1) break;
    mp_test_sleep_ms(20);
  }
  ck_assert_int_eq(n, 1);
  mp_proxy_free(keep);
  mp_manager_free(m);
}
END_TEST

/* A child that ends normally without freeing its proxies: same. */
static int make_and_exit(void *arg) {
  mp_manager *m = arg;
  mp_proxy *p;
  return mp_manager_list(m, NULL, &p) != 0;
}

START_TEST(exited_client_leaks_nothing) {
  mp_manager *m = start_manager();
  ck_assert_int_eq(mp_test_finish(mp_test_start(make_and_exit, m)), 0);
  int64_t n = -1;
  for (int i = 0; i < 100; i++) {
    mp_assert_ok(mp_manager_number_of_objects(m, &n));
    if (n == 0) break;
    mp_test_sleep_ms(20);
  }
  ck_assert_int_eq(n, 0);
  mp_manager_free(m);
}
END_TEST

START_TEST(server_killed) {
  mp_manager *m = start_manager();
  mp_proxy *d;
  mp_assert_ok(mp_manager_dict(m, NULL, &d));
  int64_t n;
  mp_assert_ok(mp_manager_number_of_objects(m, &n));
  /* find the server child and kill it */
  mp_process *kids[4];
  ck_assert_int_eq(mp_active_children(kids, 4), 1);
  mp_assert_ok(mp_process_kill(kids[0]));
  mp_assert_ok(mp_process_join(kids[0], 5000));
  int64_t t0 = mp_test_now_ms();
  mp_assert_rc(mp_dict_proxy_len(d, &n), MP_EBROKEN);
  ck_assert_int_lt(mp_test_now_ms() - t0, 3000);
  mp_proxy_free(d);
  mp_manager_free(m);
}
END_TEST

/* shutdown() after the server was SIGKILLed cleans up as usual but says it was broken. */
START_TEST(shutdown_after_server_killed) {
  mp_manager *m = start_manager();
  mp_process *kids[4];
  ck_assert_int_eq(mp_active_children(kids, 4), 1);
  mp_assert_ok(mp_process_kill(kids[0]));
  mp_assert_ok(mp_process_join(kids[0], 5000));
  mp_assert_rc(mp_manager_shutdown(m), MP_EBROKEN);
  mp_manager_free(m);
}
END_TEST

static void *serve_thread(void *arg) { return (void *)(intptr_t)mp_manager_serve_forever(arg); }

static int child_of_server(void *arg) {
  mp_manager *m = arg;
  mp_proxy *l;
  if (mp_manager_list(m, NULL, &l) != 0) return 1;
  mp_obj *v = mp_obj_int(7);
  int rc = mp_list_proxy_append(l, v);
  mp_obj_decref(v);
  int64_t n = 0;
  rc |= mp_list_proxy_len(l, &n);
  mp_proxy_free(l);
  rc |= mp_manager_shutdown(m); /* a client may stop the server */
  mp_manager_free(m);
  return rc != 0 || n != 1 ? 2 : 0;
}

START_TEST(serve_forever_in_process) {
  mp_manager *m;
  mp_assert_ok(mp_manager_new(&m, NULL));
  pthread_t t;
  ck_assert_int_eq(pthread_create(&t, NULL, serve_thread, m), 0);
  int64_t n = -1;
  for (int i = 0; i < 200 && mp_manager_number_of_objects(m, &n) != 0; i++) mp_test_sleep_ms(10);
  ck_assert_int_eq(n, 0);
  mp_proxy *d;
  mp_assert_ok(mp_manager_dict(m, NULL, &d));
  mp_proxy_free(d);
  ck_assert_int_eq(mp_test_finish(mp_test_start(child_of_server, m)), 0);
  void *r;
  pthread_join(t, &r);
  ck_assert_int_eq((int)(intptr_t)r, 0);
  mp_manager_free(m);
}
END_TEST

/* A manager's server dies with the process that started it, even one killed by SIGKILL. */
static int start_and_die(void *arg) {
  _Atomic int *server_pid = arg;
  mp_manager *m;
  if (mp_manager_new(&m, NULL) != 0 || mp_manager_start(m) != 0) return 1;
  mp_process *kids[2];
  if (mp_active_children(kids, 2) != 1) return 2;
  *server_pid = (int)mp_process_pid(kids[0]);
  raise(SIGKILL);
  return 3;
}

/* Alive and not a zombie (under a subreaper such as leakcheck the dead server is a zombie
 * until the subreaper reaps it). */
static bool running(pid_t pid) {
  char path[64], buf[256];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  FILE *f = fopen(path, "r");
  if (f == NULL) return false;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  const char *close_paren = strrchr(buf, ')');
  return close_paren != NULL && close_paren[1] == ' ' && close_paren[2] != 'Z' &&
         close_paren[2] != 'X';
}

START_TEST(server_dies_with_its_starter) {
  _Atomic int *server_pid = mp_shared_alloc(sizeof *server_pid);
  ck_assert_ptr_nonnull(server_pid);
  ck_assert_int_eq(mp_test_finish(mp_test_start(start_and_die, server_pid)), -SIGKILL);
  pid_t pid = *server_pid;
  ck_assert_int_gt(pid, 0);
  for (int i = 0; i < 250 && running(pid); i++) mp_test_sleep_ms(20);
  ck_assert_msg(!running(pid), "the server outlived its starter");
  mp_shared_free(server_pid, sizeof *server_pid);
}
END_TEST

/* Values larger than a channel's inline buffer travel in heap blocks, both ways. */
START_TEST(large_values) {
  mp_manager *m = start_manager();
  mp_proxy *d;
  mp_assert_ok(mp_manager_dict(m, NULL, &d));
  size_t n = 300000;
  char *buf = malloc(n);
  for (size_t i = 0; i < n; i++) buf[i] = (char)(i * 7);
  mp_obj *k = S("blob"), *v = mp_obj_bytes(buf, n), *r;
  mp_assert_ok(mp_dict_proxy_set(d, k, v));
  mp_assert_ok(mp_dict_proxy_get(d, k, &r));
  size_t len;
  const void *data = mp_obj_bytes_data(r, &len);
  ck_assert_uint_eq(len, n);
  ck_assert_mem_eq(data, buf, n);
  mp_obj_decref(r);
  mp_obj *big = mp_obj_list();
  for (int i = 0; i < 20000; i++) mp_obj_list_append_steal(big, I(i));
  mp_proxy *l;
  mp_assert_ok(mp_manager_list(m, big, &l));
  mp_assert_ok(mp_proxy_getvalue(l, &r));
  ck_assert(mp_obj_equal(r, big));
  mp_obj_decref(r);
  mp_obj_decref(big);
  mp_obj_decref(k);
  mp_obj_decref(v);
  free(buf);
  mp_proxy_free(d);
  mp_proxy_free(l);
  mp_manager_free(m);
}
END_TEST

/* A call's own timeout: the blocked method is abandoned (and cancelled), later calls work. */
START_TEST(call_timeout) {
  mp_manager *m = start_manager();
  mp_proxy *q;
  mp_assert_ok(mp_manager_queue(m, 0, &q));
  mp_obj *r;
  int64_t t0 = mp_test_now_ms();
  mp_assert_rc(mp_proxy_call(q, "get", NULL, &r, 100), MP_ETIMEDOUT);
  ck_assert_int_lt(mp_test_now_ms() - t0, 3000);
  mp_test_sleep_ms(300); /* the abandoned get is cancelled on the server meanwhile */
  mp_obj *one = I(1);
  mp_assert_ok(mp_queue_proxy_put(q, one, 0));
  mp_obj_decref(one);
  mp_assert_ok(mp_queue_proxy_get(q, &r, 1000)); /* not swallowed by the abandoned call */
  ck_assert_int_eq(get_int(r), 1);
  mp_proxy_free(q);
  mp_manager_free(m);
}
END_TEST

/* A shutdown from the starter wakes every server thread, the accepting one included: ten
 * start/shutdown cycles stop in well under a second in all here (about 70 ms each), where an
 * accepting thread that slept out its one-second look before noticing the stop made them take
 * about half a second each on average. */
START_TEST(shutdown_is_prompt) {
  int64_t spent = 0;
  for (int i = 0; i < 10; i++) {
    mp_manager *m = start_manager();
    int64_t t0 = mp_test_now_ms();
    mp_assert_ok(mp_manager_shutdown(m));
    spent += mp_test_now_ms() - t0;
    mp_manager_free(m);
  }
  ck_assert_msg(spent < 3000, "ten shutdowns took %lld ms", (long long)spent);
}
END_TEST

Suite *mp_test_suite(void) {
  Suite *s = suite_create("manager");
  TCase *tc = mp_tcase("manager", 60);
  tcase_add_test(tc, start_and_shutdown);
  tcase_add_test(tc, dict_methods);
  tcase_add_test(tc, list_methods);
  tcase_add_test(tc, namespace_methods);
  tcase_add_test(tc, children_use_inherited_proxies);
  tcase_add_test(tc, many_children_count_down);
  tcase_add_test(tc, dead_client_leaks_nothing);
  tcase_add_test(tc, exited_client_leaks_nothing);
  tcase_add_test(tc, server_killed);
  tcase_add_test(tc, shutdown_after_server_killed);
  tcase_add_test(tc, serve_forever_in_process);
  tcase_add_test(tc, large_values);
  tcase_add_test(tc, call_timeout);
  tcase_add_test(tc, server_dies_with_its_starter);
  tcase_add_test(tc, shutdown_is_prompt);
  suite_add_tcase(s, tc);
  return s;
}
