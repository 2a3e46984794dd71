/* SPDX-License-Identifier: MIT */
/* conn_internal.h -- the layout of a connection, shared by the files of src/conn/. */
#ifndef MP_CONN_INTERNAL_H
#define MP_CONN_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "internal.h"
#include "os/os.h"

/* Bytes of the receive buffer: one recv() of this size takes in a small message with its
 * header, or several queued ones, in a single system call. */
#define MP__CONN_RBUF 16384

/* Largest length carried by the 4-byte header; longer messages use -1 and an 8-byte length
 * (Python's Connection._send_bytes). */
#define MP__CONN_SHORT_MAX 0x7fffffffu

struct mp_conn {
  int fd; /* the socket; -1 once closed */
  bool readable; /* may receive (false for the sending end of a one-way pipe) */
  bool writable; /* may send (false for the receiving end of a one-way pipe) */
  int broken; /* 0, or the error that put the byte stream out of step (then MP_EBROKEN) */

  /* Received bytes not yet consumed: rbuf[rpos, rend).  Allocated at the first receive. */
  uint8_t *rbuf;
  size_t rpos, rend;

  /* A message whose header has been consumed but whose body has not been delivered yet
   * (after a timeout, or an -EMSGSIZE from recv_bytes_into): its length, and the first
   * pend_have body bytes, kept in pend_buf (malloc'd, pend_len bytes, NULL while empty). */
  bool pend;
  uint64_t pend_len;
  uint64_t pend_have;
  uint8_t *pend_buf;
};

/* Wraps an fd (a connected stream socket) in a new connection that owns it.  Used by mp_pipe
 * and by later transports (Listener/Client).  Returns 0 or -ENOMEM (the fd is then closed). */
int mp__conn_from_fd(mp_conn **out, int fd, bool readable, bool writable);

/* Marks the byte stream out of step and returns err (the error to report this time). */
int mp__conn_break(mp_conn *c, int err);

/* Whether an untimed send or receive may block in the kernel (one system call) rather than
 * poll: only while nothing else could end its wait.  Once mp_interrupt_on() made the
 * interrupt's eventfd, a wait polls it too, so mp_interrupt() from any thread ends it; and with
 * an interrupt pending the call must not block at all. */
bool mp__conn_kernel_blocks(bool forever);

/* Waits until fd is readable (writable: false) or writable, until d: 1 ready, 0 timed out,
 * -EINTR, -errno.  mp_interrupt() ends a wait, but a look once d has passed is no wait and
 * an interrupt leaves it alone (so the listener's handshake steps, which only look, are never
 * failed by an interrupt). */
int mp__conn_wait_fd(int fd, bool writable, mp__deadline d);

/* The checks every receive starts with: 0, or -EINVAL / MP_ECLOSED / MP_ESTATE / MP_EBROKEN. */
int mp__conn_check_recv(const mp_conn *c);

#endif
