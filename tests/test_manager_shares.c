/* SPDX-License-Identifier: MIT */
/* test_manager_shares.c -- register(typeid, callable=lambda: obj) for any object type
 * (mp_manager_type.shares): every call of the type id gets a proxy to one object, which
 * outlives its proxies; it can be a built-in type or a registered one; bad registrations are
 * refused; and a server's own calls between get_server() and serve_forever() are served there
 * and then instead of blocking. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* A registered type: a counter whose "inc" returns the new value. */
static int counter_create(mp_manager_ctx *c, const mp_obj *args, void *arg, void **self) {
  (void)c;
  (void)arg;
  int64_t *n = calloc(1, sizeof *n);
  if (n == NULL) return -ENOMEM;
  if (args && mp_obj_len(args) > 0) *n = mp_test_int_of(mp_obj_item(args, 0));
  *self = n;
  return 0;
}
static void counter_destroy(void *self, void *arg) {
  (void)arg;
  free(self);
}
static int counter_inc(mp_manager_ctx *c, void *self, const mp_obj *args, mp_obj **result) {
  (void)c;
  (void)args;
  *result = mp_obj_int(++*(int64_t *)self);
  return 0;
}
static const mp_manager_method counter_methods[] = {{"inc", counter_inc}};
static const mp_manager_type counter_type = {.type_id = "Counter",
                                             .create = counter_create,
                                             .destroy = counter_destroy,
                                             .methods = counter_methods,
                                             .nmethods = 1};

static mp_manager *started(mp_obj **args_out) {
  mp_manager *m;
  mp_assert_ok(mp_manager_new(&m, NULL));
  mp_assert_ok(mp_manager_register(m, &counter_type));
  mp_assert_ok(
      mp_manager_register(m, &(mp_manager_type){.type_id = "get_queue", .shares = "Queue"}));
  mp_obj *one[] = {mp_obj_int(100)};
  *args_out = mp_obj_tuple_steal(1, one); /* Counter(100); kept until the server started */
  mp_assert_ok(mp_manager_register(
      m,
      &(mp_manager_type){.type_id = "get_counter", .shares = "Counter", .shares_args = *args_out}));
  mp_assert_ok(mp_manager_start(m));
  return m;
}

static int64_t inc(mp_proxy *p) {
  mp_obj *r;
  mp_assert_ok(mp_proxy_call(p, "inc", NULL, &r, 10000));
  int64_t v = mp_test_int_of(r);
  mp_obj_decref(r);
  return v;
}

START_TEST(one_object_for_every_call) {
  mp_obj *args;
  mp_manager *m = started(&args);
  mp_proxy *a, *b;
  mp_assert_ok(mp_manager_create(m, "get_queue", NULL, &a));
  mp_assert_ok(mp_manager_create(m, "get_queue", NULL, &b));
  ck_assert_str_eq(mp_proxy_typeid(a), "Queue");
  mp_obj *hello = mp_obj_str("hello"), *got;
  mp_assert_ok(mp_queue_proxy_put(a, hello, MP_FOREVER));
  mp_assert_ok(mp_queue_proxy_get(b, &got, 10000)); /* the same queue */
  ck_assert_str_eq(mp_obj_str_data(got, NULL), "hello");
  mp_obj_decref(got);
  /* every proxy gone: the object stays, as the server's closure keeps Python's */
  mp_assert_ok(mp_queue_proxy_put(a, hello, MP_FOREVER));
  mp_proxy_free(a);
  mp_proxy_free(b);
  mp_assert_ok(mp_manager_create(m, "get_queue", NULL, &a));
  mp_assert_ok(mp_queue_proxy_get(a, &got, 10000));
  ck_assert_str_eq(mp_obj_str_data(got, NULL), "hello");
  mp_obj_decref(got);
  mp_proxy_free(a);
  mp_obj_decref(hello);

  /* a registered type, made with shares_args */
  mp_assert_ok(mp_manager_create(m, "get_counter", NULL, &a));
  ck_assert_str_eq(mp_proxy_typeid(a), "Counter");
  ck_assert_int_eq(inc(a), 101);
  mp_assert_ok(mp_manager_create(m, "get_counter", NULL, &b));
  ck_assert_int_eq(inc(b), 102);
  mp_proxy_free(a);
  mp_proxy_free(b);
  mp_obj_decref(args);
  mp_assert_ok(mp_manager_shutdown(m));
  mp_manager_free(m);
}
END_TEST

START_TEST(bad_registrations) {
  mp_manager *m;
  mp_assert_ok(mp_manager_new(&m, NULL));
  /* exactly one of create, callable and shares */
  mp_assert_rc(mp_manager_register(m, &(mp_manager_type){.type_id = "x"}), -EINVAL);
  mp_assert_rc(
      mp_manager_register(
          m, &(mp_manager_type){.type_id = "x", .shares = "Queue", .create = counter_create}),
      -EINVAL);
  mp_assert_rc(mp_manager_register(m, &(mp_manager_type){.type_id = "loop", .shares = "loop"}),
               -EINVAL);
  /* a type id that names nothing is refused when it is called */
  mp_assert_ok(mp_manager_register(m, &(mp_manager_type){.type_id = "get_none", .shares = "Nope"}));
  mp_assert_ok(mp_manager_start(m));
  mp_proxy *p = NULL;
  mp_assert_rc(mp_manager_create(m, "get_none", NULL, &p), MP_EREMOTE);
  ck_assert_ptr_null(p);
  ck_assert_msg(strstr(mp_manager_errmsg(), "Nope") != NULL, "message: %s", mp_manager_errmsg());
  mp_assert_ok(mp_manager_shutdown(m));
  mp_manager_free(m);
}
END_TEST

/* Calls on one's own manager between get_server() and serve_forever() used to wait for ever
 * for a serving thread that was not there yet. */
START_TEST(own_calls_before_serving) {
  mp_manager *m;
  mp_assert_ok(mp_manager_new(&m, &(mp_manager_opts){.address = "127.0.0.1:0"}));
  mp_assert_ok(
      mp_manager_register(m, &(mp_manager_type){.type_id = "get_queue", .shares = "Queue"}));
  mp_assert_ok(mp_manager_get_server(m));
  mp_proxy *d, *q;
  mp_assert_ok(mp_manager_dict(m, NULL, &d));
  mp_obj *k = mp_obj_str("k"), *v = mp_obj_int(1), *got;
  mp_assert_ok(mp_dict_proxy_set(d, k, v));
  mp_assert_ok(mp_dict_proxy_get(d, k, &got));
  ck_assert_int_eq(mp_test_int_of(got), 1);
  mp_obj_decref(got);
  mp_assert_ok(mp_manager_create(m, "get_queue", NULL, &q));
  mp_assert_ok(mp_queue_proxy_put(q, v, MP_FOREVER));
  int64_t n = -1;
  mp_assert_ok(mp_manager_number_of_objects(m, &n));
  ck_assert_int_eq(n, 2);
  mp_proxy_free(d);
  mp_proxy_free(q);
  mp_obj_decref(k);
  mp_obj_decref(v);
  mp_manager_free(m); /* never served: stops listening, frees the objects */
}
END_TEST

Suite *mp_test_suite(void) {
  Suite *s = suite_create("manager_shares");
  TCase *tc = mp_tcase("manager_shares", 60);
  tcase_add_test(tc, one_object_for_every_call);
  tcase_add_test(tc, bad_registrations);
  tcase_add_test(tc, own_calls_before_serving);
  suite_add_tcase(s, tc);
  return s;
}
