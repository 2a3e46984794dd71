/* SPDX-License-Identifier: MIT */
/* 001-9_sharedctypes.c -- twin of the sharedctypes program of seed 001.
 *
 *   n   = Value('i', 7)                       default lock: its own RLock
 *   b   = Value(c_bool, False, lock=False)     raw
 *   s   = Array('c', b'hello world', lock=lock)  a Lock shared with A
 *   arr = Array('i', range(5), lock=True)
 *   A   = Array(Point, [(1.875, -6.25), (-5.75, 2.0)], lock=lock)
 *
 * A child squares n, sets b, upper-cases s, sets arr[0] = 10 and squares every point; the
 * parent then prints 49, True, b'HELLO WORLD', [10, 1, 2, 3, 4] and
 * [(3.515625, 39.0625), (33.0625, 4.0)], and finally the typecode table
 * (sharedctypes.typecode_to_type, plus '?' for c_bool, which Python spells c_bool).
 *
 * The seed's output was printed by Python 2 and shows HELLO WORLD; Python 3 prints s.value as
 * bytes, b'HELLO WORLD', which is what this twin prints.  Python 3.11 lists 'q'/'Q' as c_long/
 * c_ulong because c_longlong is an alias of c_long on 64-bit Linux; the table here names the C
 * type each one really is.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <multiproc.h>

static void check(int rc, const char *what) {
  if (rc < 0) {
    fprintf(stderr, "%s: %s\n", what, mp_strerror(rc));
    exit(1);
  }
}

/* A double as Python's repr prints it: the shortest text that reads back the same, with ".0"
 * on whole numbers (3.515625, 4.0). */
static const char *py_float(char buf[32], double d) {
  for (int prec = 1; prec <= 17; prec++) {
    snprintf(buf, 32, "%.*g", prec, d);
    if (strtod(buf, NULL) == d) break;
  }
  if (!strpbrk(buf, ".einf")) strcat(buf, ".0");
  return buf;
}

struct point {
  double x, y;
};

typedef struct {
  mp_value *n, *b;
  mp_array *s, *arr, *A;
} shared;

static int modify(void *arg) {
  shared *sh = arg;

  /* n.value **= 2: a read-modify-write, so hold n's RLock across it (the accessors nest). */
  int64_t n;
  check(mp_value_acquire(sh->n, MP_FOREVER), "acquire n");
  check(mp_value_get_i64(sh->n, &n), "get n");
  check(mp_value_set_i64(sh->n, n * n), "set n");
  check(mp_value_release(sh->n), "release n");

  bool t = true;
  check(mp_value_set(sh->b, &t), "set b"); /* b.value = True (raw: no lock) */

  /* s.value = s.value.upper(): s and A share a plain Lock, which is not recursive, so work
   * on the raw storage while holding it. */
  check(mp_array_acquire(sh->s, MP_FOREVER), "acquire s");
  char *s = mp_array_ptr(sh->s);
  for (size_t i = 0; i < mp_array_len(sh->s); i++) s[i] = (char)toupper((unsigned char)s[i]);
  check(mp_array_release(sh->s), "release s");

  check(mp_array_set_i64(sh->arr, 0, 10), "arr[0] = 10");

  check(mp_array_acquire(sh->A, MP_FOREVER), "acquire A");
  struct point *A = mp_array_ptr(sh->A);
  for (size_t i = 0; i < mp_array_len(sh->A); i++) {
    A[i].x *= A[i].x;
    A[i].y *= A[i].y;
  }
  check(mp_array_release(sh->A), "release A");
  return 0;
}

int main(void) {
  shared sh;
  mp_lock_t *lock;
  check(mp_lock_new(&lock), "mp_lock_new");

  int seven = 7;
  check(mp_value_new(&sh.n, 'i', &seven, NULL), "Value('i', 7)");
  check(mp_value_new(&sh.b, '?', NULL, &(mp_shared_opts){.raw = true}),
        "Value(c_bool, False, lock=False)");
  check(mp_array_new(&sh.s, 'c', 11, "hello world", &(mp_shared_opts){.lock = lock}),
        "Array('c', b'hello world', lock=lock)");
  int range5[5] = {0, 1, 2, 3, 4};
  check(mp_array_new(&sh.arr, 'i', 5, range5, NULL), "Array('i', range(5), lock=True)");
  struct point pts[2] = {{1.875, -6.25}, {-5.75, 2.0}};
  check(mp_array_new_struct(&sh.A, sizeof(struct point), 2, pts, &(mp_shared_opts){.lock = lock}),
        "Array(Point, ..., lock=lock)");

  mp_process *p;
  check(mp_process_new(&p, modify, &sh, NULL), "mp_process_new");
  check(mp_process_start(p), "mp_process_start");
  check(mp_process_join(p, MP_FOREVER), "mp_process_join");
  mp_process_free(p);

  int64_t n;
  check(mp_value_get_i64(sh.n, &n), "n.value");
  printf("%lld\n", (long long)n);

  bool b;
  check(mp_value_get(sh.b, &b), "b.value");
  printf("%s\n", b ? "True" : "False");

  char s[12] = {0};
  check(mp_array_read(sh.s, 0, 11, s), "s.value");
  printf("b'%s'\n", s);

  int arr[5];
  check(mp_array_read(sh.arr, 0, 5, arr), "arr[:]");
  printf("[%d, %d, %d, %d, %d]\n", arr[0], arr[1], arr[2], arr[3], arr[4]);

  struct point A[2];
  check(mp_array_read(sh.A, 0, 2, A), "A[:]");
  char f[4][32];
  printf("[(%s, %s), (%s, %s)]\n", py_float(f[0], A[0].x), py_float(f[1], A[0].y),
         py_float(f[2], A[1].x), py_float(f[3], A[1].y));

  printf("typecode_to_type:\n");
  for (const char *tc = mp_typecodes(); *tc; tc++)
    printf("  '%c': ctypes.%-12s %s, %zu byte%s\n", *tc, mp_typecode_ctype(*tc),
           mp_typecode_ctype_c(*tc), mp_typecode_size(*tc), mp_typecode_size(*tc) > 1 ? "s" : "");

  mp_value_free(sh.n);
  mp_value_free(sh.b);
  mp_array_free(sh.s);
  mp_array_free(sh.arr);
  mp_array_free(sh.A);
  mp_lock_free(lock);
  return 0;
}
