/* SPDX-License-Identifier: MIT */
/* supervise.c -- the pool's result thread, in the process that made the pool: it notices
 * workers that end (pidfd, or a thread's exit flag), fails the chunk a dead worker held and
 * starts its replacement, kills workers whose task ran past the task timeout, and runs the
 * callbacks of finished jobs in completion order. */
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "heap/heap.h"
#include "multiproc/pool_backend.h"
#include "os/os.h"
#include "pool/pool_internal.h"
#include "process/process_internal.h"

/* After this many workers in a row die inside the initializer, the pool is broken. */
#define INIT_FAILURES_MAX 3

typedef struct worker_arg {
  mp_pool *pool;
  uint32_t index;
} worker_arg;

static int worker_process(void *arg) {
  worker_arg *a = arg;
  return mp__worker_main(a->pool->sh, a->index, a->pool->initializer, a->pool->initarg);
}

/* What a worker in another image (forkserver, spawn) starts from: everything it touches is in
 * the shared heap, at the same address there; functions go by their refs. */
typedef struct foreign_worker {
  uint64_t sh;
  uint32_t index;
  uint32_t has_init;
  mp__task_ref init;
  uint64_t initarg;
} foreign_worker;

static int foreign_worker_main(void *payload, size_t len) {
  foreign_worker fw;
  if (len != sizeof fw) return 255;
  memcpy(&fw, payload, sizeof fw);
  free(payload);
  pool_shared *sh = (pool_shared *)(uintptr_t)fw.sh;
  int (*init)(void *) = NULL;
  if (fw.has_init && (init = (int (*)(void *))mp__task_resolve(MP__FN_TARGET, fw.init)) == NULL) {
    mp_log(MP_LOG_ERROR, "pool worker: this image has no registered initializer the pool named");
    return 255;
  }
  mp__worker_set_kick_fd(sh, mp__boot_extra_fd());
  return mp__worker_main(sh, fw.index, init, (void *)(uintptr_t)fw.initarg);
}
MP__ENTRY(foreign_worker_main);

static void *worker_thread(void *arg) {
  worker_arg *a = arg;
  mp_pool *p = a->pool;
  uint32_t i = a->index;
  free(a);
  int st = mp__worker_main(p->sh, i, p->initializer, p->initarg);
  pool_slot *s = &p->sh->slots[i];
  atomic_store(&s->exited, st ? (uint32_t)st : UINT32_MAX); /* non-zero: left, with status */
  mp__result_thread_kick(p->sh);
  return NULL;
}

int mp__worker_start(mp_pool *p, uint32_t i) {
  pool_slot *s = &p->sh->slots[i];
  s->tasks = 0;
  s->job = 0;
  atomic_store(&s->started_ns, 0);
  atomic_store(&s->killed_seq, 0);
  atomic_store(&s->init_done, 0);
  atomic_store(&s->exited, 0);
  pool_worker *w = &p->workers[i];
  worker_arg *a = malloc(sizeof *a);
  if (a == NULL) return -ENOMEM;
  a->pool = p;
  a->index = i;
  if (p->threads) {
    int r = pthread_create(&w->thread, NULL, worker_thread, a);
    if (r) {
      free(a);
      return -r;
    }
    w->running = true;
    return 0;
  }
  mp_process_opts o = {.name = NULL, .daemon = true, .start_method = (mp_start_method)p->method};
  int r;
  if (p->method == MP_START_FORK) {
    r = mp_process_new(&w->proc, worker_process, a, &o);
  } else {
    foreign_worker *fw = malloc(sizeof *fw);
    if (fw == NULL) {
      free(a);
      return -ENOMEM;
    }
    *fw = (foreign_worker){.sh = (uint64_t)(uintptr_t)p->sh,
                           .index = i,
                           .has_init = p->initializer != NULL,
                           .init = p->init_ref,
                           .initarg = (uint64_t)(uintptr_t)p->initarg};
    r = mp__process_new_entry(&w->proc, p->method, foreign_worker_main, fw, sizeof *fw, &o);
    if (r == 0) mp__process_set_extra_fd(w->proc, p->sh->efd);
  }
  if (r == 0) {
    /* Python renames "Process-N" to "ForkPoolWorker-N" (SpawnPoolWorker, ForkServerPoolWorker). */
    static const char *const prefix[] = {"", "ForkPoolWorker", "ForkServerPoolWorker",
                                         "SpawnPoolWorker"};
    char name[MP_PROCESS_NAME_MAX];
    const char *dflt = mp_process_name(w->proc);
    if (strncmp(dflt, "Process", 7) == 0) {
      snprintf(name, sizeof name, "%s%s", prefix[p->method], dflt + 7);
      (void)mp_process_set_name(w->proc, name);
    }
    r = mp_process_start(w->proc);
  }
  /* The child has its own copy of a; the parent's is done with. */
  free(a);
  if (r) {
    mp_process_free(w->proc);
    w->proc = NULL;
    return r;
  }
  w->running = true;
  return 0;
}

/* The task timeout that applies to the chunk slot s holds: its job's own, else the pool's. */
static int64_t limit_of(const pool_shared *sh, const pool_slot *s) {
  const pool_job *j = (const pool_job *)(uintptr_t)s->job;
  return j && j->timeout_ns ? j->timeout_ns : sh->task_timeout_ns;
}

static void describe_exit(char *buf, size_t cap, int code) {
  if (code < 0) {
    const char *name = sigabbrev_np(-code);
    snprintf(buf, cap, "was killed by signal %d (SIG%s)", -code, name ? name : "?");
  } else {
    snprintf(buf, cap, "exited with status %d", code);
  }
}

/* Worker i has ended with exit code code (exit status or -signal; for a thread, its loop's
 * status).  Fails the chunk it held, if any. */
static void worker_ended(mp_pool *p, uint32_t i, int code, const char *name, pid_t pid) {
  pool_shared *sh = p->sh;
  pool_slot *s = &sh->slots[i];
  mp__pool_lock(sh);
  pool_job *j = (pool_job *)(uintptr_t)s->job;
  int how = 0;
  if (j) {
    char why[96];
    describe_exit(why, sizeof why, code);
    pool_error *e;
    uint32_t state = atomic_load(&sh->state);
    if (atomic_load(&s->killed_seq) == s->claim_seq && s->claim_seq != 0)
      e = mp__error_new(MP_ETIMEDOUT, code,
                        "the task ran past its task timeout of %lld ms; worker %s (pid %d)"
                        " was killed",
                        (long long)(limit_of(sh, s) / 1000000), name, (int)pid);
    else if (state == POOL_TERMINATE)
      e = mp__error_new(MP_ECLOSED, code, "the pool was terminated while the task ran");
    else
      e = mp__error_new(MP_EWORKER, code, "worker %s (pid %d) %s while running the task", name,
                        (int)pid, why);
    pool_txn t;
    mp__txn_begin(&t);
    how = mp__complete_log(sh, &t, j, s->chunk, (uint64_t)(uintptr_t)(e ? e : &mp__error_nomem));
    mp__txn_set(&t, &s->job, 0);
    (void)mp__txn_commit(&t);
    mp__log(MP_LOG_WARNING, "pool: worker %s (pid %d) %s while running a task", name, (int)pid,
            why);
  }
  bool got_through_init = atomic_load(&s->init_done);
  mp__pool_unlock(sh);
  /* A worker killed while idle leaves no spinner role or sleeper count behind. */
  uint32_t me = i + 1;
  atomic_compare_exchange_strong(&sh->spinner, &me, 0);
  if (atomic_exchange(&s->sleeping, 0)) atomic_fetch_sub(&sh->idle_sleepers, 1);
  if (j) mp__complete_wake(sh, j, how);

  pthread_mutex_lock(&p->mu);
  p->workers[i].running = false;
  if (got_through_init) {
    p->init_failures = 0;
  } else if (code != 0 && p->initializer) {
    uint32_t state = atomic_load(&sh->state);
    if (++p->init_failures >= INIT_FAILURES_MAX && (state == POOL_RUN || state == POOL_CLOSE)) {
      pool_error *e = mp__error_new(MP_EWORKER, code,
                                    "the pool is broken: the initializer failed in %d workers in a"
                                    " row (last status %d)",
                                    p->init_failures, code);
      mp__pool_lock(sh);
      atomic_store(&sh->state, POOL_BROKEN);
      mp__fail_unclaimed(sh, MP_EWORKER, code, e ? e->message : "the pool is broken");
      mp__pool_unlock(sh);
      if (e) mp__shared_free(e, sizeof *e);
      mp__wake_workers(sh);
    }
  }
  pthread_mutex_unlock(&p->mu);
}

/* Reaps the workers that ended.  Returns how many still run. */
static int reap(mp_pool *p) {
  int running = 0;
  for (int i = 0; i < p->nworkers; i++) {
    pool_worker *w = &p->workers[i];
    if (!w->running) continue;
    if (p->backend) { /* the backend says when a slot's executor is gone */
      uint32_t ex = atomic_load(&p->sh->slots[i].exited);
      if (ex == 0) {
        running++;
        continue;
      }
      worker_ended(p, (uint32_t)i, ex == UINT32_MAX ? 0 : (int)ex, p->slot_what[i], 0);
      continue;
    }
    if (p->threads) {
      uint32_t ex = atomic_load(&p->sh->slots[i].exited);
      if (ex == 0) {
        running++;
        continue;
      }
      pthread_join(w->thread, NULL);
      worker_ended(p, (uint32_t)i, ex == UINT32_MAX ? 0 : (int)ex, "thread", getpid());
      continue;
    }
    if (mp_process_join(w->proc, 0) != 0) {
      running++;
      continue;
    }
    int code = 0;
    (void)mp_process_exitcode(w->proc, &code);
    char name[MP_PROCESS_NAME_MAX];
    snprintf(name, sizeof name, "%s", mp_process_name(w->proc));
    pid_t pid = mp_process_pid(w->proc);
    worker_ended(p, (uint32_t)i, code, name, pid);
    pthread_mutex_lock(&p->mu); /* terminate() signals workers under it */
    mp_process_free(w->proc);
    w->proc = NULL;
    pthread_mutex_unlock(&p->mu);
  }
  return running;
}

/* Starts replacements for the workers that ended while there may still be work for them. */
static int replace(mp_pool *p) {
  pool_shared *sh = p->sh;
  int started = 0;
  if (p->backend) return 0; /* a lost remote executor does not come back */
  for (int i = 0; i < p->nworkers; i++) {
    uint32_t state = atomic_load(&sh->state);
    bool wanted = state == POOL_RUN || (state == POOL_CLOSE && mp__ld(&sh->active_head) != 0);
    if (!wanted) break;
    if (p->workers[i].running) continue;
    pthread_mutex_lock(&p->mu);
    int r = mp__worker_start(p, (uint32_t)i);
    pthread_mutex_unlock(&p->mu);
    if (r != 0) {
      mp__log(MP_LOG_ERROR, "pool: cannot start a replacement worker: %s", mp_strerror(r));
      break; /* tried again at the next wake-up */
    }
    started++;
  }
  return started;
}

/* Every slot of a backend pool has exited: nothing will ever run what still waits, so an
 * open pool breaks (a closed one that had drained is simply done). */
static void backend_all_lost(mp_pool *p) {
  pool_shared *sh = p->sh;
  mp__pool_lock(sh);
  uint32_t state = atomic_load(&sh->state);
  if (state == POOL_RUN || (state == POOL_CLOSE && sh->active_head)) {
    atomic_store(&sh->state, POOL_BROKEN);
    mp__fail_unclaimed(sh, MP_EWORKER, 0,
                       "the pool is broken: every executor of its backend is lost");
    mp__log(MP_LOG_ERROR, "pool: every executor of the %s backend is lost",
            p->backend->name ? p->backend->name : "backend");
  }
  mp__pool_unlock(sh);
}

/* Runs the callbacks of finished jobs, oldest first, and frees orphaned ones. */
static void deliver(mp_pool *p) {
  pool_shared *sh = p->sh;
  for (;;) {
    mp__pool_lock(sh);
    pool_job *j = (pool_job *)(uintptr_t)sh->done_head;
    if (j) {
      sh->done_head = j->next_done;
      if (sh->done_tail == (uint64_t)(uintptr_t)j) sh->done_tail = 0;
    }
    mp__pool_unlock(sh);
    if (j == NULL) return;
    mp_async_result *r = j->owner;
    if (j->flags & JOB_CALLBACK) {
      mp__result_copy_out(r);
      bool ok = j->first_error == 0;
      mp_result_cb cb = ok ? r->opts.callback : r->opts.error_callback;
      if (cb) cb(r, r->opts.user);
      /* Only now is the result ready for get()/wait(), as in Python. */
      atomic_store(&j->delivered, 1);
      (void)mp__futex_wake(&j->delivered, INT_MAX);
    }
    if (j->flags & JOB_NOTIFY) mp__result_notify(r);
    mp__result_unref(r);
  }
}

/* How often the result thread looks for overdue tasks when some job has a timeout of its own
 * but none of its tasks runs yet (a claim does not wake the result thread). */
#define JOB_TIMEOUT_LOOK_MS 50

/* Kills the workers whose chunk is overdue; returns the poll timeout (ms) until the next one
 * could be. */
static int check_timeouts(mp_pool *p) {
  pool_shared *sh = p->sh;
  bool per_job = atomic_load(&sh->any_timeouts);
  if ((sh->task_timeout_ns <= 0 && !per_job) || p->threads || p->backend) return -1;
  int64_t now = mp__now_ns();
  int64_t next = now + (per_job ? JOB_TIMEOUT_LOOK_MS * INT64_C(1000000) : sh->task_timeout_ns);
  if (sh->task_timeout_ns > 0 && now + sh->task_timeout_ns < next) next = now + sh->task_timeout_ns;
  mp__pool_lock(sh);
  for (int i = 0; i < p->nworkers; i++) {
    pool_slot *s = &sh->slots[i];
    int64_t limit = limit_of(sh, s);
    if (!p->workers[i].running || s->job == 0 || limit <= 0) continue;
    int64_t due = atomic_load(&s->started_ns) + limit;
    if (due <= now) {
      if (atomic_load(&s->killed_seq) != s->claim_seq) {
        atomic_store(&s->killed_seq, s->claim_seq);
        (void)mp_process_kill(p->workers[i].proc);
      }
    } else if (due < next) {
      next = due;
    }
  }
  mp__pool_unlock(sh);
  return (int)((next - now + 999999) / 1000000);
}

/* Starts the first workers.  They are forked from this thread rather than the caller's, because
 * a daemon child's parent-death signal follows the thread that forked it: the pool's workers
 * then live exactly as long as the pool, whatever becomes of the thread that made it. */
static int start_all(mp_pool *p) {
  int rc = 0;
  if (p->backend) {
    for (int i = 0; i < p->nworkers; i++) p->workers[i].running = true;
    rc = p->backend->start(p, p->backend->ctx);
    if (rc != 0)
      for (int i = 0; i < p->nworkers; i++) p->workers[i].running = false;
    return rc;
  }
  for (int i = 0; i < p->nworkers && rc == 0; i++) {
    pthread_mutex_lock(&p->mu);
    rc = mp__worker_start(p, (uint32_t)i);
    pthread_mutex_unlock(&p->mu);
  }
  if (rc == 0) return 0;
  atomic_store(&p->sh->state, POOL_TERMINATE);
  mp__wake_workers(p->sh);
  for (int i = 0; i < p->nworkers; i++) {
    pool_worker *w = &p->workers[i];
    if (!w->running) continue;
    if (p->threads) {
      pthread_join(w->thread, NULL);
    } else {
      (void)mp_process_kill(w->proc);
      (void)mp_process_join(w->proc, MP_FOREVER);
      mp_process_free(w->proc);
      w->proc = NULL;
    }
    w->running = false;
  }
  return rc;
}

void *mp__result_thread(void *arg) {
  mp_pool *p = arg;
  pool_shared *sh = p->sh;
  int rc = start_all(p);
  pthread_mutex_lock(&p->mu);
  p->start_rc = rc;
  p->started = true;
  pthread_cond_broadcast(&p->cond);
  pthread_mutex_unlock(&p->mu);
  if (rc != 0) return NULL;
  struct pollfd *fds = calloc((size_t)p->nworkers + 1, sizeof *fds);
  uint32_t seen_kicks = atomic_load(&sh->kicks);
  for (;;) {
    uint32_t kicks = atomic_load(&sh->kicks);
    if (kicks != seen_kicks) { /* something ended: an event loop on the pool's fd looks */
      seen_kicks = kicks;
      int nfd = atomic_load(&p->notify_fd);
      uint64_t one = 1;
      if (nfd >= 0 && write(nfd, &one, sizeof one) < 0) { /* full counter: readable anyway */
      }
    }
    deliver(p);
    int running = reap(p);
    running += replace(p);
    if (running == 0 && p->backend) backend_all_lost(p);
    deliver(p);
    if (running == 0 && atomic_load(&sh->state) != POOL_RUN) {
      deliver(p);
      break;
    }
    int timeout = check_timeouts(p);
    nfds_t n = 0;
    fds[n++] = (struct pollfd){.fd = sh->efd, .events = POLLIN};
    if (!p->threads && !p->backend && fds)
      for (int i = 0; i < p->nworkers; i++)
        if (p->workers[i].running)
          fds[n++] =
              (struct pollfd){.fd = mp_process_sentinel(p->workers[i].proc), .events = POLLIN};
    atomic_store(&sh->result_sleeping, 1);
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load(&sh->kicks) == kicks && mp__ld(&sh->done_head) == 0 && fds)
      (void)poll(fds, n, timeout);
    else if (fds == NULL)
      usleep(1000); /* no memory for the poll set: poll the slow way */
    atomic_store(&sh->result_sleeping, 0);
    uint64_t v;
    while (read(sh->efd, &v, sizeof v) > 0) {
    }
  }
  free(fds);
  pthread_mutex_lock(&p->mu);
  p->result_thread_done = true;
  pthread_cond_broadcast(&p->cond);
  pthread_mutex_unlock(&p->mu);
  return NULL;
}
