/* SPDX-License-Identifier: MIT */
/* fuzz_auth_server.c -- libFuzzer target for the listener's side of the auth-key handshake
 * (src/conn/handshake.c over src/conn/auth.c), run in steps as pending.c runs it.  The input
 * plays the client.  Our challenge is random, so a forged answer is always wrong; when the
 * input's first byte is odd the target reads the challenge and sends the right answer (in the
 * form the byte's next bit picks) ahead of the input, so the later stages (the client's own
 * challenge, our answer, its verdict) are fuzzed too.  The input arrives in two parts with a
 * step between them, as a slow client's would.  Each step must return 0, MP__HS_AGAIN or a
 * documented error, and once the client has said everything it will, a step never asks to
 * wait for more. */
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

/* Reads the challenge hs_begin sent and writes the right answer: bare HMAC-MD5, or
 * "{sha256}" + HMAC-SHA256 (what Python 3.12 sends). */
static void answer_challenge(fuzz_feed *f, bool modern) {
  uint8_t out[512];
  size_t n = fuzz_feed_read(f, out, sizeof out);
  if (n < 4 + 11) abort(); /* hs_begin sends the whole challenge in one write */
  size_t clen = (size_t)out[0] << 24 | (size_t)out[1] << 16 | (size_t)out[2] << 8 | out[3];
  if (4 + clen > n) abort();
  const uint8_t *msg = out + 4 + 11;
  size_t mlen = clen - 11;
  uint8_t frame[4 + 8 + EVP_MAX_MD_SIZE];
  unsigned hl = 0;
  size_t off = 4;
  const EVP_MD *md = EVP_md5();
  if (modern) {
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
  const bool modern_answer = data[0] & 2;
  /* A "{sha256}" challenge (Python 3.12's listener) or the bare one (3.11's). */
  const char *digest = data[0] & 4 ? "sha256" : NULL;
  const size_t cut = (size - 2) * data[1] / 255;
  data += 2;
  size -= 2;

  fuzz_feed f;
  fuzz_feed_open(&f);
  mp__handshake hs;
  if (mp__hs_begin(&hs, f.conn, digest) != 0) abort();
  if (answer_right) answer_challenge(&f, modern_answer);
  fuzz_feed_write(&f, data, cut);
  int rc = mp__hs_step(&hs, key, sizeof key - 1);
  if (rc == MP__HS_AGAIN) {
    fuzz_feed_write(&f, data + cut, size - cut);
    fuzz_feed_end(&f);
    rc = mp__hs_step(&hs, key, sizeof key - 1);
    /* the client has gone quiet for good: every further message is known not to come */
    if (rc == MP__HS_AGAIN) abort();
  }
  if (rc != 0 && !expected_error(rc)) abort();
  fuzz_feed_close(&f);
  return 0;
}
