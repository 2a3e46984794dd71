/* SPDX-License-Identifier: MIT */
/* fuzz_mgr_reply.c -- libFuzzer target for the decoding of a manager reply as a client does
 * it (src/manager/client.c, mp__mgr_request): mp__mgr_rep_parse (src/manager/wire.c), then an
 * error's message taken as text, a result decoded with the default limits, or a new proxy's
 * (typeid, id) tuple checked the way the client checks it.  Nothing may be read outside the
 * input, and a reply that parses must build back into the same bytes' meaning. */
#include <stdlib.h>
#include <string.h>

#include "manager/mgr_internal.h"
#include "multiproc/manager.h"
#include "multiproc/obj.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The client's check of a MGR_PROXY payload. */
static int check_proxy(const mp_obj *v) {
  const mp_obj *t = mp_obj_item(v, 0);
  int64_t nid = 0;
  size_t tl = 0;
  const char *ts = mp_obj_str_data(t, &tl);
  if (mp_obj_type_of(v) != MP_OBJ_TUPLE || ts == NULL || tl >= MP_MANAGER_TYPEID_MAX ||
      mp_obj_get_int(mp_obj_item(v, 1), &nid) != 0)
    return MP_ECORRUPT;
  char typeid[MP_MANAGER_TYPEID_MAX];
  memcpy(typeid, ts, tl + 1); /* the client copies the terminator too */
  if (strlen(typeid) > tl) abort();
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  int status, code;
  const void *payload;
  size_t plen;
  int rc = mp__mgr_rep_parse(data, size, &status, &code, &payload, &plen);
  if (rc != 0) {
    if (rc != MP_ECORRUPT) abort();
    return 0;
  }
  if ((const uint8_t *)payload + plen != data + size) abort();
  if (status != MGR_OK && status != MGR_ERR && status != MGR_PROXY) abort();
  if (status == MGR_ERR) {
    /* The message is copied out as text of at most plen bytes. */
    char *msg = malloc(plen + 1);
    if (msg == NULL) abort();
    memcpy(msg, payload, plen);
    msg[plen] = 0;
    free(msg);
  } else {
    mp_obj *v = NULL;
    if (plen > 0) rc = mp_obj_decode(payload, plen, NULL, &v);
    if (rc != 0 && rc != MP_ECORRUPT && rc != MP_ETOOBIG && rc != -ENOMEM) abort();
    if (rc == 0 && status == MGR_PROXY) (void)check_proxy(v);
    mp_obj_decref(v);
  }
  void *again = NULL;
  size_t alen = 0;
  int st2, code2;
  const void *p2;
  size_t pl2;
  if (mp__mgr_rep_build(status, code, payload, plen, &again, &alen) != 0 ||
      mp__mgr_rep_parse(again, alen, &st2, &code2, &p2, &pl2) != 0 || st2 != status ||
      code2 != code || pl2 != plen || memcmp(p2, payload, plen) != 0)
    abort();
  free(again);
  return 0;
}
