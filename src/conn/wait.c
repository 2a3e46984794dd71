/* SPDX-License-Identifier: MIT */
/* wait.c -- multiprocessing.connection.wait(): one poll() over connections, process sentinels
 * (pidfds) and plain fds, under one deadline. */
#include <limits.h>
#include <poll.h>
#include <stdlib.h>

#include "conn/conn_internal.h"
#include "os/os.h"

/* Items watched without a heap allocation (one more slot: the interrupt's eventfd). */
#define WAIT_STACK 16

/* The fd to poll for one item, or a negative error.  *now is set when the item is ready
 * without asking the kernel (bytes already buffered, or a broken connection whose next
 * receive fails at once). */
static int item_fd(const mp_wait_item *it, bool *now) {
  *now = false;
  switch (it->kind) {
    case MP_WAIT_CONN: {
      const mp_conn *c = it->u.conn;
      if (c == NULL) return -EINVAL;
      if (c->fd < 0) return MP_ECLOSED;
      if (!c->readable) return MP_ESTATE;
      if (c->broken || c->rend > c->rpos) *now = true;
      return c->fd;
    }
    case MP_WAIT_PROCESS:
      if (it->u.process == NULL) return -EINVAL;
      return mp_process_sentinel(it->u.process);
    case MP_WAIT_FD: return it->u.fd >= 0 ? it->u.fd : -EINVAL;
  }
  return -EINVAL;
}

int mp_wait(mp_wait_item *items, size_t n, mp_timeout_ms timeout) {
  if (items == NULL && n > 0) return -EINVAL;
  if (n > (size_t)INT_MAX) return -EINVAL;
  mp__deadline d = mp__deadline_in(timeout);
  struct pollfd stack[WAIT_STACK + 1];
  struct pollfd *pfd = stack;
  if (n > WAIT_STACK) {
    pfd = malloc((n + 1) * sizeof *pfd);
    if (pfd == NULL) return -ENOMEM;
  }
  int ready = 0, rc = 0;
  for (size_t i = 0; i < n; i++) {
    bool now;
    int fd = item_fd(&items[i], &now);
    if (fd < 0) {
      rc = fd;
      goto out;
    }
    items[i].ready = now;
    ready += now;
    pfd[i] = (struct pollfd){.fd = fd, .events = POLLIN};
  }
  for (;;) {
    /* Something is ready already, or the caller only polls: collect what is, without sleeping
     * (an interrupt stops waits, it does not undo what is ready).  Otherwise the wait is one
     * that mp_interrupt() ends. */
    bool look = ready > 0 || timeout == 0;
    int r = look ? poll(pfd, (nfds_t)n, 0) : mp__poll_interruptible(pfd, n, d);
    if (r < 0 && look) r = errno == EINTR ? 0 : -errno;
    if (r < 0) {
      rc = r;
      goto out;
    }
    for (size_t i = 0; i < n; i++) {
      if (pfd[i].revents & POLLNVAL) {
        rc = -EBADF;
        goto out;
      }
      if (pfd[i].revents != 0 && !items[i].ready) {
        items[i].ready = true;
        ready++;
      }
    }
    if (ready > 0 || r == 0) break; /* r == 0: the deadline passed */
  }
  rc = ready;
out:
  if (pfd != stack) free(pfd);
  return rc;
}
