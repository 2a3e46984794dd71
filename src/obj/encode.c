/* SPDX-License-Identifier: MIT */
/* encode.c -- MessagePack encoding through msgpack-c's packer.  Two passes: the first packs
 * into a byte counter, which gives the exact size of the message and of every tuple's body
 * (a tuple is extension type 1 whose body is the packed array of its items, and an extension
 * header states its length up front); the second packs into one buffer of that size. */
#include <errno.h>
#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

#include "obj/obj_internal.h"

typedef struct {
  /* output: buf == NULL while counting */
  char *buf;
  size_t len, cap;
  /* tuple body sizes in pre-order: appended while counting, consumed while writing */
  size_t *tsize;
  size_t ntuples, tcap, tnext;
} enc;

static int enc_write(void *data, const char *s, size_t n) {
  enc *e = data;
  if (e->buf) {
    if (n > e->cap - e->len) return -1; /* cannot happen: both passes pack the same calls */
    memcpy(e->buf + e->len, s, n);
  }
  e->len += n;
  return 0;
}

static int pack(msgpack_packer *pk, enc *e, const mp_obj *o, size_t depth) {
  if (!o) return -EINVAL;
  if (depth > MP__OBJ_DEPTH_CEILING) return MP_ETOOBIG;
  int rc = 0;
  switch (o->type) {
    case MP_OBJ_NONE: rc = msgpack_pack_nil(pk); break;
    case MP_OBJ_BOOL: rc = o->u.b ? msgpack_pack_true(pk) : msgpack_pack_false(pk); break;
    case MP_OBJ_INT: rc = msgpack_pack_int64(pk, o->u.i); break;
    case MP_OBJ_FLOAT: rc = msgpack_pack_double(pk, o->u.f); break;
    case MP_OBJ_STR: rc = msgpack_pack_str_with_body(pk, o->u.s.data, o->u.s.len); break;
    case MP_OBJ_BYTES: rc = msgpack_pack_bin_with_body(pk, o->u.s.data, o->u.s.len); break;
    case MP_OBJ_TUPLE:
    case MP_OBJ_LIST: {
      size_t n = o->u.seq.len, slot = 0, start = 0;
      if (n > UINT32_MAX) return MP_ETOOBIG;
      if (o->type == MP_OBJ_TUPLE) {
        if (!e->buf) { /* counting: reserve this tuple's slot before its inner tuples' */
          if (e->ntuples == e->tcap) {
            size_t cap = e->tcap ? e->tcap * 2 : 16;
            size_t *t = realloc(e->tsize, cap * sizeof(size_t));
            if (!t) return -ENOMEM;
            e->tsize = t;
            e->tcap = cap;
          }
          slot = e->ntuples++;
          start = e->len;
        } else {
          size_t body = e->tsize[e->tnext++];
          if (body > UINT32_MAX) return MP_ETOOBIG;
          rc = msgpack_pack_ext(pk, body, MP__OBJ_EXT_TUPLE);
        }
      }
      if (!rc) rc = msgpack_pack_array(pk, n);
      for (size_t i = 0; !rc && i < n; i++) rc = pack(pk, e, o->u.seq.items[i], depth + 1);
      if (rc) return rc < 0 && rc != -1 ? rc : -ENOMEM;
      if (o->type == MP_OBJ_TUPLE && !e->buf) {
        size_t body = e->len - start;
        e->tsize[slot] = body;
        /* counts the extension header (its position does not matter to a count) */
        rc = msgpack_pack_ext(pk, body > UINT32_MAX ? 0 : body, MP__OBJ_EXT_TUPLE);
      }
      break;
    }
    case MP_OBJ_DICT: {
      if (o->u.d.used > UINT32_MAX) return MP_ETOOBIG;
      rc = msgpack_pack_map(pk, o->u.d.used);
      size_t pos = 0;
      mp_obj *k, *v;
      while (!rc && mp_obj_dict_next(o, &pos, &k, &v)) {
        rc = pack(pk, e, k, depth + 1);
        if (!rc) rc = pack(pk, e, v, depth + 1);
      }
      break;
    }
  }
  if (rc == -1) /* msgpack-c's failure from the write callback */
    return -ENOMEM;
  return rc;
}

int mp_obj_encode(const mp_obj *o, void **buf, size_t *len) {
  if (!o || !buf || !len) return -EINVAL;
  enc e = {0};
  msgpack_packer pk;
  msgpack_packer_init(&pk, &e, enc_write);
  int rc = pack(&pk, &e, o, 0);
  if (!rc) {
    size_t total = e.len;
    e.buf = malloc(total ? total : 1);
    e.cap = total;
    e.len = 0;
    if (!e.buf)
      rc = -ENOMEM;
    else
      rc = pack(&pk, &e, o, 0);
    if (!rc && e.len != total) rc = -EIO; /* cannot happen */
  }
  free(e.tsize);
  if (rc) {
    free(e.buf);
    return rc;
  }
  *buf = e.buf;
  *len = e.len;
  return 0;
}
