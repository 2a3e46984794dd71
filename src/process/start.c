/* start.c -- starting a child: flush, fork, open its pidfd, and the child's side of the
 * start (new identity, parent-death signal for daemons, run the target, leave with _exit). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "heap/heap.h"
#include "os/olock.h"
#include "process/process_internal.h"

/* The child's whole life after fork().  Never returns. */
__attribute__((noreturn)) static void child_main(mp_process *p) {
  mp__registry_after_fork_child();
  mp__identity_enter_child(p);
  if (p->daemon) {
    /* A daemon must not outlive a parent killed before it could run its exit handlers.  The
     * kernel sends PDEATHSIG when the thread that forked us exits; if the parent is already
     * gone (we were reparented before prctl ran), act as if the signal had come. */
    (void)syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    if ((pid_t)syscall(SYS_getppid) != p->owner_pid) raise(SIGKILL);
  }
  mp__log(MP_LOG_INFO, "child process calling self.run()");
  int code = p->target(p->arg);
  mp__log(MP_LOG_INFO, "process exiting with exitcode %d", code & 0xff);
  /* Like Python's _bootstrap: deal with our own children, flush, and leave without running
   * the parent's atexit handlers a second time.  The flush is skipped when no stream holds
   * output, and the exit goes through syscall(): both spare the child page faults (the
   * prctl/getppid above go through syscall() for the same reason: no lazy binding). */
  mp__exit_children();
  mp__run_exit_hooks();
  mp__stdio_flush_all();
  mp__exit_now(code & 0xff);
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
  /* Flush before fork so that text buffered in the parent is not printed again by the child. */
  mp__stdio_flush_all();
  /* Hold the registry lock across fork so the child's copy of the list is consistent. */
  mp__registry_lock();
  pid_t pid = fork();
  if (pid == 0) child_main(p);
  if (pid < 0) {
    int err = -errno;
    mp__registry_unlock();
    return err;
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
  mp__log(MP_LOG_DEBUG, "started %s (pid %d)", p->name, (int)pid);
  return 0;
}
