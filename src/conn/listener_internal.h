/* listener_internal.h -- what the Listener/Client files share: address strings to socket
 * addresses and back (address.c) and the auth-key handshake (auth.c). */
#ifndef MP_LISTENER_INTERNAL_H
#define MP_LISTENER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

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

/* Python's deliver_challenge: sends a random challenge, checks the peer's HMAC, answers
 * #WELCOME# or #FAILURE#.  digest NULL sends Python 3.11's bare 20-byte challenge; a name
 * sends the "{name}" form of Python 3.12+ (40 random bytes).  Responses in either form are
 * accepted, as CPython 3.12+ does.  Returns 0, MP_EAUTH (wrong or malformed response), or
 * what the connection returned (MP_ETIMEDOUT, MP_EOF, MP_ETOOBIG, -EPIPE, ...). */
int mp__auth_deliver(mp_conn *c, const void *key, size_t keylen, const char *digest,
                     mp__deadline d);

/* Python's answer_challenge: receives a challenge (either form), sends the HMAC, expects
 * #WELCOME#.  *modern is set to whether the challenge had a "{digest}" prefix.  Returns 0,
 * MP_EAUTH (the peer refused our answer), MP_ECORRUPT (not a challenge, too short, unknown
 * digest), or what the connection returned. */
int mp__auth_answer(mp_conn *c, const void *key, size_t keylen, mp__deadline d, bool *modern);

/* Random bytes from the OpenSSL generator.  Returns 0 or -EIO. */
int mp__auth_random(void *buf, size_t len);

#endif
