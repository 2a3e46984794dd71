/* SPDX-License-Identifier: MIT */
/* listen.c -- the server's listener for processes that do not share its heap: one accepting
 * thread runs the clients' handshakes side by side (mp_listener_accept) and hands each
 * authenticated connection to a serving thread of its own, up to the connection limit; and the
 * client's side, which dials the address with the auth key. */
#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "manager/mgr_internal.h"

#define DEFAULT_MAX_CONNECTIONS 256

int mp_manager_set_listen_opts(mp_manager *m, const mp_manager_listen_opts *opts) {
  if (m == NULL) return -EINVAL;
  mp_manager_listen_opts o = opts ? *opts : (mp_manager_listen_opts){0};
  if (o.max_pending < 0 || o.max_pending > MP_LISTENER_PENDING_MAX || o.max_connections < 0)
    return -EINVAL;
  if (m->role != MGR_NEW) return MP_ESTATE;
  m->listen = o;
  return 0;
}

/* How long the accepting thread sleeps at most with nothing to do: long, since a stop wakes it
 * through listen_wake; it only lets the listener drop handshakes past their timeout (which no
 * fd event announces) within about this much after it. */
#define ACCEPT_LOOK_MS 1000

static void accept_loop(mgr_server *s, void *arg) {
  mp_listener *l = arg;
  int max_conns = s->m->listen.max_connections;
  if (max_conns == 0) max_conns = DEFAULT_MAX_CONNECTIONS;
  while (!mp__mgr_server_stopping(s)) {
    mp_wait_item it[2] = {{.kind = MP_WAIT_FD, .u.fd = mp_listener_fileno(l)},
                          {.kind = MP_WAIT_FD, .u.fd = s->listen_wake}};
    int n = mp_wait(it, s->listen_wake >= 0 ? 2 : 1, ACCEPT_LOOK_MS);
    if (mp__mgr_server_stopping(s)) break;
    mp_conn *c;
    int rc = n < 0 ? n : mp_listener_accept(l, &c, 0);
    if (rc == 0 && atomic_load(&s->nconns) >= max_conns) {
      /* Each connection costs a thread: past the limit even a client with the key waits for
       * another to leave. */
      mp__log(MP_LOG_WARNING, "manager: %d connections served, one more refused", max_conns);
      mp_conn_free(c);
    } else if (rc == 0) {
      (void)mp__mgr_server_add_conn(s, c);
    } else if (rc != MP_ETIMEDOUT && rc != MP_EAUTH && rc != MP_EOF && rc != -ECONNABORTED) {
      mp__log(MP_LOG_WARNING, "manager: accept failed: %s", mp_strerror(rc));
      struct timespec ts = {0, 20000000}; /* e.g. out of fds: do not spin */
      nanosleep(&ts, NULL);
    }
  }
}

void mp__mgr_listen_wake(mgr_server *s) {
  if (s->listen_wake >= 0) (void)!write(s->listen_wake, &(uint64_t){1}, sizeof(uint64_t));
}

int mp__mgr_listen_start(mgr_server *s) {
  mp_manager *m = s->m;
  mp_listener *l;
  mp_listener_opts o = {.authkey = m->authkey, .authkey_len = m->authkey_len,
                        .handshake_timeout = m->listen.handshake_timeout,
                        .max_pending = m->listen.max_pending};
  int rc = mp_listener_new(&l, m->has_address ? m->address : NULL, &o);
  if (rc != 0) return rc;
  const char *addr = mp_listener_address(l);
  if (strlen(addr) >= sizeof m->address) {
    mp_listener_free(l);
    return -ENAMETOOLONG;
  }
  strcpy(m->address, addr);
  m->has_address = true;
  if (s->sh != NULL) strcpy(s->sh->address, addr);
  s->listener = l;
  s->listen_wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (s->listen_wake < 0) rc = -errno;
  if (rc == 0) rc = mp__mgr_server_spawn(s, accept_loop, l);
  if (rc != 0) mp__mgr_listen_stop(s);
  return rc;
}

void mp__mgr_listen_stop(mgr_server *s) {
  mp_listener_free(s->listener);
  s->listener = NULL;
  if (s->listen_wake >= 0) close(s->listen_wake);
  s->listen_wake = -1;
}

int mp__mgr_dial(mp_manager *m, mp_conn **out, mp_timeout_ms timeout) {
  *out = NULL;
  if (!m->has_address) return MP_ESTATE;
  return mp_client(out, m->address, m->authkey, m->authkey_len, timeout);
}
