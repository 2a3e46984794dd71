/* SPDX-License-Identifier: MIT */
/* backend.c -- the pool's side of multiproc/pool_backend.h: a backend's slots claim and
 * complete chunks through these calls, as a local worker does in its loop (worker.c).
 *
 * The backend runs in the pool's own process, which cannot die alone, so nothing here needs
 * the redo log's protection; the log is used as a scratch list of stores only to share
 * mp__complete_log() with the workers.  A chunk a slot holds is the backend's until it
 * completes it -- terminate() too only asks the backend to complete what it holds -- so the
 * job's memory behind a held chunk stays valid for the backend.  Every call still checks,
 * under the pool lock, that its slot holds that very claim (claim_seq), so a chunk struct
 * used twice or on the wrong slot is refused rather than written through. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "multiproc/pool_backend.h"
#include "os/os.h"
#include "os/wait.h"
#include "pool/pool_internal.h"
#include "pool/task_internal.h"

static bool bad_slot(const mp_pool *p, int slot) {
  return p == NULL || p->backend == NULL || slot < 0 || slot >= p->nworkers;
}

/* Whether slot still holds the claim c was made from.  Pool lock held. */
static bool still_held(const pool_slot *s, const mp_pool_chunk *c) {
  return s->job == (uint64_t)(uintptr_t)c->job_ && s->claim_seq == c->seq_ && s->job != 0;
}

int mp_pool_backend_claim(mp_pool *p, int slot, mp_pool_chunk *c, uint32_t *seq) {
  if (bad_slot(p, slot) || c == NULL) return -EINVAL;
  pool_shared *sh = p->sh;
  pool_slot *s = &sh->slots[slot];
  if (atomic_load(&s->exited)) return MP_ESTATE;
  if (seq) *seq = atomic_load_explicit(&sh->work_seq, memory_order_acquire);
  mp__pool_lock(sh);
  uint32_t state = atomic_load(&sh->state);
  int rc = 0;
  if (s->job != 0) {
    rc = MP_ESTATE;
  } else if (state == POOL_TERMINATE || state == POOL_BROKEN) {
    rc = MP_ECLOSED;
  } else if (sh->active_head) {
    pool_job *j = (pool_job *)(uintptr_t)sh->active_head;
    uint64_t ci = j->next_chunk;
    mp__st(&j->next_chunk, ci + 1);
    if (ci + 1 == j->nchunks) { /* fully claimed: off the active list */
      mp__st(&sh->active_head, j->next_active);
      if (sh->active_tail == (uint64_t)(uintptr_t)j) mp__st(&sh->active_tail, 0);
    }
    mp__st(&j->chunk_state[ci], CHUNK_CLAIMED);
    s->chunk = ci;
    s->claim_seq++;
    mp__st(&s->job, (uint64_t)(uintptr_t)j);
    uint64_t b = mp__chunk_begin(j, ci), e = mp__chunk_end(j, ci);
    *c = (mp_pool_chunk){.array = j->kind == JOB_ARRAY,
                         .task_name = mp__task_ref_name(j->ref),
                         .first = b,
                         .count = e - b,
                         .job_ = j,
                         .chunk_ = ci,
                         .seq_ = s->claim_seq};
    if (c->array) {
      c->in = j->in + b * j->in_size;
      c->in_size = j->in_size;
      c->out = j->out ? j->out + b * j->out_size : NULL;
      c->out_size = j->out_size;
    }
    rc = 1;
  } else if (state == POOL_CLOSE) {
    rc = MP_ECLOSED;
  }
  mp__pool_unlock(sh);
  return rc;
}

int mp_pool_backend_wait_work(mp_pool *p, uint32_t seq, mp_timeout_ms timeout) {
  if (p == NULL || p->backend == NULL) return -EINVAL;
  pool_shared *sh = p->sh;
  /* Counted as a sleeper so that a submission wakes it (submit.c wakes only when some are). */
  atomic_fetch_add(&sh->idle_sleepers, 1);
  mp__waiter w = {.word = &sh->work_seq, .old = seq, .whole = true};
  int rc = mp__wait(&w, mp__deadline_in(timeout));
  atomic_fetch_sub(&sh->idle_sleepers, 1);
  return rc == 0 ? 0 : MP_ETIMEDOUT;
}

int mp_pool_backend_item_arg(const mp_pool_chunk *c, size_t i, const void **data, size_t *len,
                             bool *raw) {
  if (c == NULL || c->array || i < c->first || i >= c->first + c->count) return -EINVAL;
  const pool_job *j = c->job_;
  uint64_t a = j->arg_off[i], b = j->arg_off[i + 1];
  if (data) *data = j->args + (a & ~ARG_RAW);
  if (len) *len = (b & ~ARG_RAW) - (a & ~ARG_RAW);
  if (raw) *raw = (a & ARG_RAW) != 0;
  return 0;
}

int mp_pool_backend_set_result(mp_pool *p, int slot, mp_pool_chunk *c, size_t i, const void *data,
                               size_t len, bool raw) {
  if (bad_slot(p, slot) || c == NULL || c->array || i < c->first || i >= c->first + c->count ||
      (data == NULL && len > 0))
    return -EINVAL;
  pool_shared *sh = p->sh;
  mp__pool_lock(sh);
  int rc =
      still_held(&sh->slots[slot], c) ? mp__job_set_result(c->job_, i, data, len, raw) : MP_ESTATE;
  mp__pool_unlock(sh);
  return rc;
}

int mp_pool_backend_complete(mp_pool *p, int slot, mp_pool_chunk *c, int code, int status,
                             const char *message) {
  if (bad_slot(p, slot) || c == NULL) return -EINVAL;
  pool_shared *sh = p->sh;
  pool_slot *s = &sh->slots[slot];
  uint64_t state = CHUNK_DONE;
  if (code != 0) {
    pool_error *e = mp__error_new(code, status, "%s", message ? message : "");
    state = (uint64_t)(uintptr_t)(e ? e : &mp__error_nomem);
  }
  mp__pool_lock(sh);
  if (!still_held(s, c)) {
    mp__pool_unlock(sh);
    if (state != CHUNK_DONE && state != (uint64_t)(uintptr_t)&mp__error_nomem)
      mp__shared_free((void *)(uintptr_t)state, sizeof(pool_error));
    return MP_ESTATE;
  }
  pool_job *j = c->job_;
  pool_txn t;
  mp__txn_begin(&t);
  int how = mp__complete_log(sh, &t, j, c->chunk_, state);
  mp__txn_set(&t, &s->job, 0);
  mp__txn_set(&t, &s->tasks, s->tasks + 1);
  mp__txn_commit(&t);
  mp__pool_unlock(sh);
  mp__complete_wake(sh, j, how);
  return 0;
}

int mp_pool_backend_slot_exit(mp_pool *p, int slot, int code, const char *what) {
  if (bad_slot(p, slot)) return -EINVAL;
  pool_slot *s = &p->sh->slots[slot];
  if (mp__ld(&s->job) != 0 || atomic_load(&s->exited)) return MP_ESTATE;
  snprintf(p->slot_what[slot], sizeof p->slot_what[slot], "%s", what ? what : "backend slot");
  /* Once the last exit is visible the pool may be joined and freed, even before the kick
   * below: mp_pool_free() waits for exits still inside this function. */
  atomic_fetch_add(&p->backend_exiting, 1);
  atomic_store(&s->exited, code ? (uint32_t)code : UINT32_MAX);
  mp__result_thread_kick(p->sh);
  atomic_fetch_sub(&p->backend_exiting, 1);
  return 0;
}

/* ---- running a chunk that came from elsewhere ---- */

int mp_task_run(mp_task_fn fn, size_t index, const void *arg, size_t len, bool raw,
                mp_task_outcome *out) {
  if (fn == NULL || out == NULL || (arg == NULL && len > 0)) return -EINVAL;
  *out = (mp_task_outcome){0};
  mp_task t = {.index = index, .arg = arg, .arg_len = len, .arg_raw = raw, .sink = out};
  mp__task_msg[0] = '\0';
  mp__task_running = true;
  out->status = fn(&t);
  mp__task_running = false;
  snprintf(out->message, sizeof out->message, "%s", mp__task_msg);
  if (t.store_error) {
    free(out->result);
    out->result = NULL;
    out->len = 0;
    return t.store_error;
  }
  return 0;
}

int mp_map_task_run(mp_map_fn fn, const void *in, size_t n, size_t in_size, void *out,
                    size_t out_size, char *msg, size_t *failed_at) {
  if (fn == NULL || (in == NULL && n > 0) || in_size == 0 || ((out == NULL) != (out_size == 0)))
    return -EINVAL;
  const unsigned char *ip = in;
  unsigned char *op = out;
  mp__task_msg[0] = '\0';
  mp__task_running = true;
  int st = 0;
  size_t i = 0;
  for (; i < n && st == 0; i++) {
    st = fn(ip, op);
    ip += in_size;
    if (op) op += out_size;
  }
  mp__task_running = false;
  if (st != 0) {
    if (msg) snprintf(msg, MP_TASK_MSG_MAX, "%s", mp__task_msg);
    if (failed_at) *failed_at = i - 1;
  }
  return st;
}
