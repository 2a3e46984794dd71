/* SPDX-License-Identifier: MIT */
/* listener_internal.h -- what the Listener/Client files share: address strings to socket
 * addresses and back (address.c), the auth-key handshake (auth.c), the listener's side of it in
 * steps (handshake.c) and the set of handshakes in progress (pending.c). */
#ifndef MP_LISTENER_INTERNAL_H
#define MP_LISTENER_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "internal.h"
#include "os/net.h"
#include "os/os.h"

/* The most socket addresses one TCP name is tried at. */
#define MP__ADDR_MAX 8

/* Turns an address string (listener.h) into up to max socket addresses in out and returns how
 * many (>= 1).  passive: for bind(), where an empty host means every interface.
 * Errors: -EINVAL (malformed), -ENAMETOOLONG (longer than MP_ADDRESS_MAX or sun_path),
 * -ENXIO (a host name that does not resolve), -EAGAIN (the resolver is unavailable now),
 * -ENOMEM. */
int mp__addr_resolve(const char *address, bool passive, mp__sockaddr *out, int max);

/* Writes a's string form into buf (MP_ADDRESS_MAX bytes).  Returns 0 or -ENAMETOOLONG /
 * -EINVAL (an address family this library does not speak). */
int mp__addr_format(const mp__sockaddr *a, char *buf);

/* Digest names both sides understand, as Python's _ALLOWED_DIGESTS.  Returns the library's
 * own (static) copy of name (len bytes, not NUL-terminated), or NULL when it is not one. */
const char *mp__auth_digest_name(const char *name, size_t len);

/* The handshake in steps, so that each side can send two messages in one write: the client
 * its answer and its own challenge (see client.c), the listener then its #WELCOME# and its
 * answer.  Each returns 0, an error below, or what the connection returned (MP_ETIMEDOUT,
 * MP_EOF, MP_ETOOBIG, MP_EBROKEN, -EPIPE, ...).  Every message received is capped at 256
 * bytes (Python's limit), checked from the length field before anything is allocated. */

/* One handshake message to send. */
typedef struct mp__auth_msg {
  const void *data;
  size_t len; /* at most 256 */
} mp__auth_msg;

/* #WELCOME#. */
extern const mp__auth_msg mp__auth_welcome;

/* Sends n (1 or 2) messages, each framed as Python frames it, in one write. */
int mp__auth_send(mp_conn *c, const mp__auth_msg *msgs, int n, mp__deadline d);

/* Whether a whole message is already buffered in c, so receiving it costs no system call and
 * no wait. */
bool mp__auth_msg_buffered(const mp_conn *c);

/* A challenge, kept to check its answer: "#CHALLENGE#" ["{name}"] random bytes. */
typedef struct mp__challenge {
  uint8_t msg[64];
  size_t len;
} mp__challenge;

/* Makes a random challenge.  digest NULL: Python 3.11's bare form (20 bytes, answered with
 * HMAC-MD5); a digest name: the "{name}" form of Python 3.12+ (40 random bytes after it).
 * Returns 0, -EINVAL (unknown digest) or -EIO. */
int mp__auth_challenge_make(const char *digest, mp__challenge *ch);

/* Receives the answer to ch and checks it -- in either form, as CPython 3.12+ does: a bare
 * 16-byte HMAC-MD5 or "{name}" + HMAC with that digest.  Returns 0 (the caller then sends
 * mp__auth_welcome), or MP_EAUTH after sending #FAILURE# (a wrong or malformed answer). */
int mp__auth_challenge_verify(mp_conn *c, const void *key, size_t keylen, const mp__challenge *ch,
                              mp__deadline d);

/* An answer to a challenge, ready to send. */
typedef struct mp__answer {
  uint8_t msg[80]; /* ["{name}"] HMAC */
  size_t len;
  bool modern; /* the challenge had a "{digest}" prefix */
} mp__answer;

/* Receives a challenge (either form) and computes its answer in the same form.
 * MP_ECORRUPT: not a challenge, shorter than 20 bytes, or an unknown digest.  MP_EAUTH: the
 * digest is unavailable in this OpenSSL. */
int mp__auth_answer_make(mp_conn *c, const void *key, size_t keylen, mp__deadline d,
                         mp__answer *ans);

/* Receives the verdict on our answer: 0 for #WELCOME#, MP_EAUTH for anything else. */
int mp__auth_answer_result(mp_conn *c, mp__deadline d);

/* Random bytes from the OpenSSL generator.  Returns 0 or -EIO. */
int mp__auth_random(void *buf, size_t len);

/* ---- the listener's side of the handshake in steps that never wait (handshake.c) ---- */

/* What mp__hs_step returns while the client's next message has not arrived yet. */
#define MP__HS_AGAIN 1

/* One client's handshake in progress. */
typedef struct mp__handshake {
  mp_conn *conn; /* NULL: a free slot (pending.c) */
  int state;
  mp__challenge ch; /* ours, kept to check the client's answer */
} mp__handshake;

/* Starts the handshake on a fresh connection c: sends the challenge (digest as in
 * mp__auth_challenge_make).  Does not take c.  Returns 0 or an error of the send. */
int mp__hs_begin(mp__handshake *h, mp_conn *c, const char *digest);

/* Runs the handshake as far as what the client has sent allows, without waiting.  Returns 0
 * when it is complete (the client is authenticated), MP__HS_AGAIN when it waits for the
 * client, or an error: MP_EAUTH (a wrong answer, or our answer refused), MP_ECORRUPT /
 * MP_ETOOBIG (the client broke the protocol), MP_EOF / MP_EBROKEN / -ECONNRESET (it left),
 * MP_ETIMEDOUT (it does not read what we send). */
int mp__hs_step(mp__handshake *h, const void *key, size_t keylen);

/* ---- handshakes side by side (pending.c) ----
 * A keyed listener's accepted clients whose handshakes are in progress, each with its own
 * deadline, in an epoll set with the listening socket.  accept() moves them all forward and
 * hands out the first that completes, so clients that stay silent delay nobody; one that
 * stays silent past the handshake timeout is dropped, and beyond max clients in handshake a
 * new connection is closed at once. */
typedef struct mp__pending_slot {
  mp__handshake hs;
  int64_t expires_ns; /* CLOCK_MONOTONIC; -1: never */
  bool done; /* the handshake is complete: the connection waits to be handed out */
  uint64_t done_seq; /* completion order, so the first to complete is handed out first */
} mp__pending_slot;

/* Failed handshakes kept for accept() to report, one per call. */
#define MP__PENDING_ERRS 16

typedef struct mp__pending {
  int epfd; /* the listening socket (data 0) and each slot in use (index + 1) */
  _Atomic pid_t owner; /* the process these handshakes belong to (0 while one adopts them) */
  pthread_mutex_t mu; /* one accept() at a time moves the handshakes */
  mp__pending_slot *slots;
  int max, used; /* slots, and slots in use (in handshake or done) */
  uint64_t seq; /* the next done_seq */
  int errs[MP__PENDING_ERRS]; /* a ring of errors not reported yet */
  int errhead, nerrs;
  mp_timeout_ms handshake; /* each client's bound; negative: none */
} mp__pending;

/* Sets p up for the listening socket lfd: at most max (>= 1) handshakes at once, each bounded
 * by handshake ms.  Returns 0, -ENOMEM or -errno of epoll. */
int mp__pending_init(mp__pending *p, int lfd, int max, mp_timeout_ms handshake);

/* Takes new clients from lfd and moves every handshake forward until one completes (0, with
 * the connection in *out, which the caller owns), one fails (its error, the client closed:
 * MP_EAUTH for a client that broke the protocol, MP_EOF for one that left, MP_ETIMEDOUT for
 * one silent past the handshake timeout) or the deadline d passes (MP_ETIMEDOUT).
 * Other errors: -errno of accept4() (-EMFILE, ...) or of epoll. */
int mp__pending_accept(mp__pending *p, int lfd, bool tcp, const void *key, size_t keylen,
                       const char *digest, mp_conn **out, mp__deadline d);

/* The epoll fd: readable when accept() has something to do. */
int mp__pending_fd(const mp__pending *p);

/* Closes every handshake in progress and the epoll fd.  Idempotent. */
void mp__pending_close(mp__pending *p);

#endif
