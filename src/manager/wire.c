/* SPDX-License-Identifier: MIT */
/* wire.c -- the bytes of manager requests and replies: a fixed little-endian header, a name,
 * and MessagePack.  The same bytes go through a shared-memory channel or a connection. */
#include <endian.h>
#include <stdlib.h>
#include <string.h>

#include "manager/mgr_internal.h"

static void put64(unsigned char *p, uint64_t v) {
  v = htole64(v);
  memcpy(p, &v, 8);
}

static uint64_t get64(const unsigned char *p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return le64toh(v);
}

int mp__mgr_req_build(const mgr_req *r, const mp_obj *args, void **buf, size_t *len) {
  if (r->name_len > 255) return -EINVAL;
  void *enc = NULL;
  size_t elen = 0;
  if (args != NULL) {
    int rc = mp_obj_encode(args, &enc, &elen);
    if (rc != 0) return rc;
  }
  size_t n = MGR_REQ_HDR + r->name_len + elen;
  unsigned char *b = malloc(n);
  if (b == NULL) {
    free(enc);
    return -ENOMEM;
  }
  memset(b, 0, MGR_REQ_HDR);
  b[0] = (unsigned char)r->op;
  b[1] = (unsigned char)r->name_len;
  put64(b + 8, r->session);
  put64(b + 16, r->caller);
  put64(b + 24, r->id);
  if (r->name_len) memcpy(b + MGR_REQ_HDR, r->name, r->name_len);
  if (elen) memcpy(b + MGR_REQ_HDR + r->name_len, enc, elen);
  free(enc);
  *buf = b;
  *len = n;
  return 0;
}

int mp__mgr_req_parse(const void *buf, size_t len, mgr_req *r) {
  const unsigned char *b = buf;
  if (len < MGR_REQ_HDR || len < MGR_REQ_HDR + (size_t)b[1]) return MP_ECORRUPT;
  r->op = b[0];
  r->name_len = b[1];
  r->session = get64(b + 8);
  r->caller = get64(b + 16);
  r->id = get64(b + 24);
  r->name = (const char *)b + MGR_REQ_HDR;
  r->args = b + MGR_REQ_HDR + r->name_len;
  r->args_len = len - MGR_REQ_HDR - r->name_len;
  return 0;
}

int mp__mgr_rep_build(int status, int code, const void *payload, size_t plen, void **buf,
                      size_t *len) {
  unsigned char *b = malloc(MGR_REP_HDR + plen);
  if (b == NULL) return -ENOMEM;
  memset(b, 0, MGR_REP_HDR);
  b[0] = (unsigned char)status;
  uint32_t c = htole32((uint32_t)code);
  memcpy(b + 4, &c, 4);
  if (plen) memcpy(b + MGR_REP_HDR, payload, plen);
  *buf = b;
  *len = MGR_REP_HDR + plen;
  return 0;
}

int mp__mgr_rep_parse(const void *buf, size_t len, int *status, int *code, const void **payload,
                      size_t *plen) {
  const unsigned char *b = buf;
  if (len < MGR_REP_HDR || b[0] > MGR_PROXY) return MP_ECORRUPT;
  uint32_t c;
  memcpy(&c, b + 4, 4);
  *status = b[0];
  *code = (int)le32toh(c);
  *payload = b + MGR_REP_HDR;
  *plen = len - MGR_REP_HDR;
  return 0;
}
