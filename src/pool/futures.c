/* SPDX-License-Identifier: MIT */
/* futures.c -- what concurrent.futures users expect of a result: cancel() for tasks not yet
 * started, a readable fd for event loops, and waiting for any or all of several results.
 *
 * The fd is an eventfd the result owns, written by the pool's result thread: workers (other
 * processes, some forked before the result existed) cannot reach it, but every completion of
 * a job whose fd was asked for goes onto the pool's done list, as a callback job's does, and
 * the result thread writes the fd when it takes the job off.  Asking for the fd and completing
 * the last chunk both happen under the pool lock, so either the completion sees the request,
 * or the request sees the job finished and writes the fd itself. */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "heap/heap.h"
#include "os/os.h"
#include "pool/pool_internal.h"

void mp__result_notify(mp_async_result *r) {
  uint64_t one = 1;
  if (r->notify_fd >= 0) {
    ssize_t w = write(r->notify_fd, &one, sizeof one);
    (void)w; /* only fails when the counter is already huge: readable either way */
  }
}

int mp_async_result_fd(mp_async_result *r, int *fd) {
  if (r == NULL || fd == NULL) return -EINVAL;
  if (r->notify_fd >= 0) {
    *fd = r->notify_fd;
    return 0;
  }
  int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (efd < 0) return -errno;
  pool_job *j = r->job;
  pool_shared *sh = r->pool->sh;
  bool write_now = false;
  mp__pool_lock(sh);
  r->notify_fd = efd;
  if (mp__job_finished(j) && !(j->flags & JOB_CALLBACK)) {
    write_now = true; /* finished already: nothing more will come to the result thread */
  } else if (!(j->flags & JOB_ON_DONE_LIST)) {
    atomic_fetch_add(&r->refs, 1); /* the done list's reference, dropped by deliver() */
    j->flags |= JOB_NOTIFY;
  } else {
    /* A callback job goes to the result thread anyway; it writes the fd after the callback
     * (or did already, before this request: then the job is delivered and ready). */
    j->flags |= JOB_NOTIFY;
    write_now = (j->flags & JOB_CALLBACK) && atomic_load(&j->delivered);
  }
  mp__pool_unlock(sh);
  if (write_now) mp__result_notify(r);
  *fd = efd;
  return 0;
}

int mp_pool_fd(mp_pool *p, int *fd) {
  if (p == NULL || fd == NULL) return -EINVAL;
  if (p->owner_pid != mp__self_pid()) return MP_ESTATE;
  int cur = atomic_load(&p->notify_fd);
  if (cur < 0) {
    int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (efd < 0) return -errno;
    if (!atomic_compare_exchange_strong(&p->notify_fd, &cur, efd)) {
      mp__close(efd); /* another thread made it first */
    } else {
      cur = efd;
      atomic_store(&p->sh->notify_any, 1); /* from now on every job's end kicks */
    }
  }
  *fd = cur;
  return 0;
}

int mp_async_result_cancel(mp_async_result *r, size_t *cancelled) {
  if (r == NULL) return -EINVAL;
  if (cancelled) *cancelled = 0;
  pool_job *j = r->job;
  pool_shared *sh = r->pool->sh;
  size_t items = 0;
  int how = 0;
  mp__pool_lock(sh);
  if (j->next_chunk < j->nchunks) {
    /* Off the list of jobs with chunks to claim, then every unclaimed chunk fails. */
    uint64_t me = (uint64_t)(uintptr_t)j, prev = 0;
    for (uint64_t at = sh->active_head; at; at = ((pool_job *)(uintptr_t)at)->next_active) {
      if (at != me) {
        prev = at;
        continue;
      }
      if (prev)
        mp__st(&((pool_job *)(uintptr_t)prev)->next_active, j->next_active);
      else
        mp__st(&sh->active_head, j->next_active);
      if (sh->active_tail == me) mp__st(&sh->active_tail, prev);
      break;
    }
    pool_error *e = mp__shared_alloc(sizeof *e);
    if (e) {
      *e = (pool_error){.code = MP_ECANCELLED};
      snprintf(e->message, sizeof e->message, "the task was cancelled before it started");
      j->bulk_error = e; /* freed with the job; a job on the active list has none yet */
    } else {
      e = &mp__error_nomem;
    }
    for (uint64_t c = j->next_chunk; c < j->nchunks; c++) {
      pool_txn t;
      mp__txn_begin(&t);
      how |= mp__complete_log(sh, &t, j, c, (uint64_t)(uintptr_t)e);
      mp__txn_commit(&t);
      items += mp__chunk_end(j, c) - mp__chunk_begin(j, c);
    }
    mp__st(&j->next_chunk, j->nchunks);
  }
  mp__pool_unlock(sh);
  if (items == 0) return MP_ESTATE;
  mp__complete_wake(sh, j, how);
  if (cancelled) *cancelled = items;
  return 0;
}

int mp_async_result_wait_all(mp_async_result *const *rs, size_t n, mp_timeout_ms timeout) {
  if (rs == NULL && n > 0) return -EINVAL;
  mp__deadline d = mp__deadline_in(timeout);
  for (size_t i = 0; i < n; i++) {
    if (rs[i] == NULL) continue;
    int rc = mp_async_result_wait(rs[i], mp__deadline_poll_ms(d));
    if (rc != 0) return rc;
  }
  return 0;
}

int mp_async_result_wait_any(mp_async_result *const *rs, size_t n, mp_timeout_ms timeout,
                             size_t *index) {
  if (rs == NULL || index == NULL) return -EINVAL;
  size_t live = 0;
  for (size_t i = 0; i < n; i++) {
    if (rs[i] == NULL) continue;
    live++;
    if (mp_async_result_ready(rs[i])) {
      *index = i;
      return 0;
    }
  }
  if (live == 0) return -EINVAL;
  struct pollfd *p = calloc(live, sizeof *p);
  size_t *at = calloc(live, sizeof *at);
  int rc = p && at ? 0 : -ENOMEM;
  size_t k = 0;
  for (size_t i = 0; i < n && rc == 0; i++) {
    if (rs[i] == NULL) continue;
    rc = mp_async_result_fd(rs[i], &p[k].fd);
    p[k].events = POLLIN;
    at[k++] = i;
  }
  mp__deadline d = mp__deadline_in(timeout);
  while (rc == 0) {
    for (size_t q = 0; q < k; q++) /* the fd fires after the state: look at the state */
      if (mp_async_result_ready(rs[at[q]])) {
        *index = at[q];
        goto out;
      }
    if (mp__interrupt_pending()) {
      rc = -EINTR;
      break;
    }
    if (mp__deadline_passed(d)) {
      rc = MP_ETIMEDOUT;
      break;
    }
    if (poll(p, k, mp__deadline_poll_ms(d)) < 0 && errno != EINTR) rc = -errno;
  }
out:
  free(p);
  free(at);
  return rc;
}
