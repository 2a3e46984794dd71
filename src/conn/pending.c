/* SPDX-License-Identifier: MIT */
/* pending.c -- a keyed listener's handshakes in progress, run side by side.
 *
 * Why a poll set and not handshake threads: the handshake is a few small messages, so a
 * state machine per client (handshake.c) driven from accept() costs one epoll set and no
 * threads, nothing runs behind the caller's back, and a forked child inherits no thread
 * state.  Every client gets its own deadline; the number in handshake at once is bounded, and
 * beyond it a new connection is closed at once rather than left to fill the backlog -- but
 * only after the handshakes that could move have, so clients that failed or left make room
 * first.  A completed handshake waits in its slot for the next accept(); a failed one leaves
 * its error for accept() to report. */
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "conn/conn_internal.h"
#include "conn/listener_internal.h"

/* The most clients taken from the backlog in one round, so a connect flood cannot keep
 * accept() from moving the handshakes already under way. */
#define ACCEPT_BATCH 64
#define EVENTS_MAX 64

static int ep_add(int epfd, int fd, uint32_t data) {
  struct epoll_event ev = {.events = EPOLLIN, .data.u32 = data};
  return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) == 0 ? 0 : -errno;
}

int mp__pending_init(mp__pending *p, int lfd, int max, mp_timeout_ms handshake) {
  memset(p, 0, sizeof *p);
  p->epfd = -1;
  p->slots = calloc((size_t)max, sizeof *p->slots);
  if (p->slots == NULL) return -ENOMEM;
  p->max = max;
  p->handshake = handshake;
  p->epfd = epoll_create1(EPOLL_CLOEXEC);
  int rc = p->epfd < 0 ? -errno : ep_add(p->epfd, lfd, 0);
  if (rc < 0) {
    mp__pending_close(p);
    return rc;
  }
  pthread_mutex_init(&p->mu, NULL);
  atomic_store(&p->owner, getpid());
  return 0;
}

int mp__pending_fd(const mp__pending *p) { return p->epfd; }

/* Ends slot i's handshake.  The connection was never handed out, so it is shut down too:
 * the client sees the end at once even where a forked child still holds a copy of the fd. */
static void drop(mp__pending *p, int i) {
  mp_conn *c = p->slots[i].hs.conn;
  if (!p->slots[i].done) (void)epoll_ctl(p->epfd, EPOLL_CTL_DEL, c->fd, NULL);
  (void)shutdown(c->fd, SHUT_RDWR);
  mp_conn_free(c);
  p->slots[i].hs.conn = NULL;
  p->slots[i].done = false;
  p->used--;
}

/* Errors of the handshake as accept() reports them: a client that broke the protocol failed
 * authentication; one that left is an end of file. */
static int accept_error(int rc) {
  switch (rc) {
    case MP_ETOOBIG:
    case MP_ECORRUPT: return MP_EAUTH;
    case MP_EBROKEN:
    case -EPIPE:
    case -ECONNRESET: return MP_EOF;
    default: return rc;
  }
}

/* Drops slot i's client after its handshake failed with rc, keeping the error for accept()
 * to report (the oldest MP__PENDING_ERRS of them). */
static void fail(mp__pending *p, int i, int rc) {
  drop(p, i);
  if (p->nerrs < MP__PENDING_ERRS)
    p->errs[(p->errhead + p->nerrs++) % MP__PENDING_ERRS] = accept_error(rc);
}

/* Moves slot i's handshake forward: a completed one waits in its slot to be handed out. */
static void step(mp__pending *p, int i, const void *key, size_t keylen) {
  mp__pending_slot *s = &p->slots[i];
  if (s->hs.conn == NULL || s->done) return;
  int rc = mp__hs_step(&s->hs, key, keylen);
  if (rc == MP__HS_AGAIN) return;
  if (rc != 0) {
    fail(p, i, rc);
    return;
  }
  (void)epoll_ctl(p->epfd, EPOLL_CTL_DEL, s->hs.conn->fd, NULL);
  s->done = true;
  s->done_seq = p->seq++;
}

/* Waits until ms (-1: forever) for clients' messages and moves their handshakes forward.
 * Returns 0 or -errno of epoll_wait. */
static int step_ready(mp__pending *p, int ms, const void *key, size_t keylen) {
  struct epoll_event ev[EVENTS_MAX];
  int n = epoll_wait(p->epfd, ev, EVENTS_MAX, ms);
  if (n < 0) return errno == EINTR ? 0 : -errno;
  for (int k = 0; k < n; k++)
    if (ev[k].data.u32 != 0) step(p, (int)ev[k].data.u32 - 1, key, keylen);
  return 0;
}

/* Sleeps until the set has something (a new client, a client's message) or d passes, or until
 * mp_interrupt() (-EINTR): epoll_wait() alone would not see the interrupt's eventfd, which is
 * the process's and not the listener's.  Returns 0, -EINTR or -errno. */
static int sleep_ready(mp__pending *p, mp__deadline d) {
  struct pollfd pfd[2] = {{.fd = p->epfd, .events = POLLIN}};
  int r = mp__poll_interruptible(pfd, 1, d);
  return r < 0 ? r : 0;
}

/* Starts the handshake of a newly accepted client in a free slot. */
static void admit(mp__pending *p, int fd, const char *digest) {
  int i = 0;
  while (p->slots[i].hs.conn != NULL) i++;
  mp_conn *c;
  if (mp__conn_from_fd(&c, fd, true, true) < 0) return; /* closes fd */
  mp__pending_slot *s = &p->slots[i];
  if (mp__hs_begin(&s->hs, c, digest) != 0 || ep_add(p->epfd, fd, (uint32_t)i + 1) != 0) {
    mp_conn_free(c); /* a client gone before its challenge, or no memory for the set */
    s->hs.conn = NULL;
    return;
  }
  s->expires_ns = mp__deadline_in(p->handshake).at_ns;
  s->done = false;
  p->used++;
}

/* Takes what waits in the backlog (up to ACCEPT_BATCH).  With every slot taken, first the
 * handshakes that can move are moved (clients that failed or left free their slots); only a
 * client still without a slot then is closed at once.  0, or -errno of accept4(). */
static int take_new(mp__pending *p, int lfd, bool tcp, const void *key, size_t keylen,
                    const char *digest) {
  for (int n = 0; n < ACCEPT_BATCH; n++) {
    int fd = mp__net_accept(lfd, tcp);
    if (fd == -EAGAIN) return 0;
    if (fd < 0) return fd;
    if (p->used >= p->max) {
      int rc = step_ready(p, 0, key, keylen);
      if (rc < 0) {
        mp__close(fd);
        return rc;
      }
    }
    if (p->used < p->max) {
      admit(p, fd, digest);
    } else {
      mp__log(MP_LOG_DEBUG, "listener: %d clients in handshake, one more refused", p->used);
      mp__close(fd);
    }
  }
  return 0;
}

/* Drops the handshakes past their deadline (their MP_ETIMEDOUT kept for accept()); returns
 * the earliest deadline still ahead, or -1. */
static int64_t expire(mp__pending *p, int64_t now) {
  int64_t next = -1;
  for (int i = 0; i < p->max; i++) {
    mp__pending_slot *s = &p->slots[i];
    if (s->hs.conn == NULL || s->done || s->expires_ns < 0) continue;
    if (s->expires_ns <= now)
      fail(p, i, MP_ETIMEDOUT);
    else if (next < 0 || s->expires_ns < next)
      next = s->expires_ns;
  }
  return next;
}

/* The connection whose handshake completed first, if any, taken out of its slot. */
static mp_conn *take_done(mp__pending *p) {
  int best = -1;
  for (int i = 0; i < p->max; i++)
    if (p->slots[i].hs.conn != NULL && p->slots[i].done &&
        (best < 0 || p->slots[i].done_seq < p->slots[best].done_seq))
      best = i;
  if (best < 0) return NULL;
  mp_conn *c = p->slots[best].hs.conn;
  p->slots[best].hs.conn = NULL;
  p->slots[best].done = false;
  p->used--;
  return c;
}

/* In a forked child, the handshakes are the parent's (their sockets and epoll set are shared
 * with it): let go of the copies without touching the parent's set, and start afresh with an
 * epoll set of our own under the same fd number.  The mutex may have been held by a thread
 * of the parent at the fork, so it is made anew too. */
static int adopt(mp__pending *p, int lfd) {
  for (int i = 0; i < p->max; i++) {
    mp_conn_free(p->slots[i].hs.conn);
    p->slots[i].hs.conn = NULL;
    p->slots[i].done = false;
  }
  p->used = p->nerrs = 0;
  pthread_mutex_init(&p->mu, NULL);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) return -errno;
  int rc = dup3(ep, p->epfd, O_CLOEXEC) < 0 ? -errno : 0;
  mp__close(ep);
  return rc == 0 ? ep_add(p->epfd, lfd, 0) : rc;
}

/* Makes the calling process the owner (see adopt) and takes the mutex before d. */
static int enter(mp__pending *p, int lfd, mp__deadline d) {
  pid_t self = getpid();
  pid_t owner = atomic_load(&p->owner);
  while (owner != self) {
    if (owner != 0 && atomic_compare_exchange_strong(&p->owner, &owner, 0)) {
      int rc = adopt(p, lfd);
      /* Without an epoll set of our own the parent's must stay untouched: the next call
       * tries again. */
      atomic_store(&p->owner, rc < 0 ? owner : self);
      if (rc < 0) return rc;
      break;
    }
    if (mp__deadline_passed(d)) return MP_ETIMEDOUT;
    sched_yield(); /* another thread of this process is adopting them */
    owner = atomic_load(&p->owner);
  }
  struct timespec ts;
  const struct timespec *at = mp__deadline_abs(d, &ts);
  int rc = at ? pthread_mutex_clocklock(&p->mu, CLOCK_MONOTONIC, at) : pthread_mutex_lock(&p->mu);
  return rc == 0 ? 0 : rc == ETIMEDOUT ? MP_ETIMEDOUT : -rc;
}

static int run(mp__pending *p, int lfd, bool tcp, const void *key, size_t keylen,
               const char *digest, mp_conn **out, mp__deadline d) {
  bool looked = false;
  for (;;) {
    /* Expired clients make room before new ones are taken; then the newcomers' deadlines
     * count too. */
    (void)expire(p, mp__now_ns());
    int rc = take_new(p, lfd, tcp, key, keylen, digest);
    if (rc < 0) return rc;
    int64_t next = expire(p, mp__now_ns());
    /* A client that made it comes before the report of one that did not. */
    if ((*out = take_done(p)) != NULL) return 0;
    if (p->nerrs > 0) {
      rc = p->errs[p->errhead];
      p->errhead = (p->errhead + 1) % MP__PENDING_ERRS;
      p->nerrs--;
      return rc;
    }
    /* Even a call that only polls moves the handshakes once. */
    if (looked && mp__deadline_passed(d)) return MP_ETIMEDOUT;
    mp__deadline wait = d;
    if (next >= 0 && (mp__deadline_forever(d) || next < d.at_ns)) wait.at_ns = next;
    /* A real wait is one that an interrupt ends; what was ready has been handed out above. */
    if (!mp__deadline_passed(wait) && (rc = sleep_ready(p, wait)) < 0) return rc;
    rc = step_ready(p, 0, key, keylen);
    if (rc < 0) return rc;
    looked = true;
  }
}

int mp__pending_accept(mp__pending *p, int lfd, bool tcp, const void *key, size_t keylen,
                       const char *digest, mp_conn **out, mp__deadline d) {
  int rc = enter(p, lfd, d);
  if (rc < 0) return rc;
  rc = run(p, lfd, tcp, key, keylen, digest, out, d);
  pthread_mutex_unlock(&p->mu);
  return rc;
}

void mp__pending_close(mp__pending *p) {
  /* In a process that does not own the handshakes these are copies: closing them is all. */
  bool mine = atomic_load(&p->owner) == getpid();
  for (int i = 0; p->slots != NULL && i < p->max; i++) {
    if (p->slots[i].hs.conn == NULL) continue;
    if (mine) (void)shutdown(p->slots[i].hs.conn->fd, SHUT_RDWR);
    mp_conn_free(p->slots[i].hs.conn);
  }
  free(p->slots);
  p->slots = NULL;
  p->used = p->nerrs = 0;
  mp__close(p->epfd);
  p->epfd = -1;
}
