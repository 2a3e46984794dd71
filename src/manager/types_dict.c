/* SPDX-License-Identifier: MIT */
/* types_dict.c -- the manager's dict (DictProxy's methods) and Namespace (attribute get, set
 * and delete), both holding an mp_obj dict. */
#include <stdlib.h>
#include <string.h>

#include "manager/mgr_internal.h"

#define D(o) ((mp_obj *)(o)->data)

static int key_error(mgr_call *c, const mp_obj *key) {
  char *r = mp_obj_repr(key);
  int rc = mp_manager_error(c, -ENOENT, "KeyError: %s", r ? r : "?");
  free(r);
  return rc;
}

static int set_checked(mgr_call *c, mp_obj *d, const mp_obj *k, const mp_obj *v) {
  int rc = mp_obj_dict_set(d, (mp_obj *)(uintptr_t)k, (mp_obj *)(uintptr_t)v);
  if (rc == -EINVAL)
    return mp_manager_error(c, -EINVAL, "TypeError: unhashable type: '%s'",
                            mp_obj_type_name(mp_obj_type_of(k)));
  return rc;
}

/* Copies the entries of a dict, or of a sequence of pairs, into d. */
static int update_from(mgr_call *c, mp_obj *d, const mp_obj *src) {
  if (mp_obj_type_of(src) == MP_OBJ_DICT) {
    size_t pos = 0;
    mp_obj *k, *v;
    while (mp_obj_dict_next(src, &pos, &k, &v)) {
      int rc = set_checked(c, d, k, v);
      if (rc != 0) return rc;
    }
    return 0;
  }
  mp_obj_type t = mp_obj_type_of(src);
  if (t != MP_OBJ_LIST && t != MP_OBJ_TUPLE)
    return mp_manager_error(c, -EINVAL, "TypeError: '%s' object is not a mapping",
                            mp_obj_type_name(t));
  for (size_t i = 0; i < mp_obj_len(src); i++) {
    const mp_obj *pair = mp_obj_item(src, i);
    if ((mp_obj_type_of(pair) != MP_OBJ_TUPLE && mp_obj_type_of(pair) != MP_OBJ_LIST) ||
        mp_obj_len(pair) != 2)
      return mp_manager_error(c, -EINVAL,
                              "ValueError: dictionary update sequence element "
                              "#%zu has the wrong length",
                              i);
    int rc = set_checked(c, d, mp_obj_item(pair, 0), mp_obj_item(pair, 1));
    if (rc != 0) return rc;
  }
  return 0;
}

static mp_obj *copy_dict(const mp_obj *d) {
  mp_obj *n = mp_obj_dict();
  size_t pos = 0;
  mp_obj *k, *v;
  while (n != NULL && mp_obj_dict_next(d, &pos, &k, &v))
    if (mp_obj_dict_set(n, k, v) != 0) {
      mp_obj_decref(n);
      n = NULL;
    }
  return n;
}

static int dict_create(mgr_call *c, const mp_obj *args, void **data) {
  int rc = mp__mgr_need_args(c, args, 0, 1, "dict()");
  if (rc != 0) return rc;
  mp_obj *d = mp_obj_dict();
  if (d == NULL) return -ENOMEM;
  const mp_obj *init = mp__mgr_arg(args, 0);
  if (init != NULL && mp_obj_type_of(init) != MP_OBJ_NONE && (rc = update_from(c, d, init)) != 0) {
    mp_obj_decref(d);
    return rc;
  }
  *data = d;
  return 0;
}

static void dict_destroy(void *data) { mp_obj_decref(data); }

static int d_setitem(mgr_call *c, mgr_obj *o, const mp_obj *a, mp_obj **res) {
  (void)res;
  int rc = mp__mgr_need_args(c, a, 2, 2, "__setitem__");
  return rc ? rc : set_checked(c, D(o), mp__mgr_arg(a, 0), mp__mgr_arg(a, 1));
}

static int d_getitem(mgr_call *c, mgr_obj *o, const mp_obj *a, mp_obj **res) {
  int rc = mp__mgr_need_args(c, a, 1, 1, "__getitem__");
  if (rc != 0) return rc;
  mp_obj *v = mp_obj_dict_get(D(o), mp__mgr_arg(a, 0));
  if (v == NULL) return key_error(c, mp__mgr_arg(a, 0));
  *res = mp_obj_incref(v);
  return 0;
}

static int d_get(mgr_call *c, mgr_obj *o, const mp_obj *a, mp_obj **res) {
  int rc = mp__mgr_need_args(c, a, 1, 2, "get");
  if (rc != 0) return rc;
  mp_obj *v = mp_obj_dict_get(D(o), mp__mgr_arg(a, 0));
  *res = mp_obj_incref(v != NULL ? v : (mp_obj *)(uintptr_t)mp__mgr_arg(a, 1));
  return 0;
}

static int d_delitem(mgr_call *c, mgr_obj *o, const mp_obj *a, mp_obj **res) {
  (void)res;
  int rc = mp__mgr_need_args(c, a, 1, 1, "__delitem__");
  if (rc != 0) return rc;
  rc = mp_obj_dict_del(D(o), mp__mgr_arg(a, 0));
  return rc == -ENOENT || rc == -EINVAL ? key_error(c, mp__mgr_arg(a, 0)) : rc;
}

static int d_len(mgr_call *c, mgr_obj *o, const mp_obj *a, mp_obj **res) {
  int rc = mp__mgr_need_args(c, a, 0, 0, "__len__");
  if (rc != 0) return rc;
  *res = mp_obj_int((int64_t)mp_obj_len(D(o)));
  return *res ? 0 : -ENOMEM;
}

static int d_contains(mgr_call *c, mgr_obj *o, const mp_obj *a, mp_obj **res) {
  int rc = mp__mgr_need_args(c, a, 1, 1, "__contains__");
  if (rc != 0) return rc;
  *res = mp_obj_bool(mp_obj_dict_get(D(o), mp__mgr_arg(a, 0)) != NULL);
  return 0;
}

/* keys(), values(), items(): lists (Python's views cannot travel either: the proxy's methods
 * return lists). */
static int listing(mgr_call *c, mgr_obj *o, const mp_obj *a, mp_obj **res, int what) {
  int rc = mp__mgr_need_args(c, a, 0, 0, "keys/values/items");
  if (rc != 0) return rc;
  mp_obj *l = mp_obj_list();
  size_t pos = 0;
  mp_obj *k, *v;
  while (l != NULL && mp_obj_dict_next(D(o), &pos, &k, &v)) {
    mp_obj *item = what == 0   ? mp_obj_incref(k)
                   : what == 1 ? mp_obj_incref(v)
                               : mp_obj_tuple2_steal(mp_obj_incref(k), mp_obj_incref(v));
    if (mp_obj_list_append_steal(l, item) != 0) {
      mp_obj_decref(l);
      l = NULL;
    }
  }
  *res = l;
  return l ? 0 : -ENOMEM;
}
static int d_keys(mgr_call *c, mgr_obj *o, const mp_obj *a, mp_obj **r) {
  return listing(c, o, a, r, 0);
}
static int d_values(mgr_call *c, mgr_obj *o, const mp_obj *a, mp_obj **r) {
  return listing(c, o, a, r, 1);
}
static int d_items(mgr_call *c, mgr_obj *o, const mp_obj *a, mp_obj **r) {
  return listing(c, o, a, r, 2);
}

static int d_update(mgr_call *c, mgr_obj *o, const mp_obj *a, mp_obj **res) {
  (void)res;
  int rc = mp__mgr_need_args(c, a, 0, 1, "update");
  const mp_obj *src = mp__mgr_arg(a, 0);
  return rc ? rc : src == NULL ? 0 : update_from(c, D(o), src);
}

static int d_pop(mgr_call *c, mgr_obj *o, const mp_obj *a, mp_obj **res) {
  int rc = mp__mgr_need_args(c, a, 1, 2, "pop");
  if (rc != 0) return rc;
  mp_obj *v = mp_obj_dict_get(D(o), mp__mgr_arg(a, 0));
  if (v == NULL) {
    if (mp_obj_len(a) < 2) return key_error(c, mp__mgr_arg(a, 0));
    *res = mp_obj_incref((mp_obj *)(uintptr_t)mp__mgr_arg(a, 1));
    return 0;
  }
  *res = mp_obj_incref(v);
  return mp_obj_dict_del(D(o), mp__mgr_arg(a, 0));
}

static int d_popitem(mgr_call *c, mgr_obj *o, const mp_obj *a, mp_obj **res) {
  int rc = mp__mgr_need_args(c, a, 0, 0, "popitem");
  if (rc != 0) return rc;
  size_t pos = 0;
  mp_obj *k = NULL, *v = NULL, *lk = NULL, *lv = NULL;
  while (mp_obj_dict_next(D(o), &pos, &k, &v)) lk = k, lv = v;
  if (lk == NULL) return mp_manager_error(c, -ENOENT, "KeyError: 'popitem(): dictionary is empty'");
  *res = mp_obj_tuple2_steal(mp_obj_incref(lk), mp_obj_incref(lv));
  if (*res == NULL) return -ENOMEM;
  return mp_obj_dict_del(D(o), lk);
}

static int d_setdefault(mgr_call *c, mgr_obj *o, const mp_obj *a, mp_obj **res) {
  int rc = mp__mgr_need_args(c, a, 1, 2, "setdefault");
  if (rc != 0) return rc;
  mp_obj *v = mp_obj_dict_get(D(o), mp__mgr_arg(a, 0));
  if (v == NULL) {
    mp_obj *dflt = (mp_obj *)(uintptr_t)mp__mgr_arg(a, 1);
    if (dflt == NULL) dflt = mp_obj_none();
    rc = set_checked(c, D(o), mp__mgr_arg(a, 0), dflt);
    if (rc != 0) return rc;
    v = dflt;
  }
  *res = mp_obj_incref(v);
  return 0;
}

static int d_copy(mgr_call *c, mgr_obj *o, const mp_obj *a, mp_obj **res) {
  int rc = mp__mgr_need_args(c, a, 0, 0, "copy");
  if (rc != 0) return rc;
  *res = copy_dict(D(o));
  return *res ? 0 : -ENOMEM;
}

static int d_clear(mgr_call *c, mgr_obj *o, const mp_obj *a, mp_obj **res) {
  (void)res;
  int rc = mp__mgr_need_args(c, a, 0, 0, "clear");
  if (rc != 0) return rc;
  size_t pos = 0;
  mp_obj *k, *v;
  while (pos = 0, mp_obj_dict_next(D(o), &pos, &k, &v)) {
    rc = mp_obj_dict_del(D(o), k);
    if (rc != 0) return rc;
  }
  return 0;
}

static const mgr_method dict_methods[] = {
    {"__setitem__", d_setitem},
    {"__getitem__", d_getitem},
    {"get", d_get},
    {"__delitem__", d_delitem},
    {"__len__", d_len},
    {"__contains__", d_contains},
    {"keys", d_keys},
    {"values", d_values},
    {"items", d_items},
    {"update", d_update},
    {"pop", d_pop},
    {"popitem", d_popitem},
    {"setdefault", d_setdefault},
    {"copy", d_copy},
    {"_getvalue", d_copy},
    {"clear", d_clear},
    {"has_key", d_contains},
};

const mgr_type mp__mgr_type_dict = {.name = "dict",
                                    .create = dict_create,
                                    .destroy = dict_destroy,
                                    .methods = dict_methods,
                                    .nmethods = MP__ARRAY_LEN(dict_methods)};

/* ---- Namespace: attributes in a dict of str keys ---- */

static int ns_create(mgr_call *c, const mp_obj *args, void **data) {
  /* Namespace(**kwds): keyword arguments arrive as one dict, if any. */
  return dict_create(c, args, data);
}

static int attr_name(mgr_call *c, const mp_obj *a, size_t n, const char *what) {
  int rc = mp__mgr_need_args(c, a, n, n, what);
  if (rc == 0 && mp_obj_type_of(mp__mgr_arg(a, 0)) != MP_OBJ_STR)
    rc = mp_manager_error(c, -EINVAL, "TypeError: attribute name must be a str");
  return rc;
}

static int attr_error(mgr_call *c, const mp_obj *name) {
  return mp_manager_error(c, -ENOENT, "AttributeError: 'Namespace' object has no attribute '%s'",
                          mp_obj_str_data(name, NULL));
}

static int ns_get(mgr_call *c, mgr_obj *o, const mp_obj *a, mp_obj **res) {
  int rc = attr_name(c, a, 1, "__getattribute__");
  if (rc != 0) return rc;
  mp_obj *v = mp_obj_dict_get(D(o), mp__mgr_arg(a, 0));
  if (v == NULL) return attr_error(c, mp__mgr_arg(a, 0));
  *res = mp_obj_incref(v);
  return 0;
}

static int ns_set(mgr_call *c, mgr_obj *o, const mp_obj *a, mp_obj **res) {
  (void)res;
  int rc = attr_name(c, a, 2, "__setattr__");
  return rc ? rc : set_checked(c, D(o), mp__mgr_arg(a, 0), mp__mgr_arg(a, 1));
}

static int ns_del(mgr_call *c, mgr_obj *o, const mp_obj *a, mp_obj **res) {
  (void)res;
  int rc = attr_name(c, a, 1, "__delattr__");
  if (rc != 0) return rc;
  return mp_obj_dict_del(D(o), mp__mgr_arg(a, 0)) != 0 ? attr_error(c, mp__mgr_arg(a, 0)) : 0;
}

static const mgr_method ns_methods[] = {
    {"__getattribute__", ns_get},
    {"__setattr__", ns_set},
    {"__delattr__", ns_del},
    {"_getvalue", d_copy},
};

const mgr_type mp__mgr_type_namespace = {.name = "Namespace",
                                         .create = ns_create,
                                         .destroy = dict_destroy,
                                         .methods = ns_methods,
                                         .nmethods = MP__ARRAY_LEN(ns_methods)};
