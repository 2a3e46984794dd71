/* SPDX-License-Identifier: MIT */
/* submit.c -- making jobs: apply, map, imap and the typed array map, all one path: build the
 * job in the shared heap, then append it to the pool's active list and wake the workers. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heap/heap.h"
#include "os/os.h"
#include "pool/pool_internal.h"

/* Checks shared by every submission. */
static int check_pool(mp_pool *p) {
  if (p == NULL) return -EINVAL;
  if (p->owner_pid != mp__self_pid()) return MP_ESTATE;
  uint32_t state = atomic_load(&p->sh->state);
  return state == POOL_RUN ? 0 : state == POOL_BROKEN ? MP_EBROKEN : MP_ECLOSED;
}

int mp__pool_submit(mp_pool *p, pool_job *j) {
  pool_shared *sh = p->sh;
  mp__pool_lock(sh);
  uint32_t state = atomic_load(&sh->state);
  if (state != POOL_RUN) {
    mp__pool_unlock(sh);
    return state == POOL_BROKEN ? MP_EBROKEN : MP_ECLOSED;
  }
  uint64_t me = (uint64_t)(uintptr_t)j;
  if (j->nchunks == 0 && (j->flags & JOB_CALLBACK)) {
    /* A map over nothing is finished at once; its callback still runs on the result thread. */
    if (sh->done_tail)
      mp__st(&((pool_job *)(uintptr_t)sh->done_tail)->next_done, me);
    else
      mp__st(&sh->done_head, me);
    mp__st(&sh->done_tail, me);
    mp__pool_unlock(sh);
    mp__result_thread_kick(sh);
    return 0;
  }
  if (j->nchunks > 0) {
    if (sh->active_tail)
      mp__st(&((pool_job *)(uintptr_t)sh->active_tail)->next_active, me);
    else
      mp__st(&sh->active_head, me);
    mp__st(&sh->active_tail, me);
  }
  mp__pool_unlock(sh);
  /* Bump after the job is visible, then wake sleepers (workers bump idle_sleepers before they
   * check work_seq, so one side always sees the other). */
  atomic_fetch_add_explicit(&sh->work_seq, 1, memory_order_seq_cst);
  if (atomic_load_explicit(&sh->idle_sleepers, memory_order_seq_cst))
    (void)mp__futex_wake(&sh->work_seq, (int)(j->nchunks < INT_MAX ? j->nchunks : INT_MAX));
  return 0;
}

void mp__fail_unclaimed(pool_shared *sh, int code, int status, const char *message) {
  for (pool_job *j = (pool_job *)(uintptr_t)sh->active_head; j;
       j = (pool_job *)(uintptr_t)j->next_active) {
    pool_error *e = mp__shared_alloc(sizeof *e);
    if (e) {
      e->code = code;
      e->status = status;
      snprintf(e->message, sizeof e->message, "%s", message);
      j->bulk_error = e;
    } else {
      e = &mp__error_nomem;
    }
    int how = 0;
    for (uint64_t c = j->next_chunk; c < j->nchunks; c++) {
      pool_txn t;
      mp__txn_begin(&t);
      how |= mp__complete_log(sh, &t, j, c, (uint64_t)(uintptr_t)e);
      (void)mp__txn_commit(&t);
    }
    mp__st(&j->next_chunk, j->nchunks);
    mp__complete_wake(sh, j, how);
  }
  mp__st(&sh->active_head, 0);
  mp__st(&sh->active_tail, 0);
}

/* Makes the caller's result for j and submits it; frees everything on failure. */
static int finish_submit(mp_pool *p, pool_job *j, const mp_async_opts *opts,
                         mp_async_result **out) {
  if (opts && opts->task_timeout > 0) {
    if (p->threads || p->backend) { /* neither a thread nor a remote task can be killed */
      mp__job_free(j);
      return -ENOTSUP;
    }
    j->timeout_ns = opts->task_timeout * 1000000;
    atomic_store(&p->sh->any_timeouts, 1);
  }
  mp_async_result *r = mp__result_new(j, opts);
  if (r == NULL) {
    mp__job_free(j);
    return -ENOMEM;
  }
  r->pool = p;
  int rc = mp__pool_submit(p, j);
  if (rc != 0) {
    r->opts.callback = r->opts.error_callback = NULL;
    j->flags &= ~JOB_CALLBACK;
    atomic_store(&r->refs, 1);
    mp__result_unref(r);
    return rc;
  }
  if (j->timeout_ns) mp__result_thread_kick(p->sh); /* it looks for overdue tasks from now on */
  *out = r;
  return 0;
}

/* One item's argument bytes, before packing. */
typedef struct packed_item {
  const void *data;
  size_t len;
  bool raw;
  void *owned; /* encoding to free */
} packed_item;

static int pack_obj(const mp_obj *o, packed_item *it) {
  memset(it, 0, sizeof *it);
  if (mp_obj_type_of(o) == MP_OBJ_BYTES) {
    it->data = mp_obj_bytes_data(o, &it->len);
    it->raw = true;
    return 0;
  }
  int r = mp_obj_encode(o, &it->owned, &it->len);
  it->data = it->owned;
  return r;
}

/* Builds a generic job from n packed items. */
static int generic_job(mp_pool *p, mp_task_fn fn, packed_item *items, size_t n, size_t chunksize,
                       bool unordered, pool_job **out) {
  uint64_t total = 0;
  for (size_t i = 0; i < n; i++) total += items[i].len;
  mp__task_ref ref = {0};
  if (p->sh->by_ref) {
    int r = mp__task_ref_of(MP__FN_TASK, (void (*)(void))fn, &ref);
    if (r != 0) return r;
  }
  if (chunksize == 0) chunksize = mp__job_default_chunksize(n, p->nworkers);
  pool_job *j = mp__job_new(JOB_GENERIC, n, chunksize, total, unordered);
  if (j == NULL) return -ENOMEM;
  j->fn.task = fn;
  j->ref = ref;
  uint64_t off = 0;
  for (size_t i = 0; i < n; i++) {
    j->arg_off[i] = off | (items[i].raw ? ARG_RAW : 0);
    if (items[i].len) memcpy(j->args + off, items[i].data, items[i].len);
    off += items[i].len;
  }
  j->arg_off[n] = off;
  *out = j;
  return 0;
}

static void set_callback_flag(pool_job *j, const mp_async_opts *opts) {
  if (opts && (opts->callback || opts->error_callback)) j->flags |= JOB_CALLBACK;
}

int mp_pool_apply_async(mp_pool *p, mp_task_fn fn, const void *arg, size_t len,
                        const mp_async_opts *opts, mp_async_result **out) {
  if (fn == NULL || out == NULL || (arg == NULL && len > 0)) return -EINVAL;
  int rc = check_pool(p);
  if (rc) return rc;
  packed_item it = {.data = arg, .len = len, .raw = true};
  pool_job *j;
  rc = generic_job(p, fn, &it, 1, 1, false, &j);
  if (rc) return rc;
  set_callback_flag(j, opts);
  return finish_submit(p, j, opts, out);
}

int mp_pool_apply_async_obj(mp_pool *p, mp_task_fn fn, const mp_obj *arg, const mp_async_opts *opts,
                            mp_async_result **out) {
  if (fn == NULL || out == NULL || arg == NULL) return -EINVAL;
  int rc = check_pool(p);
  if (rc) return rc;
  packed_item it;
  rc = pack_obj(arg, &it);
  pool_job *j = NULL;
  if (rc == 0) rc = generic_job(p, fn, &it, 1, 1, false, &j);
  free(it.owned);
  if (rc) return rc;
  set_callback_flag(j, opts);
  return finish_submit(p, j, opts, out);
}

/* get() for a synchronous call: a wait that ends without the result (timeout, interrupt)
 * cancels what has not started, since nobody will read it. */
static int sync_get(mp_async_result *r, mp_timeout_ms timeout) {
  int rc = mp_async_result_get(r, timeout);
  if ((rc == MP_ETIMEDOUT || rc == -EINTR) && !mp_async_result_ready(r))
    (void)mp_async_result_cancel(r, NULL);
  return rc;
}

int mp_pool_apply(mp_pool *p, mp_task_fn fn, const void *arg, size_t len, void **result,
                  size_t *result_len, mp_timeout_ms timeout) {
  mp_async_result *r;
  int rc = mp_pool_apply_async(p, fn, arg, len, NULL, &r);
  if (rc) return rc;
  rc = sync_get(r, timeout);
  if (rc == 0 && result) {
    const void *data;
    size_t n;
    rc = mp_async_result_item(r, 0, &data, &n);
    if (rc == 0) {
      void *copy = malloc(n ? n : 1);
      if (copy == NULL) {
        rc = -ENOMEM;
      } else {
        memcpy(copy, data, n);
        *result = copy;
        if (result_len) *result_len = n;
      }
    }
  }
  mp_async_result_free(r);
  return rc;
}

int mp_pool_apply_obj(mp_pool *p, mp_task_fn fn, const mp_obj *arg, mp_obj **result,
                      mp_timeout_ms timeout) {
  mp_async_result *r;
  int rc = mp_pool_apply_async_obj(p, fn, arg, NULL, &r);
  if (rc) return rc;
  rc = sync_get(r, timeout);
  if (rc == 0 && result) rc = mp_async_result_item_obj(r, 0, result);
  mp_async_result_free(r);
  return rc;
}

/* map, map_async, imap, imap_unordered over a list or tuple of values. */
static int map_common(mp_pool *p, mp_task_fn fn, const mp_obj *items, size_t chunksize,
                      bool unordered, const mp_async_opts *opts, mp_async_result **out) {
  if (fn == NULL || out == NULL || items == NULL) return -EINVAL;
  mp_obj_type ty = mp_obj_type_of(items);
  if (ty != MP_OBJ_LIST && ty != MP_OBJ_TUPLE) return -EINVAL;
  int rc = check_pool(p);
  if (rc) return rc;
  size_t n = mp_obj_len(items);
  packed_item *its = calloc(n ? n : 1, sizeof *its);
  if (its == NULL) return -ENOMEM;
  for (size_t i = 0; i < n && rc == 0; i++) rc = pack_obj(mp_obj_item(items, i), &its[i]);
  pool_job *j = NULL;
  if (rc == 0) rc = generic_job(p, fn, its, n, chunksize, unordered, &j);
  for (size_t i = 0; i < n; i++) free(its[i].owned);
  free(its);
  if (rc) return rc;
  set_callback_flag(j, opts);
  return finish_submit(p, j, opts, out);
}

int mp_pool_map_async(mp_pool *p, mp_task_fn fn, const mp_obj *items, size_t chunksize,
                      const mp_async_opts *opts, mp_async_result **out) {
  return map_common(p, fn, items, chunksize, false, opts, out);
}

int mp_pool_map(mp_pool *p, mp_task_fn fn, const mp_obj *items, size_t chunksize, mp_obj **results,
                mp_timeout_ms timeout) {
  if (results == NULL) return -EINVAL;
  mp_async_result *r;
  int rc = mp_pool_map_async(p, fn, items, chunksize, NULL, &r);
  if (rc) return rc;
  rc = sync_get(r, timeout);
  if (rc == 0) rc = mp_async_result_list(r, results);
  mp_async_result_free(r);
  return rc;
}

int mp_pool_imap(mp_pool *p, mp_task_fn fn, const mp_obj *items, size_t chunksize,
                 mp_async_result **out) {
  return map_common(p, fn, items, chunksize ? chunksize : 1, false, NULL, out);
}

int mp_pool_imap_unordered(mp_pool *p, mp_task_fn fn, const mp_obj *items, size_t chunksize,
                           mp_async_result **out) {
  return map_common(p, fn, items, chunksize ? chunksize : 1, true, NULL, out);
}

/* ---- the typed array fast path ---- */

int mp_pool_map_array_async(mp_pool *p, mp_map_fn fn, const void *in, size_t n, size_t in_size,
                            void *out, size_t out_size, size_t chunksize, const mp_async_opts *opts,
                            mp_async_result **out_result) {
  if (fn == NULL || out_result == NULL || in_size == 0 || (in == NULL && n > 0) ||
      ((out == NULL) != (out_size == 0)))
    return -EINVAL;
  if (n > 0 && (n > SIZE_MAX / in_size || (out_size && n > SIZE_MAX / out_size))) return -EINVAL;
  int rc = check_pool(p);
  if (rc) return rc;
  mp__task_ref ref = {0};
  if (p->sh->by_ref && (rc = mp__task_ref_of(MP__FN_MAP, (void (*)(void))fn, &ref)) != 0) return rc;
  if (chunksize == 0) chunksize = mp__job_default_chunksize(n, p->nworkers);
  pool_job *j = mp__job_new(JOB_ARRAY, n, chunksize, 0, false);
  if (j == NULL) return -ENOMEM;
  j->fn.elem = fn;
  j->ref = ref;
  j->in_size = in_size;
  j->out_size = out_size;
  size_t in_bytes = n * in_size, out_bytes = n * out_size;
  /* A thread pool shares the caller's memory; a process pool needs the shared heap. */
  if (p->threads || n == 0 || mp__heap_contains(in, in_bytes)) {
    j->in = in;
  } else {
    size_t got;
    void *copy = mp__stage_take(p->stage, in_bytes, &got);
    if (copy == NULL) goto nomem;
    memcpy(copy, in, in_bytes);
    j->stage = p->stage;
    j->in = copy;
    j->in_owned = got;
  }
  void *user_out = NULL;
  if (out) {
    if (p->threads || n == 0 || mp__heap_contains(out, out_bytes)) {
      j->out = out;
    } else {
      size_t got;
      j->out = mp__stage_take(p->stage, out_bytes, &got);
      if (j->out == NULL) goto nomem;
      j->stage = p->stage;
      j->out_owned = got;
      user_out = out;
    }
  }
  set_callback_flag(j, opts);
  rc = finish_submit(p, j, opts, out_result);
  if (rc == 0) (*out_result)->user_out = user_out;
  return rc;
nomem:
  mp__job_free(j);
  return -ENOMEM;
}

int mp_pool_map_array(mp_pool *p, mp_map_fn fn, const void *in, size_t n, size_t in_size, void *out,
                      size_t out_size, size_t chunksize, mp_timeout_ms timeout) {
  mp_async_result *r;
  int rc = mp_pool_map_array_async(p, fn, in, n, in_size, out, out_size, chunksize, NULL, &r);
  if (rc) return rc;
  rc = sync_get(r, timeout);
  mp_async_result_free(r);
  return rc;
}

int mp_pool_starmap_async(mp_pool *p, mp_map_fn fn, const void *args, size_t n, size_t args_size,
                          void *out, size_t out_size, size_t chunksize, const mp_async_opts *opts,
                          mp_async_result **out_result) {
  return mp_pool_map_array_async(p, fn, args, n, args_size, out, out_size, chunksize, opts,
                                 out_result);
}

int mp_pool_starmap(mp_pool *p, mp_map_fn fn, const void *args, size_t n, size_t args_size,
                    void *out, size_t out_size, size_t chunksize, mp_timeout_ms timeout) {
  return mp_pool_map_array(p, fn, args, n, args_size, out, out_size, chunksize, timeout);
}
