/* SPDX-License-Identifier: MIT */
/* multiproc/pool_backend.h -- running a Pool's tasks somewhere else: the interface between the
 * pool and an executor that is not a local worker (libmultiproc-mpi's ranks, multiproc/mpi.h).
 *
 * A pool made with mp_pool_opts.backend keeps everything a caller sees -- apply, the maps,
 * imap, AsyncResult, callbacks, progress, close/terminate/join -- and hands its chunks to the
 * backend instead of forking workers.  The backend serves a fixed number of slots (its
 * executors: a remote process, or one lane of one).  For each slot it claims a chunk, ships
 * it, and completes it with the results or an error; the pool does the rest.  All of it runs
 * in the pool's process; a backend's slots need not be processes of this machine.
 *
 * Tasks are named: a backend runs functions in another image (another process, another
 * machine), so a backend pool takes only registered functions (MP_TASK, MP_MAP_TASK in
 * start.h); any other fails with MP_ENOTREG at submission.
 *
 * Most programs never include this file: they use a backend's own header.  It is public so
 * that a backend can live in a library of its own. */
#ifndef MULTIPROC_POOL_BACKEND_H
#define MULTIPROC_POOL_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "pool.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What a backend provides.  The pool calls start() once, from its result thread, when the
 * pool is made; terminate() from mp_pool_terminate() (any thread of the pool's process).
 * Both get ctx, the backend's own pointer. */
typedef struct mp_pool_backend {
  const char *name; /* for messages: "mpi"; NULL reads as "backend" */
  void *ctx;
  /* The number of slots it serves (> 0), asked once before start(). */
  int (*slots)(void *ctx);
  /* Starts serving pool p, e.g. on a thread of its own; returns 0 or a negative error (the
   * pool is then not made).  From then on the backend claims and completes p's chunks with
   * the functions below, and ends each slot with mp_pool_backend_slot_exit(): when a claim
   * says the pool is done (MP_ECLOSED), or when the slot's executor is lost. */
  int (*start)(mp_pool *p, void *ctx);
  /* The pool was terminated (chunks nobody claimed have failed with MP_ECLOSED): the backend
   * should complete every chunk its slots hold soon -- with MP_ECLOSED unless it has the
   * results -- and let its slots claim, which then says MP_ECLOSED.  Held chunks stay the
   * backend's until it completes them, so results that come later are its to drop.  May be
   * NULL: the held chunks then finish as they would. */
  void (*terminate)(mp_pool *p, void *ctx);
} mp_pool_backend;

/* A chunk held by a slot: consecutive items [first, first + count) of one submission.  It and
 * the memory it points to stay valid until the backend completes it. */
typedef struct mp_pool_chunk {
  bool array; /* a typed array map (elements) rather than generic tasks */
  const char *task_name; /* the registered name of its function (static string) */
  size_t first, count; /* the items */
  /* array: count input elements of in_size bytes at in; out has room for count out_size-byte
   * elements (NULL when the map has no output), which the backend writes before completing.
   * Both in the shared heap, owned by the pool. */
  const void *in;
  size_t in_size;
  void *out;
  size_t out_size;
  /* the pool's own: which job, chunk and claim this is */
  void *job_;
  uint64_t chunk_;
  uint64_t seq_;
} mp_pool_chunk;

/* Claims the next chunk for slot, which must hold none.  Returns 1 with *c filled, 0 when there
 * is no work now (*seq, when not NULL, is what mp_pool_backend_wait_work() waits to change),
 * or MP_ECLOSED when the slot must exit: the pool was closed and has nothing left to claim, or
 * was terminated, or broke.  Errors: -EINVAL (p, c NULL or slot out of range), MP_ESTATE (the
 * slot has exited). */
MP_EXTERN int mp_pool_backend_claim(mp_pool *p, int slot, mp_pool_chunk *c, uint32_t *seq);

/* Waits until work may have appeared since the claim that gave *seq, or timeout.  Returns 0
 * (look again) or MP_ETIMEDOUT. */
MP_EXTERN int mp_pool_backend_wait_work(mp_pool *p, uint32_t seq, mp_timeout_ms timeout);

/* Item i (first <= i < first + count) of a generic chunk: its argument bytes, and whether they
 * are raw bytes (true) or a MessagePack encoding.  Borrowed; valid until the chunk is
 * completed.  Errors: -EINVAL (an array chunk, or i out of range). */
MP_EXTERN int mp_pool_backend_item_arg(const mp_pool_chunk *c, size_t i, const void **data,
                                       size_t *len, bool *raw);

/* Stores the result of item i of the generic chunk slot holds (a copy of len bytes, raw or an
 * encoding).  Errors: -EINVAL, MP_ESTATE (slot does not hold c), -ENOMEM (the shared heap is
 * full: complete the chunk with an error). */
MP_EXTERN int mp_pool_backend_set_result(mp_pool *p, int slot, mp_pool_chunk *c, size_t i,
                                         const void *data, size_t len, bool raw);

/* Completes the chunk slot holds: code 0 means every item succeeded (results stored); else the
 * chunk fails with code (MP_ETASK, MP_EWORKER, MP_ECLOSED, ...), status and message (NULL for
 * none), as a local worker's chunk would.  Afterwards c and the memory it points to are no
 * longer the backend's.  Errors: -EINVAL, MP_ESTATE (slot does not hold c: completed already,
 * or another slot's). */
MP_EXTERN int mp_pool_backend_complete(mp_pool *p, int slot, mp_pool_chunk *c, int code, int status,
                                       const char *message);

/* The slot's executor is gone for good (lost, or it left after MP_ECLOSED): code is its exit
 * status (0 for a normal exit, -signal, or another non-zero value) and what names it for
 * messages ("MPI rank 2 on host h2"; copied).  It must hold no chunk (complete it first).  A
 * slot never comes back; when every slot of an open pool has exited, the pool breaks: waiting
 * chunks fail with MP_EWORKER and new submissions with MP_EBROKEN.  Errors: -EINVAL,
 * MP_ESTATE (it holds a chunk, or already exited). */
MP_EXTERN int mp_pool_backend_slot_exit(mp_pool *p, int slot, int code, const char *what);

/* ---- the other side: running a chunk that came from elsewhere ----
 * An executor that received a chunk (its task's name and the items' bytes) runs it in its own
 * process with these, so the task function sees what a local worker's would. */

/* One generic task's outcome.  result is malloc'd (the caller frees it) or NULL for none. */
typedef struct mp_task_outcome {
  int status; /* the task function's return value (0: success) */
  void *result; /* what it stored with mp_task_return*(), or NULL */
  size_t len;
  bool raw; /* result is raw bytes (mp_task_return) rather than an encoding */
  char message[MP_TASK_MSG_MAX]; /* mp_task_error()'s message, or "" */
} mp_task_outcome;

/* Runs fn on one item (index, argument bytes, raw or an encoding) in this thread.  Returns 0
 * with *out filled (a failing task is a status in *out, not an error here), or -ENOMEM when
 * its result could not be kept (out->result is then NULL). */
MP_EXTERN int mp_task_run(mp_task_fn fn, size_t index, const void *arg, size_t len, bool raw,
                          mp_task_outcome *out);

/* Runs an element function over n elements, as one chunk of the typed array map.  Returns 0,
 * or the first failing element's status (message in msg, of MP_TASK_MSG_MAX bytes, when not
 * NULL); *failed_at (may be NULL) gets that element's position. */
MP_EXTERN int mp_map_task_run(mp_map_fn fn, const void *in, size_t n, size_t in_size, void *out,
                              size_t out_size, char *msg, size_t *failed_at);

#ifdef __cplusplus
}
#endif
#endif
