/* SPDX-License-Identifier: MIT */
/* proxy.c -- proxies: one reference to a server object per process that uses it (a child
 * that inherited a proxy takes its own on first use), generic calls by method name, creation
 * of objects, and tokens that carry a proxy to another process. */
#include <stdlib.h>
#include <string.h>

#include "heap/heap.h"
#include "manager/mgr_internal.h"
#include "manager/mgr_timeouts.h"

struct mp_proxy {
  mp_manager *m;
  bool own_m; /* the proxy made m (from a token) and frees it */
  char typeid[MP_MANAGER_TYPEID_MAX];
  uint64_t id;
  /* The process whose session holds this proxy's reference; atomic, as threads sharing the
   * proxy read it and the first call of a forked child sets it. */
  _Atomic pid_t ref_pid;
  /* How long the typed shorthands wait for an answer (mp_proxy_set_timeout). */
  _Atomic mp_timeout_ms call_timeout;
};

static int proxy_make(mp_manager *m, bool own_m, const char *typeid, uint64_t id, mp_proxy **out) {
  mp_proxy *p = calloc(1, sizeof *p);
  if (p == NULL) return -ENOMEM;
  p->m = m;
  p->own_m = own_m;
  snprintf(p->typeid, sizeof p->typeid, "%s", typeid);
  p->id = id;
  p->ref_pid = mp__self_pid();
  p->call_timeout = MP_FOREVER;
  *out = p;
  return 0;
}

int mp_proxy_set_timeout(mp_proxy *p, mp_timeout_ms timeout) {
  if (p == NULL) return -EINVAL;
  atomic_store(&p->call_timeout, timeout < 0 ? MP_FOREVER : timeout);
  return 0;
}

mp_timeout_ms mp_proxy_timeout(const mp_proxy *p) {
  return p ? atomic_load(&p->call_timeout) : MP_FOREVER;
}

/* A proxy inherited through fork holds its parent's reference, not ours: take one. */
static int ensure_ref(mp_proxy *p) {
  pid_t me = mp__self_pid();
  if (mp__likely(p->ref_pid == me)) return 0;
  int rc = mp__mgr_request(
      p->m, &(mgr_request){.op = MGR_OP_INCREF, .id = p->id, .timeout = MP_FOREVER}, NULL);
  if (rc == 0) p->ref_pid = me;
  return rc;
}

int mp_proxy_call(mp_proxy *p, const char *method, const mp_obj *args, mp_obj **result,
                  mp_timeout_ms timeout) {
  if (result != NULL) *result = NULL;
  if (p == NULL || method == NULL || method[0] == '\0') return -EINVAL;
  if (args != NULL && mp_obj_type_of(args) != MP_OBJ_TUPLE && mp_obj_type_of(args) != MP_OBJ_LIST)
    return -EINVAL;
  int rc = ensure_ref(p);
  if (rc != 0) return rc;
  mgr_request rq = {
      .op = MGR_OP_CALL, .id = p->id, .name = method, .args = args, .timeout = timeout};
  mgr_reply rep;
  rc = mp__mgr_request(p->m, &rq, result != NULL ? &rep : NULL);
  if (rc == 0 && result != NULL) *result = rep.result;
  return rc;
}

int mp_proxy_getvalue(mp_proxy *p, mp_obj **out) {
  if (out == NULL) return -EINVAL;
  return mp_proxy_call(p, "_getvalue", NULL, out, MP_FOREVER);
}

const char *mp_proxy_typeid(const mp_proxy *p) { return p != NULL ? p->typeid : NULL; }

void mp_proxy_free(mp_proxy *p) {
  if (p == NULL) return;
  if (p->ref_pid == mp__self_pid())
    (void)mp__mgr_request(
        p->m, &(mgr_request){.op = MGR_OP_DECREF, .id = p->id, .timeout = MGR_CLEANUP_CALL_MS},
        NULL);
  if (p->own_m) mp_manager_free(p->m);
  free(p);
}

int mp_manager_create(mp_manager *m, const char *typeid, const mp_obj *args, mp_proxy **out) {
  if (out != NULL) *out = NULL;
  if (m == NULL || typeid == NULL || out == NULL || typeid[0] == '\0' ||
      strlen(typeid) >= MP_MANAGER_TYPEID_MAX)
    return -EINVAL;
  if (args != NULL && mp_obj_type_of(args) != MP_OBJ_TUPLE && mp_obj_type_of(args) != MP_OBJ_LIST)
    return -EINVAL;
  mgr_reply made;
  mgr_request rq = {.op = MGR_OP_CREATE, .name = typeid, .args = args, .timeout = MP_FOREVER};
  int rc = mp__mgr_request(m, &rq, &made);
  if (rc != 0) return rc;
  rc = proxy_make(m, false, made.typeid, made.id, out);
  if (rc != 0)
    (void)mp__mgr_request(
        m, &(mgr_request){.op = MGR_OP_DECREF, .id = made.id, .timeout = MGR_CLEANUP_CALL_MS},
        NULL);
  return rc;
}

/* ---- tokens ---- */

#define TOKEN_TAG "multiproc.proxy"

int mp_proxy_to_obj(const mp_proxy *p, mp_obj **out) {
  if (out != NULL) *out = NULL;
  if (p == NULL || out == NULL) return -EINVAL;
  const mp_manager *m = p->m;
  mp_obj *hint = m->sh != NULL ? mp_obj_tuple2_steal(mp_obj_int((int64_t)(uintptr_t)m->sh),
                                                     mp_obj_int((int64_t)m->sh->nonce))
                               : mp_obj_none();
  mp_obj *items[6] = {mp_obj_str(TOKEN_TAG),
                      mp_obj_str(p->typeid),
                      mp_obj_int((int64_t)p->id),
                      m->has_address ? mp_obj_str(m->address) : mp_obj_none(),
                      mp_obj_bytes(m->authkey, m->authkey_len),
                      hint};
  *out = mp_obj_tuple_steal(6, items);
  return *out != NULL ? 0 : -ENOMEM;
}

/* A manager handle of this process for the heap state at sh (a child that shares it). */
static int local_handle(mgr_shared *sh, const mp_obj *tok, mp_manager **out) {
  int rc = mp_manager_new(out, NULL);
  if (rc != 0) return rc;
  (*out)->sh = sh;
  (*out)->role = MGR_LOCAL;
  size_t kl;
  const void *key = mp_obj_bytes_data(mp_obj_item(tok, 4), &kl);
  if (key != NULL && kl <= MP_MANAGER_AUTHKEY_MAX) {
    memcpy((*out)->authkey, key, kl);
    (*out)->authkey_len = kl;
  }
  size_t al;
  const char *addr = mp_obj_str_data(mp_obj_item(tok, 3), &al);
  if (addr != NULL && al < sizeof(*out)->address) {
    memcpy((*out)->address, addr, al + 1);
    (*out)->has_address = true;
  }
  return 0;
}

int mp_proxy_from_obj(mp_proxy **out, const mp_obj *tok, mp_manager *m_hint,
                      mp_timeout_ms timeout) {
  if (out != NULL) *out = NULL;
  if (out == NULL || tok == NULL || mp_obj_type_of(tok) != MP_OBJ_TUPLE || mp_obj_len(tok) != 6)
    return -EINVAL;
  size_t tl;
  const char *tag = mp_obj_str_data(mp_obj_item(tok, 0), &tl);
  const char *typeid = mp_obj_str_data(mp_obj_item(tok, 1), &tl);
  int64_t id;
  if (tag == NULL || strcmp(tag, TOKEN_TAG) != 0 || typeid == NULL || tl >= MP_MANAGER_TYPEID_MAX ||
      mp_obj_get_int(mp_obj_item(tok, 2), &id) != 0)
    return -EINVAL;
  /* The heap hint: (address of the shared state, nonce).  Followed only when the address lies
   * in our heap and the nonce there matches, so a token from an unrelated process (another
   * heap at another address) can never make us read stray memory. */
  mgr_shared *sh = NULL;
  const mp_obj *hint = mp_obj_item(tok, 5);
  int64_t addr, nonce;
  if (mp_obj_type_of(hint) == MP_OBJ_TUPLE && mp_obj_get_int(mp_obj_item(hint, 0), &addr) == 0 &&
      mp_obj_get_int(mp_obj_item(hint, 1), &nonce) == 0 &&
      mp__heap_contains((void *)(uintptr_t)addr, sizeof(mgr_shared))) {
    mgr_shared *cand = (mgr_shared *)(uintptr_t)addr;
    if (cand->magic == MGR_SHARED_MAGIC && cand->nonce == (uint64_t)nonce) sh = cand;
  }
  mp_manager *m = NULL;
  bool own = false;
  int rc = 0;
  const char *taddr = mp_obj_str_data(mp_obj_item(tok, 3), NULL);
  if (m_hint != NULL && ((sh != NULL && m_hint->sh == sh) ||
                         (sh == NULL && m_hint->sh == NULL && taddr != NULL &&
                          m_hint->has_address && strcmp(taddr, m_hint->address) == 0))) {
    m = m_hint;
  } else if (sh != NULL) {
    rc = local_handle(sh, tok, &m);
    own = true;
  } else {
    size_t al, kl;
    const char *address = mp_obj_str_data(mp_obj_item(tok, 3), &al);
    const void *key = mp_obj_bytes_data(mp_obj_item(tok, 4), &kl);
    if (address == NULL) return MP_ESTATE;
    rc = mp_manager_new(&m,
                        &(mp_manager_opts){.address = address, .authkey = key, .authkey_len = kl});
    if (rc == 0 && (rc = mp_manager_connect(m, timeout)) != 0) {
      mp_manager_free(m);
      m = NULL;
    }
    own = true;
  }
  if (rc != 0) return rc;
  mp_proxy *p;
  rc = proxy_make(m, own, typeid, (uint64_t)id, &p);
  if (rc == 0) {
    p->ref_pid = 0; /* no reference yet: take ours now */
    rc = ensure_ref(p);
    if (rc != 0) {
      mp_proxy_free(p);
      return rc;
    }
    *out = p;
    return 0;
  }
  if (own) mp_manager_free(m);
  return rc;
}
