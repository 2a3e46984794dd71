/* SPDX-License-Identifier: MIT */
/* array.c -- multiprocessing.Array / RawArray: an object of length elements (object.c). */
#include "shared/shared_internal.h"

/* The handle is the object itself; a handle of the wrong kind (a value) reads as NULL. */
static mp__shobj *obj(const mp_array *a) {
  mp__shobj *o = (mp__shobj *)(uintptr_t)a;
  return o && o->magic == MP__SH_MAGIC_ARRAY ? o : NULL;
}

int mp_array_new(mp_array **out, char typecode, size_t length, const void *init,
                 const mp_shared_opts *opts) {
  if (typecode == 0) {
    if (out) *out = NULL;
    return -EINVAL;
  }
  return mp__shobj_new((mp__shobj **)(void *)out, MP__SH_MAGIC_ARRAY, typecode, 0, length, init,
                       opts);
}

int mp_array_new_struct(mp_array **out, size_t elem_size, size_t length, const void *init,
                        const mp_shared_opts *opts) {
  return mp__shobj_new((mp__shobj **)(void *)out, MP__SH_MAGIC_ARRAY, 0, elem_size, length, init,
                       opts);
}

void mp_array_free(mp_array *a) { mp__shobj_free(obj(a)); }

size_t mp_array_len(const mp_array *a) {
  mp__shobj *o = obj(a);
  return o ? o->length : 0;
}

size_t mp_array_elem_size(const mp_array *a) {
  mp__shobj *o = obj(a);
  return o ? o->elem_size : 0;
}

char mp_array_typecode(const mp_array *a) {
  mp__shobj *o = obj(a);
  return o ? o->typecode : 0;
}

void *mp_array_ptr(mp_array *a) {
  mp__shobj *o = obj(a);
  return o ? o->data : NULL;
}

mp_lock_t *mp_array_get_lock(mp_array *a) {
  mp__shobj *o = obj(a);
  return o && o->lock_kind == MP__SH_LOCK ? o->lock : NULL;
}

mp_rlock_t *mp_array_get_rlock(mp_array *a) {
  mp__shobj *o = obj(a);
  return o && (o->lock_kind == MP__SH_RLOCK || o->lock_kind == MP__SH_OWN_RLOCK) ? o->rlock : NULL;
}

int mp_array_acquire(mp_array *a, mp_timeout_ms timeout) {
  return mp__shobj_acquire(obj(a), timeout);
}

int mp_array_release(mp_array *a) { return mp__shobj_release(obj(a)); }

int mp_array_get(mp_array *a, size_t index, void *out) {
  return mp__shobj_read(obj(a), index, 1, out);
}

int mp_array_set(mp_array *a, size_t index, const void *in) {
  return mp__shobj_write(obj(a), index, 1, in);
}

int mp_array_read(mp_array *a, size_t start, size_t count, void *out) {
  return mp__shobj_read(obj(a), start, count, out);
}

int mp_array_write(mp_array *a, size_t start, size_t count, const void *in) {
  return mp__shobj_write(obj(a), start, count, in);
}

int mp_array_get_i64(mp_array *a, size_t i, int64_t *out) {
  return mp__shobj_get_i64(obj(a), i, out);
}
int mp_array_set_i64(mp_array *a, size_t i, int64_t x) { return mp__shobj_set_i64(obj(a), i, x); }
int mp_array_get_u64(mp_array *a, size_t i, uint64_t *out) {
  return mp__shobj_get_u64(obj(a), i, out);
}
int mp_array_set_u64(mp_array *a, size_t i, uint64_t x) { return mp__shobj_set_u64(obj(a), i, x); }
int mp_array_get_f64(mp_array *a, size_t i, double *out) {
  return mp__shobj_get_f64(obj(a), i, out);
}
int mp_array_set_f64(mp_array *a, size_t i, double x) { return mp__shobj_set_f64(obj(a), i, x); }
