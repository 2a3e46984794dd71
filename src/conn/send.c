/* SPDX-License-Identifier: MIT */
/* send.c -- send_bytes(): one length-prefixed frame, written with one sendmsg() when it fits. */
#include <limits.h>
#include <string.h>
#include <sys/uio.h>

#include "conn/conn_internal.h"
#include "os/os.h"
#include "os/sock.h"

/* The most one sendmsg() is asked to take, far below SSIZE_MAX. */
#define SEND_CHUNK ((size_t)1 << 30)

/* Messages up to this size are copied behind their header and sent as one buffer. */
#define SMALL_MSG 256

static void put_be32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

/* Drops the first n bytes from the iovec array *v of *nv entries. */
static void advance(struct iovec **v, int *nv, size_t n) {
  while (*nv > 0 && n >= (*v)[0].iov_len) {
    n -= (*v)[0].iov_len;
    (*v)++;
    (*nv)--;
  }
  if (*nv > 0) {
    (*v)[0].iov_base = (uint8_t *)(*v)[0].iov_base + n;
    (*v)[0].iov_len -= n;
  }
}

int mp_conn_send_bytes(mp_conn *c, const void *buf, size_t offset, size_t size,
                       mp_timeout_ms timeout) {
  if (c == NULL || (buf == NULL && size > 0) || offset > SIZE_MAX - size) return -EINVAL;
  if (c->fd < 0) return MP_ECLOSED;
  if (!c->writable) return MP_ESTATE;
  if (c->broken) return MP_EBROKEN;

  /* Python's framing: "!i" length, or -1 and a "!Q" length beyond 2^31 - 1. */
  uint8_t hdr[12];
  size_t hlen = 4;
  if ((uint64_t)size <= MP__CONN_SHORT_MAX) {
    put_be32(hdr, (uint32_t)size);
  } else {
    put_be32(hdr, 0xffffffffu);
    put_be32(hdr + 4, (uint32_t)((uint64_t)size >> 32));
    put_be32(hdr + 8, (uint32_t)size);
    hlen = 12;
  }

  bool block = mp__conn_kernel_blocks(timeout < 0);
  mp__deadline d = mp__deadline_in(timeout);
  const uint8_t *body = buf ? (const uint8_t *)buf + offset : NULL;
  size_t pre = 0; /* bytes of the frame already written by the small-message attempt */
  if (size <= SMALL_MSG) {
    /* A small frame is built in one piece: a single-buffer send is the cheapest call. */
    uint8_t frame[4 + SMALL_MSG];
    memcpy(frame, hdr, 4);
    if (size > 0) memcpy(frame + 4, body, size);
    struct iovec one = {.iov_base = frame, .iov_len = 4 + size};
    ssize_t r = mp__sock_sendv(c->fd, &one, 1, !block);
    if (r == (ssize_t)(4 + size)) return 0;
    if (r == -ECONNRESET || r == -EPIPE) return -EPIPE;
    if (r < 0 && r != -EAGAIN) return (int)r;
    /* Full socket or a partial write: the general path below finishes the job. */
    pre = r > 0 ? (size_t)r : 0;
  }
  struct iovec iov[2] = {{.iov_base = hdr, .iov_len = hlen},
                         {.iov_base = (void *)(uintptr_t)body, .iov_len = size}};
  struct iovec *v = iov;
  int nv = size > 0 ? 2 : 1;
  size_t sent = pre;
  advance(&v, &nv, pre);

  while (nv > 0) {
    /* Cap what one call is asked for; the loop continues the rest. */
    struct iovec call[2] = {v[0], nv > 1 ? v[1] : (struct iovec){0}};
    if (call[0].iov_len > SEND_CHUNK) call[0].iov_len = SEND_CHUNK;
    if (nv > 1 && call[1].iov_len > SEND_CHUNK - call[0].iov_len)
      call[1].iov_len = SEND_CHUNK - call[0].iov_len;
    /* An untimed send blocks in the kernel: one system call for the common case.  A timed one
     * never blocks there, so the fd's flags (shared with other processes) stay untouched. */
    ssize_t r = mp__sock_sendv(c->fd, call, nv, !block);
    if (r >= 0) {
      sent += (size_t)r;
      advance(&v, &nv, (size_t)r);
      continue;
    }
    if (r == -EAGAIN) {
      int p = mp__conn_wait_fd(c->fd, true, d);
      if (p > 0) continue;
      /* An interrupt (-EINTR) or an error: intact when nothing went out, as for a timeout. */
      if (p < 0) return sent ? mp__conn_break(c, p) : p;
      /* Timed out: intact when nothing went out, otherwise the peer holds half a frame. */
      if (sent == 0) return MP_ETIMEDOUT;
      mp__conn_break(c, MP_ETIMEDOUT);
      return MP_EBROKEN;
    }
    if (r == -EINTR) return sent ? mp__conn_break(c, -EINTR) : -EINTR; /* blocked in the kernel */
    if (r == -ECONNRESET) r = -EPIPE;
    /* The peer is gone (-EPIPE): what it sent before is still readable, so the connection
     * is not marked broken; every later send gets -EPIPE from the kernel again. */
    return r;
  }
  return 0;
}
