/* client.c -- Client: connecting to a Listener (ours or Python's) and running the client side
 * of the handshake, all under the caller's one deadline. */
#include <stdlib.h>

#include "conn/conn_internal.h"
#include "conn/listener_internal.h"

/* Errors of the handshake as mp_client() reports them: a peer that broke the protocol does
 * not speak it; one that left is an end of file. */
static int client_error(int rc) {
  switch (rc) {
    case MP_ETOOBIG:
      return MP_ECORRUPT;
    case MP_EBROKEN:
    case -EPIPE:
    case -ECONNRESET:
      return MP_EOF;
    default:
      return rc;
  }
}

int mp_client(mp_conn **out, const char *address, const void *authkey, size_t authkey_len,
              mp_timeout_ms timeout) {
  if (out != NULL) *out = NULL;
  if (out == NULL || address == NULL || (authkey == NULL && authkey_len > 0) ||
      authkey_len > INT32_MAX)
    return -EINVAL;
  mp__deadline d = mp__deadline_in(timeout);
  mp__sockaddr addrs[MP__ADDR_MAX];
  int n = mp__addr_resolve(address, false, addrs, MP__ADDR_MAX);
  if (n < 0) return n;
  /* Every address of a name in turn, as socket.create_connection does; the last failure is
   * the one reported. */
  int fd = -EINVAL;
  for (int i = 0; i < n; i++) {
    fd = mp__net_connect(&addrs[i], d);
    if (fd >= 0 || fd == -ETIMEDOUT) break;
  }
  if (fd < 0) return fd;
  mp_conn *c;
  int rc = mp__conn_from_fd(&c, fd, true, true);
  if (rc < 0) return rc;
  if (authkey != NULL) {
    /* Answer first, as Python's Client does, then challenge the listener in the form it used
     * (a listener that sent the "{digest}" form understands it). */
    bool modern = false;
    rc = mp__auth_answer(c, authkey, authkey_len, d, &modern);
    if (rc == 0) rc = mp__auth_deliver(c, authkey, authkey_len, modern ? "sha256" : NULL, d);
    if (rc < 0) {
      mp_conn_free(c);
      return client_error(rc);
    }
  }
  *out = c;
  return 0;
}
