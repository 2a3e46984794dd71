/* SPDX-License-Identifier: MIT */
/* fuzz_conn_frame.c -- libFuzzer target for a connection's frame reader (src/conn/recv.c).
 * The input is what a peer sends: Python's frames (4-byte big-endian length, or 0xffffffff and
 * an 8-byte length) or anything else.  The first byte picks how it is read: where the bytes
 * are cut in two (the first part is received with a zero timeout before the rest arrives, so a
 * header or body split across arrivals is resumed), the size limit of recv_bytes, and whether
 * messages are taken with recv_bytes or into a small caller buffer (whose -EMSGSIZE keeps the
 * message pending).  Every receive must end in a message or one of the documented errors, and
 * after the peer's end of stream the reader must reach MP_EOF or MP_EBROKEN: no crash, no
 * hang, no read past a buffer, no leak. */
#include "fuzz_feed.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What a receive may return for bytes that are not (or not yet) a whole frame. */
static bool expected_error(int rc) {
  return rc == MP_ETIMEDOUT || rc == MP_EOF || rc == MP_EBROKEN || rc == MP_ECORRUPT ||
         rc == MP_ETOOBIG || rc == -EMSGSIZE;
}

/* One receive in the chosen style.  Returns its code; a message received must have the length
 * its header announced, and never more than the limit. */
static int receive(mp_conn *c, bool into, size_t limit) {
  if (into) {
    uint8_t small[64];
    size_t n = 0;
    int rc = mp_conn_recv_bytes_into(c, small, sizeof small, 0, &n, 0);
    if (rc == 0 && n > sizeof small) abort();
    if (rc == -EMSGSIZE) {
      /* The message stays pending: take it whole this time, as a caller would. */
      void *buf = NULL;
      size_t len = 0;
      if (n <= sizeof small) abort();
      rc = mp_conn_recv_bytes(c, &buf, &len, limit, 0);
      if (rc == 0 && len != n) abort();
      free(buf);
    }
    return rc;
  }
  void *buf = NULL;
  size_t len = 0;
  int rc = mp_conn_recv_bytes(c, &buf, &len, limit, 0);
  if (rc == 0) {
    if (len > limit) abort();
    if (len > 0) ((volatile uint8_t *)buf)[len - 1] ^= 0; /* the whole body is addressable */
    free(buf);
  } else if (buf != NULL) {
    abort(); /* an error leaves nothing to free */
  }
  return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  const uint8_t mode = data[0];
  data++;
  size--;
  /* A limit of 1 MiB at most: a larger one would let a forged header make the reader ask
   * malloc for gigabytes, which is the caller's choice of limit, not a decoder defect. */
  static const size_t limits[4] = {16, 256, 4096, 1 << 20};
  const size_t limit = limits[mode & 3];
  const bool into = mode & 4;
  const size_t cut = size * (size_t)(mode >> 3) / 31;

  fuzz_feed f;
  fuzz_feed_open(&f);
  fuzz_feed_write(&f, data, cut);
  int rc = receive(f.conn, into, limit);
  if (rc != 0 && !expected_error(rc)) abort();
  fuzz_feed_write(&f, data + cut, size - cut);
  fuzz_feed_end(&f);
  /* Each message consumes at least its 4-byte header, so this many receives reach the end. */
  for (size_t i = 0; i <= size / 4 + 2; i++) {
    rc = receive(f.conn, into, limit);
    if (rc == MP_EOF || rc == MP_EBROKEN) break;
    if (rc != 0 && !expected_error(rc)) abort();
    if (rc == MP_ETIMEDOUT) abort(); /* everything has arrived: nothing to wait for */
  }
  if (rc != MP_EOF && rc != MP_EBROKEN) abort();
  fuzz_feed_close(&f);
  return 0;
}
