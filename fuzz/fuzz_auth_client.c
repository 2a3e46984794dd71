/* SPDX-License-Identifier: MIT */
/* fuzz_auth_client.c -- libFuzzer target for the client's side of the auth-key handshake
 * (src/conn/auth.c, in the order mp_client runs it, src/conn/client.c).  The input plays the
 * listener: its first part is what the listener sends before it has seen our challenge (its
 * challenge and its verdict on our answer), the rest what it sends after (its answer to our
 * challenge).  Our challenge is random, so a forged answer is always wrong; when the input's
 * first byte is odd the target computes the right answer itself and sends it ahead of the
 * rest, so that what follows (the verdict stage) is reached too.  Every step must return 0 or
 * a documented error, and send at most what the protocol allows. */
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "conn/listener_internal.h"
#include "fuzz_feed.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char key[] = "fuzz-key";

static bool expected_error(int rc) {
  return rc == MP_ETIMEDOUT || rc == MP_EOF || rc == MP_EBROKEN || rc == MP_ECORRUPT ||
         rc == MP_ETOOBIG || rc == MP_EAUTH || rc == -EPIPE || rc == -ECONNRESET;
}

/* Reads our challenge back from the peer's side (after our answer) and writes the right
 * answer to it: HMAC-MD5 of the bare form, or "{sha256}" + HMAC-SHA256 of the prefixed one. */
static void answer_our_challenge(fuzz_feed *f) {
  uint8_t out[1024];
  size_t n = fuzz_feed_read(f, out, sizeof out);
  /* two frames: our answer, then our challenge */
  if (n < 4) return;
  size_t a = (size_t)out[0] << 24 | (size_t)out[1] << 16 | (size_t)out[2] << 8 | out[3];
  if (4 + a + 4 > n) return;
  const uint8_t *p = out + 4 + a;
  size_t clen = (size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
  if (8 + a + clen > n || clen < 11) abort(); /* a challenge frame always follows whole */
  const uint8_t *msg = p + 4 + 11; /* after "#CHALLENGE#" */
  size_t mlen = clen - 11;
  uint8_t frame[4 + 8 + EVP_MAX_MD_SIZE];
  unsigned hl = 0;
  size_t off = 4;
  const EVP_MD *md = EVP_md5();
  if (mlen > 8 && memcmp(msg, "{sha256}", 8) == 0) {
    memcpy(frame + off, "{sha256}", 8);
    off += 8;
    md = EVP_sha256();
  }
  if (HMAC(md, key, sizeof key - 1, msg, mlen, frame + off, &hl) == NULL) abort();
  off += hl;
  fuzz_put_be32(frame, (uint32_t)(off - 4));
  fuzz_feed_write(f, frame, off);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2) return 0;
  const bool answer_right = data[0] & 1;
  /* data[1] says where the listener's bytes are cut: what it sent before our challenge. */
  const size_t cut = (size - 2) * data[1] / 255;
  data += 2;
  size -= 2;

  fuzz_feed f;
  fuzz_feed_open(&f);
  fuzz_feed_write(&f, data, cut);
  mp__deadline now = mp__deadline_in(0);
  mp__answer ans;
  mp__challenge ch;
  int rc = mp__auth_answer_make(f.conn, key, sizeof key - 1, now, &ans);
  if (rc == 0) {
    if (ans.len > sizeof ans.msg) abort();
    rc = mp__auth_challenge_make(ans.modern ? "sha256" : NULL, &ch);
    if (rc != 0) abort(); /* a fixed digest and the random generator: cannot fail here */
    mp__auth_msg two[2] = {{ans.msg, ans.len}, {ch.msg, ch.len}};
    int sent = mp__auth_send(f.conn, two, 2, now);
    rc = mp__auth_answer_result(f.conn, now);
    if (rc == 0) rc = sent;
  }
  if (rc == 0) {
    if (answer_right) answer_our_challenge(&f);
    fuzz_feed_write(&f, data + cut, size - cut);
    fuzz_feed_end(&f);
    rc = mp__auth_challenge_verify(f.conn, key, sizeof key - 1, &ch, now);
    if (rc == 0) rc = mp__auth_send(f.conn, &mp__auth_welcome, 1, now);
  }
  if (rc != 0 && !expected_error(rc)) abort();
  fuzz_feed_close(&f);
  return 0;
}
