/* SPDX-License-Identifier: MIT */
/* net.h -- listening and connected stream sockets for Listener/Client: AF_UNIX (paths and
 * abstract names) and TCP over IPv4 and IPv6.  Same contract as os.h: a non-negative fd or 0
 * on success, a negative errno on failure, EINTR retried inside.  Every fd is close-on-exec. */
#ifndef MP_OS_NET_H
#define MP_OS_NET_H

#include <stdbool.h>
#include <sys/socket.h>

#include "os/os.h"

/* One socket address and its length (an abstract AF_UNIX name's length matters). */
typedef struct mp__sockaddr {
  struct sockaddr_storage ss;
  socklen_t len;
} mp__sockaddr;

/* A listening socket bound to a: non-blocking (so that a client taken by another process
 * between poll() and accept() cannot block us), SO_REUSEADDR for TCP as Python sets it on
 * POSIX.  Returns the fd or -errno. */
int mp__net_listen(const mp__sockaddr *a, int backlog);

/* accept4() of one pending client as a blocking, close-on-exec socket; with tcp true it gets
 * TCP_NODELAY.
 * Returns the fd, -EAGAIN when nobody is waiting (also after a client that gave up before it
 * was taken), or -errno. */
int mp__net_accept(int lfd, bool tcp);

/* Connects a new socket to a before the deadline; on success the fd is blocking again, TCP
 * with TCP_NODELAY.  A full AF_UNIX backlog (EAGAIN) is retried until the deadline.  Returns
 * the fd, -ETIMEDOUT, -EINTR (mp_interrupt(): interrupt.h), or the -errno of the connection
 * attempt (-ECONNREFUSED, -ENOENT, ...). */
int mp__net_connect(const mp__sockaddr *a, mp__deadline d);

/* The address fd is bound to.  Returns 0 or -errno. */
int mp__net_local_addr(int fd, mp__sockaddr *out);

#endif
