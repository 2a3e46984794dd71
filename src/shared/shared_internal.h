/* SPDX-License-Identifier: MIT */
/* shared_internal.h -- what value.c and array.c share: one object layout for both (a Value is
 * an array of one element), the lock= handling and the typed element conversions. */
#ifndef MP_SHARED_INTERNAL_H
#define MP_SHARED_INTERNAL_H

#include <stdalign.h>
#include <stddef.h>

#include "internal.h"
#include "multiproc/shared.h"

/* Which lock guards an object. */
enum { MP__SH_RAW = 0, MP__SH_OWN_RLOCK, MP__SH_LOCK, MP__SH_RLOCK };

/* The header of a Value or Array in shared memory; the elements follow it, 16-byte aligned.
 * Written once by the creator before any fork that shares it, read-only afterwards (but the
 * lock). */
typedef struct mp__shobj {
  uint32_t magic;
  char typecode; /* 0 for a struct type */
  uint8_t lock_kind;
  size_t elem_size;
  size_t length;
  size_t alloc_size; /* what mp__shared_alloc was given */
  mp_lock_t *lock; /* MP__SH_LOCK */
  mp_rlock_t *rlock; /* MP__SH_OWN_RLOCK (own_rlock) or MP__SH_RLOCK */
  mp_rlock_t own_rlock;
  alignas(16) unsigned char data[];
} mp__shobj;

#define MP__SH_MAGIC_VALUE 0x6d7056u /* "Vpm" */
#define MP__SH_MAGIC_ARRAY 0x6d7041u /* "Apm" */

/* Element kinds for the typed accessors. */
enum { MP__K_SIGNED, MP__K_UNSIGNED, MP__K_BOOL, MP__K_FLOAT, MP__K_OTHER };

/* Makes an object: validates typecode/elem_size/length/opts, allocates, sets up the lock and
 * copies init (or leaves zeros).  typecode 0 means a struct of elem_size bytes. */
int mp__shobj_new(mp__shobj **out, uint32_t magic, char typecode, size_t elem_size, size_t length,
                  const void *init, const mp_shared_opts *opts);
void mp__shobj_free(mp__shobj *o);

/* Lock and unlock for one access.  lock returns 0 or MP_EOWNERDEAD (lock held and already
 * marked consistent) or another error (not held); unlock takes what lock returned and gives
 * the result of the access (MP_EOWNERDEAD kept). */
int mp__shobj_lock(mp__shobj *o);
int mp__shobj_unlock(mp__shobj *o, int lock_rc);
int mp__shobj_acquire(mp__shobj *o, mp_timeout_ms timeout);
int mp__shobj_release(mp__shobj *o);

/* Copies count elements from start, out or in, under the lock. */
int mp__shobj_read(mp__shobj *o, size_t start, size_t count, void *out);
int mp__shobj_write(mp__shobj *o, size_t start, size_t count, const void *in);

/* Typed element access under the lock (index already unchecked: these check it). */
int mp__shobj_get_i64(mp__shobj *o, size_t i, int64_t *out);
int mp__shobj_set_i64(mp__shobj *o, size_t i, int64_t x);
int mp__shobj_get_u64(mp__shobj *o, size_t i, uint64_t *out);
int mp__shobj_set_u64(mp__shobj *o, size_t i, uint64_t x);
int mp__shobj_get_f64(mp__shobj *o, size_t i, double *out);
int mp__shobj_set_f64(mp__shobj *o, size_t i, double x);
int mp__shobj_add_i64(mp__shobj *o, size_t i, int64_t delta, int64_t *out);

#endif
