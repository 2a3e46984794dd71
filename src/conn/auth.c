/* SPDX-License-Identifier: MIT */
/* auth.c -- the auth-key handshake of Python's multiprocessing.connection, both forms.
 *
 * The challenger sends "#CHALLENGE#" + message and expects HMAC(key, message) back; it answers
 * "#WELCOME#" or "#FAILURE#".  Python 3.11 and older send 20 random bytes as the message and
 * expect a bare 16-byte HMAC-MD5.  Python 3.12+ send "{sha256}" + 40 random bytes and answer
 * such a message with "{sha256}" + HMAC-SHA256 of the whole message, prefix included; they
 * still accept a bare HMAC-MD5 (what an old client computes over the whole prefixed message).
 * Which form a message is in is told by its length: 20 bytes (a challenge) or 16 (a response)
 * is the bare form, anything else must start with "{name}".  Every message of the handshake
 * is received with a 256-byte limit, checked before anything is allocated. */
#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "conn/conn_internal.h"
#include "conn/listener_internal.h"
#include "os/sock.h"

#define CHALLENGE "#CHALLENGE#"
#define WELCOME "#WELCOME#"
#define FAILURE "#FAILURE#"
#define LIT_LEN(s) (sizeof(s) - 1)

#define LEGACY_MSG_LEN 20 /* Python <= 3.11: bytes of a challenge, and the shortest accepted */
#define MODERN_MSG_LEN 40 /* Python >= 3.12: random bytes after the "{name}" prefix */
#define MD5_LEN 16 /* a bare HMAC-MD5 response */
#define HANDSHAKE_MAX 256 /* the size limit of every handshake message, as Python's */
#define NAME_MAX_LEN 8 /* the longest digest name ("sha3_256") */

typedef struct {
  const char *name;
  const EVP_MD *(*md)(void);
} digest_entry;

static const digest_entry digests[] = {
    {"md5", EVP_md5},           {"sha256", EVP_sha256},     {"sha384", EVP_sha384},
    {"sha3_256", EVP_sha3_256}, {"sha3_384", EVP_sha3_384},
};

static const digest_entry *find_digest(const char *name, size_t len) {
  for (size_t i = 0; i < MP__ARRAY_LEN(digests); i++)
    if (strlen(digests[i].name) == len && memcmp(digests[i].name, name, len) == 0)
      return &digests[i];
  return NULL;
}

const char *mp__auth_digest_name(const char *name, size_t len) {
  const digest_entry *dg = find_digest(name, len);
  return dg ? dg->name : NULL;
}

int mp__auth_random(void *buf, size_t len) {
  return len <= INT_MAX && RAND_bytes(buf, (int)len) == 1 ? 0 : -EIO;
}

/* Splits a message into its digest and payload: the bare form (16 or 20 bytes: MD5, the whole
 * message) or "{name}payload".  Returns the digest, or NULL when the form is not understood. */
static const digest_entry *split_form(const uint8_t *m, size_t len, size_t *payload_off,
                                      bool *prefixed) {
  *prefixed = false;
  *payload_off = 0;
  if (len == MD5_LEN || len == LEGACY_MSG_LEN) return &digests[0];
  if (len < 2 || m[0] != '{') return NULL;
  /* The closing brace is looked for where Python looks: at most NAME_MAX_LEN + 1 bytes in. */
  size_t span = len - 1 < NAME_MAX_LEN + 1 ? len - 1 : NAME_MAX_LEN + 1;
  const uint8_t *close = memchr(m + 1, '}', span);
  if (close == NULL) return NULL;
  *prefixed = true;
  *payload_off = (size_t)(close - m) + 1;
  return find_digest((const char *)m + 1, (size_t)(close - m) - 1);
}

/* HMAC of msg under key with the digest; returns its length, or 0 when the digest is not
 * available (an OpenSSL that refuses MD5, for instance). */
static unsigned hmac(const digest_entry *dg, const void *key, size_t keylen, const uint8_t *msg,
                     size_t len, uint8_t out[EVP_MAX_MD_SIZE]) {
  const EVP_MD *md = dg->md();
  unsigned n = 0;
  static const uint8_t empty = 0;
  if (md == NULL || keylen > INT_MAX) return 0;
  /* A zero-length key is legal (Python's authkey=b''), but OpenSSL wants a pointer. */
  if (HMAC(md, keylen ? key : &empty, (int)keylen, msg, len, out, &n) == NULL) return 0;
  return n;
}

static void put_be32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

int mp__auth_send(mp_conn *c, const mp__auth_msg *msgs, int n, mp__deadline d) {
  /* The frames (Python's 4-byte big-endian length, then the bytes) go out in one write. */
  uint8_t buf[2 * (4 + HANDSHAKE_MAX)];
  size_t len = 0;
  for (int i = 0; i < n; i++) {
    if (msgs[i].len > HANDSHAKE_MAX || len + 4 + msgs[i].len > sizeof buf) return -EINVAL;
    put_be32(buf + len, (uint32_t)msgs[i].len);
    memcpy(buf + len + 4, msgs[i].data, msgs[i].len);
    len += 4 + msgs[i].len;
  }
  size_t done = 0;
  while (done < len) {
    struct iovec v = {.iov_base = buf + done, .iov_len = len - done};
    ssize_t r = mp__sock_sendv(c->fd, &v, 1, true);
    if (r > 0) {
      done += (size_t)r;
      continue;
    }
    if (r == -EAGAIN || r == 0) {
      int p = mp__conn_wait_fd(c->fd, true, d);
      if (p > 0) continue;
      r = p == 0 ? MP_ETIMEDOUT : p;
    }
    /* A part of a frame may be out: the stream is useless now, whatever the error. */
    return done > 0 ? mp__conn_break(c, (int)r) : (int)r;
  }
  return 0;
}

static int send_one(mp_conn *c, const void *data, size_t len, mp__deadline d) {
  mp__auth_msg m = {data, len};
  return mp__auth_send(c, &m, 1, d);
}

static int recv_msg(mp_conn *c, void **buf, size_t *len, mp__deadline d) {
  return mp_conn_recv_bytes(c, buf, len, HANDSHAKE_MAX, mp__deadline_poll_ms(d));
}

bool mp__auth_msg_buffered(const mp_conn *c) {
  size_t avail = c->rend - c->rpos;
  if (c->pend || avail < 4) return false;
  const uint8_t *p = c->rbuf + c->rpos;
  uint32_t n = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
  return n <= HANDSHAKE_MAX && avail - 4 >= n;
}

int mp__auth_challenge_make(const char *digest, mp__challenge *ch) {
  /* "#CHALLENGE#" ["{name}"] random */
  size_t n = LIT_LEN(CHALLENGE);
  memcpy(ch->msg, CHALLENGE, n);
  size_t nrand = LEGACY_MSG_LEN;
  if (digest != NULL) {
    size_t dl = strlen(digest);
    if (find_digest(digest, dl) == NULL) return -EINVAL;
    ch->msg[n++] = '{';
    memcpy(ch->msg + n, digest, dl);
    n += dl;
    ch->msg[n++] = '}';
    nrand = MODERN_MSG_LEN;
  }
  int rc = mp__auth_random(ch->msg + n, nrand);
  if (rc < 0) return rc;
  ch->len = n + nrand;
  return 0;
}

int mp__auth_challenge_verify(mp_conn *c, const void *key, size_t keylen, const mp__challenge *ch,
                              mp__deadline d) {
  void *resp;
  size_t rlen;
  int rc = recv_msg(c, &resp, &rlen, d);
  if (rc < 0) return rc;
  /* The MAC covers the whole message after "#CHALLENGE#", prefix included. */
  const uint8_t *challenge = ch->msg + LIT_LEN(CHALLENGE);
  size_t clen = ch->len - LIT_LEN(CHALLENGE);
  size_t off;
  bool prefixed;
  const digest_entry *dg = split_form(resp, rlen, &off, &prefixed);
  bool ok = false;
  if (dg != NULL) {
    uint8_t want[EVP_MAX_MD_SIZE];
    unsigned wlen = hmac(dg, key, keylen, challenge, clen, want);
    ok = wlen > 0 && wlen == rlen - off && CRYPTO_memcmp(want, (uint8_t *)resp + off, wlen) == 0;
  }
  free(resp);
  if (ok) return 0;
  /* Tell the peer, as Python does; it may already be gone, which changes nothing. */
  (void)send_one(c, FAILURE, LIT_LEN(FAILURE), mp__deadline_in(0));
  return MP_EAUTH;
}

const mp__auth_msg mp__auth_welcome = {WELCOME, LIT_LEN(WELCOME)};

int mp__auth_answer_make(mp_conn *c, const void *key, size_t keylen, mp__deadline d,
                         mp__answer *ans) {
  ans->modern = false;
  ans->len = 0;
  void *buf;
  size_t len;
  int rc = recv_msg(c, &buf, &len, d);
  if (rc < 0) return rc;
  const uint8_t *m = buf;
  if (len < LIT_LEN(CHALLENGE) + LEGACY_MSG_LEN || memcmp(m, CHALLENGE, LIT_LEN(CHALLENGE))) {
    free(buf);
    return MP_ECORRUPT;
  }
  m += LIT_LEN(CHALLENGE);
  len -= LIT_LEN(CHALLENGE);
  size_t off;
  bool prefixed;
  const digest_entry *dg = split_form(m, len, &off, &prefixed);
  /* "{name}" + HMAC for a prefixed challenge, the bare HMAC-MD5 otherwise. */
  unsigned hl = 0;
  if (dg != NULL) {
    if (prefixed) {
      ans->msg[ans->len++] = '{';
      memcpy(ans->msg + ans->len, m + 1, off - 2);
      ans->len += off - 2;
      ans->msg[ans->len++] = '}';
    }
    hl = hmac(dg, key, keylen, m, len, ans->msg + ans->len);
  }
  free(buf);
  if (dg == NULL) return MP_ECORRUPT;
  if (hl == 0) return MP_EAUTH;
  ans->len += hl;
  ans->modern = prefixed;
  return 0;
}

int mp__auth_answer_result(mp_conn *c, mp__deadline d) {
  void *buf;
  size_t len;
  int rc = recv_msg(c, &buf, &len, d);
  if (rc < 0) return rc;
  bool welcome = len == LIT_LEN(WELCOME) && memcmp(buf, WELCOME, len) == 0;
  free(buf);
  return welcome ? 0 : MP_EAUTH;
}
