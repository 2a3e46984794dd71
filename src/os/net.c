/* SPDX-License-Identifier: MIT */
/* net.c -- socket creation, binding, accepting and connecting under a deadline (see net.h). */
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <time.h>

#include "os/net.h"

static bool is_tcp(int family) { return family == AF_INET || family == AF_INET6; }

/* Nagle's algorithm would hold back a small message written right after another one until
 * the peer's delayed ACK (up to 40 ms); messages here are latency-bound requests. */
static void set_nodelay(int fd) {
  int one = 1;
  (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

int mp__net_listen(const mp__sockaddr *a, int backlog) {
  int family = a->ss.ss_family;
  int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -errno;
  if (is_tcp(family)) {
    int one = 1;
    (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  }
  if (bind(fd, (const struct sockaddr *)&a->ss, a->len) != 0 || listen(fd, backlog) != 0) {
    int err = -errno;
    mp__close(fd);
    return err;
  }
  return fd;
}

int mp__net_accept(int lfd, bool tcp) {
  for (;;) {
    int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    if (fd >= 0) {
      if (tcp) set_nodelay(fd);
      return fd;
    }
    if (errno == EINTR) continue;
    /* A client that reset its connection before we took it is simply gone (accept(2) lists
     * these as to be treated like EAGAIN). */
    if (errno == ECONNABORTED || errno == EPROTO || errno == EWOULDBLOCK) return -EAGAIN;
    return -errno;
  }
}

static void sleep_ns(int64_t ns) {
  struct timespec ts = {ns / 1000000000, ns % 1000000000};
  (void)nanosleep(&ts, NULL);
}

int mp__net_connect(const mp__sockaddr *a, mp__deadline d) {
  int family = a->ss.ss_family;
  int64_t backoff = 1000000; /* 1 ms, doubled up to 32 ms while an AF_UNIX backlog is full */
  for (;;) {
    /* Non-blocking so the deadline bounds the connect itself. */
    int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return -errno;
    int r;
    do r = connect(fd, (const struct sockaddr *)&a->ss, a->len);
    while (r != 0 && errno == EINTR && family == AF_UNIX);
    int err = r == 0 ? 0 : errno;
    if (err == EINPROGRESS || (err == EINTR && family != AF_UNIX)) {
      /* TCP: wait for the outcome, then read it from SO_ERROR. */
      struct pollfd pfd[2] = {{.fd = fd, .events = POLLOUT}};
      int p = mp__poll_interruptible(pfd, 1, d); /* mp_interrupt() ends it with -EINTR */
      if (p < 0)
        err = -p;
      else if (p == 0)
        err = ETIMEDOUT;
      else {
        socklen_t len = sizeof err;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
      }
    }
    if (err == 0) {
      int fl = fcntl(fd, F_GETFL);
      if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) != 0) {
        err = errno;
        mp__close(fd);
        return -err;
      }
      if (is_tcp(family)) set_nodelay(fd);
      return fd;
    }
    mp__close(fd);
    /* A Unix listener whose backlog is full refuses a non-blocking connect with EAGAIN; a
     * blocking one would wait, so wait here too, in short sleeps, until the deadline. */
    if (err != EAGAIN || family != AF_UNIX) return -err;
    int left = mp__deadline_poll_ms(d);
    if (left == 0) return -ETIMEDOUT;
    if (mp__interrupt_pending()) return -EINTR; /* each short sleep ends with a look */
    int64_t ns = backoff;
    if (left > 0 && (int64_t)left * 1000000 < ns) ns = (int64_t)left * 1000000;
    sleep_ns(ns);
    if (backoff < 32000000) backoff *= 2;
  }
}

int mp__net_local_addr(int fd, mp__sockaddr *out) {
  out->len = sizeof out->ss;
  if (getsockname(fd, (struct sockaddr *)&out->ss, &out->len) != 0) return -errno;
  return 0;
}
