/* SPDX-License-Identifier: MIT */
/* multiproc/start.h -- start methods (Python's fork, forkserver and spawn), contexts and named
 * tasks.
 *
 * A start method says how a child process or pool worker comes to exist:
 *   fork        the caller's address space is copied (today's behaviour, and the default).
 *               The child sees every global and heap object as it was at the start; any
 *               function pointer works.  Fast (a few hundred us), but a fork of a program with
 *               threads copies whatever locks those threads held.
 *   forkserver  a small single-threaded server, started on first use as a fresh exec of the
 *               program (/proc/self/exe), forks each child on request.  The child is the
 *               program's own binary with its globals as they were when the server started
 *               (their load-time values: the server runs none of main()), plus the shared heap.
 *               Nothing of the caller's threads or locks is copied.
 *   spawn       a fresh exec of /proc/self/exe for every child, which runs only the named task.
 *               Globals are at their load-time values; the shared heap is mapped at the same
 *               address, so pointers to shared objects (queues, locks, values) still work.
 * Under forkserver and spawn a function pointer means nothing in the child (another image, at
 * another address), so tasks are named: register each function at load time with MP_TASK(),
 * MP_MAP_TASK() or MP_TARGET(), and the library sends its name.  A pointer to a registered
 * function is accepted and sent by name; an unregistered one fails with MP_ENOTREG.
 * docs/process.md lists what each method inherits and costs. */
#ifndef MULTIPROC_START_H
#define MULTIPROC_START_H

#include <stdbool.h>
#include <stddef.h>

#include "common.h"
#include "pool.h"
#include "process.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- start methods and contexts ---- */

/* mp_start_method (MP_START_DEFAULT, MP_START_FORK, MP_START_FORKSERVER, MP_START_SPAWN) is
 * declared in process.h, beside the options that take it. */

/* set_start_method(method, force): fixes the program-wide default ("fork", "forkserver" or
 * "spawn").  Settable once, as in Python: a second call fails with MP_ESTATE unless force is
 * true.  Choosing "forkserver" also starts the server now, so a call at the top of main(), before
 * any thread exists, gives the cleanest server.  Errors: -EINVAL (unknown name), MP_ESTATE,
 * errors of starting the forkserver. */
MP_EXTERN int mp_set_start_method(const char *method, bool force);

/* get_start_method(): the name of the default ("fork" unless set).  Like Python with
 * allow_none=False, asking fixes the default: a later mp_set_start_method() without force fails.
 * The string is static. */
MP_EXTERN const char *mp_get_start_method(void);

/* get_context(method): the start method named method (NULL: the default), for the start_method
 * field of mp_process_opts, mp_pool_opts and mp_manager_opts.  Errors: -EINVAL (unknown). */
MP_EXTERN int mp_get_context(const char *method, mp_start_method *out);

/* The name of a start method ("fork", ...); MP_START_DEFAULT gives the default's name, an
 * unknown value NULL.  Static string. */
MP_EXTERN const char *mp_start_method_name(mp_start_method m);

/* The forkserver's pid, or 0 when none runs in this process. */
MP_EXTERN pid_t mp_forkserver_pid(void);

/* Stops this process's forkserver (it exits once its current request is done) and waits for it
 * up to 5 s; the next forkserver child starts a new one.  Children it made are not affected.
 * Does nothing when none runs.  Returns 0, or MP_ETIMEDOUT (the server was then killed). */
MP_EXTERN int mp_forkserver_stop(void);

/* ---- processes running a named task ---- */

/* Makes a process handle that runs the task fn (an mp_task_fn, see pool.h) in the child with a
 * copy of len bytes at arg as its argument (mp_task_arg() reads them, mp_task_arg_obj() gives
 * them as a bytes value).  The task's return value (0..255) is the child's exit code;
 * mp_task_return() has nowhere to go in a process and fails with MP_ESTATE.  Works under every
 * start method; under forkserver and spawn fn must be registered (MP_TASK).  The bytes are
 * copied here; the caller keeps arg.  Errors: -EINVAL (out or fn NULL, arg NULL with len > 0,
 * bad name), MP_ENOTREG (fn not registered and the start method is not fork), -ENOMEM. */
MP_EXTERN int mp_process_new_task(mp_process **out, mp_task_fn fn, const void *arg, size_t len,
                                  const mp_process_opts *opts);

/* The same with a value argument (borrowed; encoded as MessagePack, so mp_task_arg_obj()
 * gives it back).  Errors: those above, MP_ETOOBIG (cannot be encoded). */
MP_EXTERN int mp_process_new_task_obj(mp_process **out, mp_task_fn fn, const mp_obj *arg,
                                      const mp_process_opts *opts);

/* ---- named tasks ---- */

/* Registers a function under a name, so that forkserver and spawn children -- which run in
 * another image of the program -- can find it.  Register at load time (the MP_* macros below
 * do, through a constructor): a child of forkserver or spawn knows only the functions
 * registered while the program loaded, not those registered later from main().  A name may be
 * registered once per kind; registering the same function again under the same name is a
 * no-op.  name must stay valid (a string literal).  Up to 4096 functions.
 * Errors: -EINVAL (NULL, empty name or name of MP_TASK_NAME_MAX characters or more), -EEXIST
 * (the name is taken by another function), -ENOMEM (the table is full). */
#define MP_TASK_NAME_MAX 64
MP_EXTERN int mp_register_task(const char *name, mp_task_fn fn);
MP_EXTERN int mp_register_map_task(const char *name, mp_map_fn fn);
MP_EXTERN int mp_register_target(const char *name, mp_target_fn fn);

/* The function registered under name, or NULL: pass it to any pool call or to mp_process_new()
 * to name a task by its name. */
MP_EXTERN mp_task_fn mp_task_named(const char *name);
MP_EXTERN mp_map_fn mp_map_task_named(const char *name);
MP_EXTERN mp_target_fn mp_target_named(const char *name);

/* The name a function was registered under (of any kind), or NULL. */
MP_EXTERN const char *mp_task_name_of(void (*fn)(void));

/* At file scope: registers fn (a pool task, mp_task_fn) under its own name when the program
 * loads.  MP_MAP_TASK does it for an element function of the typed array map (mp_map_fn), and
 * MP_TARGET for a process target or pool initializer (mp_target_fn). */
#define MP__REGISTER_AT_LOAD(fn, reg)                                                              \
  __attribute__((constructor)) static void mp__register_##fn(void) { (void)reg(#fn, fn); }         \
  struct mp__register_##fn##_needs_a_semicolon
#define MP_TASK(fn) MP__REGISTER_AT_LOAD(fn, mp_register_task)
#define MP_MAP_TASK(fn) MP__REGISTER_AT_LOAD(fn, mp_register_map_task)
#define MP_TARGET(fn) MP__REGISTER_AT_LOAD(fn, mp_register_target)

#ifdef __cplusplus
}
#endif
#endif
