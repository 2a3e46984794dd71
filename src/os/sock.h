/* SPDX-License-Identifier: MIT */
/* sock.h -- Unix stream socket wrappers for connections: the pair, sends that never raise
 * SIGPIPE, receives, and waiting for room to write.  Same contract as os.h: 0 or a positive
 * count on success, a negative errno on failure, EINTR retried inside -- except that a
 * blocking send or receive that a signal cut short while mp_interrupt() is pending returns
 * -EINTR (the handler of mp_interrupt_on() has no SA_RESTART, so that is how a Ctrl-C reaches
 * a connection blocked in the kernel). */
#ifndef MP_OS_SOCK_H
#define MP_OS_SOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "os/os.h"

/* socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC).  Returns 0 or -errno. */
int mp__sock_pair(int sv[2]);

/* sendmsg() of iovcnt buffers with MSG_NOSIGNAL (a vanished peer is -EPIPE, never SIGPIPE),
 * plus MSG_DONTWAIT when nonblock.  Returns the bytes written (possibly fewer than asked),
 * -EAGAIN when nonblock and the socket is full, or -errno. */
ssize_t mp__sock_sendv(int fd, const struct iovec *iov, int iovcnt, bool nonblock);

/* recv() of up to len bytes, with MSG_DONTWAIT when nonblock.  Returns the bytes read, 0 at
 * end of stream, -EAGAIN when nonblock and nothing is there, or -errno. */
ssize_t mp__sock_recv(int fd, void *buf, size_t len, bool nonblock);

/* Waits until fd can be written (or has an error or hang-up, which the next send reports) or
 * the deadline passes.  Returns 1 when ready, 0 on timeout, -errno on error. */
int mp__poll_writable(int fd, mp__deadline d);
/* The same, ended by mp_interrupt() with -EINTR (mp__poll_interruptible in os.h). */
int mp__poll_writable_interruptible(int fd, mp__deadline d);

#endif
