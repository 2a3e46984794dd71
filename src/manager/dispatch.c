/* SPDX-License-Identifier: MIT */
/* dispatch.c -- serving one request: decode, find the object and the method, run it under the
 * object's lock, and build the reply (a result, an error with the server's message, or a new
 * proxy's id). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manager/mgr_internal.h"

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
      rc = mp_manager_error(c, MP_EREMOTE, "method '%.*s' of '%s' is not exposed", (int)r->name_len,
                            r->name, t->name);
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

/* The server's own references (to the objects of shares= types, which live as long as it
 * does) are held by a session no client has: key UINT64_MAX, never one of the random keys in
 * practice, and given a transport so that nothing detaches it. */
#define MGR_KEEP_SESSION UINT64_MAX
static pthread_mutex_t shares_mu = PTHREAD_MUTEX_INITIALIZER;

/* shares=: the first call makes the object (of the type t shares) and keeps a reference for
 * the server; every call, that one included, gets a reference for its session. */
static int share(mgr_server *s, mgr_call *c, mgr_session *sess, const mgr_type *t,
                 const char **typeid, uint64_t *id) {
  mgr_type *mine = &s->custom[t - s->custom]; /* t is one of s->custom */
  pthread_mutex_lock(&shares_mu);
  int rc = 0;
  if (mine->shared_id == 0) {
    const char *what = t->custom->shares;
    const mgr_type *target = mp__mgr_type_find(s, what, strlen(what));
    void *data = NULL;
    if (target == NULL || (target->custom != NULL && target->custom->create == NULL)) {
      rc = mp_manager_error(c, MP_EREMOTE, "%s shares '%s', which is not a type with a factory",
                            t->name, what);
    } else {
      const mp_obj *args = t->custom->shares_args;
      rc = target->custom ? target->custom->create(c, args, target->custom->arg, &data)
                          : target->create(c, args, &data);
      if (rc > 0) rc = MP_EREMOTE;
    }
    mgr_session *keep = rc == 0 ? mp__mgr_session_get(s, MGR_KEEP_SESSION) : NULL;
    if (rc == 0 && keep == NULL) rc = -ENOMEM;
    if (rc == 0) rc = mp__mgr_obj_add(s, target, data, keep, &mine->shared_id);
    if (rc != 0 && data != NULL) {
      if (target->custom != NULL && target->custom->destroy != NULL)
        target->custom->destroy(data, target->custom->arg);
      else if (target->custom == NULL && target->destroy != NULL)
        target->destroy(data);
    }
  }
  uint64_t sid = mine->shared_id;
  pthread_mutex_unlock(&shares_mu);
  if (rc != 0) return rc;
  if ((rc = mp__mgr_obj_incref(s, sess, sid)) != 0) return rc;
  mgr_obj *o = mp__mgr_obj_pin(s, sid);
  if (o == NULL) return mp_manager_error(c, MP_EREMOTE, "%s: its object is gone", t->name);
  *typeid = o->type->name;
  mp__mgr_obj_unpin(s, o);
  *id = sid;
  return 0;
}

/* CREATE: a built-in or registered type id.  On success *typeid and *id name the object,
 * whose one reference now belongs to the session. */
static int do_create(mgr_server *s, mgr_call *c, mgr_session *sess, const mgr_req *r,
                     const mp_obj *args, const char **typeid, uint64_t *id) {
  const mgr_type *t = mp__mgr_type_find(s, r->name, r->name_len);
  if (t == NULL)
    return mp_manager_error(c, MP_EREMOTE, "unknown type id '%.*s'", (int)r->name_len, r->name);
  void *data = NULL;
  int rc;
  if (t->custom != NULL && t->custom->shares != NULL) return share(s, c, sess, t, typeid, id);
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
    if (rc != 0) return mp_manager_error(c, -EINVAL, "%s() must return a list or a dict", t->name);
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
    if (t->custom != NULL && t->custom->destroy != NULL)
      t->custom->destroy(data, t->custom->arg);
    else if (t->custom == NULL && t->destroy != NULL)
      t->destroy(data);
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
  } else if ((args = mp_obj_tuple_steal(0, NULL)) == NULL) {
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
    case MGR_OP_CANCEL: break; /* its work was done by arriving (serve.c) */
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
    mp_obj *t = mp_obj_tuple2_steal(mp_obj_str(typeid), mp_obj_int((int64_t)newid));
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
