/* SPDX-License-Identifier: MIT */
/* registry.c -- the children of this process: which handles own a pidfd, reaping, the
 * at-exit policy (terminate daemons, join the rest) and the reset a forked child needs. */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "os/os.h"
#include "process/process_internal.h"

static pthread_mutex_t reg_mutex = PTHREAD_MUTEX_INITIALIZER;
static mp_process *reg_head;
/* How many registered handles were freed by their owner.  Changed under the lock, read without
 * it by mp__registry_collect_released() (from any thread), hence atomic. */
static atomic_size_t reg_released;
/* How many handles are registered: changed under the lock, read without it to skip taking the
 * lock when there is nothing to look at (a leaving child usually has no children of its own,
 * and taking the lock would run code and write a page it has not touched yet). */
static atomic_size_t reg_count;
/* One freed handle kept for the next mp_process_new().  A start-join loop then never calls
 * malloc/free, whose writes (the arena, errno in the thread's TLS) land on pages that the last
 * fork made copy-on-write: two page faults per child saved.  Kept next to the registry
 * globals, which the start writes anyway, so the slot costs no page of its own. */
static _Atomic(mp_process *) reg_spare;

mp_process *mp__registry_take_spare(void) {
  if (atomic_load_explicit(&reg_spare, memory_order_relaxed) == NULL) return NULL;
  return atomic_exchange_explicit(&reg_spare, NULL, memory_order_acquire);
}

bool mp__registry_keep_spare(mp_process *p) {
  mp_process *expected = NULL;
  return atomic_compare_exchange_strong_explicit(&reg_spare, &expected, p, memory_order_release,
                                                 memory_order_relaxed);
}

void mp__registry_lock(void) { pthread_mutex_lock(&reg_mutex); }
void mp__registry_unlock(void) { pthread_mutex_unlock(&reg_mutex); }

void mp__registry_add(mp_process *p) {
  p->reg_prev = NULL;
  p->reg_next = reg_head;
  if (reg_head) reg_head->reg_prev = p;
  reg_head = p;
  p->registered = true;
  atomic_fetch_add_explicit(&reg_count, 1, memory_order_relaxed);
}

void mp__registry_remove(mp_process *p) {
  if (!p->registered) return;
  if (p->reg_prev)
    p->reg_prev->reg_next = p->reg_next;
  else
    reg_head = p->reg_next;
  if (p->reg_next) p->reg_next->reg_prev = p->reg_prev;
  p->reg_prev = p->reg_next = NULL;
  p->registered = false;
  atomic_fetch_sub_explicit(&reg_count, 1, memory_order_relaxed);
  mp__close(p->pidfd);
  p->pidfd = -1;
  if (p->released) atomic_fetch_sub_explicit(&reg_released, 1, memory_order_relaxed);
}

/* Reaps p if it has ended.  Registry lock held.  A handle its owner already freed is freed
 * here once reaped; *freed tells the caller not to touch it again. */
static int poll_locked(mp_process *p, bool *freed) {
  *freed = false;
  if (p->state != MP__PROC_RUNNING) return 1;
  int code = 0;
  int r = mp__pidfd_reap(p->pidfd, false, &code);
  if (r == 0) return 0;
  if (r < 0 && r != -ECHILD) return r;
  /* -ECHILD: the host program reaped our child itself (a SIGCHLD handler calling
   * waitpid(-1)); the process is gone but its status is lost. */
  p->reap_error = r < 0 ? r : 0;
  p->exitcode = r < 0 ? 0 : code;
  p->state = MP__PROC_ENDED;
  mp__log(MP_LOG_DEBUG, "child %s (pid %d) ended with exitcode %d", p->name, (int)p->pid,
          p->exitcode);
  if (p->released) {
    mp__registry_remove(p);
    mp__process_drop_payload(p);
    free(p);
    *freed = true;
  }
  return 1;
}

int mp__process_poll(mp_process *p) {
  bool freed;
  mp__registry_lock();
  int r = poll_locked(p, &freed);
  mp__registry_unlock();
  return r;
}

void mp__registry_collect_released(void) {
  /* Unlocked look: a miss only delays the reaping to the next start. */
  if (atomic_load_explicit(&reg_released, memory_order_relaxed) == 0) return;
  mp__registry_lock();
  for (mp_process *p = reg_head, *next; p; p = next) {
    next = p->reg_next;
    bool freed;
    if (p->released) (void)poll_locked(p, &freed);
  }
  mp__registry_unlock();
}

void mp__registry_mark_released(mp_process *p) {
  p->released = true;
  atomic_fetch_add_explicit(&reg_released, 1, memory_order_relaxed);
}

int mp_active_children(mp_process **out, size_t cap) {
  if (out == NULL) cap = 0;
  int alive = 0;
  mp__registry_lock();
  for (mp_process *p = reg_head, *next; p; p = next) {
    next = p->reg_next;
    bool freed;
    if (poll_locked(p, &freed) != 0) continue;
    if ((size_t)alive < cap) out[alive] = p;
    alive++;
  }
  mp__registry_unlock();
  return alive;
}

void mp__registry_after_fork_child(void) {
  /* The forking thread held reg_mutex across fork(), so the list is consistent; the child has
   * only that thread, and none of these children are its own. */
  for (mp_process *p = reg_head, *next; p; p = next) {
    next = p->reg_next;
    mp__close(p->pidfd);
    p->pidfd = -1;
    p->registered = false;
    p->reg_prev = p->reg_next = NULL;
  }
  reg_head = NULL;
  atomic_store_explicit(&reg_released, 0, memory_order_relaxed);
  atomic_store_explicit(&reg_count, 0, memory_order_relaxed);
  /* A plain store, not pthread_mutex_init(): that would be the child's first call into it and
   * pay for lazy symbol binding in every child. */
  reg_mutex = (pthread_mutex_t)PTHREAD_MUTEX_INITIALIZER;
}

void mp__exit_children(void) {
  /* As Python's util._exit_function: end the daemons first, then wait for everyone. */
  mp__log(MP_LOG_INFO, "process shutting down");
  /* No registered handle: no child to end or wait for.  One registered concurrently by
   * another thread would have missed this pass under the lock just the same. */
  if (atomic_load_explicit(&reg_count, memory_order_relaxed) == 0) return;
  mp__registry_lock();
  for (mp_process *p = reg_head; p; p = p->reg_next) {
    if (p->state == MP__PROC_RUNNING && p->daemon) {
      mp__log(MP_LOG_INFO, "calling terminate() for daemon %s", p->name);
      (void)mp__pidfd_signal(p->pidfd, SIGTERM);
    }
  }
  for (mp_process *p = reg_head, *next; p; p = next) {
    next = p->reg_next;
    if (p->state != MP__PROC_RUNNING) continue;
    mp__log(MP_LOG_INFO, "calling join() for process %s", p->name);
    int code = 0;
    int r = mp__pidfd_reap(p->pidfd, true, &code);
    p->state = MP__PROC_ENDED;
    p->exitcode = r == 1 ? code : 0;
    p->reap_error = r < 0 ? r : 0;
    if (p->released) {
      mp__registry_remove(p);
      mp__process_drop_payload(p);
      free(p);
    }
  }
  mp__registry_unlock();
}

static void exit_handler(void) { mp__exit_children(); }
static pthread_once_t atexit_once = PTHREAD_ONCE_INIT;
static void install_atexit(void) { atexit(exit_handler); }

void mp__registry_install_atexit(void) { pthread_once(&atexit_once, install_atexit); }
