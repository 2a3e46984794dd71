/* olock.c -- thread identity, owner-death detection and the owner-tracking lock word used by
 * the shared heap and by Lock, RLock, Condition and Barrier (layout in olock.h, design in
 * docs/sync.md). */
#include "os/olock.h"

#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

_Thread_local uint64_t mp__self_cache __attribute__((tls_model("initial-exec")));

static void forget_self_in_child(void) { mp__self_cache = 0; }
void mp__self_forget(void) { mp__self_cache = 0; }
static void register_atfork(void) { pthread_atfork(NULL, NULL, forget_self_in_child); }

uint64_t mp__self_slow(void) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, register_atfork);
  uint64_t pid = (uint64_t)getpid();
  uint64_t tid = (uint64_t)syscall(SYS_gettid);
  mp__self_cache = (pid << 32) | (tid & MP__OWN_TID_MASK);
  return mp__self_cache;
}

bool mp__owner_dead(uint64_t id) {
  pid_t pid = (pid_t)(id >> 32);
  pid_t tid = (pid_t)(id & MP__OWN_TID_MASK);
  if (pid <= 0 || tid <= 0) return false;
  if (syscall(SYS_tgkill, pid, tid, 0) != 0 && errno == ESRCH) return true;
  /* The thread exists (or we may not signal it).  A killed process stays a zombie until its
   * parent reaps it, and a zombie's threads are dead owners too. */
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/task/%d/stat", (int)pid, (int)tid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT; /* reaped meanwhile; anything else: cannot tell */
  char buf[512];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  mp__close(fd);
  if (n <= 0) return false;
  buf[n] = '\0';
  const char *p = strrchr(buf, ')'); /* the command name may contain anything but ends here */
  if (p == NULL || p[1] != ' ') return false;
  return p[2] == 'Z' || p[2] == 'X' || p[2] == 'x';
}

mp__deadline mp__slice(mp__deadline d) {
  int64_t slice_end = mp__now_ns() + MP__OWN_SLICE_NS;
  if (mp__deadline_forever(d) || d.at_ns > slice_end) return (mp__deadline){slice_end};
  return d;
}

/* Takes the lock from the dead owner recorded in w (unchanged since the check). */
static bool take_over(mp__olock *l, uint64_t w, uint64_t self) {
  return atomic_compare_exchange_strong(&l->word, &w, self | MP__OWN_DIED | MP__OWN_WAITERS);
}

int mp__olock_acquire_slow(mp__olock *l, uint64_t self, mp__deadline d) {
  uint64_t w = atomic_load_explicit(&l->word, memory_order_relaxed);
  if (w == MP__OWN_NOTREC) return MP_ENOTRECOVERABLE;
  if (!mp__deadline_passed(d)) {
    for (int i = 0; i < MP__SPINS; i++) {
      w = atomic_load_explicit(&l->word, memory_order_relaxed);
      if (w == 0 && atomic_compare_exchange_weak_explicit(&l->word, &w, self, memory_order_acquire,
                                                          memory_order_relaxed))
        return 0;
      mp__cpu_relax();
    }
  }
  for (;;) {
    w = atomic_load_explicit(&l->word, memory_order_relaxed);
    if (w == MP__OWN_NOTREC) return MP_ENOTRECOVERABLE;
    if (w == 0) {
      /* We may have slept, so others may sleep too: keep WAITERS so our release wakes one. */
      if (atomic_compare_exchange_strong_explicit(&l->word, &w, self | MP__OWN_WAITERS,
                                                  memory_order_acquire, memory_order_relaxed))
        return 0;
      continue;
    }
    if (mp__deadline_passed(d)) {
      /* Giving up: a dead owner is still worth one look, so a poll is not refused for ever. */
      if (mp__owner_dead(mp__olock_owner(w)) && take_over(l, w, self)) return MP_EOWNERDEAD;
      return MP_ETIMEDOUT;
    }
    if (!(w & MP__OWN_WAITERS)) {
      uint64_t nw = w | MP__OWN_WAITERS;
      if (!atomic_compare_exchange_strong(&l->word, &w, nw)) continue;
      w = nw;
    }
    int r = mp__futex_wait(mp__olock_futex(l), (uint32_t)w, mp__slice(d));
    if (r == -ETIMEDOUT && !mp__deadline_passed(d) &&
        atomic_load_explicit(&l->word, memory_order_relaxed) == w &&
        mp__owner_dead(mp__olock_owner(w)) && take_over(l, w, self))
      return MP_EOWNERDEAD;
  }
}

int mp__olock_release_slow(mp__olock *l) {
  uint64_t w = atomic_load_explicit(&l->word, memory_order_relaxed);
  for (;;) {
    if (w == 0) return MP_ESTATE;
    if (w == MP__OWN_NOTREC) return MP_ENOTRECOVERABLE;
    if (w & MP__OWN_DIED) {
      /* Released without mp_*_consistent(): nobody may use it again. */
      if (!atomic_compare_exchange_weak(&l->word, &w, MP__OWN_NOTREC)) continue;
      mp__futex_wake(mp__olock_futex(l), INT_MAX);
      return 0;
    }
    if (atomic_compare_exchange_weak_explicit(&l->word, &w, 0, memory_order_release,
                                              memory_order_relaxed)) {
      if (w & MP__OWN_WAITERS) mp__futex_wake(mp__olock_futex(l), 1);
      return 0;
    }
  }
}

int mp__olock_consistent(mp__olock *l) {
  uint64_t w = atomic_load(&l->word);
  for (;;) {
    if (w == MP__OWN_NOTREC || !(w & MP__OWN_DIED)) return MP_ESTATE;
    if (atomic_compare_exchange_weak(&l->word, &w, w & ~MP__OWN_DIED)) return 0;
  }
}
