/* SPDX-License-Identifier: MIT */
/* pool_internal.h -- the pool's shared state and the pieces that share it.
 *
 * Everything the workers touch lives in the shared heap: the pool's control block with one slot
 * per worker (pool_shared), and one job per submission (pool_job).  A job is cut into chunks;
 * a worker claims a chunk, runs it outside any lock, and completes it -- completing the last
 * chunk and claiming the next in one critical section under the pool's owner-tracking lock.
 *
 * A worker may be killed anywhere.  Two rules make that safe (docs/pool.md):
 *   - Who holds what is always written down: a slot names the chunk its worker holds, so the
 *     result thread can fail exactly that chunk when the worker dies, and nothing else.
 *   - Every critical section of a worker is a redo log (pool_txn): the new values of every word
 *     it changes are computed first and written into the worker's slot, then one store commits
 *     the log, then the values are applied.  A worker killed before the commit changed nothing;
 *     one killed after it is finished by whoever takes the lock next (it sees MP_EOWNERDEAD and
 *     re-applies the log: plain assignments, so applying twice is harmless).
 * Parent-side writers (submission, failing chunks) run in the pool's own process, which cannot
 * die alone, so they write directly. */
#ifndef MP_POOL_INTERNAL_H
#define MP_POOL_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "internal.h"
#include "multiproc/pool.h"
#include "os/olock.h"
#include "start/start_internal.h"

/* ---- chunk states: one word per chunk ----
 * Anything above CHUNK_DONE is a pointer to the pool_error that failed the chunk. */
#define CHUNK_PENDING 0u
#define CHUNK_CLAIMED 1u
#define CHUNK_DONE 2u
#define chunk_failed(w) ((w) > CHUNK_DONE)

/* The error of a failed chunk, in the heap (freed with its job). */
typedef struct pool_error {
  int32_t code; /* MP_ETASK, MP_EWORKER, MP_ETIMEDOUT, MP_ECLOSED */
  int32_t status; /* task status, worker exit code (-signal), or 0 */
  char message[MP_TASK_MSG_MAX];
} pool_error;

/* ---- results of generic tasks: one descriptor per item ---- */
#define RES_INLINE_MAX 16
#define RES_SET 1u /* the task stored a result */
#define RES_RAW 2u /* raw bytes rather than a MessagePack encoding */
#define RES_INLINE 4u /* the bytes sit in inline_ rather than in a heap block */
#define RES_RELEASED 8u /* the caller gave it back (mp_async_result_item_release) */
typedef struct pool_res {
  uint32_t flags;
  uint32_t pad_;
  uint64_t len;
  union {
    unsigned char inline_[RES_INLINE_MAX];
    struct {
      void *block; /* heap block of cap bytes */
      uint64_t cap;
    } heap;
  } u;
} pool_res;

typedef enum { JOB_GENERIC, JOB_ARRAY } pool_job_kind;

/* Job flags */
#define JOB_CALLBACK 1u /* completion goes onto the pool's done list for the result thread */
#define JOB_UNORDERED 2u /* keep the completion order of chunks (imap_unordered) */
#define JOB_ORPHAN 4u /* the caller freed the result early: the result thread frees the job */
#define JOB_NOTIFY                                                                                 \
  8u /* completion goes onto the done list: the result thread makes the
                          * result's fd readable (mp_async_result_fd) */
/* The done list holds one reference to the result: JOB_CALLBACK's (taken at submission), or
 * else JOB_NOTIFY's, or else JOB_ORPHAN's; whichever flag comes first takes it. */
#define JOB_ON_DONE_LIST (JOB_CALLBACK | JOB_ORPHAN | JOB_NOTIFY)

/* One submission.  Fields marked [lock] change only under the pool lock. */
typedef struct pool_job {
  uint32_t kind;
  uint32_t flags;
  uint64_t n; /* items */
  uint64_t chunksize; /* items per chunk */
  uint64_t nchunks;
  union {
    mp_task_fn task;
    mp_map_fn elem;
  } fn; /* valid in the pool's image: fork workers call it */
  mp__task_ref ref; /* its name: forkserver and spawn workers look it up in their image */
  int64_t timeout_ns; /* its own task timeout (mp_async_opts.task_timeout), or 0 */

  uint64_t next_chunk; /* [lock] first chunk nobody claimed */
  uint64_t done_chunks; /* [lock] chunks finished; the futex of waiters is its low half */
  uint64_t done_items; /* [lock] progress */
  uint64_t first_error; /* [lock] the first chunk to fail, + 1 (0: none) */
  uint64_t order_n; /* [lock] JOB_UNORDERED: entries in order[] */
  uint64_t next_active; /* [lock] link in the pool's list of jobs with unclaimed chunks */
  uint64_t next_done; /* [lock] link in the pool's list of finished callback jobs */
  _Atomic uint32_t waiters; /* somebody in the pool's process sleeps on done_chunks ... */
  _Atomic uint64_t wake_at; /* ... and wants a wake-up once it reaches this (the least asked) */
  _Atomic uint32_t delivered; /* JOB_CALLBACK: the callback has returned (futex of get/wait) */

  uint64_t *chunk_state; /* nchunks words */
  uint64_t *order; /* JOB_UNORDERED: chunk indices in completion order, else NULL */

  /* JOB_GENERIC: the arguments, packed: item i is args[arg_off[i] .. arg_off[i + 1]), raw when
   * bit 63 of arg_off[i] is set.  res[i] is its result. */
  uint64_t *arg_off;
  unsigned char *args;
  pool_res *res;

  /* JOB_ARRAY: elements in the heap (the caller's arrays, or copies). */
  const unsigned char *in;
  unsigned char *out;
  uint64_t in_size, out_size;

  /* Heap blocks owned by the job besides this header (which is a small block of its own, so
   * a worker reading it just after the job was freed reads reused memory, never a hole). */
  void *arrays; /* chunk_state, order, arg_off, res and args, in one block */
  uint64_t arrays_size;
  uint64_t in_owned, out_owned; /* bytes of the copies of in/out made at submission, or 0 */
  pool_error *bulk_error; /* the one record of chunks failed together (terminate), or NULL */
  struct pool_stage *stage; /* where in_owned/out_owned blocks go back to (parent only) */
  void *owner; /* the mp_async_result in the pool's process (never read by workers) */
} pool_job;

#define ARG_RAW (UINT64_C(1) << 63)

/* ---- the redo log of a worker's critical section ---- */
#define TXN_MAX 24
typedef struct pool_txn {
  _Atomic uint32_t committed; /* 1 from the commit until every entry is applied */
  uint32_t n;
  uint32_t spoiled; /* an entry was refused (the log was full): the commit is refused whole */
  struct {
    uint64_t *addr;
    uint64_t val;
  } e[TXN_MAX];
} pool_txn;

/* ---- one worker's slot ---- */
typedef struct pool_slot {
  /* [lock] what the worker holds: job (0 none) and chunk index */
  uint64_t job;
  uint64_t chunk;
  uint64_t tasks; /* [lock] chunks completed by the current occupant */
  uint64_t claim_seq; /* [lock] bumped at every claim, to match a timeout to its claim */
  _Atomic int64_t started_ns; /* when the held chunk was claimed (task_timeout only) */
  _Atomic uint64_t killed_seq; /* claim_seq the result thread killed the worker for (timeout) */
  _Atomic uint32_t init_done; /* the occupant got through the initializer */
  _Atomic uint32_t exited; /* a thread worker has left its loop */
  _Atomic uint32_t sleeping; /* counted in idle_sleepers */
  pool_txn txn;
} __attribute__((aligned(64))) pool_slot;

/* ---- the pool's shared control block ---- */
enum { POOL_RUN = 0, POOL_CLOSE = 1, POOL_TERMINATE = 2, POOL_BROKEN = 3 };

typedef struct pool_shared {
  mp__olock lock;
  _Atomic uint32_t state; /* POOL_* */
  _Atomic uint32_t work_seq; /* futex: bumped when work appears or the state changes */
  _Atomic uint32_t idle_sleepers;
  _Atomic uint32_t spinner; /* slot + 1 of the one idle worker spinning for work, or 0 */
  _Atomic uint32_t result_sleeping; /* the result thread sleeps in poll(): write efd to wake */
  _Atomic uint32_t kicks; /* bumped by every mp__result_thread_kick() */
  int efd; /* eventfd of the result thread */
  uint32_t nslots;
  uint32_t maxtasks;
  uint32_t by_ref; /* the workers run another image: they find functions by their refs */
  int64_t task_timeout_ns; /* 0: none */
  _Atomic uint32_t any_timeouts; /* some job has its own timeout: workers note claim times */
  _Atomic uint32_t notify_any; /* mp_pool_fd() was asked for: every job's end kicks */
  uint64_t active_head, active_tail; /* [lock] jobs with unclaimed chunks, oldest first */
  uint64_t done_head, done_tail; /* [lock] finished callback jobs, oldest first */
  pool_slot slots[];
} pool_shared;

/* ---- stage.c: the cache of staging blocks for arrays outside the heap ---- */
#define STAGE_BLOCKS 4
typedef struct pool_stage {
  pthread_mutex_t mu;
  int refs; /* the pool's, plus one per block handed out */
  bool open; /* the pool still exists: given blocks are kept */
  struct {
    void *ptr;
    size_t size;
  } blk[STAGE_BLOCKS];
} pool_stage;
pool_stage *mp__stage_new(void);
/* A heap block of at least size bytes (*got: its real size), cached or fresh; NULL when the
 * heap is full.  Not zeroed. */
void *mp__stage_take(pool_stage *st, size_t size, size_t *got);
/* Gives a block back (kept while the pool is open, else freed) and drops its reference. */
void mp__stage_give(pool_stage *st, void *p, size_t size);
/* The pool is going: frees the cached blocks and drops the pool's reference. */
void mp__stage_close(pool_stage *st);

/* ---- the pool handle, in the process that made it ---- */
typedef struct pool_worker {
  mp_process *proc; /* process pools */
  pthread_t thread; /* thread pools */
  bool running;
} pool_worker;

struct mp_pool {
  pool_shared *sh;
  pool_stage *stage;
  size_t sh_size;
  bool threads;
  int nworkers;
  pid_t owner_pid;
  int (*initializer)(void *);
  void *initarg;
  int method; /* start method of the workers (resolved) */
  mp__task_ref init_ref; /* the initializer's name, for workers in another image */
  pool_worker *workers;
  /* A backend pool (pool_backend.h): who runs the chunks, and what names each slot's
   * executor in messages (set when the slot exits). */
  const struct mp_pool_backend *backend;
  char (*slot_what)[96];
  _Atomic int backend_exiting; /* mp_pool_backend_slot_exit() calls still running */
  pthread_t result_thread;
  bool result_thread_started;
  pthread_mutex_t mu; /* guards the fields below */
  pthread_cond_t cond;
  bool started; /* the result thread has started the first workers ... */
  int start_rc; /* ... with this result */
  bool result_thread_done;
  struct mp_pool *next_live; /* the list of pools terminated at exit (pool.c) */
  bool joined;
  int init_failures; /* consecutive workers that died in the initializer */
  _Atomic int notify_fd; /* mp_pool_fd()'s eventfd, or -1 */
};

struct mp_async_result {
  pool_job *job;
  mp_pool *pool; /* only used while the job runs, when the pool is sure to exist */
  _Atomic int refs; /* the caller's, plus one while a callback is pending */
  mp_async_opts opts;
  /* JOB_ARRAY with the caller's output outside the heap: copied out once, when done. */
  void *user_out;
  pthread_mutex_t copy_mu; /* the copy happens once, whoever sees the job finished first */
  bool copied;
  int notify_fd; /* mp_async_result_fd()'s eventfd, or -1 */
  /* next(): the cursor */
  uint64_t next_item; /* ordered: the next item index */
  uint64_t next_order; /* unordered: position in completion order (chunks) */
  uint64_t next_in_chunk;
};

/* ---- job.c ---- */
/* Allocates a job in the heap with room for its arrays. generic: n items with args_bytes of
 * packed arguments; array: no per-item arrays. Returns NULL when the heap is full. */
pool_job *mp__job_new(pool_job_kind kind, uint64_t n, uint64_t chunksize, uint64_t args_bytes,
                      bool unordered);
/* Frees a finished job, its result blocks and its error records. */
void mp__job_free(pool_job *j);
/* Python's default chunksize for n items on w workers. */
uint64_t mp__job_default_chunksize(uint64_t n, int workers);
/* The chunk's item range. */
static inline uint64_t mp__chunk_begin(const pool_job *j, uint64_t c) { return c * j->chunksize; }
static inline uint64_t mp__chunk_end(const pool_job *j, uint64_t c) {
  uint64_t e = (c + 1) * j->chunksize;
  return e < j->n ? e : j->n;
}
/* Stores a result (bytes, raw or encoded) for item i in the heap.  0 or -ENOMEM. */
int mp__job_set_result(pool_job *j, uint64_t i, const void *buf, size_t len, bool raw);

/* ---- txn.c: the pool lock and the redo log ---- */
/* Takes the pool lock, finishing the log of a holder that died.  Never fails for good: a lock
 * left not recoverable is impossible because every taker repairs before releasing. */
void mp__pool_lock(pool_shared *sh);
void mp__pool_unlock(pool_shared *sh);
static inline uint64_t mp__ld(const uint64_t *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
static inline void mp__st(uint64_t *p, uint64_t v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }
static inline void mp__txn_begin(pool_txn *t) {
  t->n = 0;
  t->spoiled = 0;
}
/* Logs *addr = val.  The log holds TXN_MAX words (the longest section logs 9): one more is
 * refused with -ENOSPC and spoils the log, whose commit is then refused whole, so a section too
 * big for the log changes nothing rather than part of what it meant to. */
static inline int mp__txn_set(pool_txn *t, uint64_t *addr, uint64_t val) {
  if (mp__unlikely(t->n >= TXN_MAX)) {
    t->spoiled = 1;
    return -ENOSPC;
  }
  t->e[t->n].addr = addr;
  t->e[t->n].val = val;
  t->n++;
  return 0;
}
/* Commits and applies the log (pool lock held).  0, or -ENOSPC for a spoiled log (nothing is
 * applied; the log is emptied). */
int mp__txn_commit(pool_txn *t);

/* ---- complete.c: the state changes of a chunk ending, used by workers (logged) and by the
 * result thread (direct, via a scratch log) ---- */
/* Adds to t the changes that finish chunk c of j with state (CHUNK_DONE or an error pointer),
 * counting items, and pushing the job onto the done list if it has a callback (or was orphaned)
 * and this is its last chunk.  Pool lock held; t applied by the caller.  Returns COMPLETE_*
 * flags. */
#define COMPLETE_FINISHED 1 /* the job's last chunk */
/* Wake the result thread: the job went onto the done list, or mp_pool_fd() wants to hear of its
 * end. */
#define COMPLETE_KICK 2
int mp__complete_log(pool_shared *sh, pool_txn *t, pool_job *j, uint64_t c, uint64_t state);
/* Wakes whoever waits for j in the pool's process, and the result thread when how has
 * COMPLETE_KICK.  Best called after the pool lock is released (under it, it is correct but
 * keeps the lock longer). */
void mp__complete_wake(pool_shared *sh, pool_job *j, int how);
/* Wakes the result thread if it sleeps. */
void mp__result_thread_kick(pool_shared *sh);
/* Bumps work_seq and wakes every sleeping worker, so each looks at the pool's state again
 * (after close, terminate, or the pool breaking). */
void mp__wake_workers(pool_shared *sh);
/* Makes an error record in the heap (NULL when the heap is full: the caller then uses a
 * static fallback).  */
pool_error *mp__error_new(int code, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The error used when no record can be allocated; never freed. */
extern pool_error mp__error_nomem;

/* ---- worker.c ---- */
/* The worker loop of slot i of the pool sh, after running init(initarg) when init is set;
 * returns the worker's exit status. */
int mp__worker_main(pool_shared *sh, uint32_t i, int (*init)(void *), void *initarg);
/* Runs chunk c of j in the calling worker; returns CHUNK_DONE or an error record. */
uint64_t mp__run_chunk(const pool_shared *sh, pool_job *j, uint64_t c);
/* In a worker of another image: the pool it serves and the fd it kicks the result thread
 * through (its number differs from the pool process's). */
void mp__worker_set_kick_fd(const pool_shared *sh, int fd);

/* ---- supervise.c: the result thread ---- */
void *mp__result_thread(void *arg);
/* Starts the worker of slot i (a process or a thread).  0 or negative errno. */
int mp__worker_start(mp_pool *p, uint32_t i);

/* ---- submit.c ---- */
/* Puts a prepared job on the active list and wakes workers. MP_ECLOSED if not running. */
int mp__pool_submit(mp_pool *p, pool_job *j);
/* Fails every chunk nobody claimed with an error (MP_ECLOSED on terminate, the init failure
 * when the pool is broken), one record per job (pool_job.bulk_error), wakes their waiters and
 * empties the active list.  Pool lock held. */
void mp__fail_unclaimed(pool_shared *sh, int code, int status, const char *message);

/* ---- result.c ---- */
/* Makes the caller-side result for j. */
mp_async_result *mp__result_new(pool_job *j, const mp_async_opts *opts);
/* Drops a reference (freeing the job at zero). */
void mp__result_unref(mp_async_result *r);
/* Makes the result's fd readable (it is ready). */
void mp__result_notify(mp_async_result *r);
/* Copies an array map's output to the caller's array once it is finished. */
void mp__result_copy_out(mp_async_result *r);
static inline bool mp__job_finished(const pool_job *j) {
  return mp__ld(&j->done_chunks) == j->nchunks;
}

#endif
