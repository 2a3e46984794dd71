/* SPDX-License-Identifier: MIT */
/* hash.c -- hashing (SipHash-1-3 under a per-process random key, as CPython does, so that
 * untrusted dict keys cannot be chosen to collide) and Python's == across the value types. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "obj/obj_internal.h"
#include "os/os.h"

static uint64_t sip_k0, sip_k1;
static pthread_once_t sip_once = PTHREAD_ONCE_INIT;

static void sip_seed(void) {
  uint64_t k[2];
  (void)mp__random_bytes(k, sizeof k); /* its fallback is unpredictable enough for a hash key */
  sip_k0 = k[0];
  sip_k1 = k[1];
}

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                                                   \
  do {                                                                                             \
    v0 += v1;                                                                                      \
    v1 = ROTL(v1, 13);                                                                             \
    v1 ^= v0;                                                                                      \
    v0 = ROTL(v0, 32);                                                                             \
    v2 += v3;                                                                                      \
    v3 = ROTL(v3, 16);                                                                             \
    v3 ^= v2;                                                                                      \
    v0 += v3;                                                                                      \
    v3 = ROTL(v3, 21);                                                                             \
    v3 ^= v0;                                                                                      \
    v2 += v1;                                                                                      \
    v1 = ROTL(v1, 17);                                                                             \
    v1 ^= v2;                                                                                      \
    v2 = ROTL(v2, 32);                                                                             \
  } while (0)

/* SipHash-1-3 of len bytes under the process key, tweaked by tag (one per kind of value). */
static uint64_t siphash(uint64_t tag, const void *data, size_t len) {
  pthread_once(&sip_once, sip_seed);
  const unsigned char *p = data;
  uint64_t k0 = sip_k0 ^ tag, k1 = sip_k1;
  uint64_t v0 = k0 ^ 0x736f6d6570736575ULL, v1 = k1 ^ 0x646f72616e646f6dULL;
  uint64_t v2 = k0 ^ 0x6c7967656e657261ULL, v3 = k1 ^ 0x7465646279746573ULL;
  uint64_t b = (uint64_t)len << 56;
  for (; len >= 8; p += 8, len -= 8) {
    uint64_t m = 0;
    for (int i = 0; i < 8; i++) m |= (uint64_t)p[i] << (8 * i);
    v3 ^= m;
    SIPROUND;
    v0 ^= m;
  }
  for (size_t i = 0; i < len; i++) b |= (uint64_t)p[i] << (8 * i);
  v3 ^= b;
  SIPROUND;
  v0 ^= b;
  v2 ^= 0xff;
  SIPROUND;
  SIPROUND;
  SIPROUND;
  return v0 ^ v1 ^ v2 ^ v3;
}

enum { TAG_NUM = 1, TAG_FLOAT = 2, TAG_STR = 3, TAG_BYTES = 4, TAG_TUPLE = 5, TAG_NAN = 6 };

uint64_t mp__hash_str(const char *s, size_t len) { return siphash(TAG_STR, s, len); }

/* Whether a double holds an integer that an int64_t can hold exactly, stored in *i. */
static bool float_as_int(double f, int64_t *i) {
  if (!(f >= -9223372036854775808.0 && f < 9223372036854775808.0) || f != floor(f)) return false;
  *i = (int64_t)f;
  return true;
}

static uint64_t hash_int(int64_t v) {
  unsigned char b[8];
  for (int k = 0; k < 8; k++) b[k] = (unsigned char)((uint64_t)v >> (8 * k));
  return siphash(TAG_NUM, b, sizeof b);
}

int mp__obj_hash(const mp_obj *o, uint64_t *h) {
  int64_t i;
  switch (o->type) {
    case MP_OBJ_NONE: *h = 0x5bd1e995u; return 0;
    case MP_OBJ_BOOL: *h = hash_int(o->u.b); return 0;
    case MP_OBJ_INT: *h = hash_int(o->u.i); return 0;
    case MP_OBJ_FLOAT:
      if (float_as_int(o->u.f, &i)) {
        *h = hash_int(i);
      } else if (isnan(o->u.f)) {
        /* A NaN equals nothing, not even itself, so one shared hash would put every NaN key on
       * one probe chain that each insertion walks to its end: n keys cost n^2.  As in Python
       * 3.10+, each NaN object hashes by its address -- it is only ever found as itself. */
        uintptr_t addr = (uintptr_t)o;
        *h = siphash(TAG_NAN, &addr, sizeof addr);
      } else {
        unsigned char b[8];
        memcpy(b, &o->u.f, sizeof b);
        *h = siphash(TAG_FLOAT, b, sizeof b);
      }
      return 0;
    case MP_OBJ_STR: *h = mp__hash_str(o->u.s.data, o->u.s.len); return 0;
    case MP_OBJ_BYTES: *h = siphash(TAG_BYTES, o->u.s.data, o->u.s.len); return 0;
    case MP_OBJ_TUPLE: {
      /* xxHash-style combination, as CPython's tuple hash */
      uint64_t acc = 0x27d4eb2f165667c5ULL;
      for (size_t k = 0; k < o->u.seq.len; k++) {
        uint64_t ih;
        int rc = mp__obj_hash(o->u.seq.items[k], &ih);
        if (rc) return rc;
        acc += ih * 0xc2b2ae3d27d4eb4fULL;
        acc = ROTL(acc, 31);
        acc *= 0x9e3779b185ebca87ULL;
      }
      *h = acc + (o->u.seq.len ^ 0x27d4eb2f165667c5ULL ^ 3527539UL);
      return 0;
    }
    default: return -EINVAL;
  }
}

uint64_t mp_obj_hash(const mp_obj *o) {
  uint64_t h;
  return o && mp__obj_hash(o, &h) == 0 ? h : 0;
}

/* ---- equality ---- */

static bool is_number(const mp_obj *o) {
  return o->type == MP_OBJ_BOOL || o->type == MP_OBJ_INT || o->type == MP_OBJ_FLOAT;
}

static bool numbers_equal(const mp_obj *a, const mp_obj *b) {
  if (a->type == MP_OBJ_FLOAT && b->type == MP_OBJ_FLOAT) return a->u.f == b->u.f;
  if (b->type == MP_OBJ_FLOAT) {
    const mp_obj *t = a;
    a = b;
    b = t;
  }
  int64_t bi = b->type == MP_OBJ_INT ? b->u.i : (int64_t)b->u.b;
  if (a->type != MP_OBJ_FLOAT) return (a->type == MP_OBJ_INT ? a->u.i : (int64_t)a->u.b) == bi;
  int64_t ai; /* compared exactly, as Python does: 2**63-1 != 2.0**63 */
  return float_as_int(a->u.f, &ai) && ai == bi;
}

static bool dicts_equal(const mp_obj *a, const mp_obj *b) {
  if (a->u.d.used != b->u.d.used) return false;
  size_t pos = 0;
  mp_obj *k, *v;
  while (mp_obj_dict_next(a, &pos, &k, &v)) {
    mp_obj *w = mp_obj_dict_get(b, k);
    if (!w || (v != w && !mp_obj_equal(v, w))) return false;
  }
  return true;
}

bool mp_obj_equal(const mp_obj *a, const mp_obj *b) {
  if (!a || !b) return a == b;
  if (is_number(a) && is_number(b)) return numbers_equal(a, b);
  if (a->type != b->type) return false;
  switch (a->type) {
    case MP_OBJ_NONE: return true;
    case MP_OBJ_STR:
    case MP_OBJ_BYTES:
      return a->u.s.len == b->u.s.len && memcmp(a->u.s.data, b->u.s.data, a->u.s.len) == 0;
    case MP_OBJ_LIST:
    case MP_OBJ_TUPLE:
      if (a->u.seq.len != b->u.seq.len) return false;
      for (size_t i = 0; i < a->u.seq.len; i++)
        if (a->u.seq.items[i] != b->u.seq.items[i] && /* identity first, as Python */
            !mp_obj_equal(a->u.seq.items[i], b->u.seq.items[i]))
          return false;
      return true;
    case MP_OBJ_DICT: return dicts_equal(a, b);
    default: return false;
  }
}
