/* SPDX-License-Identifier: MIT */
/* multiproc/obj.h -- values: the small dynamic type that plays the part of Python's pickled
 * objects.  A value is none, bool, int (64-bit), float (double), str (UTF-8), bytes, list,
 * tuple or dict (insertion-ordered), encoded as MessagePack when it travels between processes
 * (queues, pipes, pools, managers).
 *
 * Ownership.  Values are reference counted (atomically, so a value may be shared between
 * threads once built).  A constructor returns a new reference that the caller owns and drops
 * with mp_obj_decref().  Functions that take a value either borrow it (the caller keeps its
 * reference) or, when their name ends in _steal, steal it: the container takes over the
 * caller's reference, and drops it even when the call fails, so
 *     mp_obj_list_append_steal(list, mp_obj_int(5));
 * leaks nothing whatever happens (a NULL item, from a failed constructor, is -ENOMEM).
 * Accessors that return an mp_obj * return a borrowed reference, valid while the container
 * holds it.  Containers are not locked: mutate a value from one thread at a time.  Values
 * must not contain themselves (a list appended to itself, directly or through other
 * containers): such a cycle is never freed, and the codec refuses it as too deep.
 * None, True and False are shared immortal values; counting their references is harmless.
 *
 * Constructors return NULL only when memory runs out (or for invalid UTF-8 in a str, errno
 * EILSEQ); every other function returns 0 or a negative error code. */
#ifndef MULTIPROC_OBJ_H
#define MULTIPROC_OBJ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mp_obj mp_obj;

typedef enum mp_obj_type {
  MP_OBJ_NONE,
  MP_OBJ_BOOL,
  MP_OBJ_INT,
  MP_OBJ_FLOAT,
  MP_OBJ_STR,
  MP_OBJ_BYTES,
  MP_OBJ_LIST,
  MP_OBJ_TUPLE,
  MP_OBJ_DICT
} mp_obj_type;

/* ---- constructors (new references; NULL when out of memory) ---- */
MP_EXTERN mp_obj *mp_obj_none(void);
MP_EXTERN mp_obj *mp_obj_bool(bool v);
MP_EXTERN mp_obj *mp_obj_int(int64_t v);
MP_EXTERN mp_obj *mp_obj_float(double v);
/* A str copied from NUL-terminated UTF-8 / from len bytes of UTF-8 (which may contain NUL).
 * NULL with errno EILSEQ when the bytes are not valid UTF-8, EINVAL for a NULL pointer. */
MP_EXTERN mp_obj *mp_obj_str(const char *utf8);
MP_EXTERN mp_obj *mp_obj_strn(const char *utf8, size_t len);
/* bytes copied from len bytes at data (data may be NULL when len is 0). */
MP_EXTERN mp_obj *mp_obj_bytes(const void *data, size_t len);
/* An empty list or dict. */
MP_EXTERN mp_obj *mp_obj_list(void);
MP_EXTERN mp_obj *mp_obj_dict(void);
/* A tuple of n items, stealing each item's reference (all of them, also on failure; a NULL
 * item makes the call fail).  Tuples cannot change after they are made. */
MP_EXTERN mp_obj *mp_obj_tuple_steal(size_t n, mp_obj *const *items);
/* Shorthands for the common small tuples: mp_obj_tuple2_steal(a, b) steals a and b. */
MP_EXTERN mp_obj *mp_obj_tuple2_steal(mp_obj *a, mp_obj *b);
MP_EXTERN mp_obj *mp_obj_tuple3_steal(mp_obj *a, mp_obj *b, mp_obj *c);

/* ---- references ---- */
/* Adds a reference and returns o (NULL accepted). */
MP_EXTERN mp_obj *mp_obj_incref(mp_obj *o);
/* Drops a reference, freeing the value (and dropping its items' references) at zero; NULL is
 * accepted. */
MP_EXTERN void mp_obj_decref(mp_obj *o);

/* ---- inspection ---- */
MP_EXTERN mp_obj_type mp_obj_type_of(const mp_obj *o);
/* "NoneType", "bool", "int", "float", "str", "bytes", "list", "tuple", "dict". */
MP_EXTERN const char *mp_obj_type_name(mp_obj_type t);

/* Scalars.  Return 0 and store the value, or -EINVAL when o is NULL or of another type.
 * mp_obj_get_int also accepts a bool (as Python's int(True) == 1); mp_obj_get_float also
 * accepts an int or a bool. */
MP_EXTERN int mp_obj_get_bool(const mp_obj *o, bool *out);
MP_EXTERN int mp_obj_get_int(const mp_obj *o, int64_t *out);
MP_EXTERN int mp_obj_get_float(const mp_obj *o, double *out);
/* The bytes of a str (NUL-terminated for convenience) or of a bytes value, and their length
 * in bytes.  NULL for another type.  Valid while o lives; do not modify. */
MP_EXTERN const char *mp_obj_str_data(const mp_obj *o, size_t *len);
MP_EXTERN const void *mp_obj_bytes_data(const mp_obj *o, size_t *len);

/* len(): items of a list, tuple or dict, bytes of a bytes value, code points of a str;
 * 0 for scalars and NULL. */
MP_EXTERN size_t mp_obj_len(const mp_obj *o);

/* ---- list and tuple ---- */
/* seq[i] for a list or tuple: a borrowed reference, or NULL when out of range or not a
 * sequence. */
MP_EXTERN mp_obj *mp_obj_item(const mp_obj *seq, size_t i);
/* list.append(item).  Errors: -EINVAL (not a list, NULL item), -ENOMEM. */
MP_EXTERN int mp_obj_list_append(mp_obj *list, mp_obj *item);
MP_EXTERN int mp_obj_list_append_steal(mp_obj *list, mp_obj *item);
/* list[i] = item.  Errors: -EINVAL, -ERANGE (i >= len). */
MP_EXTERN int mp_obj_list_set(mp_obj *list, size_t i, mp_obj *item);
MP_EXTERN int mp_obj_list_set_steal(mp_obj *list, size_t i, mp_obj *item);
/* list.insert(i, item) (i past the end appends); list.pop(i) hands the caller the removed
 * item's reference in *out (pass NULL to drop it).  Errors: -EINVAL, -ERANGE, -ENOMEM. */
MP_EXTERN int mp_obj_list_insert_steal(mp_obj *list, size_t i, mp_obj *item);
MP_EXTERN int mp_obj_list_pop(mp_obj *list, size_t i, mp_obj **out);

/* ---- dict (insertion-ordered; keys must be hashable: none, bool, int, float, str, bytes or
 * a tuple of those, as in Python, where 1, 1.0 and True are the same key) ---- */
/* d[key] = value.  Errors: -EINVAL (not a dict, NULL, unhashable key), -ENOMEM. */
MP_EXTERN int mp_obj_dict_set(mp_obj *dict, mp_obj *key, mp_obj *value);
MP_EXTERN int mp_obj_dict_set_steal(mp_obj *dict, mp_obj *key, mp_obj *value);
/* d[key]: a borrowed reference, or NULL when absent (or not a dict / unhashable key). */
MP_EXTERN mp_obj *mp_obj_dict_get(const mp_obj *dict, const mp_obj *key);
/* Shorthand for a str key. */
MP_EXTERN mp_obj *mp_obj_dict_get_str(const mp_obj *dict, const char *key);
/* del d[key].  Errors: -EINVAL, -ENOENT (absent). */
MP_EXTERN int mp_obj_dict_del(mp_obj *dict, const mp_obj *key);
/* Iterates in insertion order: start with *pos = 0; each call stores borrowed key and value
 * and returns true, or returns false at the end.  The dict must not change meanwhile. */
MP_EXTERN bool mp_obj_dict_next(const mp_obj *dict, size_t *pos, mp_obj **key, mp_obj **value);

/* ---- comparison and text ---- */
/* Python's ==: numbers compare by value across bool, int and float; str, bytes, list, tuple
 * and dict compare by contents (dict order does not matter; list != tuple). */
MP_EXTERN bool mp_obj_equal(const mp_obj *a, const mp_obj *b);
/* A hash of a hashable value, under Python's contract: equal values hash alike, so 1, 1.0 and
 * True share one.  A NaN (equal to nothing) hashes by its identity, as in Python 3.10+: two
 * NaN objects are two dict keys, and a NaN key is found only through that same object.
 * 0 for unhashable values (list, dict, or a tuple holding one). */
MP_EXTERN uint64_t mp_obj_hash(const mp_obj *o);
/* repr() as Python prints it: None, True, 42, 3.5, 'it''s' quoting as Python, b'\x00',
 * [1, 2], ('Sam', 10), (1,), {'a': 1}.  Returns a malloc'd string the caller frees with
 * free(), or NULL when out of memory. */
MP_EXTERN char *mp_obj_repr(const mp_obj *o);
/* Writes repr(o) to f.  Returns 0 or -EIO / -ENOMEM. */
MP_EXTERN int mp_obj_fprint(FILE *f, const mp_obj *o);

/* ---- MessagePack codec ---- */
/* Limits applied when decoding untrusted bytes.  Zero fields take the defaults. */
typedef struct mp_obj_limits {
  size_t max_depth; /* nesting of lists/tuples/dicts (default 64, at most 1000) */
  size_t max_items; /* values in the whole message, containers included (default 1 << 20) */
  size_t max_bytes; /* bytes of one str or bytes value (default 1 << 30) */
} mp_obj_limits;

/* Encodes o as MessagePack into a malloc'd buffer (*buf, *len; the caller frees *buf with
 * free()).  A tuple is MessagePack extension type 1 holding the array of its items, so it
 * comes back a tuple; everything else uses the plain MessagePack types (bytes as bin, ints
 * in their smallest form, floats as float 64, dicts as maps in insertion order).
 * Errors: -EINVAL (NULL), -ENOMEM, MP_ETOOBIG (nesting deeper than 1000, or a container of
 * more than 2^32-1 items). */
MP_EXTERN int mp_obj_encode(const mp_obj *o, void **buf, size_t *len);

/* Decodes exactly len bytes of one MessagePack value into *out (a new reference).  Never
 * crashes on malformed input: MP_ECORRUPT for bytes that are not one well-formed value (or
 * have bytes left over, or use types outside the list above, such as maps with unhashable
 * keys, extension types other than 1, str that is not UTF-8, or uint64 above INT64_MAX),
 * MP_ETOOBIG when a limit is exceeded (checked before anything is allocated), -ENOMEM,
 * -EINVAL (out NULL, or buf NULL with len > 0).  Float 32 decodes as a float.  A map whose
 * keys repeat (also as 1 and 1.0) keeps the first key and the last value, as Python's dict
 * does.  lim may be NULL for the defaults. */
MP_EXTERN int mp_obj_decode(const void *buf, size_t len, const mp_obj_limits *lim, mp_obj **out);

#ifdef __cplusplus
}
#endif
#endif
