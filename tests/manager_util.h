/* SPDX-License-Identifier: MIT */
/* manager_util.h -- helpers shared by the manager test programs (test_manager*.c): a started
 * manager, and checks on values that consume their reference. */
#ifndef MP_TEST_MANAGER_UTIL_H
#define MP_TEST_MANAGER_UTIL_H

#include <stdlib.h>

#include "harness.h"

/* A manager started in a forked server, failing the test on any error. */
static inline mp_manager *start_manager(void) {
  mp_manager *m;
  mp_assert_ok(mp_manager_new(&m, NULL));
  mp_assert_ok(mp_manager_start(m));
  return m;
}

/* The int in o (which is released); fails the test when o is not an int. */
static inline int64_t get_int(mp_obj *o) {
  int64_t v = -999;
  ck_assert_msg(mp_obj_get_int(o, &v) == 0, "not an int");
  mp_obj_decref(o);
  return v;
}

/* Checks Python's repr of o (which is released). */
static inline void assert_repr(mp_obj *o, const char *want) {
  char *r = mp_obj_repr(o);
  ck_assert_str_eq(r, want);
  free(r);
  mp_obj_decref(o);
}

#endif
