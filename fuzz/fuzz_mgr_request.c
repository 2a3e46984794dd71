/* SPDX-License-Identifier: MIT */
/* fuzz_mgr_request.c -- libFuzzer target for the decoding of a manager request as the server
 * does it (src/manager/dispatch.c, mp__mgr_handle): the frame's bytes parsed by
 * mp__mgr_req_parse (src/manager/wire.c), then the arguments decoded with the default limits
 * and required to be a tuple or a list.  Everything parsed must lie inside the input, and
 * anything that parses must build back into the same header and name. */
#include <stdlib.h>
#include <string.h>

#include "manager/mgr_internal.h"
#include "multiproc/obj.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  mgr_req r;
  int rc = mp__mgr_req_parse(data, size, &r);
  if (rc != 0) {
    if (rc != MP_ECORRUPT) abort();
    return 0;
  }
  const uint8_t *end = data + size;
  if ((const uint8_t *)r.name < data || (const uint8_t *)r.name + r.name_len > end ||
      (const uint8_t *)r.args + r.args_len != end)
    abort();
  mp_obj *args = NULL;
  if (r.args_len > 0) {
    rc = mp_obj_decode(r.args, r.args_len, NULL, &args);
    if (rc == 0 && mp_obj_type_of(args) != MP_OBJ_TUPLE && mp_obj_type_of(args) != MP_OBJ_LIST)
      rc = MP_ECORRUPT;
    if (rc != 0 && rc != MP_ECORRUPT && rc != MP_ETOOBIG && rc != -ENOMEM) abort();
  }
  /* What parsed builds back into the same header fields and name (the reserved bytes are not
   * kept, so only the meaningful ones are compared). */
  void *again = NULL;
  size_t alen = 0;
  if (mp__mgr_req_build(&r, rc == 0 ? args : NULL, &again, &alen) != 0) abort();
  mgr_req r2;
  if (mp__mgr_req_parse(again, alen, &r2) != 0 || r2.op != (r.op & 0xff) ||
      r2.session != r.session || r2.caller != r.caller || r2.id != r.id ||
      r2.name_len != r.name_len || memcmp(r2.name, r.name, r.name_len) != 0)
    abort();
  free(again);
  mp_obj_decref(args);
  return 0;
}
