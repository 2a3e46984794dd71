/* SPDX-License-Identifier: MIT */
/* sock.c -- Unix stream socket wrappers used by connections (see sock.h). */
#include <errno.h>
#include <poll.h>
#include <sys/socket.h>

#include "os/sock.h"

int mp__sock_pair(int sv[2]) {
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return -errno;
  return 0;
}

ssize_t mp__sock_sendv(int fd, const struct iovec *iov, int iovcnt, bool nonblock) {
  struct msghdr mh = {.msg_iov = (struct iovec *)(uintptr_t)iov, .msg_iovlen = (size_t)iovcnt};
  int flags = MSG_NOSIGNAL | (nonblock ? MSG_DONTWAIT : 0);
  for (;;) {
    ssize_t r = sendmsg(fd, &mh, flags);
    if (r >= 0) return r;
    if (errno != EINTR) return -errno;
    if (mp__interrupt_pending()) return -EINTR; /* see sock.h */
  }
}

ssize_t mp__sock_recv(int fd, void *buf, size_t len, bool nonblock) {
  for (;;) {
    ssize_t r = recv(fd, buf, len, nonblock ? MSG_DONTWAIT : 0);
    if (r >= 0) return r;
    if (errno != EINTR) return -errno;
    if (mp__interrupt_pending()) return -EINTR; /* see sock.h */
  }
}

int mp__poll_writable_interruptible(int fd, mp__deadline d) {
  struct pollfd pfd[2] = {{.fd = fd, .events = POLLOUT}};
  return mp__poll_interruptible(pfd, 1, d);
}

int mp__poll_writable(int fd, mp__deadline d) {
  struct pollfd pfd = {.fd = fd, .events = POLLOUT};
  for (;;) {
    int r = poll(&pfd, 1, mp__deadline_poll_ms(d));
    if (r > 0) return 1;
    if (r == 0) return 0;
    if (errno != EINTR) return -errno;
  }
}
