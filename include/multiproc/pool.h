/* SPDX-License-Identifier: MIT */
/* multiproc/pool.h -- Python's multiprocessing.Pool and multiprocessing.pool.ThreadPool:
 * worker processes (or threads) that run tasks, AsyncResult, map/imap/starmap, and a typed
 * array fast path.
 *
 * Differences from Python, all on purpose:
 *   - A worker that dies (signal, crash, exit() inside a task) fails only the task it was
 *     running, with MP_EWORKER; the worker is replaced and everything else completes.  Python
 *     waits forever in that case.
 *   - An optional per-task timeout kills the worker running an overdue task and fails that task
 *     with MP_ETIMEDOUT.
 *   - Tasks travel through the shared heap (multiproc/heap.h), not through pipes: a submission
 *     that returned is in shared memory, and no feeder or handler thread sits between the
 *     caller and the workers.
 *
 * Functions and arguments.  A task function is a plain C function; the pool passes its
 * address to the workers, which are forks of the caller, so any function of the program works.
 * Arguments and results are copied: bytes travel as they are, values (obj.h) are encoded with
 * MessagePack (a value that is a bytes object travels raw).  A worker sees the memory of the
 * program as it was when the worker was forked (at mp_pool_new(), or later when a worker is
 * replaced), plus the shared heap; pass everything else through the argument.
 *
 * Threads.  Every call may be made from any thread of the process that made the pool, except
 * mp_pool_free(), which must be the last call.  Callbacks run in that process, on the pool's
 * one result thread, one at a time, in the order the results completed (seed 002-6 prints the
 * main PID from one).  A callback must not block for long (it delays the callbacks behind it
 * and the replacement of dead workers), must not wait for other results of its own pool, and
 * must not end it (mp_pool_join() returns MP_ESTATE there, mp_pool_free() is ignored). */
#ifndef MULTIPROC_POOL_H
#define MULTIPROC_POOL_H

#include <stdbool.h>
#include <stddef.h>

#include "common.h"
#include "obj.h"
#include "process.h" /* mp_start_method */

#ifdef __cplusplus
extern "C" {
#endif

struct mp_pool_backend;
typedef struct mp_pool mp_pool;
typedef struct mp_async_result mp_async_result;

/* ---- the worker side: what a task function sees ---- */

/* The task being run.  Only valid inside the task function, in the worker. */
typedef struct mp_task mp_task;

/* A task function: reads its argument with mp_task_arg()/mp_task_arg_obj(), sets its result
 * with mp_task_return()/mp_task_return_obj() (no result: an empty bytes result, or None for
 * the _obj getters), and returns 0.  A non-zero return is the task's error status: the task
 * fails with MP_ETASK and that status, and the message set by mp_task_error() (or "task
 * returned status N"). */
typedef int (*mp_task_fn)(mp_task *t);

/* The argument's bytes and length.  For a value argument these are its MessagePack encoding;
 * for raw bytes (or a bytes value) the bytes themselves.  The memory belongs to the pool and
 * stays valid until the task function returns. */
MP_EXTERN const void *mp_task_arg(const mp_task *t, size_t *len);

/* Decodes the argument into a value (a new reference the caller releases).  Raw bytes come
 * back as a bytes value.  Errors: MP_ECORRUPT, MP_ETOOBIG, -ENOMEM. */
MP_EXTERN int mp_task_arg_obj(const mp_task *t, mp_obj **out);

/* The position of this task's item in the map (0 for apply). */
MP_EXTERN size_t mp_task_index(const mp_task *t);

/* Sets the task's result to a copy of len bytes (replacing an earlier one).  Any size; the
 * bytes go into the shared heap.  Errors: -EINVAL, -ENOMEM (the heap is full). */
MP_EXTERN int mp_task_return(mp_task *t, const void *buf, size_t len);

/* Sets the task's result to a value, encoded (a bytes value is stored raw).  The value is
 * borrowed.  Errors: -EINVAL, -ENOMEM, MP_ETOOBIG. */
MP_EXTERN int mp_task_return_obj(mp_task *t, const mp_obj *o);

/* Sets the message of the error the running task (or array element function) is about to
 * return, printf-style, truncated to MP_TASK_MSG_MAX - 1 bytes, and returns status so that
 * `return mp_task_error(3, "bad input %d", x);` reads naturally.  Outside a task it only
 * returns status. */
#define MP_TASK_MSG_MAX 256
MP_EXTERN int mp_task_error(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* An element function for the typed array map: reads one input element at in, writes one
 * output element at out (NULL when the map has no output), returns 0, or a non-zero status to
 * fail the element's chunk (the message comes from mp_task_error()).  starmap's form: in
 * points at one argument struct. */
typedef int (*mp_map_fn)(const void *in, void *out);

/* ---- making a pool ---- */

/* Options for mp_pool_new(); NULL or a zeroed struct means the defaults. */
typedef struct mp_pool_opts {
  int processes; /* workers; 0: mp_usable_cpu_count() */
  int (*initializer)(void *arg); /* run in each worker before its first task; non-zero fails */
  void *initarg; /* passed to initializer (the worker's copy of the pointer) */
  /* Tasks (chunks) a worker runs before it is replaced by a fresh one; 0: no limit. */
  unsigned maxtasksperchild;
  /* A task (one chunk) still running after this many ms has its worker killed and fails with
   * MP_ETIMEDOUT; the worker is replaced.  0 or negative: no limit.  Processes only: a thread
   * cannot be stopped, so a thread pool refuses it with -ENOTSUP. */
  mp_timeout_ms task_timeout;
  bool threads; /* true: a ThreadPool (multiprocessing.dummy) with the same API */
  /* How worker processes start (multiproc/start.h); MP_START_DEFAULT: the program's default.
   * Under forkserver and spawn, workers are never forked from a thread of the caller: every
   * task function, element function and the initializer must be registered (MP_TASK,
   * MP_MAP_TASK, MP_TARGET; submitting another fails with MP_ENOTREG), and initarg must be
   * NULL or point into the shared heap.  Ignored by a ThreadPool. */
  mp_start_method start_method;
  /* Run the tasks somewhere else (multiproc/pool_backend.h; e.g. mp_mpi_backend() from
   * multiproc/mpi.h, whose slots are MPI ranks); NULL: local workers.  processes,
   * threads and start_method are then ignored (the backend says how many slots it serves);
   * tasks must be registered (MP_ENOTREG otherwise); initializer, maxtasksperchild and
   * task_timeout are refused with -ENOTSUP (a remote executor cannot be replaced or killed
   * per task). */
  const struct mp_pool_backend *backend;
} mp_pool_opts;

/* Starts a pool: its result thread, which forks the workers (named "ForkPoolWorker-N" like
 * Python's; threads for a ThreadPool).  Workers are daemons: they die with the process that
 * made the pool, even if it is killed (and are not tied to the thread that called this).  An
 * initializer that fails (non-zero) in three workers in a row, before any worker got through
 * it, breaks the pool: its pending tasks fail with MP_EWORKER and later submissions with
 * MP_EBROKEN, instead of workers being restarted forever.  A pool still open when the process
 * exits is terminated, as Python's finalizers do.  Only the process that made the pool may use
 * it (others get MP_ESTATE; mp_pool_free() there does nothing).
 * Errors: -EINVAL (processes < 0), -ENOTSUP (task_timeout with threads), -ENOMEM, negative
 * errno from fork/pthread_create. */
MP_EXTERN int mp_pool_new(mp_pool **out, const mp_pool_opts *opts);

/* The number of workers. */
MP_EXTERN int mp_pool_size(const mp_pool *p);

/* close(): no more submissions (they fail with MP_ECLOSED); workers finish every submitted
 * task and then leave.  Idempotent.  Errors: -EINVAL. */
MP_EXTERN int mp_pool_close(mp_pool *p);

/* terminate(): stops now.  Worker processes are killed (SIGKILL); a thread worker finishes its
 * current chunk.  Every task not finished fails with MP_ECLOSED, so nothing waits on it
 * forever.  Idempotent.  Errors: -EINVAL. */
MP_EXTERN int mp_pool_terminate(mp_pool *p);

/* join(): waits for every worker and the result thread to finish, after mp_pool_close() or
 * mp_pool_terminate(); afterwards every result is ready and every callback has run.
 * Errors: MP_ESTATE (the pool is still open, or called from a callback), MP_ETIMEDOUT, -EINTR
 * (mp_interrupt(); mp_pool_free() still waits for the pool to end). */
MP_EXTERN int mp_pool_join(mp_pool *p, mp_timeout_ms timeout);

/* Terminates the pool unless it was joined, joins it and frees it; NULL accepted.  Results
 * made by the pool stay valid (each is freed with mp_async_result_free()). */
MP_EXTERN void mp_pool_free(mp_pool *p);

/* ---- submitting ---- */

/* Called in the pool's process, on its result thread, when a result is ready: callback on
 * success, error_callback on failure (read the error with mp_async_result_error()).  The
 * result is borrowed for the call; it is freed by its owner as usual. */
typedef void (*mp_result_cb)(mp_async_result *r, void *user);

typedef struct mp_async_opts {
  mp_result_cb callback;
  mp_result_cb error_callback;
  void *user; /* passed to both */
  /* This submission's own task timeout, in ms (concurrent.futures' per-call limit): a task
   * (chunk) of it still running after that long has its worker killed and fails with
   * MP_ETIMEDOUT, the worker being replaced, as with mp_pool_opts.task_timeout, which it
   * overrides for this submission.  Enforced within ~50 ms of the deadline.  0: the pool's.
   * Process pools only: a ThreadPool or a backend pool refuses it with -ENOTSUP. */
  mp_timeout_ms task_timeout;
} mp_async_opts;

/* apply_async(fn, arg): runs fn on one worker with a copy of len bytes at arg (NULL for
 * none).  *out is a new result the caller frees.  opts may be NULL.
 * Errors: -EINVAL, MP_ECLOSED (pool closed or terminated), MP_EBROKEN (the initializer keeps
 * failing), MP_ESTATE (not the pool's process), -ENOMEM.  Never blocks. */
MP_EXTERN int mp_pool_apply_async(mp_pool *p, mp_task_fn fn, const void *arg, size_t len,
                                  const mp_async_opts *opts, mp_async_result **out);

/* apply_async with a value argument (borrowed, encoded; a bytes value travels raw). */
MP_EXTERN int mp_pool_apply_async_obj(mp_pool *p, mp_task_fn fn, const mp_obj *arg,
                                      const mp_async_opts *opts, mp_async_result **out);

/* The synchronous calls below (apply, map, map_array, starmap) are the _async call, then get()
 * with their timeout (MP_FOREVER: none).  When that wait ends without the result -- the
 * timeout (MP_ETIMEDOUT) or mp_interrupt() (-EINTR) -- the tasks that had not started are
 * cancelled and the running ones are left to finish, their results dropped. */

/* apply(fn, arg): on success the result bytes are in a new malloc'd buffer (*result,
 * *result_len; free() it); result may be NULL to drop them.  Errors: those of apply_async and
 * of mp_async_result_get(). */
MP_EXTERN int mp_pool_apply(mp_pool *p, mp_task_fn fn, const void *arg, size_t len, void **result,
                            size_t *result_len, mp_timeout_ms timeout);

/* apply with a value argument and a value result (*result: a new reference, or NULL). */
MP_EXTERN int mp_pool_apply_obj(mp_pool *p, mp_task_fn fn, const mp_obj *arg, mp_obj **result,
                                mp_timeout_ms timeout);

/* map_async(fn, items, chunksize): items is a list or tuple of values; fn runs once per item,
 * chunksize items per task (0: Python's rule, ceil(n / (4 * workers))).  Read the results per
 * item with mp_async_result_item*() or all at once with mp_async_result_list().  The result
 * fails if any task fails.  Errors: -EINVAL (items not a list/tuple), MP_ECLOSED, MP_ESTATE,
 * -ENOMEM, MP_ETOOBIG (an item cannot be encoded). */
MP_EXTERN int mp_pool_map_async(mp_pool *p, mp_task_fn fn, const mp_obj *items, size_t chunksize,
                                const mp_async_opts *opts, mp_async_result **out);

/* map(fn, items, chunksize): *results is a new list of the result values.  Errors: those of
 * map_async, and the first task error in completion order as get() gives it (use map_async
 * when the status and message matter). */
MP_EXTERN int mp_pool_map(mp_pool *p, mp_task_fn fn, const mp_obj *items, size_t chunksize,
                          mp_obj **results, mp_timeout_ms timeout);

/* imap(fn, items, chunksize): like map_async, consumed in order with mp_async_result_next(),
 * each item as soon as it (and those before it) are done.  chunksize 0 means 1, as in Python. */
MP_EXTERN int mp_pool_imap(mp_pool *p, mp_task_fn fn, const mp_obj *items, size_t chunksize,
                           mp_async_result **out);

/* imap_unordered: the same, but mp_async_result_next() gives items in completion order. */
MP_EXTERN int mp_pool_imap_unordered(mp_pool *p, mp_task_fn fn, const mp_obj *items,
                                     size_t chunksize, mp_async_result **out);

/* The typed array fast path: out[i] = fn(in[i]) for n elements of in_size bytes, writing
 * out_size-byte elements (out may be NULL with out_size 0), chunksize elements per task (0:
 * Python's rule).  No element is encoded: whole chunks move through the shared heap, and when
 * in and out already lie in it (mp_shared_alloc, mp_array_ptr) the workers read and write them
 * in place.  Otherwise the input is copied in at submission, and the output copied out once
 * the map is done, in mp_async_result_get()/wait() or before the callback; until then the
 * caller must keep out valid and untouched.  in must not change until the map is done.
 * Errors: -EINVAL (in NULL with n > 0, in_size 0, out/out_size mismatch), MP_ECLOSED,
 * MP_ESTATE, -ENOMEM. */
MP_EXTERN int mp_pool_map_array_async(mp_pool *p, mp_map_fn fn, const void *in, size_t n,
                                      size_t in_size, void *out, size_t out_size, size_t chunksize,
                                      const mp_async_opts *opts, mp_async_result **out_result);

/* map_array_async and get.  After a timeout or an interrupt, an out outside the shared heap is
 * left as it was (elements are copied out only when the whole map is done); an out in the heap
 * holds what the finished chunks wrote, and the chunks still running may yet write theirs. */
MP_EXTERN int mp_pool_map_array(mp_pool *p, mp_map_fn fn, const void *in, size_t n, size_t in_size,
                                void *out, size_t out_size, size_t chunksize,
                                mp_timeout_ms timeout);

/* starmap(fn, args): the C form of fn(*args) over a sequence -- fn receives a pointer to
 * one argument struct (args_size bytes each) and writes one out_size-byte result.  The same
 * machinery and rules as mp_pool_map_array(). */
MP_EXTERN int mp_pool_starmap(mp_pool *p, mp_map_fn fn, const void *args, size_t n,
                              size_t args_size, void *out, size_t out_size, size_t chunksize,
                              mp_timeout_ms timeout);
MP_EXTERN int mp_pool_starmap_async(mp_pool *p, mp_map_fn fn, const void *args, size_t n,
                                    size_t args_size, void *out, size_t out_size, size_t chunksize,
                                    const mp_async_opts *opts, mp_async_result **out_result);

/* ---- AsyncResult ---- */

/* wait(timeout): 0 once the result is ready (success or failure), MP_ETIMEDOUT otherwise.  A
 * result with a callback is ready once its callback has returned, as in Python (inside the
 * callback, its own result already counts as ready). */
MP_EXTERN int mp_async_result_wait(mp_async_result *r, mp_timeout_ms timeout);

/* get(timeout): waits like wait(), then returns 0 if every task succeeded, else the error of
 * the first task that failed (in completion order): MP_ETASK (the task returned a non-zero
 * status), MP_EWORKER (its worker died: signal or exit status in mp_async_result_error()),
 * MP_ETIMEDOUT (the pool's task_timeout) or MP_ECLOSED (the pool was terminated).  A timeout
 * of the wait itself is also MP_ETIMEDOUT and leaves the tasks running: tell the two apart with
 * mp_async_result_ready().  -EINTR: mp_interrupt() (multiproc/interrupt.h) stopped the wait;
 * the tasks go on.  The same holds for every call that waits for a result (apply, map, next,
 * wait_any, wait_all). */
MP_EXTERN int mp_async_result_get(mp_async_result *r, mp_timeout_ms timeout);

/* ready(): whether every task of the result has finished (without waiting). */
MP_EXTERN bool mp_async_result_ready(mp_async_result *r);

/* successful(): 1 if ready and every task succeeded, 0 if ready with a failure, MP_ENOTREADY
 * if not ready yet (Python raises ValueError there). */
MP_EXTERN int mp_async_result_successful(mp_async_result *r);

/* The error of a failed ready result: its code (as get() returns it), the status (the task's
 * return value for MP_ETASK; the worker's exit code, or -signal, for MP_EWORKER; 0 otherwise)
 * and a message owned by the result.  Any pointer may be NULL.  Returns 0, or MP_ENOTREADY, or
 * MP_ESTATE when the result succeeded. */
MP_EXTERN int mp_async_result_error(mp_async_result *r, int *code, int *status,
                                    const char **message);

/* The number of items (1 for apply, n for the maps). */
MP_EXTERN size_t mp_async_result_len(const mp_async_result *r);

/* Progress of a long map: how many items are finished (successfully or not) and the total.
 * Counters only; never waits. */
MP_EXTERN void mp_async_result_progress(mp_async_result *r, size_t *done, size_t *total);

/* The result bytes of item i of a ready item (for apply, i = 0): borrowed, valid until the
 * result is freed.  A value result gives its encoding (a bytes value its raw bytes).
 * Errors: -EINVAL (i out of range, or an array map), MP_ENOTREADY (its task is not done), or
 * the item's task error (see get()). */
MP_EXTERN int mp_async_result_item(mp_async_result *r, size_t i, const void **data, size_t *len);

/* Item i as a value (a new reference): decoded, or a bytes value for raw bytes. */
MP_EXTERN int mp_async_result_item_obj(mp_async_result *r, size_t i, mp_obj **out);

/* Gives back the memory of item i's result once it has been read: with imap/imap_unordered
 * and next(), releasing each item after use keeps a long map's memory bounded by the results
 * not yet consumed, as Python's imap is (a result holds every item's result until it is freed
 * otherwise: a map of n large results needs all n at once).  Afterwards the item reads as
 * MP_ESTATE (so does mp_async_result_list()).  A failed item has nothing to release; it is
 * marked all the same.  Errors: -EINVAL (i out of range, an array map), MP_ENOTREADY (its task
 * is not done), MP_ESTATE (released already). */
MP_EXTERN int mp_async_result_item_release(mp_async_result *r, size_t i);

/* The error of item i's task, as mp_async_result_error() does for the whole result: 0 with the
 * details when it failed, MP_ESTATE when it succeeded, MP_ENOTREADY while it runs. */
MP_EXTERN int mp_async_result_item_error(mp_async_result *r, size_t i, int *code, int *status,
                                         const char **message);

/* Every item's value in a new list (*out), after a successful get().  Errors: MP_ENOTREADY, the
 * result's error, -ENOMEM, MP_ECORRUPT. */
MP_EXTERN int mp_async_result_list(mp_async_result *r, mp_obj **out);

/* imap's next(timeout): the index of the next item in *index -- in item order, except for
 * mp_pool_imap_unordered(), whose items come in completion order -- waiting up to timeout for
 * it.  Returns 0 (read the item with mp_async_result_item*()), the item's task error (its index
 * is still given, and the iteration moves past it), MP_EOF when every item has been given, or
 * MP_ETIMEDOUT (nothing consumed).  For the results of apply and map too; -EINVAL for an array
 * map.  One thread at a time per result. */
MP_EXTERN int mp_async_result_next(mp_async_result *r, size_t *index, mp_timeout_ms timeout);

/* ---- futures: cancelling, waiting for several, event loops ---- */

/* cancel(): cancels every task (chunk) of the result that no worker has started: they fail
 * with MP_ECANCELLED at once; tasks already running or finished are not touched, so get() then
 * reports MP_ECANCELLED for the cancelled items only (and the result is ready once the running
 * ones end).  *cancelled (may be NULL) gets the number of items cancelled.  Returns 0 when it
 * cancelled something, MP_ESTATE when nothing was left to cancel (as Python's Future.cancel()
 * returns False).  Errors: -EINVAL. */
MP_EXTERN int mp_async_result_cancel(mp_async_result *r, size_t *cancelled);

/* A file descriptor that becomes readable once the result is ready (as mp_async_result_ready()
 * says, callbacks included) and stays readable: give it to poll/epoll or an event loop
 * (libuv's uv_poll_t) and call mp_async_result_get(r, 0) when it fires.  Made on first use and
 * owned by the result (closed by mp_async_result_free(); do not close or read it).  The result
 * thread makes it readable, so it fires a few microseconds after the task ends.
 * Errors: -EINVAL, negative errno of eventfd(). */
MP_EXTERN int mp_async_result_fd(mp_async_result *r, int *fd);

/* A file descriptor of the pool for an event loop: it becomes readable after any submission of
 * the pool has finished (and whenever the pool's workers end or are replaced); read its 8-byte
 * counter to reset it, then look at your results with mp_async_result_ready().  It may fire
 * with nothing new finished; a submission that finished before the first call does not make it
 * fire (look at results once after asking).  Made on first use and owned by the pool (closed by
 * mp_pool_free(); do not close it).  Asking for it makes each completion wake the pool's
 * result thread, a few microseconds per task.  Errors: -EINVAL, MP_ESTATE (not the pool's
 * process), negative errno of eventfd(). */
MP_EXTERN int mp_pool_fd(mp_pool *p, int *fd);

/* concurrent.futures' wait(FIRST_COMPLETED) and as_completed(): waits until one of the n
 * results in rs is ready and gives the lowest such index in *index.  NULL entries are skipped,
 * so setting each one returned to NULL and calling again gives the results in completion
 * order.  Results may come from different pools.  Returns 0, MP_ETIMEDOUT, -EINVAL (no
 * non-NULL entry), or an error of mp_async_result_fd(). */
MP_EXTERN int mp_async_result_wait_any(mp_async_result *const *rs, size_t n, mp_timeout_ms timeout,
                                       size_t *index);

/* wait(ALL_COMPLETED): waits until every non-NULL result in rs is ready.  0 or MP_ETIMEDOUT
 * (some are not ready), -EINVAL. */
MP_EXTERN int mp_async_result_wait_all(mp_async_result *const *rs, size_t n, mp_timeout_ms timeout);

/* Frees the result; NULL accepted.  A result whose tasks still run may be freed: the pool
 * drops it when they finish, and its callbacks still run. */
MP_EXTERN void mp_async_result_free(mp_async_result *r);

#ifdef __cplusplus
}
#endif
#endif
