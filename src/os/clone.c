/* SPDX-License-Identifier: MIT */
/* clone.c -- making children: fork() for the fork start method, the forkserver's fork (a child
 * that is the server's sibling, not its child), and a daemon child's tie to its parent.
 *
 * The forkserver makes children on behalf of the program, and they must be the program's own
 * children, so that it reaps them, opens their pidfds and sees them in active_children, exactly
 * as if it had forked them.  clone(CLONE_PARENT) does that.  glibc has no wrapper for a
 * fork-like clone, so it is a raw system call, and two things glibc's fork() does by itself
 * are done here: the child's thread id is written into its thread descriptor (where glibc's
 * mutexes read their owner from), through CLONE_CHILD_SETTID at the descriptor's tid field,
 * which is found once by looking for the thread's own tid in it and checked in a test child;
 * and the library's cached thread identity is reset (mp__self_forget). */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "os/olock.h"
#include "os/os.h"

static pid_t *tid_field; /* &(glibc's descriptor of this thread)->tid, or NULL when unknown */
static bool tid_looked;

static pid_t raw_clone(unsigned long flags, pid_t *child_tid) {
  /* x86-64 and arm64 take (flags, stack, parent_tid, child_tid, tls). */
  return (pid_t)syscall(SYS_clone, flags, NULL, NULL, child_tid, 0);
}

/* In a test child: whether glibc's idea of this thread's id is right.  A thread CPU clock
 * made from the descriptor's tid can only be read when that tid is one of our threads. */
static bool tid_is_right(void) {
  clockid_t c;
  struct timespec ts;
  return pthread_getcpuclockid(pthread_self(), &c) == 0 && clock_gettime(c, &ts) == 0;
}

static void find_tid_field(void) {
  tid_looked = true;
  pid_t tid = (pid_t)syscall(SYS_gettid);
  char *self = (char *)(uintptr_t)pthread_self();
  for (size_t off = 0; off + sizeof(pid_t) <= 4096; off += sizeof(pid_t)) {
    pid_t *cand = (pid_t *)(void *)(self + off);
    if (*cand != tid) continue;
    pid_t pid = raw_clone(CLONE_CHILD_SETTID | SIGCHLD, cand);
    if (pid == 0) mp__exit_now(tid_is_right() ? 0 : 1);
    if (pid < 0) return;
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
      tid_field = cand;
      return;
    }
  }
}

pid_t mp__fork_sibling(void) {
  if (!tid_looked) find_tid_field();
  unsigned long flags = CLONE_PARENT | SIGCHLD | (tid_field ? CLONE_CHILD_SETTID : 0);
  pid_t pid = raw_clone(flags, tid_field);
  if (pid < 0) return -errno;
  if (pid == 0) mp__self_forget();
  return pid;
}

pid_t mp__fork(void) {
  pid_t pid = fork();
  return pid < 0 ? -errno : pid;
}

void mp__die_with_parent(pid_t parent_pid) {
  /* The kernel sends PDEATHSIG when the thread that forked us exits; if the parent is already
   * gone (we were reparented before prctl ran), act as if the signal had come. */
  (void)syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  if ((pid_t)syscall(SYS_getppid) != parent_pid) raise(SIGKILL);
}
