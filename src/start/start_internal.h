/* SPDX-License-Identifier: MIT */
/* start_internal.h -- the start methods inside the library: named tasks (tasks.c), the default
 * method (method.c), the record an exec'd child starts from (boot.c), and the two launchers
 * that make such children: spawn.c (a fresh exec per child) and forkserver.c (a server that
 * forks them). */
#ifndef MP_START_INTERNAL_H
#define MP_START_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "heap/heap.h"
#include "internal.h"

/* ---- named functions (tasks.c) ----
 * Kinds keep a task, an element function, a target and a library entry apart even under one
 * name. */
enum { MP__FN_TASK = 1, MP__FN_MAP = 2, MP__FN_TARGET = 3, MP__FN_ENTRY = 4 };
/* Named data rather than functions: a manager's registered type (an mp_manager_type). */
enum { MP__OBJ_MANAGER_TYPE = 16 };

/* How a registered function travels to another image: its place in the table (1-based) and
 * a hash of its kind and name. */
typedef struct mp__task_ref {
  uint32_t index;
  uint32_t hash;
} mp__task_ref;

/* The ref of a registered function of that kind; MP_ENOTREG when it is not registered. */
int mp__task_ref_of(uint32_t kind, void (*fn)(void), mp__task_ref *out);
/* The registered name of a ref made in this image (static string), or NULL. */
const char *mp__task_ref_name(mp__task_ref ref);
/* The function a ref names in this image, or NULL. */
void (*mp__task_resolve(uint32_t kind, mp__task_ref ref))(void);
/* Registers data under a name (kinds MP__OBJ_*), and finds it.  Errors as mp_register_task. */
int mp__register_object(const char *name, uint32_t kind, const void *obj);
const void *mp__object_named(uint32_t kind, const char *name);
/* Registers a library entry (below); used by MP__ENTRY. */
int mp__register_entry(const char *name, int (*fn)(void *payload, size_t len));

/* A library entry: what an exec'd child runs, with its own malloc'd copy of the payload the
 * parent gave (it may keep or free it).  Returns the child's exit code.  Registered at load
 * time, before the boot constructor looks for one, so it is known in every image. */
typedef int (*mp__entry_fn)(void *payload, size_t len);
#define MP__ENTRY(fn)                                                                              \
  __attribute__((constructor(150))) static void mp__register_entry_##fn(void) {                    \
    (void)mp__register_entry("mp." #fn, fn);                                                       \
  }                                                                                                \
  struct mp__entry_##fn##_needs_a_semicolon

/* ---- the default start method (method.c) ---- */

/* m itself, or the program's default for MP_START_DEFAULT; never MP_START_DEFAULT.
 * -EINVAL for a value that is no start method. */
int mp__start_method_resolve(mp_start_method m);

/* ---- what an exec'd child starts from (boot.c) ---- */

#define MP__BOOT_MAGIC UINT64_C(0x6d70626f6f743031) /* "mpboot01" */

typedef struct mp__boot {
  uint64_t magic;
  mp__heap_ref heap; /* the parent's shared heap (fd valid in the child) */
  int32_t parent_pid; /* the process that asked for the child: its parent_process() */
  uint32_t daemon;
  int32_t log_threshold;
  mp__task_ref entry; /* the library entry to run */
  char name[MP_PROCESS_NAME_MAX], ident[MP_PROCESS_NAME_MAX];
  char parent_name[MP_PROCESS_NAME_MAX], parent_ident[MP_PROCESS_NAME_MAX];
  uint32_t keep_socket; /* the child keeps the record's socket open (mp__boot_socket) */
  int32_t extra_fd; /* one more fd the child gets (its number there), or -1 */
  uint64_t payload_len; /* bytes that follow the record */
} mp__boot;

/* In a child whose record said keep_socket: the socket it came on; -1 otherwise. */
int mp__boot_socket(void);
/* In a child started from a record: the record's extra fd, or -1. */
int mp__boot_extra_fd(void);

/* Fills the parts of a record that describe the asking process and its heap. */
int mp__boot_prepare(mp__boot *b, const char *name, const char *ident, bool daemon,
                     mp__entry_fn entry, size_t payload_len);

/* The child's side: become the process the record describes and run its entry.  Never
 * returns. */
__attribute__((noreturn)) void mp__boot_run(const mp__boot *b, void *payload);

/* The argument vector the program was started with (the spawn children get the same). */
char *const *mp__boot_argv(void);

/* ---- launchers ----
 * Each starts a child that runs mp__boot_run(b, payload) in another image and returns its pid
 * (a child of the calling process: the caller opens its pidfd and reaps it), or a negative
 * error.  With keep non-NULL, spawn leaves the parent's end of the record's socket open there
 * (the child keeps its own when the record says keep_socket). */
pid_t mp__spawn_launch(const mp__boot *b, const void *payload, int *keep);
pid_t mp__forkserver_launch(const mp__boot *b, const void *payload);

/* Starts this process's forkserver unless it runs.  Returns 0 or a negative error. */
int mp__forkserver_ensure(void);

#endif
