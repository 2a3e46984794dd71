/* fd.c -- small fd helpers: waiting for readability under a deadline, and closing. */
#include <poll.h>
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
