/* SPDX-License-Identifier: MIT */
/* multiproc/shared.h -- Python's multiprocessing.Value, Array, RawValue and RawArray
 * (multiprocessing.sharedctypes) in C: typed values and arrays in shared memory.
 *
 * Types.  An element type is either a Python typecode -- the keys of Python's
 * sharedctypes.typecode_to_type plus '?' for bool (Python's c_bool):
 *
 *   'c' char      'b' signed char     'B' unsigned char    '?' bool
 *   'h' short     'H' unsigned short  'i' int              'I' unsigned int
 *   'l' long      'L' unsigned long   'q' long long        'Q' unsigned long long
 *   'f' float     'd' double          'u' wchar_t
 *
 * -- or any fixed-size C type given by its size (the _struct constructors), such as a
 * struct Point { double x, y; } for Python's Array(Point, ...).  Elements are stored exactly as
 * the C type is, sizeof(type) apart, so mp_array_ptr() can be used as a C array of that type.
 *
 * Placement and ownership.  mp_value and mp_array are opaque handles that live, with their
 * data and their own lock, in the library's shared memory: a handle made before a fork is valid
 * in the child, and every process sees the same data.  The process that made an object frees it
 * with mp_value_free()/mp_array_free() once no process uses it any more; other processes just
 * stop using it.
 *
 * Locking, as Python's lock= argument (mp_shared_opts below): by default each object gets its
 * own process-shared RLock (lock=True); raw objects have none (lock=False, RawValue/RawArray);
 * or the caller supplies an mp_lock_t or mp_rlock_t (lock=some_lock), which must live in shared
 * memory (mp_lock_new()/mp_rlock_new(), or inside an object placed there) and outlive the
 * object.  Every typed get/set below holds that lock for the one access, as Python's
 * synchronized wrappers do, so it waits for the lock without a time limit (the critical
 * section is one copy; a holder that dies is detected by the lock, see below).  For a
 * compound update (Python's "with v.get_lock(): v.value += 1") take the lock with
 * mp_value_acquire()/mp_array_acquire(), which take a timeout, and use the accessors (with the
 * default RLock they nest) or the raw pointer.  With a caller-supplied Lock, which is not
 * recursive, a typed get/set made while the same thread holds it waits for ever, exactly as it
 * does in Python: while holding a Lock, use the raw pointer.
 *
 * Owner death.  When an accessor's lock acquire reports MP_EOWNERDEAD (a process died holding
 * the lock), the accessor marks the lock consistent, completes the access, releases the lock
 * and returns MP_EOWNERDEAD instead of 0, so the caller learns that a compound update of
 * another process may have been cut short.  The value read or written is valid.
 *
 * Errors common to all functions: -EINVAL for NULL handles or pointers, an unknown typecode, a
 * zero or too large size or length, or an accessor of the wrong kind for the type (get_f64 on
 * an 'i' value, get_i64 on a struct); -ERANGE for an index or slice outside the array, or an
 * integer that the element type cannot represent (Python's ctypes would silently truncate it);
 * -ENOMEM when shared memory runs out. */
#ifndef MULTIPROC_SHARED_H
#define MULTIPROC_SHARED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "sync.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- typecodes ---- */

/* The size in bytes of a typecode's C type ('i' -> 4), or 0 for a character that is not a
 * typecode (0 included). */
MP_EXTERN size_t mp_typecode_size(char typecode);

/* The name of the ctypes type Python maps the typecode to ("c_int" for 'i', "c_bool" for '?'),
 * or NULL for an unknown typecode.  Static string. */
MP_EXTERN const char *mp_typecode_ctype(char typecode);

/* The C type of a typecode ("int" for 'i', "wchar_t" for 'u'), or NULL.  Static string. */
MP_EXTERN const char *mp_typecode_ctype_c(char typecode);

/* Every typecode, in the order Python's typecode_to_type lists them when sorted, then '?':
 * a static NUL-terminated string ("BHILQbcdfhilqu?"). */
MP_EXTERN const char *mp_typecodes(void);

/* ---- the lock= argument ---- */

/* Which lock guards a Value or an Array.  A NULL pointer or a zeroed struct means Python's
 * lock=True: the object gets its own RLock.  At most one of raw, lock and rlock may be set
 * (-EINVAL otherwise). */
typedef struct mp_shared_opts {
  bool raw; /* lock=False: no lock at all (RawValue, RawArray) */
  mp_lock_t *lock; /* lock=a Lock: this one, shared with other objects if wished */
  mp_rlock_t *rlock; /* lock=an RLock: this one */
} mp_shared_opts;

/* ---- Value ---- */

typedef struct mp_value mp_value;

/* Makes a Value of a typecode (Python's Value(typecode, init)).  init points to one C value of
 * that type (an int for 'i', a double for 'd', ...), or is NULL for zero.  *out is set to NULL
 * on error.  Errors: -EINVAL (out NULL, unknown typecode, bad opts), -ENOMEM. */
MP_EXTERN int mp_value_new(mp_value **out, char typecode, const void *init,
                           const mp_shared_opts *opts);

/* Makes a Value of any C type of size bytes (Python's Value(SomeStructure, ...)); init points
 * to size bytes, or is NULL for zero bytes.  The typed accessors refuse it (-EINVAL); use
 * mp_value_get/mp_value_set or the raw pointer.  Errors: as mp_value_new, and -EINVAL for a
 * size of 0. */
MP_EXTERN int mp_value_new_struct(mp_value **out, size_t size, const void *init,
                                  const mp_shared_opts *opts);

/* Frees a value made by this process; NULL is accepted.  Its own RLock goes with it. */
MP_EXTERN void mp_value_free(mp_value *v);

/* The typecode, or 0 for a struct value (and for NULL). */
MP_EXTERN char mp_value_typecode(const mp_value *v);

/* The size in bytes of the value (0 for NULL). */
MP_EXTERN size_t mp_value_size(const mp_value *v);

/* Python's get_obj(): the raw storage, as a pointer to the C type, valid as long as the value
 * and in every process that shares it.  No lock is taken: hold it yourself if needed.  NULL for
 * NULL. */
MP_EXTERN void *mp_value_ptr(mp_value *v);

/* Python's get_lock(): the lock guarding the value.  Exactly one of the two is non-NULL for a
 * synchronized value (the RLock for the default), both are NULL for a raw one.  The lock
 * belongs to the value (default) or to whoever supplied it. */
MP_EXTERN mp_lock_t *mp_value_get_lock(mp_value *v);
MP_EXTERN mp_rlock_t *mp_value_get_rlock(mp_value *v);

/* get_lock().acquire(timeout) / release() on whichever lock guards the value.  Results as for
 * that lock (0, MP_EOWNERDEAD, MP_ETIMEDOUT, MP_ESTATE ...); MP_ESTATE for a raw value, which
 * has no lock. */
MP_EXTERN int mp_value_acquire(mp_value *v, mp_timeout_ms timeout);
MP_EXTERN int mp_value_release(mp_value *v);

/* Copies the value out to / in from a C object of the value's size, under the lock.  Work for
 * every type, structs included. */
MP_EXTERN int mp_value_get(mp_value *v, void *out);
MP_EXTERN int mp_value_set(mp_value *v, const void *in);

/* Typed access, under the lock.  i64/u64: the integer typecodes and 'c', 'u' (code point) and
 * '?' (0 or 1; a set stores any non-zero as true, as Python's bool()); a value outside the
 * range of the C type (or a negative one for u64, or one above INT64_MAX for i64) is -ERANGE
 * and changes nothing.  f64: 'f' and 'd' only ('f' rounds to float).  Other kinds: -EINVAL. */
MP_EXTERN int mp_value_get_i64(mp_value *v, int64_t *out);
MP_EXTERN int mp_value_set_i64(mp_value *v, int64_t x);
MP_EXTERN int mp_value_get_u64(mp_value *v, uint64_t *out);
MP_EXTERN int mp_value_set_u64(mp_value *v, uint64_t x);
MP_EXTERN int mp_value_get_f64(mp_value *v, double *out);
MP_EXTERN int mp_value_set_f64(mp_value *v, double x);

/* Adds delta to an integer value under the lock and stores the new value in *out (if not
 * NULL): the locked "v.value += delta" of Python in one call.  Errors: as set_i64 (-ERANGE
 * when the sum leaves the type's range, changing nothing). */
MP_EXTERN int mp_value_add_i64(mp_value *v, int64_t delta, int64_t *out);

/* ---- Array ---- */

typedef struct mp_array mp_array;

/* Makes an Array of length elements of a typecode (Python's Array(typecode, n) or
 * Array(typecode, initializer)).  init points to length C values of that type, or is NULL for
 * zeros.  *out is set to NULL on error.  Errors: -EINVAL (out NULL, unknown typecode, length 0
 * or so large that the bytes overflow -- a negative int passed as length lands here --, bad
 * opts), -ENOMEM. */
MP_EXTERN int mp_array_new(mp_array **out, char typecode, size_t length, const void *init,
                           const mp_shared_opts *opts);

/* Makes an Array of length elements of any C type of elem_size bytes (Python's
 * Array(SomeStructure, ...)): pass sizeof(struct point).  init points to length such elements,
 * or is NULL for zeros.  Errors: as mp_array_new, and -EINVAL for elem_size 0. */
MP_EXTERN int mp_array_new_struct(mp_array **out, size_t elem_size, size_t length, const void *init,
                                  const mp_shared_opts *opts);

/* Frees an array made by this process; NULL is accepted. */
MP_EXTERN void mp_array_free(mp_array *a);

/* len(a): the number of elements (0 for NULL). */
MP_EXTERN size_t mp_array_len(const mp_array *a);

/* The size of one element in bytes (0 for NULL). */
MP_EXTERN size_t mp_array_elem_size(const mp_array *a);

/* The typecode, or 0 for a struct array (and for NULL). */
MP_EXTERN char mp_array_typecode(const mp_array *a);

/* Python's get_obj(): the elements as a C array, valid as long as the array and in every
 * process that shares it.  No lock is taken.  NULL for NULL. */
MP_EXTERN void *mp_array_ptr(mp_array *a);

/* get_lock(), acquire, release: as for Value. */
MP_EXTERN mp_lock_t *mp_array_get_lock(mp_array *a);
MP_EXTERN mp_rlock_t *mp_array_get_rlock(mp_array *a);
MP_EXTERN int mp_array_acquire(mp_array *a, mp_timeout_ms timeout);
MP_EXTERN int mp_array_release(mp_array *a);

/* a[index]: copies one element out / in (elem_size bytes), under the lock.  Any type.
 * Errors: -ERANGE for index >= length. */
MP_EXTERN int mp_array_get(mp_array *a, size_t index, void *out);
MP_EXTERN int mp_array_set(mp_array *a, size_t index, const void *in);

/* a[start:start+count]: copies count elements out / in, under the lock held once for the whole
 * slice (so a reader never sees half of a concurrent slice write).  count 0 does nothing.
 * Errors: -ERANGE when the slice does not fit in the array. */
MP_EXTERN int mp_array_read(mp_array *a, size_t start, size_t count, void *out);
MP_EXTERN int mp_array_write(mp_array *a, size_t start, size_t count, const void *in);

/* Typed element access, under the lock; kinds and ranges as for the Value accessors, and
 * -ERANGE for index >= length. */
MP_EXTERN int mp_array_get_i64(mp_array *a, size_t index, int64_t *out);
MP_EXTERN int mp_array_set_i64(mp_array *a, size_t index, int64_t x);
MP_EXTERN int mp_array_get_u64(mp_array *a, size_t index, uint64_t *out);
MP_EXTERN int mp_array_set_u64(mp_array *a, size_t index, uint64_t x);
MP_EXTERN int mp_array_get_f64(mp_array *a, size_t index, double *out);
MP_EXTERN int mp_array_set_f64(mp_array *a, size_t index, double x);

#ifdef __cplusplus
}
#endif
#endif
