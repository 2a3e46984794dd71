/* SPDX-License-Identifier: MIT */
/* obj.c -- the value core: allocation, atomic reference counts, scalars, str and bytes,
 * type names and len(). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "obj/obj_internal.h"

/* None, True and False are static and immortal: references to them are not counted. */
static mp_obj none_obj = {.refs = 1, .type = MP_OBJ_NONE, .immortal = true};
static mp_obj true_obj = {.refs = 1, .type = MP_OBJ_BOOL, .immortal = true, .u.b = true};
static mp_obj false_obj = {.refs = 1, .type = MP_OBJ_BOOL, .immortal = true, .u.b = false};

mp_obj *mp__obj_alloc(mp_obj_type t, size_t extra) {
  if (extra > SIZE_MAX - sizeof(mp_obj)) {
    errno = ENOMEM;
    return NULL;
  }
  mp_obj *o = malloc(sizeof(mp_obj) + extra);
  if (!o) {
    errno = ENOMEM;
    return NULL;
  }
  memset(o, 0, sizeof *o);
  atomic_init(&o->refs, 1);
  o->type = t;
  return o;
}

mp_obj *mp_obj_none(void) { return &none_obj; }

mp_obj *mp_obj_bool(bool v) { return v ? &true_obj : &false_obj; }

mp_obj *mp_obj_int(int64_t v) {
  mp_obj *o = mp__obj_alloc(MP_OBJ_INT, 0);
  if (o) o->u.i = v;
  return o;
}

mp_obj *mp_obj_float(double v) {
  mp_obj *o = mp__obj_alloc(MP_OBJ_FLOAT, 0);
  if (o) o->u.f = v;
  return o;
}

/* ---- UTF-8 ---- */

ptrdiff_t mp__utf8_count(const char *str, size_t len) {
  const unsigned char *s = (const unsigned char *)str, *end = s + len;
  ptrdiff_t n = 0;
  while (s < end) {
    unsigned c = *s;
    if (c < 0x80) {
      s++;
    } else if (c >= 0xc2 && c <= 0xdf) {
      if (end - s < 2 || (s[1] & 0xc0) != 0x80) return -1;
      s += 2;
    } else if (c >= 0xe0 && c <= 0xef) {
      if (end - s < 3 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80) return -1;
      if (c == 0xe0 && s[1] < 0xa0) /* overlong */
        return -1;
      if (c == 0xed && s[1] >= 0xa0) /* surrogate */
        return -1;
      s += 3;
    } else if (c >= 0xf0 && c <= 0xf4) {
      if (end - s < 4 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
        return -1;
      if (c == 0xf0 && s[1] < 0x90) /* overlong */
        return -1;
      if (c == 0xf4 && s[1] >= 0x90) /* above U+10FFFF */
        return -1;
      s += 4;
    } else {
      return -1; /* continuation byte, 0xc0/0xc1, 0xf5.. */
    }
    n++;
  }
  return n;
}

uint32_t mp__utf8_next(const char **str) {
  const unsigned char *s = (const unsigned char *)*str;
  uint32_t c = s[0];
  size_t n = 1;
  if (c >= 0xf0) {
    c = ((c & 0x07u) << 18) | ((s[1] & 0x3fu) << 12) | ((s[2] & 0x3fu) << 6) | (s[3] & 0x3fu);
    n = 4;
  } else if (c >= 0xe0) {
    c = ((c & 0x0fu) << 12) | ((s[1] & 0x3fu) << 6) | (s[2] & 0x3fu);
    n = 3;
  } else if (c >= 0xc0) {
    c = ((c & 0x1fu) << 6) | (s[1] & 0x3fu);
    n = 2;
  }
  *str += n;
  return c;
}

/* ---- str and bytes ---- */

static mp_obj *bytes_like(mp_obj_type t, const void *data, size_t len) {
  if (len == SIZE_MAX) {
    errno = ENOMEM;
    return NULL;
  }
  mp_obj *o = mp__obj_alloc(t, len + 1);
  if (!o) return NULL;
  o->u.s.data = (char *)(o + 1);
  if (len) memcpy(o->u.s.data, data, len);
  o->u.s.data[len] = '\0';
  o->u.s.len = len;
  o->u.s.ncp = len;
  return o;
}

mp_obj *mp__obj_str_trusted(const char *s, size_t len, size_t ncp) {
  mp_obj *o = bytes_like(MP_OBJ_STR, s, len);
  if (o) o->u.s.ncp = ncp;
  return o;
}

mp_obj *mp_obj_strn(const char *utf8, size_t len) {
  if (!utf8 && len) {
    errno = EINVAL;
    return NULL;
  }
  if (!utf8) utf8 = "";
  ptrdiff_t n = mp__utf8_count(utf8, len);
  if (n < 0) {
    errno = EILSEQ;
    return NULL;
  }
  return mp__obj_str_trusted(utf8, len, (size_t)n);
}

mp_obj *mp_obj_str(const char *utf8) {
  if (!utf8) {
    errno = EINVAL;
    return NULL;
  }
  return mp_obj_strn(utf8, strlen(utf8));
}

mp_obj *mp_obj_bytes(const void *data, size_t len) {
  if (!data && len) {
    errno = EINVAL;
    return NULL;
  }
  return bytes_like(MP_OBJ_BYTES, data, len);
}

/* ---- references ---- */

mp_obj *mp_obj_incref(mp_obj *o) {
  if (o && !o->immortal) atomic_fetch_add_explicit(&o->refs, 1, memory_order_relaxed);
  return o;
}

void mp_obj_decref(mp_obj *o) {
  if (!o || o->immortal) return;
  if (atomic_fetch_sub_explicit(&o->refs, 1, memory_order_acq_rel) != 1) return;
  switch (o->type) {
    case MP_OBJ_LIST:
    case MP_OBJ_TUPLE: mp__list_clear(o); break;
    case MP_OBJ_DICT: mp__dict_clear(o); break;
    default: break;
  }
  free(o);
}

/* ---- inspection ---- */

mp_obj_type mp_obj_type_of(const mp_obj *o) { return o ? o->type : MP_OBJ_NONE; }

const char *mp_obj_type_name(mp_obj_type t) {
  static const char *const names[] = {"NoneType", "bool", "int",   "float", "str",
                                      "bytes",    "list", "tuple", "dict"};
  return (unsigned)t < MP__ARRAY_LEN(names) ? names[t] : "unknown";
}

int mp_obj_get_bool(const mp_obj *o, bool *out) {
  if (!o || !out || o->type != MP_OBJ_BOOL) return -EINVAL;
  *out = o->u.b;
  return 0;
}

int mp_obj_get_int(const mp_obj *o, int64_t *out) {
  if (!o || !out) return -EINVAL;
  if (o->type == MP_OBJ_INT)
    *out = o->u.i;
  else if (o->type == MP_OBJ_BOOL)
    *out = o->u.b;
  else
    return -EINVAL;
  return 0;
}

int mp_obj_get_float(const mp_obj *o, double *out) {
  if (!o || !out) return -EINVAL;
  if (o->type == MP_OBJ_FLOAT)
    *out = o->u.f;
  else if (o->type == MP_OBJ_INT)
    *out = (double)o->u.i;
  else if (o->type == MP_OBJ_BOOL)
    *out = o->u.b;
  else
    return -EINVAL;
  return 0;
}

const char *mp_obj_str_data(const mp_obj *o, size_t *len) {
  if (!o || o->type != MP_OBJ_STR) return NULL;
  if (len) *len = o->u.s.len;
  return o->u.s.data;
}

const void *mp_obj_bytes_data(const mp_obj *o, size_t *len) {
  if (!o || o->type != MP_OBJ_BYTES) return NULL;
  if (len) *len = o->u.s.len;
  return o->u.s.data;
}

size_t mp_obj_len(const mp_obj *o) {
  if (!o) return 0;
  switch (o->type) {
    case MP_OBJ_STR: return o->u.s.ncp;
    case MP_OBJ_BYTES: return o->u.s.len;
    case MP_OBJ_LIST:
    case MP_OBJ_TUPLE: return o->u.seq.len;
    case MP_OBJ_DICT: return o->u.d.used;
    default: return 0;
  }
}
