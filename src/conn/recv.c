/* SPDX-License-Identifier: MIT */
/* recv.c -- recv_bytes() and recv_bytes_into(): reading one frame, resumable after a timeout.
 *
 * Bytes arrive through a small buffer (rbuf), so the header and body of a small message come
 * in with one recv().  A body larger than what is buffered is read straight into its
 * destination.  Once a header is consumed the message is "pending" in the connection (its
 * length and the body bytes read so far), so a timeout or an interrupt (-EINTR) at any point
 * leaves the stream in step: the next receive finishes the same message.  Keeping the state
 * is simpler and safer than finishing the frame before returning -EINTR: a sender that stalls
 * inside a frame would otherwise keep the interrupted call waiting. */
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "conn/conn_internal.h"
#include "os/os.h"
#include "os/sock.h"
#include "os/wait.h"

/* The most one recv() is asked for. */
#define RECV_CHUNK ((size_t)1 << 30)

static uint32_t get_be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* Waits for the fd after -EAGAIN: 0 to retry, MP_ETIMEDOUT, -EINTR (mp_interrupt()), or
 * -errno.  What was read so far stays in the connection either way (see the top). */
static int wait_readable(const mp_conn *c, mp__deadline d) {
  int p = mp__conn_wait_fd(c->fd, false, d);
  if (p > 0) return 0;
  return p == 0 ? MP_ETIMEDOUT : p;
}

/* How long a receive that finds nothing looks again before it sleeps.  A reply from a peer
 * that is awake arrives within a few microseconds; sleeping instead costs a wake-up, which on
 * a virtual machine with an idle vCPU is tens of microseconds.  A receive that really has to
 * wait spends at most this much CPU first. */
#define CONN_SPIN_NS 20000

/* recv() without blocking, retried for up to CONN_SPIN_NS while nothing is there. */
static ssize_t recv_spin(int fd, void *buf, size_t len) {
  if (mp__wait_passive()) return -EAGAIN; /* MP_WAIT_POLICY=passive: straight to the sleep */
  int64_t end = 0;
  for (;;) {
    ssize_t r = mp__sock_recv(fd, buf, len, true);
    if (r != -EAGAIN) return r;
    int64_t now = mp__now_ns();
    if (end == 0)
      end = now + CONN_SPIN_NS;
    else if (now >= end)
      return -EAGAIN;
    /* Give way to anything runnable: on a busy machine that may be the sender. */
    sched_yield();
  }
}

/* Buffers at least need (<= MP__CONN_RBUF) unconsumed bytes.  Called only between messages,
 * so an end of stream with nothing buffered is a clean MP_EOF and one inside a header is a
 * broken stream. */
static int fill(mp_conn *c, size_t need, mp__deadline d, bool forever) {
  if (c->rbuf == NULL) {
    c->rbuf = malloc(MP__CONN_RBUF);
    if (c->rbuf == NULL) return -ENOMEM;
  }
  while (c->rend - c->rpos < need) {
    if (c->rpos == c->rend) {
      c->rpos = c->rend = 0;
    } else if (c->rpos + need > MP__CONN_RBUF) {
      memmove(c->rbuf, c->rbuf + c->rpos, c->rend - c->rpos);
      c->rend -= c->rpos;
      c->rpos = 0;
    }
    /* Look without blocking first (for a little while, see recv_spin); then an untimed
     * receive blocks in the kernel and a timed one polls, leaving the fd's flags, shared with
     * other processes, alone. */
    ssize_t r = recv_spin(c->fd, c->rbuf + c->rend, MP__CONN_RBUF - c->rend);
    if (r == -EAGAIN)
      r = mp__sock_recv(c->fd, c->rbuf + c->rend, MP__CONN_RBUF - c->rend,
                        !mp__conn_kernel_blocks(forever));
    if (r > 0) {
      c->rend += (size_t)r;
    } else if (r == 0 || r == -ECONNRESET) {
      return c->rend == c->rpos ? MP_EOF : mp__conn_break(c, MP_EBROKEN);
    } else if (r == -EAGAIN) {
      int rc = wait_readable(c, d);
      if (rc < 0) return rc;
    } else {
      return (int)r;
    }
  }
  return 0;
}

/* Makes the next message pending: parses and consumes its header unless one already is. */
static int read_header(mp_conn *c, mp__deadline d, bool forever) {
  if (c->pend) return 0;
  int rc = fill(c, 4, d, forever);
  if (rc < 0) return rc;
  uint32_t word = get_be32(c->rbuf + c->rpos);
  uint64_t len = word;
  size_t hlen = 4;
  if (word == 0xffffffffu) { /* -1: an 8-byte length follows */
    rc = fill(c, 12, d, forever);
    if (rc < 0) return rc;
    len = (uint64_t)get_be32(c->rbuf + c->rpos + 4) << 32 | get_be32(c->rbuf + c->rpos + 8);
    if (len > (uint64_t)PTRDIFF_MAX) return mp__conn_break(c, MP_ECORRUPT);
    hlen = 12;
  } else if (word > MP__CONN_SHORT_MAX) { /* any other negative length */
    return mp__conn_break(c, MP_ECORRUPT);
  }
  c->rpos += hlen;
  c->pend = true;
  c->pend_len = len;
  c->pend_have = 0;
  return 0;
}

/* Delivers the pending message's body into dst (pend_len bytes): what was kept from an
 * earlier attempt, then what is buffered, then straight from the socket.  On success the
 * message is no longer pending (pend_buf is forgotten, not freed, when it is dst itself).
 * On a timeout or error the bytes read so far are kept in pend_buf. */
static int read_body(mp_conn *c, uint8_t *dst, mp__deadline d, bool forever) {
  uint64_t len = c->pend_len, have = c->pend_have;
  int rc = 0;
  if (c->pend_buf != NULL && dst != c->pend_buf) memcpy(dst, c->pend_buf, have);
  size_t avail = c->rend - c->rpos;
  if (avail > 0 && have < len) {
    size_t n = len - have < avail ? (size_t)(len - have) : avail;
    memcpy(dst + have, c->rbuf + c->rpos, n);
    c->rpos += n;
    have += n;
  }
  while (have < len) {
    size_t want = len - have < RECV_CHUNK ? (size_t)(len - have) : RECV_CHUNK;
    ssize_t r = mp__sock_recv(c->fd, dst + have, want, !mp__conn_kernel_blocks(forever));
    if (r > 0) {
      have += (uint64_t)r;
    } else if (r == 0 || r == -ECONNRESET) {
      return mp__conn_break(c, MP_EBROKEN); /* the writer vanished inside the message */
    } else if (r == -EAGAIN) {
      rc = wait_readable(c, d);
      if (rc < 0) goto keep;
    } else {
      rc = (int)r;
      goto keep;
    }
  }
  if (c->pend_buf != dst) free(c->pend_buf);
  c->pend_buf = NULL;
  c->pend = false;
  c->pend_have = 0;
  return 0;

keep:
  if (dst != c->pend_buf) {
    if (c->pend_buf == NULL) {
      c->pend_buf = malloc((size_t)len);
      if (c->pend_buf == NULL) return mp__conn_break(c, -ENOMEM);
    }
    memcpy(c->pend_buf, dst, (size_t)have);
  }
  c->pend_have = have;
  return rc;
}

int mp_conn_recv_bytes(mp_conn *c, void **buf, size_t *len, size_t maxsize, mp_timeout_ms timeout) {
  if (buf == NULL || len == NULL) return -EINVAL;
  *buf = NULL;
  *len = 0;
  int rc = mp__conn_check_recv(c);
  if (rc < 0) return rc;
  bool forever = timeout < 0;
  mp__deadline d = mp__deadline_in(timeout);
  rc = read_header(c, d, forever);
  if (rc < 0) return rc;
  if (maxsize > 0 && c->pend_len > maxsize) return mp__conn_break(c, MP_ETOOBIG);
  if (c->pend_buf == NULL) {
    /* The message's own buffer doubles as the connection's keep buffer on a timeout. */
    c->pend_buf = malloc(c->pend_len > 0 ? (size_t)c->pend_len : 1);
    if (c->pend_buf == NULL) return mp__conn_break(c, -ENOMEM);
  }
  uint8_t *dst = c->pend_buf;
  size_t n = (size_t)c->pend_len;
  rc = read_body(c, dst, d, forever);
  if (rc < 0) return rc;
  *buf = dst;
  *len = n;
  return 0;
}

int mp_conn_recv_bytes_into(mp_conn *c, void *buf, size_t bufsize, size_t offset, size_t *msg_len,
                            mp_timeout_ms timeout) {
  if (buf == NULL || msg_len == NULL || offset > bufsize) return -EINVAL;
  *msg_len = 0;
  int rc = mp__conn_check_recv(c);
  if (rc < 0) return rc;
  bool forever = timeout < 0;
  mp__deadline d = mp__deadline_in(timeout);
  rc = read_header(c, d, forever);
  if (rc < 0) return rc;
  if (c->pend_len > bufsize - offset) {
    *msg_len = (size_t)c->pend_len; /* kept pending for a retry */
    return -EMSGSIZE;
  }
  size_t n = (size_t)c->pend_len;
  rc = read_body(c, (uint8_t *)buf + offset, d, forever);
  if (rc < 0) return rc;
  *msg_len = n;
  return 0;
}
