/* SPDX-License-Identifier: MIT */
/* types_list.c -- the manager's list (ListProxy's methods), holding an mp_obj list: items,
 * slices as copies, search, insertion, and a stable sort with Python's ordering rules for the
 * values that compare (numbers, str, bytes, and tuples/lists of those). */
#include <stdlib.h>
#include <string.h>

#include "manager/mgr_internal.h"
#include "obj/obj_internal.h"

#define L(o) ((mp_obj *)(o)->data)

static int extend_from(mgr_call *c, mp_obj *l, const mp_obj *seq) {
  mp_obj_type t = mp_obj_type_of(seq);
  if (t != MP_OBJ_LIST && t != MP_OBJ_TUPLE)
    return mp_manager_error(c, -EINVAL, "TypeError: '%s' object is not iterable",
                            mp_obj_type_name(t));
  size_t n = mp_obj_len(seq); /* seq may be l itself: l.extend(l) */
  for (size_t i = 0; i < n; i++) {
    int rc = mp_obj_list_append(l, mp_obj_item(seq, i));
    if (rc != 0) return rc;
  }
  return 0;
}

static int list_create(mgr_call *c, const mp_obj *args, void **data) {
  int rc = mp__mgr_need_args(c, args, 0, 1, "list()");
  if (rc != 0) return rc;
  mp_obj *l = mp_obj_list();
  if (l == NULL) return -ENOMEM;
  const mp_obj *init = mp__mgr_arg(args, 0);
  if (init != NULL && mp_obj_type_of(init) != MP_OBJ_NONE && (rc = extend_from(c, l, init)) != 0) {
    mp_obj_decref(l);
    return rc;
  }
  *data = l;
  return 0;
}

static void list_destroy(void *data) { mp_obj_decref(data); }

static mp_obj *slice_copy(const mp_obj *l, size_t from, size_t to) {
  mp_obj *n = mp_obj_list();
  for (size_t i = from; n != NULL && i < to; i++)
    if (mp_obj_list_append(n, mp_obj_item(l, i)) != 0) {
      mp_obj_decref(n);
      n = NULL;
    }
  return n;
}

static int l_append(mgr_call *c, mgr_obj *o, const mp_obj *a, mp_obj **res) {
  (void)res;
  int rc = mp__mgr_need_args(c, a, 1, 1, "append");
  return rc ? rc : mp_obj_list_append(L(o), (mp_obj *)(uintptr_t)mp__mgr_arg(a, 0));
}

static int l_extend(mgr_call *c, mgr_obj *o, const mp_obj *a, mp_obj **res) {
  (void)res;
  int rc = mp__mgr_need_args(c, a, 1, 1, "extend");
  return rc ? rc : extend_from(c, L(o), mp__mgr_arg(a, 0));
}

static int index_arg(mgr_call *c, mgr_obj *o, const mp_obj *a, size_t *i) {
  int64_t v;
  int rc = mp__mgr_arg_int(c, a, 0, 0, &v);
  return rc ? rc : mp__mgr_norm_index(c, v, mp_obj_len(L(o)), i);
}

static int l_getitem(mgr_call *c, mgr_obj *o, const mp_obj *a, mp_obj **res) {
  size_t i;
  int rc = mp__mgr_need_args(c, a, 1, 1, "__getitem__");
  if (rc == 0) rc = index_arg(c, o, a, &i);
  if (rc == 0) *res = mp_obj_incref(mp_obj_item(L(o), i));
  return rc;
}

static int l_setitem(mgr_call *c, mgr_obj *o, const mp_obj *a, mp_obj **res) {
  (void)res;
  size_t i;
  int rc = mp__mgr_need_args(c, a, 2, 2, "__setitem__");
  if (rc == 0) rc = index_arg(c, o, a, &i);
  return rc ? rc : mp_obj_list_set(L(o), i, (mp_obj *)(uintptr_t)mp__mgr_arg(a, 1));
}

static int l_delitem(mgr_call *c, mgr_obj *o, const mp_obj *a, mp_obj **res) {
  (void)res;
  size_t i;
  int rc = mp__mgr_need_args(c, a, 1, 1, "__delitem__");
  if (rc == 0) rc = index_arg(c, o, a, &i);
  return rc ? rc : mp_obj_list_pop(L(o), i, NULL);
}

static int l_len(mgr_call *c, mgr_obj *o, const mp_obj *a, mp_obj **res) {
  int rc = mp__mgr_need_args(c, a, 0, 0, "__len__");
  if (rc == 0 && (*res = mp_obj_int((int64_t)mp_obj_len(L(o)))) == NULL) rc = -ENOMEM;
  return rc;
}

/* Python's slice bound: None is the end given, negatives count from the end, then clamp. */
static int bound(mgr_call *c, const mp_obj *a, size_t i, int64_t dflt, size_t len, size_t *out) {
  int64_t v;
  int rc = mp__mgr_arg_int(c, a, i, dflt, &v);
  if (rc != 0) return rc;
  if (v < 0) v += (int64_t)len;
  if (v < 0) v = 0;
  if ((uint64_t)v > len) v = (int64_t)len;
  *out = (size_t)v;
  return 0;
}

static int l_getslice(mgr_call *c, mgr_obj *o, const mp_obj *a, mp_obj **res) {
  size_t len = mp_obj_len(L(o)), from, to;
  int rc = mp__mgr_need_args(c, a, 0, 2, "__getslice__");
  if (rc == 0) rc = bound(c, a, 0, 0, len, &from);
  if (rc == 0) rc = bound(c, a, 1, (int64_t)len, len, &to);
  if (rc != 0) return rc;
  *res = slice_copy(L(o), from, to < from ? from : to);
  return *res ? 0 : -ENOMEM;
}

static int l_copy(mgr_call *c, mgr_obj *o, const mp_obj *a, mp_obj **res) {
  int rc = mp__mgr_need_args(c, a, 0, 0, "_getvalue");
  if (rc == 0 && (*res = slice_copy(L(o), 0, mp_obj_len(L(o)))) == NULL) rc = -ENOMEM;
  return rc;
}

static int l_pop(mgr_call *c, mgr_obj *o, const mp_obj *a, mp_obj **res) {
  int64_t v;
  size_t i;
  int rc = mp__mgr_need_args(c, a, 0, 1, "pop");
  if (rc == 0) rc = mp__mgr_arg_int(c, a, 0, -1, &v);
  if (rc == 0 && mp_obj_len(L(o)) == 0)
    return mp_manager_error(c, -ERANGE, "IndexError: pop from empty list");
  if (rc == 0) rc = mp__mgr_norm_index(c, v, mp_obj_len(L(o)), &i);
  return rc ? rc : mp_obj_list_pop(L(o), i, res);
}

static ptrdiff_t find(const mp_obj *l, const mp_obj *v, size_t from, size_t to) {
  for (size_t i = from; i < to && i < mp_obj_len(l); i++)
    if (mp_obj_equal(mp_obj_item(l, i), v)) return (ptrdiff_t)i;
  return -1;
}

static int l_remove(mgr_call *c, mgr_obj *o, const mp_obj *a, mp_obj **res) {
  (void)res;
  int rc = mp__mgr_need_args(c, a, 1, 1, "remove");
  if (rc != 0) return rc;
  ptrdiff_t i = find(L(o), mp__mgr_arg(a, 0), 0, mp_obj_len(L(o)));
  if (i < 0) return mp_manager_error(c, -ENOENT, "ValueError: list.remove(x): x not in list");
  return mp_obj_list_pop(L(o), (size_t)i, NULL);
}

static int l_index(mgr_call *c, mgr_obj *o, const mp_obj *a, mp_obj **res) {
  size_t len = mp_obj_len(L(o)), from, to;
  int rc = mp__mgr_need_args(c, a, 1, 3, "index");
  if (rc == 0) rc = bound(c, a, 1, 0, len, &from);
  if (rc == 0) rc = bound(c, a, 2, (int64_t)len, len, &to);
  if (rc != 0) return rc;
  ptrdiff_t i = find(L(o), mp__mgr_arg(a, 0), from, to);
  if (i < 0) {
    char *r = mp_obj_repr(mp__mgr_arg(a, 0));
    rc = mp_manager_error(c, -ENOENT, "ValueError: %s is not in list", r ? r : "?");
    free(r);
    return rc;
  }
  *res = mp_obj_int(i);
  return *res ? 0 : -ENOMEM;
}

static int l_count(mgr_call *c, mgr_obj *o, const mp_obj *a, mp_obj **res) {
  int rc = mp__mgr_need_args(c, a, 1, 1, "count");
  if (rc != 0) return rc;
  int64_t n = 0;
  for (size_t i = 0; i < mp_obj_len(L(o)); i++)
    n += mp_obj_equal(mp_obj_item(L(o), i), mp__mgr_arg(a, 0));
  *res = mp_obj_int(n);
  return *res ? 0 : -ENOMEM;
}

static int l_contains(mgr_call *c, mgr_obj *o, const mp_obj *a, mp_obj **res) {
  int rc = mp__mgr_need_args(c, a, 1, 1, "__contains__");
  if (rc == 0) *res = mp_obj_bool(find(L(o), mp__mgr_arg(a, 0), 0, mp_obj_len(L(o))) >= 0);
  return rc;
}

static int l_insert(mgr_call *c, mgr_obj *o, const mp_obj *a, mp_obj **res) {
  (void)res;
  size_t i;
  int rc = mp__mgr_need_args(c, a, 2, 2, "insert");
  if (rc == 0) rc = bound(c, a, 0, 0, mp_obj_len(L(o)), &i);
  return rc ? rc
            : mp_obj_list_insert_steal(L(o), i,
                                       mp_obj_incref((mp_obj *)(uintptr_t)mp__mgr_arg(a, 1)));
}

static int l_reverse(mgr_call *c, mgr_obj *o, const mp_obj *a, mp_obj **res) {
  (void)res;
  int rc = mp__mgr_need_args(c, a, 0, 0, "reverse");
  if (rc != 0) return rc;
  mp_obj **it = L(o)->u.seq.items;
  for (size_t i = 0, n = mp_obj_len(L(o)); i < n / 2; i++) {
    mp_obj *t = it[i];
    it[i] = it[n - 1 - i];
    it[n - 1 - i] = t;
  }
  return 0;
}

/* ---- sort ---- */

static bool is_num(mp_obj_type t) {
  return t == MP_OBJ_BOOL || t == MP_OBJ_INT || t == MP_OBJ_FLOAT;
}

/* Python's <, as -1/0/1, or -2 when the two values do not compare. */
static int cmp(const mp_obj *x, const mp_obj *y) {
  mp_obj_type a = mp_obj_type_of(x), b = mp_obj_type_of(y);
  if (is_num(a) && is_num(b)) {
    if (a != MP_OBJ_FLOAT && b != MP_OBJ_FLOAT) {
      int64_t i, j;
      mp_obj_get_int(x, &i);
      mp_obj_get_int(y, &j);
      return (i > j) - (i < j);
    }
    double f, g;
    mp_obj_get_float(x, &f);
    mp_obj_get_float(y, &g);
    return (f > g) - (f < g);
  }
  if (a != b) return -2;
  if (a == MP_OBJ_STR || a == MP_OBJ_BYTES) {
    size_t n, m;
    const char *p = a == MP_OBJ_STR ? mp_obj_str_data(x, &n) : mp_obj_bytes_data(x, &n);
    const char *q = a == MP_OBJ_STR ? mp_obj_str_data(y, &m) : mp_obj_bytes_data(y, &m);
    int r = memcmp(p, q, n < m ? n : m); /* UTF-8 byte order is code point order */
    return r != 0 ? (r > 0) - (r < 0) : (n > m) - (n < m);
  }
  if (a == MP_OBJ_TUPLE || a == MP_OBJ_LIST) {
    size_t n = mp_obj_len(x), m = mp_obj_len(y);
    for (size_t i = 0; i < n && i < m; i++) {
      if (mp_obj_equal(mp_obj_item(x, i), mp_obj_item(y, i))) continue;
      return cmp(mp_obj_item(x, i), mp_obj_item(y, i));
    }
    return (n > m) - (n < m);
  }
  return -2;
}

/* Merge sort (stable, as Python's); *bad set when two values do not compare. */
static void msort(mp_obj **v, mp_obj **tmp, size_t n, bool rev, bool *bad) {
  if (n < 2 || *bad) return;
  size_t h = n / 2;
  msort(v, tmp, h, rev, bad);
  msort(v + h, tmp, n - h, rev, bad);
  size_t i = 0, j = h, k = 0;
  while (i < h && j < n) {
    int r = cmp(v[j], v[i]);
    if (r == -2) {
      *bad = true;
      return;
    }
    /* take the right one first only when strictly smaller (or larger, reversed) */
    bool right = rev ? r > 0 : r < 0;
    tmp[k++] = right ? v[j++] : v[i++];
  }
  while (i < h) tmp[k++] = v[i++];
  while (j < n) tmp[k++] = v[j++];
  memcpy(v, tmp, n * sizeof *v);
}

static int l_sort(mgr_call *c, mgr_obj *o, const mp_obj *a, mp_obj **res) {
  (void)res;
  bool rev;
  int rc = mp__mgr_need_args(c, a, 0, 1, "sort");
  if (rc == 0) rc = mp__mgr_arg_bool(c, a, 0, false, &rev);
  if (rc != 0) return rc;
  size_t n = mp_obj_len(L(o));
  if (n < 2) return 0;
  mp_obj **copy = malloc(n * sizeof *copy), **tmp = malloc(n * sizeof *tmp);
  if (copy == NULL || tmp == NULL) {
    free(copy);
    free(tmp);
    return -ENOMEM;
  }
  memcpy(copy, L(o)->u.seq.items, n * sizeof *copy);
  bool bad = false;
  msort(copy, tmp, n, rev, &bad);
  /* A failed sort leaves the list as it was (Python may leave it partly sorted). */
  if (!bad) memcpy(L(o)->u.seq.items, copy, n * sizeof *copy);
  free(copy);
  free(tmp);
  return bad ? mp_manager_error(c, -EINVAL, "TypeError: '<' not supported between these values")
             : 0;
}

static const mgr_method list_methods[] = {
    {"append", l_append},
    {"extend", l_extend},
    {"__getitem__", l_getitem},
    {"__setitem__", l_setitem},
    {"__delitem__", l_delitem},
    {"__len__", l_len},
    {"__getslice__", l_getslice},
    {"_getvalue", l_copy},
    {"pop", l_pop},
    {"remove", l_remove},
    {"index", l_index},
    {"count", l_count},
    {"__contains__", l_contains},
    {"insert", l_insert},
    {"reverse", l_reverse},
    {"sort", l_sort},
    {"__iadd__", l_extend},
};

const mgr_type mp__mgr_type_list = {.name = "list",
                                    .create = list_create,
                                    .destroy = list_destroy,
                                    .methods = list_methods,
                                    .nmethods = MP__ARRAY_LEN(list_methods)};
