/* SPDX-License-Identifier: MIT */
/* value.c -- multiprocessing.Value / RawValue: an object of one element (object.c). */
#include "shared/shared_internal.h"

/* The handle is the object itself; a handle of the wrong kind (an array) reads as NULL. */
static mp__shobj *obj(const mp_value *v) {
  mp__shobj *o = (mp__shobj *)(uintptr_t)v;
  return o && o->magic == MP__SH_MAGIC_VALUE ? o : NULL;
}

int mp_value_new(mp_value **out, char typecode, const void *init, const mp_shared_opts *opts) {
  if (typecode == 0) {
    if (out) *out = NULL;
    return -EINVAL;
  }
  return mp__shobj_new((mp__shobj **)(void *)out, MP__SH_MAGIC_VALUE, typecode, 0, 1, init, opts);
}

int mp_value_new_struct(mp_value **out, size_t size, const void *init, const mp_shared_opts *opts) {
  return mp__shobj_new((mp__shobj **)(void *)out, MP__SH_MAGIC_VALUE, 0, size, 1, init, opts);
}

void mp_value_free(mp_value *v) { mp__shobj_free(obj(v)); }

char mp_value_typecode(const mp_value *v) {
  mp__shobj *o = obj(v);
  return o ? o->typecode : 0;
}

size_t mp_value_size(const mp_value *v) {
  mp__shobj *o = obj(v);
  return o ? o->elem_size : 0;
}

void *mp_value_ptr(mp_value *v) {
  mp__shobj *o = obj(v);
  return o ? o->data : NULL;
}

mp_lock_t *mp_value_get_lock(mp_value *v) {
  mp__shobj *o = obj(v);
  return o && o->lock_kind == MP__SH_LOCK ? o->lock : NULL;
}

mp_rlock_t *mp_value_get_rlock(mp_value *v) {
  mp__shobj *o = obj(v);
  return o && (o->lock_kind == MP__SH_RLOCK || o->lock_kind == MP__SH_OWN_RLOCK) ? o->rlock : NULL;
}

int mp_value_acquire(mp_value *v, mp_timeout_ms timeout) {
  return mp__shobj_acquire(obj(v), timeout);
}

int mp_value_release(mp_value *v) { return mp__shobj_release(obj(v)); }

int mp_value_get(mp_value *v, void *out) { return mp__shobj_read(obj(v), 0, 1, out); }
int mp_value_set(mp_value *v, const void *in) { return mp__shobj_write(obj(v), 0, 1, in); }

int mp_value_get_i64(mp_value *v, int64_t *out) { return mp__shobj_get_i64(obj(v), 0, out); }
int mp_value_set_i64(mp_value *v, int64_t x) { return mp__shobj_set_i64(obj(v), 0, x); }
int mp_value_get_u64(mp_value *v, uint64_t *out) { return mp__shobj_get_u64(obj(v), 0, out); }
int mp_value_set_u64(mp_value *v, uint64_t x) { return mp__shobj_set_u64(obj(v), 0, x); }
int mp_value_get_f64(mp_value *v, double *out) { return mp__shobj_get_f64(obj(v), 0, out); }
int mp_value_set_f64(mp_value *v, double x) { return mp__shobj_set_f64(obj(v), 0, x); }

int mp_value_add_i64(mp_value *v, int64_t delta, int64_t *out) {
  return mp__shobj_add_i64(obj(v), 0, delta, out);
}
