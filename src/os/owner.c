/* SPDX-License-Identifier: MIT */
/* owner.c -- who owns an owner-tracking lock (os/olock.h): the calling thread's identity,
 * cached once per thread, and the check a waiter makes when it suspects the owner is dead.
 *
 * A pid and tid alone do not name a thread for good: once the owner is dead and reaped, the
 * kernel may give both to a new, live thread (at once, through /proc/sys/kernel/ns_last_pid,
 * or when the pid space wraps), and a waiter that trusted them would wait for that stranger.
 * So the id also carries a stamp of the thread's birth that a waiter can recompute for
 * whichever thread holds that tid now:
 *  - where pidfds live in pidfs (Linux 6.9+), the inode number of a pidfd of the thread: one
 *    per struct pid, drawn from a 64-bit counter and never reused, so even a pid recycled in
 *    the same clock tick gets another;
 *  - elsewhere, the thread's start time in clock ticks (field 22 of /proc/.../stat).
 * The stamp's lowest bit says which (1: pidfs), so a waiter recomputes the same kind.  The
 * other 17 bits fit the value folded modulo 2^17 - 1: an odd (indeed prime) period, so a pid
 * space that is a power of two (pid_max 32768 or 4194304) does not bring a pid back with the
 * same stamp after a whole number of wraps.  0 means "unknown" (both sources failed); such an
 * owner is checked as before, by pid and tid only. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "os/olock.h"

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL /* linux/pidfd.h, Linux 6.9: a pidfd for one thread */
#endif

#define STAMP_PERIOD ((UINT64_C(1) << (MP__OWN_STAMP_BITS - 1)) - 1)
#define STAMP_BY_PIDFS 1u

_Thread_local uint64_t mp__self_cache __attribute__((tls_model("initial-exec")));
_Thread_local pid_t mp__self_pid_cache __attribute__((tls_model("initial-exec")));

static void forget_self_in_child(void) {
  mp__self_cache = 0;
  mp__self_pid_cache = 0;
}
void mp__self_forget(void) { forget_self_in_child(); }
static void register_atfork(void) { pthread_atfork(NULL, NULL, forget_self_in_child); }
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

/* The stamp of a birth value: 2.., never 0. */
static uint32_t fold(uint64_t v, uint32_t kind) {
  return (uint32_t)(v % STAMP_PERIOD + 1) << 1 | kind;
}

/* The pidfs stamp of thread tid: 0, or -errno (-ESRCH: no thread has that tid). */
static int pidfs_stamp(pid_t tid, uint32_t *stamp) {
  long fd = syscall(SYS_pidfd_open, tid, PIDFD_THREAD);
  if (fd < 0) return -errno;
  struct stat st;
  int r = fstat((int)fd, &st) == 0 ? 0 : -errno;
  mp__close((int)fd);
  if (r == 0) *stamp = fold((uint64_t)st.st_ino, STAMP_BY_PIDFS);
  return r;
}

/* Reads the state letter and the start time (clock ticks after boot) of a thread.  0, -ENOENT
 * (no such thread: reaped), or another negative errno when it cannot tell. */
static int read_task_stat(pid_t pid, pid_t tid, char *state, uint64_t *start_ticks) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/task/%d/stat", (int)pid, (int)tid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -errno;
  char buf[1024];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  mp__close(fd);
  if (n <= 0) return -EIO;
  buf[n] = '\0';
  const char *p = strrchr(buf, ')'); /* the command name may contain anything but ends here */
  if (p == NULL || p[1] != ' ') return -EIO;
  *state = p[2];
  /* field 3 is the state; the start time is field 22, 19 fields further */
  p += 2;
  for (int field = 3; field < 22; field++) {
    p = strchr(p, ' ');
    if (p == NULL) return -EIO;
    p++;
  }
  char *end;
  errno = 0;
  unsigned long long v = strtoull(p, &end, 10);
  if (end == p || errno != 0) return -EIO;
  *start_ticks = v;
  return 0;
}

static uint32_t own_stamp(pid_t pid, pid_t tid) {
  uint32_t stamp = 0;
  char state;
  uint64_t start;
  if (pidfs_stamp(tid, &stamp) != 0 && read_task_stat(pid, tid, &state, &start) == 0)
    stamp = fold(start, 0);
  return stamp;
}

uint64_t mp__self_slow(void) {
  int saved = errno; /* callers may be between a failed call and their look at errno */
  pthread_once(&atfork_once, register_atfork);
  pid_t pid = getpid();
  pid_t tid = (pid_t)syscall(SYS_gettid);
  mp__self_pid_cache = pid;
  mp__self_cache = mp__owner_id(pid, tid, own_stamp(pid, tid));
  errno = saved;
  return mp__self_cache;
}

pid_t mp__self_pid_slow(void) {
  pthread_once(&atfork_once, register_atfork);
  mp__self_pid_cache = getpid();
  return mp__self_pid_cache;
}

bool mp__owner_dead(uint64_t id) {
  pid_t pid = mp__owner_pid(id);
  pid_t tid = mp__owner_tid(id);
  uint32_t stamp = mp__owner_stamp(id);
  if (pid <= 0 || tid <= 0) return false;
  if (syscall(SYS_tgkill, pid, tid, 0) != 0 && errno == ESRCH) return true;
  /* The thread exists (or we may not signal it).  A killed process stays a zombie until its
   * parent reaps it, and a zombie's threads are dead owners too. */
  char state = '?';
  uint64_t start = 0;
  int r = read_task_stat(pid, tid, &state, &start);
  if (r == -ENOENT) { /* reaped meanwhile -- or no /proc at all, which a second look tells */
    if (syscall(SYS_tgkill, pid, tid, 0) != 0 && errno == ESRCH) return true;
    r = -ENOSYS; /* no /proc: no state, no start time; a pidfs stamp can still be checked */
  }
  if (r == 0 && (state == 'Z' || state == 'X' || state == 'x')) return true;
  if (stamp == 0) return false; /* the owner's birth is unknown: pid and tid are all we have */
  /* A live thread has this pid and tid: it is the owner only if it was born as the owner was.
   * Whatever cannot be read means "cannot tell": a live owner must never be taken for dead. */
  uint32_t now = 0;
  if (stamp & STAMP_BY_PIDFS) {
    int pr = pidfs_stamp(tid, &now);
    if (pr == -ESRCH) return true;
    if (pr != 0) return false;
  } else {
    if (r != 0) return false;
    now = fold(start, 0);
  }
  return now != stamp;
}

void mp__owner_watch_end(mp__owner_watch *w) {
  if (w->fd >= 0) mp__close(w->fd);
  w->fd = -1;
}

/* A thread pidfd that is the owner's own: opened after the owner was found alive, it might
 * name a thread that took the tid since, so its birth stamp must match the owner's. */
static int owner_pidfd(uint64_t id) {
  uint32_t stamp = mp__owner_stamp(id);
  if (!(stamp & STAMP_BY_PIDFS)) return -1;
  long fd = syscall(SYS_pidfd_open, mp__owner_tid(id), PIDFD_THREAD); /* always close-on-exec */
  if (fd < 0) return -1;
  struct stat st;
  if (fstat((int)fd, &st) != 0 || fold((uint64_t)st.st_ino, STAMP_BY_PIDFS) != stamp) {
    mp__close((int)fd);
    return -1;
  }
  return (int)fd;
}

bool mp__owner_watch_dead(mp__owner_watch *w, uint64_t id) {
  /* A thread pidfd turns readable when its thread has exited (a zombie's included). */
  if (w->fd >= 0 && w->id == id) return mp__pidfd_ended(w->fd);
  mp__owner_watch_end(w);
  if (mp__owner_dead(id)) return true;
  w->fd = owner_pidfd(id);
  w->id = id;
  return false;
}
