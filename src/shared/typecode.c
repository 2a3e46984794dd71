/* SPDX-License-Identifier: MIT */
/* typecode.c -- the typecode table of Python's sharedctypes (typecode_to_type, plus '?' for
 * c_bool) and the conversions between stored elements and int64/uint64/double. */
#include <float.h>
#include <limits.h>
#include <stdbool.h>
#include <string.h>
#include <wchar.h>

#include "shared/shared_internal.h"

typedef struct {
  char code;
  unsigned char size;
  unsigned char kind;
  const char *ctype; /* Python's ctypes name */
  const char *c_name; /* the C type */
  int64_t smin, smax; /* signed kinds */
  uint64_t umax; /* unsigned kinds */
} tc_info;

/* Sorted as Python's pprint shows typecode_to_type, then '?'. */
static const tc_info TABLE[] = {
    {'B', sizeof(unsigned char), MP__K_UNSIGNED, "c_ubyte", "unsigned char", 0, 0, UCHAR_MAX},
    {'H', sizeof(unsigned short), MP__K_UNSIGNED, "c_ushort", "unsigned short", 0, 0, USHRT_MAX},
    {'I', sizeof(unsigned int), MP__K_UNSIGNED, "c_uint", "unsigned int", 0, 0, UINT_MAX},
    {'L', sizeof(unsigned long), MP__K_UNSIGNED, "c_ulong", "unsigned long", 0, 0, ULONG_MAX},
    {'Q', sizeof(unsigned long long), MP__K_UNSIGNED, "c_ulonglong", "unsigned long long", 0, 0,
     ULLONG_MAX},
    {'b', sizeof(signed char), MP__K_SIGNED, "c_byte", "signed char", SCHAR_MIN, SCHAR_MAX, 0},
    {'c', sizeof(char), MP__K_UNSIGNED, "c_char", "char", 0, 0, UCHAR_MAX},
    {'d', sizeof(double), MP__K_FLOAT, "c_double", "double", 0, 0, 0},
    {'f', sizeof(float), MP__K_FLOAT, "c_float", "float", 0, 0, 0},
    {'h', sizeof(short), MP__K_SIGNED, "c_short", "short", SHRT_MIN, SHRT_MAX, 0},
    {'i', sizeof(int), MP__K_SIGNED, "c_int", "int", INT_MIN, INT_MAX, 0},
    {'l', sizeof(long), MP__K_SIGNED, "c_long", "long", LONG_MIN, LONG_MAX, 0},
    {'q', sizeof(long long), MP__K_SIGNED, "c_longlong", "long long", LLONG_MIN, LLONG_MAX, 0},
    {'u', sizeof(wchar_t), MP__K_SIGNED, "c_wchar", "wchar_t", WCHAR_MIN, WCHAR_MAX, 0},
    {'?', sizeof(bool), MP__K_BOOL, "c_bool", "bool", 0, 1, 1},
};

static const tc_info *lookup(char code) {
  if (code == 0) return NULL;
  for (size_t i = 0; i < MP__ARRAY_LEN(TABLE); i++)
    if (TABLE[i].code == code) return &TABLE[i];
  return NULL;
}

size_t mp_typecode_size(char typecode) {
  const tc_info *t = lookup(typecode);
  return t ? t->size : 0;
}

const char *mp_typecode_ctype(char typecode) {
  const tc_info *t = lookup(typecode);
  return t ? t->ctype : NULL;
}

const char *mp_typecode_ctype_c(char typecode) {
  const tc_info *t = lookup(typecode);
  return t ? t->c_name : NULL;
}

const char *mp_typecodes(void) { return "BHILQbcdfhilqu?"; }

/* ---- loads and stores of one element; p points into the object's data ---- */

static int64_t load_signed(const void *p, size_t size) {
  switch (size) {
    case 1: {
      int8_t x;
      memcpy(&x, p, 1);
      return x;
    }
    case 2: {
      int16_t x;
      memcpy(&x, p, 2);
      return x;
    }
    case 4: {
      int32_t x;
      memcpy(&x, p, 4);
      return x;
    }
    default: {
      int64_t x;
      memcpy(&x, p, 8);
      return x;
    }
  }
}

static uint64_t load_unsigned(const void *p, size_t size) {
  switch (size) {
    case 1: {
      uint8_t x;
      memcpy(&x, p, 1);
      return x;
    }
    case 2: {
      uint16_t x;
      memcpy(&x, p, 2);
      return x;
    }
    case 4: {
      uint32_t x;
      memcpy(&x, p, 4);
      return x;
    }
    default: {
      uint64_t x;
      memcpy(&x, p, 8);
      return x;
    }
  }
}

static void store_unsigned(void *p, size_t size, uint64_t v) {
  switch (size) {
    case 1: {
      uint8_t x = (uint8_t)v;
      memcpy(p, &x, 1);
      break;
    }
    case 2: {
      uint16_t x = (uint16_t)v;
      memcpy(p, &x, 2);
      break;
    }
    case 4: {
      uint32_t x = (uint32_t)v;
      memcpy(p, &x, 4);
      break;
    }
    default: memcpy(p, &v, 8); break;
  }
}

/* Two's complement truncation of an in-range value is the value itself. */
static void store_signed(void *p, size_t size, int64_t v) { store_unsigned(p, size, (uint64_t)v); }

/* An integer as sign + magnitude-ish pair: neg tells whether it is below zero, then s holds
 * it; otherwise u holds it. */
typedef struct {
  bool neg;
  int64_t s;
  uint64_t u;
} wide;

static int load_int(const tc_info *t, const void *p, wide *w) {
  switch (t->kind) {
    case MP__K_SIGNED: {
      int64_t s = load_signed(p, t->size);
      *w = (wide){s < 0, s, s < 0 ? 0 : (uint64_t)s};
      return 0;
    }
    case MP__K_UNSIGNED:
      *w = (wide){false, 0, load_unsigned(p, t->size)};
      w->s = w->u > INT64_MAX ? INT64_MAX : (int64_t)w->u;
      return 0;
    case MP__K_BOOL: {
      unsigned char b;
      memcpy(&b, p, 1);
      *w = (wide){false, b != 0, b != 0};
      return 0;
    }
    default: return -EINVAL;
  }
}

static int store_int(const tc_info *t, void *p, wide w) {
  switch (t->kind) {
    case MP__K_SIGNED:
      if (w.neg) {
        if (w.s < t->smin) return -ERANGE;
        store_signed(p, t->size, w.s);
      } else {
        if (w.u > (uint64_t)t->smax) return -ERANGE;
        store_signed(p, t->size, (int64_t)w.u);
      }
      return 0;
    case MP__K_UNSIGNED:
      if (w.neg || w.u > t->umax) return -ERANGE;
      store_unsigned(p, t->size, w.u);
      return 0;
    case MP__K_BOOL: {
      bool b = w.neg || w.u != 0;
      memcpy(p, &b, sizeof b);
      return 0;
    }
    default: return -EINVAL;
  }
}

static wide from_i64(int64_t x) { return (wide){x < 0, x, x < 0 ? 0 : (uint64_t)x}; }

/* ---- typed access under the lock ---- */

/* The access's own error wins over the lock's news (MP_EOWNERDEAD). */
static int combine(int op_rc, int unlock_rc) { return op_rc ? op_rc : unlock_rc; }

static int locate(mp__shobj *o, size_t i, const tc_info **t, void **p) {
  if (o == NULL) return -EINVAL;
  if (i >= o->length) return -ERANGE;
  *t = lookup(o->typecode);
  if (*t == NULL) return -EINVAL;
  *p = o->data + i * o->elem_size;
  return 0;
}

int mp__shobj_get_i64(mp__shobj *o, size_t i, int64_t *out) {
  const tc_info *t;
  void *p;
  int rc = out ? locate(o, i, &t, &p) : -EINVAL;
  if (rc) return rc;
  if (t->kind == MP__K_FLOAT) return -EINVAL;
  int lk = mp__shobj_lock(o);
  if (lk != 0 && lk != MP_EOWNERDEAD) return lk;
  wide w;
  rc = load_int(t, p, &w);
  if (rc == 0 && !w.neg && w.u > INT64_MAX) rc = -ERANGE;
  if (rc == 0) *out = w.neg ? w.s : (int64_t)w.u;
  return combine(rc, mp__shobj_unlock(o, lk));
}

int mp__shobj_get_u64(mp__shobj *o, size_t i, uint64_t *out) {
  const tc_info *t;
  void *p;
  int rc = out ? locate(o, i, &t, &p) : -EINVAL;
  if (rc) return rc;
  if (t->kind == MP__K_FLOAT) return -EINVAL;
  int lk = mp__shobj_lock(o);
  if (lk != 0 && lk != MP_EOWNERDEAD) return lk;
  wide w;
  rc = load_int(t, p, &w);
  if (rc == 0 && w.neg) rc = -ERANGE;
  if (rc == 0) *out = w.u;
  return combine(rc, mp__shobj_unlock(o, lk));
}

static int set_wide(mp__shobj *o, size_t i, wide w) {
  const tc_info *t;
  void *p;
  int rc = locate(o, i, &t, &p);
  if (rc) return rc;
  if (t->kind == MP__K_FLOAT) return -EINVAL;
  int lk = mp__shobj_lock(o);
  if (lk != 0 && lk != MP_EOWNERDEAD) return lk;
  rc = store_int(t, p, w);
  return combine(rc, mp__shobj_unlock(o, lk));
}

int mp__shobj_set_i64(mp__shobj *o, size_t i, int64_t x) { return set_wide(o, i, from_i64(x)); }

int mp__shobj_set_u64(mp__shobj *o, size_t i, uint64_t x) {
  return set_wide(o, i, (wide){false, x > INT64_MAX ? INT64_MAX : (int64_t)x, x});
}

int mp__shobj_add_i64(mp__shobj *o, size_t i, int64_t delta, int64_t *out) {
  const tc_info *t;
  void *p;
  int rc = locate(o, i, &t, &p);
  if (rc) return rc;
  if (t->kind == MP__K_FLOAT) return -EINVAL;
  int lk = mp__shobj_lock(o);
  if (lk != 0 && lk != MP_EOWNERDEAD) return lk;
  wide w;
  int64_t sum = 0;
  rc = load_int(t, p, &w);
  if (rc == 0 && !w.neg && w.u > INT64_MAX) rc = -ERANGE;
  if (rc == 0 && __builtin_add_overflow(w.neg ? w.s : (int64_t)w.u, delta, &sum)) rc = -ERANGE;
  if (rc == 0) rc = store_int(t, p, from_i64(sum));
  if (rc == 0 && out) {
    load_int(t, p, &w); /* a bool stores any non-zero as 1 */
    *out = w.neg ? w.s : (int64_t)w.u;
  }
  return combine(rc, mp__shobj_unlock(o, lk));
}

int mp__shobj_get_f64(mp__shobj *o, size_t i, double *out) {
  const tc_info *t;
  void *p;
  int rc = out ? locate(o, i, &t, &p) : -EINVAL;
  if (rc) return rc;
  if (t->kind != MP__K_FLOAT) return -EINVAL;
  int lk = mp__shobj_lock(o);
  if (lk != 0 && lk != MP_EOWNERDEAD) return lk;
  if (t->size == sizeof(float)) {
    float f;
    memcpy(&f, p, sizeof f);
    *out = f;
  } else {
    memcpy(out, p, sizeof(double));
  }
  return mp__shobj_unlock(o, lk);
}

int mp__shobj_set_f64(mp__shobj *o, size_t i, double x) {
  const tc_info *t;
  void *p;
  int rc = locate(o, i, &t, &p);
  if (rc) return rc;
  if (t->kind != MP__K_FLOAT) return -EINVAL;
  int lk = mp__shobj_lock(o);
  if (lk != 0 && lk != MP_EOWNERDEAD) return lk;
  if (t->size == sizeof(float)) {
    /* Out of float's range the conversion is undefined in C; Python's c_float gives inf. */
    float f = x > FLT_MAX ? __builtin_inff() : x < -FLT_MAX ? -__builtin_inff() : (float)x;
    memcpy(p, &f, sizeof f);
  } else {
    memcpy(p, &x, sizeof x);
  }
  return mp__shobj_unlock(o, lk);
}
