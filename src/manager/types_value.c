/* SPDX-License-Identifier: MIT */
/* types_value.c -- the manager's Value and Array: a typecode and a value (or a list of values)
 * held by the server, checked against the typecode as ctypes would (ints in range, numbers for
 * 'f'/'d', a 1-byte bytes for 'c', a 1-character str for 'u'). */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "manager/mgr_internal.h"

typedef struct tc_val {
  char tc;
  mp_obj *v; /* Value: the value; Array: a list */
} tc_val;

#define TV(o) ((tc_val *)(o)->data)

/* Checks v against tc and returns a new reference to the value to store (ints and floats
 * normalised), or NULL with the error recorded in *rc. */
static mp_obj *checked(mgr_call *c, char tc, const mp_obj *v, int *rc) {
  static const struct {
    char tc;
    int64_t lo;
    uint64_t hi;
  } ints[] = {{'b', SCHAR_MIN, SCHAR_MAX}, {'B', 0, UCHAR_MAX},     {'h', SHRT_MIN, SHRT_MAX},
              {'H', 0, USHRT_MAX},         {'i', INT_MIN, INT_MAX}, {'I', 0, UINT_MAX},
              {'l', INT64_MIN, INT64_MAX}, {'L', 0, INT64_MAX},     {'q', INT64_MIN, INT64_MAX},
              {'Q', 0, INT64_MAX}};
  for (size_t i = 0; i < MP__ARRAY_LEN(ints); i++) {
    if (ints[i].tc != tc) continue;
    int64_t x;
    if (mp_obj_type_of(v) == MP_OBJ_FLOAT || mp_obj_get_int(v, &x) != 0) {
      *rc = mp_manager_error(c, -EINVAL, "TypeError: an int is required for typecode '%c'", tc);
      return NULL;
    }
    if (x < ints[i].lo || (x > 0 && (uint64_t)x > ints[i].hi)) {
      *rc = mp_manager_error(c, -ERANGE, "OverflowError: %lld out of range for typecode '%c'",
                             (long long)x, tc);
      return NULL;
    }
    return mp_obj_int(x);
  }
  if (tc == 'f' || tc == 'd') {
    double f;
    if (mp_obj_get_float(v, &f) != 0) {
      *rc = mp_manager_error(c, -EINVAL, "TypeError: a number is required for typecode '%c'", tc);
      return NULL;
    }
    return mp_obj_float(f);
  }
  if ((tc == 'c' && (mp_obj_type_of(v) != MP_OBJ_BYTES || mp_obj_len(v) != 1)) ||
      (tc == 'u' && (mp_obj_type_of(v) != MP_OBJ_STR || mp_obj_len(v) != 1))) {
    *rc = mp_manager_error(c, -EINVAL, "TypeError: typecode '%c' takes a 1-character %s", tc,
                           tc == 'c' ? "bytes" : "str");
    return NULL;
  }
  /* 'c', 'u' and typecodes ctypes does not know: stored as given, as Python's manager does. */
  return mp_obj_incref((mp_obj *)(uintptr_t)v);
}

static int typecode_arg(mgr_call *c, const mp_obj *args, const char *what, char *tc) {
  int rc = mp__mgr_need_args(c, args, 2, 3, what); /* (typecode, value[, lock]) */
  if (rc != 0) return rc;
  size_t n;
  const char *s = mp_obj_str_data(mp__mgr_arg(args, 0), &n);
  if (s == NULL || n != 1)
    return mp_manager_error(c, -EINVAL, "TypeError: typecode must be a 1-character str");
  *tc = s[0];
  return 0;
}

static void tv_destroy(void *data) {
  tc_val *t = data;
  mp_obj_decref(t->v);
  free(t);
}

static int value_create(mgr_call *c, const mp_obj *args, void **data) {
  char tc = 0;
  int rc = typecode_arg(c, args, "Value()", &tc);
  if (rc != 0) return rc;
  tc_val *t = malloc(sizeof *t);
  if (t == NULL) return -ENOMEM;
  t->tc = tc;
  t->v = checked(c, tc, mp__mgr_arg(args, 1), &rc);
  if (t->v == NULL) {
    free(t);
    return rc ? rc : -ENOMEM;
  }
  *data = t;
  return 0;
}

static int v_get(mgr_call *c, mgr_obj *o, const mp_obj *a, mp_obj **res) {
  int rc = mp__mgr_need_args(c, a, 0, 0, "get");
  if (rc == 0) *res = mp_obj_incref(TV(o)->v);
  return rc;
}

static int v_set(mgr_call *c, mgr_obj *o, const mp_obj *a, mp_obj **res) {
  (void)res;
  int rc = mp__mgr_need_args(c, a, 1, 1, "set");
  if (rc != 0) return rc;
  mp_obj *v = checked(c, TV(o)->tc, mp__mgr_arg(a, 0), &rc);
  if (v == NULL) return rc ? rc : -ENOMEM;
  mp_obj_decref(TV(o)->v);
  TV(o)->v = v;
  return 0;
}

static const mgr_method value_methods[] = {{"get", v_get}, {"set", v_set}, {"_getvalue", v_get}};

const mgr_type mp__mgr_type_value = {.name = "Value",
                                     .create = value_create,
                                     .destroy = tv_destroy,
                                     .methods = value_methods,
                                     .nmethods = MP__ARRAY_LEN(value_methods)};

/* ---- Array ---- */

static int array_create(mgr_call *c, const mp_obj *args, void **data) {
  char tc = 0;
  int rc = typecode_arg(c, args, "Array()", &tc);
  if (rc != 0) return rc;
  if (strchr(MP__MGR_ARRAY_TYPECODES, tc) == NULL)
    return mp_manager_error(c, -EINVAL, "ValueError: bad typecode '%c' (must be one of %s)", tc,
                            MP__MGR_ARRAY_TYPECODES);
  const mp_obj *seq = mp__mgr_arg(args, 1);
  mp_obj_type st = mp_obj_type_of(seq);
  int64_t n = 0;
  if (st == MP_OBJ_INT && mp_obj_get_int(seq, &n) == 0 && (n < 0 || n > (1 << 26)))
    return mp_manager_error(c, -EINVAL, "ValueError: bad array size");
  if (st != MP_OBJ_LIST && st != MP_OBJ_TUPLE && st != MP_OBJ_INT)
    return mp_manager_error(c, -EINVAL, "TypeError: Array() takes a size or a sequence");
  tc_val *t = malloc(sizeof *t);
  mp_obj *l = mp_obj_list();
  if (t == NULL || l == NULL) {
    free(t);
    mp_obj_decref(l);
    return -ENOMEM;
  }
  t->tc = tc;
  t->v = l;
  size_t len = st == MP_OBJ_INT ? (size_t)n : mp_obj_len(seq);
  for (size_t i = 0; i < len; i++) {
    /* Array(tc, n) is n zeros (0.0 for floats), as ctypes arrays start */
    mp_obj *z =
        st == MP_OBJ_INT ? ((tc == 'f' || tc == 'd') ? mp_obj_float(0) : mp_obj_int(0)) : NULL;
    mp_obj *v = checked(c, tc, st == MP_OBJ_INT ? z : mp_obj_item(seq, i), &rc);
    mp_obj_decref(z);
    if (v == NULL || mp_obj_list_append_steal(l, v) != 0) {
      tv_destroy(t);
      return rc ? rc : -ENOMEM;
    }
  }
  *data = t;
  return 0;
}

static int a_len(mgr_call *c, mgr_obj *o, const mp_obj *a, mp_obj **res) {
  int rc = mp__mgr_need_args(c, a, 0, 0, "__len__");
  if (rc == 0 && (*res = mp_obj_int((int64_t)mp_obj_len(TV(o)->v))) == NULL) rc = -ENOMEM;
  return rc;
}

static int a_index(mgr_call *c, mgr_obj *o, const mp_obj *a, size_t *i) {
  int64_t v;
  int rc = mp__mgr_arg_int(c, a, 0, 0, &v);
  return rc ? rc : mp__mgr_norm_index(c, v, mp_obj_len(TV(o)->v), i);
}

static int a_get(mgr_call *c, mgr_obj *o, const mp_obj *a, mp_obj **res) {
  size_t i;
  int rc = mp__mgr_need_args(c, a, 1, 1, "__getitem__");
  if (rc == 0) rc = a_index(c, o, a, &i);
  if (rc == 0) *res = mp_obj_incref(mp_obj_item(TV(o)->v, i));
  return rc;
}

static int a_set(mgr_call *c, mgr_obj *o, const mp_obj *a, mp_obj **res) {
  (void)res;
  size_t i;
  int rc = mp__mgr_need_args(c, a, 2, 2, "__setitem__");
  if (rc == 0) rc = a_index(c, o, a, &i);
  if (rc != 0) return rc;
  mp_obj *v = checked(c, TV(o)->tc, mp__mgr_arg(a, 1), &rc);
  return v == NULL ? (rc ? rc : -ENOMEM) : mp_obj_list_set_steal(TV(o)->v, i, v);
}

static int a_copy(mgr_call *c, mgr_obj *o, const mp_obj *a, mp_obj **res) {
  int rc = mp__mgr_need_args(c, a, 0, 0, "_getvalue");
  if (rc != 0) return rc;
  mp_obj *l = mp_obj_list();
  for (size_t i = 0; l != NULL && i < mp_obj_len(TV(o)->v); i++)
    if (mp_obj_list_append(l, mp_obj_item(TV(o)->v, i)) != 0) {
      mp_obj_decref(l);
      l = NULL;
    }
  *res = l;
  return l ? 0 : -ENOMEM;
}

static const mgr_method array_methods[] = {
    {"__len__", a_len}, {"__getitem__", a_get}, {"__setitem__", a_set}, {"_getvalue", a_copy}};

const mgr_type mp__mgr_type_array = {.name = "Array",
                                     .create = array_create,
                                     .destroy = tv_destroy,
                                     .methods = array_methods,
                                     .nmethods = MP__ARRAY_LEN(array_methods)};
