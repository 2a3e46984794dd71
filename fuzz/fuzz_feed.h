/* SPDX-License-Identifier: MIT */
/* fuzz_feed.h -- what the connection-level fuzz targets share: a connection whose peer end is
 * in the target's hands, so that the fuzzer's bytes arrive as a real peer's would (through the
 * kernel, in as many pieces as the target writes them) and whatever the library answers can be
 * read back.  Header-only: each target is one program. */
#ifndef MP_FUZZ_FEED_H
#define MP_FUZZ_FEED_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn/conn_internal.h"

/* A connection under test and the raw fd of its peer. */
typedef struct fuzz_feed {
  mp_conn *conn;
  int peer;
} fuzz_feed;

/* Makes the pair.  Both socket buffers are made large enough for any input the targets are
 * run with (-max_len well under 64 KiB), so a write of the whole input never blocks. */
static inline void fuzz_feed_open(fuzz_feed *f) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) abort();
  int big = 1 << 20;
  (void)setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
  (void)setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
  if (mp__conn_from_fd(&f->conn, sv[0], true, true) != 0) abort();
  f->peer = sv[1];
}

/* Writes len bytes as the peer; aborts if the kernel takes fewer (the buffers are sized so it
 * never should, and a silent short write would make the target test less than it says). */
static inline void fuzz_feed_write(fuzz_feed *f, const void *p, size_t len) {
  const uint8_t *b = p;
  while (len > 0) {
    ssize_t w = write(f->peer, b, len);
    if (w <= 0) abort();
    b += w;
    len -= (size_t)w;
  }
}

/* The peer says it will send nothing more. */
static inline void fuzz_feed_end(fuzz_feed *f) { (void)shutdown(f->peer, SHUT_WR); }

/* Reads whatever the library has sent the peer so far (at most cap bytes, without waiting).
 * Returns the count. */
static inline size_t fuzz_feed_read(fuzz_feed *f, void *buf, size_t cap) {
  ssize_t r = recv(f->peer, buf, cap, MSG_DONTWAIT);
  return r > 0 ? (size_t)r : 0;
}

static inline void fuzz_feed_close(fuzz_feed *f) {
  mp_conn_free(f->conn);
  close(f->peer);
}

/* The frame Python's Connection would send for len bytes (short form), into out (4 bytes). */
static inline void fuzz_put_be32(uint8_t *out, uint32_t v) {
  out[0] = (uint8_t)(v >> 24);
  out[1] = (uint8_t)(v >> 16);
  out[2] = (uint8_t)(v >> 8);
  out[3] = (uint8_t)v;
}

#endif
