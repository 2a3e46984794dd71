/* SPDX-License-Identifier: MIT */
/* value.c -- send() and recv() of values: MessagePack (src/obj/) inside one frame. */
#include <stdlib.h>

#include "conn/conn_internal.h"

int mp_conn_send(mp_conn *c, const mp_obj *o, mp_timeout_ms timeout) {
  if (c == NULL || o == NULL) return -EINVAL;
  if (c->fd < 0) return MP_ECLOSED;
  if (!c->writable) return MP_ESTATE;
  if (c->broken) return MP_EBROKEN;
  void *buf = NULL;
  size_t len = 0;
  int rc = mp_obj_encode(o, &buf, &len);
  if (rc < 0) return rc;
  rc = mp_conn_send_bytes(c, buf, 0, len, timeout);
  free(buf);
  return rc;
}

/* Whether a payload that did not decode looks like a pickle: protocol 2 and later start with
 * the PROTO opcode (0x80) and the protocol number -- what Python's Connection.send() writes.
 * (0x80 alone is MessagePack's empty map, so a pickle never decodes as one value.) */
static bool looks_pickled(const unsigned char *b, size_t len) {
  return len >= 2 && b[0] == 0x80 && b[1] >= 2 && b[1] <= 5;
}

int mp_conn_recv(mp_conn *c, mp_obj **out, mp_timeout_ms timeout) {
  mp__fail_clear();
  if (out == NULL) return -EINVAL;
  *out = NULL;
  void *buf = NULL;
  size_t len = 0;
  int rc = mp_conn_recv_bytes(c, &buf, &len, 0, timeout);
  if (rc < 0) return rc;
  /* A bad payload in a sound frame costs that message only: the stream stays in step. */
  rc = mp_obj_decode(buf, len, NULL, out);
  if (rc == MP_ECORRUPT && looks_pickled(buf, len))
    rc = mp__fail(MP_ECORRUPT,
                  "the peer sent a Python pickle (protocol %u); values here are MessagePack: have "
                  "the Python side use send_bytes()/recv_bytes() with MessagePack or raw bytes",
                  ((unsigned char *)buf)[1]);
  free(buf);
  return rc;
}
