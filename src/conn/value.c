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

int mp_conn_recv(mp_conn *c, mp_obj **out, mp_timeout_ms timeout) {
  if (out == NULL) return -EINVAL;
  *out = NULL;
  void *buf = NULL;
  size_t len = 0;
  int rc = mp_conn_recv_bytes(c, &buf, &len, 0, timeout);
  if (rc < 0) return rc;
  /* A bad payload in a sound frame costs that message only: the stream stays in step. */
  rc = mp_obj_decode(buf, len, NULL, out);
  free(buf);
  return rc;
}
