/* SPDX-License-Identifier: MIT */
/* task.c -- what a task function sees in the worker: its argument, its result, its error. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pool/pool_internal.h"
#include "pool/task_internal.h"

_Thread_local char mp__task_msg[MP_TASK_MSG_MAX];
_Thread_local bool mp__task_running;

int mp_task_error(int status, const char *fmt, ...) {
  if (mp__task_running && fmt) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(mp__task_msg, sizeof mp__task_msg, fmt, ap);
    va_end(ap);
  }
  return status;
}

const void *mp_task_arg(const mp_task *t, size_t *len) {
  if (t == NULL) {
    if (len) *len = 0;
    return NULL;
  }
  const pool_job *j = t->job;
  if (j == NULL) {
    if (len) *len = t->arg_len;
    return t->arg;
  }
  uint64_t a = j->arg_off[t->index] & ~ARG_RAW, b = j->arg_off[t->index + 1] & ~ARG_RAW;
  if (len) *len = b - a;
  return j->args + a;
}

int mp_task_arg_obj(const mp_task *t, mp_obj **out) {
  if (t == NULL || out == NULL) return -EINVAL;
  size_t len;
  const void *p = mp_task_arg(t, &len);
  if (t->job ? (t->job->arg_off[t->index] & ARG_RAW) != 0 : t->arg_raw) {
    *out = mp_obj_bytes(p, len);
    return *out ? 0 : -ENOMEM;
  }
  return mp_obj_decode(p, len, NULL, out);
}

/* A backend's task (mp_task_run): the result is a malloc'd copy in the outcome. */
static int sink_result(mp_task *t, const void *buf, size_t len, bool raw) {
  void *copy = malloc(len ? len : 1);
  if (copy == NULL) {
    t->store_error = -ENOMEM;
    return -ENOMEM;
  }
  if (len) memcpy(copy, buf, len);
  free(t->sink->result);
  t->sink->result = copy;
  t->sink->len = len;
  t->sink->raw = raw;
  return 0;
}

size_t mp_task_index(const mp_task *t) { return t ? t->index : 0; }

int mp_task_return(mp_task *t, const void *buf, size_t len) {
  if (t == NULL || (buf == NULL && len > 0)) return -EINVAL;
  if (t->sink) return sink_result(t, buf, len, true);
  if (t->job == NULL) return MP_ESTATE; /* a process's task has nowhere to send a result */
  int r = mp__job_set_result(t->job, t->index, buf, len, true);
  if (r) t->store_error = r;
  return r;
}

int mp_task_return_obj(mp_task *t, const mp_obj *o) {
  if (t == NULL || o == NULL) return -EINVAL;
  if (t->job == NULL && t->sink == NULL) return MP_ESTATE;
  if (mp_obj_type_of(o) == MP_OBJ_BYTES) {
    size_t len;
    const void *p = mp_obj_bytes_data(o, &len);
    return mp_task_return(t, p, len);
  }
  void *buf;
  size_t len;
  int r = mp_obj_encode(o, &buf, &len);
  if (r == 0 && t->sink) {
    free(t->sink->result); /* the encoding becomes the result as it is */
    *t->sink = (mp_task_outcome){.result = buf, .len = len, .raw = false};
    return 0;
  }
  if (r == 0) {
    r = mp__job_set_result(t->job, t->index, buf, len, false);
    free(buf);
  }
  if (r) t->store_error = r;
  return r;
}
