/* SPDX-License-Identifier: MIT */
/* interrupt.c -- mp_interrupt(): a flag of the process, and a wake-up for the threads that
 * sleep in an interruptible wait.
 *
 * A sleeping waiter sleeps on its protocol's futex word, which mp_interrupt() may not change;
 * so each interruptible sleep publishes its word in a slot of its thread, and mp_interrupt()
 * wakes every published word (a spurious wake-up for the other sleepers on it, which every
 * waiter tolerates).  A thread beyond the slots still notices at its next slice.  The handler
 * mp_interrupt_on() installs has no SA_RESTART, so the thread the signal lands on leaves its
 * futex or poll with EINTR rather than sleeping on. */
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "os/os.h"

#define SLOTS 128

static _Atomic uint32_t pending;
/* An eventfd made by mp_interrupt_on() (not in a handler: making an fd there is not safe), which
 * mp_interrupt() makes readable so that interruptible poll() waits in any thread wake up. */
static _Atomic int intr_fd = -1;
static _Atomic(_Atomic uint32_t *) sleeping_on[SLOTS];
static atomic_uint slots_taken;
static _Thread_local int my_slot = -1; /* -1: none asked for yet; SLOTS: none left */
/* A thread of the library's own (a manager's serving threads) that interrupts must not stop:
 * a program running its manager server in-process keeps serving through a Ctrl-C. */
static _Thread_local bool deaf;

bool mp__interrupt_pending(void) {
  return !deaf && atomic_load_explicit(&pending, memory_order_acquire);
}

void mp__interrupt_ignore_here(void) { deaf = true; }

bool mp__interrupt_set_deaf(bool on) {
  bool was = deaf;
  deaf = on;
  return was;
}

void mp__interrupt_sleep_on(_Atomic uint32_t *word) {
  if (my_slot < 0) {
    unsigned n = atomic_fetch_add(&slots_taken, 1);
    my_slot = n < SLOTS ? (int)n : SLOTS;
  }
  if (my_slot < SLOTS) atomic_store(&sleeping_on[my_slot], word);
}

void mp__interrupt_awake(void) {
  if (my_slot >= 0 && my_slot < SLOTS) atomic_store(&sleeping_on[my_slot], NULL);
}

void mp_interrupt(void) {
  atomic_store(&pending, 1);
  int fd = atomic_load(&intr_fd);
  if (fd >= 0) {
    uint64_t one = 1;
    (void)!write(fd, &one, sizeof one); /* write() is async-signal-safe */
  }
  unsigned n = atomic_load(&slots_taken);
  for (unsigned i = 0; i < n && i < SLOTS; i++) {
    _Atomic uint32_t *w = atomic_load(&sleeping_on[i]);
    if (w) (void)mp__futex_wake(w, INT_MAX);
  }
}

bool mp_interrupted(void) { return atomic_load_explicit(&pending, memory_order_acquire); }

int mp__interrupt_fd(void) { return atomic_load(&intr_fd); }

bool mp_interrupt_clear(void) {
  int fd = atomic_load(&intr_fd);
  uint64_t n;
  if (fd >= 0) (void)!read(fd, &n, sizeof n); /* non-blocking: resets the counter */
  return atomic_exchange(&pending, 0) != 0;
}

int mp__poll_interruptible(struct pollfd *pfd, nfds_t n, mp__deadline d) {
  int ifd = deaf ? -1 : atomic_load(&intr_fd);
  pfd[n] = (struct pollfd){.fd = ifd, .events = POLLIN};
  nfds_t all = ifd >= 0 ? n + 1 : n;
  for (;;) {
    if (mp__interrupt_pending()) {
      /* What is ready needs no wait, and an interrupt only stops waits. */
      int r = poll(pfd, n, 0);
      return r > 0 ? r : r < 0 && errno != EINTR ? -errno : -EINTR;
    }
    int r = poll(pfd, all, mp__deadline_poll_ms(d));
    if (r == 0) return 0;
    if (r < 0) {
      if (errno != EINTR) return -errno;
      continue; /* a signal: the loop's first look tells whether it was an interrupt */
    }
    int woken = ifd >= 0 && pfd[n].revents != 0;
    if (r > woken) return r - woken; /* what the caller waits for comes before the interrupt */
    if (!mp__interrupt_pending()) {
      /* The fd fired for another process: a forked child shares it, its interrupts are its
       * own.  Emptied, so that this wait does not spin on it. */
      uint64_t cnt;
      (void)!read(ifd, &cnt, sizeof cnt);
    }
  }
}

int mp__poll_readable_interruptible(int fd, mp__deadline d) {
  struct pollfd pfd[2] = {{.fd = fd, .events = POLLIN}};
  return mp__poll_interruptible(pfd, 1, d);
}

/* A forked child starts uninterrupted: the flag is its parent's business.  Written only when
 * set, so that a child does not copy the flag's page for nothing (a fault per fork). */
static void clear_in_child(void) {
  if (atomic_load_explicit(&pending, memory_order_relaxed)) atomic_store(&pending, 0);
}

void mp__interrupt_after_fork(void) { clear_in_child(); }
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;
static void install_atfork(void) { (void)pthread_atfork(NULL, NULL, clear_in_child); }

static void on_signal(int signo) {
  (void)signo;
  mp_interrupt();
}

int mp_interrupt_on(int signo) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0; /* no SA_RESTART: the receiving thread's sleep ends with EINTR */
  if (signo <= 0 || signo >= NSIG) return -EINVAL; /* before the fd: nothing to undo */
  pthread_once(&atfork_once, install_atfork);
  int want = -1;
  if (atomic_load(&intr_fd) < 0) {
    int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (fd < 0) return -errno;
    if (!atomic_compare_exchange_strong(&intr_fd, &want, fd)) close(fd);
  }
  return sigaction(signo, &sa, NULL) == 0 ? 0 : -errno;
}
