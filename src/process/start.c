/* SPDX-License-Identifier: MIT */
/* start.c -- starting a child: flush, fork (or hand the start to the spawn or forkserver
 * launcher), open its pidfd; and the child's side of the start (new identity, stdin, exit,
 * parent-death signal for daemons, run the target, leave with _exit). */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "heap/heap.h"
#include "os/olock.h"
#include "process/process_internal.h"
#include "start/start_internal.h"

/* exit(n) inside a child: registered in the child, so it runs before every atexit handler the
 * parent had registered (last registered, first run) and leaves before them, as Python's
 * os._exit after the child's run() does.  Handlers the child itself registered later still run
 * first: they are the child's own. */
static void exit_in_child(int status, void *arg) {
  (void)arg;
  mp__child_leave(status & 0xff);
}

/* stdin is /dev/null, as in Python's children: a child must not steal the terminal's input
 * (or a pipe's) from its parent.  A forked child copies it from the /dev/null the parent keeps
 * open for the purpose (one dup3, no path lookup: the open cost each child more than its whole
 * on_exit registration); a child of another image, which has no such fd, closes 0 and opens
 * /dev/null, which then takes the lowest free fd, 0.  Raw system calls, as elsewhere on this
 * path: no lazy binding in the child.  The path is built on the stack: a string constant would
 * cost the child a page fault on the read-only data page that holds it.  Input the parent had
 * buffered is dropped with it. */
static int devnull_fd = -1;

/* The parent's side, before each fork: opens /dev/null once (close-on-exec, so exec'd images do
 * not inherit it) and checks that the fd still is /dev/null (a program may have closed every fd
 * and reused the number). */
static void devnull_ready(void) {
  struct stat st;
  if (devnull_fd >= 0 && fstat(devnull_fd, &st) == 0 && S_ISCHR(st.st_mode) &&
      st.st_rdev == makedev(1, 3))
    return;
  devnull_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

/* Bound when the library loads: the address is a relocation the loader fills in at start.
 * volatile, because through a const pointer the compiler would call on_exit's PLT entry
 * directly, and its first call in each child would bind it lazily there: a symbol lookup in
 * the dynamic linker costing the child seven page faults, lost with the child. */
static int (*volatile register_on_exit)(void (*)(int, void *), void *) = on_exit;

void mp__child_prelude(bool daemon, pid_t parent_pid) {
  mp__stdin_from_devnull(devnull_fd);
  (void)register_on_exit(exit_in_child, NULL);
  if (daemon) {
    /* A daemon must not outlive a parent killed before it could run its exit handlers. */
    mp__die_with_parent(parent_pid);
  }
}

void mp__child_leave(int code) {
  /* Like Python's _bootstrap: deal with our own children, flush, and leave without running
   * the parent's atexit handlers a second time.  The flush is skipped when no stream holds
   * output, and the exit goes through syscall(): both spare the child page faults. */
  mp__exit_children();
  mp__run_exit_hooks();
  mp__stdio_flush_all();
  mp__exit_now(code & 0xff);
}

/* The child's whole life after fork().  Never returns. */
__attribute__((noreturn)) static void child_main(mp_process *p) {
  /* Output another thread buffered between the parent's flush and the fork is the parent's
   * to write, not ours: dropped here, so that it appears once. */
  mp__stdio_discard_all();
  mp__interrupt_after_fork();
  mp__registry_after_fork_child();
  mp__identity_enter_child(p);
  mp__child_prelude(p->daemon, p->owner_pid);
  mp__log(MP_LOG_INFO, "child process calling self.run()");
  int code = p->entry ? p->entry(p->payload, p->payload_len) : p->target(p->arg);
  mp__log(MP_LOG_INFO, "process exiting with exitcode %d", code & 0xff);
  mp__child_leave(code);
}

/* Starts p in another image through the spawn or forkserver launcher. */
static pid_t launch(mp_process *p) {
  mp__boot b;
  int r = mp__boot_prepare(&b, p->name, p->ident, p->daemon, p->entry, p->payload_len);
  if (r != 0) return r;
  b.extra_fd = p->extra_fd;
  mp__stdio_flush_all(); /* the order of the parent's output and the child's, as with fork */
  return p->method == MP_START_SPAWN ? mp__spawn_launch(&b, p->payload ? p->payload : "", NULL)
                                     : mp__forkserver_launch(&b, p->payload ? p->payload : "");
}

int mp_process_start(mp_process *p) {
  if (p == NULL) return -EINVAL;
  if (p->kind != MP__PROC_CHILD) return MP_ESTATE;
  if (p->state == MP__PROC_CLOSED) return MP_ECLOSED;
  if (p->state != MP__PROC_NEW) return MP_ESTATE;
  pid_t me = mp__self_pid();
  if (p->owner_pid != me) return MP_ENOTCHILD;
  if (mp_current_process()->daemon) return MP_ESTATE; /* daemonic processes may not have children */

  /* The shared heap must exist before the first fork so that every child maps it at the same
   * address; objects allocated in it later are then visible everywhere. */
  int r = mp__heap_ensure();
  if (r != 0) return r;
  mp__registry_install_atexit();
  mp__registry_collect_released();
  pid_t pid;
  if (p->method != MP_START_FORK) {
    pid = launch(p);
    if (pid < 0) return pid;
    mp__registry_lock();
  } else {
    /* Flush before fork so that text buffered in the parent is not printed again by the child. */
    mp__stdio_flush_all();
    /* Hold the registry lock across fork so the child's copy of the list is consistent. */
    mp__registry_lock();
    devnull_ready(); /* under the lock: two starting threads must not both open it */
    pid = mp__fork();
    if (pid == 0) child_main(p);
    if (pid < 0) {
      mp__registry_unlock();
      return pid;
    }
  }
  int fd = mp__pidfd_open(pid);
  if (fd < 0) {
    /* Untrackable child: stop it rather than leave something we cannot join. */
    kill(pid, SIGKILL);
    mp__registry_unlock();
    return fd;
  }
  p->pid = pid;
  p->pidfd = fd;
  p->state = MP__PROC_RUNNING;
  mp__registry_add(p);
  mp__registry_unlock();
  mp__log(MP_LOG_DEBUG, "started %s (pid %d) by %s", p->name, (int)pid,
          mp_start_method_name((mp_start_method)p->method));
  return 0;
}
