/* SPDX-License-Identifier: MIT */
/* process_task.c -- a process whose body is a task function (mp_process_new_task): the same
 * function type and argument calls as a pool task, under any start method. */
#include <stdlib.h>
#include <string.h>

#include "pool/task_internal.h"
#include "process/process_internal.h"
#include "start/start_internal.h"

/* The payload: this header, then the argument's bytes.  fn is used by fork children (the same
 * image); the others find the task by its ref. */
typedef struct task_payload {
  uint64_t fn;
  mp__task_ref ref;
  uint32_t by_ref;
  uint32_t raw;
} task_payload;

static int run_process_task(void *payload, size_t len) {
  task_payload h;
  if (len < sizeof h) return 255;
  memcpy(&h, payload, sizeof h);
  mp_task_fn fn =
      h.by_ref ? (mp_task_fn)mp__task_resolve(MP__FN_TASK, h.ref) : (mp_task_fn)(uintptr_t)h.fn;
  if (fn == NULL) {
    mp_log(MP_LOG_ERROR, "this image has no registered task the parent named");
    return 255;
  }
  mp_task t = {.arg = (char *)payload + sizeof h, .arg_len = len - sizeof h, .arg_raw = h.raw};
  mp__task_msg[0] = '\0';
  mp__task_running = true;
  int st = fn(&t);
  mp__task_running = false;
  if (st != 0 && mp__task_msg[0]) mp_log(MP_LOG_ERROR, "task failed: %s", mp__task_msg);
  free(payload);
  return st;
}
MP__ENTRY(run_process_task);

static int new_task(mp_process **out, mp_task_fn fn, const void *arg, size_t len, bool raw,
                    const mp_process_opts *opts) {
  int method = mp__start_method_resolve(opts ? opts->start_method : MP_START_DEFAULT);
  if (method < 0) return method;
  task_payload h = {.fn = (uint64_t)(uintptr_t)fn, .by_ref = method != MP_START_FORK, .raw = raw};
  int r = mp__task_ref_of(MP__FN_TASK, (void (*)(void))fn, &h.ref);
  if (r != 0 && h.by_ref) return r;
  char *payload = malloc(sizeof h + len);
  if (payload == NULL) return -ENOMEM;
  memcpy(payload, &h, sizeof h);
  if (len) memcpy(payload + sizeof h, arg, len);
  return mp__process_new_entry(out, method, run_process_task, payload, sizeof h + len, opts);
}

int mp_process_new_task(mp_process **out, mp_task_fn fn, const void *arg, size_t len,
                        const mp_process_opts *opts) {
  if (out) *out = NULL;
  if (out == NULL || fn == NULL || (arg == NULL && len > 0)) return -EINVAL;
  return new_task(out, fn, arg, len, true, opts);
}

int mp_process_new_task_obj(mp_process **out, mp_task_fn fn, const mp_obj *arg,
                            const mp_process_opts *opts) {
  if (out) *out = NULL;
  if (out == NULL || fn == NULL || arg == NULL) return -EINVAL;
  void *buf;
  size_t len;
  int r = mp_obj_encode(arg, &buf, &len);
  if (r != 0) return r;
  r = new_task(out, fn, buf, len, false, opts);
  free(buf);
  return r;
}
