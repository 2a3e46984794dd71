/* SPDX-License-Identifier: MIT */
/* dict.c -- the insertion-ordered dict: an entry array in insertion order (deleted entries
 * stay as holes until the next rebuild) and an open-addressing index of entry numbers, so
 * lookups are O(1) and iteration follows insertion order, as in CPython. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "obj/obj_internal.h"

#define EMPTY SIZE_MAX
#define MIN_SLOTS 8

void mp__dict_clear(mp_obj *o) {
  mp__dict *d = &o->u.d;
  for (size_t i = 0; i < d->nentries; i++) {
    if (d->entries[i].key) {
      mp_obj_decref(d->entries[i].key);
      mp_obj_decref(d->entries[i].value);
    }
  }
  free(d->entries);
  free(d->index);
  memset(d, 0, sizeof *d);
}

/* Index slots for n entries: a power of two with the load kept at 2/3 or less. */
static size_t slots_for(size_t n) {
  size_t s = MIN_SLOTS;
  while (s / 3 * 2 < n) {
    if (s > SIZE_MAX / 4) return 0;
    s *= 2;
  }
  return s;
}

/* Compacts the entries (dropping holes) and rebuilds the index for at least want entries. */
static int rebuild(mp__dict *d, size_t want) {
  size_t slots = slots_for(want);
  size_t cap = slots / 3 * 2;
  if (!slots || cap > SIZE_MAX / sizeof(mp__dict_entry)) return -ENOMEM;
  size_t *index = malloc(slots * sizeof(size_t));
  if (!index) return -ENOMEM;
  mp__dict_entry *e = malloc(cap * sizeof(mp__dict_entry));
  if (!e) {
    free(index);
    return -ENOMEM;
  }
  size_t n = 0;
  for (size_t i = 0; i < d->nentries; i++)
    if (d->entries[i].key) e[n++] = d->entries[i];
  free(d->entries);
  d->entries = e;
  d->cap = cap;
  d->nentries = n;
  memset(index, 0xff, slots * sizeof(size_t));
  size_t mask = slots - 1;
  for (size_t i = 0; i < n; i++) {
    size_t j = (size_t)d->entries[i].hash & mask;
    while (index[j] != EMPTY) j = (j + 1) & mask;
    index[j] = i;
  }
  free(d->index);
  d->index = index;
  d->mask = mask;
  return 0;
}

mp_obj *mp__dict_with_capacity(size_t n) {
  mp_obj *o = mp__obj_alloc(MP_OBJ_DICT, 0);
  if (o && n && rebuild(&o->u.d, n)) {
    free(o);
    errno = ENOMEM;
    return NULL;
  }
  return o;
}

mp_obj *mp_obj_dict(void) { return mp__dict_with_capacity(0); }

/* The index slot holding key (a live entry) or the EMPTY slot where it would go; NULL when
 * the dict has no index yet.  Probing walks past slots of deleted entries. */
static size_t *find_slot(const mp__dict *d, const mp_obj *key, uint64_t h) {
  if (!d->index) return NULL;
  size_t j = (size_t)h & d->mask;
  for (;;) {
    size_t *slot = &d->index[j];
    if (*slot == EMPTY) return slot;
    const mp__dict_entry *e = &d->entries[*slot];
    if (e->key && e->hash == h && (e->key == key || mp_obj_equal(e->key, key))) return slot;
    j = (j + 1) & d->mask;
  }
}

int mp_obj_dict_set_steal(mp_obj *dict, mp_obj *key, mp_obj *value) {
  int rc = 0;
  uint64_t h = 0;
  if (!key || !value)
    rc = -ENOMEM;
  else if (!dict || dict->type != MP_OBJ_DICT)
    rc = -EINVAL;
  else
    rc = mp__obj_hash(key, &h);
  if (rc) goto fail;
  mp__dict *d = &dict->u.d;
  size_t *slot = find_slot(d, key, h);
  if (slot && *slot != EMPTY) { /* existing key: Python keeps the first key object */
    mp__dict_entry *e = &d->entries[*slot];
    mp_obj *old = e->value;
    e->value = value;
    mp_obj_decref(old);
    mp_obj_decref(key);
    return 0;
  }
  if (d->nentries == d->cap) {
    rc = rebuild(d, d->used + 1 > d->used * 2 ? d->used + 1 : d->used * 2);
    if (rc) goto fail;
    slot = find_slot(d, key, h);
  }
  *slot = d->nentries;
  d->entries[d->nentries++] = (mp__dict_entry){key, value, h};
  d->used++;
  return 0;
fail:
  mp_obj_decref(key);
  mp_obj_decref(value);
  return rc;
}

int mp_obj_dict_set(mp_obj *dict, mp_obj *key, mp_obj *value) {
  if (!key || !value) return -EINVAL;
  return mp_obj_dict_set_steal(dict, mp_obj_incref(key), mp_obj_incref(value));
}

mp_obj *mp_obj_dict_get(const mp_obj *dict, const mp_obj *key) {
  uint64_t h;
  if (!dict || dict->type != MP_OBJ_DICT || !key || mp__obj_hash(key, &h)) return NULL;
  size_t *slot = find_slot(&dict->u.d, key, h);
  return slot && *slot != EMPTY ? dict->u.d.entries[*slot].value : NULL;
}

mp_obj *mp_obj_dict_get_str(const mp_obj *dict, const char *key) {
  if (!dict || dict->type != MP_OBJ_DICT || !key || !dict->u.d.index) return NULL;
  const mp__dict *d = &dict->u.d;
  size_t len = strlen(key);
  uint64_t h = mp__hash_str(key, len);
  for (size_t j = (size_t)h & d->mask;; j = (j + 1) & d->mask) {
    if (d->index[j] == EMPTY) return NULL;
    const mp__dict_entry *e = &d->entries[d->index[j]];
    if (e->key && e->hash == h && e->key->type == MP_OBJ_STR && e->key->u.s.len == len &&
        memcmp(e->key->u.s.data, key, len) == 0)
      return e->value;
  }
}

int mp_obj_dict_del(mp_obj *dict, const mp_obj *key) {
  uint64_t h;
  if (!dict || dict->type != MP_OBJ_DICT || !key || mp__obj_hash(key, &h)) return -EINVAL;
  mp__dict *d = &dict->u.d;
  size_t *slot = find_slot(d, key, h);
  if (!slot || *slot == EMPTY) return -ENOENT;
  mp__dict_entry *e = &d->entries[*slot];
  mp_obj *k = e->key, *v = e->value;
  e->key = e->value = NULL; /* the slot keeps pointing here, so probe chains stay intact */
  d->used--;
  mp_obj_decref(k);
  mp_obj_decref(v);
  return 0;
}

bool mp_obj_dict_next(const mp_obj *dict, size_t *pos, mp_obj **key, mp_obj **value) {
  if (!dict || dict->type != MP_OBJ_DICT || !pos) return false;
  const mp__dict *d = &dict->u.d;
  while (*pos < d->nentries) {
    const mp__dict_entry *e = &d->entries[(*pos)++];
    if (e->key) {
      if (key) *key = e->key;
      if (value) *value = e->value;
      return true;
    }
  }
  return false;
}
