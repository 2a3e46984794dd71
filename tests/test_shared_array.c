/* SPDX-License-Identifier: MIT */
/* test_shared_array.c -- multiprocessing.Array / RawArray: typecodes, slices, struct arrays, locks
 * and sharing with children, misuse. */
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "harness.h"

START_TEST(every_typecode_round_trip) {
  for (const char *tc = mp_typecodes(); *tc; tc++) {
    mp_array *a;
    mp_assert_ok(mp_array_new(&a, *tc, 3, NULL, NULL));
    ck_assert_uint_eq(mp_array_len(a), 3);
    ck_assert_uint_eq(mp_array_elem_size(a), mp_typecode_size(*tc));
    ck_assert_int_eq(mp_array_typecode(a), *tc);
    if (*tc == 'f' || *tc == 'd') {
      double d;
      mp_assert_ok(mp_array_set_f64(a, 2, 0.5));
      mp_assert_ok(mp_array_get_f64(a, 2, &d));
      ck_assert(d == 0.5);
      mp_assert_ok(mp_array_get_f64(a, 0, &d));
      ck_assert(d == 0);
      mp_assert_rc(mp_array_set_f64(a, 3, 1), -ERANGE);
    } else {
      int64_t s;
      uint64_t u;
      mp_assert_ok(mp_array_set_i64(a, 2, 1));
      mp_assert_ok(mp_array_set_u64(a, 1, 1));
      mp_assert_ok(mp_array_get_i64(a, 2, &s));
      ck_assert_int_eq(s, 1);
      mp_assert_ok(mp_array_get_u64(a, 1, &u));
      ck_assert_uint_eq(u, 1);
      mp_assert_ok(mp_array_get_i64(a, 0, &s));
      ck_assert_int_eq(s, 0);
      mp_assert_rc(mp_array_get_i64(a, 3, &s), -ERANGE);
      mp_assert_rc(mp_array_set_i64(a, SIZE_MAX, 0), -ERANGE);
    }
    mp_array_free(a);
  }
}
END_TEST

START_TEST(init_and_slices) {
  int init[5] = {0, 1, 2, 3, 4};
  mp_array *a;
  mp_assert_ok(mp_array_new(&a, 'i', 5, init, NULL)); /* Array('i', range(5)) */
  int out[5] = {0};
  mp_assert_ok(mp_array_read(a, 0, 5, out));
  ck_assert(memcmp(out, init, sizeof init) == 0);
  int two[2] = {7, 8};
  mp_assert_ok(mp_array_write(a, 3, 2, two)); /* a[3:5] = [7, 8] */
  mp_assert_ok(mp_array_read(a, 2, 3, out));
  ck_assert_int_eq(out[0], 2);
  ck_assert_int_eq(out[1], 7);
  ck_assert_int_eq(out[2], 8);
  mp_assert_rc(mp_array_write(a, 4, 2, two), -ERANGE);
  mp_assert_rc(mp_array_read(a, 6, 0, out), -ERANGE);
  mp_assert_ok(mp_array_read(a, 5, 0, out)); /* empty slice at the end */
  mp_assert_rc(mp_array_read(a, 1, SIZE_MAX, out), -ERANGE);
  int x = 0;
  mp_assert_ok(mp_array_get(a, 4, &x));
  ck_assert_int_eq(x, 8);
  x = -1;
  mp_assert_ok(mp_array_set(a, 0, &x));
  ck_assert_int_eq(((int *)mp_array_ptr(a))[0], -1);
  mp_assert_rc(mp_array_get(a, 5, &x), -ERANGE);
  mp_assert_rc(mp_array_set_i64(a, 0, (int64_t)INT_MAX + 1), -ERANGE);
  mp_array_free(a);

  mp_array *s;
  mp_assert_ok(mp_array_new(&s, 'c', 11, "hello world", NULL)); /* Array('c', b'hello world') */
  ck_assert(memcmp(mp_array_ptr(s), "hello world", 11) == 0);
  int64_t c;
  mp_assert_ok(mp_array_get_i64(s, 4, &c));
  ck_assert_int_eq(c, 'o');
  mp_array_free(s);
}
END_TEST

struct point {
  double x, y;
};

static int square_points(void *arg) {
  mp_array *A = arg;
  if (mp_array_acquire(A, 10000) != 0) return 1;
  struct point *p = mp_array_ptr(A);
  for (size_t i = 0; i < mp_array_len(A); i++) {
    p[i].x *= p[i].x;
    p[i].y *= p[i].y;
  }
  return mp_array_release(A) == 0 ? 0 : 2;
}

START_TEST(struct_array_shared_with_child) {
  mp_lock_t *l;
  mp_assert_ok(mp_lock_new(&l));
  struct point pts[2] = {{1.875, -6.25}, {-5.75, 2.0}};
  mp_array *A;
  mp_assert_ok(mp_array_new_struct(&A, sizeof(struct point), 2, pts, &(mp_shared_opts){.lock = l}));
  ck_assert_int_eq(mp_array_typecode(A), 0);
  ck_assert_uint_eq(mp_array_elem_size(A), sizeof(struct point));
  ck_assert_ptr_eq(mp_array_get_lock(A), l);
  int64_t s;
  mp_assert_rc(mp_array_get_i64(A, 0, &s), -EINVAL);
  mp_process *p;
  mp_assert_ok(mp_process_new(&p, square_points, A, NULL));
  mp_assert_ok(mp_process_start(p));
  mp_assert_ok(mp_process_join(p, 10000));
  int code;
  mp_assert_ok(mp_process_exitcode(p, &code));
  ck_assert_int_eq(code, 0);
  mp_process_free(p);
  struct point q[2];
  mp_assert_ok(mp_array_read(A, 0, 2, q));
  ck_assert(q[0].x == 3.515625 && q[0].y == 39.0625);
  ck_assert(q[1].x == 33.0625 && q[1].y == 4.0);
  struct point one;
  mp_assert_ok(mp_array_get(A, 1, &one));
  ck_assert(one.x == 33.0625);
  mp_assert_rc(mp_array_get(A, 2, &one), -ERANGE);
  ck_assert(!mp_lock_locked(l));
  mp_array_free(A);
  mp_lock_free(l);
}
END_TEST

/* Several processes increment every element of one array many times, under its default lock. */
enum { WORKERS = 4, ROUNDS = 3000, LEN = 8 };

static int bump_all(void *arg) {
  mp_array *a = arg;
  for (int r = 0; r < ROUNDS; r++) {
    if (mp_array_acquire(a, 10000) != 0) return 1;
    for (size_t i = 0; i < LEN; i++) {
      int64_t v;
      if (mp_array_get_i64(a, i, &v) || mp_array_set_i64(a, i, v + 1)) return 2;
    }
    mp_array_release(a);
  }
  return 0;
}

START_TEST(elements_exact_under_contention) {
  mp_array *a;
  mp_assert_ok(mp_array_new(&a, 'q', LEN, NULL, NULL));
  mp_process *p[WORKERS];
  for (int i = 0; i < WORKERS; i++) p[i] = mp_test_start(bump_all, a);
  for (int i = 0; i < WORKERS; i++) ck_assert_int_eq(mp_test_finish(p[i]), 0);
  long long out[LEN];
  mp_assert_ok(mp_array_read(a, 0, LEN, out));
  for (int i = 0; i < LEN; i++) ck_assert_int_eq(out[i], (long long)WORKERS * ROUNDS);
  mp_array_free(a);
}
END_TEST

START_TEST(raw_array) {
  mp_array *a;
  mp_assert_ok(mp_array_new(&a, 'B', 4, "\x01\x02\x03\x04", &(mp_shared_opts){.raw = true}));
  ck_assert_ptr_null(mp_array_get_lock(a));
  ck_assert_ptr_null(mp_array_get_rlock(a));
  mp_assert_rc(mp_array_acquire(a, 0), MP_ESTATE);
  int64_t v;
  mp_assert_ok(mp_array_get_i64(a, 3, &v));
  ck_assert_int_eq(v, 4);
  mp_assert_rc(mp_array_set_i64(a, 0, 256), -ERANGE);
  mp_assert_rc(mp_array_set_i64(a, 0, -1), -ERANGE);
  mp_array_free(a);
}
END_TEST

START_TEST(errors) {
  mp_array *a = (mp_array *)1;
  mp_assert_rc(mp_array_new(&a, 'i', 0, NULL, NULL), -EINVAL); /* zero length */
  ck_assert_ptr_null(a);
  int negative = -3;
  mp_assert_rc(mp_array_new(&a, 'i', (size_t)negative, NULL, NULL), -EINVAL);
  mp_assert_rc(mp_array_new(&a, 'Z', 4, NULL, NULL), -EINVAL);
  mp_assert_rc(mp_array_new(&a, 0, 4, NULL, NULL), -EINVAL);
  mp_assert_rc(mp_array_new(NULL, 'i', 4, NULL, NULL), -EINVAL);
  mp_assert_rc(mp_array_new_struct(&a, 0, 4, NULL, NULL), -EINVAL);
  mp_assert_rc(mp_array_new_struct(&a, 16, 0, NULL, NULL), -EINVAL);
  mp_assert_rc(mp_array_new_struct(&a, SIZE_MAX / 2, 4, NULL, NULL), -EINVAL);
  mp_lock_t *l;
  mp_rlock_t *r;
  mp_assert_ok(mp_lock_new(&l));
  mp_assert_ok(mp_rlock_new(&r));
  mp_assert_rc(mp_array_new(&a, 'i', 1, NULL, &(mp_shared_opts){.lock = l, .rlock = r}), -EINVAL);
  mp_lock_free(l);
  mp_rlock_free(r);
  int64_t v;
  mp_assert_rc(mp_array_get_i64(NULL, 0, &v), -EINVAL);
  mp_assert_rc(mp_array_read(NULL, 0, 1, &v), -EINVAL);
  ck_assert_uint_eq(mp_array_len(NULL), 0);
  ck_assert_ptr_null(mp_array_ptr(NULL));
  mp_array_free(NULL);
  mp_assert_ok(mp_array_new(&a, 'i', 2, NULL, NULL));
  mp_assert_rc(mp_array_read(a, 0, 1, NULL), -EINVAL);
  mp_assert_rc(mp_array_write(a, 0, 1, NULL), -EINVAL);
  mp_value *v1;
  mp_assert_ok(mp_value_new(&v1, 'i', NULL, NULL));
  mp_assert_rc(mp_array_get_i64((mp_array *)(void *)v1, 0, &v), -EINVAL); /* wrong handle */
  mp_value_free(v1);
  mp_array_free(a);
}
END_TEST

Suite *mp_test_suite(void) {
  Suite *s = suite_create("array");
  TCase *tc = mp_tcase("array", 60);
  tcase_add_test(tc, every_typecode_round_trip);
  tcase_add_test(tc, init_and_slices);
  tcase_add_test(tc, struct_array_shared_with_child);
  tcase_add_test(tc, elements_exact_under_contention);
  tcase_add_test(tc, raw_array);
  tcase_add_test(tc, errors);
  suite_add_tcase(s, tc);
  return s;
}
