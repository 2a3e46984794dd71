/* SPDX-License-Identifier: MIT */
/* fd.c -- small fd helpers: waiting for readability under a deadline, and closing. */
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "os/os.h"

int mp__poll_readable(int fd, mp__deadline d) {
  struct pollfd pfd = {.fd = fd, .events = POLLIN};
  for (;;) {
    int r = poll(&pfd, 1, mp__deadline_poll_ms(d));
    if (r > 0) return 1;
    if (r == 0) return 0;
    if (errno != EINTR) return -errno;
  }
}

void mp__close(int fd) {
  if (fd >= 0) (void)close(fd);
}

int mp__read_all(int fd, void *buf, size_t len) {
  char *p = buf;
  while (len > 0) {
    ssize_t n = read(fd, p, len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -errno;
    if (n == 0) return -EPIPE;
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

int mp__send_all(int fd, const void *buf, size_t len) {
  const char *p = buf;
  while (len > 0) {
    ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -errno;
    p += n;
    len -= (size_t)n;
  }
  return 0;
}
