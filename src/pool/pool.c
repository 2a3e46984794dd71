/* SPDX-License-Identifier: MIT */
/* pool.c -- a pool's life: making it (shared control block, workers, result thread), close,
 * terminate, join and free. */
#include <limits.h>
#include <sched.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "heap/heap.h"
#include "multiproc/pool_backend.h"
#include "os/olock.h"
#include "os/os.h"
#include "pool/pool_internal.h"

/* ---- pools still open at exit are terminated, as Python's finalizers do ---- */
static pthread_mutex_t live_mu = PTHREAD_MUTEX_INITIALIZER;
static mp_pool *live_head;
static pthread_once_t hook_once = PTHREAD_ONCE_INIT;

static int join(mp_pool *p, mp_timeout_ms timeout, bool interruptible);

static void terminate_live_pools(void) {
  pthread_mutex_lock(&live_mu);
  for (mp_pool *p = live_head; p; p = p->next_live) {
    if (p->owner_pid != getpid() || p->joined) continue; /* a forked copy of a parent's pool */
    (void)mp_pool_terminate(p);
    /* A thread worker cannot be stopped: wait for its current chunk, but not forever. */
    (void)join(p, p->threads ? 10000 : MP_FOREVER, false);
  }
  pthread_mutex_unlock(&live_mu);
}

/* A child forked while another thread held live_mu would find it locked for ever, and its exit
 * (which runs terminate_live_pools) would hang: the child starts with it unlocked.  Its copy of
 * the list names only its parent's pools, which it skips. */
static void live_mu_after_fork(void) { pthread_mutex_init(&live_mu, NULL); }

/* Registered after the first workers started, so that it runs before the process layer's own
 * exit handler (which would otherwise end the workers while the result thread replaces them). */
static void install_hook(void) {
  (void)mp__on_exit(terminate_live_pools);
  (void)pthread_atfork(NULL, NULL, live_mu_after_fork);
}

static void live_add(mp_pool *p) {
  pthread_once(&hook_once, install_hook);
  pthread_mutex_lock(&live_mu);
  p->next_live = live_head;
  live_head = p;
  pthread_mutex_unlock(&live_mu);
}

static void live_remove(mp_pool *p) {
  pthread_mutex_lock(&live_mu);
  for (mp_pool **pp = &live_head; *pp; pp = &(*pp)->next_live) {
    if (*pp == p) {
      *pp = p->next_live;
      break;
    }
  }
  pthread_mutex_unlock(&live_mu);
}

/* The pool's calls are for the process that made it: a forked child holds a copy of the handle
 * but must not close or terminate the parent's pool through it. */
static bool foreign(const mp_pool *p) { return p->owner_pid != mp__self_pid(); }

static void kill_workers(mp_pool *p) {
  if (p->backend) {
    if (p->backend->terminate) p->backend->terminate(p, p->backend->ctx);
    return;
  }
  if (p->threads) return; /* a thread finishes its chunk and sees the state */
  pthread_mutex_lock(&p->mu);
  for (int i = 0; i < p->nworkers; i++)
    if (p->workers[i].running && p->workers[i].proc) (void)mp_process_kill(p->workers[i].proc);
  pthread_mutex_unlock(&p->mu);
}

static void release(mp_pool *p) {
  while (atomic_load(&p->backend_exiting)) sched_yield(); /* a slot exit still kicking */
  mp__stage_close(p->stage);
  if (p->sh) {
    mp__close(p->sh->efd);
    mp__shared_free(p->sh, p->sh_size);
  }
  free(p->workers);
  free(p->slot_what);
  if (atomic_load(&p->notify_fd) >= 0) mp__close(atomic_load(&p->notify_fd));
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
  const mp_pool_backend *be = opts->backend;
  if (be && (be->slots == NULL || be->start == NULL)) return -EINVAL;
  if (be && (opts->initializer || opts->maxtasksperchild || opts->task_timeout > 0))
    return -ENOTSUP;
  int n = be ? be->slots(be->ctx) : opts->processes ? opts->processes : mp_usable_cpu_count();
  if (n <= 0) return n < 0 ? n : -EINVAL;
  int method = opts->threads || be ? MP_START_FORK : mp__start_method_resolve(opts->start_method);
  if (method < 0) return method;
  mp__task_ref init_ref = {0};
  if (method != MP_START_FORK && opts->initializer) {
    /* Workers in another image find the initializer by name; its argument must mean the same
     * there, so it is NULL or a pointer into the shared heap. */
    int r = mp__task_ref_of(MP__FN_TARGET, (void (*)(void))opts->initializer, &init_ref);
    if (r != 0) return r;
    if (opts->initarg != NULL && !mp__heap_contains(opts->initarg, 1)) return -EINVAL;
  }
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
  p->threads = opts->threads && be == NULL;
  p->backend = be;
  p->nworkers = n;
  p->owner_pid = getpid();
  atomic_init(&p->notify_fd, -1);
  p->initializer = opts->initializer;
  p->initarg = opts->initarg;
  p->method = method;
  p->workers = calloc((size_t)n, sizeof *p->workers);
  if (be) p->slot_what = calloc((size_t)n, sizeof *p->slot_what);
  p->stage = mp__stage_new();
  p->sh_size = sizeof(pool_shared) + (size_t)n * sizeof(pool_slot);
  bool ready = p->workers && p->stage && (be == NULL || p->slot_what);
  p->sh = ready ? mp__shared_alloc(p->sh_size) : NULL;
  if (p->sh == NULL) {
    release(p);
    return -ENOMEM;
  }
  pool_shared *sh = p->sh;
  sh->efd = mp__eventfd_new();
  if (sh->efd < 0) {
    rc = sh->efd;
    sh->efd = -1;
    release(p);
    return rc;
  }
  sh->nslots = (uint32_t)n;
  sh->maxtasks = opts->maxtasksperchild;
  sh->by_ref = method != MP_START_FORK || be != NULL; /* a backend runs tasks by name */
  p->init_ref = init_ref;
  sh->task_timeout_ns = opts->task_timeout > 0 ? opts->task_timeout * 1000000 : 0;

  rc = -pthread_create(&p->result_thread, NULL, mp__result_thread, p);
  if (rc == 0) {
    pthread_mutex_lock(&p->mu);
    while (!p->started) pthread_cond_wait(&p->cond, &p->mu);
    rc = p->start_rc;
    pthread_mutex_unlock(&p->mu);
    if (rc != 0) pthread_join(p->result_thread, NULL); /* it stopped what it started */
  }
  if (rc != 0) {
    release(p);
    return rc;
  }
  p->result_thread_started = true;
  live_add(p);
  *out = p;
  return 0;
}

int mp_pool_size(const mp_pool *p) { return p ? p->nworkers : 0; }

int mp_pool_close(mp_pool *p) {
  if (p == NULL) return -EINVAL;
  if (foreign(p)) return MP_ESTATE;
  pool_shared *sh = p->sh;
  mp__pool_lock(sh);
  uint32_t expect = POOL_RUN;
  atomic_compare_exchange_strong(&sh->state, &expect, POOL_CLOSE);
  mp__pool_unlock(sh);
  mp__wake_workers(sh);
  mp__result_thread_kick(sh);
  return 0;
}

int mp_pool_terminate(mp_pool *p) {
  if (p == NULL) return -EINVAL;
  if (foreign(p)) return MP_ESTATE;
  pool_shared *sh = p->sh;
  mp__pool_lock(sh);
  atomic_store(&sh->state, POOL_TERMINATE);
  mp__fail_unclaimed(sh, MP_ECLOSED, 0, "the pool was terminated before the task ran");
  mp__pool_unlock(sh);
  mp__wake_workers(sh);
  kill_workers(p);
  mp__result_thread_kick(sh);
  return 0;
}

/* How often a join that mp_interrupt() may end looks at the interrupt: a condition variable
 * cannot be woken by it. */
#define JOIN_INTERRUPT_LOOK_MS 50

/* join(); interruptible for the public call only: mp_pool_free() and the exit hook must see the
 * result thread end before they free what it uses. */
static int join(mp_pool *p, mp_timeout_ms timeout, bool interruptible) {
  if (p == NULL) return -EINVAL;
  if (foreign(p)) return MP_ESTATE;
  if (atomic_load(&p->sh->state) == POOL_RUN) return MP_ESTATE;
  if (p->result_thread_started && pthread_equal(pthread_self(), p->result_thread)) return MP_ESTATE;
  mp__deadline d = mp__deadline_in(timeout);
  struct timespec ts;
  int rc = 0;
  pthread_mutex_lock(&p->mu);
  while (!p->result_thread_done && rc == 0) {
    if (interruptible && mp__interrupt_pending()) {
      rc = -EINTR;
      break;
    }
    mp__deadline step = interruptible ? mp__deadline_in(JOIN_INTERRUPT_LOOK_MS) : d;
    if (!mp__deadline_forever(d) && (mp__deadline_forever(step) || d.at_ns < step.at_ns)) step = d;
    const struct timespec *abs = mp__deadline_abs(step, &ts);
    if (abs == NULL)
      pthread_cond_wait(&p->cond, &p->mu);
    else if (pthread_cond_timedwait(&p->cond, &p->mu, abs) == ETIMEDOUT && !p->result_thread_done &&
             mp__deadline_passed(d))
      rc = MP_ETIMEDOUT;
  }
  bool join_now = rc == 0 && !p->joined;
  if (join_now) p->joined = true;
  pthread_mutex_unlock(&p->mu);
  if (join_now) pthread_join(p->result_thread, NULL);
  return rc;
}

int mp_pool_join(mp_pool *p, mp_timeout_ms timeout) { return join(p, timeout, true); }

void mp_pool_free(mp_pool *p) {
  if (p == NULL) return;
  if (foreign(p)) return; /* a forked copy: the parent's pool is not ours to end */
  if (pthread_equal(pthread_self(), p->result_thread)) {
    mp__log(MP_LOG_ERROR, "mp_pool_free: called from a callback of the same pool; ignored");
    return;
  }
  live_remove(p);
  if (!p->joined) {
    (void)mp_pool_terminate(p);
    (void)join(p, MP_FOREVER, false);
  }
  release(p);
}
