/* SPDX-License-Identifier: MIT */
/* repr.c -- repr() exactly as Python 3 prints it: quoting and escapes of str and bytes,
 * shortest round-trip floats, containers. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obj/obj_internal.h"
#include "obj/unprintable.h"

typedef struct {
  char *p;
  size_t len, cap;
  bool oom;
} sbuf;

static void put(sbuf *b, const char *s, size_t n) {
  if (b->oom) return;
  if (n >= b->cap - b->len) {
    size_t cap = b->cap ? b->cap : 64;
    while (n >= cap - b->len) {
      if (cap > SIZE_MAX / 2) {
        b->oom = true;
        return;
      }
      cap *= 2;
    }
    char *p = realloc(b->p, cap);
    if (!p) {
      b->oom = true;
      return;
    }
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = '\0';
}

static void puts_(sbuf *b, const char *s) { put(b, s, strlen(s)); }

static bool printable(uint32_t c) {
  if (c < 0x80) return c >= 0x20 && c < 0x7f;
  size_t lo = 0, hi = MP__ARRAY_LEN(mp__unprintable);
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (c < mp__unprintable[mid][0])
      hi = mid;
    else if (c > mp__unprintable[mid][1])
      lo = mid + 1;
    else
      return false;
  }
  return true;
}

/* Python's choice: single quotes unless the text holds ' and no ". */
static char pick_quote(const char *s, size_t len) {
  return memchr(s, '\'', len) && !memchr(s, '"', len) ? '"' : '\'';
}

/* Escapes shared by str and bytes; false when c needs the caller's own treatment. */
static bool put_simple_escape(sbuf *b, uint32_t c, char quote) {
  switch (c) {
    case '\\': puts_(b, "\\\\"); return true;
    case '\t': puts_(b, "\\t"); return true;
    case '\n': puts_(b, "\\n"); return true;
    case '\r': puts_(b, "\\r"); return true;
    default:
      if (c == (unsigned char)quote) {
        char e[2] = {'\\', quote};
        put(b, e, 2);
        return true;
      }
      return false;
  }
}

static void repr_str(sbuf *b, const char *s, size_t len) {
  char q = pick_quote(s, len);
  const char *end = s + len;
  put(b, &q, 1);
  while (s < end) {
    const char *start = s;
    uint32_t c = mp__utf8_next(&s);
    if (put_simple_escape(b, c, q)) continue;
    if (printable(c)) {
      put(b, start, (size_t)(s - start));
    } else {
      char e[16];
      if (c < 0x100)
        snprintf(e, sizeof e, "\\x%02x", (unsigned)c);
      else if (c < 0x10000)
        snprintf(e, sizeof e, "\\u%04x", (unsigned)c);
      else
        snprintf(e, sizeof e, "\\U%08x", (unsigned)c);
      puts_(b, e);
    }
  }
  put(b, &q, 1);
}

static void repr_bytes(sbuf *b, const unsigned char *s, size_t len) {
  char q = pick_quote((const char *)s, len);
  put(b, "b", 1);
  put(b, &q, 1);
  for (size_t i = 0; i < len; i++) {
    if (put_simple_escape(b, s[i], q)) continue;
    if (s[i] >= 0x20 && s[i] < 0x7f) {
      put(b, (const char *)&s[i], 1);
    } else {
      char e[8];
      snprintf(e, sizeof e, "\\x%02x", (unsigned)s[i]);
      puts_(b, e);
    }
  }
  put(b, &q, 1);
}

/* float.__repr__: the shortest digits that round-trip, in fixed notation when the decimal
 * exponent is in [-4, 16), otherwise d[.ddd]e+XX. */
static void repr_float(sbuf *b, double v) {
  if (isnan(v)) {
    puts_(b, "nan");
    return;
  }
  if (isinf(v)) {
    puts_(b, v < 0 ? "-inf" : "inf");
    return;
  }
  char sci[40];
  for (int prec = 1; prec <= 17; prec++) {
    snprintf(sci, sizeof sci, "%.*e", prec - 1, v);
    if (strtod(sci, NULL) == v) break;
  }
  /* sci is [-]d[.ddd]e[+-]XX */
  const char *p = sci;
  char digits[24];
  size_t nd = 0;
  if (*p == '-') {
    put(b, "-", 1);
    p++;
  }
  for (; *p != 'e'; p++)
    if (*p != '.') digits[nd++] = *p;
  int exp = atoi(p + 1);
  while (nd > 1 && digits[nd - 1] == '0') nd--;
  char out[64];
  size_t n = 0;
  if (exp >= 16 || exp < -4) {
    out[n++] = digits[0];
    if (nd > 1) {
      out[n++] = '.';
      memcpy(out + n, digits + 1, nd - 1);
      n += nd - 1;
    }
    n += (size_t)snprintf(out + n, sizeof out - n, "e%c%02d", exp < 0 ? '-' : '+',
                          exp < 0 ? -exp : exp);
  } else if (exp >= 0) {
    for (int i = 0; i <= exp; i++) out[n++] = (size_t)i < nd ? digits[i] : '0';
    out[n++] = '.';
    if (nd > (size_t)exp + 1) {
      memcpy(out + n, digits + exp + 1, nd - (size_t)exp - 1);
      n += nd - (size_t)exp - 1;
    } else {
      out[n++] = '0';
    }
  } else {
    out[n++] = '0';
    out[n++] = '.';
    for (int i = 0; i < -exp - 1; i++) out[n++] = '0';
    memcpy(out + n, digits, nd);
    n += nd;
  }
  put(b, out, n);
}

static void repr_obj(sbuf *b, const mp_obj *o, size_t depth) {
  char num[32];
  if (!o) {
    puts_(b, "<NULL>");
    return;
  }
  if (depth > MP__OBJ_DEPTH_CEILING) { /* Python would raise RecursionError */
    puts_(b, "...");
    return;
  }
  switch (o->type) {
    case MP_OBJ_NONE: puts_(b, "None"); break;
    case MP_OBJ_BOOL: puts_(b, o->u.b ? "True" : "False"); break;
    case MP_OBJ_INT:
      snprintf(num, sizeof num, "%lld", (long long)o->u.i);
      puts_(b, num);
      break;
    case MP_OBJ_FLOAT: repr_float(b, o->u.f); break;
    case MP_OBJ_STR: repr_str(b, o->u.s.data, o->u.s.len); break;
    case MP_OBJ_BYTES: repr_bytes(b, (const unsigned char *)o->u.s.data, o->u.s.len); break;
    case MP_OBJ_LIST:
    case MP_OBJ_TUPLE: {
      bool list = o->type == MP_OBJ_LIST;
      put(b, list ? "[" : "(", 1);
      for (size_t i = 0; i < o->u.seq.len; i++) {
        if (i) put(b, ", ", 2);
        repr_obj(b, o->u.seq.items[i], depth + 1);
      }
      if (!list && o->u.seq.len == 1) put(b, ",", 1);
      put(b, list ? "]" : ")", 1);
      break;
    }
    case MP_OBJ_DICT: {
      size_t pos = 0;
      mp_obj *k, *v;
      bool first = true;
      put(b, "{", 1);
      while (mp_obj_dict_next(o, &pos, &k, &v)) {
        if (!first) put(b, ", ", 2);
        first = false;
        repr_obj(b, k, depth + 1);
        put(b, ": ", 2);
        repr_obj(b, v, depth + 1);
      }
      put(b, "}", 1);
      break;
    }
  }
}

char *mp_obj_repr(const mp_obj *o) {
  sbuf b = {0};
  repr_obj(&b, o, 0);
  if (b.oom) {
    free(b.p);
    errno = ENOMEM;
    return NULL;
  }
  return b.p;
}

int mp_obj_fprint(FILE *f, const mp_obj *o) {
  if (!f) return -EINVAL;
  char *s = mp_obj_repr(o);
  if (!s) return -ENOMEM;
  int rc = fputs(s, f) == EOF ? -EIO : 0;
  free(s);
  return rc;
}
