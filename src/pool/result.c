/* SPDX-License-Identifier: MIT */
/* result.c -- AsyncResult in the pool's process: waiting (mp__wait on the job's finished-chunk
 * count), reading items and errors, imap's next(), and the result's life. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "heap/heap.h"
#include "os/os.h"
#include "os/wait.h"
#include "pool/pool_internal.h"

typedef bool (*job_cond)(const pool_job *j, uint64_t arg);

/* Lowers the count at which completing workers wake the waiters (never raises it: another
 * waiter may want an earlier one; a stale low value only costs spurious wake-ups). */
static void want_wake_at(pool_job *j, uint64_t target) {
  uint64_t cur = atomic_load(&j->wake_at);
  while (target < cur && !atomic_compare_exchange_weak(&j->wake_at, &cur, target)) {
  }
}

static bool cond_finished(const pool_job *j, uint64_t arg) {
  (void)arg;
  return mp__job_finished(j);
}
/* Ready, as Python's AsyncResult.ready(): every chunk finished and, for a result with a
 * callback, the callback returned -- Python runs the callback before get() returns.  The
 * callback itself (on the result thread) sees its own result ready. */
static bool result_ready(const mp_async_result *r) {
  pool_job *j = r->job;
  if (!mp__job_finished(j)) return false;
  if (!(j->flags & JOB_CALLBACK) || atomic_load(&j->delivered)) return true;
  return pthread_equal(pthread_self(), r->pool->result_thread);
}

static bool cond_delivered(const pool_job *j, uint64_t arg) {
  (void)j;
  return result_ready((const mp_async_result *)(uintptr_t)arg);
}

static bool cond_chunk(const pool_job *j, uint64_t c) {
  return mp__ld(&j->chunk_state[c]) >= CHUNK_DONE;
}
static bool cond_order(const pool_job *j, uint64_t k) { return mp__ld(&j->order_n) > k; }

typedef struct {
  pool_job *j;
  job_cond cond;
  uint64_t arg;
  bool all; /* the condition needs every chunk finished: only the last completion must wake */
} job_wait;

static bool job_wait_done(void *arg) {
  job_wait *w = arg;
  return w->cond(w->j, w->arg);
}

/* Before each look that may end in a sleep: tells completing workers when to wake us (the
 * count they compare with sits beside the waiter count they read after their fence). */
static void job_wait_arm(void *arg) {
  job_wait *w = arg;
  want_wake_at(w->j, w->all ? w->j->nchunks : mp__ld(&w->j->done_chunks) + 1);
}

/* Waits until cond(j, arg) holds or the deadline passes. */
static int wait_for(pool_job *j, job_cond cond, uint64_t arg, bool all, mp__deadline d) {
  job_wait jw = {j, cond, arg, all};
  /* A callback's completion is posted on its own word, after the count reached the end. */
  bool by_delivery = cond == cond_delivered;
  mp__waiter w = {
      .word = by_delivery ? &j->delivered : (_Atomic uint32_t *)(void *)&j->done_chunks,
      .sleepers = &j->waiters,
      .done = job_wait_done,
      .arm = by_delivery ? NULL : job_wait_arm,
      .arg = &jw,
      .spin_ns = MP__WAIT_SPIN_LONG_NS, /* a short task finishes within it */
      .interruptible = true,
  };
  return mp__wait(&w, d);
}

mp_async_result *mp__result_new(pool_job *j, const mp_async_opts *opts) {
  mp_async_result *r = calloc(1, sizeof *r);
  if (r == NULL) return NULL;
  r->job = j;
  if (opts) r->opts = *opts;
  atomic_init(&r->refs, (j->flags & JOB_CALLBACK) ? 2 : 1);
  pthread_mutex_init(&r->copy_mu, NULL);
  r->notify_fd = -1;
  j->owner = r;
  return r;
}

void mp__result_unref(mp_async_result *r) {
  if (atomic_fetch_sub(&r->refs, 1) != 1) return;
  mp__job_free(r->job);
  pthread_mutex_destroy(&r->copy_mu);
  if (r->notify_fd >= 0) mp__close(r->notify_fd);
  free(r);
}

void mp__result_copy_out(mp_async_result *r) {
  if (r->user_out == NULL || !mp__job_finished(r->job)) return;
  pthread_mutex_lock(&r->copy_mu);
  if (!r->copied) {
    /* Only the chunks that succeeded: a failed chunk's elements keep what the caller had
     * there, rather than whatever the staging block held. */
    const pool_job *j = r->job;
    for (uint64_t c = 0; c < j->nchunks; c++) {
      if (mp__ld(&j->chunk_state[c]) != CHUNK_DONE) continue;
      uint64_t b = mp__chunk_begin(j, c), e = mp__chunk_end(j, c);
      uint64_t run = c + 1; /* merge neighbouring successful chunks into one copy */
      while (run < j->nchunks && mp__ld(&j->chunk_state[run]) == CHUNK_DONE) run++;
      e = mp__chunk_end(j, run - 1);
      memcpy((unsigned char *)r->user_out + b * j->out_size, j->out + b * j->out_size,
             (e - b) * j->out_size);
      c = run - 1;
    }
    r->copied = true;
  }
  pthread_mutex_unlock(&r->copy_mu);
}

void mp_async_result_free(mp_async_result *r) {
  if (r == NULL) return;
  pool_job *j = r->job;
  if (!mp__job_finished(j) && !(j->flags & (JOB_CALLBACK | JOB_NOTIFY))) {
    /* Workers still hold or will claim its chunks: hand the job to the result thread, which
     * frees it once the last chunk is counted.  (The pool exists: a pool is only freed after
     * every job of it finished.) */
    pool_shared *sh = r->pool->sh;
    mp__pool_lock(sh);
    if (!mp__job_finished(j)) {
      atomic_fetch_add(&r->refs, 1); /* the result thread's, dropped by deliver() */
      j->flags |= JOB_ORPHAN; /* read by workers under the same lock */
    }
    mp__pool_unlock(sh);
  }
  mp__result_unref(r);
}

int mp_async_result_wait(mp_async_result *r, mp_timeout_ms timeout) {
  if (r == NULL) return -EINVAL;
  int rc =
      (r->job->flags & JOB_CALLBACK)
          ? wait_for(r->job, cond_delivered, (uint64_t)(uintptr_t)r, true, mp__deadline_in(timeout))
          : wait_for(r->job, cond_finished, 0, true, mp__deadline_in(timeout));
  if (rc == 0) mp__result_copy_out(r);
  return rc;
}

static pool_error *chunk_error(const pool_job *j, uint64_t c) {
  uint64_t st = mp__ld(&j->chunk_state[c]);
  return chunk_failed(st) ? (pool_error *)(uintptr_t)st : NULL;
}

static pool_error *first_error(const pool_job *j) {
  uint64_t f = mp__ld(&j->first_error);
  return f ? chunk_error(j, f - 1) : NULL;
}

int mp_async_result_get(mp_async_result *r, mp_timeout_ms timeout) {
  int rc = mp_async_result_wait(r, timeout);
  if (rc) return rc;
  pool_error *e = first_error(r->job);
  return e ? e->code : 0;
}

bool mp_async_result_ready(mp_async_result *r) { return r && result_ready(r); }

int mp_async_result_successful(mp_async_result *r) {
  if (r == NULL) return -EINVAL;
  if (!result_ready(r)) return MP_ENOTREADY;
  return first_error(r->job) == NULL;
}

static int report(const pool_error *e, int *code, int *status, const char **message) {
  if (code) *code = e->code;
  if (status) *status = e->status;
  if (message) *message = e->message;
  return 0;
}

int mp_async_result_error(mp_async_result *r, int *code, int *status, const char **message) {
  if (r == NULL) return -EINVAL;
  if (!result_ready(r)) return MP_ENOTREADY;
  pool_error *e = first_error(r->job);
  return e ? report(e, code, status, message) : MP_ESTATE;
}

size_t mp_async_result_len(const mp_async_result *r) { return r ? r->job->n : 0; }

void mp_async_result_progress(mp_async_result *r, size_t *done, size_t *total) {
  if (done) *done = r ? mp__ld(&r->job->done_items) : 0;
  if (total) *total = r ? r->job->n : 0;
}

/* The state of item i's chunk: 0 when it succeeded, else its error code or MP_ENOTREADY. */
static int item_state(const mp_async_result *r, size_t i) {
  const pool_job *j = r->job;
  uint64_t st = mp__ld(&j->chunk_state[i / j->chunksize]);
  if (st < CHUNK_DONE) return MP_ENOTREADY;
  return chunk_failed(st) ? ((pool_error *)(uintptr_t)st)->code : 0;
}

int mp_async_result_item(mp_async_result *r, size_t i, const void **data, size_t *len) {
  if (r == NULL || i >= r->job->n || r->job->kind != JOB_GENERIC) return -EINVAL;
  int rc = item_state(r, i);
  if (rc) return rc;
  const pool_res *res = &r->job->res[i];
  if (res->flags & RES_RELEASED) return MP_ESTATE;
  const void *p = "";
  size_t n = 0;
  if (res->flags & RES_SET) {
    p = (res->flags & RES_INLINE) ? (const void *)res->u.inline_ : res->u.heap.block;
    n = res->len;
  }
  if (data) *data = p;
  if (len) *len = n;
  return 0;
}

int mp_async_result_item_release(mp_async_result *r, size_t i) {
  if (r == NULL || i >= r->job->n || r->job->kind != JOB_GENERIC) return -EINVAL;
  int rc = item_state(r, i);
  if (rc == MP_ENOTREADY) return rc; /* a worker may still store it */
  pool_res *res = &r->job->res[i];
  if (res->flags & RES_RELEASED) return MP_ESTATE;
  /* Finished: no worker touches it again, and the result belongs to one thread at a time. */
  if (!(res->flags & RES_INLINE) && res->u.heap.block) /* as mp__job_free() would */
    mp__shared_free(res->u.heap.block, res->u.heap.cap);
  res->u.heap.block = NULL;
  res->u.heap.cap = 0;
  res->len = 0;
  res->flags = RES_RELEASED;
  return 0;
}

int mp_async_result_item_obj(mp_async_result *r, size_t i, mp_obj **out) {
  if (out == NULL) return -EINVAL;
  const void *p;
  size_t n;
  int rc = mp_async_result_item(r, i, &p, &n);
  if (rc) return rc;
  uint32_t flags = r->job->res[i].flags;
  if (!(flags & RES_SET))
    *out = mp_obj_none();
  else if (flags & RES_RAW)
    *out = mp_obj_bytes(p, n);
  else
    return mp_obj_decode(p, n, NULL, out);
  return *out ? 0 : -ENOMEM;
}

int mp_async_result_item_error(mp_async_result *r, size_t i, int *code, int *status,
                               const char **message) {
  if (r == NULL || i >= r->job->n) return -EINVAL;
  const pool_job *j = r->job;
  uint64_t c = i / j->chunksize;
  if (mp__ld(&j->chunk_state[c]) < CHUNK_DONE) return MP_ENOTREADY;
  pool_error *e = chunk_error(j, c);
  return e ? report(e, code, status, message) : MP_ESTATE;
}

int mp_async_result_list(mp_async_result *r, mp_obj **out) {
  if (r == NULL || out == NULL || r->job->kind != JOB_GENERIC) return -EINVAL;
  if (!mp__job_finished(r->job)) return MP_ENOTREADY;
  pool_error *e = first_error(r->job);
  if (e) return e->code;
  mp_obj *list = mp_obj_list();
  if (list == NULL) return -ENOMEM;
  for (size_t i = 0; i < r->job->n; i++) {
    mp_obj *v;
    int rc = mp_async_result_item_obj(r, i, &v);
    if (rc == 0) rc = mp_obj_list_append_steal(list, v);
    if (rc) {
      mp_obj_decref(list);
      return rc;
    }
  }
  *out = list;
  return 0;
}

int mp_async_result_next(mp_async_result *r, size_t *index, mp_timeout_ms timeout) {
  if (r == NULL || index == NULL || r->job->kind != JOB_GENERIC) return -EINVAL;
  pool_job *j = r->job;
  mp__deadline d = mp__deadline_in(timeout);
  uint64_t i;
  if (!(j->flags & JOB_UNORDERED)) {
    if (r->next_item >= j->n) return MP_EOF;
    int rc = wait_for(j, cond_chunk, r->next_item / j->chunksize, false, d);
    if (rc) return rc;
    i = r->next_item++;
  } else {
    if (r->next_order >= j->nchunks) return MP_EOF;
    int rc = wait_for(j, cond_order, r->next_order, false, d);
    if (rc) return rc;
    uint64_t c = mp__ld(&j->order[r->next_order]);
    i = mp__chunk_begin(j, c) + r->next_in_chunk;
    if (++r->next_in_chunk == mp__chunk_end(j, c) - mp__chunk_begin(j, c)) {
      r->next_order++;
      r->next_in_chunk = 0;
    }
  }
  *index = (size_t)i;
  return item_state(r, i);
}
