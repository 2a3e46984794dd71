/* SPDX-License-Identifier: MIT */
/* handshake.c -- the listener's side of the auth-key handshake as steps that never wait.
 *
 * Each step takes what the client has sent so far (receives are resumable: a message that
 * has only partly arrived stays pending in the connection) and answers it, then returns
 * MP__HS_AGAIN until the client's next message is in.  This is what lets one listener run the
 * handshakes of many clients side by side (pending.c): a client that says nothing costs the
 * others nothing.  The exchange is Python's, in the order of its Listener.accept: challenge
 * the client, check its answer, then answer the client's own challenge. */
#include "conn/conn_internal.h"
#include "conn/listener_internal.h"

enum {
  HS_WANT_ANSWER = 1, /* our challenge is out; waiting for the client's HMAC */
  HS_WANT_CHALLENGE, /* the client is welcome; waiting for its challenge (Python's clients) */
  HS_WANT_VERDICT, /* our answer is out; waiting for #WELCOME# */
};

int mp__hs_begin(mp__handshake *h, mp_conn *c, const char *digest) {
  h->conn = c;
  h->state = HS_WANT_ANSWER;
  int rc = mp__auth_challenge_make(digest, &h->ch);
  /* A fresh socket's send buffer always holds a challenge: a send that would wait means the
   * connection is already broken. */
  if (rc == 0) rc = mp__auth_send(c, &(mp__auth_msg){h->ch.msg, h->ch.len}, 1, mp__deadline_in(0));
  return rc;
}

/* A receive that found no whole message yet means "later"; anything else stands. */
static int later(int rc) { return rc == MP_ETIMEDOUT ? MP__HS_AGAIN : rc; }

int mp__hs_step(mp__handshake *h, const void *key, size_t keylen) {
  mp_conn *c = h->conn;
  mp__deadline now = mp__deadline_in(0);
  mp__answer ans;
  int rc;
  /* Sends below are a few dozen bytes in all, so they never wait on a peer that reads. */
  for (;;) {
    switch (h->state) {
      case HS_WANT_ANSWER:
        rc = mp__auth_challenge_verify(c, key, keylen, &h->ch, now);
        if (rc != 0) return later(rc);
        if (mp__auth_msg_buffered(c)) {
          /* The client sent its challenge behind its answer (ours do): welcome and answer in
           * one write. */
          rc = mp__auth_answer_make(c, key, keylen, now, &ans);
          mp__auth_msg two[2] = {mp__auth_welcome, {ans.msg, ans.len}};
          if (rc == 0) rc = mp__auth_send(c, two, 2, now);
          if (rc != 0) return rc;
          h->state = HS_WANT_VERDICT;
        } else {
          rc = mp__auth_send(c, &mp__auth_welcome, 1, now);
          if (rc != 0) return rc;
          h->state = HS_WANT_CHALLENGE;
        }
        break;
      case HS_WANT_CHALLENGE:
        rc = mp__auth_answer_make(c, key, keylen, now, &ans);
        if (rc != 0) return later(rc);
        rc = mp__auth_send(c, &(mp__auth_msg){ans.msg, ans.len}, 1, now);
        if (rc != 0) return rc;
        h->state = HS_WANT_VERDICT;
        break;
      case HS_WANT_VERDICT: return later(mp__auth_answer_result(c, now));
      default: return -EINVAL;
    }
  }
}
