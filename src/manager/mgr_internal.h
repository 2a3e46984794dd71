/* SPDX-License-Identifier: MIT */
/* mgr_internal.h -- what the files of src/manager/ share: the wire format of requests and
 * replies, the shared-memory channel, the server's objects, sessions and types, and the client
 * handle.  docs/manager.md explains the design. */
#ifndef MP_MGR_INTERNAL_H
#define MP_MGR_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "internal.h"
#include "os/olock.h"
#include "os/os.h"

/* The typecodes of Python's array.array, which a manager's Array is made of. */
#define MP__MGR_ARRAY_TYPECODES "bBuhHiIlLqQfd"

/* ---- wire format (wire.c) ----
 * A request is a 32-byte little-endian header, the method name (or type id), then the
 * arguments as one MessagePack tuple (absent: no arguments):
 *   u8 op, u8 name length, u16 0, u32 0, u64 session key, u64 caller (its owner id),
 *   u64 object id.
 * A reply is an 8-byte header, u8 status, 3 bytes 0, i32 code, then:
 *   MGR_OK:    the result as MessagePack (absent: None)
 *   MGR_ERR:   the message (UTF-8 text, not terminated)
 *   MGR_PROXY: a MessagePack tuple (typeid, id) naming a new object the caller now holds a
 *              reference to.
 * The same bytes travel in a shared-memory channel or as one frame of a connection. */
enum {
  MGR_OP_CALL = 1, /* method of object id */
  MGR_OP_CREATE = 2, /* name is a type id; reply MGR_PROXY */
  MGR_OP_INCREF = 3, /* the session takes one more reference to id */
  MGR_OP_DECREF = 4, /* the session drops one reference to id */
  MGR_OP_SHUTDOWN = 5, /* stop the server */
  MGR_OP_NOBJECTS = 6, /* how many objects the server holds */
  MGR_OP_TYPEOF = 7, /* the type id of object id (for tokens) */
  /* Sent on a connection by a client that gave up waiting for its reply (a timeout, or
   * mp_interrupt()): while a method runs for that connection, anything readable on it means
   * the call is given up (mp_manager_cancelled()), as a channel's cancel word says.  Handled
   * afterwards as a request that does nothing. */
  MGR_OP_CANCEL = 8
};
enum { MGR_OK = 0, MGR_ERR = 1, MGR_PROXY = 2 };

#define MGR_REQ_HDR 32
#define MGR_REP_HDR 8

typedef struct mgr_req {
  int op;
  uint64_t session, caller, id;
  const char *name; /* not NUL-terminated: name_len bytes */
  size_t name_len;
  const void *args; /* MessagePack bytes, args_len of them (0: none) */
  size_t args_len;
} mgr_req;

/* Builds a request into a malloc'd buffer.  args may be NULL. */
int mp__mgr_req_build(const mgr_req *r, const mp_obj *args, void **buf, size_t *len);
/* Parses a request in place (the pointers point into buf).  MP_ECORRUPT when malformed. */
int mp__mgr_req_parse(const void *buf, size_t len, mgr_req *r);
/* Builds a reply: status, code, and payload (result value or message bytes). */
int mp__mgr_rep_build(int status, int code, const void *payload, size_t plen, void **buf,
                      size_t *len);
/* Parses a reply into status, code and a pointer/length to the payload inside buf. */
int mp__mgr_rep_parse(const void *buf, size_t len, int *status, int *code, const void **payload,
                      size_t *plen);

/* ---- shared-memory channels (chan.c) ----
 * One request/reply ring between one client thread's call and one server thread, in the
 * shared heap.  The client writes a request and bumps req_seq; the server answers and sets
 * rep_seq to the same number.  Each side spins a little, then sleeps on the futex word it waits
 * for, announcing it in *_sleep so the other side wakes it only when needed.  A message that
 * does not fit in buf travels in a heap block that the reader frees. */
#define MGR_CHAN_INLINE (8192 - 256)

typedef struct mgr_chan {
  _Alignas(64) _Atomic uint32_t req_seq; /* bumped by the client per request */
  _Atomic uint32_t srv_sleep; /* the server sleeps on req_seq */
  _Atomic uint32_t closed; /* the client is done with the channel */
  _Atomic uint32_t srv_done; /* the server thread has let go of the channel */
  _Atomic uint32_t cancel; /* the client gave up waiting: cancel the call */
  _Alignas(64) _Atomic uint32_t rep_seq; /* set by the server to the request answered */
  _Atomic uint32_t cli_sleep; /* the client sleeps on rep_seq */
  _Alignas(64) pid_t client_pid;
  uint64_t session;
  struct mgr_chan *next; /* link in the server's list of channels to attach */
  uint64_t len; /* length of the message in the channel */
  void *big; /* heap block holding it when len > MGR_CHAN_INLINE */
  uint64_t bigcap;
  _Alignas(64) unsigned char buf[MGR_CHAN_INLINE];
} mgr_chan;

/* The state the server and its heap-sharing clients share, in the shared heap. */
enum { MGR_ST_STARTING, MGR_ST_RUNNING, MGR_ST_STOPPING, MGR_ST_STOPPED };
typedef struct mgr_shared {
  uint64_t magic;
  uint64_t nonce; /* random: lets a token check it names this manager */
  _Atomic uint32_t state; /* futex: MGR_ST_* */
  _Atomic uint32_t attach_seq; /* futex: bumped when a channel is queued for attaching */
  mp__olock lock; /* guards pending */
  mgr_chan *pending; /* channels waiting for a server thread */
  _Atomic int32_t server_pid;
  int32_t start_err;
  char address[128];
} mgr_shared;
#define MGR_SHARED_MAGIC UINT64_C(0x6d706d616e616772) /* "mpmanagr" */

/* Makes the manager's shared state in the heap (m->sh), for its server and heap clients.
 * 0, or -ENOMEM (or the heap's error). */
int mp__mgr_shared_new(mp_manager *m);
/* Frees m->sh (NULL afterwards; none is fine). */
void mp__mgr_shared_free(mp_manager *m);

/* Writes a message of len bytes into c (inline, or in a heap block).  -ENOMEM. */
int mp__mgr_chan_put(mgr_chan *c, const void *msg, size_t len);
/* The message in c: pointer and length (valid until mp__mgr_chan_release). */
const void *mp__mgr_chan_msg(mgr_chan *c, size_t *len);
/* Frees a heap block the message used. */
void mp__mgr_chan_release(mgr_chan *c);
/* Waits until *word != old (mp__wait, os/wait.h): spins for at most spins ns (less, or not at
 * all, when the machine is oversubscribed or spinning has not paid), then sleeps in slices of
 * at most 50 ms counted in *sleep_flag, calling check(arg) after every slice; a non-zero
 * result of check ends the wait with that code.  Returns 0 when the word changed,
 * MP_ETIMEDOUT at the deadline, or -EINTR when interruptible (a client's wait for its reply)
 * and mp_interrupt() was called. */
int mp__mgr_chan_wait(bool interruptible, _Atomic uint32_t *word, _Atomic uint32_t *sleep_flag,
                      uint32_t old, long spins, mp__deadline d, int (*check)(void *), void *arg);
/* The adaptive spin of a waiter: after a wait that took elapsed_ns, the spin for the next one.
 * A wait shorter than max_ns means spinning that long would have caught the change without
 * a sleep: spin max_ns next time.  A longer one means the spin was burnt for nothing (the
 * peer was busy, or descheduled on a loaded machine, where a sleeping waiter is also woken
 * with priority while a spinning one loses its turn): halve it. */
static inline int64_t mp__mgr_spin_next(int64_t spin, int64_t elapsed_ns, int64_t max_ns) {
  return elapsed_ns <= max_ns ? max_ns : spin / 2;
}
/* Publishes a new value of word and wakes its sleeper if one announced itself. */
void mp__mgr_chan_post(_Atomic uint32_t *word, _Atomic uint32_t *sleep_flag, uint32_t v);
/* Allocates a channel in the shared heap for a client of session; NULL when out of memory. */
mgr_chan *mp__mgr_chan_new(uint64_t session);
void mp__mgr_chan_free(mgr_chan *c);

/* ---- server (server.c, serve.c, run.c, listen.c, objects.c, dispatch.c, args.c, types.c,
 * types_*.c) ---- */
typedef struct mgr_server mgr_server;
typedef struct mgr_obj mgr_obj;
typedef struct mgr_type mgr_type;

/* One call being served: who asked, how to tell that they left, and the error to report. */
struct mp_manager_ctx {
  mgr_server *srv;
  uint64_t caller;
  int (*gone)(void *arg); /* non-zero when the caller has left */
  void *gone_arg;
  int err;
  char msg[256];
  unsigned slept; /* object-wait slices of this call that ended without a wake-up */
};
typedef struct mp_manager_ctx mgr_call;

/* A method of a built-in type: runs with the object's mutex held unless the type is
 * blocking (then the method locks itself and may wait on the object's condition variable). */
typedef int (*mgr_method_fn)(mgr_call *c, mgr_obj *o, const mp_obj *args, mp_obj **result);
typedef struct mgr_method {
  const char *name;
  mgr_method_fn fn;
} mgr_method;

/* A type the server knows: built-in (methods and data hooks here) or registered (custom). */
struct mgr_type {
  char name[MP_MANAGER_TYPEID_MAX];
  int (*create)(mgr_call *c, const mp_obj *args, void **data); /* built-in factory */
  void (*destroy)(void *data);
  const mgr_method *methods;
  size_t nmethods;
  bool self_locking; /* methods take o->mu themselves (blocking types) */
  const mp_manager_type *custom; /* a registered type (methods come from it) */
  uint64_t shared_id; /* custom->shares: the one object made so far, or 0 (dispatch.c) */
};

struct mgr_obj {
  uint64_t id;
  const mgr_type *type;
  void *data;
  int64_t refs; /* references held by sessions, plus pins of calls in flight */
  pthread_mutex_t mu;
  pthread_cond_t cv; /* CLOCK_MONOTONIC; broadcast on every change of a blocking type */
  mgr_obj *next; /* hash chain */
};

/* Sessions: the references one client process holds, dropped when its last transport goes. */
typedef struct mgr_ref {
  uint64_t id;
  int64_t n;
} mgr_ref;
typedef struct mgr_session {
  uint64_t key;
  int transports;
  mgr_ref *refs;
  size_t nrefs, caprefs;
  struct mgr_session *next;
} mgr_session;

/* A serving thread (one per transport, plus the attach and accept threads). */
typedef struct mgr_thread {
  pthread_t tid;
  _Atomic bool done; /* the thread has finished; join it */
  void *arg;
  struct mgr_thread *next;
} mgr_thread;

/* A sleeper that a stop must wake and that has no fd or word of the server's to sleep on (a
 * channel's thread sleeps on its channel's word): registered by the thread while it serves. */
typedef struct mgr_waker {
  void (*wake)(void *arg);
  void *arg;
  struct mgr_waker *next;
} mgr_waker;

#define MGR_BUCKETS 1024

struct mgr_server {
  mp_manager *m;
  mgr_shared *sh; /* heap clients' state (NULL: none) */
  void *listener; /* mp_listener * when listening */
  int wake_fd; /* eventfd, readable once stopping: ends the fd waits */
  pthread_mutex_t mu; /* objects and sessions */
  mgr_obj *buckets[MGR_BUCKETS];
  int64_t nobjs;
  uint64_t next_id;
  mgr_session *sessions;
  mgr_type *custom; /* the manager's registered types (borrowed) */
  size_t ncustom;
  _Atomic bool stop;
  _Atomic uint32_t stopseq; /* futex: bumped by mp__mgr_server_stop */
  pthread_mutex_t thr_mu; /* threads and wakers */
  mgr_thread *threads;
  mgr_waker *wakers;
  _Atomic int nconns; /* connections being served (mp__mgr_server_add_conn) */
};

/* The server's state (server.c): made by mp__mgr_server_new over the manager's registered
 * types; 0, -ENOMEM or the eventfd's -errno. */
int mp__mgr_server_new(mgr_server **out, mp_manager *m);
/* Asks a server to stop (any thread, idempotent): every thread of it that sleeps is woken. */
void mp__mgr_server_stop(mgr_server *s);
/* Frees every object and the state (the threads have been joined).  NULL is accepted. */
void mp__mgr_server_free(mgr_server *s);
static inline bool mp__mgr_server_stopping(mgr_server *s) { return atomic_load(&s->stop); }
/* An mp__waiter's check (os/wait.h) for a server's thread: MP_ECLOSED once it stops. */
static inline int mp__mgr_stop_check(void *server) {
  return mp__mgr_server_stopping(server) ? MP_ECLOSED : 0;
}
/* Runs fn(s, arg) in a new serving thread, joined when the server stops.  0 or -errno. */
int mp__mgr_server_spawn(mgr_server *s, void (*fn)(mgr_server *, void *), void *arg);
/* Joins every thread spawned (they end once the server stops). */
void mp__mgr_server_join_all(mgr_server *s);
/* Registers w (the caller's, until removed) to be called by a stop; a stop that came first is
 * the caller's to see (it looks at mp__mgr_server_stopping after adding). */
void mp__mgr_server_waker_add(mgr_server *s, mgr_waker *w);
void mp__mgr_server_waker_remove(mgr_server *s, mgr_waker *w);

/* Serving transports (serve.c).  Serves one connection in a new thread (a socket from a
 * listener, or a test's pipe end); takes ownership of conn.  0 or -errno. */
int mp__mgr_server_add_conn(mgr_server *s, mp_conn *conn);
/* Starts the thread that attaches heap clients' channels (none without shared state). */
int mp__mgr_serve_attach_start(mgr_server *s);

/* Starts listening on the manager's address, if it has one, with a thread accepting clients
 * (listen.c); mp__mgr_listen_stop closes the listener after the threads are joined. */
int mp__mgr_listen_start(mgr_server *s);
void mp__mgr_listen_stop(mgr_server *s);

/* Runs until asked to stop; then stops and joins every thread (run.c). */
int mp__mgr_server_run(mgr_server *s);

/* The type registry (types.c).  Whether name is a built-in type id. */
bool mp__mgr_builtin_name(const char *name);
/* The built-in or registered type of that id, or NULL. */
const mgr_type *mp__mgr_type_find(mgr_server *s, const char *name, size_t len);
/* Wraps an existing list/dict value (callable=) as a built-in object's data.  -EINVAL for
 * another kind of value. */
int mp__mgr_wrap_value(mp_obj *v, const mgr_type **t, void **data);

/* Handles one request and builds the reply (dispatch.c).  sess is the transport's session
 * (bound at its first request).  Never fails: errors become error replies; only -ENOMEM when
 * not even the error reply could be built. */
int mp__mgr_handle(mgr_server *s, mgr_session **sess, const void *req, size_t len,
                   int (*gone)(void *), void *gone_arg, void **rep, size_t *replen);
/* A transport closed: its session loses one transport, and its references with the last. */
void mp__mgr_session_detach(mgr_server *s, mgr_session *sess);

/* Objects (objects.c). */
int mp__mgr_obj_add(mgr_server *s, const mgr_type *t, void *data, mgr_session *sess, uint64_t *id);
/* Finds the object exposing data (a callable='s value), or 0. */
uint64_t mp__mgr_obj_find_data(mgr_server *s, const void *data);
mgr_obj *mp__mgr_obj_pin(mgr_server *s, uint64_t id);
void mp__mgr_obj_unpin(mgr_server *s, mgr_obj *o);
int mp__mgr_obj_incref(mgr_server *s, mgr_session *sess, uint64_t id);
int mp__mgr_obj_decref(mgr_server *s, mgr_session *sess, uint64_t id);
mgr_session *mp__mgr_session_get(mgr_server *s, uint64_t key);
int64_t mp__mgr_obj_count(mgr_server *s);
void mp__mgr_objects_free_all(mgr_server *s);
/* Wakes every method waiting on an object (a stop). */
void mp__mgr_objects_wake_all(mgr_server *s);

/* Built-in types (types_*.c). */
extern const mgr_type mp__mgr_type_dict, mp__mgr_type_list, mp__mgr_type_namespace,
    mp__mgr_type_value, mp__mgr_type_array, mp__mgr_type_queue, mp__mgr_type_joinable_queue,
    mp__mgr_type_lock, mp__mgr_type_rlock, mp__mgr_type_semaphore, mp__mgr_type_bounded_semaphore,
    mp__mgr_type_condition, mp__mgr_type_event, mp__mgr_type_barrier;

/* Argument helpers for methods (args.c): the i-th argument (borrowed) or NULL; checked conversions
 * that record a TypeError-like error. */
const mp_obj *mp__mgr_arg(const mp_obj *args, size_t i);
int mp__mgr_arg_int(mgr_call *c, const mp_obj *args, size_t i, int64_t dflt, int64_t *out);
int mp__mgr_arg_bool(mgr_call *c, const mp_obj *args, size_t i, bool dflt, bool *out);
/* A timeout argument in seconds (None or absent: forever; negative: forever) as a deadline. */
int mp__mgr_arg_timeout(mgr_call *c, const mp_obj *args, size_t i, mp__deadline *out);
int mp__mgr_need_args(mgr_call *c, const mp_obj *args, size_t lo, size_t hi, const char *what);
/* Waits on o->cv (o->mu held) until woken, the deadline, or one slice (MGR_OBJ_WAIT_SLICE_MS,
 * growing as the call's wait goes on: a caller that left is noticed within that); returns 0,
 * MP_ETIMEDOUT
 * (deadline passed) or MP_ECLOSED (the caller left or the server stops). */
int mp__mgr_obj_wait(mgr_call *c, mgr_obj *o, mp__deadline d);
/* Python's index normalisation: -1 is the last; -ERANGE out of [0, len). */
int mp__mgr_norm_index(mgr_call *c, int64_t i, size_t len, size_t *out);

/* ---- a connection's two ends (transport.c) ---- */

/* Connects a client handle to its address with its key: mp_client's errors, MP_ESTATE
 * without an address. */
int mp__mgr_dial(mp_manager *m, mp_conn **out, mp_timeout_ms timeout);
/* Waits until a frame can be read from c: first looks without sleeping for up to spin_ns,
 * yielding the CPU between looks (so on a busy machine the peer that is about to answer gets
 * to run), then sleeps for what is left of timeout, or until wake_fd (when >= 0) is readable.
 * Returns 1 when c is readable, 0 at the timeout or when woken, or an error of mp_wait. */
int mp__mgr_conn_wait(mp_conn *c, int64_t spin_ns, int wake_fd, mp_timeout_ms timeout);
/* One frame each way, within timeout / by the deadline (max 0: any size).  A peer that went
 * away (EOF, EPIPE, ECONNRESET) gives MP_EBROKEN; otherwise the connection's errors. */
int mp__mgr_frame_send(mp_conn *c, const void *msg, size_t len, mp_timeout_ms timeout);
int mp__mgr_frame_recv(mp_conn *c, size_t max, mp__deadline d, void **msg, size_t *len);
/* Whether the peer of c hung up (looked at without waiting). */
bool mp__mgr_conn_hung_up(mp_conn *c);

/* ---- client (client.c) ---- */
typedef struct mgr_transport {
  mgr_chan *chan; /* heap channel, or */
  mp_conn *conn; /* a connection */
  bool busy;
  bool broken; /* abandoned after a timeout: never used again, closed with the session */
  int64_t spin_ns; /* the adaptive spin of a channel's reply wait (mp__mgr_spin_next) */
  struct mgr_transport *next;
} mgr_transport;

typedef struct mgr_client {
  pid_t pid; /* the process this session belongs to */
  uint64_t key;
  int server_pidfd; /* -1 until opened (heap clients watch the server through it) */
  pthread_mutex_t mu;
  mgr_transport *list;
  mp_manager *m;
  struct mgr_client *all_next; /* this process's sessions, closed by an exit hook */
} mgr_client;

enum { MGR_NEW, MGR_STARTED, MGR_SERVING, MGR_CONNECTED, MGR_LOCAL };

struct mp_manager {
  _Atomic int role; /* MGR_*: read by every thread calling through the handle */
  pid_t owner_pid; /* the process that made the handle */
  mgr_shared *sh; /* heap state (NULL for a connected client) */
  char address[128];
  bool has_address;
  unsigned char authkey[MP_MANAGER_AUTHKEY_MAX];
  size_t authkey_len;
  mgr_type *types; /* registered types */
  size_t ntypes;
  mp_process *server; /* the server child, when started */
  mgr_server *srv; /* the server, when serving in this process */
  /* The session of calls this process makes on its own server before serve_forever() runs,
   * which are handled directly (client.c). */
  struct mgr_session *direct_sess;
  _Atomic(mgr_client *) client;
  /* Sessions inherited through fork and replaced by this process's own, linked by all_next:
   * only their memory is left (a racing thread may still read their pid), freed by
   * mp__mgr_client_close. */
  mgr_client *retired;
  _Atomic bool shut; /* shut down: calls give MP_ECLOSED */
  bool serving; /* serve_forever() has been entered */
  pid_t serving_pid; /* the process that entered it (which frees what it leaves) */
  int method; /* start method of mp_manager_start() (resolved) */
  mp_manager_listen_opts listen; /* the server listener's limits (listen.c) */
};

/* The server process's body (run.c): serves m until shutdown.  Returns the exit code. */
int mp__mgr_server_main(void *m);
/* Makes the server process of m for a start method other than fork (server_image.c): the
 * handle is rebuilt in the other image from a copy of its settings.  Errors: MP_ENOTREG (a
 * registered type without MP_MANAGER_TYPE), -ENOMEM. */
int mp__mgr_server_process(mp_manager *m, const mp_process_opts *o, mp_process **out);

/* Closes this process's transports and frees its session. */
void mp__mgr_client_close(mp_manager *m);

/* One call from a client (wire.c's mgr_req is its form as bytes). */
typedef struct mgr_request {
  int op; /* MGR_OP_* */
  uint64_t id; /* the object, for CALL, INCREF, DECREF and TYPEOF */
  const char *name; /* CALL: the method; CREATE: the type id; NUL-terminated (NULL: none) */
  const mp_obj *args; /* a tuple or list, borrowed; NULL: no arguments */
  mp_timeout_ms timeout;
} mgr_request;
/* What it gave: a call's result (MGR_OK), or the object a CREATE made (MGR_PROXY). */
typedef struct mgr_reply {
  mp_obj *result; /* MGR_OK: owned by the caller (None for no result); else NULL */
  char typeid[MP_MANAGER_TYPEID_MAX];
  uint64_t id;
} mgr_reply;
/* Makes the request, sends it, and unpacks the reply into *out (NULL: the result is
 * dropped).  0, or the error code with the message stored for mp_manager_errmsg():
 * the server's, or MP_ECLOSED, MP_EBROKEN, MP_ETIMEDOUT, MP_ECORRUPT, -EINVAL (a name over 255
 * bytes), -ENOMEM. */
int mp__mgr_request(mp_manager *m, const mgr_request *rq, mgr_reply *out);

#endif
