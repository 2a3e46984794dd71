/* SPDX-License-Identifier: MIT */
/* conn.c -- Pipe(): making, closing and inspecting connections; poll(). */
#include <stdlib.h>
#include <sys/socket.h>

#include "conn/conn_internal.h"
#include "os/os.h"
#include "os/sock.h"

int mp__conn_from_fd(mp_conn **out, int fd, bool readable, bool writable) {
  mp_conn *c = calloc(1, sizeof *c);
  if (c == NULL) {
    mp__close(fd);
    *out = NULL;
    return -ENOMEM;
  }
  c->fd = fd;
  c->readable = readable;
  c->writable = writable;
  *out = c;
  return 0;
}

int mp__conn_break(mp_conn *c, int err) {
  if (c->broken == 0) c->broken = err;
  c->pend = false;
  free(c->pend_buf);
  c->pend_buf = NULL;
  return err;
}

int mp__conn_check_recv(const mp_conn *c) {
  if (c == NULL) return -EINVAL;
  if (c->fd < 0) return MP_ECLOSED;
  if (!c->readable) return MP_ESTATE;
  if (c->broken) return MP_EBROKEN;
  return 0;
}

int mp_pipe(mp_conn **a, mp_conn **b, bool duplex) {
  if (a == NULL || b == NULL) return -EINVAL;
  *a = *b = NULL;
  int sv[2];
  int rc = mp__sock_pair(sv);
  if (rc < 0) return rc;
  if (!duplex) {
    /* a only reads and b only writes.  Shutting the unused directions makes a stray write on
     * a fail (and a write on b fail with EPIPE once a is closed everywhere). */
    (void)shutdown(sv[0], SHUT_WR);
    (void)shutdown(sv[1], SHUT_RD);
  }
  rc = mp__conn_from_fd(a, sv[0], true, duplex);
  if (rc < 0) {
    mp__close(sv[1]);
    return rc;
  }
  rc = mp__conn_from_fd(b, sv[1], duplex, true);
  if (rc < 0) {
    mp_conn_free(*a);
    *a = NULL;
    return rc;
  }
  return 0;
}

int mp_conn_poll(mp_conn *c, mp_timeout_ms timeout) {
  int rc = mp__conn_check_recv(c);
  if (rc < 0) return rc;
  if (c->rend > c->rpos) return 1;
  return mp__conn_wait_fd(c->fd, false, mp__deadline_in(timeout));
}

int mp__conn_wait_fd(int fd, bool writable, mp__deadline d) {
  if (mp__deadline_passed(d))
    return writable ? mp__poll_writable(fd, d) : mp__poll_readable(fd, d);
  return writable ? mp__poll_writable_interruptible(fd, d) : mp__poll_readable_interruptible(fd, d);
}

bool mp__conn_kernel_blocks(bool forever) {
  return forever && mp__interrupt_fd() < 0 && !mp__interrupt_pending();
}

int mp_conn_fileno(const mp_conn *c) {
  if (c == NULL) return -EINVAL;
  return c->fd < 0 ? MP_ECLOSED : c->fd;
}

bool mp_conn_readable(const mp_conn *c) { return c != NULL && c->fd >= 0 && c->readable; }
bool mp_conn_writable(const mp_conn *c) { return c != NULL && c->fd >= 0 && c->writable; }
bool mp_conn_closed(const mp_conn *c) { return c == NULL || c->fd < 0; }

void mp_conn_close(mp_conn *c) {
  if (c == NULL || c->fd < 0) return;
  mp__close(c->fd);
  c->fd = -1;
  free(c->rbuf);
  c->rbuf = NULL;
  c->rpos = c->rend = 0;
  free(c->pend_buf);
  c->pend_buf = NULL;
  c->pend = false;
}

void mp_conn_free(mp_conn *c) {
  if (c == NULL) return;
  mp_conn_close(c);
  free(c);
}
