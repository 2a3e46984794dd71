/* SPDX-License-Identifier: MIT */
/* obj_internal.h -- the layout of a value and what the files of src/obj/ share.
 * obj.c: core, refcounts, scalars, str/bytes; container.c: list and tuple; dict.c: the
 * ordered dict; hash.c: hashing and equality; repr.c: repr(); encode.c / decode.c: the
 * MessagePack codec. */
#ifndef MP_OBJ_INTERNAL_H
#define MP_OBJ_INTERNAL_H

#include <stdatomic.h>

#include "internal.h"

/* Hard ceiling on nesting for the recursive walks (encode, decode); deeper values are
 * refused with MP_ETOOBIG so that no walk can exhaust the stack. */
#define MP__OBJ_DEPTH_CEILING 1000

/* The MessagePack extension type that carries a tuple (its body is one packed array). */
#define MP__OBJ_EXT_TUPLE 1

typedef struct mp__dict_entry {
  mp_obj *key; /* NULL: a deleted entry, skipped by iteration and lookups */
  mp_obj *value;
  uint64_t hash;
} mp__dict_entry;

typedef struct mp__dict {
  mp__dict_entry *entries; /* insertion order, deleted ones included */
  size_t nentries; /* entries used so far, deleted ones included */
  size_t cap; /* entries allocated */
  size_t used; /* live entries: len(d) */
  size_t *index; /* open addressing (linear probing): entry number or EMPTY */
  size_t mask; /* index slots - 1 (a power of two minus one); index NULL: 0 */
} mp__dict;

struct mp_obj {
  atomic_size_t refs;
  mp_obj_type type;
  bool immortal; /* None, True, False: static, never freed */
  union {
    bool b;
    int64_t i;
    double f;
    struct {
      char *data; /* follows the struct in the same allocation, NUL-terminated */
      size_t len; /* bytes */
      size_t ncp; /* code points (str) */
    } s;
    struct {
      mp_obj **items; /* tuple: follows the struct; list: its own allocation */
      size_t len;
      size_t cap;
    } seq;
    mp__dict d;
  } u;
};

/* Code points in len bytes of UTF-8, or -1 when they are not valid UTF-8 (overlong forms,
 * surrogates and values above U+10FFFF are invalid, as for Python's decoder). (obj.c) */
ptrdiff_t mp__utf8_count(const char *s, size_t len);
/* Decodes the code point at *s (valid UTF-8) and advances *s. (obj.c) */
uint32_t mp__utf8_next(const char **s);

/* A new value of the given type with refs 1 and extra bytes after the struct. (obj.c) */
mp_obj *mp__obj_alloc(mp_obj_type t, size_t extra);
/* A str whose bytes are already known to be valid UTF-8 with ncp code points. (obj.c) */
mp_obj *mp__obj_str_trusted(const char *s, size_t len, size_t ncp);
/* Releases what a container holds (items, entries) before the value itself is freed. */
void mp__list_clear(mp_obj *o); /* container.c */
void mp__dict_clear(mp_obj *o); /* dict.c */
/* A tuple of n slots, all NULL; the decoder fills them in (decref frees a partial one). */
mp_obj *mp__tuple_alloc(size_t n); /* container.c */
/* An empty list / dict with room for n items without growing. */
mp_obj *mp__list_with_capacity(size_t n); /* container.c */
mp_obj *mp__dict_with_capacity(size_t n); /* dict.c */

/* Hashes a hashable value into *h: 0, or -EINVAL when o (or an item of a tuple) is a list or
 * a dict. (hash.c) */
int mp__obj_hash(const mp_obj *o, uint64_t *h);
/* The hash a str of these bytes has, without making one. (hash.c) */
uint64_t mp__hash_str(const char *s, size_t len);

#endif
