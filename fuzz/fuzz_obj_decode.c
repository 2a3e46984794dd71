/* SPDX-License-Identifier: MIT */
/* fuzz_obj_decode.c -- libFuzzer target for the MessagePack decoder (src/obj/decode.c).
 * Decodes the input under tight limits; whatever decodes must encode, decode again to the
 * same value (compared through its encoding, since nan != nan), and survive repr, hash and
 * equality.  Build and run with fuzz/build.sh (not part of the CMake build). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "multiproc/obj.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const mp_obj_limits lim = {.max_depth = 32, .max_items = 4096, .max_bytes = 4096};
  mp_obj *a = NULL;
  int rc = mp_obj_decode(data, size, &lim, &a);
  if (rc) {
    if (rc != MP_ECORRUPT && rc != MP_ETOOBIG)
      abort(); /* -ENOMEM cannot happen under these limits */
    return 0;
  }
  void *buf1 = NULL, *buf2 = NULL;
  size_t len1 = 0, len2 = 0;
  if (mp_obj_encode(a, &buf1, &len1)) abort();
  mp_obj *b = NULL;
  /* the re-encoding may be shorter (minimal forms, merged keys), never deeper or larger */
  if (mp_obj_decode(buf1, len1, &lim, &b)) abort();
  if (mp_obj_encode(b, &buf2, &len2) || len1 != len2 || memcmp(buf1, buf2, len1) != 0) abort();
  (void)mp_obj_equal(a, b);
  (void)mp_obj_hash(a);
  (void)mp_obj_len(a);
  char *r = mp_obj_repr(a);
  if (!r) abort();
  free(r);
  free(buf1);
  free(buf2);
  mp_obj_decref(a);
  mp_obj_decref(b);
  return 0;
}
