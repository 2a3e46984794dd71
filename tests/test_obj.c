/* SPDX-License-Identifier: MIT */
/* test_obj.c -- values: constructors, references, list/tuple/dict, equality, hash, repr (the
 * expected strings were printed by python3), the MessagePack codec and malformed input. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* ---- helpers ---- */

static mp_obj *S(const char *s) {
  mp_obj *o = mp_obj_str(s);
  ck_assert_ptr_nonnull(o);
  return o;
}
static mp_obj *I(int64_t v) { return mp_obj_int(v); }
static mp_obj *F(double v) { return mp_obj_float(v); }

static void assert_repr(const mp_obj *o, const char *expected) {
  char *r = mp_obj_repr(o);
  ck_assert_ptr_nonnull(r);
  ck_assert_msg(strcmp(r, expected) == 0, "repr %s, expected %s", r, expected);
  free(r);
}

/* Checks and drops o. */
static void check_repr(mp_obj *o, const char *expected) {
  ck_assert_ptr_nonnull(o);
  assert_repr(o, expected);
  mp_obj_decref(o);
}

static int decode(const char *bytes, size_t len, const mp_obj_limits *lim, mp_obj **out) {
  *out = NULL;
  int rc = mp_obj_decode(bytes, len, lim, out);
  if (rc) ck_assert_ptr_null(*out);
  return rc;
}
#define DEC(lit, lim, out) decode(lit, sizeof(lit) - 1, lim, out)

/* Encodes, decodes and compares; returns the encoding's length. */
static size_t round_trip(const mp_obj *o) {
  void *buf;
  size_t len;
  mp_assert_ok(mp_obj_encode(o, &buf, &len));
  mp_obj *back;
  mp_assert_ok(mp_obj_decode(buf, len, NULL, &back));
  ck_assert_msg(mp_obj_equal(o, back), "round trip changed the value");
  ck_assert_int_eq(mp_obj_type_of(o), mp_obj_type_of(back));
  char *r1 = mp_obj_repr(o), *r2 = mp_obj_repr(back);
  ck_assert_str_eq(r1, r2);
  free(r1);
  free(r2);
  mp_obj_decref(back);
  free(buf);
  return len;
}

static void assert_encoding(mp_obj *o, const char *hex) {
  void *buf;
  size_t len;
  mp_assert_ok(mp_obj_encode(o, &buf, &len));
  char got[512] = "";
  for (size_t i = 0; i < len && 2 * i + 2 < sizeof got; i++)
    snprintf(got + 2 * i, 3, "%02x", ((unsigned char *)buf)[i]);
  ck_assert_str_eq(got, hex);
  free(buf);
  mp_obj_decref(o);
}

/* ---- constructors and accessors ---- */

START_TEST(scalars) {
  mp_obj *n = mp_obj_none(), *t = mp_obj_bool(true), *f = mp_obj_bool(false);
  ck_assert_int_eq(mp_obj_type_of(n), MP_OBJ_NONE);
  ck_assert_int_eq(mp_obj_type_of(t), MP_OBJ_BOOL);
  bool b = false;
  mp_assert_ok(mp_obj_get_bool(t, &b));
  ck_assert(b);
  mp_assert_ok(mp_obj_get_bool(f, &b));
  ck_assert(!b);
  mp_obj *i = I(-42), *x = F(2.5);
  int64_t iv = 0;
  double dv = 0;
  mp_assert_ok(mp_obj_get_int(i, &iv));
  ck_assert_int_eq(iv, -42);
  mp_assert_ok(mp_obj_get_int(t, &iv)); /* int(True) */
  ck_assert_int_eq(iv, 1);
  mp_assert_rc(mp_obj_get_int(x, &iv), -EINVAL);
  mp_assert_ok(mp_obj_get_float(x, &dv));
  ck_assert(dv == 2.5);
  mp_assert_ok(mp_obj_get_float(i, &dv));
  ck_assert(dv == -42.0);
  mp_assert_ok(mp_obj_get_float(t, &dv));
  ck_assert(dv == 1.0);
  mp_assert_rc(mp_obj_get_bool(i, &b), -EINVAL);
  mp_assert_rc(mp_obj_get_bool(NULL, &b), -EINVAL);
  mp_assert_rc(mp_obj_get_float(n, &dv), -EINVAL);
  ck_assert_uint_eq(mp_obj_len(i), 0);
  ck_assert_uint_eq(mp_obj_len(NULL), 0);
  ck_assert_ptr_null(mp_obj_str_data(i, NULL));
  ck_assert_ptr_null(mp_obj_bytes_data(i, NULL));
  const char *names[] = {"NoneType", "bool", "int",   "float", "str",
                         "bytes",    "list", "tuple", "dict"};
  for (int k = MP_OBJ_NONE; k <= MP_OBJ_DICT; k++)
    ck_assert_str_eq(mp_obj_type_name((mp_obj_type)k), names[k]);
  mp_obj_decref(n);
  mp_obj_decref(t);
  mp_obj_decref(f);
  mp_obj_decref(i);
  mp_obj_decref(x);
}
END_TEST

START_TEST(strings_and_bytes) {
  mp_obj *s = S("h\xc3\xa9llo \xe2\x9c\x93"); /* 'héllo ✓' */
  size_t len;
  ck_assert_str_eq(mp_obj_str_data(s, &len), "h\xc3\xa9llo \xe2\x9c\x93");
  ck_assert_uint_eq(len, 10);
  ck_assert_uint_eq(mp_obj_len(s), 7); /* code points */
  ck_assert_ptr_null(mp_obj_bytes_data(s, NULL));
  mp_obj_decref(s);

  s = mp_obj_strn("a\0b", 3); /* NUL inside */
  ck_assert_ptr_nonnull(s);
  ck_assert_uint_eq(mp_obj_len(s), 3);
  assert_repr(s, "'a\\x00b'");
  mp_obj_decref(s);

  const char *bad[] = {"\x80",         "\xc0\x80",         "\xc1\xbf",         "\xe0\x80\xaf",
                       "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xe2\x82",
                       "a\xffz"};
  for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
    errno = 0;
    ck_assert_msg(mp_obj_str(bad[k]) == NULL, "invalid UTF-8 #%zu accepted", k);
    ck_assert_int_eq(errno, EILSEQ);
  }
  errno = 0;
  ck_assert_ptr_null(mp_obj_str(NULL));
  ck_assert_int_eq(errno, EINVAL);
  s = mp_obj_strn(NULL, 0);
  ck_assert_uint_eq(mp_obj_len(s), 0);
  mp_obj_decref(s);
  s = S("\xf0\x9f\x98\x80"); /* 4-byte form */
  ck_assert_uint_eq(mp_obj_len(s), 1);
  mp_obj_decref(s);

  mp_obj *b = mp_obj_bytes("\x00\xff\x80", 3);
  const unsigned char *d = mp_obj_bytes_data(b, &len);
  ck_assert_uint_eq(len, 3);
  ck_assert_uint_eq(d[1], 0xff);
  ck_assert_uint_eq(mp_obj_len(b), 3);
  ck_assert_ptr_null(mp_obj_str_data(b, NULL));
  mp_obj_decref(b);
  b = mp_obj_bytes(NULL, 0);
  ck_assert_ptr_nonnull(b);
  ck_assert_uint_eq(mp_obj_len(b), 0);
  mp_obj_decref(b);
}
END_TEST

/* ---- references (ASan's leak checker fails any case that leaks) ---- */

START_TEST(refcounts) {
  mp_obj *item = S("shared");
  mp_obj *l1 = mp_obj_list(), *l2 = mp_obj_list();
  mp_assert_ok(mp_obj_list_append(l1, item)); /* borrows */
  mp_assert_ok(mp_obj_list_append(l2, item));
  mp_obj_decref(item); /* the lists keep it alive */
  mp_obj_decref(l1);
  ck_assert_str_eq(mp_obj_str_data(mp_obj_item(l2, 0), NULL), "shared");
  mp_obj *kept = mp_obj_incref(mp_obj_item(l2, 0));
  mp_obj_decref(l2);
  ck_assert_str_eq(mp_obj_str_data(kept, NULL), "shared");
  mp_obj_decref(kept);
  ck_assert_ptr_null(mp_obj_incref(NULL));
  mp_obj_decref(NULL);
  /* the immortal singletons survive any number of drops */
  for (int k = 0; k < 10; k++) mp_obj_decref(mp_obj_none());
  assert_repr(mp_obj_none(), "None");
}
END_TEST

/* _new functions steal their arguments even when they fail. */
START_TEST(steal_on_failure) {
  mp_obj *list = mp_obj_list(), *tuple = mp_obj_tuple_steal(0, NULL), *dict = mp_obj_dict();
  mp_assert_rc(mp_obj_list_append_steal(NULL, S("x")), -EINVAL);
  mp_assert_rc(mp_obj_list_append_steal(tuple, S("x")), -EINVAL);
  mp_assert_rc(mp_obj_list_append_steal(list, NULL), -ENOMEM);
  mp_assert_rc(mp_obj_list_set_steal(list, 0, S("x")), -ERANGE);
  mp_assert_rc(mp_obj_list_insert_steal(dict, 0, S("x")), -EINVAL);
  mp_assert_rc(mp_obj_dict_set_steal(dict, mp_obj_list(), S("v")), -EINVAL); /* unhashable */
  mp_assert_rc(mp_obj_dict_set_steal(dict, S("k"), NULL), -ENOMEM);
  mp_assert_rc(mp_obj_dict_set_steal(list, S("k"), S("v")), -EINVAL);
  mp_obj *unhashable = mp_obj_tuple2_steal(I(1), mp_obj_dict());
  mp_assert_rc(mp_obj_dict_set_steal(dict, unhashable, I(2)), -EINVAL);
  errno = 0;
  ck_assert_ptr_null(mp_obj_tuple3_steal(S("a"), NULL, S("c")));
  ck_assert_int_eq(errno, ENOMEM);
  mp_assert_rc(mp_obj_list_append(list, NULL), -EINVAL);
  mp_assert_rc(mp_obj_dict_set(dict, NULL, list), -EINVAL);
  ck_assert_uint_eq(mp_obj_len(list), 0);
  ck_assert_uint_eq(mp_obj_len(dict), 0);
  mp_obj_decref(list);
  mp_obj_decref(tuple);
  mp_obj_decref(dict);
}
END_TEST

typedef struct {
  mp_obj *o;
} thread_arg;

static void *churn(void *p) {
  mp_obj *o = ((thread_arg *)p)->o;
  for (int k = 0; k < 200000; k++) {
    mp_obj_incref(o);
    mp_obj_decref(o);
  }
  return NULL;
}

START_TEST(refcounts_across_threads) {
  mp_obj *o = mp_obj_tuple2_steal(S("a"), I(1));
  thread_arg a = {o};
  pthread_t th[4];
  for (int k = 0; k < 4; k++) ck_assert_int_eq(pthread_create(&th[k], NULL, churn, &a), 0);
  for (int k = 0; k < 4; k++) pthread_join(th[k], NULL);
  assert_repr(o, "('a', 1)");
  mp_obj_decref(o);
}
END_TEST

/* ---- list and tuple ---- */

START_TEST(lists) {
  mp_obj *l = mp_obj_list();
  for (int k = 0; k < 100; k++) mp_assert_ok(mp_obj_list_append_steal(l, I(k)));
  ck_assert_uint_eq(mp_obj_len(l), 100);
  mp_obj *out;
  mp_assert_ok(mp_obj_list_pop(l, 0, &out));
  int64_t v;
  mp_assert_ok(mp_obj_get_int(out, &v));
  ck_assert_int_eq(v, 0);
  mp_obj_decref(out);
  mp_assert_ok(mp_obj_list_pop(l, 98, NULL)); /* the last, dropped */
  ck_assert_uint_eq(mp_obj_len(l), 98);
  mp_assert_rc(mp_obj_list_pop(l, 98, NULL), -ERANGE);
  while (mp_obj_len(l) > 3) mp_assert_ok(mp_obj_list_pop(l, 3, NULL));
  assert_repr(l, "[1, 2, 3]");
  mp_assert_ok(mp_obj_list_insert_steal(l, 0, S("front")));
  mp_assert_ok(mp_obj_list_insert_steal(l, 2, F(1.5)));
  mp_assert_ok(mp_obj_list_insert_steal(l, 1000, mp_obj_none())); /* past the end appends */
  assert_repr(l, "['front', 1, 1.5, 2, 3, None]");
  mp_assert_ok(mp_obj_list_set_steal(l, 1, mp_obj_bool(true)));
  mp_obj *x = S("x");
  mp_assert_ok(mp_obj_list_set(l, 5, x));
  mp_obj_decref(x);
  mp_assert_rc(mp_obj_list_set(l, 6, mp_obj_none()), -ERANGE);
  assert_repr(l, "['front', True, 1.5, 2, 3, 'x']");
  ck_assert_ptr_null(mp_obj_item(l, 6));
  ck_assert_ptr_null(mp_obj_item(x == NULL ? NULL : mp_obj_none(), 0));
  mp_obj *e = mp_obj_list();
  mp_assert_rc(mp_obj_list_pop(e, 0, NULL), -ERANGE);
  mp_assert_rc(mp_obj_list_pop(NULL, 0, NULL), -EINVAL);
  mp_obj_decref(e);
  mp_obj_decref(l);
}
END_TEST

START_TEST(tuples) {
  mp_obj *items[3] = {S("Sam"), I(10), mp_obj_none()};
  mp_obj *t = mp_obj_tuple_steal(3, items);
  ck_assert_uint_eq(mp_obj_len(t), 3);
  ck_assert_str_eq(mp_obj_str_data(mp_obj_item(t, 0), NULL), "Sam");
  ck_assert_ptr_null(mp_obj_item(t, 3));
  mp_assert_rc(mp_obj_list_append(t, mp_obj_none()), -EINVAL); /* immutable */
  mp_assert_rc(mp_obj_list_set(t, 0, mp_obj_none()), -EINVAL);
  mp_assert_rc(mp_obj_list_pop(t, 0, NULL), -EINVAL);
  assert_repr(t, "('Sam', 10, None)");
  mp_obj_decref(t);
  check_repr(mp_obj_tuple_steal(0, NULL), "()");
  check_repr(mp_obj_tuple_steal(1, (mp_obj *[]){I(1)}), "(1,)");
  check_repr(mp_obj_tuple2_steal(S("Sam"), I(10)), "('Sam', 10)");
}
END_TEST

/* ---- dict ---- */

START_TEST(dict_order_overwrite_delete) {
  mp_obj *d = mp_obj_dict();
  mp_assert_ok(mp_obj_dict_set_steal(d, S("b"), I(1)));
  mp_assert_ok(mp_obj_dict_set_steal(d, S("a"), I(2)));
  mp_assert_ok(mp_obj_dict_set_steal(d, S("c"), I(3)));
  assert_repr(d, "{'b': 1, 'a': 2, 'c': 3}");
  mp_assert_ok(mp_obj_dict_set_steal(d, S("a"), S("two"))); /* overwrite keeps the place */
  assert_repr(d, "{'b': 1, 'a': 'two', 'c': 3}");
  mp_obj *k = S("b");
  mp_assert_ok(mp_obj_dict_del(d, k));
  mp_assert_rc(mp_obj_dict_del(d, k), -ENOENT);
  ck_assert_ptr_null(mp_obj_dict_get(d, k));
  mp_assert_ok(mp_obj_dict_set_steal(d, mp_obj_incref(k), I(9))); /* re-added at the end */
  mp_obj_decref(k);
  assert_repr(d, "{'a': 'two', 'c': 3, 'b': 9}");
  ck_assert_uint_eq(mp_obj_len(d), 3);
  ck_assert_str_eq(mp_obj_str_data(mp_obj_dict_get_str(d, "a"), NULL), "two");
  ck_assert_ptr_null(mp_obj_dict_get_str(d, "zz"));
  ck_assert_ptr_null(mp_obj_dict_get_str(mp_obj_none(), "a"));
  size_t pos = 0;
  mp_obj *key, *val;
  const char *order[] = {"a", "c", "b"};
  int n = 0;
  while (mp_obj_dict_next(d, &pos, &key, &val))
    ck_assert_str_eq(mp_obj_str_data(key, NULL), order[n++]);
  ck_assert_int_eq(n, 3);
  mp_obj *l = mp_obj_list();
  ck_assert_ptr_null(mp_obj_dict_get(d, l)); /* unhashable */
  mp_assert_rc(mp_obj_dict_del(d, l), -EINVAL);
  mp_assert_rc(mp_obj_dict_set(d, l, l), -EINVAL);
  mp_obj_decref(l);
  mp_obj_decref(d);
  check_repr(mp_obj_dict(), "{}");
}
END_TEST

/* 1, 1.0 and True are one key; the first key object stays, the last value wins. */
START_TEST(dict_numeric_key_merging) {
  mp_obj *d = mp_obj_dict();
  mp_assert_ok(mp_obj_dict_set_steal(d, I(1), S("a")));
  mp_assert_ok(mp_obj_dict_set_steal(d, F(1.0), S("b")));
  mp_assert_ok(mp_obj_dict_set_steal(d, mp_obj_bool(true), S("c")));
  mp_assert_ok(mp_obj_dict_set_steal(d, F(0.0), S("zero")));
  mp_assert_ok(mp_obj_dict_set_steal(d, mp_obj_bool(false), S("false")));
  mp_assert_ok(mp_obj_dict_set_steal(d, F(1.5), S("x")));
  mp_assert_ok(mp_obj_dict_set_steal(d, mp_obj_tuple2_steal(I(1), S("k")), S("t1")));
  mp_assert_ok(mp_obj_dict_set_steal(d, mp_obj_tuple2_steal(F(1.0), S("k")), S("t2")));
  assert_repr(d, "{1: 'c', 0.0: 'false', 1.5: 'x', (1, 'k'): 't2'}");
  mp_obj *t = mp_obj_bool(true);
  ck_assert_str_eq(mp_obj_str_data(mp_obj_dict_get(d, t), NULL), "c");
  mp_obj *m0 = F(-0.0);
  ck_assert_str_eq(mp_obj_str_data(mp_obj_dict_get(d, m0), NULL), "false");
  mp_obj_decref(m0);
  mp_obj *big = I(INT64_MAX), *bigf = F(9223372036854775808.0);
  mp_assert_ok(mp_obj_dict_set(d, big, big));
  ck_assert_ptr_null(mp_obj_dict_get(d, bigf)); /* 2**63-1 != 2.0**63 */
  mp_obj_decref(big);
  mp_obj_decref(bigf);
  mp_obj_decref(d);
}
END_TEST

START_TEST(dict_many_keys) {
  mp_obj *d = mp_obj_dict();
  char key[32];
  for (int k = 0; k < 20000; k++) {
    snprintf(key, sizeof key, "key%d", k);
    mp_assert_ok(mp_obj_dict_set_steal(d, S(key), I(k)));
  }
  for (int k = 0; k < 20000; k += 2) { /* delete half, then re-grow past the holes */
    mp_obj *kk = I(k);
    mp_assert_rc(mp_obj_dict_del(d, kk), -ENOENT);
    mp_obj_decref(kk);
    snprintf(key, sizeof key, "key%d", k);
    mp_obj *ks = S(key);
    mp_assert_ok(mp_obj_dict_del(d, ks));
    mp_obj_decref(ks);
  }
  for (int k = 0; k < 20000; k++) mp_assert_ok(mp_obj_dict_set_steal(d, I(k), I(-k)));
  ck_assert_uint_eq(mp_obj_len(d), 30000);
  for (int k = 1; k < 20000; k += 2) {
    snprintf(key, sizeof key, "key%d", k);
    int64_t v;
    mp_assert_ok(mp_obj_get_int(mp_obj_dict_get_str(d, key), &v));
    ck_assert_int_eq(v, k);
  }
  size_t pos = 0;
  mp_obj *key0, *val0;
  ck_assert(mp_obj_dict_next(d, &pos, &key0, &val0));
  ck_assert_str_eq(mp_obj_str_data(key0, NULL), "key1"); /* order survived rebuilds */
  round_trip(d);
  mp_obj_decref(d);
}
END_TEST

/* ---- equality and hash ---- */

START_TEST(equality) {
  mp_obj *one = I(1), *onef = F(1.0), *t = mp_obj_bool(true), *two = I(2);
  ck_assert(mp_obj_equal(one, onef) && mp_obj_equal(onef, t) && mp_obj_equal(t, one));
  ck_assert(!mp_obj_equal(one, two));
  mp_obj *nan = F(NAN);
  ck_assert(!mp_obj_equal(nan, nan)); /* nan != nan */
  mp_obj *l1 = mp_obj_list(), *l2 = mp_obj_list();
  mp_obj_list_append(l1, nan);
  mp_obj_list_append(l2, nan);
  ck_assert(mp_obj_equal(l1, l2)); /* [x] == [x]: identity first, as Python */
  mp_obj *big = I(INT64_MAX), *bigf = F(9223372036854775808.0);
  ck_assert(!mp_obj_equal(big, bigf));
  mp_obj *z = I(0), *mz = F(-0.0);
  ck_assert(mp_obj_equal(z, mz));
  mp_obj *s = S("a"), *b = mp_obj_bytes("a", 1);
  ck_assert(!mp_obj_equal(s, b));
  mp_obj *lt = mp_obj_list(), *tt = mp_obj_tuple_steal(0, NULL);
  ck_assert(!mp_obj_equal(lt, tt)); /* [] != () */
  mp_obj *d1 = mp_obj_dict(), *d2 = mp_obj_dict();
  mp_obj_dict_set_steal(d1, S("x"), I(1));
  mp_obj_dict_set_steal(d1, S("y"), mp_obj_tuple2_steal(I(2), F(3.0)));
  mp_obj_dict_set_steal(d2, S("y"), mp_obj_tuple2_steal(F(2.0), I(3)));
  ck_assert(!mp_obj_equal(d1, d2));
  mp_obj_dict_set_steal(d2, S("x"), mp_obj_bool(true));
  ck_assert(mp_obj_equal(d1, d2)); /* order does not matter */
  mp_obj_dict_set_steal(d2, S("x"), I(5));
  ck_assert(!mp_obj_equal(d1, d2));
  ck_assert(mp_obj_equal(NULL, NULL) && !mp_obj_equal(NULL, one));
  ck_assert(mp_obj_equal(mp_obj_none(), mp_obj_none()) && !mp_obj_equal(mp_obj_none(), z));
  mp_obj *all[] = {one, onef, two, nan, l1, l2, big, bigf, z, mz, s, b, lt, tt, d1, d2};
  for (size_t k = 0; k < sizeof all / sizeof all[0]; k++) mp_obj_decref(all[k]);
}
END_TEST

START_TEST(hashing) {
  mp_obj *one = I(1), *onef = F(1.0), *t = mp_obj_bool(true);
  ck_assert(mp_obj_hash(one) == mp_obj_hash(onef) && mp_obj_hash(one) == mp_obj_hash(t));
  mp_obj *t1 = mp_obj_tuple2_steal(I(1), S("a")), *t2 = mp_obj_tuple2_steal(F(1.0), S("a"));
  ck_assert(mp_obj_hash(t1) == mp_obj_hash(t2));
  mp_obj *s1 = S("abc"), *s2 = mp_obj_strn("abcd", 3);
  ck_assert(mp_obj_hash(s1) == mp_obj_hash(s2));
  mp_obj *l = mp_obj_list(), *bad = mp_obj_tuple2_steal(I(1), mp_obj_list());
  ck_assert_uint_eq(mp_obj_hash(l), 0);
  ck_assert_uint_eq(mp_obj_hash(bad), 0);
  ck_assert_uint_eq(mp_obj_hash(NULL), 0);
  /* distinct small ints do not collide */
  mp_obj *x = I(2);
  ck_assert(mp_obj_hash(x) != mp_obj_hash(one));
  mp_obj *all[] = {one, onef, t1, t2, s1, s2, l, bad, x};
  for (size_t k = 0; k < sizeof all / sizeof all[0]; k++) mp_obj_decref(all[k]);
}
END_TEST

/* As in Python 3.10+: a NaN equals nothing, so each NaN object is its own key, hashed by its
 * identity, and found only through itself. */
START_TEST(dict_nan_keys) {
  mp_obj *x = F(NAN), *y = F(NAN);
  ck_assert(mp_obj_hash(x) == mp_obj_hash(x)); /* stable for one object */
  mp_obj *d = mp_obj_dict();
  mp_assert_ok(mp_obj_dict_set_steal(d, mp_obj_incref(x), I(1)));
  mp_assert_ok(mp_obj_dict_set_steal(d, mp_obj_incref(x), I(2))); /* same object: overwrite */
  ck_assert_uint_eq(mp_obj_len(d), 1);
  mp_assert_ok(mp_obj_dict_set_steal(d, mp_obj_incref(y), I(3))); /* another NaN: a new key */
  ck_assert_uint_eq(mp_obj_len(d), 2);
  int64_t v = 0;
  mp_assert_ok(mp_obj_get_int(mp_obj_dict_get(d, x), &v));
  ck_assert_int_eq(v, 2);
  mp_assert_ok(mp_obj_get_int(mp_obj_dict_get(d, y), &v));
  ck_assert_int_eq(v, 3);
  mp_obj *z = F(NAN);
  ck_assert_ptr_null(mp_obj_dict_get(d, z)); /* an equal-looking NaN is another key */
  mp_assert_rc(mp_obj_dict_del(d, z), -ENOENT);
  /* a tuple holding the same NaN object is the same key ((x,) == (x,) by identity) */
  mp_obj *x1 = mp_obj_incref(x), *x2 = mp_obj_incref(x);
  mp_obj *tx1 = mp_obj_tuple_steal(1, &x1), *tx2 = mp_obj_tuple_steal(1, &x2);
  ck_assert(mp_obj_hash(tx1) == mp_obj_hash(tx2) && mp_obj_equal(tx1, tx2));
  mp_assert_ok(mp_obj_dict_set(d, tx1, z));
  ck_assert_ptr_eq(mp_obj_dict_get(d, tx2), z);
  mp_assert_ok(mp_obj_dict_del(d, x));
  ck_assert_ptr_null(mp_obj_dict_get(d, x));
  ck_assert_uint_eq(mp_obj_len(d), 2);
  mp_obj *all[] = {x, y, z, tx1, tx2, d};
  for (size_t k = 0; k < sizeof all / sizeof all[0]; k++) mp_obj_decref(all[k]);
}
END_TEST

/* A map whose keys are all NaN used to cost n^2 (every NaN hashed alike): 200 000 keys took
 * minutes.  Now each key is kept and the decode is linear. */
START_TEST(decode_many_nan_keys) {
  enum { N = 200000 };
  size_t len = 5 + (size_t)N * 10;
  unsigned char *buf = malloc(len), *p = buf;
  ck_assert_ptr_nonnull(buf);
  *p++ = 0xdf; /* map 32 */
  *p++ = (unsigned char)(N >> 24);
  *p++ = (unsigned char)(N >> 16);
  *p++ = (unsigned char)(N >> 8);
  *p++ = (unsigned char)N;
  for (uint32_t i = 0; i < N; i++) { /* float 64 NaN (payload i) -> int 0..127 */
    const unsigned char f[9] = {0xcb,
                                0x7f,
                                0xf8,
                                0,
                                0,
                                (unsigned char)(i >> 24),
                                (unsigned char)(i >> 16),
                                (unsigned char)(i >> 8),
                                (unsigned char)i};
    memcpy(p, f, sizeof f);
    p += sizeof f;
    *p++ = (unsigned char)(i & 0x7f);
  }
  int64_t t0 = mp_test_now_ms();
  mp_obj *o = NULL;
  mp_assert_ok(decode((const char *)buf, len, NULL, &o));
  int64_t took = mp_test_now_ms() - t0;
  ck_assert_msg(took < 2000, "decoding %d NaN keys took %lld ms", N, (long long)took);
  ck_assert_uint_eq(mp_obj_len(o), N); /* every NaN key kept, in order */
  /* counted, then asserted once: each Check assertion costs a write to the runner */
  size_t pos = 0, seen = 0, wrong = 0;
  mp_obj *k, *v;
  while (mp_obj_dict_next(o, &pos, &k, &v)) {
    double f = 0;
    int64_t iv = -1;
    if (mp_obj_get_float(k, &f) || !isnan(f) || mp_obj_get_int(v, &iv) ||
        iv != (int64_t)(seen & 0x7f) ||
        mp_obj_dict_get(o, k) != v) /* found through the very object */
      wrong++;
    seen++;
  }
  ck_assert_uint_eq(seen, N);
  ck_assert_uint_eq(wrong, 0);
  mp_obj *other = F(NAN);
  ck_assert_ptr_null(mp_obj_dict_get(o, other));
  void *enc = NULL;
  size_t enc_len = 0;
  mp_assert_ok(mp_obj_encode(o, &enc, &enc_len));
  ck_assert_uint_eq(enc_len, len); /* the same bytes back, NaN payloads included */
  ck_assert(memcmp(enc, buf, len) == 0);
  free(enc);
  mp_obj_decref(other);
  mp_obj_decref(o);
  free(buf);
}
END_TEST

/* ---- repr: every expected string below is what python3 printed ---- */

START_TEST(repr_scalars) {
  check_repr(mp_obj_none(), "None");
  check_repr(mp_obj_bool(true), "True");
  check_repr(mp_obj_bool(false), "False");
  check_repr(I(0), "0");
  check_repr(I(-5), "-5");
  check_repr(I(INT64_MAX), "9223372036854775807");
  check_repr(I(INT64_MIN), "-9223372036854775808");
  static const struct {
    double v;
    const char *r;
  } floats[] = {
      {1.0, "1.0"},
      {-0.0, "-0.0"},
      {0.1, "0.1"},
      {1e16, "1e+16"},
      {1e15, "1000000000000000.0"},
      {123456789012345678.0, "1.2345678901234568e+17"},
      {1e-5, "1e-05"},
      {0.0001, "0.0001"},
      {1.5e300, "1.5e+300"},
      {5e-324, "5e-324"},
      {2.5, "2.5"},
      {1.0 / 3, "0.3333333333333333"},
      {100.0, "100.0"},
      {1e22, "1e+22"},
  };
  for (size_t k = 0; k < sizeof floats / sizeof floats[0]; k++)
    check_repr(F(floats[k].v), floats[k].r);
  check_repr(F(INFINITY), "inf");
  check_repr(F(-INFINITY), "-inf");
  check_repr(F(NAN), "nan");
}
END_TEST

START_TEST(repr_text) {
  check_repr(S(""), "''");
  check_repr(S("it's"), "\"it's\"");
  check_repr(S("say \"hi\""), "'say \"hi\"'");
  check_repr(S("both ' and \""), "'both \\' and \"'");
  check_repr(S("'"), "\"'\"");
  check_repr(S("a\nb\tc\\d\r"), "'a\\nb\\tc\\\\d\\r'");
  check_repr(mp_obj_strn("\x00\x07\x1f\x7f", 4), "'\\x00\\x07\\x1f\\x7f'");
  check_repr(S("h\xc3\xa9llo \xe2\x9c\x93"), "'h\xc3\xa9llo \xe2\x9c\x93'"); /* kept */
  check_repr(S("\xc2\x80\xc2\xa0\xc2\xad"), "'\\x80\\xa0\\xad'"); /* C1, NBSP */
  check_repr(S("\xe2\x80\xa8\xef\xbb\xbf"), "'\\u2028\\ufeff'"); /* LS, BOM */
  check_repr(S("\xf0\x9f\x98\x80"), "'\xf0\x9f\x98\x80'"); /* emoji */
  check_repr(S("\xf3\xa0\x80\x81"), "'\\U000e0001'"); /* tag */
  check_repr(S("\xee\x80\x80"), "'\\ue000'"); /* private */
  check_repr(mp_obj_bytes("", 0), "b''");
  check_repr(mp_obj_bytes("\x00\xff", 2), "b'\\x00\\xff'");
  check_repr(mp_obj_bytes("it's", 4), "b\"it's\"");
  check_repr(mp_obj_bytes("a\nb\\", 4), "b'a\\nb\\\\'");
}
END_TEST

START_TEST(repr_containers) {
  check_repr(mp_obj_list(), "[]");
  mp_obj *l = mp_obj_list();
  mp_obj_list_append_steal(l, I(1));
  mp_obj *l2 = mp_obj_list();
  mp_obj_list_append_steal(l2, I(2));
  mp_obj *l3 = mp_obj_list();
  mp_obj_list_append_steal(l3, I(3));
  mp_obj_list_append_steal(l2, l3);
  mp_obj_list_append_steal(l, l2);
  check_repr(l, "[1, [2, [3]]]");
  mp_obj *d = mp_obj_dict();
  mp_obj *v = mp_obj_list();
  mp_obj_list_append_steal(v, I(1));
  mp_obj_list_append_steal(v, I(2));
  mp_obj_dict_set_steal(d, S("a"), v);
  mp_obj_dict_set_steal(d, mp_obj_tuple2_steal(I(1), S("b")), mp_obj_none());
  mp_obj_dict_set_steal(d, F(2.5), mp_obj_bytes("x", 1));
  check_repr(d, "{'a': [1, 2], (1, 'b'): None, 2.5: b'x'}");
  mp_obj *m = mp_obj_list();
  mp_obj_list_append_steal(m, F(1.0));
  mp_obj_list_append_steal(m, mp_obj_bool(true));
  mp_obj_list_append_steal(m, mp_obj_none());
  check_repr(m, "[1.0, True, None]");

  FILE *f = tmpfile();
  ck_assert_ptr_nonnull(f);
  mp_obj *t = mp_obj_tuple2_steal(S("Sam"), I(10));
  mp_assert_ok(mp_obj_fprint(f, t));
  mp_obj_decref(t);
  rewind(f);
  char line[64] = "";
  ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
  ck_assert_str_eq(line, "('Sam', 10)");
  fclose(f);
  mp_assert_rc(mp_obj_fprint(NULL, mp_obj_none()), -EINVAL);
}
END_TEST

/* ---- codec ---- */

START_TEST(encode_exact_bytes) {
  assert_encoding(mp_obj_none(), "c0");
  assert_encoding(mp_obj_bool(true), "c3");
  assert_encoding(I(5), "05");
  assert_encoding(I(-1), "ff");
  assert_encoding(I(-33), "d0df");
  assert_encoding(I(200), "ccc8");
  assert_encoding(I(70000), "ce00011170");
  assert_encoding(I(INT64_MIN), "d38000000000000000");
  assert_encoding(F(2.5), "cb4004000000000000");
  assert_encoding(S("Sam"), "a353616d");
  assert_encoding(mp_obj_bytes("\x00\xff", 2), "c40200ff");
  assert_encoding(mp_obj_tuple2_steal(S("Sam"), I(10)), "c7060192a353616d0a"); /* ext 1 */
  assert_encoding(mp_obj_tuple_steal(0, NULL), "d40190"); /* fixext 1 */
  mp_obj *d = mp_obj_dict();
  mp_obj_dict_set_steal(d, S("a"), mp_obj_list());
  assert_encoding(d, "81a16190");
}
END_TEST

/* A deterministic pseudo-random value generator for round trips. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static uint64_t rnd(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

static mp_obj *random_value(int depth, bool hashable) {
  int kind = (int)(rnd() % (depth > 3 ? 7 : 10));
  if (hashable && kind >= 7) kind = 9;
  switch (kind) {
    case 0: return mp_obj_none();
    case 1: return mp_obj_bool(rnd() & 1);
    case 2: {
      static const int64_t edges[] = {0,
                                      127,
                                      128,
                                      -32,
                                      -33,
                                      255,
                                      256,
                                      65535,
                                      65536,
                                      -32769,
                                      INT32_MAX,
                                      INT32_MIN,
                                      (int64_t)1 << 32,
                                      INT64_MAX,
                                      INT64_MIN};
      return I(rnd() & 1 ? edges[rnd() % 15] : (int64_t)rnd());
    }
    case 3: {
      uint64_t bits = rnd();
      double v;
      memcpy(&v, &bits, sizeof v);
      return F(isnan(v) ? 0.5 : v);
    }
    case 4: {
      char buf[300];
      size_t n = rnd() % 3 == 0 ? 32 + rnd() % 260 : rnd() % 32;
      for (size_t k = 0; k < n; k++) buf[k] = (char)(' ' + rnd() % 95);
      return mp_obj_strn(buf, n);
    }
    case 5: return S("\xc3\xa9\xe2\x9c\x93\xf0\x9f\x98\x80");
    case 6: {
      unsigned char buf[300];
      size_t n = rnd() % 300;
      for (size_t k = 0; k < n; k++) buf[k] = (unsigned char)rnd();
      return mp_obj_bytes(buf, n);
    }
    case 7: {
      mp_obj *l = mp_obj_list();
      for (size_t n = rnd() % 20; n > 0; n--)
        mp_obj_list_append_steal(l, random_value(depth + 1, false));
      return l;
    }
    case 8: {
      mp_obj *d = mp_obj_dict();
      for (size_t n = rnd() % 20; n > 0; n--)
        mp_obj_dict_set_steal(d, random_value(depth + 1, true), random_value(depth + 1, false));
      return d;
    }
    default: {
      mp_obj *items[20];
      size_t n = rnd() % (depth > 3 ? 1 : 20);
      for (size_t k = 0; k < n; k++) items[k] = random_value(depth + 1, hashable);
      return mp_obj_tuple_steal(n, items);
    }
  }
}

START_TEST(round_trips) {
  for (int k = 0; k < 300; k++) {
    mp_obj *o = random_value(0, false);
    ck_assert_ptr_nonnull(o);
    round_trip(o);
    mp_obj_decref(o);
  }
  mp_obj *deep = mp_obj_list();
  for (int k = 1; k < 64; k++) { /* 64 levels in all (lists and tuples): the default limit */
    if (k % 2) {
      deep = mp_obj_tuple_steal(1, (mp_obj *[]){deep});
    } else {
      mp_obj *outer = mp_obj_list();
      mp_obj_list_append_steal(outer, deep);
      deep = outer;
    }
  }
  round_trip(deep);
  mp_obj *big = mp_obj_bytes(NULL, 0);
  mp_obj *s = mp_obj_strn(NULL, 0);
  round_trip(big);
  round_trip(s);
  mp_obj_decref(big);
  mp_obj_decref(s);
  char *long_text = malloc(70000);
  memset(long_text, 'x', 70000);
  s = mp_obj_strn(long_text, 70000); /* str 32 */
  mp_obj *bb = mp_obj_bytes(long_text, 70000);
  ck_assert_uint_eq(round_trip(s), 70005);
  ck_assert_uint_eq(round_trip(bb), 70005);
  free(long_text);
  mp_obj_decref(s);
  mp_obj_decref(bb);
  mp_obj *wide = mp_obj_list();
  for (int k = 0; k < 70000; k++) mp_obj_list_append_steal(wide, I(k % 100)); /* array 32 */
  mp_obj *wt = mp_obj_tuple2_steal(mp_obj_incref(wide), I(1)); /* ext 32 */
  round_trip(wt);
  mp_obj_decref(wt);
  mp_obj_decref(wide);
  void *buf;
  size_t len;
  mp_assert_rc(mp_obj_encode(NULL, &buf, &len), -EINVAL);
  /* deeper than the codec's ceiling (1000) */
  for (int k = 0; k < 1000; k++) {
    mp_obj *outer = mp_obj_list();
    mp_obj_list_append_steal(outer, deep);
    deep = outer;
  }
  mp_assert_rc(mp_obj_encode(deep, &buf, &len), MP_ETOOBIG);
  mp_obj_decref(deep);
}
END_TEST

/* Every wire form decodes: fixint, uint/int 8-64, float 32, str 8/16, bin 16, fixmap. */
START_TEST(decode_wire_forms) {
  mp_obj *o;
  mp_assert_ok(DEC("\x9e\x7f\xe0\xcc\xff\xcd\x01\x00\xce\x00\x01\x00\x00"
                   "\xcf\x7f\xff\xff\xff\xff\xff\xff\xff\xd0\x80\xd1\x80\x00\xd2\x80\x00\x00\x00"
                   "\xd3\x80\x00\x00\x00\x00\x00\x00\x00\xca\x3f\xc0\x00\x00"
                   "\xd9\x01x\xda\x00\x01y\xc5\x00\x01z",
                   NULL, &o));
  assert_repr(o, "[127, -32, 255, 256, 65536, 9223372036854775807, -128, -32768, -2147483648, "
                 "-9223372036854775808, 1.5, 'x', 'y', b'z']");
  mp_obj_decref(o);
  /* a map whose keys repeat (1 then True): the first key, the last value */
  mp_assert_ok(DEC("\x82\x01\xa1\x61\xc3\xa1\x62", NULL, &o));
  assert_repr(o, "{1: 'b'}");
  mp_obj_decref(o);
  mp_assert_ok(DEC("\x81\xd4\x01\x90\xc0", NULL, &o)); /* {(): None} */
  assert_repr(o, "{(): None}");
  mp_obj_decref(o);
}
END_TEST

START_TEST(decode_truncated_everywhere) {
  mp_obj *v = mp_obj_dict();
  mp_obj_dict_set_steal(v, S("name"), mp_obj_tuple2_steal(S("Sam"), I(70000)));
  mp_obj *l = mp_obj_list();
  mp_obj_list_append_steal(l, F(0.5));
  mp_obj_list_append_steal(l, mp_obj_bytes("\x01\x02\x03", 3));
  mp_obj_list_append_steal(l, I(-200));
  mp_obj_list_append_steal(l, I(INT64_MAX));
  mp_obj_list_append_steal(l, mp_obj_none());
  mp_obj_dict_set_steal(v, I(7), l);
  mp_obj_dict_set_steal(v, S("text"), S("h\xc3\xa9llo"));
  void *buf;
  size_t len;
  mp_assert_ok(mp_obj_encode(v, &buf, &len));
  for (size_t cut = 0; cut < len; cut++) {
    mp_obj *o = (mp_obj *)1;
    int rc = mp_obj_decode(buf, cut, NULL, &o);
    ck_assert_msg(rc == MP_ECORRUPT, "cut at %zu of %zu: %s", cut, len, mp_err_name(rc));
    ck_assert_ptr_eq(o, (mp_obj *)1); /* untouched on error */
  }
  mp_obj *o;
  mp_assert_ok(mp_obj_decode(buf, len, NULL, &o));
  ck_assert(mp_obj_equal(o, v));
  mp_obj_decref(o);
  /* trailing bytes */
  char *longer = malloc(len + 1);
  memcpy(longer, buf, len);
  longer[len] = '\xc0';
  mp_assert_rc(mp_obj_decode(longer, len + 1, NULL, &o), MP_ECORRUPT);
  free(longer);
  free(buf);
  mp_obj_decref(v);
  mp_assert_rc(DEC("\xc0\xc0", NULL, &o), MP_ECORRUPT);
  mp_assert_rc(mp_obj_decode(NULL, 0, NULL, &o), MP_ECORRUPT);
  mp_assert_rc(mp_obj_decode("", 0, NULL, &o), MP_ECORRUPT);
  mp_assert_rc(mp_obj_decode("\xc0", 1, NULL, NULL), -EINVAL);
  mp_assert_rc(mp_obj_decode(NULL, 1, NULL, &o), -EINVAL);
}
END_TEST

START_TEST(decode_huge_declared_lengths) {
  mp_obj *o;
  /* four billion elements in 5 bytes: refused before anything is allocated */
  mp_assert_rc(DEC("\xdd\xff\xff\xff\xff", NULL, &o), MP_ETOOBIG);
  mp_assert_rc(DEC("\xdf\xff\xff\xff\xff", NULL, &o), MP_ETOOBIG);
  mp_assert_rc(DEC("\xdb\xff\xff\xff\xff", NULL, &o), MP_ETOOBIG); /* str 4 GiB > 1 GiB */
  mp_assert_rc(DEC("\xc6\xff\xff\xff\xff", NULL, &o), MP_ETOOBIG);
  /* within the limits but longer than the message */
  mp_assert_rc(DEC("\xdd\x00\x0f\xff\xff", NULL, &o), MP_ECORRUPT);
  mp_assert_rc(DEC("\xdf\x00\x07\xff\xff", NULL, &o), MP_ECORRUPT);
  mp_assert_rc(DEC("\xdb\x00\x0f\xff\xff", NULL, &o), MP_ECORRUPT);
  mp_assert_rc(DEC("\xc9\xff\xff\xff\xff\x01", NULL, &o), MP_ECORRUPT);
  mp_assert_rc(DEC("\xd9\x05"
                   "abc",
                   NULL, &o),
               MP_ECORRUPT);
  /* caller limits */
  mp_obj_limits lim = {.max_items = 4, .max_bytes = 3};
  mp_assert_ok(DEC("\x93\x01\x02\x03", &lim, &o)); /* 4 values */
  mp_obj_decref(o);
  mp_assert_rc(DEC("\x94\x01\x02\x03\x04", &lim, &o), MP_ETOOBIG);
  mp_assert_rc(DEC("\x92\x91\x01\x91\x02", &lim, &o), MP_ETOOBIG); /* 5 values in all */
  mp_assert_rc(DEC("\x82\x01\x02\x03\x04", &lim, &o), MP_ETOOBIG);
  mp_assert_ok(DEC("\xa3"
                   "abc",
                   &lim, &o));
  mp_obj_decref(o);
  mp_assert_rc(DEC("\xa4"
                   "abcd",
                   &lim, &o),
               MP_ETOOBIG);
  mp_assert_rc(DEC("\xc4\x04"
                   "abcd",
                   &lim, &o),
               MP_ETOOBIG);
}
END_TEST

START_TEST(decode_depth) {
  char buf[200000];
  mp_obj *o;
  memset(buf, 0x91, sizeof buf); /* [[[[...]]]] */
  buf[63] = (char)0x90;
  mp_assert_ok(decode(buf, 64, NULL, &o)); /* 64 levels: the default */
  mp_obj_decref(o);
  buf[63] = (char)0x91;
  buf[64] = (char)0x90;
  mp_assert_rc(decode(buf, 65, NULL, &o), MP_ETOOBIG);
  mp_obj_limits lim = {.max_depth = 2};
  mp_assert_ok(DEC("\x91\x81\x01\x02", &lim, &o));
  mp_obj_decref(o);
  mp_assert_rc(DEC("\x91\x81\x01\x90", &lim, &o), MP_ETOOBIG);
  mp_assert_ok(DEC("\x91\xd5\x01\x91\x01", &lim, &o)); /* [(1,)] */
  mp_obj_decref(o);
  mp_assert_rc(DEC("\x91\xc7\x05\x01\x91\xd5\x01\x91\x01", &lim, &o), MP_ETOOBIG); /* [((1,),)] */
  /* a huge caller limit is capped at 1000: no stack exhaustion */
  lim = (mp_obj_limits){.max_depth = SIZE_MAX, .max_items = SIZE_MAX};
  memset(buf, 0x91, sizeof buf);
  buf[sizeof buf - 1] = (char)0x90;
  mp_assert_rc(decode(buf, sizeof buf, &lim, &o), MP_ETOOBIG);
  memset(buf, 0xd4, sizeof buf); /* fixext chains */
  mp_assert_rc(decode(buf, sizeof buf, &lim, &o), MP_ECORRUPT);
}
END_TEST

START_TEST(decode_bad_types) {
  mp_obj *o;
  mp_assert_rc(DEC("\xa2\xc3\x28", NULL, &o), MP_ECORRUPT); /* invalid UTF-8 */
  mp_assert_rc(DEC("\xa3\xed\xa0\x80", NULL, &o), MP_ECORRUPT); /* surrogate */
  mp_assert_rc(DEC("\xa2\xc0\x80", NULL, &o), MP_ECORRUPT); /* overlong NUL */
  mp_assert_ok(DEC("\xc4\x02\xc3\x28", NULL, &o)); /* fine as bytes */
  mp_obj_decref(o);
  mp_assert_rc(DEC("\xc1", NULL, &o), MP_ECORRUPT); /* never used */
  mp_assert_rc(DEC("\xcf\x80\x00\x00\x00\x00\x00\x00\x00", NULL, &o), MP_ECORRUPT); /* 2**63 */
  mp_assert_rc(DEC("\x81\x90\x01", NULL, &o), MP_ECORRUPT); /* {[]: 1} */
  mp_assert_rc(DEC("\x81\x80\x01", NULL, &o), MP_ECORRUPT); /* {{}: 1} */
  mp_assert_rc(DEC("\x81\xd5\x01\x91\x90\x01", NULL, &o), MP_ECORRUPT); /* {([],): 1} */
  /* extensions: only type 1, holding exactly one array */
  mp_assert_rc(DEC("\xd4\x02\x90", NULL, &o), MP_ECORRUPT); /* type 2 */
  mp_assert_rc(DEC("\xd6\xff\x00\x00\x00\x00", NULL, &o), MP_ECORRUPT); /* timestamp */
  mp_assert_rc(DEC("\xd4\x01\x01", NULL, &o), MP_ECORRUPT); /* not an array */
  mp_assert_rc(DEC("\xd5\x01\x90\xc0", NULL, &o), MP_ECORRUPT); /* byte left inside */
  mp_assert_rc(DEC("\xd5\x01\x92\x01", NULL, &o), MP_ECORRUPT); /* array runs out */
  mp_assert_rc(DEC("\xc7\x00\x01", NULL, &o), MP_ECORRUPT); /* empty body */
  mp_assert_rc(DEC("\xc7\x03\x01\x91\xa2\x61", NULL, &o), MP_ECORRUPT); /* str crosses end */
  mp_assert_ok(DEC("\xc7\x03\x01\xdc\x00\x00", NULL, &o)); /* array 16 inside */
  assert_repr(o, "()");
  mp_obj_decref(o);
}
END_TEST

Suite *mp_test_suite(void) {
  Suite *s = suite_create("obj");
  TCase *tc = mp_tcase("obj", 60);
  tcase_add_test(tc, scalars);
  tcase_add_test(tc, strings_and_bytes);
  tcase_add_test(tc, refcounts);
  tcase_add_test(tc, steal_on_failure);
  tcase_add_test(tc, refcounts_across_threads);
  tcase_add_test(tc, lists);
  tcase_add_test(tc, tuples);
  tcase_add_test(tc, dict_order_overwrite_delete);
  tcase_add_test(tc, dict_numeric_key_merging);
  tcase_add_test(tc, dict_many_keys);
  tcase_add_test(tc, equality);
  tcase_add_test(tc, hashing);
  tcase_add_test(tc, repr_scalars);
  tcase_add_test(tc, repr_text);
  tcase_add_test(tc, repr_containers);
  tcase_add_test(tc, encode_exact_bytes);
  tcase_add_test(tc, round_trips);
  tcase_add_test(tc, decode_wire_forms);
  tcase_add_test(tc, decode_truncated_everywhere);
  tcase_add_test(tc, decode_huge_declared_lengths);
  tcase_add_test(tc, decode_depth);
  tcase_add_test(tc, decode_bad_types);
  tcase_add_test(tc, dict_nan_keys);
  suite_add_tcase(s, tc);
  /* its own time limit: the quadratic decode this guards against runs for minutes */
  TCase *nan = mp_tcase("obj_nan_keys", 20);
  tcase_add_test(nan, decode_many_nan_keys);
  suite_add_tcase(s, nan);
  return s;
}
