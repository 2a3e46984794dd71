/* SPDX-License-Identifier: MIT */
/* fd.c -- small fd helpers: waiting for readability under a deadline, eventfds as wake-ups, and
 * closing. */
#include <poll.h>
#include <stdint.h>
#include <sys/eventfd.h>
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

int mp__eventfd_new(void) {
  int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  return fd < 0 ? -errno : fd;
}

void mp__eventfd_post(int fd) {
  /* EAGAIN means the counter is full, which is readable already: nothing is lost. */
  if (fd >= 0) (void)!write(fd, &(uint64_t){1}, sizeof(uint64_t));
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
