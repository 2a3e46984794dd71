/* SPDX-License-Identifier: MIT */
/* multiproc/process.h -- Python's Process, current_process, parent_process, active_children
 * and cpu_count, in C.  Children are started with fork(); exit is tracked through a pidfd, so
 * the library installs no SIGCHLD handler and never competes with the host program's. */
#ifndef MULTIPROC_PROCESS_H
#define MULTIPROC_PROCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A process handle.  Opaque; made by mp_process_new() and released by mp_process_free(). */
typedef struct mp_process mp_process;

/* The body of a child process.  It runs in the child with the arg given to mp_process_new();
 * its return value (0..255) becomes the child's exit code.  A call to exit(n) inside it ends
 * the child with code n, as sys.exit(n) does in Python.
 *
 * The "subclass" pattern of Python (class Producer(Process) with a run method) is written in C
 * as a struct of your own that holds its state, a run function taking that struct as arg, and
 * an mp_process made with both: examples/003-1 shows it. */
typedef int (*mp_target_fn)(void *arg);

/* Maximum length of a process name, terminating NUL included; longer names are refused. */
#define MP_PROCESS_NAME_MAX 64

/* How a child comes to exist: see multiproc/start.h. */
typedef enum mp_start_method {
  MP_START_DEFAULT = 0, /* the program-wide default (mp_set_start_method) */
  MP_START_FORK = 1,
  MP_START_FORKSERVER = 2,
  MP_START_SPAWN = 3,
} mp_start_method;

/* Options for mp_process_new().  A NULL options pointer, or a zeroed struct, means: the default
 * name and not a daemon. */
typedef struct mp_process_opts {
  const char *name; /* NULL: "Process-N", numbered as Python does ("Process-1:2" in a child) */
  bool daemon; /* ended (SIGTERM) when the parent exits; see mp_process_set_daemon() */
  /* How the child is started (multiproc/start.h); MP_START_DEFAULT: the program's default.
   * Under forkserver and spawn the target must be registered (MP_TARGET) and arg must be NULL
   * or point into the shared heap, the only memory the child shares with its parent. */
  mp_start_method start_method;
} mp_process_opts;

/* Makes a process handle that will run target(arg) once started.  The child receives a copy of
 * arg's memory as it is at mp_process_start(), as fork does; the caller keeps ownership of arg.
 * Like Python, the number N in the default name "Process-N" is taken here, at creation.
 * Errors: -EINVAL (out or target NULL, name too long or empty), -ENOMEM.  *out is set to NULL
 * on error. */
MP_EXTERN int mp_process_new(mp_process **out, mp_target_fn target, void *arg,
                             const mp_process_opts *opts);

/* Starts the child with fork().  Buffered stdio is flushed first and the child leaves with
 * _exit() after flushing its own, so nothing is printed twice.  A daemon child also gets
 * PR_SET_PDEATHSIG=SIGKILL, so it cannot outlive a parent that is killed without running its
 * exit handlers (see docs/process.md for the one caveat about threads).
 * Errors: MP_ESTATE (already started, or the caller is a daemon process: like Python, daemons
 * may not have children), MP_ECLOSED, MP_ENOTCHILD (the handle belongs to another process),
 * -EAGAIN/-ENOMEM (fork failed), -ENOSYS (the kernel lacks pidfd_open). */
MP_EXTERN int mp_process_start(mp_process *p);

/* Waits for the child to end, for at most timeout ms (MP_FOREVER: no limit, 0: poll), and reaps
 * it.  Returns 0 once the child has ended (read its code with mp_process_exitcode()), or
 * MP_ETIMEDOUT if it is still running.  Errors: MP_ESTATE (never started, or a process joining
 * itself through mp_current_process()), MP_ENOTCHILD, MP_ECLOSED.  A parent handle from
 * mp_parent_process() can be joined too: it returns 0 once the parent has ended. */
MP_EXTERN int mp_process_join(mp_process *p, mp_timeout_ms timeout);

/* True from a successful start until the child has ended.  Reaps a child that has ended.
 * False for a handle never started, closed, or not a child of the caller.  For the handle of
 * mp_current_process() it is true, and for mp_parent_process() true while the parent lives. */
MP_EXTERN bool mp_process_is_alive(mp_process *p);

/* The exit code of a child that has ended: the target's return value or the code given to
 * exit(), or -N when signal N killed it (Python's convention).  Returns 0 and sets *code once
 * the child has ended (reaping it if needed); MP_ENOTREADY while it runs or before start;
 * -EINVAL for NULL arguments; MP_ECLOSED after mp_process_close(). */
MP_EXTERN int mp_process_exitcode(mp_process *p, int *code);

/* Sends SIGTERM (terminate) or SIGKILL (kill) to a running child through its pidfd, so a pid
 * reused by an unrelated process can never be hit.  Sending to a child that has already ended
 * does nothing and returns 0.  Errors: MP_ESTATE (not started), MP_ENOTCHILD, MP_ECLOSED. */
MP_EXTERN int mp_process_terminate(mp_process *p);
MP_EXTERN int mp_process_kill(mp_process *p);

/* The child's pid once started, else 0.  For current/parent handles, that process's pid. */
MP_EXTERN pid_t mp_process_pid(const mp_process *p);

/* A file descriptor (a pidfd) that becomes readable (POLLIN) when the child ends: Python's
 * Process.sentinel, for poll(), select() or epoll together with other fds.  The handle owns it:
 * do not close it; it stays valid until mp_process_close() or mp_process_free().
 * Returns the fd, or MP_ESTATE before start, MP_ECLOSED after close. */
MP_EXTERN int mp_process_sentinel(mp_process *p);

/* The process name.  The string belongs to the handle and lives as long as it. */
MP_EXTERN const char *mp_process_name(const mp_process *p);

/* Renames the handle (any time, as in Python; a started child keeps the name it had when it
 * was forked).  Errors: -EINVAL (NULL, empty or too long). */
MP_EXTERN int mp_process_set_name(mp_process *p, const char *name);

/* Whether the process is a daemon. */
MP_EXTERN bool mp_process_daemon(const mp_process *p);

/* Sets the daemon flag; only before start.  At the parent's normal exit daemon children are
 * sent SIGTERM and reaped, while other children are waited for.  Errors: MP_ESTATE (started). */
MP_EXTERN int mp_process_set_daemon(mp_process *p, bool daemon);

/* Runs the target in the calling process, as Python's Process.run() does, and returns its
 * result.  Errors: -EINVAL (NULL), MP_ESTATE (handle from mp_current/parent_process()). */
MP_EXTERN int mp_process_run(mp_process *p);

/* Releases the pidfd of an ended child; afterwards every call but mp_process_name(),
 * mp_process_pid() and mp_process_free() returns MP_ECLOSED.  Idempotent.
 * Errors: MP_ESTATE while the child still runs (join or terminate it first, as in Python). */
MP_EXTERN int mp_process_close(mp_process *p);

/* Frees the handle; NULL is accepted.  A child that still runs is not stopped: the library
 * keeps tracking it, reaps it when it ends, and waits for it (or ends it, if a daemon) at exit,
 * so no zombie or fd is left behind.  The handles of mp_current_process() and
 * mp_parent_process() are not freed. */
MP_EXTERN void mp_process_free(mp_process *p);

/* The calling process: "MainProcess" in the main program, otherwise the child's own handle
 * (name, pid, daemon flag as they were at start).  Owned by the library; never free it. */
MP_EXTERN mp_process *mp_current_process(void);

/* The parent of the calling child, or NULL in the main program.  Owned by the library.  Its
 * name and pid are the parent's; mp_process_is_alive() and mp_process_join() work on it. */
MP_EXTERN mp_process *mp_parent_process(void);

/* Lists the calling process's children that are still running, reaping those that have ended
 * (as Python's active_children() does).  Fills up to cap handles into out (which may be NULL
 * when cap is 0) and returns how many children are alive, which may be more than cap.
 * The handles stay owned by whoever made them; a handle already freed by its owner is listed
 * all the same and stays valid until the child ends. */
MP_EXTERN int mp_active_children(mp_process **out, size_t cap);

/* The number of CPUs online in the system (os.cpu_count()).  At least 1. */
MP_EXTERN int mp_cpu_count(void);

/* The number of CPUs this process may run on, honouring its affinity mask
 * (os.process_cpu_count() in Python 3.13, len(os.sched_getaffinity(0)) before).  At least 1. */
MP_EXTERN int mp_usable_cpu_count(void);

#ifdef __cplusplus
}
#endif
#endif
