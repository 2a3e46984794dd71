/* test_errors.c -- the error model: library codes outside errno, names and descriptions. */
#include <stdio.h>
#include <string.h>

#include "harness.h"

static const int lib_codes[] = {MP_EOF,     MP_ECLOSED,   MP_EFULL,      MP_EEMPTY,
                                MP_EOWNERDEAD, MP_ENOTRECOVERABLE, MP_EBROKEN, MP_EAUTH,
                                MP_EWORKER, MP_ESTATE,    MP_ENOTREADY,  MP_ETOOBIG,
                                MP_ECORRUPT, MP_ENOTCHILD, MP_ETASK, MP_EREMOTE, MP_ENOTREG};

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

Suite *mp_test_suite(void) {
  Suite *s = suite_create("errors");
  TCase *tc = mp_tcase("codes", 10);
  tcase_add_test(tc, library_codes_are_named);
  tcase_add_test(tc, errno_values_pass_through);
  tcase_add_test(tc, version_matches_the_headers);
  suite_add_tcase(s, tc);
  return s;
}
