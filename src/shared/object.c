/* SPDX-License-Identifier: MIT */
/* object.c -- the one object behind Value and Array: a header with the lock= choice and the
 * element type, followed by the elements, all in one block of mp__shared_alloc memory so that
 * every process forked afterwards shares it. */
#include <string.h>

#include "heap/heap.h"
#include "shared/shared_internal.h"

int mp__shobj_new(mp__shobj **out, uint32_t magic, char typecode, size_t elem_size, size_t length,
                  const void *init, const mp_shared_opts *opts) {
  if (out == NULL) return -EINVAL;
  *out = NULL;
  if (typecode != 0) {
    elem_size = mp_typecode_size(typecode);
    if (elem_size == 0) return -EINVAL;
  }
  if (elem_size == 0 || length == 0) return -EINVAL;
  size_t bytes;
  if (__builtin_mul_overflow(elem_size, length, &bytes) || bytes > PTRDIFF_MAX / 2)
    return -EINVAL; /* also a negative length converted to size_t */
  mp_shared_opts o = opts ? *opts : (mp_shared_opts){0};
  if ((int)o.raw + (o.lock != NULL) + (o.rlock != NULL) > 1) return -EINVAL;

  size_t total = offsetof(mp__shobj, data) + bytes;
  mp__shobj *ob = mp__shared_alloc(total);
  if (ob == NULL) return -ENOMEM;
  ob->magic = magic;
  ob->typecode = typecode;
  ob->elem_size = elem_size;
  ob->length = length;
  ob->alloc_size = total;
  if (o.raw) {
    ob->lock_kind = MP__SH_RAW;
  } else if (o.lock) {
    ob->lock_kind = MP__SH_LOCK;
    ob->lock = o.lock;
  } else if (o.rlock) {
    ob->lock_kind = MP__SH_RLOCK;
    ob->rlock = o.rlock;
  } else {
    ob->lock_kind = MP__SH_OWN_RLOCK;
    ob->rlock = &ob->own_rlock;
    int rc = mp_rlock_init(&ob->own_rlock);
    if (rc < 0) {
      mp__shared_free(ob, total);
      return rc;
    }
  }
  if (init)
    memcpy(ob->data, init, bytes);
  else
    memset(ob->data, 0, bytes); /* mp__shared_alloc zeroes, but do not depend on it */
  *out = ob;
  return 0;
}

void mp__shobj_free(mp__shobj *o) {
  if (o == NULL) return;
  size_t size = o->alloc_size;
  o->magic = 0;
  mp__shared_free(o, size);
}

int mp__shobj_acquire(mp__shobj *o, mp_timeout_ms timeout) {
  if (o == NULL) return -EINVAL;
  switch (o->lock_kind) {
    case MP__SH_LOCK: return mp_lock_acquire(o->lock, timeout);
    case MP__SH_RLOCK:
    case MP__SH_OWN_RLOCK: return mp_rlock_acquire(o->rlock, timeout);
    default: return MP_ESTATE; /* raw: no lock */
  }
}

int mp__shobj_release(mp__shobj *o) {
  if (o == NULL) return -EINVAL;
  switch (o->lock_kind) {
    case MP__SH_LOCK: return mp_lock_release(o->lock);
    case MP__SH_RLOCK:
    case MP__SH_OWN_RLOCK: return mp_rlock_release(o->rlock);
    default: return MP_ESTATE;
  }
}

int mp__shobj_lock(mp__shobj *o) {
  if (o->lock_kind == MP__SH_RAW) return 0;
  int rc = mp__shobj_acquire(o, MP_FOREVER);
  if (rc == MP_EOWNERDEAD) {
    /* One access cannot repair what the dead holder left; it only reports it (shared.h). */
    int c =
        o->lock_kind == MP__SH_LOCK ? mp_lock_consistent(o->lock) : mp_rlock_consistent(o->rlock);
    if (c < 0) {
      mp__shobj_release(o);
      return c;
    }
  }
  return rc;
}

int mp__shobj_unlock(mp__shobj *o, int lock_rc) {
  if (o->lock_kind == MP__SH_RAW) return 0;
  int rc = mp__shobj_release(o);
  return rc < 0 ? rc : lock_rc;
}

/* Copies count elements from start out to buf (reading) or in from buf (writing). */
static int copy(mp__shobj *o, size_t start, size_t count, void *buf, bool reading) {
  if (o == NULL || buf == NULL) return -EINVAL;
  if (start > o->length || count > o->length - start) return -ERANGE;
  if (count == 0) return 0;
  int lk = mp__shobj_lock(o);
  if (lk != 0 && lk != MP_EOWNERDEAD) return lk;
  unsigned char *p = o->data + start * o->elem_size;
  memcpy(reading ? buf : p, reading ? p : buf, count * o->elem_size);
  return mp__shobj_unlock(o, lk);
}

int mp__shobj_read(mp__shobj *o, size_t start, size_t count, void *out) {
  return copy(o, start, count, out, true);
}

int mp__shobj_write(mp__shobj *o, size_t start, size_t count, const void *in) {
  return copy(o, start, count, (void *)(uintptr_t)in, false);
}
