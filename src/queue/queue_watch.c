/* SPDX-License-Identifier: MIT */
/* queue_watch.c -- a file descriptor that an event loop can poll for a queue's messages.
 *
 * A queue is shared memory, which poll() cannot watch, so a watch is a thread of the calling
 * process that does the waiting a get would do and turns it into an eventfd's readiness:
 *   1. wait (as a sleeping getter: counted in get_sleepers, so every put wakes it) until a
 *      message is at the head, the queue is closed, or the watch is stopped;
 *   2. make the eventfd readable by writing it up to its largest count, which also makes it
 *      unwritable: the thread then polls it for POLLOUT, which comes back only once the
 *      program has read the counter (its reset);
 *   3. go to 1.
 * So the fd is readable while a message waits, and after each read of its counter it is
 * readable again at once if one still does: an event loop that takes what it wants and reads
 * the counter never misses a message, whatever the order of the two.  The thread never takes a
 * message itself (that would change the queue's order and its loss guarantees). */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "os/wait.h"
#include "queue/queue_internal.h"

/* The eventfd's largest count: written whole, it leaves no room for another write. */
#define WATCH_FULL UINT64_C(0xfffffffffffffffe)

struct mp_queue_watch {
  mp_queue *q;
  int fd; /* the program's: readable while a message waits */
  int stop_fd; /* written by mp_queue_watch_free() to end the POLLOUT wait */
  _Atomic bool stop;
  pthread_t thread;
};

static bool message_or_stop(void *arg) {
  mp_queue_watch *w = arg;
  return atomic_load(&w->stop) || atomic_load(&w->q->closed) || mp__qring_get_ready(w->q);
}

/* A get stuck behind a dead claim heals it after a sleep; so must the watch, which may be the
 * only waiter (its program gets only when the fd fires). */
static int heal(void *arg) {
  mp_queue_watch *w = arg;
  (void)mp__queue_heal(w->q);
  return 0;
}

/* Step 1: a sleeping getter's wait, without a time limit. */
static void wait_for_message(mp_queue_watch *w) {
  mp__waiter wt = {.word = &w->q->nonempty,
                   .sleepers = &w->q->get_sleepers,
                   .done = message_or_stop,
                   .check = heal,
                   .arg = w};
  while (mp__wait(&wt, mp__deadline_in(MP_FOREVER)) != 0 && !atomic_load(&w->stop)) {
  }
}

/* Step 2: readable, then wait for the program's read (or the stop).  false once stopped. */
static bool signal_and_wait_for_read(mp_queue_watch *w) {
  uint64_t full = WATCH_FULL;
  if (write(w->fd, &full, sizeof full) < 0) {
    /* EAGAIN: not read since the last signal, so still readable; nothing else can fail */
  }
  struct pollfd p[2] = {{.fd = w->fd, .events = POLLOUT}, {.fd = w->stop_fd, .events = POLLIN}};
  while (!atomic_load(&w->stop)) {
    int n = poll(p, 2, -1);
    if (n > 0 && (p[0].revents & POLLOUT)) return true;
    /* n < 0: EINTR (the thread blocks every signal, so only from a debugger): again */
  }
  return false;
}

static void *watch_thread(void *arg) {
  mp_queue_watch *w = arg;
  for (;;) {
    wait_for_message(w);
    if (atomic_load(&w->stop) || !signal_and_wait_for_read(w)) return NULL;
  }
}

int mp_queue_watch_new(mp_queue *q, mp_queue_watch **out) {
  if (out == NULL) return -EINVAL;
  *out = NULL;
  if (q == NULL) return -EINVAL;
  mp_queue_watch *w = calloc(1, sizeof *w);
  if (w == NULL) return -ENOMEM;
  w->q = q;
  w->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  w->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  int rc = w->fd < 0 || w->stop_fd < 0 ? -errno : 0;
  if (rc == 0) {
    /* The program's signals (a SIGINT for mp_interrupt, say) are for its own threads. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    rc = -pthread_create(&w->thread, NULL, watch_thread, w);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
  }
  if (rc != 0) {
    if (w->fd >= 0) mp__close(w->fd);
    if (w->stop_fd >= 0) mp__close(w->stop_fd);
    free(w);
    return rc;
  }
  *out = w;
  return 0;
}

int mp_queue_watch_fd(const mp_queue_watch *w) { return w == NULL ? -EINVAL : w->fd; }

void mp_queue_watch_free(mp_queue_watch *w) {
  if (w == NULL) return;
  atomic_store(&w->stop, true);
  /* Wake step 1 (a getter's futex: the bump makes a sleep about to start return at once) and
   * step 2 (the stop fd). */
  atomic_fetch_add(&w->q->nonempty, 1);
  (void)mp__futex_wake(&w->q->nonempty, INT32_MAX);
  uint64_t one = 1;
  if (write(w->stop_fd, &one, sizeof one) < 0) {
    /* cannot fail: the counter is read by nobody and far from full */
  }
  pthread_join(w->thread, NULL);
  mp__close(w->fd);
  mp__close(w->stop_fd);
  free(w);
}
