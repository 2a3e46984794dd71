/* pool.c -- a pool's life: making it (shared control block, workers, result thread), close,
 * terminate, join and free. */
#include <limits.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "heap/heap.h"
#include "os/os.h"
#include "pool/pool_internal.h"

static void wake_workers(pool_shared *sh) {
  atomic_fetch_add(&sh->work_seq, 1);
  (void)mp__futex_wake(&sh->work_seq, INT_MAX);
}

static void kill_workers(mp_pool *p) {
  if (p->threads) return; /* a thread finishes its chunk and sees the state */
  pthread_mutex_lock(&p->mu);
  for (int i = 0; i < p->nworkers; i++)
    if (p->workers[i].running && p->workers[i].proc) (void)mp_process_kill(p->workers[i].proc);
  pthread_mutex_unlock(&p->mu);
}

static void release(mp_pool *p) {
  mp__stage_close(p->stage);
  if (p->sh) {
    mp__close(p->sh->efd);
    mp__shared_free(p->sh, p->sh_size);
  }
  free(p->workers);
  pthread_mutex_destroy(&p->mu);
  pthread_cond_destroy(&p->cond);
  free(p);
}

int mp_pool_new(mp_pool **out, const mp_pool_opts *opts) {
  static const mp_pool_opts defaults;
  if (out == NULL) return -EINVAL;
  if (opts == NULL) opts = &defaults;
  if (opts->processes < 0) return -EINVAL;
  if (opts->threads && opts->task_timeout > 0) return -ENOTSUP;
  int n = opts->processes ? opts->processes : mp_usable_cpu_count();
  int rc = mp__heap_ensure();
  if (rc) return rc;

  mp_pool *p = calloc(1, sizeof *p);
  if (p == NULL) return -ENOMEM;
  pthread_mutex_init(&p->mu, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&p->cond, &ca);
  pthread_condattr_destroy(&ca);
  p->threads = opts->threads;
  p->nworkers = n;
  p->owner_pid = getpid();
  p->initializer = opts->initializer;
  p->initarg = opts->initarg;
  p->workers = calloc((size_t)n, sizeof *p->workers);
  p->stage = mp__stage_new();
  p->sh_size = sizeof(pool_shared) + (size_t)n * sizeof(pool_slot);
  p->sh = p->workers && p->stage ? mp__shared_alloc(p->sh_size) : NULL;
  if (p->sh == NULL) {
    release(p);
    return -ENOMEM;
  }
  pool_shared *sh = p->sh;
  sh->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (sh->efd < 0) {
    rc = -errno;
    sh->efd = -1;
    release(p);
    return rc;
  }
  sh->nslots = (uint32_t)n;
  sh->maxtasks = opts->maxtasksperchild;
  sh->task_timeout_ns = opts->task_timeout > 0 ? opts->task_timeout * 1000000 : 0;

  for (int i = 0; i < n && rc == 0; i++) rc = mp__worker_start(p, (uint32_t)i);
  if (rc == 0) {
    rc = -pthread_create(&p->result_thread, NULL, mp__result_thread, p);
    p->result_thread_started = rc == 0;
  }
  if (rc != 0) {
    /* Undo: stop what started, reap it, free everything. */
    atomic_store(&sh->state, POOL_TERMINATE);
    wake_workers(sh);
    kill_workers(p);
    for (int i = 0; i < n; i++) {
      pool_worker *w = &p->workers[i];
      if (!w->running) continue;
      if (p->threads) pthread_join(w->thread, NULL);
      else (void)mp_process_join(w->proc, MP_FOREVER), mp_process_free(w->proc);
    }
    release(p);
    return rc;
  }
  *out = p;
  return 0;
}

int mp_pool_size(const mp_pool *p) { return p ? p->nworkers : 0; }

int mp_pool_close(mp_pool *p) {
  if (p == NULL) return -EINVAL;
  pool_shared *sh = p->sh;
  mp__pool_lock(sh);
  uint32_t expect = POOL_RUN;
  atomic_compare_exchange_strong(&sh->state, &expect, POOL_CLOSE);
  mp__pool_unlock(sh);
  wake_workers(sh);
  mp__result_thread_kick(sh);
  return 0;
}

int mp_pool_terminate(mp_pool *p) {
  if (p == NULL) return -EINVAL;
  pool_shared *sh = p->sh;
  mp__pool_lock(sh);
  atomic_store(&sh->state, POOL_TERMINATE);
  mp__fail_unclaimed(sh, MP_ECLOSED, 0, "the pool was terminated before the task ran");
  mp__pool_unlock(sh);
  wake_workers(sh);
  kill_workers(p);
  mp__result_thread_kick(sh);
  return 0;
}

int mp_pool_join(mp_pool *p, mp_timeout_ms timeout) {
  if (p == NULL) return -EINVAL;
  if (atomic_load(&p->sh->state) == POOL_RUN) return MP_ESTATE;
  if (p->result_thread_started && pthread_equal(pthread_self(), p->result_thread))
    return MP_ESTATE;
  mp__deadline d = mp__deadline_in(timeout);
  struct timespec ts;
  int rc = 0;
  pthread_mutex_lock(&p->mu);
  while (!p->result_thread_done && rc == 0) {
    const struct timespec *abs = mp__deadline_abs(d, &ts);
    if (abs == NULL) pthread_cond_wait(&p->cond, &p->mu);
    else if (pthread_cond_timedwait(&p->cond, &p->mu, abs) == ETIMEDOUT && !p->result_thread_done)
      rc = MP_ETIMEDOUT;
  }
  bool join_now = rc == 0 && !p->joined;
  if (join_now) p->joined = true;
  pthread_mutex_unlock(&p->mu);
  if (join_now) pthread_join(p->result_thread, NULL);
  return rc;
}

void mp_pool_free(mp_pool *p) {
  if (p == NULL) return;
  if (!p->joined) {
    (void)mp_pool_terminate(p);
    (void)mp_pool_join(p, MP_FOREVER);
  }
  release(p);
}
