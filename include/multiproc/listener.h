/* SPDX-License-Identifier: MIT */
/* multiproc/listener.h -- Python's multiprocessing.connection.Listener and Client: message
 * connections between unrelated processes and machines, over AF_UNIX paths, Linux abstract
 * names and TCP (IPv4 and IPv6), with the auth-key challenge/response.
 *
 * The connections they give are ordinary mp_conn handles (connection.h): same framing, same
 * send/recv/poll, same limits.  The wire format and the handshake are Python's own, so a
 * Python 3 `multiprocessing.connection.Client(address, authkey=...)` can talk to an
 * mp_listener with send_bytes/recv_bytes, and mp_client() can talk to a Python Listener.
 *
 * Addresses are strings:
 *   "/run/x.sock", "./x.sock"  an AF_UNIX path (anything containing '/')
 *   "@name"                    a Linux abstract AF_UNIX name (no file; gone with the socket)
 *   "host:port"                TCP over IPv4 ("127.0.0.1:6000", "localhost:0"; an empty host
 *                              is every interface for a listener, the loopback for a client)
 *   "[addr]:port"              TCP over IPv6 ("[::1]:6000")
 * Port 0 lets the kernel pick a free port; mp_listener_address() then tells which.
 *
 * Authentication (authkey non-NULL on both sides): the listener sends a random challenge and
 * checks the HMAC the client answers with, then the client challenges the listener the same way
 * (Python's deliver_challenge/answer_challenge, both directions).  Both digest forms are
 * understood: Python 3.11's bare HMAC-MD5 and the "{sha256}" prefixed form newer Pythons send.
 * A wrong key fails the handshake with MP_EAUTH on whichever side detects it. */
#ifndef MULTIPROC_LISTENER_H
#define MULTIPROC_LISTENER_H

#include <stddef.h>

#include "common.h"
#include "connection.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A listening socket.  Opaque; made by mp_listener_new() and released by mp_listener_free(). */
typedef struct mp_listener mp_listener;

/* The longest address string accepted or reported, terminating NUL included. */
#define MP_ADDRESS_MAX 128

/* The largest mp_listener_opts.max_pending. */
#define MP_LISTENER_PENDING_MAX 4096

/* Options for mp_listener_new(); NULL or a zeroed struct means the defaults. */
typedef struct mp_listener_opts {
  const void *authkey; /* NULL: no authentication; otherwise authkey_len bytes, copied */
  size_t authkey_len;
  int backlog; /* listen() backlog; 0 means 128 */
  /* With an auth key, the handshakes of accepted clients run side by side (accept() moves them
   * all forward and returns the first that completes), each bounded by this many ms: a client
   * still short of a complete handshake then is closed and accept() returns MP_ETIMEDOUT for
   * it.  0 means 5000 ms; MP_FOREVER leaves a silent client in handshake until it leaves
   * (Python's accept waits for it forever), which only the max_pending limit then bounds. */
  mp_timeout_ms handshake_timeout;
  /* The form of the challenge sent to clients.  NULL (the default): Python 3.11's, 20 random
   * bytes answered with HMAC-MD5, which every Python 3 client understands.  A digest name
   * ("md5", "sha256", "sha384", "sha3_256", "sha3_384"; anything else is -EINVAL): the
   * "{name}" form of Python 3.12+, which newer clients answer with that digest (older ones
   * still answer with HMAC-MD5, which is accepted).  Either way a client's answer is accepted
   * in both forms.  Only read during mp_listener_new(). */
  const char *digest;
  /* With an auth key, the most clients in handshake at once; while that many are, a new
   * connection is accepted and closed at once (the client sees the end of the stream before
   * any challenge), so silent clients cannot hold an unbounded number of fds.  0 means 64;
   * negative or over MP_LISTENER_PENDING_MAX is -EINVAL. */
  int max_pending;
} mp_listener_opts;

/* Binds and listens on address (see the top of this file).  NULL address picks a fresh
 * abstract AF_UNIX name, as Python's arbitrary_address does.  An AF_UNIX path that already
 * exists is refused with -EADDRINUSE; the path is unlinked again by mp_listener_close().
 * Errors: -EINVAL (malformed address or options), -EADDRINUSE, -ENAMETOOLONG (an address of
 * MP_ADDRESS_MAX bytes or more, an AF_UNIX name over 107 bytes), -ENXIO (a host name that does
 * not resolve), other negative errno from socket/bind/listen, -ENOMEM.  What is wrong with a
 * malformed or unresolvable address (no port, a bad port, an unknown host) is said in
 * mp_error_message(). */
MP_EXTERN int mp_listener_new(mp_listener **out, const char *address, const mp_listener_opts *opts);

/* Waits at most timeout ms for the next client whose handshake completes, whichever order
 * clients connected in, and gives its connection in *out, which the caller owns
 * (mp_conn_free).  Without an auth key there is no handshake: the next client that connected is
 * the answer.  With one, every call takes the clients waiting in the backlog, sends each its
 * challenge and moves every handshake in progress forward; a handshake unfinished when the call
 * returns carries on in the next call (each client is bounded by the handshake timeout of the
 * options, not by timeout), so a client that stays silent delays no other.  A client that
 * fails authentication is closed and the call returns MP_EAUTH; one still in handshake at its
 * handshake timeout is closed and the call returns MP_ETIMEDOUT; either way the listener is
 * unharmed and the next call goes on with the others.  One call at a time moves the
 * handshakes: a concurrent call waits for it (within its own timeout).  In a forked child the
 * handshakes the parent had in progress stay the parent's; the child's first call lets go of
 * its copies.
 * Errors: MP_ETIMEDOUT (no handshake completed in time, or a client stayed silent past the
 * handshake timeout), MP_EAUTH (a wrong key, or a client that broke the protocol: a handshake
 * message over 256 bytes or malformed), MP_ECLOSED, MP_EOF (a client left during its
 * handshake), -EINTR (mp_interrupt() during the wait; handshakes in progress carry on in the
 * next call), -ENOMEM, negative errno of accept4() (-EMFILE, ...) or epoll. */
MP_EXTERN int mp_listener_accept(mp_listener *l, mp_conn **out, mp_timeout_ms timeout);

/* The address actually bound, in the string form above (with the real port for port 0, "@name"
 * for an abstract name).  Owned by the listener; valid until mp_listener_free(). */
MP_EXTERN const char *mp_listener_address(const mp_listener *l);

/* An fd for poll()/mp_wait that turns readable when accept() has something to do: without an
 * auth key the listening socket (a client is waiting); with one an epoll fd over the
 * listening socket and the handshakes in progress (a client is waiting, or one sent its next
 * handshake message; accept() may then still return MP_ETIMEDOUT when that was not the last
 * one).  -1 once closed.  Owned by the listener. */
MP_EXTERN int mp_listener_fileno(const mp_listener *l);

/* Closes the socket and unlinks an AF_UNIX path it created.  Idempotent; NULL accepted. */
MP_EXTERN void mp_listener_close(mp_listener *l);

/* Closes and frees; NULL accepted. */
MP_EXTERN void mp_listener_free(mp_listener *l);

/* Options for mp_client(); NULL or a zeroed struct means the defaults. */
typedef struct mp_client_opts {
  const void *authkey; /* NULL: no authentication; otherwise authkey_len bytes, only read
                        * during the call */
  size_t authkey_len;
} mp_client_opts;

/* Connects to address and, when opts has an auth key, answers the listener's challenge and
 * challenges it back.  The whole call (connect and handshake) is bounded by timeout.
 * On success *out is a new connection the caller owns.
 * Resolving a host name (getaddrinfo) cannot be cut short, so a slow resolver can overrun it.
 * Errors: -EINVAL (malformed address, an authkey NULL with authkey_len > 0), -ENAMETOOLONG,
 * -ENXIO (unknown host), -ECONNREFUSED / -ENOENT (nobody listening), MP_EAUTH (wrong key on
 * either side), MP_ETIMEDOUT, -EINTR (mp_interrupt() during the connect or the handshake), MP_EOF
 * (the listener hung up), MP_ECORRUPT (the peer does not
 * speak the protocol: no challenge, a handshake message over 256 bytes, an unknown digest),
 * -ENOMEM, negative errno.  A malformed or unresolvable address is explained in
 * mp_error_message(). */
MP_EXTERN int mp_client(mp_conn **out, const char *address, const mp_client_opts *opts,
                        mp_timeout_ms timeout);

#ifdef __cplusplus
}
#endif
#endif
