/* SPDX-License-Identifier: MIT */
/* process_internal.h -- the process handle and the pieces of the process layer that share it:
 * handle operations (process.c), fork and the child's start (start.c), the registry of
 * children (registry.c) and the identity of the calling process (identity.c). */
#ifndef MP_PROCESS_INTERNAL_H
#define MP_PROCESS_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <sys/types.h>

#include "internal.h"

typedef enum {
  MP__PROC_CHILD, /* made by mp_process_new(): a child of its owner */
  MP__PROC_SELF, /* mp_current_process() */
  MP__PROC_PARENT, /* mp_parent_process() */
} mp__proc_kind;

typedef enum {
  MP__PROC_NEW, /* not started */
  MP__PROC_RUNNING, /* started, not reaped */
  MP__PROC_ENDED, /* reaped; exitcode known */
  MP__PROC_CLOSED, /* mp_process_close() released the pidfd */
} mp__proc_state;

struct mp_process {
  mp__proc_kind kind;
  /* Atomic: a thread other than the owner may reap the child (mp_active_children) and move
   * RUNNING to ENDED under the registry lock while the owner looks at the state without it;
   * exitcode and reap_error are written before that store and read after a load. */
  _Atomic(mp__proc_state) state;
  mp_target_fn target;
  void *arg;
  /* Set for every child that runs a library entry (start/start_internal.h) rather than a plain
   * target: all forkserver and spawn children, and fork children of mp_process_new_task().
   * The payload is malloc'd and owned by the handle. */
  int method; /* the start method, resolved at creation (never MP_START_DEFAULT) */
  int (*entry)(void *payload, size_t len);
  void *payload;
  size_t payload_len;
  int extra_fd; /* borrowed fd the child of another image also gets (boot.c), or -1 */
  char name[MP_PROCESS_NAME_MAX];
  char ident[MP_PROCESS_NAME_MAX]; /* Python's _identity joined by ':' ("1:2"); "" for main */
  bool daemon;
  pid_t pid; /* the child's pid once started; 0 before */
  pid_t owner_pid; /* the process that made the handle: only it may start, join or signal */
  int pidfd; /* owned while in the registry; -1 otherwise */
  int exitcode; /* valid in MP__PROC_ENDED */
  int reap_error; /* 0, or -ECHILD when the host program reaped the child behind our back */

  /* Registry links.  A handle is registered from start until close/free, i.e. exactly while it
   * owns a pidfd; the registry mutex guards state, exitcode and these fields. */
  bool registered;
  bool released; /* mp_process_free() ran while the child was running: free it once reaped */
  struct mp_process *reg_prev, *reg_next;
};

/* ---- registry.c ---- */
void mp__registry_lock(void);
void mp__registry_unlock(void);
/* Adds a started child (registry lock held). */
void mp__registry_add(mp_process *p);
/* Removes p (registry lock held) and closes its pidfd. */
void mp__registry_remove(mp_process *p);
/* Reaps p without blocking if it has ended.  Returns 1 when ended (now or before), 0 while it
 * runs, or a negative error.  Takes the registry lock itself. */
int mp__process_poll(mp_process *p);
/* Marks a registered handle as freed by its owner (registry lock held). */
void mp__registry_mark_released(mp_process *p);
/* Reaps every child whose handle was freed while it ran and that has ended since. */
void mp__registry_collect_released(void);
/* In a freshly forked child: forget the parent's children (closing the inherited pidfds) and
 * make the registry usable again.  The registry lock was held across fork. */
void mp__registry_after_fork_child(void);
/* Python's _exit_function: SIGTERM to running daemon children, then wait for every child. */
void mp__exit_children(void);
/* Registers mp__exit_children with atexit() once per process image. */
void mp__registry_install_atexit(void);

/* The single cached free handle: take it (NULL when none; its memory is stale), or offer p to
 * be kept (false when the slot is taken: free p then).  Lock-free, any thread. */
mp_process *mp__registry_take_spare(void);
bool mp__registry_keep_spare(mp_process *p);

/* ---- identity.c ---- */
/* Takes the next child number and writes the new child's identity and default name. */
void mp__identity_next(char ident[MP_PROCESS_NAME_MAX], char name[MP_PROCESS_NAME_MAX]);
/* In a freshly forked child: become p (name, identity, daemon flag) and remember the parent. */
void mp__identity_enter_child(const mp_process *p);
/* Parent-handle operations, for mp_parent_process(). */
bool mp__parent_is_alive(mp_process *parent);
int mp__parent_join(mp_process *parent, mp_timeout_ms timeout);
int mp__parent_sentinel(mp_process *parent);

/* Python's parent name and identity of a child started from a record (start/boot.c). */
void mp__identity_adopt(const char *name, const char *ident, bool daemon, pid_t parent_pid,
                        const char *parent_name, const char *parent_ident);
/* A handle's identity string ("1:2"; "" for the main process). */
const char *mp__identity_of(const mp_process *p);

/* ---- start.c: the child's side, whatever made it ---- */
/* What every child does first: stdin becomes /dev/null, exit() inside it leaves without the
 * parent's atexit handlers, a daemon gets its parent-death signal. */
void mp__child_prelude(bool daemon, pid_t parent_pid);
/* The child's way out: its own children, the exit hooks, a flush, _exit(code). */
__attribute__((noreturn)) void mp__child_leave(int code);

/* ---- process.c ---- */
/* A handle whose child runs entry(copy of payload) under start method `method` (resolved).
 * payload (malloc'd, may be NULL with len 0) is taken over, also on error. */
int mp__process_new_entry(mp_process **out, int method, int (*entry)(void *, size_t), void *payload,
                          size_t len, const mp_process_opts *opts);
/* Gives the child of a forkserver or spawn handle one more fd (borrowed: it must stay open
 * until the start). */
void mp__process_set_extra_fd(mp_process *p, int fd);
/* Frees what the handle owns besides itself (before it is freed or kept as the spare). */
void mp__process_drop_payload(mp_process *p);

#endif
