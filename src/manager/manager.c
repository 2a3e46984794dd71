/* SPDX-License-Identifier: MIT */
/* manager.c -- the manager handle: options, listener limits and registered types, serving in
 * this process, connecting by address, shutdown and free (launch.c starts a server child). */
#include <stdlib.h>
#include <string.h>

#include "heap/heap.h"
#include "manager/mgr_internal.h"
#include "manager/mgr_timeouts.h"
#include "start/start_internal.h"

int mp_manager_new(mp_manager **out, const mp_manager_opts *opts) {
  if (out == NULL) return -EINVAL;
  *out = NULL;
  mp_manager_opts o = opts ? *opts : (mp_manager_opts){0};
  if (o.address != NULL &&
      (o.address[0] == '\0' || strlen(o.address) >= sizeof(((mp_manager *)0)->address)))
    return -EINVAL;
  if (o.authkey_len > MP_MANAGER_AUTHKEY_MAX || (o.authkey == NULL && o.authkey_len != 0))
    return -EINVAL;
  mp_manager *m = calloc(1, sizeof *m);
  if (m == NULL) return -ENOMEM;
  m->owner_pid = mp__self_pid();
  m->method = mp__start_method_resolve(o.start_method);
  if (m->method < 0) {
    free(m);
    return -EINVAL;
  }
  if (o.address != NULL) {
    strcpy(m->address, o.address);
    m->has_address = true;
  }
  if (o.authkey != NULL) {
    memcpy(m->authkey, o.authkey, o.authkey_len);
    m->authkey_len = o.authkey_len;
  } else {
    (void)mp__random_bytes(m->authkey, 32);
    m->authkey_len = 32;
  }
  *out = m;
  return 0;
}

int mp_manager_register(mp_manager *m, const mp_manager_type *type) {
  if (m == NULL || type == NULL || type->type_id == NULL) return -EINVAL;
  size_t n = strlen(type->type_id);
  if (n == 0 || n >= MP_MANAGER_TYPEID_MAX) return -EINVAL;
  if ((type->create != NULL) + (type->callable != NULL) + (type->shares != NULL) != 1)
    return -EINVAL;
  if (type->shares != NULL && strcmp(type->shares, type->type_id) == 0) return -EINVAL;
  for (size_t i = 0; i < type->nmethods; i++)
    if (type->methods == NULL || type->methods[i].name == NULL || type->methods[i].fn == NULL)
      return -EINVAL;
  if (m->role != MGR_NEW) return MP_ESTATE;
  if (mp__mgr_builtin_name(type->type_id)) return -EEXIST;
  for (size_t i = 0; i < m->ntypes; i++)
    if (strcmp(m->types[i].name, type->type_id) == 0) return -EEXIST;
  mp_manager_type *copy = malloc(sizeof *copy);
  mgr_type *nt = realloc(m->types, (m->ntypes + 1) * sizeof *nt);
  if (copy == NULL || nt == NULL) {
    free(copy);
    if (nt != NULL) m->types = nt;
    return -ENOMEM;
  }
  *copy = *type;
  m->types = nt;
  memset(&nt[m->ntypes], 0, sizeof nt[0]);
  memcpy(nt[m->ntypes].name, type->type_id, n + 1);
  nt[m->ntypes].custom = copy;
  m->ntypes++;
  return 0;
}

int mp_manager_set_listen_opts(mp_manager *m, const mp_manager_listen_opts *opts) {
  if (m == NULL) return -EINVAL;
  mp_manager_listen_opts o = opts ? *opts : (mp_manager_listen_opts){0};
  if (o.max_pending < 0 || o.max_pending > MP_LISTENER_PENDING_MAX || o.max_connections < 0)
    return -EINVAL;
  if (m->role != MGR_NEW) return MP_ESTATE;
  m->listen = o;
  return 0;
}

int mp_manager_get_server(mp_manager *m) {
  if (m == NULL) return -EINVAL;
  if (m->role != MGR_NEW) return MP_ESTATE;
  int rc = mp__mgr_shared_new(m);
  if (rc != 0) return rc;
  mgr_server *s;
  if ((rc = mp__mgr_server_new(&s, m)) != 0) {
    mp__mgr_shared_free(m);
    return rc;
  }
  if ((rc = mp__mgr_listen_start(s)) != 0) {
    mp__mgr_server_free(s);
    mp__mgr_shared_free(m);
    return rc;
  }
  atomic_store(&m->sh->server_pid, mp__self_pid());
  m->srv = s;
  m->role = MGR_SERVING;
  return 0;
}

int mp_manager_serve_forever(mp_manager *m) {
  if (m == NULL) return -EINVAL;
  if (m->role == MGR_NEW) {
    int rc = mp_manager_get_server(m);
    if (rc != 0) return rc;
  } else if (m->role != MGR_SERVING || m->srv == NULL || m->shut || m->serving) {
    return MP_ESTATE;
  }
  m->serving = true;
  m->serving_pid = mp__self_pid();
  mgr_server *s = m->srv;
  int rc = mp__mgr_server_run(s);
  /* Clients of this process that are still attached: their server has gone. */
  atomic_store(&m->sh->state, MGR_ST_STOPPED);
  mp__futex_wake(&m->sh->state, INT32_MAX);
  mp__mgr_objects_free_all(s);
  /* The session, the shared state and the stopped server itself stay until mp_manager_free:
   * another thread of this process may still be inside a call or a shutdown on this handle
   * (it sees the stopped state and fails with MP_ECLOSED, or returns). */
  m->shut = true;
  return rc;
}

int mp_manager_connect(mp_manager *m, mp_timeout_ms timeout) {
  if (m == NULL) return -EINVAL;
  if (m->role != MGR_NEW) return MP_ESTATE;
  if (!m->has_address) return -EINVAL;
  m->role = MGR_CONNECTED;
  /* Open the first transport now, so a wrong key or a missing server shows here. */
  int rc = mp__mgr_request(m, &(mgr_request){.op = MGR_OP_NOBJECTS, .timeout = timeout}, NULL);
  if (rc != 0) {
    mp__mgr_client_close(m);
    m->role = MGR_NEW;
  }
  return rc;
}

int mp_manager_shutdown(mp_manager *m) {
  if (m == NULL) return -EINVAL;
  if (m->role == MGR_NEW) return MP_ESTATE;
  if (m->shut) return 0;
  if (m->role == MGR_SERVING && m->srv != NULL && m->owner_pid == mp__self_pid()) {
    mp__mgr_server_stop(m->srv);
    return 0;
  }
  if (m->role == MGR_STARTED && m->owner_pid == mp__self_pid()) {
    /* A server that ended before it was asked to stop, or that did not stop cleanly, was
     * killed or crashed: the clean-up is the same, but the caller is told (MP_EBROKEN). */
    bool broken = !mp_process_is_alive(m->server);
    uint32_t st = MGR_ST_RUNNING;
    atomic_compare_exchange_strong(&m->sh->state, &st, MGR_ST_STOPPING);
    mp__futex_wake(&m->sh->state, INT32_MAX);
    if (mp_process_join(m->server, MGR_SHUTDOWN_JOIN_MS) != 0) {
      mp_process_kill(m->server);
      mp_process_join(m->server, MP_FOREVER);
    } else {
      int code = 0;
      if (mp_process_exitcode(m->server, &code) == 0 && code != 0) broken = true;
    }
    mp_process_free(m->server);
    m->server = NULL;
    atomic_store(&m->sh->state, MGR_ST_STOPPED);
    mp__mgr_client_close(m);
    mp__mgr_shared_free(m);
    m->shut = true;
    return broken ? MP_EBROKEN : 0;
  }
  /* A client (connected, or a child of the starter): ask the server. */
  int rc = mp__mgr_request(m, &(mgr_request){.op = MGR_OP_SHUTDOWN, .timeout = MGR_CLEANUP_CALL_MS},
                           NULL);
  return rc == MP_ECLOSED ? 0 : rc;
}

void mp_manager_free(mp_manager *m) {
  if (m == NULL) return;
  if (m->role == MGR_SERVING && !m->serving && m->srv != NULL && m->owner_pid == mp__self_pid()) {
    /* get_server() without serve_forever(): stop the listener it started */
    mp__mgr_server_stop(m->srv);
    (void)mp__mgr_server_run(m->srv);
    mp__mgr_server_free(m->srv);
    m->srv = NULL;
    mp__mgr_shared_free(m);
  }
  if (m->role == MGR_STARTED && m->owner_pid == mp__self_pid() && !m->shut) mp_manager_shutdown(m);
  mp__mgr_client_close(m);
  if (m->role == MGR_SERVING && m->serving && m->serving_pid == mp__self_pid()) {
    /* serve_forever() returned: what it left for this */
    mp__mgr_server_free(m->srv);
    m->srv = NULL;
    mp__mgr_shared_free(m);
  }
  for (size_t i = 0; i < m->ntypes; i++) free((void *)(uintptr_t)m->types[i].custom);
  free(m->types);
  free(m);
}

const char *mp_manager_address(const mp_manager *m) {
  return m != NULL && m->has_address ? m->address : NULL;
}

int mp_manager_authkey(const mp_manager *m, const void **key, size_t *len) {
  if (m == NULL || key == NULL || len == NULL) return -EINVAL;
  *key = m->authkey;
  *len = m->authkey_len;
  return 0;
}

int mp_manager_number_of_objects(mp_manager *m, int64_t *out) {
  if (m == NULL || out == NULL) return -EINVAL;
  mgr_reply r;
  int rc = mp__mgr_request(m, &(mgr_request){.op = MGR_OP_NOBJECTS, .timeout = MP_FOREVER}, &r);
  if (rc == 0) {
    rc = mp_obj_get_int(r.result, out) == 0 ? 0 : MP_ECORRUPT;
    mp_obj_decref(r.result);
  }
  return rc;
}
