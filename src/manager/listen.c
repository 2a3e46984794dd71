/* SPDX-License-Identifier: MIT */
/* listen.c -- the server's listener for processes that do not share its heap: one accepting
 * thread runs the clients' handshakes side by side (mp_listener_accept) and hands each
 * authenticated connection to a serving thread of its own (serve.c), up to the connection
 * limit.  The client's side of a connection is transport.c. */
#include <string.h>
#include <time.h>

#include "manager/mgr_internal.h"
#include "manager/mgr_timeouts.h"

#define DEFAULT_MAX_CONNECTIONS 256

static void accept_loop(mgr_server *s, void *arg) {
  mp_listener *l = arg;
  int max_conns = s->m->listen.max_connections;
  if (max_conns == 0) max_conns = DEFAULT_MAX_CONNECTIONS;
  while (!mp__mgr_server_stopping(s)) {
    mp_wait_item it[2] = {{.kind = MP_WAIT_FD, .u.fd = mp_listener_fileno(l)},
                          {.kind = MP_WAIT_FD, .u.fd = s->wake_fd}};
    int n = mp_wait(it, 2, MGR_ACCEPT_LOOK_MS);
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
      struct timespec ts = {0, MGR_ACCEPT_BACKOFF_MS * 1000000L}; /* e.g. out of fds */
      nanosleep(&ts, NULL);
    }
  }
}

int mp__mgr_listen_start(mgr_server *s) {
  mp_manager *m = s->m;
  mp_listener *l;
  mp_listener_opts o = {.authkey = m->authkey,
                        .authkey_len = m->authkey_len,
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
  rc = mp__mgr_server_spawn(s, accept_loop, l);
  if (rc != 0) mp__mgr_listen_stop(s);
  return rc;
}

void mp__mgr_listen_stop(mgr_server *s) {
  mp_listener_free(s->listener);
  s->listener = NULL;
}
