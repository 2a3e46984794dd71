/* SPDX-License-Identifier: MIT */
/* container.c -- list and tuple: construction, items, list mutation. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "obj/obj_internal.h"

void mp__list_clear(mp_obj *o) {
  for (size_t i = 0; i < o->u.seq.len; i++) mp_obj_decref(o->u.seq.items[i]);
  if (o->type == MP_OBJ_LIST) free(o->u.seq.items);
  o->u.seq.items = NULL;
  o->u.seq.len = o->u.seq.cap = 0;
}

mp_obj *mp__tuple_alloc(size_t n) {
  if (n > (SIZE_MAX - sizeof(mp_obj)) / sizeof(mp_obj *)) {
    errno = ENOMEM;
    return NULL;
  }
  mp_obj *t = mp__obj_alloc(MP_OBJ_TUPLE, n * sizeof(mp_obj *));
  if (!t) return NULL;
  t->u.seq.items = (mp_obj **)(t + 1);
  memset(t->u.seq.items, 0, n * sizeof(mp_obj *));
  t->u.seq.len = t->u.seq.cap = n;
  return t;
}

mp_obj *mp_obj_tuple_steal(size_t n, mp_obj *const *items) {
  bool ok = n == 0 || items;
  for (size_t i = 0; ok && i < n; i++) ok = items[i] != NULL;
  mp_obj *t = ok ? mp__tuple_alloc(n) : NULL;
  if (!t) {
    for (size_t i = 0; items && i < n; i++) mp_obj_decref(items[i]);
    errno = ENOMEM; /* a NULL item comes from a constructor that ran out of memory */
    return NULL;
  }
  if (n) memcpy(t->u.seq.items, items, n * sizeof(mp_obj *));
  return t;
}

mp_obj *mp_obj_tuple2_steal(mp_obj *a, mp_obj *b) {
  mp_obj *items[2] = {a, b};
  return mp_obj_tuple_steal(2, items);
}

mp_obj *mp_obj_tuple3_steal(mp_obj *a, mp_obj *b, mp_obj *c) {
  mp_obj *items[3] = {a, b, c};
  return mp_obj_tuple_steal(3, items);
}

mp_obj *mp__list_with_capacity(size_t n) {
  mp_obj *l = mp__obj_alloc(MP_OBJ_LIST, 0);
  if (!l || n == 0) return l;
  l->u.seq.items = n <= SIZE_MAX / sizeof(mp_obj *) ? malloc(n * sizeof(mp_obj *)) : NULL;
  if (!l->u.seq.items) {
    free(l);
    errno = ENOMEM;
    return NULL;
  }
  l->u.seq.cap = n;
  return l;
}

mp_obj *mp_obj_list(void) { return mp__list_with_capacity(0); }

mp_obj *mp_obj_item(const mp_obj *seq, size_t i) {
  if (!seq || (seq->type != MP_OBJ_LIST && seq->type != MP_OBJ_TUPLE) || i >= seq->u.seq.len)
    return NULL;
  return seq->u.seq.items[i];
}

/* Makes room for one more item. */
static int list_reserve(mp_obj *l) {
  if (l->u.seq.len < l->u.seq.cap) return 0;
  size_t cap = l->u.seq.cap ? l->u.seq.cap + l->u.seq.cap / 2 + 1 : 4;
  if (cap > SIZE_MAX / sizeof(mp_obj *)) return -ENOMEM;
  mp_obj **items = realloc(l->u.seq.items, cap * sizeof(mp_obj *));
  if (!items) return -ENOMEM;
  l->u.seq.items = items;
  l->u.seq.cap = cap;
  return 0;
}

int mp_obj_list_insert_steal(mp_obj *list, size_t i, mp_obj *item) {
  int rc = 0;
  if (!item)
    rc = -ENOMEM; /* the failed constructor's result */
  else if (!list || list->type != MP_OBJ_LIST)
    rc = -EINVAL;
  else
    rc = list_reserve(list);
  if (rc) {
    mp_obj_decref(item);
    return rc;
  }
  size_t n = list->u.seq.len;
  if (i > n) i = n;
  memmove(list->u.seq.items + i + 1, list->u.seq.items + i, (n - i) * sizeof(mp_obj *));
  list->u.seq.items[i] = item;
  list->u.seq.len = n + 1;
  return 0;
}

int mp_obj_list_append_steal(mp_obj *list, mp_obj *item) {
  return mp_obj_list_insert_steal(list, SIZE_MAX, item);
}

int mp_obj_list_append(mp_obj *list, mp_obj *item) {
  if (!item) return -EINVAL;
  return mp_obj_list_append_steal(list, mp_obj_incref(item));
}

int mp_obj_list_set_steal(mp_obj *list, size_t i, mp_obj *item) {
  int rc = 0;
  if (!item)
    rc = -ENOMEM;
  else if (!list || list->type != MP_OBJ_LIST)
    rc = -EINVAL;
  else if (i >= list->u.seq.len)
    rc = -ERANGE;
  if (rc) {
    mp_obj_decref(item);
    return rc;
  }
  mp_obj *old = list->u.seq.items[i];
  list->u.seq.items[i] = item;
  mp_obj_decref(old);
  return 0;
}

int mp_obj_list_set(mp_obj *list, size_t i, mp_obj *item) {
  if (!item) return -EINVAL;
  return mp_obj_list_set_steal(list, i, mp_obj_incref(item));
}

int mp_obj_list_pop(mp_obj *list, size_t i, mp_obj **out) {
  if (!list || list->type != MP_OBJ_LIST) return -EINVAL;
  size_t n = list->u.seq.len;
  if (i >= n) return -ERANGE;
  mp_obj *item = list->u.seq.items[i];
  memmove(list->u.seq.items + i, list->u.seq.items + i + 1, (n - i - 1) * sizeof(mp_obj *));
  list->u.seq.len = n - 1;
  if (out)
    *out = item;
  else
    mp_obj_decref(item);
  return 0;
}
