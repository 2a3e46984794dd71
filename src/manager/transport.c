/* SPDX-License-Identifier: MIT */
/* transport.c -- a manager connection, for both of its ends: dialing the server's address with
 * the auth key, waiting for the next frame (a short yielding look, then a sleep that a stop can
 * cut short), sending and receiving one frame, and telling that the peer hung up. */
#include <poll.h>
#include <sched.h>

#include "manager/mgr_internal.h"

int mp__mgr_dial(mp_manager *m, mp_conn **out, mp_timeout_ms timeout) {
  *out = NULL;
  if (!m->has_address) return MP_ESTATE;
  return mp_client(out, m->address,
                   &(mp_client_opts){.authkey = m->authkey, .authkey_len = m->authkey_len},
                   timeout);
}

int mp__mgr_conn_wait(mp_conn *c, int64_t spin_ns, int wake_fd, mp_timeout_ms timeout) {
  int64_t until = spin_ns > 0 ? mp__now_ns() + spin_ns : 0;
  for (;;) {
    int rc = mp_conn_poll(c, 0);
    if (rc != 0 || timeout == 0) return rc;
    if (spin_ns <= 0 || mp__now_ns() >= until) break;
    sched_yield();
  }
  if (wake_fd < 0) return mp_conn_poll(c, timeout);
  /* The connection first: when both are ready the frame is served before the stop is seen. */
  mp_wait_item it[2] = {{.kind = MP_WAIT_CONN, .u.conn = c}, {.kind = MP_WAIT_FD, .u.fd = wake_fd}};
  int n = mp_wait(it, 2, timeout);
  if (n <= 0) return n;
  return it[0].ready ? 1 : 0;
}

/* What a broken connection's error says to a manager's caller: the peer is gone. */
static int broken(int rc) {
  return rc == MP_EOF || rc == -EPIPE || rc == -ECONNRESET ? MP_EBROKEN : rc;
}

int mp__mgr_frame_send(mp_conn *c, const void *msg, size_t len, mp_timeout_ms timeout) {
  return broken(mp_conn_send_bytes(c, msg, 0, len, timeout));
}

int mp__mgr_frame_recv(mp_conn *c, size_t max, mp__deadline d, void **msg, size_t *len) {
  mp_timeout_ms left = mp__deadline_forever(d) ? MP_FOREVER : mp__deadline_poll_ms(d);
  return broken(mp_conn_recv_bytes(c, msg, len, max, left));
}

bool mp__mgr_conn_hung_up(mp_conn *c) {
  struct pollfd p = {.fd = mp_conn_fileno(c), .events = POLLRDHUP};
  return poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}
