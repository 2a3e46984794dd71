/* SPDX-License-Identifier: MIT */
/* multiproc/manager.h -- Python's multiprocessing.managers: a server process that holds shared
 * objects (dict, list, Namespace, Value, Array, Queue, JoinableQueue, Lock, RLock, Semaphore,
 * BoundedSemaphore, Condition, Event, Barrier, and types the program registers), reached
 * from any process through proxies.
 *
 *   Python                                   C
 *   m = Manager()                            mp_manager_new(&m, NULL); mp_manager_start(m);
 *   d = m.dict({'count': 100})               mp_manager_dict(m, init, &d);
 *   d['count'] -= 1                          mp_dict_proxy_get / mp_dict_proxy_set
 *   m.shutdown()                             mp_manager_shutdown(m); mp_manager_free(m);
 *   BaseManager.register('get_list',         mp_manager_register(m, &(mp_manager_type){
 *       callable=lambda: shared_list)            .type_id = "get_list", .callable = fn});
 *   mgr.get_server().serve_forever()         mp_manager_serve_forever(m);
 *   mgr.connect(); mgr.get_list()            mp_manager_connect(m, ms);
 *                                            mp_manager_create(m, "get_list", NULL, &l);
 *
 * Values are mp_obj (obj.h): arguments and results travel encoded as MessagePack, as Python's
 * pickles do.  Every call of a proxy is a request answered by the server; the server holds the
 * object, so every process sees the same state.
 *
 * Transports.  A process that shares the manager's shared heap (the process that made the
 * manager and every child forked after that) talks to the server through request rings in the
 * shared heap, one per concurrent call, woken with futexes: no system call on a call when both
 * sides are awake.  Any other process (unrelated, on another machine) connects to the
 * manager's address (listener.h: TCP "host:port", an AF_UNIX path or an "@abstract" name) and
 * authenticates with the auth key; the server serves each connection in a thread of its own.
 * docs/manager.md has the design.
 *
 * Threads.  The server serves each transport in a thread of its own, so a call that blocks
 * (Queue.get, Lock.acquire, Event.wait on a manager object) blocks only its caller.  A client
 * may call from several threads at once: each in-flight call takes a transport of its own.
 *
 * Errors.  A method that fails on the server ("raises") returns its error code to the caller:
 * -ENOENT for a missing key or attribute (KeyError/AttributeError), -ERANGE for an index out of
 * range (IndexError), -EINVAL for a wrong argument (TypeError/ValueError), MP_EEMPTY/MP_EFULL
 * for a queue, MP_ESTATE for releasing a lock one does not hold, MP_EREMOTE for an unknown
 * method or type id or an error of a registered method without a code of its own.  The
 * server's message is then in mp_manager_errmsg() (per thread).  A server that dies makes
 * every call return MP_EBROKEN (never a hang); a manager that was shut down gives MP_ECLOSED.
 *
 * Lifetime of shared objects.  Each proxy holds one reference to its object on the server; the
 * object is freed when the last reference is gone.  A child that inherits a proxy (by fork)
 * takes a reference of its own the first time it uses it, and a process that ends or dies
 * drops every reference it held, so a crashed client leaks nothing.  Keep a proxy alive in the
 * process that made it until the processes it was handed to have used it (or have ended). */
#ifndef MULTIPROC_MANAGER_H
#define MULTIPROC_MANAGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "obj.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A manager handle: a server this process started or serves, or a connection to one.
 * Opaque; made by mp_manager_new(), released by mp_manager_free(). */
typedef struct mp_manager mp_manager;

/* A proxy: one reference to one object held by a manager's server.  Opaque; released by
 * mp_proxy_free(). */
typedef struct mp_proxy mp_proxy;

/* The longest type id accepted (terminating NUL included). */
#define MP_MANAGER_TYPEID_MAX 64
/* The longest auth key accepted, in bytes. */
#define MP_MANAGER_AUTHKEY_MAX 256

/* ---- registered types (BaseManager.register) ---- */

/* What a method of a registered type is given: the call's context, for errors and for
 * noticing that the caller has gone away.  Valid during the call only. */
typedef struct mp_manager_ctx mp_manager_ctx;

/* Records an error for the caller: code (a negative errno or MP_E* code; 0 or a positive value
 * becomes MP_EREMOTE) and a printf-style message the caller reads with mp_manager_errmsg().
 * Returns the code, so a method can `return mp_manager_error(c, -EINVAL, "bad %s", x);`. */
MP_EXTERN int mp_manager_error(mp_manager_ctx *c, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Whether the caller of this method has gone away (closed or died) or the server is stopping.
 * A method that waits for long should look at it at least every 100 ms and give up when it
 * turns true, so that a dead client never pins a server thread. */
MP_EXTERN bool mp_manager_cancelled(mp_manager_ctx *c);

/* A method of a registered type: runs in the server with self (what create returned) and the
 * call's arguments (a tuple, never NULL: empty when the caller gave none; borrowed).  It
 * returns 0 and stores a new reference in *result (or leaves it NULL, meaning None), or a
 * negative code, preferably through mp_manager_error().  Calls on one object are serialised
 * by the server unless the type sets concurrent. */
typedef int (*mp_manager_method_fn)(mp_manager_ctx *c, void *self, const mp_obj *args,
                                    mp_obj **result);

typedef struct mp_manager_method {
  const char *name; /* the method name a proxy calls */
  mp_manager_method_fn fn;
} mp_manager_method;

/* A type id and how the server makes its objects, for mp_manager_register().  Set exactly one
 * of create (a factory, as BaseManager.register(typeid, callable=SomeClass) with the class's
 * methods listed here), callable (an existing value to share, as the seed's
 * register('get_list', callable=lambda: shared_list)) and shares (one object of any type that
 * every call gets, as Python's remote-queue recipe register('get_queue', callable=lambda: q)). */
typedef struct mp_manager_type {
  /* Python's typeid (a C++ keyword, hence the underscore): 1..MP_MANAGER_TYPEID_MAX-1
   * characters; must not be a built-in name. */
  const char *type_id;
  /* Factory: makes a new object from the arguments given to mp_manager_create() (a tuple,
   * borrowed) and stores it in *self.  Returns 0 or a negative code (mp_manager_error()). */
  int (*create)(mp_manager_ctx *c, const mp_obj *args, void *arg, void **self);
  /* Frees an object made by create when its last proxy is gone (may be NULL). */
  void (*destroy)(void *self, void *arg);
  const mp_manager_method *methods; /* the exposed methods (the proxy's `exposed`) */
  size_t nmethods;
  bool concurrent; /* true: methods of one object may run at the same time in several threads */
  /* callable=: returns a value the server shares as it is -- a list or a dict (served as the
   * built-in "list" / "dict" types with all their methods) -- as a borrowed reference that
   * stays valid while the server runs.  Returning the same value again gives a proxy to the
   * same server object. */
  mp_obj *(*callable)(void *arg);
  void *arg; /* passed to create, destroy and callable */
  /* shares: the type id (built-in, e.g. "Queue", or registered) of one object the server
   * makes, from shares_args (a tuple, borrowed until the server starts; NULL for none), on the
   * first call of this type id; that call and every later one get a proxy to the same object,
   * which lives as long as the server does.  The arguments of each call are ignored. */
  const char *shares;
  const mp_obj *shares_args;
} mp_manager_type;

/* ---- making, starting, serving, connecting ---- */

/* Options for mp_manager_new(); NULL or a zeroed struct gives the defaults. */
typedef struct mp_manager_opts {
  /* Where the server listens for processes that do not share its heap (listener.h's address
   * strings, such as "127.0.0.1:0" or "127.0.0.1:9030"); for mp_manager_connect(), where the
   * server is.  NULL: a fresh abstract AF_UNIX name ("@..."), as Python's Manager() picks a
   * Unix socket; processes sharing the heap (the starter and its children) use the
   * shared-memory channels instead. */
  const char *address;
  /* The auth key (copied).  NULL: a random 32-byte key, as Python's current_process().authkey
   * (children inherit the handle and so the key). */
  const void *authkey;
  size_t authkey_len;
  /* How mp_manager_start() starts the server process (multiproc/start.h); MP_START_DEFAULT:
   * the program's default.  Under forkserver and spawn the server runs another image of the
   * program: every type given to mp_manager_register() must also be registered by name at load
   * time (MP_MANAGER_TYPE), or the start fails with MP_ENOTREG. */
  mp_start_method start_method;
} mp_manager_opts;

/* BaseManager(address, authkey) / SyncManager: makes a handle that is not started yet.
 * Register types with mp_manager_register(), then mp_manager_start(),
 * mp_manager_serve_forever() or mp_manager_connect().  Errors: -EINVAL (out NULL, address or
 * key too long), -ENOMEM. */
MP_EXTERN int mp_manager_new(mp_manager **out, const mp_manager_opts *opts);

/* BaseManager.register(typeid, callable=...): adds a type id before the server starts (a
 * client that only calls mp_manager_create() on a server's type ids need not register them).
 * The struct is copied; its method table and strings must stay valid while the manager is
 * used.  Errors: -EINVAL (bad type id, neither or both of create and callable, a method
 * without a name or function), -EEXIST (type id taken, also by a built-in one), MP_ESTATE
 * (already started, serving or connected), -ENOMEM. */
MP_EXTERN int mp_manager_register(mp_manager *m, const mp_manager_type *type);

/* Registers a type by its type id for the whole program, at load time, so that a server
 * started by forkserver or spawn (another image of the program) knows it too: write
 * MP_MANAGER_TYPE(var) at file scope for a static mp_manager_type var, and still pass &var to
 * mp_manager_register() on each manager that serves it.  Errors: -EINVAL, -EEXIST (another
 * type under that id), -ENOMEM. */
MP_EXTERN int mp_manager_register_type(const mp_manager_type *type);
#define MP_MANAGER_TYPE(var)                                                                       \
  __attribute__((constructor)) static void mp__register_type_##var(void) {                         \
    (void)mp_manager_register_type(&(var));                                                        \
  }                                                                                                \
  struct mp__register_type_##var##_needs_a_semicolon

/* Limits of the server's listener, for the clients that connect by address (the ones that do
 * not share its heap).  Python's manager has none of these: its handshakes wait forever and
 * each connection gets a thread. */
typedef struct mp_manager_listen_opts {
  /* The handshakes of connecting clients run side by side, each bounded by this many ms; a
   * client still short of a complete handshake then is closed.  0 means 5000 ms; MP_FOREVER
   * means no bound (only max_pending then limits silent clients). */
  mp_timeout_ms handshake_timeout;
  /* The most clients in handshake at once; beyond it a new connection is closed at once,
   * before any challenge.  0 means 64; at most MP_LISTENER_PENDING_MAX. */
  int max_pending;
  /* The most authenticated connections served at once (each has a serving thread); a client
   * authenticated beyond it is closed at once, so its first request fails (MP_EOF or
   * MP_EBROKEN; mp_manager_connect() reports it).  0 means 256. */
  int max_connections;
} mp_manager_listen_opts;

/* Sets the listener's limits (see mp_manager_listen_opts) of a manager that is not started,
 * serving or connected yet; opts is copied, NULL restores the defaults.  They apply to the
 * server that mp_manager_start(), mp_manager_get_server() or mp_manager_serve_forever() runs.
 * Errors: -EINVAL (m NULL, a negative max_pending or max_connections, max_pending over
 * MP_LISTENER_PENDING_MAX), MP_ESTATE (already started, serving or connected). */
MP_EXTERN int mp_manager_set_listen_opts(mp_manager *m, const mp_manager_listen_opts *opts);

/* Manager() / BaseManager.start(): starts the server process (a daemon child: it is killed if
 * the starting process dies, and ended at its exit) with the options' start method and waits
 * until it serves.  The server ignores SIGINT, as Python's does, so Ctrl-C in a terminal reaches
 * the program, whose clean-up then stops the server.  Children forked
 * afterwards inherit the handle and may use it and every proxy made from it.  The server also
 * listens on the options' address (or a fresh abstract AF_UNIX name) with the auth key, for
 * other processes; mp_manager_address() tells the address actually bound.  Waits at most 10 s for the server.
 * Errors: MP_ESTATE (already started/serving/connected), -EINVAL, errors of fork and of
 * mp_listener_new() (-EADDRINUSE, ...), MP_ETIMEDOUT, -ENOMEM. */
MP_EXTERN int mp_manager_start(mp_manager *m);

/* BaseManager.get_server(): prepares serving in this process and starts listening, so that
 * mp_manager_address() tells the address bound (useful with port 0) before
 * mp_manager_serve_forever() serves.  Connections that arrive in between are served already.
 * mp_manager_free() without serve_forever() stops listening.  Errors: as serve_forever. */
MP_EXTERN int mp_manager_get_server(mp_manager *m);

/* Server.serve_forever(): serves in the calling thread until a client (or another thread of
 * this process) calls mp_manager_shutdown(), then stops every serving thread, frees every
 * object and returns 0.  Serves the processes forked after it starts (and threads of this
 * process) through the shared heap and everybody else through the listener (the options'
 * address, or a fresh abstract AF_UNIX name).  Calls mp_manager_get_server() first if it was
 * not called.  Once it returned, calls through the handle (from any thread) give MP_ECLOSED;
 * mp_manager_free() releases what is left (this process's session, the shared state).
 * Errors: MP_ESTATE (already started/serving/connected), listener errors, -ENOMEM. */
MP_EXTERN int mp_manager_serve_forever(mp_manager *m);

/* BaseManager.connect(): connects to the server at the options' address with the options' key
 * (no shared heap needed), waiting at most timeout ms for the connection and the handshake.
 * Errors: -EINVAL (no address), MP_ESTATE, MP_EAUTH (wrong key), -ECONNREFUSED, MP_ETIMEDOUT,
 * and the other errors of mp_client(). */
MP_EXTERN int mp_manager_connect(mp_manager *m, mp_timeout_ms timeout);

/* shutdown(): stops the server.  From the process that started it: asks it to stop, waits for
 * it (5 s, then kills it) and reaps it, leaving no process, fd or shared memory behind; proxies
 * then return MP_ECLOSED.  From a connected client, or any other process: asks the server to
 * stop (Python's Server.shutdown, open to authenticated clients).  For a manager serving in
 * this process, makes mp_manager_serve_forever() return.  Idempotent (a repeated call returns
 * 0).  Errors: MP_ESTATE (never started), MP_EBROKEN (the server was already gone -- killed or
 * crashed -- or did not stop cleanly; from the starter the clean-up is done all the same). */
MP_EXTERN int mp_manager_shutdown(mp_manager *m);

/* Shuts the manager down if this process started it (see above), closes this process's
 * transports and frees the handle.  A forked child freeing its inherited copy only closes its
 * own transports.  NULL is accepted.  Proxies made from m must be freed first. */
MP_EXTERN void mp_manager_free(mp_manager *m);

/* The address the server listens on ("127.0.0.1:40123", "@mp-..."), known once started,
 * serving or connected; NULL before.  Owned by the handle. */
MP_EXTERN const char *mp_manager_address(const mp_manager *m);

/* The auth key: stores a pointer to the handle's copy and its length.  Errors: -EINVAL. */
MP_EXTERN int mp_manager_authkey(const mp_manager *m, const void **key, size_t *len);

/* _number_of_objects(): how many objects the server holds now.  Errors: as mp_proxy_call(). */
MP_EXTERN int mp_manager_number_of_objects(mp_manager *m, int64_t *out);

/* The message of the calling thread's last manager error (a method's message, or a
 * description of the code), "" when there was none.  Valid until the thread's next manager
 * call. */
MP_EXTERN const char *mp_manager_errmsg(void);

/* ---- creating shared objects ---- */

/* Asks the server for a new object of type_id (a built-in one -- "dict", "list", "Namespace",
 * "Value", "Array", "Queue", "JoinableQueue", "Lock", "RLock", "Semaphore",
 * "BoundedSemaphore", "Condition", "Event", "Barrier" -- or a registered one) made from args
 * (a tuple or list of arguments, borrowed; NULL for none) and gives a proxy to it in *out,
 * which the caller frees with mp_proxy_free().  The built-in arguments are Python's:
 * dict(mapping), list(sequence), Value(typecode, value), Array(typecode, sequence),
 * Queue(maxsize), Semaphore(value), Barrier(parties), ...  Errors: -EINVAL, MP_EREMOTE
 * (unknown type id), the factory's error, and those of mp_proxy_call(). */
MP_EXTERN int mp_manager_create(mp_manager *m, const char *type_id, const mp_obj *args,
                                mp_proxy **out);

/* Shorthands for the built-in types.  init may be NULL (empty); it is borrowed. */
MP_EXTERN int mp_manager_dict(mp_manager *m, const mp_obj *init, mp_proxy **out);
MP_EXTERN int mp_manager_list(mp_manager *m, const mp_obj *init, mp_proxy **out);
MP_EXTERN int mp_manager_namespace(mp_manager *m, mp_proxy **out);
/* Value(typecode, value) and Array(typecode, sequence): typecodes as shared.h ('i', 'd',
 * 'c', ...); values are checked against the typecode (an int code needs an int in range, 'd'
 * and 'f' a number, 'c' a 1-byte bytes, 'u' a 1-character str).  Array's typecode must be one
 * of array.array's, "bBuhHiIlLqQfd", as in Python (-EINVAL otherwise, before any round trip,
 * with the reason in mp_error_message()); Value stores any, as Python's manager does. */
MP_EXTERN int mp_manager_value(mp_manager *m, char typecode, const mp_obj *value, mp_proxy **out);
MP_EXTERN int mp_manager_array(mp_manager *m, char typecode, const mp_obj *seq, mp_proxy **out);
/* Queue(maxsize) / JoinableQueue(maxsize): 0 means unbounded. */
MP_EXTERN int mp_manager_queue(mp_manager *m, size_t maxsize, mp_proxy **out);
MP_EXTERN int mp_manager_joinable_queue(mp_manager *m, size_t maxsize, mp_proxy **out);
MP_EXTERN int mp_manager_lock(mp_manager *m, mp_proxy **out);
MP_EXTERN int mp_manager_rlock(mp_manager *m, mp_proxy **out);
MP_EXTERN int mp_manager_semaphore(mp_manager *m, unsigned value, mp_proxy **out);
MP_EXTERN int mp_manager_bounded_semaphore(mp_manager *m, unsigned value, mp_proxy **out);
/* Condition() with its own RLock (a caller's lock cannot be given). */
MP_EXTERN int mp_manager_condition(mp_manager *m, mp_proxy **out);
MP_EXTERN int mp_manager_event(mp_manager *m, mp_proxy **out);
MP_EXTERN int mp_manager_barrier(mp_manager *m, unsigned parties, mp_proxy **out);

/* ---- proxies ---- */

/* Calls method on the proxy's object with args (a tuple or list, borrowed; NULL for none) and
 * stores the result in *result (a new reference; None when the method returns nothing);
 * result may be NULL to drop it.  The method names are Python's (the built-in types list them
 * in docs/manager.md: "__getitem__", "append", "get", "acquire", ...).  timeout bounds the
 * wait for the answer: when it passes the call returns MP_ETIMEDOUT and its answer is thrown
 * away when it comes (the method may still run).  Methods that block take their own timeout
 * as an argument, as in Python; give them MP_FOREVER here.  A dead server gives MP_EBROKEN
 * within about 50 ms of the call's start, or 3.2 s in a call already waiting longer, whatever
 * the timeout.  mp_interrupt() (interrupt.h) ends the wait as a timeout does, with -EINTR
 * (the server is told to give the call up); with an interrupt pending nothing is sent.
 * Errors: -EINVAL, the method's error (see the top of this file), MP_ECLOSED, MP_EBROKEN,
 * MP_ETIMEDOUT, -EINTR, -ENOMEM, MP_ETOOBIG. */
MP_EXTERN int mp_proxy_call(mp_proxy *p, const char *method, const mp_obj *args, mp_obj **result,
                            mp_timeout_ms timeout);

/* _getvalue(): a copy of the referent (dict, list, Namespace as a dict, Value's value, Array as
 * a list), as printing a proxy shows it.  *out is a new reference.  Errors: as mp_proxy_call. */
MP_EXTERN int mp_proxy_getvalue(mp_proxy *p, mp_obj **out);

/* The type id of the referent ("list" also for a get_list registered with callable=).
 * Owned by the proxy. */
MP_EXTERN const char *mp_proxy_typeid(const mp_proxy *p);

/* Drops this process's reference (the server frees the object after the last one) and frees
 * the proxy.  NULL is accepted.  Never blocks on a dead server. */
MP_EXTERN void mp_proxy_free(mp_proxy *p);

/* A token for the proxy, to hand it to another process over a Queue, a Pipe or anything that
 * carries values: a tuple ("multiproc.proxy", typeid, id, address, authkey, heap hint).
 * *out is a new reference.  The receiver calls mp_proxy_from_obj(); keep p alive until it
 * has.  Errors: -EINVAL, -ENOMEM. */
MP_EXTERN int mp_proxy_to_obj(const mp_proxy *p, mp_obj **out);

/* Makes a proxy from a token made by mp_proxy_to_obj() in any process.  A process sharing the
 * manager's heap reuses the shared-memory path (through m_hint when given, else a handle of its
 * own); any other process connects to the token's address with the token's key, waiting at
 * most timeout ms.  The proxy takes a reference of its own.  Free it with mp_proxy_free()
 * (which also closes a connection the proxy opened).  Errors: -EINVAL (not a token),
 * MP_ESTATE (the manager has no address and this process does not share its heap), those of
 * mp_manager_connect(), and those of mp_proxy_call(). */
MP_EXTERN int mp_proxy_from_obj(mp_proxy **out, const mp_obj *token, mp_manager *m_hint,
                                mp_timeout_ms timeout);

/* The time limit of the proxy's typed shorthands below (mp_proxy_call() takes its own): each
 * waits at most timeout ms for its answer, then returns MP_ETIMEDOUT as mp_proxy_call() does.
 * MP_FOREVER (any negative value), the default: no limit.  A blocking method's own timeout
 * argument (queue get, lock acquire, ...) bounds the method itself; give the proxy a longer
 * one.  The proxy may be shared by threads: the setting applies to every call made after it.
 * Errors: -EINVAL (p NULL). */
MP_EXTERN int mp_proxy_set_timeout(mp_proxy *p, mp_timeout_ms timeout);
/* The limit set with mp_proxy_set_timeout() (MP_FOREVER for NULL). */
MP_EXTERN mp_timeout_ms mp_proxy_timeout(const mp_proxy *p);

/* ---- typed shorthands ----
 * Each is mp_proxy_call() with the method's Python name, the proxy's timeout
 * (mp_proxy_set_timeout(); none by default) for the answer (a blocking method gets the
 * timeout it takes as an argument), and the result unpacked.
 * Arguments are borrowed; *out results are new references the caller drops.  Errors: as
 * mp_proxy_call(), plus -EINVAL when the proxy's object is not of the expected type (the
 * server says so: its message names the method). */

/* dict: d[key] = value; d[key] (-ENOENT when missing); d.get(key, dflt) (dflt NULL: None);
 * del d[key] (-ENOENT); len(d); key in d (1 / 0); keys(), values(), items() as lists;
 * update(other dict); pop(key) (-ENOENT); setdefault(key, dflt); copy() as a dict; clear(). */
MP_EXTERN int mp_dict_proxy_set(mp_proxy *p, const mp_obj *key, const mp_obj *value);
MP_EXTERN int mp_dict_proxy_get(mp_proxy *p, const mp_obj *key, mp_obj **out);
MP_EXTERN int mp_dict_proxy_get_default(mp_proxy *p, const mp_obj *key, const mp_obj *dflt,
                                        mp_obj **out);
MP_EXTERN int mp_dict_proxy_del(mp_proxy *p, const mp_obj *key);
MP_EXTERN int mp_dict_proxy_len(mp_proxy *p, int64_t *out);
MP_EXTERN int mp_dict_proxy_contains(mp_proxy *p, const mp_obj *key);
MP_EXTERN int mp_dict_proxy_keys(mp_proxy *p, mp_obj **out);
MP_EXTERN int mp_dict_proxy_values(mp_proxy *p, mp_obj **out);
MP_EXTERN int mp_dict_proxy_items(mp_proxy *p, mp_obj **out);
MP_EXTERN int mp_dict_proxy_update(mp_proxy *p, const mp_obj *other);
MP_EXTERN int mp_dict_proxy_pop(mp_proxy *p, const mp_obj *key, mp_obj **out);
MP_EXTERN int mp_dict_proxy_setdefault(mp_proxy *p, const mp_obj *key, const mp_obj *dflt,
                                       mp_obj **out);
MP_EXTERN int mp_dict_proxy_copy(mp_proxy *p, mp_obj **out);
MP_EXTERN int mp_dict_proxy_clear(mp_proxy *p);

/* list: append, extend (a list or tuple), l[i] and l[i] = v (negative i counts from the end;
 * -ERANGE out of range), len, l[start:stop] as a new list (a copy; Python's clamping and
 * negative indexes), pop(i) (-ERANGE), remove(v) (-ENOENT when absent), index(v) (-ENOENT),
 * count(v), insert(i, v), sort(reverse) (-EINVAL for values that do not compare, such as a
 * str and an int).  Indexes are int64_t. */
MP_EXTERN int mp_list_proxy_append(mp_proxy *p, const mp_obj *item);
MP_EXTERN int mp_list_proxy_extend(mp_proxy *p, const mp_obj *seq);
MP_EXTERN int mp_list_proxy_get(mp_proxy *p, int64_t i, mp_obj **out);
MP_EXTERN int mp_list_proxy_set(mp_proxy *p, int64_t i, const mp_obj *item);
MP_EXTERN int mp_list_proxy_len(mp_proxy *p, int64_t *out);
MP_EXTERN int mp_list_proxy_slice(mp_proxy *p, int64_t start, int64_t stop, mp_obj **out);
MP_EXTERN int mp_list_proxy_pop(mp_proxy *p, int64_t i, mp_obj **out);
MP_EXTERN int mp_list_proxy_remove(mp_proxy *p, const mp_obj *item);
MP_EXTERN int mp_list_proxy_index(mp_proxy *p, const mp_obj *item, int64_t *out);
MP_EXTERN int mp_list_proxy_count(mp_proxy *p, const mp_obj *item, int64_t *out);
MP_EXTERN int mp_list_proxy_insert(mp_proxy *p, int64_t i, const mp_obj *item);
MP_EXTERN int mp_list_proxy_sort(mp_proxy *p, bool reverse);

/* Namespace: ns.name, ns.name = value, del ns.name (-ENOENT when missing; -EILSEQ when name is
 * not UTF-8, said in mp_error_message()). */
MP_EXTERN int mp_ns_proxy_get(mp_proxy *p, const char *name, mp_obj **out);
MP_EXTERN int mp_ns_proxy_set(mp_proxy *p, const char *name, const mp_obj *value);
MP_EXTERN int mp_ns_proxy_del(mp_proxy *p, const char *name);

/* Value: v.value and v.value = x (checked against the typecode: -EINVAL or -ERANGE). */
MP_EXTERN int mp_value_proxy_get(mp_proxy *p, mp_obj **out);
MP_EXTERN int mp_value_proxy_set(mp_proxy *p, const mp_obj *value);

/* Array: len(a), a[i], a[i] = x (checked against the typecode). */
MP_EXTERN int mp_array_proxy_len(mp_proxy *p, int64_t *out);
MP_EXTERN int mp_array_proxy_get(mp_proxy *p, int64_t i, mp_obj **out);
MP_EXTERN int mp_array_proxy_set(mp_proxy *p, int64_t i, const mp_obj *value);

/* Queue / JoinableQueue: put (waits while full at most timeout ms: MP_EFULL; 0 is
 * put_nowait), get (MP_EEMPTY; 0 is get_nowait), qsize, empty (1 / 0), full (1 / 0),
 * task_done (-EOVERFLOW when called too often), join (MP_ETIMEDOUT). */
MP_EXTERN int mp_queue_proxy_put(mp_proxy *p, const mp_obj *item, mp_timeout_ms timeout);
MP_EXTERN int mp_queue_proxy_get(mp_proxy *p, mp_obj **out, mp_timeout_ms timeout);
MP_EXTERN int mp_queue_proxy_qsize(mp_proxy *p, int64_t *out);
MP_EXTERN int mp_queue_proxy_empty(mp_proxy *p);
MP_EXTERN int mp_queue_proxy_full(mp_proxy *p);
MP_EXTERN int mp_queue_proxy_task_done(mp_proxy *p);
MP_EXTERN int mp_queue_proxy_join(mp_proxy *p, mp_timeout_ms timeout);

/* Lock, RLock, Semaphore, BoundedSemaphore and Condition: acquire waits at most timeout ms
 * (0 tries once) and returns 0 or MP_ETIMEDOUT; release returns MP_ESTATE for a Lock not held
 * or an RLock/Condition not held by the calling thread, -EOVERFLOW for a BoundedSemaphore
 * released too often.  An RLock's owner is the calling thread (pid and tid), as in Python. */
MP_EXTERN int mp_lock_proxy_acquire(mp_proxy *p, mp_timeout_ms timeout);
MP_EXTERN int mp_lock_proxy_release(mp_proxy *p);

/* Condition: wait (releases, waits at most timeout ms for a notify, re-acquires: 0 when
 * notified, MP_ETIMEDOUT otherwise; MP_ESTATE when not held), notify(n), notify_all(). */
MP_EXTERN int mp_condition_proxy_wait(mp_proxy *p, mp_timeout_ms timeout);
MP_EXTERN int mp_condition_proxy_notify(mp_proxy *p, int n);
/* wait_for(predicate, timeout), which Python's proxy runs on the client side too: with the
 * lock held, evaluates pred(arg) and waits until it is true, at most timeout ms in all.
 * Returns 0 once it is true, MP_ETIMEDOUT when the timeout passed with it false; errors as
 * mp_condition_proxy_wait(), -EINVAL for a NULL pred. */
MP_EXTERN int mp_condition_proxy_wait_for(mp_proxy *p, bool (*pred)(void *arg), void *arg,
                                          mp_timeout_ms timeout);
MP_EXTERN int mp_condition_proxy_notify_all(mp_proxy *p);

/* Event: set, clear, is_set (1 / 0), wait (0 when set, MP_ETIMEDOUT). */
MP_EXTERN int mp_event_proxy_set(mp_proxy *p);
MP_EXTERN int mp_event_proxy_clear(mp_proxy *p);
MP_EXTERN int mp_event_proxy_is_set(mp_proxy *p);
MP_EXTERN int mp_event_proxy_wait(mp_proxy *p, mp_timeout_ms timeout);

/* Barrier: wait (the arrival index 0..parties-1, or MP_EBROKEN -- also when this caller's
 * timeout passes, which breaks the barrier as in Python), abort, reset, n_waiting, broken
 * (1 / 0), parties. */
MP_EXTERN int mp_barrier_proxy_wait(mp_proxy *p, mp_timeout_ms timeout);
MP_EXTERN int mp_barrier_proxy_abort(mp_proxy *p);
MP_EXTERN int mp_barrier_proxy_reset(mp_proxy *p);
MP_EXTERN int mp_barrier_proxy_n_waiting(mp_proxy *p);
MP_EXTERN int mp_barrier_proxy_broken(mp_proxy *p);
MP_EXTERN int mp_barrier_proxy_parties(mp_proxy *p);

#ifdef __cplusplus
}
#endif
#endif
