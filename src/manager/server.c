/* SPDX-License-Identifier: MIT */
/* server.c -- the manager's server: a thread per transport (a shared-memory channel of a
 * heap-sharing client, or a connection), a thread that attaches new channels, a thread that
 * accepts connections, and an orderly stop that joins them all and frees every object. */
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "heap/heap.h"
#include "manager/mgr_internal.h"

/* How long a channel's thread spins for the next request before it sleeps: a client calling in
 * a loop comes back within a few microseconds. */
#define SRV_SPIN_NS 100000
/* How long a connection's thread looks for the next request (yielding between looks)
 * before it sleeps in poll(); see CLI_CONN_SPIN_NS in client.c. */
#ifndef SRV_CONN_SPIN_NS
#define SRV_CONN_SPIN_NS 50000
#endif
/* The largest request accepted from a connection. */
#define SRV_MAX_MSG ((size_t)1 << 30)

static const mgr_type *const builtins[] = {
    &mp__mgr_type_dict,  &mp__mgr_type_list,          &mp__mgr_type_namespace, &mp__mgr_type_value,
    &mp__mgr_type_array, &mp__mgr_type_queue,         &mp__mgr_type_joinable_queue, &mp__mgr_type_lock,
    &mp__mgr_type_rlock, &mp__mgr_type_semaphore,     &mp__mgr_type_bounded_semaphore,
    &mp__mgr_type_condition, &mp__mgr_type_event,     &mp__mgr_type_barrier,
};

bool mp__mgr_builtin_name(const char *name) {
  for (size_t i = 0; i < MP__ARRAY_LEN(builtins); i++)
    if (strcmp(builtins[i]->name, name) == 0) return true;
  return false;
}

const mgr_type *mp__mgr_type_find(mgr_server *s, const char *name, size_t len) {
  for (size_t i = 0; i < MP__ARRAY_LEN(builtins); i++)
    if (strlen(builtins[i]->name) == len && memcmp(builtins[i]->name, name, len) == 0)
      return builtins[i];
  for (size_t i = 0; i < s->ncustom; i++)
    if (strlen(s->custom[i].name) == len && memcmp(s->custom[i].name, name, len) == 0)
      return &s->custom[i];
  return NULL;
}

bool mp__mgr_server_stopping(mgr_server *s) { return atomic_load(&s->stop); }

void mp__mgr_server_stop(mgr_server *s) {
  atomic_store(&s->stop, true);
  mp__mgr_listen_wake(s);
  atomic_fetch_add(&s->stopseq, 1);
  mp__futex_wake(&s->stopseq, INT32_MAX);
  if (s->sh != NULL) {
    uint32_t st = MGR_ST_RUNNING;
    atomic_compare_exchange_strong(&s->sh->state, &st, MGR_ST_STOPPING);
    mp__futex_wake(&s->sh->state, INT32_MAX);
  }
}

int mp__mgr_server_new(mgr_server **out, mp_manager *m) {
  mgr_server *s = calloc(1, sizeof *s);
  if (s == NULL) return -ENOMEM;
  s->m = m;
  s->sh = m->sh;
  s->listen_wake = -1;
  s->custom = m->types;
  s->ncustom = m->ntypes;
  pthread_mutex_init(&s->mu, NULL);
  pthread_mutex_init(&s->thr_mu, NULL);
  *out = s;
  return 0;
}

void mp__mgr_server_free(mgr_server *s) {
  if (s == NULL) return;
  mp__mgr_objects_free_all(s);
  pthread_mutex_destroy(&s->mu);
  pthread_mutex_destroy(&s->thr_mu);
  free(s);
}

/* ---- threads ---- */

static void reap_done_locked(mgr_server *s) {
  mgr_thread **pp = &s->threads;
  while (*pp != NULL) {
    mgr_thread *t = *pp;
    if (atomic_load(&t->done)) {
      pthread_join(t->tid, NULL);
      *pp = t->next;
      free(t);
    } else {
      pp = &t->next;
    }
  }
}

typedef struct thr_start {
  mgr_server *s;
  mgr_thread *t;
  void (*fn)(mgr_server *, void *);
  void *arg;
} thr_start;

static void *thr_main(void *p) {
  thr_start st = *(thr_start *)p;
  free(p);
  st.fn(st.s, st.arg);
  atomic_store(&st.t->done, true);
  return NULL;
}

int mp__mgr_server_spawn(mgr_server *s, void (*fn)(mgr_server *, void *), void *arg) {
  mgr_thread *t = calloc(1, sizeof *t);
  thr_start *st = malloc(sizeof *st);
  if (t == NULL || st == NULL) {
    free(t);
    free(st);
    return -ENOMEM;
  }
  *st = (thr_start){s, t, fn, arg};
  pthread_mutex_lock(&s->thr_mu);
  reap_done_locked(s);
  int rc = pthread_create(&t->tid, NULL, thr_main, st);
  if (rc == 0) {
    t->next = s->threads;
    s->threads = t;
  }
  pthread_mutex_unlock(&s->thr_mu);
  if (rc != 0) {
    free(t);
    free(st);
    return -rc;
  }
  return 0;
}

static void join_all(mgr_server *s) {
  pthread_mutex_lock(&s->thr_mu);
  while (s->threads != NULL) {
    mgr_thread *t = s->threads;
    s->threads = t->next;
    pthread_mutex_unlock(&s->thr_mu);
    pthread_join(t->tid, NULL);
    free(t);
    pthread_mutex_lock(&s->thr_mu);
  }
  pthread_mutex_unlock(&s->thr_mu);
}

/* ---- channels ---- */

typedef struct chan_srv {
  mgr_server *s;
  mgr_chan *c;
  int pidfd; /* the client process */
} chan_srv;

/* Whether the client has left (closed the channel or died). */
static bool chan_left(chan_srv *cs) {
  return atomic_load(&cs->c->closed) || mp__mgr_pidfd_ended(cs->pidfd);
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

static void chan_serve(mgr_server *s, void *arg) {
  chan_srv *cs = arg;
  mgr_chan *c = cs->c;
  mgr_session *sess = NULL;
  uint32_t seen = 0;
  int64_t spin = SRV_SPIN_NS;
  for (;;) {
    int64_t t0 = mp__now_ns();
    if (mp__mgr_chan_wait(&c->req_seq, &c->srv_sleep, seen, spin, mp__deadline_in(MP_FOREVER),
                          chan_check, cs) != 0)
      break;
    spin = mp__mgr_spin_next(spin, mp__now_ns() - t0, SRV_SPIN_NS);
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
  mp__mgr_session_detach(s, sess);
  if (mp__mgr_pidfd_ended(cs->pidfd)) {
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
    if (fd < 0) mp__mgr_chan_free(c);
    else atomic_store(&c->srv_done, 1);
  }
}

static void attach_loop(mgr_server *s, void *arg) {
  (void)arg;
  mgr_shared *sh = s->sh;
  while (!mp__mgr_server_stopping(s)) {
    uint32_t seq = atomic_load(&sh->attach_seq);
    attach_pending(s);
    mp__futex_wait(&sh->attach_seq, seq, mp__deadline_in(100));
  }
  attach_pending(s); /* channels queued at the very end get a thread that stops at once */
}

/* ---- connections ---- */

typedef struct conn_srv {
  mgr_server *s;
  mp_conn *conn;
} conn_srv;

static int conn_gone(void *arg) {
  conn_srv *cs = arg;
  struct pollfd p = {.fd = mp_conn_fileno(cs->conn), .events = POLLRDHUP};
  return poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

static void conn_serve(mgr_server *s, void *arg) {
  conn_srv *cs = arg;
  mgr_session *sess = NULL;
  while (!mp__mgr_server_stopping(s)) {
    void *buf;
    size_t len;
    /* Wait here first, not in the receive: see call_conn() in client.c. */
    int rc = mp__mgr_conn_wait(cs->conn, SRV_CONN_SPIN_NS, 100);
    if (rc == 0) continue;
    if (rc == 1) rc = mp_conn_recv_bytes(cs->conn, &buf, &len, SRV_MAX_MSG, 1000);
    if (rc == MP_ETIMEDOUT) continue;
    if (rc != 0) break;
    void *rep = NULL;
    size_t replen = 0;
    rc = mp__mgr_handle(s, &sess, buf, len, conn_gone, cs, &rep, &replen);
    free(buf);
    if (rc == 0) rc = mp_conn_send_bytes(cs->conn, rep, 0, replen, 10000);
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

/* ---- running ---- */

int mp__mgr_server_run(mgr_server *s) {
  int rc = 0;
  if (s->sh != NULL) rc = mp__mgr_server_spawn(s, attach_loop, NULL);
  if (rc == 0 && s->listener == NULL) rc = mp__mgr_listen_start(s);
  if (s->sh != NULL) {
    if (rc != 0) s->sh->start_err = rc;
    atomic_store(&s->sh->server_pid, mp__self_pid());
    atomic_store(&s->sh->state, rc == 0 ? MGR_ST_RUNNING : MGR_ST_STOPPED);
    mp__futex_wake(&s->sh->state, INT32_MAX);
  }
  /* Every stop changes the word and wakes it (mp_manager_shutdown, mp__mgr_server_stop), so
   * the sleeps need no short time-out: slices that grow as the server idles (olock.h) only
   * cover a waker that died between the change and its wake-up. */
  for (unsigned slept = 0; rc == 0 && !mp__mgr_server_stopping(s); slept++) {
    mp__deadline next = mp__slice_after(mp__deadline_in(MP_FOREVER), slept);
    if (s->sh != NULL) {
      if (atomic_load(&s->sh->state) != MGR_ST_RUNNING) break;
      mp__futex_wait(&s->sh->state, MGR_ST_RUNNING, next);
    } else {
      uint32_t seq = atomic_load(&s->stopseq);
      if (!mp__mgr_server_stopping(s)) mp__futex_wait(&s->stopseq, seq, next);
    }
  }
  /* A stop through the shared state word (mp_manager_shutdown from the starter) did not wake
   * the accepting thread: wake it here, or joining it waits out its ACCEPT_LOOK_MS sleep. */
  atomic_store(&s->stop, true);
  mp__mgr_listen_wake(s);
  join_all(s);
  mp__mgr_listen_stop(s);
  return rc;
}
