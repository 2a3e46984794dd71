/* SPDX-License-Identifier: MIT */
/* multiproc/connection.h -- Python's multiprocessing Pipe, Connection and connection.wait:
 * length-prefixed messages (bytes or values) between processes over a Unix socket pair.
 *
 * A connection is one end of a pipe, an opaque handle made by mp_pipe() and owned by the
 * process that holds it.  fork copies it: the child gets its own handle over the same socket,
 * and the socket stays open until every process that holds an end has closed it.  As in Python,
 * a reader sees end of file (MP_EOF) only once every copy of the other end is closed, so each
 * process closes the ends it does not use (mp_conn_close() right after the fork, in the child,
 * and in the parent for the child's end): a child that keeps an unused write end keeps its
 * reader waiting.  All fds are close-on-exec.
 *
 * Framing is Python's, byte for byte: a message of n < 2^31 bytes is a 4-byte big-endian
 * signed length followed by the bytes; a larger one is the length -1, then an 8-byte big-endian
 * length, then the bytes.  Values travel as MessagePack (mp_obj_encode) inside such a frame.
 *
 * Signals.  Sending never raises SIGPIPE: every write is a send() with MSG_NOSIGNAL, so a
 * peer that is gone shows up as -EPIPE and the caller may keep SIGPIPE at its default action.
 *
 * Errors that end a connection.  A frame with an impossible length (MP_ECORRUPT), one longer
 * than the caller's limit (MP_ETOOBIG), a stream cut inside a frame (MP_EBROKEN), or a send
 * that timed out after writing part of a message (MP_EBROKEN) leave the byte stream out of
 * step; the connection then answers every further send and receive with MP_EBROKEN (close and
 * free still work).  Other ends and other connections are not affected.
 *
 * Interrupts.  Sends, receives, mp_conn_poll() and mp_wait() are interruptible (interrupt.h):
 * mp_interrupt() ends their wait with -EINTR, and with an interrupt pending they return -EINTR
 * instead of waiting (a timeout of 0 only looks, so it still answers).  A receive interrupted
 * inside a message keeps what it read, as after a timeout, so the next receive finishes that
 * message; a send interrupted after part of a message went out ends the connection
 * (MP_EBROKEN afterwards), one interrupted before anything went out leaves it intact.
 *
 * Threads.  Like Python's Connection, one end is used by one thread at a time; two threads
 * sending on the same end at once must hold a lock of their own. */
#ifndef MULTIPROC_CONNECTION_H
#define MULTIPROC_CONNECTION_H

#include <stdbool.h>
#include <stddef.h>

#include "common.h"
#include "obj.h"
#include "process.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One end of a pipe.  Opaque; made by mp_pipe(), released by mp_conn_free(). */
typedef struct mp_conn mp_conn;

/* Pipe(duplex): makes a connected pair of ends.
 *   duplex true:  *a and *b can both send and receive (a socketpair).
 *   duplex false: *a can only receive and *b can only send, as in Python (a socketpair shut
 *                 down in the other direction, so sends still use MSG_NOSIGNAL).
 * The caller owns both handles and frees each with mp_conn_free().  *a and *b are NULL on
 * error.  Errors: -EINVAL (a or b NULL), -EMFILE/-ENFILE (out of fds), -ENOMEM. */
MP_EXTERN int mp_pipe(mp_conn **a, mp_conn **b, bool duplex);

/* send_bytes(buf, offset, size): sends the size bytes at buf + offset as one message (size 0
 * sends an empty message).  The header and the bytes go out in one sendmsg() when the socket
 * has room; partial writes and EINTR are continued.  buf is borrowed: the bytes are copied
 * into the socket before the call returns, and the caller owns buf whatever the result.
 * Blocks while the socket buffer is full, for at most timeout ms.
 * Errors: -EINVAL (c NULL, buf NULL with size > 0, offset + size overflows), MP_ECLOSED (this
 * end was closed), MP_ESTATE (a receive-only end), -EPIPE (the peer has closed every copy of
 * its end or died; the connection stays usable for receiving what the peer sent before),
 * MP_ETIMEDOUT (nothing was written: the connection is intact), -EINTR (mp_interrupt(): as
 * for a timeout when nothing was written; otherwise it ends the connection), MP_EBROKEN (the timeout
 * passed after part of the message was written, which ends the connection; or it had already
 * ended), -ENOMEM and other negative errno values of sendmsg(). */
MP_EXTERN int mp_conn_send_bytes(mp_conn *c, const void *buf, size_t offset, size_t size,
                                 mp_timeout_ms timeout);

/* recv_bytes(maxlength): receives one message into a buffer the library allocates with
 * malloc(); on success *buf (never NULL, even for an empty message) belongs to the caller, who
 * frees it with free(), and *len is its size.  maxsize is the largest message accepted
 * (0: no limit); a longer one is MP_ETOOBIG and ends the connection, as Python's maxlength
 * does, without allocating or reading its bytes.  Waits at most timeout ms for the whole
 * message; a timeout in the middle of a message keeps the bytes read so far in the connection,
 * and the next receive carries on from there, so nothing is lost or misread.
 * *buf is NULL and *len 0 on error.  Errors: -EINVAL (NULL arguments), MP_ECLOSED,
 * MP_ESTATE (a send-only end), MP_EOF (every copy of the other end is closed and no bytes are
 * left), MP_ETIMEDOUT, -EINTR (mp_interrupt(); what was read is kept, as for a timeout),
 * MP_ETOOBIG, MP_ECORRUPT (an impossible length field; ends the
 * connection), MP_EBROKEN (the stream ended inside a message, or the connection had already
 * ended), -ENOMEM (the message could not be allocated; ends the connection), other negative
 * errno values of recv(). */
MP_EXTERN int mp_conn_recv_bytes(mp_conn *c, void **buf, size_t *len, size_t maxsize,
                                 mp_timeout_ms timeout);

/* recv_bytes_into(buf, offset): receives one message into the caller's buffer at
 * buf + offset, where bufsize - offset bytes are available, and stores its size in *msg_len.
 * A message that does not fit is kept: the call returns -EMSGSIZE with the message's size in
 * *msg_len and consumes nothing, so the caller can retry with a larger buffer or take it with
 * mp_conn_recv_bytes() (Python instead raises BufferTooShort holding the message).
 * The library never keeps buf after the call returns; on a timeout in the middle of a message
 * the part read so far is copied into the connection and the next receive carries on.
 * Errors: -EINVAL (NULL arguments, offset > bufsize), -EMSGSIZE (see above), and those of
 * mp_conn_recv_bytes() (no MP_ETOOBIG). */
MP_EXTERN int mp_conn_recv_bytes_into(mp_conn *c, void *buf, size_t bufsize, size_t offset,
                                      size_t *msg_len, mp_timeout_ms timeout);

/* send(obj): encodes o as MessagePack (mp_obj_encode) and sends it as one message.  o is
 * borrowed; the caller keeps its reference whatever the result.  Errors: -EINVAL (c or o
 * NULL), -ENOMEM, and those of mp_conn_send_bytes(). */
MP_EXTERN int mp_conn_send(mp_conn *c, const mp_obj *o, mp_timeout_ms timeout);

/* recv(): receives one message and decodes it (mp_obj_decode with the default limits).  On
 * success *out is a new reference the caller drops with mp_obj_decref(); NULL on error.
 * A message whose frame is sound but whose bytes are not a valid value is consumed and
 * reported as MP_ECORRUPT (or MP_ETOOBIG for a value over the decoding limits) without ending
 * the connection: the next message is read normally.  A Python peer's send() (a pickle) gives
 * MP_ECORRUPT with that said in mp_error_message().  Errors: -EINVAL, and those of
 * mp_conn_recv_bytes() with no size limit. */
MP_EXTERN int mp_conn_recv(mp_conn *c, mp_obj **out, mp_timeout_ms timeout);

/* poll(timeout): whether there is something to receive: returns 1 when bytes of a message are
 * waiting (or already buffered in the connection), or the other end is closed (so a receive
 * would return MP_EOF at once), 0 when the timeout passes first.  As in Python, 1 does not
 * promise that a whole message has arrived.  Errors: -EINVAL, MP_ECLOSED, MP_ESTATE (a
 * send-only end), MP_EBROKEN, -EINTR (mp_interrupt() during a wait). */
MP_EXTERN int mp_conn_poll(mp_conn *c, mp_timeout_ms timeout);

/* fileno(): the socket's fd, for poll()/epoll together with other fds.  The connection owns
 * it: do not close it or read from it.  Bytes the connection has already buffered are not
 * visible on the fd, so prefer mp_conn_poll() or mp_wait() to decide when to receive.
 * Returns the fd, -EINVAL (NULL) or MP_ECLOSED. */
MP_EXTERN int mp_conn_fileno(const mp_conn *c);

/* Python's .readable / .writable / .closed.  NULL counts as closed and neither readable nor
 * writable. */
MP_EXTERN bool mp_conn_readable(const mp_conn *c);
MP_EXTERN bool mp_conn_writable(const mp_conn *c);
MP_EXTERN bool mp_conn_closed(const mp_conn *c);

/* close(): closes this process's copy of the end (idempotent; NULL is accepted).  Later calls
 * on it return MP_ECLOSED.  Copies held by other processes are not affected: the peer sees
 * MP_EOF once every copy is closed. */
MP_EXTERN void mp_conn_close(mp_conn *c);

/* Closes (if needed) and frees the handle.  NULL is accepted. */
MP_EXTERN void mp_conn_free(mp_conn *c);

/* ---- connection.wait ---- */

/* What an mp_wait_item watches. */
typedef enum mp_wait_kind {
  MP_WAIT_CONN, /* a connection: ready when a receive would not block (data, EOF, error) */
  MP_WAIT_PROCESS, /* a started child (its sentinel): ready once it has ended */
  MP_WAIT_FD /* any fd: ready when poll() reports POLLIN, POLLHUP or POLLERR */
} mp_wait_kind;

/* One object to watch.  Set kind and the matching member; mp_wait() sets ready. */
typedef struct mp_wait_item {
  mp_wait_kind kind;
  union {
    mp_conn *conn;
    mp_process *process;
    int fd;
  } u;
  bool ready; /* out: true when this object is ready */
} mp_wait_item;

/* multiprocessing.connection.wait(object_list, timeout): waits until at least one of the n
 * items is ready or timeout ms pass, then marks every ready item.  Returns how many are ready
 * (> 0), or 0 when the timeout passed with none ready (Python's empty list).  A connection
 * whose other end is closed, or with bytes already buffered, is ready; so is a process that
 * has ended (joined or not).  The items are borrowed.  Errors: -EINVAL (items NULL with n > 0,
 * an unknown kind, a NULL connection or process, a negative fd, n too large), MP_ECLOSED (a
 * closed connection or process handle), MP_ESTATE (a send-only connection, a process never
 * started), -EINTR (mp_interrupt() during the wait; a timeout of 0 only looks), -ENOMEM. */
MP_EXTERN int mp_wait(mp_wait_item *items, size_t n, mp_timeout_ms timeout);

#ifdef __cplusplus
}
#endif
#endif
