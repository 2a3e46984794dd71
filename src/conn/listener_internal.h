/* listener_internal.h -- what the Listener/Client files share: address strings to socket
 * addresses and back (address.c) and the auth-key handshake (auth.c). */
#ifndef MP_LISTENER_INTERNAL_H
#define MP_LISTENER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
int mp__auth_challenge_verify(mp_conn *c, const void *key, size_t keylen,
                              const mp__challenge *ch, mp__deadline d);

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

#endif
