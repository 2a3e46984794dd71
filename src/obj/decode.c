/* SPDX-License-Identifier: MIT */
/* decode.c -- MessagePack decoding of untrusted bytes: a bounded recursive-descent parser
 * over the buffer that builds values directly.  Every length is checked against the limits
 * and against the bytes that remain BEFORE anything is allocated (each item takes at least
 * one byte, so a container can never declare more items than bytes are left), nesting is
 * bounded, and the message must be consumed exactly.  msgpack-c's own unpacker is not used:
 * it allocates the declared element count up front (a 5-byte message can ask it for
 * gigabytes), see docs/obj.md. */
#include <errno.h>
#include <string.h>

#include "obj/obj_internal.h"

typedef struct {
  const unsigned char *p, *end;
  size_t max_depth, max_items, max_bytes;
  size_t items; /* values decoded so far, containers included */
} dec;

static uint64_t be(const unsigned char *p, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++) v = v << 8 | p[i];
  return v;
}

/* Reads an n-byte big-endian length or value. */
static int read_uint(dec *d, size_t n, uint64_t *v) {
  if ((size_t)(d->end - d->p) < n) return MP_ECORRUPT;
  *v = be(d->p, n);
  d->p += n;
  return 0;
}

/* Checks that a container may hold n more values: the item limit first, then whether the
 * remaining bytes (one at least per value) can hold them. */
static int claim_items(dec *d, uint64_t n) {
  if (n > d->max_items - d->items) return MP_ETOOBIG;
  if (n > (uint64_t)(d->end - d->p)) return MP_ECORRUPT;
  return 0;
}

static int decode_value(dec *d, size_t depth, mp_obj **out);

static int decode_raw(dec *d, uint64_t n, bool str, mp_obj **out) {
  if (n > d->max_bytes) return MP_ETOOBIG;
  if (n > (uint64_t)(d->end - d->p)) return MP_ECORRUPT;
  const char *s = (const char *)d->p;
  mp_obj *o;
  if (str) {
    ptrdiff_t ncp = mp__utf8_count(s, (size_t)n);
    if (ncp < 0) return MP_ECORRUPT;
    o = mp__obj_str_trusted(s, (size_t)n, (size_t)ncp);
  } else {
    o = mp_obj_bytes(s, (size_t)n);
  }
  if (!o) return -ENOMEM;
  d->p += n;
  *out = o;
  return 0;
}

static int decode_seq(dec *d, uint64_t n, bool tuple, size_t depth, mp_obj **out) {
  int rc = claim_items(d, n);
  if (rc) return rc;
  mp_obj *o = tuple ? mp__tuple_alloc((size_t)n) : mp__list_with_capacity((size_t)n);
  if (!o) return -ENOMEM;
  for (size_t i = 0; i < n; i++) {
    mp_obj *item;
    rc = decode_value(d, depth + 1, &item);
    if (rc) {
      mp_obj_decref(o); /* a tuple's unfilled slots are NULL, which decref accepts */
      return rc;
    }
    o->u.seq.items[i] = item;
    if (!tuple) o->u.seq.len = i + 1;
  }
  *out = o;
  return 0;
}

static int decode_map(dec *d, uint64_t n, size_t depth, mp_obj **out) {
  if (n > UINT64_MAX / 2) return MP_ETOOBIG;
  int rc = claim_items(d, 2 * n);
  if (rc) return rc;
  mp_obj *o = mp__dict_with_capacity((size_t)n);
  if (!o) return -ENOMEM;
  for (size_t i = 0; i < n; i++) {
    mp_obj *k, *v;
    rc = decode_value(d, depth + 1, &k);
    if (rc) break;
    uint64_t h;
    if (mp__obj_hash(k, &h)) { /* list or dict key: not a Python dict */
      mp_obj_decref(k);
      rc = MP_ECORRUPT;
      break;
    }
    rc = decode_value(d, depth + 1, &v);
    if (rc) {
      mp_obj_decref(k);
      break;
    }
    rc = mp_obj_dict_set_steal(o, k, v); /* a repeated key: the last value wins */
    if (rc) break;
  }
  if (rc) {
    mp_obj_decref(o);
    return rc;
  }
  *out = o;
  return 0;
}

/* Extension n bytes long: only type 1 (tuple), whose body is exactly one array. */
static int decode_ext(dec *d, uint64_t n, size_t depth, mp_obj **out) {
  if ((size_t)(d->end - d->p) < 1 || n > (uint64_t)(d->end - d->p - 1)) return MP_ECORRUPT;
  if ((signed char)*d->p++ != MP__OBJ_EXT_TUPLE || n == 0) return MP_ECORRUPT;
  const unsigned char *end = d->end;
  d->end = d->p + n;
  unsigned c = *d->p++;
  uint64_t count;
  int rc = 0;
  if (c >= 0x90 && c <= 0x9f)
    count = c & 0x0f;
  else if (c == 0xdc)
    rc = read_uint(d, 2, &count);
  else if (c == 0xdd)
    rc = read_uint(d, 4, &count);
  else
    rc = MP_ECORRUPT;
  if (!rc) rc = decode_seq(d, count, true, depth, out);
  if (!rc && d->p != d->end) {
    mp_obj_decref(*out);
    rc = MP_ECORRUPT;
  }
  d->end = end;
  return rc;
}

static int decode_value(dec *d, size_t depth, mp_obj **out) {
  if (d->p >= d->end) return MP_ECORRUPT;
  if (d->items >= d->max_items) return MP_ETOOBIG;
  d->items++;
  unsigned c = *d->p++;
  uint64_t n;
  int rc;
  mp_obj *o = NULL;

  if (c <= 0x7f || c >= 0xe0) { /* positive / negative fixint */
    o = mp_obj_int(c <= 0x7f ? (int64_t)c : (int64_t)c - 256);
    goto made;
  }
  if ((c >= 0x80 && c <= 0x8f) || (c >= 0x90 && c <= 0x9f) || c == 0xdc || c == 0xdd || c == 0xde ||
      c == 0xdf || (c >= 0xc7 && c <= 0xc9) || (c >= 0xd4 && c <= 0xd8)) {
    /* containers and extensions nest */
    if (depth >= d->max_depth) return MP_ETOOBIG;
  }
  if (c >= 0x80 && c <= 0x8f) return decode_map(d, c & 0x0f, depth, out);
  if (c >= 0x90 && c <= 0x9f) return decode_seq(d, c & 0x0f, false, depth, out);
  if (c >= 0xa0 && c <= 0xbf) return decode_raw(d, c & 0x1f, true, out);

  switch (c) {
    case 0xc0: o = mp_obj_none(); goto made;
    case 0xc2:
    case 0xc3: o = mp_obj_bool(c == 0xc3); goto made;
    case 0xc4: /* bin 8/16/32 */
    case 0xc5:
    case 0xc6:
      if ((rc = read_uint(d, (size_t)1 << (c - 0xc4), &n))) return rc;
      return decode_raw(d, n, false, out);
    case 0xd9: /* str 8/16/32 */
    case 0xda:
    case 0xdb:
      if ((rc = read_uint(d, (size_t)1 << (c - 0xd9), &n))) return rc;
      return decode_raw(d, n, true, out);
    case 0xc7: /* ext 8/16/32 */
    case 0xc8:
    case 0xc9:
      if ((rc = read_uint(d, (size_t)1 << (c - 0xc7), &n))) return rc;
      return decode_ext(d, n, depth, out);
    case 0xd4: /* fixext 1/2/4/8/16 */
    case 0xd5:
    case 0xd6:
    case 0xd7:
    case 0xd8: return decode_ext(d, (uint64_t)1 << (c - 0xd4), depth, out);
    case 0xca: { /* float 32 */
      if ((rc = read_uint(d, 4, &n))) return rc;
      uint32_t u = (uint32_t)n;
      float f;
      memcpy(&f, &u, sizeof f);
      o = mp_obj_float(f);
      goto made;
    }
    case 0xcb: { /* float 64 */
      if ((rc = read_uint(d, 8, &n))) return rc;
      double f;
      memcpy(&f, &n, sizeof f);
      o = mp_obj_float(f);
      goto made;
    }
    case 0xcc: /* uint 8/16/32/64 */
    case 0xcd:
    case 0xce:
    case 0xcf:
      if ((rc = read_uint(d, (size_t)1 << (c - 0xcc), &n))) return rc;
      if (n > INT64_MAX) return MP_ECORRUPT; /* outside int64: no value can hold it */
      o = mp_obj_int((int64_t)n);
      goto made;
    case 0xd0: /* int 8/16/32/64 */
    case 0xd1:
    case 0xd2:
    case 0xd3: {
      size_t w = (size_t)1 << (c - 0xd0);
      if ((rc = read_uint(d, w, &n))) return rc;
      if (w < 8 && (n >> (8 * w - 1)) & 1) /* sign-extend */
        n |= UINT64_MAX << (8 * w);
      int64_t v;
      memcpy(&v, &n, sizeof v);
      o = mp_obj_int(v);
      goto made;
    }
    case 0xdc: /* array 16/32 */
    case 0xdd:
      if ((rc = read_uint(d, c == 0xdc ? 2 : 4, &n))) return rc;
      return decode_seq(d, n, false, depth, out);
    case 0xde: /* map 16/32 */
    case 0xdf:
      if ((rc = read_uint(d, c == 0xde ? 2 : 4, &n))) return rc;
      return decode_map(d, n, depth, out);
    default: /* 0xc1 (never used) */ return MP_ECORRUPT;
  }
made:
  if (!o) return -ENOMEM;
  *out = o;
  return 0;
}

int mp_obj_decode(const void *buf, size_t len, const mp_obj_limits *lim, mp_obj **out) {
  if ((!buf && len) || !out) return -EINVAL;
  if (!buf) return MP_ECORRUPT; /* len is 0: no value at all */
  dec d = {.p = buf, .end = (const unsigned char *)buf + len};
  d.max_depth = lim && lim->max_depth ? lim->max_depth : 64;
  d.max_items = lim && lim->max_items ? lim->max_items : (size_t)1 << 20;
  d.max_bytes = lim && lim->max_bytes ? lim->max_bytes : (size_t)1 << 30;
  if (d.max_depth > MP__OBJ_DEPTH_CEILING) d.max_depth = MP__OBJ_DEPTH_CEILING;
  mp_obj *o;
  int rc = decode_value(&d, 0, &o);
  if (rc) return rc;
  if (d.p != d.end) {
    mp_obj_decref(o);
    return MP_ECORRUPT; /* trailing bytes */
  }
  *out = o;
  return 0;
}
