/* SPDX-License-Identifier: MIT */
/* queue_obj.c -- values on a queue: put_obj encodes with mp_obj_encode() and puts the bytes;
 * get_obj takes the message without copying it and decodes straight from the slot or block. */
#include <stdlib.h>

#include "queue/queue_internal.h"

int mp_queue_put_obj(mp_queue *q, const mp_obj *o, mp_timeout_ms timeout) {
  if (q == NULL || o == NULL) return -EINVAL;
  void *buf;
  size_t len;
  int rc = mp_obj_encode(o, &buf, &len);
  if (rc != 0) return rc;
  rc = mp_queue_put_bytes(q, buf, len, timeout);
  free(buf);
  return rc;
}

int mp_queue_get_obj(mp_queue *q, mp_obj **out, mp_timeout_ms timeout) {
  if (out == NULL) return -EINVAL;
  *out = NULL;
  if (q == NULL) return -EINVAL;
  mp_queue_msg m;
  int rc = mp_queue_get_msg(q, &m, timeout);
  if (rc != 0) return rc;
  rc = mp_obj_decode(m.data, m.len, NULL, out);
  mp_queue_msg_release(q, &m);
  if (rc != 0) *out = NULL;
  return rc;
}
