/* SPDX-License-Identifier: MIT */
/* test_manager_timeouts.c -- a proxy's time limit for its typed shorthands
 * (mp_proxy_set_timeout): a call whose answer does not come in time returns MP_ETIMEDOUT, calls
 * within the limit work, and the manager still shuts down with the abandoned call pending. */
#include <stdlib.h>

#include "harness.h"

START_TEST(typed_calls_time_out) {
  mp_manager *m;
  mp_assert_ok(mp_manager_new(&m, NULL));
  mp_assert_ok(mp_manager_start(m));
  mp_proxy *q, *d;
  mp_assert_ok(mp_manager_queue(m, 0, &q));
  mp_assert_ok(mp_manager_dict(m, NULL, &d));
  ck_assert_int_eq(mp_proxy_timeout(q), MP_FOREVER);
  mp_assert_ok(mp_proxy_set_timeout(q, 100));
  ck_assert_int_eq(mp_proxy_timeout(q), 100);
  /* get() on an empty queue blocks in the server: the answer does not come within 100 ms */
  mp_obj *out = NULL;
  int64_t t0 = mp_test_now_ms();
  mp_assert_rc(mp_queue_proxy_get(q, &out, MP_FOREVER), MP_ETIMEDOUT);
  ck_assert_int_lt(mp_test_now_ms() - t0, 3000);
  ck_assert_ptr_null(out);
  /* a call that answers at once is not affected */
  mp_assert_ok(mp_proxy_set_timeout(d, 5000));
  mp_obj *k = mp_obj_str("k"), *v = mp_obj_int(7);
  mp_assert_ok(mp_dict_proxy_set(d, k, v));
  mp_assert_ok(mp_dict_proxy_get(d, k, &out));
  int64_t got = 0;
  mp_assert_ok(mp_obj_get_int(out, &got));
  ck_assert_int_eq(got, 7);
  mp_obj_decref(out);
  mp_obj_decref(k);
  mp_obj_decref(v);
  mp_assert_rc(mp_proxy_set_timeout(NULL, 1), -EINVAL);
  ck_assert_int_eq(mp_proxy_timeout(NULL), MP_FOREVER);
  mp_proxy_free(q);
  mp_proxy_free(d);
  mp_assert_ok(mp_manager_shutdown(m)); /* with the abandoned get() still waiting there */
  mp_manager_free(m);
}
END_TEST

Suite *mp_test_suite(void) {
  Suite *s = suite_create("manager_timeouts");
  TCase *tc = mp_tcase("manager_timeouts", 60);
  tcase_add_test(tc, typed_calls_time_out);
  suite_add_tcase(s, tc);
  return s;
}
