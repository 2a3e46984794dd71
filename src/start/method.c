/* SPDX-License-Identifier: MIT */
/* method.c -- the program-wide default start method (set once, as Python's
 * set_start_method) and contexts (get_context). */
#include <stdatomic.h>
#include <string.h>

#include "start/start_internal.h"

/* 0 while nobody has set or asked for the default; then the method, for good (unless forced). */
static _Atomic int default_method;

static const char *const names[] = {NULL, "fork", "forkserver", "spawn"};

static int parse(const char *name) {
  if (name == NULL) return -EINVAL;
  for (int m = MP_START_FORK; m <= MP_START_SPAWN; m++)
    if (strcmp(name, names[m]) == 0) return m;
  return -EINVAL;
}

/* fork stays the default: it is what DESIGN.md promises (children inherit everything, any
 * function pointer works) and by far the cheapest; docs/process.md says when to pick another. */
static int fix_default(void) {
  int expected = 0;
  atomic_compare_exchange_strong(&default_method, &expected, MP_START_FORK);
  return atomic_load(&default_method);
}

int mp_set_start_method(const char *method, bool force) {
  int m = parse(method);
  if (m < 0) return m;
  int expected = 0;
  if (!atomic_compare_exchange_strong(&default_method, &expected, m)) {
    if (!force) return expected == m ? 0 : MP_ESTATE;
    atomic_store(&default_method, m);
  }
  if (m == MP_START_FORKSERVER) return mp__forkserver_ensure();
  return 0;
}

const char *mp_get_start_method(void) { return names[fix_default()]; }

int mp_get_context(const char *method, mp_start_method *out) {
  if (out == NULL) return -EINVAL;
  int m = method ? parse(method) : fix_default();
  if (m < 0) return m;
  *out = (mp_start_method)m;
  return 0;
}

const char *mp_start_method_name(mp_start_method m) {
  if (m == MP_START_DEFAULT) return names[fix_default()];
  return (int)m >= MP_START_FORK && (int)m <= MP_START_SPAWN ? names[m] : NULL;
}

int mp__start_method_resolve(mp_start_method m) {
  if (m == MP_START_DEFAULT) {
    int d = atomic_load_explicit(&default_method, memory_order_relaxed);
    return d ? d : MP_START_FORK; /* looking does not fix the default; only asking does */
  }
  return (int)m >= MP_START_FORK && (int)m <= MP_START_SPAWN ? (int)m : -EINVAL;
}
