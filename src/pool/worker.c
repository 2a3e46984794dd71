/* SPDX-License-Identifier: MIT */
/* worker.c -- the worker loop (the same for a process and a thread): finish the chunk held and
 * claim the next one in one logged critical section, run it outside the lock, wait for work
 * when there is none. */
#include <limits.h>
#include <string.h>

#include "os/wait.h"
#include "pool/pool_internal.h"
#include "pool/task_internal.h"

static uint64_t chunk_error(int status, uint64_t item, int store_error) {
  pool_error *e;
  if (store_error)
    e = mp__error_new(MP_ETASK, store_error, "the result of item %llu could not be stored: %s",
                      (unsigned long long)item, mp_strerror(store_error));
  else if (mp__task_msg[0])
    e = mp__error_new(MP_ETASK, status, "%s", mp__task_msg);
  else
    e = mp__error_new(MP_ETASK, status, "task %llu returned status %d", (unsigned long long)item,
                      status);
  return (uint64_t)(uintptr_t)(e ? e : &mp__error_nomem);
}

/* A chunk whose function this image does not know fails, rather than the worker. */
static uint64_t unknown_fn(uint64_t item) {
  pool_error *e = mp__error_new(MP_ENOTREG, 0,
                                "item %llu: the worker's image has no task registered under the"
                                " submitted name",
                                (unsigned long long)item);
  return (uint64_t)(uintptr_t)(e ? e : &mp__error_nomem);
}

uint64_t mp__run_chunk(const pool_shared *sh, pool_job *j, uint64_t c) {
  uint64_t b = mp__chunk_begin(j, c), e = mp__chunk_end(j, c);
  uint64_t result = CHUNK_DONE;
  mp__task_msg[0] = '\0';
  mp__task_running = true;
  if (j->kind == JOB_ARRAY) {
    mp_map_fn fn = sh->by_ref ? (mp_map_fn)mp__task_resolve(MP__FN_MAP, j->ref) : j->fn.elem;
    if (mp__unlikely(fn == NULL)) {
      mp__task_running = false;
      return unknown_fn(b);
    }
    const unsigned char *in = j->in + b * j->in_size;
    unsigned char *out = j->out ? j->out + b * j->out_size : NULL;
    for (uint64_t i = b; i < e; i++) {
      int st = fn(in, out);
      if (mp__unlikely(st != 0)) {
        result = chunk_error(st, i, 0);
        break;
      }
      in += j->in_size;
      if (out) out += j->out_size;
    }
  } else {
    mp_task_fn fn = sh->by_ref ? (mp_task_fn)mp__task_resolve(MP__FN_TASK, j->ref) : j->fn.task;
    if (mp__unlikely(fn == NULL)) {
      mp__task_running = false;
      return unknown_fn(b);
    }
    for (uint64_t i = b; i < e; i++) {
      mp_task t = {.job = j, .index = i, .store_error = 0};
      int st = fn(&t);
      if (mp__unlikely(st != 0 || t.store_error != 0)) {
        result = chunk_error(st, i, st ? 0 : t.store_error);
        break;
      }
    }
  }
  mp__task_running = false;
  return result;
}

typedef struct {
  pool_shared *sh;
  pool_slot *s;
  uint32_t me;
} idle_wait;

/* After the spin, before a look that may end in a sleep: gives the spinner role back and
 * counts the worker asleep, its slot's flag telling the result thread to take the count back
 * should the worker be killed asleep. */
static void idle_arm(void *arg) {
  idle_wait *iw = arg;
  uint32_t mine = iw->me + 1;
  atomic_compare_exchange_strong(&iw->sh->spinner, &mine, 0);
  if (!atomic_load_explicit(&iw->s->sleeping, memory_order_relaxed)) {
    atomic_fetch_add(&iw->sh->idle_sleepers, 1);
    atomic_store(&iw->s->sleeping, 1);
  }
}

/* Waits until work_seq moves on from seq: every submit, close, terminate and supervisor
 * decision bumps it.  One idle worker at a time spins first; the others sleep at once, so idle
 * workers never crowd out busy ones.  The sleep is mp__wait's growing slices, which heal a
 * wake-up lost to a waker that died between its bump and its FUTEX_WAKE, so an idle pool
 * wakes about once in 3 s rather than 10 times a second. */
static void wait_for_work(pool_shared *sh, pool_slot *s, uint32_t me, uint32_t seq) {
  uint32_t no = 0;
  bool spinner = atomic_compare_exchange_strong(&sh->spinner, &no, me + 1);
  idle_wait iw = {sh, s, me};
  mp__waiter w = {.word = &sh->work_seq,
                  .old = seq,
                  .arm = idle_arm,
                  .arg = &iw,
                  .spin_ns = spinner ? MP__WAIT_SPIN_LONG_NS : 0};
  (void)mp__wait(&w, mp__deadline_in(MP_FOREVER));
  if (spinner) { /* caught by the spin: the role is still ours */
    uint32_t mine = me + 1;
    atomic_compare_exchange_strong(&sh->spinner, &mine, 0);
  }
  if (atomic_exchange(&s->sleeping, 0)) atomic_fetch_sub(&sh->idle_sleepers, 1);
}

int mp__worker_main(pool_shared *sh, uint32_t i, int (*init)(void *), void *initarg) {
  pool_slot *s = &sh->slots[i];
  if (init) {
    int st = init(initarg);
    if (st != 0) return (st & 0xff) ? (st & 0xff) : 1;
  }
  atomic_store(&s->init_done, 1);

  pool_job *held = NULL;
  uint64_t hc = 0, hstate = 0;
  for (;;) {
    uint32_t seq = atomic_load_explicit(&sh->work_seq, memory_order_acquire);
    int64_t now =
        sh->task_timeout_ns || atomic_load_explicit(&sh->any_timeouts, memory_order_relaxed)
            ? mp__now_ns()
            : 0;
    mp__pool_lock(sh);
    pool_txn *t = &s->txn;
    mp__txn_begin(t);
    pool_job *done_job = held;
    int how = 0;
    uint64_t tasks = s->tasks;
    if (held) {
      how = mp__complete_log(sh, t, held, hc, hstate);
      mp__txn_set(t, &s->job, 0);
      mp__txn_set(t, &s->tasks, ++tasks);
      held = NULL;
    }
    bool leave = false;
    uint32_t state = atomic_load(&sh->state);
    if ((sh->maxtasks && tasks >= sh->maxtasks) || state == POOL_TERMINATE ||
        state == POOL_BROKEN) {
      leave = true;
    } else if (sh->active_head) {
      pool_job *j = (pool_job *)(uintptr_t)sh->active_head;
      uint64_t c = j->next_chunk;
      mp__txn_set(t, &j->next_chunk, c + 1);
      if (c + 1 == j->nchunks) { /* fully claimed: off the active list */
        mp__txn_set(t, &sh->active_head, j->next_active);
        if (sh->active_tail == (uint64_t)(uintptr_t)j) mp__txn_set(t, &sh->active_tail, 0);
      }
      mp__txn_set(t, &j->chunk_state[c], CHUNK_CLAIMED);
      mp__txn_set(t, &s->chunk, c);
      mp__txn_set(t, &s->claim_seq, s->claim_seq + 1);
      mp__txn_set(t, &s->job, (uint64_t)(uintptr_t)j);
      if (now) atomic_store(&s->started_ns, now);
      held = j;
      hc = c;
    } else if (state == POOL_CLOSE) {
      leave = true;
    }
    if (t->n) (void)mp__txn_commit(t);
    mp__pool_unlock(sh);
    if (done_job) mp__complete_wake(sh, done_job, how);
    if (leave) return 0;
    if (held) {
      hstate = mp__run_chunk(sh, held, hc);
      continue;
    }
    wait_for_work(sh, s, i, seq);
  }
}
