/* SPDX-License-Identifier: MIT */
/* serve.c -- the server's threads that serve transports: one per shared-memory channel of a
 * heap-sharing client (and the attach thread that starts them), one per connection.  Each reads
 * a request, has dispatch.c run it and sends the reply, until its client leaves or the server
 * stops. */
#include <stdlib.h>
#include <string.h>

#include "manager/mgr_internal.h"
#include "manager/mgr_timeouts.h"
#include "os/wait.h"

/* The largest request accepted from a connection. */
#define SRV_MAX_MSG ((size_t)1 << 30)

/* ---- channels ---- */

typedef struct chan_srv {
  mgr_server *s;
  mgr_chan *c;
  int pidfd; /* the client process */
} chan_srv;

/* Whether the client has left (closed the channel or died). */
static bool chan_left(chan_srv *cs) {
  return atomic_load(&cs->c->closed) || mp__pidfd_ended(cs->pidfd);
}

/* For methods: whether to give up the call (the client left, or stopped waiting for it). */
static int chan_gone(void *arg) {
  chan_srv *cs = arg;
  return atomic_load(&cs->c->cancel) || chan_left(cs);
}

static int chan_check(void *arg) {
  chan_srv *cs = arg;
  if (mp__mgr_server_stopping(cs->s)) return MP_ECLOSED;
  return chan_left(cs) ? MP_EOF : 0;
}

/* A stop's wake-up for a channel's thread asleep on req_seq: its check then sees the stop.  The
 * word is not changed (that would read as a request), so a stop that lands between the check
 * and the sleep waits for the end of that sleep's slice. */
static void chan_kick(void *arg) {
  mgr_chan *c = arg;
  mp__futex_wake(&c->req_seq, INT32_MAX);
}

static void chan_serve(mgr_server *s, void *arg) {
  chan_srv *cs = arg;
  mgr_chan *c = cs->c;
  mgr_session *sess = NULL;
  uint32_t seen = 0;
  int64_t spin = MGR_SRV_CHAN_SPIN_NS;
  mp__tsan_acquire(c); /* the block may have served another client's channel before */
  mgr_waker waker = {.wake = chan_kick, .arg = c};
  mp__mgr_server_waker_add(s, &waker);
  for (;;) {
    int64_t t0 = mp__now_ns();
    if (mp__mgr_chan_wait(false, &c->req_seq, &c->srv_sleep, seen, spin, mp__deadline_in(MP_FOREVER),
                          chan_check, cs) != 0)
      break;
    spin = mp__mgr_spin_next(spin, mp__now_ns() - t0, MGR_SRV_CHAN_SPIN_NS);
    seen = atomic_load_explicit(&c->req_seq, memory_order_acquire);
    if (atomic_load(&c->closed)) break;
    size_t len;
    const void *msg = mp__mgr_chan_msg(c, &len);
    void *rep = NULL;
    size_t replen = 0;
    int rc = mp__mgr_handle(s, &sess, msg, len, chan_gone, cs, &rep, &replen);
    mp__mgr_chan_release(c);
    if (rc == 0) rc = mp__mgr_chan_put(c, rep, replen);
    free(rep);
    if (rc != 0) {
      /* Not even the reply fits in memory: answer with a bare header. */
      unsigned char hdr[MGR_REP_HDR] = {MGR_ERR};
      int32_t code = (int32_t)rc;
      memcpy(hdr + 4, &code, 4);
      mp__mgr_chan_put(c, hdr, sizeof hdr);
    }
    mp__mgr_chan_post(&c->rep_seq, &c->cli_sleep, seen);
  }
  mp__mgr_server_waker_remove(s, &waker);
  mp__mgr_session_detach(s, sess);
  mp__tsan_release(c);
  if (mp__pidfd_ended(cs->pidfd)) {
    mp__mgr_chan_free(c); /* its client is dead: nobody else will */
  } else {
    atomic_store(&c->srv_done, 1);
  }
  mp__close(cs->pidfd);
  free(cs);
}

/* Takes the channels queued by clients and gives each a thread. */
static void attach_pending(mgr_server *s) {
  mgr_shared *sh = s->sh;
  if (mp__olock_acquire(&sh->lock, MP_FOREVER) == MP_EOWNERDEAD) mp__olock_consistent(&sh->lock);
  mgr_chan *list = sh->pending;
  sh->pending = NULL;
  mp__olock_release(&sh->lock);
  while (list != NULL) {
    mgr_chan *c = list;
    list = c->next;
    c->next = NULL;
    chan_srv *cs = malloc(sizeof *cs);
    int fd = mp__pidfd_open(c->client_pid);
    if (cs != NULL && fd >= 0) {
      *cs = (chan_srv){s, c, fd};
      if (mp__mgr_server_spawn(s, chan_serve, cs) == 0) continue;
    }
    /* The client died before we saw it (nobody will use the channel: free it), or we are out
     * of resources (srv_done tells the waiting client that no thread will answer). */
    mp__close(fd);
    free(cs);
    if (fd < 0)
      mp__mgr_chan_free(c);
    else
      atomic_store(&c->srv_done, 1);
  }
}

static void attach_loop(mgr_server *s, void *arg) {
  (void)arg;
  mgr_shared *sh = s->sh;
  /* A client bumps attach_seq after it queued its channel, and a stop bumps it too, so the
   * wait needs no short time-out: mp__wait's growing slices only cover a client that died
   * between queueing and waking. */
  while (!mp__mgr_server_stopping(s)) {
    mp__waiter w = {.word = &sh->attach_seq,
                    .old = atomic_load(&sh->attach_seq),
                    .check = mp__mgr_stop_check,
                    .arg = s};
    attach_pending(s);
    (void)mp__wait(&w, mp__deadline_in(MP_FOREVER));
  }
  attach_pending(s); /* channels queued at the very end get a thread that stops at once */
}

int mp__mgr_serve_attach_start(mgr_server *s) {
  return s->sh != NULL ? mp__mgr_server_spawn(s, attach_loop, NULL) : 0;
}

/* ---- connections ---- */

typedef struct conn_srv {
  mgr_server *s;
  mp_conn *conn;
} conn_srv;

/* For methods: whether to give up the call.  The client sends nothing while it waits for the
 * reply, so anything to read -- buffered or not -- is its MGR_OP_CANCEL. */
static int conn_gone(void *arg) {
  conn_srv *cs = arg;
  return mp_conn_poll(cs->conn, 0) != 0 || mp__mgr_conn_hung_up(cs->conn);
}

static void conn_serve(mgr_server *s, void *arg) {
  conn_srv *cs = arg;
  mgr_session *sess = NULL;
  while (!mp__mgr_server_stopping(s)) {
    void *buf;
    size_t len;
    /* Wait here first, not in the receive: see call_conn() in client.c.  Until a frame comes
     * or the server stops (wake_fd). */
    int rc = mp__mgr_conn_wait(cs->conn, MGR_CONN_SPIN_NS, s->wake_fd, MP_FOREVER);
    if (rc == 0) continue;
    if (rc == 1)
      rc = mp__mgr_frame_recv(cs->conn, SRV_MAX_MSG, mp__deadline_in(MGR_FRAME_STALL_MS), &buf,
                              &len);
    if (rc == MP_ETIMEDOUT) continue;
    if (rc != 0) break;
    void *rep = NULL;
    size_t replen = 0;
    rc = mp__mgr_handle(s, &sess, buf, len, conn_gone, cs, &rep, &replen);
    free(buf);
    if (rc == 0) rc = mp__mgr_frame_send(cs->conn, rep, replen, MGR_REPLY_SEND_MS);
    free(rep);
    if (rc != 0) break;
  }
  mp__mgr_session_detach(s, sess);
  mp_conn_free(cs->conn);
  free(cs);
  atomic_fetch_sub(&s->nconns, 1);
}

int mp__mgr_server_add_conn(mgr_server *s, mp_conn *conn) {
  conn_srv *cs = malloc(sizeof *cs);
  if (cs == NULL) {
    mp_conn_free(conn);
    return -ENOMEM;
  }
  cs->s = s;
  cs->conn = conn;
  atomic_fetch_add(&s->nconns, 1);
  int rc = mp__mgr_server_spawn(s, conn_serve, cs);
  if (rc != 0) {
    atomic_fetch_sub(&s->nconns, 1);
    mp_conn_free(conn);
    free(cs);
  }
  return rc;
}
