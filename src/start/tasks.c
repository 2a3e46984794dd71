/* SPDX-License-Identifier: MIT */
/* tasks.c -- the table of named tasks: functions registered under a name at load time, so
 * that a child running another image of the program (forkserver, spawn) can find them.
 *
 * The table is append-only and filled in registration order.  Two images of one binary run
 * the same constructors in the same order, so an entry has the same index in both; a task
 * travels as that index plus a hash of its name, and a child whose entry at that index has
 * another hash (a function registered at run time in the parent only) looks the name's hash up
 * instead, then gives up with MP_ENOTREG. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "start/start_internal.h"

#define CHUNK 64 /* entries per chunk */
#define CHUNKS 64 /* at most CHUNK * CHUNKS = 4096 entries */

typedef struct task_entry {
  const char *name;
  void (*fn)(void);
  const void *obj; /* MP__OBJ_* kinds register data, not a function */
  uint32_t kind;
  uint32_t hash;
} task_entry;

/* Chunks are allocated as entries arrive and never move, so a reader needs no lock.  Not one
 * static array: 128 KiB of .bss between the library's variables would put those that a forked
 * child writes on pages of their own, each one more page fault in every child. */
static task_entry *chunks[CHUNKS];
static atomic_uint ntasks; /* published entries; an entry is written before the count moves */
static pthread_mutex_t add_mu = PTHREAD_MUTEX_INITIALIZER;

/* Entry i, i below a count loaded with acquire (its chunk was stored before the count). */
static task_entry *at(unsigned i) { return &chunks[i / CHUNK][i % CHUNK]; }

static uint32_t task_hash(const char *name, uint32_t kind) {
  uint32_t h = 2166136261u ^ kind; /* FNV-1a */
  for (const unsigned char *p = (const unsigned char *)name; *p; p++) h = (h ^ *p) * 16777619u;
  return h;
}

static int add(const char *name, uint32_t kind, void (*fn)(void), const void *obj) {
  if (name == NULL || (fn == NULL && obj == NULL) || name[0] == '\0' ||
      strlen(name) >= MP_TASK_NAME_MAX)
    return -EINVAL;
  pthread_mutex_lock(&add_mu);
  unsigned n = atomic_load(&ntasks);
  int rc = 0;
  for (unsigned i = 0; i < n && rc == 0; i++)
    if (at(i)->kind == kind && strcmp(at(i)->name, name) == 0)
      rc = at(i)->fn == fn && at(i)->obj == obj ? 1 : -EEXIST;
  if (rc == 0 && n == CHUNK * CHUNKS) rc = -ENOMEM;
  if (rc == 0 && n % CHUNK == 0 && (chunks[n / CHUNK] = calloc(CHUNK, sizeof(task_entry))) == NULL)
    rc = -ENOMEM;
  if (rc == 0) {
    *at(n) = (task_entry){
        .name = name, .fn = fn, .obj = obj, .kind = kind, .hash = task_hash(name, kind)};
    atomic_store_explicit(&ntasks, n + 1, memory_order_release);
  }
  pthread_mutex_unlock(&add_mu);
  return rc == 1 ? 0 : rc;
}

int mp_register_task(const char *name, mp_task_fn fn) {
  return add(name, MP__FN_TASK, (void (*)(void))fn, NULL);
}
int mp_register_map_task(const char *name, mp_map_fn fn) {
  return add(name, MP__FN_MAP, (void (*)(void))fn, NULL);
}
int mp_register_target(const char *name, mp_target_fn fn) {
  return add(name, MP__FN_TARGET, (void (*)(void))fn, NULL);
}

static const task_entry *by_name(const char *name, uint32_t kind) {
  if (name == NULL) return NULL;
  unsigned n = atomic_load_explicit(&ntasks, memory_order_acquire);
  for (unsigned i = 0; i < n; i++)
    if (at(i)->kind == kind && strcmp(at(i)->name, name) == 0) return at(i);
  return NULL;
}

mp_task_fn mp_task_named(const char *name) {
  const task_entry *e = by_name(name, MP__FN_TASK);
  return e ? (mp_task_fn)e->fn : NULL;
}
mp_map_fn mp_map_task_named(const char *name) {
  const task_entry *e = by_name(name, MP__FN_MAP);
  return e ? (mp_map_fn)e->fn : NULL;
}
mp_target_fn mp_target_named(const char *name) {
  const task_entry *e = by_name(name, MP__FN_TARGET);
  return e ? (mp_target_fn)e->fn : NULL;
}

const char *mp_task_name_of(void (*fn)(void)) {
  unsigned n = atomic_load_explicit(&ntasks, memory_order_acquire);
  for (unsigned i = 0; i < n; i++)
    if (fn != NULL && at(i)->fn == fn) return at(i)->name;
  return NULL;
}

int mp__task_ref_of(uint32_t kind, void (*fn)(void), mp__task_ref *out) {
  unsigned n = atomic_load_explicit(&ntasks, memory_order_acquire);
  for (unsigned i = 0; i < n; i++)
    if (fn != NULL && at(i)->fn == fn && at(i)->kind == kind) {
      *out = (mp__task_ref){.index = i + 1, .hash = at(i)->hash};
      return 0;
    }
  return MP_ENOTREG;
}

const char *mp__task_ref_name(mp__task_ref ref) {
  unsigned n = atomic_load_explicit(&ntasks, memory_order_acquire);
  return ref.index >= 1 && ref.index <= n ? at(ref.index - 1)->name : NULL;
}

void (*mp__task_resolve(uint32_t kind, mp__task_ref ref))(void) {
  unsigned n = atomic_load_explicit(&ntasks, memory_order_acquire);
  if (ref.index >= 1 && ref.index <= n && at(ref.index - 1)->hash == ref.hash &&
      at(ref.index - 1)->kind == kind)
    return at(ref.index - 1)->fn;
  for (unsigned i = 0; i < n; i++)
    if (at(i)->hash == ref.hash && at(i)->kind == kind) return at(i)->fn;
  return NULL;
}

int mp__register_entry(const char *name, int (*fn)(void *payload, size_t len)) {
  return add(name, MP__FN_ENTRY, (void (*)(void))fn, NULL);
}

int mp__register_object(const char *name, uint32_t kind, const void *obj) {
  if (obj == NULL) return -EINVAL;
  return add(name, kind, NULL, obj);
}

const void *mp__object_named(uint32_t kind, const char *name) {
  const task_entry *e = by_name(name, kind);
  return e ? e->obj : NULL;
}
