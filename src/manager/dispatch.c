/* SPDX-License-Identifier: MIT */
/* dispatch.c -- serving one request: decode, find the object and the method, run it under the
 * object's lock, and build the reply (a result, an error with the server's message, or a new
 * proxy's id).  Also the argument helpers the built-in types share. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manager/mgr_internal.h"

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
    return mp_manager_error(c, -EINVAL, "%s takes %zu to %zu arguments (%zu given)", what, lo,
                            hi, n);
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
  /* Sleep at most 100 ms at a time so that a caller that left, or a server that stops, is
   * noticed even while nothing changes. */
  mp__deadline slice = mp__deadline_in(100);
  if (!mp__deadline_forever(d) && d.at_ns < slice.at_ns) slice = d;
  struct timespec ts;
  pthread_cond_timedwait(&o->cv, &o->mu, mp__deadline_abs(slice, &ts));
  if (mp_manager_cancelled(c)) return MP_ECLOSED;
  return 0;
}

/* ---- requests ---- */

static const mgr_method *find_method(const mgr_type *t, const char *name, size_t len) {
  for (size_t i = 0; i < t->nmethods; i++)
    if (strlen(t->methods[i].name) == len && memcmp(t->methods[i].name, name, len) == 0)
      return &t->methods[i];
  return NULL;
}

static const mp_manager_method *find_custom(const mp_manager_type *t, const char *name,
                                            size_t len) {
  for (size_t i = 0; i < t->nmethods; i++)
    if (strlen(t->methods[i].name) == len && memcmp(t->methods[i].name, name, len) == 0)
      return &t->methods[i];
  return NULL;
}

static int do_call(mgr_server *s, mgr_call *c, const mgr_req *r, const mp_obj *args,
                   mp_obj **result) {
  mgr_obj *o = mp__mgr_obj_pin(s, r->id);
  if (o == NULL)
    return mp_manager_error(c, MP_EREMOTE, "no object with id %llu", (unsigned long long)r->id);
  int rc;
  const mgr_type *t = o->type;
  if (t->custom != NULL) {
    const mp_manager_method *mm = find_custom(t->custom, r->name, r->name_len);
    if (mm == NULL) {
      rc = mp_manager_error(c, MP_EREMOTE, "method '%.*s' of '%s' is not exposed",
                            (int)r->name_len, r->name, t->name);
    } else {
      if (!t->custom->concurrent) pthread_mutex_lock(&o->mu);
      rc = mm->fn(c, o->data, args, result);
      if (!t->custom->concurrent) pthread_mutex_unlock(&o->mu);
      if (rc > 0) rc = MP_EREMOTE;
    }
  } else {
    const mgr_method *mm = find_method(t, r->name, r->name_len);
    if (mm == NULL) {
      rc = mp_manager_error(c, MP_EREMOTE, "'%s' object has no method '%.*s'", t->name,
                            (int)r->name_len, r->name);
    } else if (t->self_locking) {
      rc = mm->fn(c, o, args, result);
    } else {
      pthread_mutex_lock(&o->mu);
      rc = mm->fn(c, o, args, result);
      pthread_mutex_unlock(&o->mu);
    }
  }
  mp__mgr_obj_unpin(s, o);
  return rc;
}

/* CREATE: a built-in or registered type id.  On success *typeid and *id name the object,
 * whose one reference now belongs to the session. */
static int do_create(mgr_server *s, mgr_call *c, mgr_session *sess, const mgr_req *r,
                     const mp_obj *args, const char **typeid, uint64_t *id) {
  const mgr_type *t = mp__mgr_type_find(s, r->name, r->name_len);
  if (t == NULL)
    return mp_manager_error(c, MP_EREMOTE, "unknown type id '%.*s'", (int)r->name_len,
                            r->name);
  void *data = NULL;
  int rc;
  if (t->custom != NULL && t->custom->callable != NULL) {
    /* callable=: share the value it returns; the same value gives the same object. */
    mp_obj *v = t->custom->callable(t->custom->arg);
    if (v == NULL) return mp_manager_error(c, MP_EREMOTE, "%s() returned nothing", t->name);
    for (;;) {
      uint64_t found = mp__mgr_obj_find_data(s, v);
      if (found == 0) break;
      if (mp__mgr_obj_incref(s, sess, found) == 0) {
        mgr_obj *o = mp__mgr_obj_pin(s, found);
        if (o != NULL) {
          *typeid = o->type->name;
          mp__mgr_obj_unpin(s, o);
        }
        *id = found;
        return 0;
      }
    }
    const mgr_type *vt;
    rc = mp__mgr_wrap_value(v, &vt, &data);
    if (rc != 0)
      return mp_manager_error(c, -EINVAL, "%s() must return a list or a dict", t->name);
    t = vt;
  } else if (t->custom != NULL) {
    rc = t->custom->create(c, args, t->custom->arg, &data);
    if (rc != 0) return rc > 0 ? MP_EREMOTE : rc;
  } else {
    rc = t->create(c, args, &data);
    if (rc != 0) return rc;
  }
  rc = mp__mgr_obj_add(s, t, data, sess, id);
  if (rc != 0) {
    if (t->custom != NULL && t->custom->destroy != NULL) t->custom->destroy(data, t->custom->arg);
    else if (t->custom == NULL && t->destroy != NULL) t->destroy(data);
    return rc;
  }
  *typeid = t->name;
  return 0;
}

static int reply_value(const mp_obj *v, void **rep, size_t *replen) {
  void *enc = NULL;
  size_t elen = 0;
  int rc = 0;
  if (v != NULL) rc = mp_obj_encode(v, &enc, &elen);
  if (rc == 0) rc = mp__mgr_rep_build(MGR_OK, 0, enc, elen, rep, replen);
  free(enc);
  return rc;
}

int mp__mgr_handle(mgr_server *s, mgr_session **sess, const void *req, size_t len,
                int (*gone)(void *), void *gone_arg, void **rep, size_t *replen) {
  mgr_call c = {.srv = s, .gone = gone, .gone_arg = gone_arg};
  mgr_req r;
  mp_obj *args = NULL, *result = NULL;
  const char *typeid = NULL;
  uint64_t newid = 0;
  int rc = mp__mgr_req_parse(req, len, &r);
  if (rc != 0) {
    mp_manager_error(&c, rc, "malformed request");
    goto out;
  }
  c.caller = r.caller;
  if (*sess == NULL && (*sess = mp__mgr_session_get(s, r.session)) == NULL) {
    rc = -ENOMEM;
    goto out;
  }
  if (r.args_len > 0) {
    rc = mp_obj_decode(r.args, r.args_len, NULL, &args);
    if (rc == 0 && mp_obj_type_of(args) != MP_OBJ_TUPLE && mp_obj_type_of(args) != MP_OBJ_LIST)
      rc = MP_ECORRUPT;
    if (rc != 0) {
      mp_manager_error(&c, rc, "malformed arguments");
      goto out;
    }
  } else if ((args = mp_obj_tuple_new(0, NULL)) == NULL) {
    rc = -ENOMEM;
    goto out;
  }
  switch (r.op) {
  case MGR_OP_CALL: rc = do_call(s, &c, &r, args, &result); break;
  case MGR_OP_CREATE: rc = do_create(s, &c, *sess, &r, args, &typeid, &newid); break;
  case MGR_OP_INCREF:
    rc = mp__mgr_obj_incref(s, *sess, r.id);
    if (rc == -ENOENT)
      mp_manager_error(&c, rc, "no object with id %llu", (unsigned long long)r.id);
    break;
  case MGR_OP_DECREF: rc = mp__mgr_obj_decref(s, *sess, r.id); break;
  case MGR_OP_SHUTDOWN: mp__mgr_server_stop(s); break;
  case MGR_OP_NOBJECTS:
    result = mp_obj_int(mp__mgr_obj_count(s));
    if (result == NULL) rc = -ENOMEM;
    break;
  case MGR_OP_TYPEOF: {
    mgr_obj *o = mp__mgr_obj_pin(s, r.id);
    if (o == NULL) {
      rc = mp_manager_error(&c, -ENOENT, "no object with id %llu", (unsigned long long)r.id);
      break;
    }
    result = mp_obj_str(o->type->name);
    mp__mgr_obj_unpin(s, o);
    if (result == NULL) rc = -ENOMEM;
    break;
  }
  default: rc = mp_manager_error(&c, MP_ECORRUPT, "unknown request %d", r.op); break;
  }
out:
  mp_obj_decref(args);
  if (rc == 0 && typeid != NULL) {
    mp_obj *t = mp_obj_tuple2_new(mp_obj_str(typeid), mp_obj_int((int64_t)newid));
    void *enc = NULL;
    size_t elen = 0;
    rc = t == NULL ? -ENOMEM : mp_obj_encode(t, &enc, &elen);
    mp_obj_decref(t);
    if (rc == 0) rc = mp__mgr_rep_build(MGR_PROXY, 0, enc, elen, rep, replen);
    free(enc);
    if (rc == 0) return 0;
    /* The client will never learn the id: give the reference back. */
    mp__mgr_obj_decref(s, *sess, newid);
  } else if (rc == 0) {
    rc = reply_value(result, rep, replen);
    mp_obj_decref(result);
    if (rc == 0) return 0;
    mp_manager_error(&c, rc, "the result cannot be sent: %s", mp_strerror(rc));
  } else {
    mp_obj_decref(result);
  }
  if (c.err == 0 || c.err != rc) snprintf(c.msg, sizeof c.msg, "%s", mp_strerror(rc));
  return mp__mgr_rep_build(MGR_ERR, rc, c.msg, strlen(c.msg), rep, replen);
}
