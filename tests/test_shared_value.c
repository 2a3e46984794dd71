/* SPDX-License-Identifier: MIT */
/* test_shared_value.c -- multiprocessing.Value / RawValue: every typecode, ranges, locks, misuse. */
#include <float.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <wchar.h>

#include "harness.h"

START_TEST(typecode_table) {
  const char *all = mp_typecodes();
  ck_assert_int_eq((int)strlen(all), 15);
  ck_assert_uint_eq(mp_typecode_size('b'), 1);
  ck_assert_uint_eq(mp_typecode_size('B'), 1);
  ck_assert_uint_eq(mp_typecode_size('c'), 1);
  ck_assert_uint_eq(mp_typecode_size('?'), sizeof(bool));
  ck_assert_uint_eq(mp_typecode_size('h'), sizeof(short));
  ck_assert_uint_eq(mp_typecode_size('H'), sizeof(unsigned short));
  ck_assert_uint_eq(mp_typecode_size('i'), sizeof(int));
  ck_assert_uint_eq(mp_typecode_size('I'), sizeof(unsigned));
  ck_assert_uint_eq(mp_typecode_size('l'), sizeof(long));
  ck_assert_uint_eq(mp_typecode_size('L'), sizeof(unsigned long));
  ck_assert_uint_eq(mp_typecode_size('q'), sizeof(long long));
  ck_assert_uint_eq(mp_typecode_size('Q'), sizeof(unsigned long long));
  ck_assert_uint_eq(mp_typecode_size('f'), sizeof(float));
  ck_assert_uint_eq(mp_typecode_size('d'), sizeof(double));
  ck_assert_uint_eq(mp_typecode_size('u'), sizeof(wchar_t));
  ck_assert_uint_eq(mp_typecode_size('x'), 0);
  ck_assert_uint_eq(mp_typecode_size(0), 0);
  ck_assert_str_eq(mp_typecode_ctype('i'), "c_int");
  ck_assert_str_eq(mp_typecode_ctype('?'), "c_bool");
  ck_assert_str_eq(mp_typecode_ctype_c('u'), "wchar_t");
  ck_assert_ptr_null(mp_typecode_ctype('z'));
  ck_assert_ptr_null(mp_typecode_ctype_c('z'));
}
END_TEST

/* Each integer typecode: the C init value reads back, its min and max round trip through
 * i64/u64, one past them is -ERANGE and changes nothing. */
typedef struct {
  char tc;
  int64_t min;
  uint64_t max;
} int_case;

static const int_case INT_CASES[] = {
    {'b', SCHAR_MIN, SCHAR_MAX}, {'B', 0, UCHAR_MAX},       {'c', 0, UCHAR_MAX},
    {'h', SHRT_MIN, SHRT_MAX},   {'H', 0, USHRT_MAX},       {'i', INT_MIN, INT_MAX},
    {'I', 0, UINT_MAX},          {'l', LONG_MIN, LONG_MAX}, {'L', 0, ULONG_MAX},
    {'q', LLONG_MIN, LLONG_MAX}, {'Q', 0, ULLONG_MAX},      {'u', WCHAR_MIN, WCHAR_MAX},
};

START_TEST(integer_round_trips) {
  for (size_t k = 0; k < sizeof INT_CASES / sizeof INT_CASES[0]; k++) {
    const int_case *c = &INT_CASES[k];
    mp_value *v;
    mp_assert_ok(mp_value_new(&v, c->tc, NULL, NULL));
    ck_assert_int_eq(mp_value_typecode(v), c->tc);
    ck_assert_uint_eq(mp_value_size(v), mp_typecode_size(c->tc));
    int64_t s;
    uint64_t u;
    mp_assert_ok(mp_value_get_i64(v, &s));
    ck_assert_int_eq(s, 0);
    mp_assert_ok(mp_value_set_i64(v, 42));
    mp_assert_ok(mp_value_get_u64(v, &u));
    ck_assert_uint_eq(u, 42);
    mp_assert_ok(mp_value_set_u64(v, c->max));
    mp_assert_ok(mp_value_get_u64(v, &u));
    ck_assert_msg(u == c->max, "'%c' max", c->tc);
    if (c->max < UINT64_MAX) {
      mp_assert_rc(mp_value_set_u64(v, c->max + 1), -ERANGE);
      mp_assert_ok(mp_value_get_u64(v, &u));
      ck_assert_msg(u == c->max, "'%c' unchanged after -ERANGE", c->tc);
    } else {
      mp_assert_rc(mp_value_get_i64(v, &s), -ERANGE); /* above INT64_MAX */
    }
    mp_assert_ok(mp_value_set_i64(v, c->min));
    mp_assert_ok(mp_value_get_i64(v, &s));
    ck_assert_msg(s == c->min, "'%c' min", c->tc);
    if (c->min > INT64_MIN) mp_assert_rc(mp_value_set_i64(v, c->min - 1), -ERANGE);
    if (c->min < 0) mp_assert_rc(mp_value_get_u64(v, &u), -ERANGE);
    double d;
    mp_assert_rc(mp_value_get_f64(v, &d), -EINVAL);
    mp_assert_rc(mp_value_set_f64(v, 1.0), -EINVAL);
    mp_value_free(v);
  }
}
END_TEST

START_TEST(init_values_and_raw_storage) {
  signed char b = -5;
  unsigned short H = 60000;
  int i = -123456;
  unsigned long L = 1UL << 40;
  long long q = -(1LL << 50);
  float f = 1.5f;
  double d = -2.25;
  char c = 'x';
  wchar_t w = L'\u00e9';
  bool t = true;
  struct {
    char tc;
    const void *init;
    int64_t expect;
  } cases[] = {{'b', &b, -5},           {'H', &H, 60000}, {'i', &i, -123456}, {'L', &L, 1LL << 40},
               {'q', &q, -(1LL << 50)}, {'c', &c, 'x'},   {'u', &w, 0xe9},    {'?', &t, 1}};
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    mp_value *v;
    mp_assert_ok(mp_value_new(&v, cases[k].tc, cases[k].init, NULL));
    int64_t s;
    mp_assert_ok(mp_value_get_i64(v, &s));
    ck_assert_msg(s == cases[k].expect, "'%c': %lld", cases[k].tc, (long long)s);
    ck_assert(memcmp(mp_value_ptr(v), cases[k].init, mp_value_size(v)) == 0);
    mp_value_free(v);
  }
  mp_value *vf, *vd;
  mp_assert_ok(mp_value_new(&vf, 'f', &f, NULL));
  mp_assert_ok(mp_value_new(&vd, 'd', &d, NULL));
  double x;
  mp_assert_ok(mp_value_get_f64(vf, &x));
  ck_assert(x == 1.5);
  mp_assert_ok(mp_value_get_f64(vd, &x));
  ck_assert(x == -2.25);
  mp_assert_ok(mp_value_set_f64(vf, 0.1));
  ck_assert(*(float *)mp_value_ptr(vf) == 0.1f);
  mp_assert_ok(mp_value_set_f64(vf, 1e300)); /* as Python's c_float: inf */
  mp_assert_ok(mp_value_get_f64(vf, &x));
  ck_assert(x > DBL_MAX);
  mp_assert_ok(mp_value_set_f64(vd, 1e300));
  mp_assert_ok(mp_value_get_f64(vd, &x));
  ck_assert(x == 1e300);
  int64_t s;
  mp_assert_rc(mp_value_get_i64(vd, &s), -EINVAL);
  mp_assert_rc(mp_value_set_i64(vf, 1), -EINVAL);
  mp_value_free(vf);
  mp_value_free(vd);
}
END_TEST

START_TEST(bool_and_add) {
  mp_value *v;
  mp_assert_ok(mp_value_new(&v, '?', NULL, &(mp_shared_opts){.raw = true}));
  int64_t s;
  mp_assert_ok(mp_value_set_i64(v, 7)); /* bool(7) */
  mp_assert_ok(mp_value_get_i64(v, &s));
  ck_assert_int_eq(s, 1);
  ck_assert(*(bool *)mp_value_ptr(v));
  mp_assert_ok(mp_value_set_i64(v, 0));
  ck_assert(!*(bool *)mp_value_ptr(v));
  mp_value_free(v);

  mp_value *b;
  mp_assert_ok(mp_value_new(&b, 'b', NULL, NULL));
  mp_assert_ok(mp_value_add_i64(b, 100, &s));
  ck_assert_int_eq(s, 100);
  mp_assert_rc(mp_value_add_i64(b, 28, &s), -ERANGE); /* 128 does not fit a signed char */
  mp_assert_ok(mp_value_add_i64(b, -228, &s));
  ck_assert_int_eq(s, -128);
  mp_assert_ok(mp_value_add_i64(b, 1, NULL));
  mp_assert_ok(mp_value_get_i64(b, &s));
  ck_assert_int_eq(s, -127);
  mp_value_free(b);
}
END_TEST

struct point {
  double x, y;
};

START_TEST(struct_value) {
  mp_value *v;
  struct point p = {1.5, -2.0}, q;
  mp_assert_ok(mp_value_new_struct(&v, sizeof p, &p, NULL));
  ck_assert_int_eq(mp_value_typecode(v), 0);
  ck_assert_uint_eq(mp_value_size(v), sizeof p);
  mp_assert_ok(mp_value_get(v, &q));
  ck_assert(q.x == 1.5 && q.y == -2.0);
  q.x = 9;
  mp_assert_ok(mp_value_set(v, &q));
  ck_assert(((struct point *)mp_value_ptr(v))->x == 9);
  int64_t s;
  double d;
  mp_assert_rc(mp_value_get_i64(v, &s), -EINVAL);
  mp_assert_rc(mp_value_get_f64(v, &d), -EINVAL);
  mp_value_free(v);
}
END_TEST

START_TEST(errors) {
  mp_value *v = (mp_value *)1;
  mp_assert_rc(mp_value_new(&v, 'x', NULL, NULL), -EINVAL);
  ck_assert_ptr_null(v);
  mp_assert_rc(mp_value_new(&v, 0, NULL, NULL), -EINVAL);
  mp_assert_rc(mp_value_new(NULL, 'i', NULL, NULL), -EINVAL);
  mp_assert_rc(mp_value_new_struct(&v, 0, NULL, NULL), -EINVAL);
  mp_assert_rc(mp_value_new_struct(&v, (size_t)-8, NULL, NULL), -EINVAL);
  mp_lock_t *l;
  mp_assert_ok(mp_lock_new(&l));
  mp_assert_rc(mp_value_new(&v, 'i', NULL, &(mp_shared_opts){.raw = true, .lock = l}), -EINVAL);
  mp_lock_free(l);
  int64_t s;
  mp_assert_rc(mp_value_get_i64(NULL, &s), -EINVAL);
  mp_assert_rc(mp_value_set_i64(NULL, 1), -EINVAL);
  mp_assert_rc(mp_value_get(NULL, &s), -EINVAL);
  mp_assert_rc(mp_value_acquire(NULL, 0), -EINVAL);
  ck_assert_ptr_null(mp_value_ptr(NULL));
  mp_value_free(NULL);

  mp_assert_ok(mp_value_new(&v, 'i', NULL, NULL));
  mp_assert_rc(mp_value_get_i64(v, NULL), -EINVAL);
  mp_assert_rc(mp_value_get(v, NULL), -EINVAL);
  mp_value_free(v);

  /* an array handle is not a value */
  mp_array *a;
  mp_assert_ok(mp_array_new(&a, 'i', 1, NULL, NULL));
  mp_assert_rc(mp_value_get_i64((mp_value *)(void *)a, &s), -EINVAL);
  mp_array_free(a);
}
END_TEST

START_TEST(lock_kinds) {
  /* default: its own RLock, which nests with the accessors */
  mp_value *v;
  mp_assert_ok(mp_value_new(&v, 'i', NULL, NULL));
  ck_assert_ptr_nonnull(mp_value_get_rlock(v));
  ck_assert_ptr_null(mp_value_get_lock(v));
  mp_assert_ok(mp_value_acquire(v, 0));
  mp_assert_ok(mp_value_set_i64(v, 3));
  mp_assert_ok(mp_value_add_i64(v, 1, NULL));
  ck_assert_int_eq(mp_rlock_count(mp_value_get_rlock(v)), 1);
  mp_assert_ok(mp_value_release(v));
  ck_assert_int_eq(mp_rlock_count(mp_value_get_rlock(v)), 0);
  mp_value_free(v);

  /* raw: no lock */
  mp_assert_ok(mp_value_new(&v, 'i', NULL, &(mp_shared_opts){.raw = true}));
  ck_assert_ptr_null(mp_value_get_rlock(v));
  ck_assert_ptr_null(mp_value_get_lock(v));
  mp_assert_rc(mp_value_acquire(v, 0), MP_ESTATE);
  mp_assert_rc(mp_value_release(v), MP_ESTATE);
  mp_assert_ok(mp_value_set_i64(v, 5));
  mp_value_free(v);

  /* a caller's Lock, shared by two values */
  mp_lock_t *l;
  mp_value *w;
  mp_assert_ok(mp_lock_new(&l));
  mp_assert_ok(mp_value_new(&v, 'i', NULL, &(mp_shared_opts){.lock = l}));
  mp_assert_ok(mp_value_new(&w, 'd', NULL, &(mp_shared_opts){.lock = l}));
  ck_assert_ptr_eq(mp_value_get_lock(v), l);
  ck_assert_ptr_null(mp_value_get_rlock(v));
  mp_assert_ok(mp_value_acquire(v, 0));
  ck_assert(mp_lock_locked(l));
  mp_assert_rc(mp_value_acquire(w, 0), MP_ETIMEDOUT); /* the same, non-recursive lock */
  mp_assert_ok(mp_value_release(v));
  mp_assert_ok(mp_value_set_i64(v, 8));
  ck_assert(!mp_lock_locked(l));
  mp_value_free(v);
  mp_value_free(w);
  mp_lock_free(l);

  /* a caller's RLock */
  mp_rlock_t *r;
  mp_assert_ok(mp_rlock_new(&r));
  mp_assert_ok(mp_value_new(&v, 'q', NULL, &(mp_shared_opts){.rlock = r}));
  ck_assert_ptr_eq(mp_value_get_rlock(v), r);
  mp_assert_ok(mp_rlock_acquire(r, 0));
  mp_assert_ok(mp_value_set_i64(v, 9)); /* nests */
  mp_assert_ok(mp_rlock_release(r));
  mp_value_free(v);
  mp_rlock_free(r);
}
END_TEST

/* Counters hammered by several processes (and threads in each), under each lock kind. */
enum { WORKERS = 4, THREADS = 2, ROUNDS = 5000 };

static void *bump_add(void *arg) {
  for (int i = 0; i < ROUNDS; i++)
    if (mp_value_add_i64(arg, 1, NULL) != 0) return (void *)1;
  return NULL;
}

/* The Python idiom "with v.get_lock(): v.value += 1", on the raw storage. */
static void *bump_held(void *arg) {
  for (int i = 0; i < ROUNDS; i++) {
    if (mp_value_acquire(arg, 10000) != 0) return (void *)1;
    long *p = mp_value_ptr(arg);
    long x = *p;
    __asm__ volatile("" ::: "memory");
    *p = x + 1;
    mp_value_release(arg);
  }
  return NULL;
}

static void *(*bump_fn)(void *);

static int hammer(void *arg) { return mp_test_threads(bump_fn, arg, THREADS) != 0; }

static void run_hammer(mp_value *v, void *(*fn)(void *)) {
  bump_fn = fn;
  mp_process *p[WORKERS];
  for (int i = 0; i < WORKERS; i++) p[i] = mp_test_start(hammer, v);
  for (int i = 0; i < WORKERS; i++) ck_assert_int_eq(mp_test_finish(p[i]), 0);
  int64_t s;
  mp_assert_ok(mp_value_get_i64(v, &s));
  ck_assert_int_eq(s, (int64_t)WORKERS * THREADS * ROUNDS);
}

START_TEST(counter_default_rlock) {
  mp_value *v;
  mp_assert_ok(mp_value_new(&v, 'l', NULL, NULL));
  run_hammer(v, bump_add);
  mp_assert_ok(mp_value_set_i64(v, 0));
  run_hammer(v, bump_held);
  mp_value_free(v);
}
END_TEST

START_TEST(counter_caller_lock) {
  mp_lock_t *l;
  mp_assert_ok(mp_lock_new(&l));
  mp_value *v;
  mp_assert_ok(mp_value_new(&v, 'l', NULL, &(mp_shared_opts){.lock = l}));
  run_hammer(v, bump_add);
  mp_assert_ok(mp_value_set_i64(v, 0));
  run_hammer(v, bump_held);
  mp_value_free(v);
  mp_lock_free(l);
}
END_TEST

START_TEST(counter_caller_rlock) {
  mp_rlock_t *r;
  mp_assert_ok(mp_rlock_new(&r));
  mp_value *v;
  mp_assert_ok(mp_value_new(&v, 'l', NULL, &(mp_shared_opts){.rlock = r}));
  run_hammer(v, bump_held);
  mp_value_free(v);
  mp_rlock_free(r);
}
END_TEST

/* A raw value is shared (a child's write is seen) but not locked. */
static int set_raw(void *arg) { return mp_value_set_f64(arg, 6.5) == 0 ? 0 : 1; }

START_TEST(raw_value_shared_with_child) {
  mp_value *v;
  mp_assert_ok(mp_value_new(&v, 'd', NULL, &(mp_shared_opts){.raw = true}));
  mp_process *p;
  mp_assert_ok(mp_process_new(&p, set_raw, v, NULL));
  mp_assert_ok(mp_process_start(p));
  mp_assert_ok(mp_process_join(p, 10000));
  int code;
  mp_assert_ok(mp_process_exitcode(p, &code));
  ck_assert_int_eq(code, 0);
  mp_process_free(p);
  double d;
  mp_assert_ok(mp_value_get_f64(v, &d));
  ck_assert(d == 6.5);
  mp_value_free(v);
}
END_TEST

Suite *mp_test_suite(void) {
  Suite *s = suite_create("value");
  TCase *tc = mp_tcase("value", 60);
  tcase_add_test(tc, typecode_table);
  tcase_add_test(tc, integer_round_trips);
  tcase_add_test(tc, init_values_and_raw_storage);
  tcase_add_test(tc, bool_and_add);
  tcase_add_test(tc, struct_value);
  tcase_add_test(tc, errors);
  tcase_add_test(tc, lock_kinds);
  tcase_add_test(tc, counter_default_rlock);
  tcase_add_test(tc, counter_caller_lock);
  tcase_add_test(tc, counter_caller_rlock);
  tcase_add_test(tc, raw_value_shared_with_child);
  suite_add_tcase(s, tc);
  return s;
}
