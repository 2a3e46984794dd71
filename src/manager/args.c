/* SPDX-License-Identifier: MIT */
/* args.c -- what the methods of every type share: recording an error for the reply, telling
 * that the call was given up, reading and checking arguments, and a blocking method's wait on
 * its object. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>

#include "manager/mgr_internal.h"
#include "manager/mgr_timeouts.h"

/* ---- errors and cancellation, for built-in and registered methods ---- */

int mp_manager_error(mp_manager_ctx *c, int code, const char *fmt, ...) {
  if (code >= 0) code = MP_EREMOTE;
  if (c == NULL) return code;
  c->err = code;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(c->msg, sizeof c->msg, fmt, ap);
  va_end(ap);
  return code;
}

bool mp_manager_cancelled(mp_manager_ctx *c) {
  if (c == NULL) return false;
  if (mp__mgr_server_stopping(c->srv)) return true;
  return c->gone != NULL && c->gone(c->gone_arg) != 0;
}

/* ---- argument helpers ---- */

const mp_obj *mp__mgr_arg(const mp_obj *args, size_t i) {
  return args != NULL && i < mp_obj_len(args) ? mp_obj_item(args, i) : NULL;
}

int mp__mgr_need_args(mgr_call *c, const mp_obj *args, size_t lo, size_t hi, const char *what) {
  size_t n = mp_obj_len(args);
  if (n < lo || n > hi)
    return mp_manager_error(c, -EINVAL, "%s takes %zu to %zu arguments (%zu given)", what, lo, hi,
                            n);
  return 0;
}

int mp__mgr_arg_int(mgr_call *c, const mp_obj *args, size_t i, int64_t dflt, int64_t *out) {
  const mp_obj *a = mp__mgr_arg(args, i);
  if (a == NULL || mp_obj_type_of(a) == MP_OBJ_NONE) {
    *out = dflt;
    return 0;
  }
  if (mp_obj_get_int(a, out) != 0)
    return mp_manager_error(c, -EINVAL, "argument %zu must be an int, not %s", i + 1,
                            mp_obj_type_name(mp_obj_type_of(a)));
  return 0;
}

int mp__mgr_arg_bool(mgr_call *c, const mp_obj *args, size_t i, bool dflt, bool *out) {
  const mp_obj *a = mp__mgr_arg(args, i);
  int64_t v;
  if (a == NULL) {
    *out = dflt;
    return 0;
  }
  if (mp_obj_type_of(a) == MP_OBJ_NONE) {
    *out = false;
    return 0;
  }
  if (mp_obj_get_int(a, &v) != 0)
    return mp_manager_error(c, -EINVAL, "argument %zu must be a bool", i + 1);
  *out = v != 0;
  return 0;
}

int mp__mgr_arg_timeout(mgr_call *c, const mp_obj *args, size_t i, mp__deadline *out) {
  const mp_obj *a = mp__mgr_arg(args, i);
  double t;
  if (a == NULL || mp_obj_type_of(a) == MP_OBJ_NONE) {
    *out = mp__deadline_in(MP_FOREVER);
    return 0;
  }
  if (mp_obj_get_float(a, &t) != 0 || isnan(t))
    return mp_manager_error(c, -EINVAL, "timeout must be a number or None");
  if (t < 0) {
    *out = mp__deadline_in(MP_FOREVER);
    return 0;
  }
  if (t > 1e9) t = 1e9;
  *out = mp__deadline_in((mp_timeout_ms)ceil(t * 1000.0));
  return 0;
}

int mp__mgr_norm_index(mgr_call *c, int64_t i, size_t len, size_t *out) {
  int64_t j = i < 0 ? i + (int64_t)len : i;
  if (j < 0 || (uint64_t)j >= len) return mp_manager_error(c, -ERANGE, "index out of range");
  *out = (size_t)j;
  return 0;
}

int mp__mgr_obj_wait(mgr_call *c, mgr_obj *o, mp__deadline d) {
  if (mp_manager_cancelled(c)) return MP_ECLOSED;
  if (mp__deadline_passed(d)) return MP_ETIMEDOUT;
  /* Sleep at most a slice at a time so that a caller that left is noticed even while nothing
   * changes (a stop broadcasts the condition variable: mp__mgr_objects_wake_all). */
  long ms = MGR_OBJ_WAIT_SLICE_MS;
  for (unsigned i = 0; i < c->slept && ms < MGR_OBJ_WAIT_SLICE_MAX_MS; i++)
    ms *= MGR_OBJ_WAIT_SLICE_GROWTH;
  if (ms > MGR_OBJ_WAIT_SLICE_MAX_MS) ms = MGR_OBJ_WAIT_SLICE_MAX_MS;
  mp__deadline slice = mp__deadline_in((mp_timeout_ms)ms);
  if (!mp__deadline_forever(d) && d.at_ns < slice.at_ns) slice = d;
  struct timespec ts;
  if (pthread_cond_timedwait(&o->cv, &o->mu, mp__deadline_abs(slice, &ts)) == ETIMEDOUT)
    c->slept++;
  if (mp_manager_cancelled(c)) return MP_ECLOSED;
  return 0;
}
