/* SPDX-License-Identifier: MIT */
/* client.c -- a process's side of a manager: its session (a random key the server files its
 * references under), a pool of transports (one per call in flight: a shared-memory channel
 * when the process shares the server's heap, else a connection), and one request/reply. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "heap/heap.h"
#include "manager/mgr_internal.h"
#include "manager/mgr_timeouts.h"

static _Thread_local char errmsg[256];

const char *mp_manager_errmsg(void) { return errmsg; }

/* Records the calling thread's last error message. */
static void set_errmsg(const char *msg, size_t len) {
  if (len >= sizeof errmsg) len = sizeof errmsg - 1;
  memcpy(errmsg, msg, len);
  errmsg[len] = '\0';
}

static int fail(int rc) {
  const char *t = mp_strerror(rc);
  set_errmsg(t, strlen(t));
  return rc;
}

/* ---- session and transports ---- */

/* Every session of this process, so that an exit closes them: the server then drops the
 * process's references at once, as Python's proxies' finalizers do at exit. */
static pthread_mutex_t all_mu = PTHREAD_MUTEX_INITIALIZER;
static mgr_client *all_head;
static pthread_once_t all_once = PTHREAD_ONCE_INIT;

static void all_after_fork(void) {
  /* the parent's sessions are not ours; another thread may have held the lock at fork */
  pthread_mutex_init(&all_mu, NULL);
  all_head = NULL;
}

static void transport_close(mp_manager *m, mgr_client *cl, mgr_transport *t);

static void close_all_at_exit(void) {
  pthread_mutex_lock(&all_mu);
  for (mgr_client *cl = all_head; cl != NULL; cl = cl->all_next) {
    pthread_mutex_lock(&cl->mu);
    mgr_transport *list = cl->list;
    cl->list = NULL;
    pthread_mutex_unlock(&cl->mu);
    for (mgr_transport *t = list, *n; t != NULL; t = n) {
      n = t->next;
      if (t->busy) continue; /* another thread is inside a call: leave it */
      transport_close(cl->m, cl, t);
    }
  }
  pthread_mutex_unlock(&all_mu);
}

static void all_init(void) {
  pthread_atfork(NULL, NULL, all_after_fork);
  mp__on_exit(close_all_at_exit);
}

static void all_add(mgr_client *cl) {
  pthread_once(&all_once, all_init);
  pthread_mutex_lock(&all_mu);
  cl->all_next = all_head;
  all_head = cl;
  pthread_mutex_unlock(&all_mu);
}

static void all_remove(mgr_client *cl) {
  pthread_mutex_lock(&all_mu);
  for (mgr_client **pp = &all_head; *pp != NULL; pp = &(*pp)->all_next)
    if (*pp == cl) {
      *pp = cl->all_next;
      break;
    }
  pthread_mutex_unlock(&all_mu);
}

static void transport_close(mp_manager *m, mgr_client *cl, mgr_transport *t) {
  if (t->conn != NULL) {
    mp_conn_free(t->conn);
  } else if (t->chan != NULL) {
    mgr_chan *c = t->chan;
    bool server_gone = mp__pidfd_ended(cl->server_pidfd) || m->sh == NULL ||
                       atomic_load(&m->sh->state) == MGR_ST_STOPPED;
    if (!server_gone && !atomic_load(&c->srv_done)) {
      /* Tell the server thread to let go, and wait (boundedly) until it has. */
      atomic_store(&c->closed, 1);
      mp__mgr_chan_post(&c->req_seq, &c->srv_sleep, atomic_load(&c->req_seq) + 1);
      mp__deadline d = mp__deadline_in(MGR_CHAN_CLOSE_WAIT_MS);
      while (!atomic_load(&c->srv_done) && !mp__pidfd_ended(cl->server_pidfd) &&
             !mp__deadline_passed(d)) {
        struct timespec ts = {0, MGR_CHAN_CLOSE_LOOK_US * 1000};
        nanosleep(&ts, NULL);
      }
      server_gone = mp__pidfd_ended(cl->server_pidfd);
    }
    /* A server thread that never let go keeps the channel (a small leak, never a crash). */
    if (server_gone || atomic_load(&c->srv_done)) mp__mgr_chan_free(c);
  }
  free(t);
}

/* Forgets the transports of a session inherited through fork: the channels belong to the
 * parent (left alone); our copies of its fds are closed. */
static void drop_inherited_transports(mgr_client *cl) {
  for (mgr_transport *t = cl->list, *n; t != NULL; t = n) {
    n = t->next;
    if (t->conn != NULL) mp_conn_free(t->conn);
    free(t);
  }
  cl->list = NULL;
  mp__close(cl->server_pidfd);
  cl->server_pidfd = -1;
}

static void drop_inherited(mgr_client *cl) {
  drop_inherited_transports(cl);
  free(cl);
}

static mgr_client *client_get(mp_manager *m) {
  pid_t me = mp__self_pid();
  mgr_client *cl = atomic_load(&m->client);
  if (mp__likely(cl != NULL && cl->pid == me)) return cl;
  mgr_client *n = calloc(1, sizeof *n);
  if (n == NULL) return NULL;
  n->pid = me;
  n->m = m;
  n->server_pidfd = -1;
  (void)mp__random_bytes(&n->key, sizeof n->key);
  pthread_mutex_init(&n->mu, NULL);
  if (!atomic_compare_exchange_strong(&m->client, &cl, n)) {
    /* another thread of this process made one first */
    mp__close(n->server_pidfd);
    pthread_mutex_destroy(&n->mu);
    free(n);
    return atomic_load(&m->client);
  }
  if (cl != NULL) {
    /* Other threads of this process may still be reading the inherited session's pid (above):
     * its fds go now, its memory with mp__mgr_client_close. */
    drop_inherited_transports(cl);
    cl->all_next = m->retired;
    m->retired = cl;
  }
  all_add(n);
  return n;
}

void mp__mgr_client_close(mp_manager *m) {
  for (mgr_client *r = m->retired, *next; r != NULL; r = next) {
    next = r->all_next;
    free(r);
  }
  m->retired = NULL;
  mgr_client *cl = atomic_load(&m->client);
  if (cl == NULL) return;
  atomic_store(&m->client, NULL);
  if (cl->pid != mp__self_pid()) {
    drop_inherited(cl);
    return;
  }
  all_remove(cl);
  for (mgr_transport *t = cl->list, *n; t != NULL; t = n) {
    n = t->next;
    transport_close(m, cl, t);
  }
  mp__close(cl->server_pidfd);
  pthread_mutex_destroy(&cl->mu);
  free(cl);
}

static int transport_new(mp_manager *m, mgr_client *cl, mgr_transport **out,
                         mp_timeout_ms timeout) {
  mgr_transport *t = calloc(1, sizeof *t);
  if (t == NULL) return -ENOMEM;
  if (m->sh != NULL) {
    /* Watch the server through a pidfd (opened once it is known), so that a call never waits
     * on a server that died. */
    pid_t sp = atomic_load(&m->sh->server_pid);
    if (cl->server_pidfd < 0 && sp > 0) cl->server_pidfd = mp__pidfd_open(sp);
    if (cl->server_pidfd < 0) {
      free(t);
      return sp > 0 ? MP_EBROKEN : MP_ESTATE;
    }
    t->spin_ns = MGR_CLI_CHAN_SPIN_NS;
    t->chan = mp__mgr_chan_new(cl->key);
    if (t->chan == NULL) {
      free(t);
      return -ENOMEM;
    }
    mgr_shared *sh = m->sh;
    if (mp__olock_acquire(&sh->lock, MP_FOREVER) == MP_EOWNERDEAD) mp__olock_consistent(&sh->lock);
    t->chan->next = sh->pending;
    sh->pending = t->chan;
    mp__olock_release(&sh->lock);
    atomic_fetch_add(&sh->attach_seq, 1);
    mp__futex_wake(&sh->attach_seq, INT32_MAX);
  } else {
    int rc = mp__mgr_dial(m, &t->conn, timeout);
    if (rc != 0) {
      free(t);
      return rc;
    }
  }
  *out = t;
  return 0;
}

static int transport_take(mp_manager *m, mgr_client *cl, mgr_transport **out,
                          mp_timeout_ms timeout) {
  pthread_mutex_lock(&cl->mu);
  mgr_transport *t = cl->list;
  while (t != NULL && (t->busy || t->broken)) t = t->next;
  int rc = 0;
  if (t == NULL && (rc = transport_new(m, cl, &t, timeout)) == 0) {
    t->next = cl->list;
    cl->list = t;
  }
  if (rc == 0) t->busy = true;
  pthread_mutex_unlock(&cl->mu);
  *out = t;
  return rc;
}

static void transport_give(mgr_client *cl, mgr_transport *t) {
  pthread_mutex_lock(&cl->mu);
  t->busy = false;
  pthread_mutex_unlock(&cl->mu);
}

typedef struct cli_wait {
  mp_manager *m;
  mgr_client *cl;
  mgr_chan *c;
} cli_wait;

static int cli_check(void *arg) {
  cli_wait *w = arg;
  if (atomic_load(&w->c->srv_done)) return MP_EBROKEN;
  if (atomic_load(&w->m->sh->state) == MGR_ST_STOPPED) return MP_ECLOSED;
  if (mp__pidfd_ended(w->cl->server_pidfd))
    return atomic_load(&w->m->sh->state) >= MGR_ST_STOPPING ? MP_ECLOSED : MP_EBROKEN;
  return 0;
}

static int call_chan(mp_manager *m, mgr_client *cl, mgr_transport *t, const void *req, size_t len,
                     void **rep, size_t *replen, mp_timeout_ms timeout) {
  mgr_chan *c = t->chan;
  int rc = mp__mgr_chan_put(c, req, len);
  if (rc != 0) return rc;
  uint32_t seq = atomic_load_explicit(&c->req_seq, memory_order_relaxed) + 1;
  mp__mgr_chan_post(&c->req_seq, &c->srv_sleep, seq);
  cli_wait w = {m, cl, c};
  int64_t t0 = mp__now_ns();
  rc = mp__mgr_chan_wait(true, &c->rep_seq, &c->cli_sleep, seq - 1, t->spin_ns,
                         mp__deadline_in(timeout), cli_check, &w);
  t->spin_ns = mp__mgr_spin_next(t->spin_ns, mp__now_ns() - t0, MGR_CLI_CHAN_SPIN_NS);
  if (rc != 0) {
    /* Its answer may still come: never reuse it.  cancel makes a method still blocked on the
     * server for it give up (mp_manager_cancelled() turns true); the channel itself stays
     * attached until the session closes, so the session keeps its references. */
    t->broken = true;
    atomic_store(&c->cancel, 1);
    return rc;
  }
  const void *msg = mp__mgr_chan_msg(c, replen);
  *rep = malloc(*replen ? *replen : 1);
  if (*rep != NULL) memcpy(*rep, msg, *replen);
  mp__mgr_chan_release(c);
  return *rep != NULL ? 0 : -ENOMEM;
}

/* Tells the server that the call on t was given up, so that a method still blocked for it (a
 * Queue.get) returns instead of taking what a later call puts.  Without waiting: a frame this
 * small fits in any socket buffer that is not full of our own requests. */
static void cancel_conn(mgr_transport *t, const mgr_req *r) {
  mgr_req cr = {.op = MGR_OP_CANCEL, .session = r->session, .caller = r->caller};
  void *req;
  size_t len;
  if (mp__mgr_req_build(&cr, NULL, &req, &len) != 0) return;
  (void)mp__mgr_frame_send(t->conn, req, len, 0);
  free(req);
}

static int call_conn(mgr_transport *t, const mgr_req *r, const void *req, size_t len, void **rep,
                     size_t *replen, mp_timeout_ms timeout) {
  mp__deadline d = mp__deadline_in(timeout);
  int rc = mp__mgr_frame_send(t->conn, req, len, timeout);
  if (rc == 0) {
    /* Wait here rather than in the connection's receive, whose spin does not yield: on a
     * busy machine that spin takes the CPU the server needs to answer. */
    mp_timeout_ms left = mp__deadline_forever(d) ? MP_FOREVER : mp__deadline_poll_ms(d);
    rc = mp__mgr_conn_wait(t->conn, MGR_CONN_SPIN_NS, -1, left);
    if (rc == 0) rc = MP_ETIMEDOUT;
    if (rc == 1) rc = mp__mgr_frame_recv(t->conn, 0, d, rep, replen);
    /* The reply may still come: the connection is never used again (its reply would be taken
     * for the next call's), and the server is told to give the call up. */
    if (rc != 0) cancel_conn(t, r);
  }
  if (rc != 0) t->broken = true;
  return rc;
}

/* Sends one request and waits for its reply (a malloc'd buffer the caller frees).
 * Errors: MP_ECLOSED, MP_EBROKEN, MP_ETIMEDOUT, -EINTR, -ENOMEM. */
static int call_now(mp_manager *m, const mgr_req *r, const mp_obj *args, void **rep,
                    size_t *replen, mp_timeout_ms timeout) {
  if (m->role == MGR_NEW) return MP_ESTATE;
  if (m->shut || (m->sh != NULL && atomic_load(&m->sh->state) >= MGR_ST_STOPPING))
    return MP_ECLOSED;
  mgr_client *cl = client_get(m);
  if (cl == NULL) return -ENOMEM;
  mgr_req rq = *r;
  rq.session = cl->key;
  rq.caller = mp__self();
  void *req;
  size_t len;
  int rc = mp__mgr_req_build(&rq, args, &req, &len);
  if (rc != 0) return rc;
  if (m->role == MGR_SERVING && m->srv != NULL && !m->serving && m->owner_pid == mp__self_pid()) {
    /* Between get_server() and serve_forever() nothing serves this process's channels yet (a
     * call through them would wait for ever): the server's table is here, so the request is
     * handled on it directly, as BaseManager's server-side objects are made before serving. */
    rc = mp__mgr_handle(m->srv, &m->direct_sess, req, len, NULL, NULL, rep, replen);
    free(req);
    return rc;
  }
  mgr_transport *t;
  rc = transport_take(m, cl, &t, timeout);
  if (rc == 0) {
    rc = t->chan != NULL ? call_chan(m, cl, t, req, len, rep, replen, timeout)
                         : call_conn(t, &rq, req, len, rep, replen, timeout);
    transport_give(cl, t);
  }
  free(req);
  return rc;
}

/* call_now() as an interruptible call: with an interrupt pending nothing is sent (a put must
 * not happen behind a -EINTR), and one that comes while the reply is awaited ends the wait
 * (the transport is then dropped and the server told: see call_chan and call_conn).  Clean-up
 * requests -- a proxy's decref, a shutdown -- are exempt: a program's Ctrl-C path runs them
 * before it clears the interrupt, and they must not leave references or a server behind. */
static int client_call(mp_manager *m, const mgr_req *r, const mp_obj *args, void **rep,
                       size_t *replen, mp_timeout_ms timeout) {
  bool cleanup = r->op == MGR_OP_DECREF || r->op == MGR_OP_SHUTDOWN;
  if (!cleanup) {
    if (mp__interrupt_pending()) return -EINTR;
    return call_now(m, r, args, rep, replen, timeout);
  }
  bool was = mp__interrupt_set_deaf(true);
  int rc = call_now(m, r, args, rep, replen, timeout);
  (void)mp__interrupt_set_deaf(was);
  return rc;
}

int mp__mgr_request(mp_manager *m, const mgr_request *rq, mgr_reply *out) {
  if (out != NULL) *out = (mgr_reply){0};
  mgr_req r = {
      .op = rq->op, .id = rq->id, .name = rq->name, .name_len = rq->name ? strlen(rq->name) : 0};
  if (r.name_len > 255) return fail(-EINVAL);
  void *rep;
  size_t replen;
  int rc = client_call(m, &r, rq->args, &rep, &replen, rq->timeout);
  if (rc != 0) return fail(rc);
  int status, code;
  const void *payload;
  size_t plen;
  rc = mp__mgr_rep_parse(rep, replen, &status, &code, &payload, &plen);
  if (rc == 0 && status == MGR_ERR) {
    set_errmsg(payload, plen);
    rc = code < 0 ? code : MP_EREMOTE;
    free(rep);
    return rc;
  }
  mp_obj *v = NULL;
  if (rc == 0 && plen > 0) rc = mp_obj_decode(payload, plen, NULL, &v);
  free(rep);
  if (rc != 0) return fail(rc);
  if (status == MGR_PROXY) {
    const mp_obj *t = mp_obj_item(v, 0);
    int64_t nid = 0;
    size_t tl = 0;
    const char *ts = mp_obj_str_data(t, &tl);
    if (mp_obj_type_of(v) != MP_OBJ_TUPLE || ts == NULL || tl >= MP_MANAGER_TYPEID_MAX ||
        mp_obj_get_int(mp_obj_item(v, 1), &nid) != 0) {
      mp_obj_decref(v);
      return fail(MP_ECORRUPT);
    }
    if (out != NULL) {
      memcpy(out->typeid, ts, tl + 1);
      out->id = (uint64_t)nid;
    }
    mp_obj_decref(v);
    return 0;
  }
  if (out != NULL)
    out->result = v != NULL ? v : mp_obj_none();
  else
    mp_obj_decref(v);
  return 0;
}
