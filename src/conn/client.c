/* SPDX-License-Identifier: MIT */
/* client.c -- Client: connecting to a Listener (ours or Python's) and running the client side
 * of the handshake, all under the caller's one deadline. */
#include <stdlib.h>

#include "conn/conn_internal.h"
#include "conn/listener_internal.h"

/* Errors of the handshake as mp_client() reports them: a peer that broke the protocol does
 * not speak it; one that left is an end of file. */
static int client_error(int rc) {
  switch (rc) {
    case MP_ETOOBIG: return MP_ECORRUPT;
    case MP_EBROKEN:
    case -EPIPE:
    case -ECONNRESET: return MP_EOF;
    default: return rc;
  }
}

int mp_client(mp_conn **out, const char *address, const mp_client_opts *opts,
              mp_timeout_ms timeout) {
  if (out != NULL) *out = NULL;
  const void *authkey = opts != NULL ? opts->authkey : NULL;
  size_t authkey_len = opts != NULL ? opts->authkey_len : 0;
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
    if (fd >= 0 || fd == -ETIMEDOUT || fd == -EINTR) break;
  }
  if (fd < 0) return fd;
  mp_conn *c;
  int rc = mp__conn_from_fd(&c, fd, true, true);
  if (rc < 0) return rc;
  if (authkey != NULL) {
    /* Answer first, as Python's Client does, then challenge the listener, in the form it
     * used (a listener that sent the "{digest}" form understands it).  Our challenge goes out
     * right behind our answer, in the same write, instead of after the #WELCOME#: the
     * listener reads one message at a time (Python's too), so it finds the challenge waiting
     * once it has welcomed us, and the handshake takes two round trips instead of three.  A
     * listener that refuses our answer still has its #FAILURE# read before anything else. */
    mp__answer ans;
    mp__challenge ch;
    rc = mp__auth_answer_make(c, authkey, authkey_len, d, &ans);
    if (rc == 0) rc = mp__auth_challenge_make(ans.modern ? "sha256" : NULL, &ch);
    if (rc == 0) {
      mp__auth_msg two[2] = {{ans.msg, ans.len}, {ch.msg, ch.len}};
      int sent = mp__auth_send(c, two, 2, d);
      /* A listener that refuses our answer has its #FAILURE# read even when it hung up
       * before our challenge arrived (then the send fails). */
      rc = mp__auth_answer_result(c, d);
      if (rc == 0) rc = sent;
    }
    if (rc == 0) rc = mp__auth_challenge_verify(c, authkey, authkey_len, &ch, d);
    if (rc == 0) rc = mp__auth_send(c, &mp__auth_welcome, 1, d);
    if (rc < 0) {
      mp_conn_free(c);
      return client_error(rc);
    }
  }
  *out = c;
  return 0;
}
