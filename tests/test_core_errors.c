/* SPDX-License-Identifier: MIT */
/* test_core_errors.c -- the error model: library codes outside errno, names and descriptions, and
 * the details that mp_error_message() adds for the failures users hit first. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

static const int lib_codes[] = {
    MP_EOF,      MP_ECLOSED,   MP_EFULL,   MP_EEMPTY,  MP_EOWNERDEAD, MP_ENOTRECOVERABLE,
    MP_EBROKEN,  MP_EAUTH,     MP_EWORKER, MP_ESTATE,  MP_ENOTREADY,  MP_ETOOBIG,
    MP_ECORRUPT, MP_ENOTCHILD, MP_ETASK,   MP_EREMOTE, MP_ENOTREG,    MP_ECANCELLED};

START_TEST(library_codes_are_named) {
  size_t n = sizeof lib_codes / sizeof lib_codes[0];
  ck_assert_int_eq((int)n, MP_ERRBASE - MP_ERRLAST - 1); /* the table covers every code */
  for (size_t i = 0; i < n; i++) {
    ck_assert_int_lt(lib_codes[i], -4095); /* beyond every errno value */
    ck_assert_str_ne(mp_strerror(lib_codes[i]), "unknown error");
    ck_assert(strncmp(mp_err_name(lib_codes[i]), "MP_E", 4) == 0);
    for (size_t j = 0; j < i; j++) {
      ck_assert_int_ne(lib_codes[i], lib_codes[j]);
      ck_assert_str_ne(mp_strerror(lib_codes[i]), mp_strerror(lib_codes[j]));
    }
  }
  ck_assert_str_eq(mp_err_name(MP_EOF), "MP_EOF");
  ck_assert_str_eq(mp_err_name(MP_ENOTCHILD), "MP_ENOTCHILD");
}
END_TEST

START_TEST(errno_values_pass_through) {
  ck_assert_int_eq(MP_ETIMEDOUT, -ETIMEDOUT);
  ck_assert_str_eq(mp_strerror(-EINVAL), strerror(EINVAL));
  ck_assert_str_eq(mp_strerror(EINVAL), strerror(EINVAL));
  ck_assert_str_eq(mp_err_name(-EINVAL), "EINVAL");
  ck_assert_str_eq(mp_err_name(MP_ETIMEDOUT), "ETIMEDOUT");
  ck_assert_str_eq(mp_strerror(0), "success");
  ck_assert_str_eq(mp_err_name(0), "OK");
  ck_assert_str_eq(mp_strerror(-9999), "unknown error");
  ck_assert_str_eq(mp_err_name(-9999), "UNKNOWN");
  ck_assert_str_eq(mp_strerror(MP_ERRLAST), "unknown error");
  ck_assert_str_eq(mp_strerror(-2147483647 - 1), "unknown error");
}
END_TEST

/* The library a program runs with reports the version its headers were built with. */
START_TEST(version_matches_the_headers) {
  ck_assert_str_eq(mp_version(), MP_VERSION_STRING);
  char want[32];
  snprintf(want, sizeof want, "%d.%d.%d", MP_VERSION_MAJOR, MP_VERSION_MINOR, MP_VERSION_PATCH);
  ck_assert_str_eq(mp_version(), want);
}
END_TEST

/* ---- mp_error_message ---- */

/* Asserts that mp_error_message(rc) starts with mp_strerror(rc) and contains what. */
#define assert_message(rc, what)                                                                   \
  do {                                                                                             \
    const char *m_ = mp_error_message(rc);                                                         \
    ck_assert_msg(strncmp(m_, mp_strerror(rc), strlen(mp_strerror(rc))) == 0 &&                    \
                      strstr(m_, (what)) != NULL,                                                  \
                  "mp_error_message(%d) is \"%s\", wanted \"%s\" in it", (rc), m_, (what));        \
  } while (0)

START_TEST(details_belong_to_their_code) {
  mp_listener *l = NULL;
  mp_assert_rc(mp_listener_new(&l, "127.0.0.1", NULL), -EINVAL);
  assert_message(-EINVAL, "\"127.0.0.1\" has no port");
  /* another code: no detail of somebody else's */
  ck_assert_str_eq(mp_error_message(-ENOMEM), mp_strerror(-ENOMEM));
  ck_assert_str_eq(mp_error_message(0), mp_strerror(0));
}
END_TEST

START_TEST(address_errors_say_what_is_wrong) {
  mp_conn *c = NULL;
  mp_assert_rc(mp_client(&c, "127.0.0.1", &(mp_client_opts){"k", 1}, 1000), -EINVAL);
  assert_message(-EINVAL, "has no port");
  mp_listener *l = NULL;
  mp_assert_rc(mp_listener_new(&l, "127.0.0.1:99999", NULL), -EINVAL);
  assert_message(-EINVAL, "the port \"99999\" is not a number from 0 to 65535");
  mp_assert_rc(mp_listener_new(&l, "::1:80", NULL), -EINVAL);
  assert_message(-EINVAL, "an IPv6 address is \"[addr]:port\"");
  /* An unknown host: NXDOMAIN, or no resolver reachable at all; either way the message names
   * the host (one short try, so a machine without DNS answers quickly). */
  setenv("RES_OPTIONS", "timeout:1 attempts:1", 1);
  int rc = mp_client(&c, "no-such-host.invalid:80", &(mp_client_opts){"k", 1}, 5000);
  ck_assert_msg(rc == -ENXIO || rc == -EAGAIN, "mp_client gave %d", rc);
  assert_message(rc, "cannot resolve \"no-such-host.invalid\"");
}
END_TEST

/* pickle.dumps(1, protocol=4): what Python's Connection.send(1) writes in its frame. */
static const unsigned char pickled_one[] = {0x80, 0x04, 'K', 0x01, '.'};

START_TEST(a_pickle_is_named_as_such) {
  mp_conn *a, *b;
  mp_assert_ok(mp_pipe(&a, &b, true));
  mp_assert_ok(mp_conn_send_bytes(a, pickled_one, 0, sizeof pickled_one, 1000));
  mp_obj *o = NULL;
  mp_assert_rc(mp_conn_recv(b, &o, 1000), MP_ECORRUPT);
  assert_message(MP_ECORRUPT, "Python pickle (protocol 4)");
  /* garbage that is no pickle keeps the plain message */
  const unsigned char junk[] = {0xc1, 0x00};
  mp_assert_ok(mp_conn_send_bytes(a, junk, 0, sizeof junk, 1000));
  mp_assert_rc(mp_conn_recv(b, &o, 1000), MP_ECORRUPT);
  ck_assert_ptr_null(strstr(mp_error_message(MP_ECORRUPT), "pickle"));
  mp_conn_free(a);
  mp_conn_free(b);
}
END_TEST

START_TEST(manager_names_and_typecodes) {
  mp_manager *m;
  mp_proxy *ns, *arr = NULL;
  mp_assert_ok(mp_manager_new(&m, NULL));
  mp_assert_ok(mp_manager_start(m));
  mp_assert_ok(mp_manager_namespace(m, &ns));
  mp_obj *one = mp_obj_int(1);
  mp_assert_rc(mp_ns_proxy_set(ns, "caf\xe9", one), -EILSEQ); /* Latin-1, not UTF-8 */
  assert_message(-EILSEQ, "not valid UTF-8");
  mp_assert_ok(mp_ns_proxy_set(ns, "caf\xc3\xa9", one));
  mp_obj *seq = mp_obj_list();
  mp_assert_rc(mp_manager_array(m, 'z', seq, &arr), -EINVAL);
  assert_message(-EINVAL, "'z' (0x7a) is not an array typecode");
  ck_assert_ptr_null(arr);
  mp_assert_rc(mp_manager_array(m, '?', seq, &arr), -EINVAL); /* ctypes knows it, array not */
  /* the server checks too, for clients that skip this side's check */
  mp_obj *args = mp_obj_tuple2_steal(mp_obj_str("z"), mp_obj_incref(seq));
  mp_assert_rc(mp_manager_create(m, "Array", args, &arr), -EINVAL);
  ck_assert_ptr_nonnull(strstr(mp_manager_errmsg(), "bad typecode"));
  mp_assert_ok(mp_manager_array(m, 'd', seq, &arr));
  mp_proxy_free(arr);
  mp_obj_decref(args);
  mp_obj_decref(seq);
  mp_obj_decref(one);
  mp_proxy_free(ns);
  mp_assert_ok(mp_manager_shutdown(m));
  mp_manager_free(m);
}
END_TEST

/* The exec'd half of bad_heap_size_is_an_error: a fresh image whose heap does not exist yet,
 * with MP_HEAP_SIZE malformed.  Exit 0 when every check holds, else the number of the check. */
__attribute__((constructor)) static void heap_size_child(void) {
  if (getenv("MP_TEST_BAD_HEAP_SIZE") == NULL) return;
  mp_queue *q = NULL;
  if (mp_queue_new(&q, 0) != -ENOMEM || q != NULL) _exit(1);
  if (strstr(mp_error_message(-ENOMEM), "MP_HEAP_SIZE=\"12X\" is not a heap size") == NULL)
    _exit(2);
  mp_process *p;
  if (mp_process_new(&p, NULL, NULL, NULL) == 0) _exit(3); /* no target: refused first */
  mp_heap_stats st;
  if (mp_heap_stats_get(&st) == 0) _exit(4);
  if (mp_heap_configure((size_t)64 << 20) != 0) _exit(5); /* the call wins over the variable */
  if (mp_queue_new(&q, 0) != 0) _exit(6);
  mp_queue_free(q);
  _exit(0);
}

START_TEST(bad_heap_size_is_an_error) {
  char *envp[] = {"MP_TEST_BAD_HEAP_SIZE=1", "MP_HEAP_SIZE=12X", NULL};
  int code = mp_test_run_fresh_image(envp);
  ck_assert_msg(code == 0, "the fresh image failed check %d", code);
}
END_TEST

Suite *mp_test_suite(void) {
  Suite *s = suite_create("errors");
  TCase *tc = mp_tcase("codes", 10);
  tcase_add_test(tc, library_codes_are_named);
  tcase_add_test(tc, errno_values_pass_through);
  tcase_add_test(tc, version_matches_the_headers);
  suite_add_tcase(s, tc);
  TCase *msg = mp_tcase("messages", 30);
  tcase_add_test(msg, details_belong_to_their_code);
  tcase_add_test(msg, address_errors_say_what_is_wrong);
  tcase_add_test(msg, a_pickle_is_named_as_such);
  tcase_add_test(msg, manager_names_and_typecodes);
  tcase_add_test(msg, bad_heap_size_is_an_error);
  suite_add_tcase(s, msg);
  return s;
}
