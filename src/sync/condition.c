/* SPDX-License-Identifier: MIT */
/* condition.c -- multiprocessing.Condition with exact, FIFO notify(n).
 *
 * No waiter lists on anybody's stack (a process may die or unmap them): the state is three
 * counters and a small bitmap in the condition, all changed only with the condition's lock
 * held, plus a sequence word that is the futex.
 *   head     the next ticket; a waiter takes one before it releases the lock
 *   granted  tickets below it have been notified (compared with wrap-around arithmetic)
 *   skip     bit i: ticket granted+i was given up by a waiter that timed out
 *   seq      bumped by every notify that grants something; waiters sleep on it
 * notify(n) advances granted over the next n live tickets, skipping given-up ones, bumps seq
 * and wakes every sleeper (a futex cannot pick which); each one compares its ticket with
 * granted and only those notified return.  So notify(n) wakes exactly n of the waiters that
 * were waiting when it was called, oldest first, as Python's threading.Condition does.
 *
 * A waiter that times out re-takes the lock and gives its ticket up: the last ticket is simply
 * taken back, others are marked in skip.  Only a waiter more than SKIP_BITS places behind the
 * oldest un-notified one cannot be marked; its ticket then absorbs one later notification.  A
 * waiter that dies while waiting also keeps its ticket and absorbs the one notification that
 * reaches it, exactly as if it had died just after being woken; notify_all is unaffected. */
#include <limits.h>

#include "heap/heap.h"
#include "os/wait.h"
#include "sync/sync_internal.h"

#define SKIP_WORDS 4
#define SKIP_BITS (64 * SKIP_WORDS)

enum { OWN_RLOCK = 0, USER_LOCK = 1, USER_RLOCK = 2 };

typedef struct {
  uint32_t kind;
  _Atomic uint32_t seq;
  _Atomic uint32_t head;
  _Atomic uint32_t granted;
  uint64_t skip[SKIP_WORDS];
  void *user; /* the caller's mp_lock_t or mp_rlock_t */
  mp_rlock_t own;
} cond_impl;

_Static_assert(sizeof(cond_impl) <= sizeof(mp_condition_t), "cond_impl must fit mp_condition_t");

static inline cond_impl *impl(mp_condition_t *c) { return (cond_impl *)(void *)c; }

static mp__olock *olock_of(cond_impl *ci) {
  switch (ci->kind) {
    case USER_LOCK: return (mp__olock *)ci->user;
    case USER_RLOCK: return &((mp__rlock_impl *)ci->user)->lk;
    default: return &((mp__rlock_impl *)(void *)&ci->own)->lk;
  }
}

static mp__rlock_impl *rlock_of(cond_impl *ci) {
  if (ci->kind == USER_LOCK) return NULL;
  return ci->kind == USER_RLOCK ? (mp__rlock_impl *)ci->user : (mp__rlock_impl *)(void *)&ci->own;
}

int mp_condition_init(mp_condition_t *c, const mp_condition_opts *opts) {
  if (c == NULL) return -EINVAL;
  if (opts && opts->lock && opts->rlock) return -EINVAL;
  *c = (mp_condition_t){{0}};
  cond_impl *ci = impl(c);
  if (opts && opts->lock) {
    ci->kind = USER_LOCK;
    ci->user = opts->lock;
  } else if (opts && opts->rlock) {
    ci->kind = USER_RLOCK;
    ci->user = opts->rlock;
  } else {
    ci->kind = OWN_RLOCK;
    mp_rlock_init(&ci->own);
  }
  atomic_store(&ci->seq, 0);
  return 0;
}

int mp_condition_new(mp_condition_t **out, const mp_condition_opts *opts) {
  if (out == NULL) return -EINVAL;
  if (opts && opts->lock && opts->rlock) return -EINVAL;
  *out = mp__shared_alloc(sizeof(mp_condition_t));
  if (*out == NULL) return -ENOMEM;
  return mp_condition_init(*out, opts);
}

void mp_condition_free(mp_condition_t *c) {
  if (c != NULL) mp__shared_free(c, sizeof *c);
}

int mp_condition_acquire(mp_condition_t *c, mp_timeout_ms timeout) {
  if (c == NULL) return -EINVAL;
  cond_impl *ci = impl(c);
  if (ci->kind == USER_LOCK) return mp_lock_acquire((mp_lock_t *)ci->user, timeout);
  return mp_rlock_acquire(ci->kind == USER_RLOCK ? (mp_rlock_t *)ci->user : &ci->own, timeout);
}

int mp_condition_release(mp_condition_t *c) {
  if (c == NULL) return -EINVAL;
  cond_impl *ci = impl(c);
  if (ci->kind == USER_LOCK) {
    /* Python's Condition checks ownership before it waits or notifies, not on release. */
    return mp_lock_release((mp_lock_t *)ci->user);
  }
  return mp_rlock_release(ci->kind == USER_RLOCK ? (mp_rlock_t *)ci->user : &ci->own);
}

int mp_condition_consistent(mp_condition_t *c) {
  if (c == NULL) return -EINVAL;
  cond_impl *ci = impl(c);
  if (!mp__olock_mine(olock_of(ci))) return MP_ESTATE;
  return mp__olock_consistent(olock_of(ci));
}

/* Bit i of skip is ticket granted+i.  Advancing granted by one shifts the map down by one. */
static void skip_shift(cond_impl *ci) {
  for (int i = 0; i < SKIP_WORDS; i++) {
    uint64_t next = i + 1 < SKIP_WORDS ? ci->skip[i + 1] : 0;
    ci->skip[i] = (ci->skip[i] >> 1) | (next << 63);
  }
}

static bool notified(cond_impl *ci, uint32_t ticket) {
  return (int32_t)(atomic_load(&ci->granted) - ticket) > 0;
}

/* The lock must be held. */
static void give_up(cond_impl *ci, uint32_t ticket) {
  uint32_t head = atomic_load(&ci->head);
  uint32_t granted = atomic_load(&ci->granted);
  if (ticket + 1 == head) {
    /* The newest ticket: take it back, with any given-up ones right below it. */
    head--;
    while (head != granted) {
      uint32_t i = head - 1 - granted;
      if (i >= SKIP_BITS || !(ci->skip[i / 64] >> (i % 64) & 1)) break;
      ci->skip[i / 64] &= ~(UINT64_C(1) << (i % 64));
      head--;
    }
    atomic_store(&ci->head, head);
    return;
  }
  uint32_t i = ticket - granted;
  if (i < SKIP_BITS) ci->skip[i / 64] |= UINT64_C(1) << (i % 64);
}

typedef struct {
  cond_impl *ci;
  uint32_t ticket;
} ticket_wait;

static bool ticket_granted(void *arg) {
  ticket_wait *tw = arg;
  return notified(tw->ci, tw->ticket);
}

static int wait_until(cond_impl *ci, mp__deadline d) {
  mp__olock *lk = olock_of(ci);
  if (!mp__olock_mine(lk)) return MP_ESTATE;
  mp__rlock_impl *rl = rlock_of(ci);
  uint32_t depth = rl ? rl->count : 0;

  uint32_t ticket = atomic_load(&ci->head);
  atomic_store(&ci->head, ticket + 1);
  if (rl) rl->count = 0;
  int rc = mp__olock_release(lk);
  if (rc != 0) { /* not recoverable: the lock is gone for everybody */
    if (rl) rl->count = depth;
    return rc;
  }

  /* notify() bumps seq and wakes everybody, so no sleeper count is kept. */
  ticket_wait tw = {ci, ticket};
  mp__waiter w = {.word = &ci->seq, .done = ticket_granted, .arg = &tw, .interruptible = true};
  int wrc = mp__wait(&w, d);
  bool got = wrc == 0;

  int lrc = mp__olock_acquire_slow(lk, mp__self(), mp__deadline_in(MP_FOREVER));
  if (lrc != 0 && lrc != MP_EOWNERDEAD) return lrc; /* MP_ENOTRECOVERABLE: not held */
  if (rl) rl->count = depth;
  if (!got) {
    got = notified(ci, ticket);
    if (!got) give_up(ci, ticket);
  }
  if (lrc == MP_EOWNERDEAD) return lrc;
  /* Interrupted: like a timeout the ticket is given up, and the lock is held again. */
  return got ? 0 : wrc == -EINTR ? -EINTR : MP_ETIMEDOUT;
}

int mp_condition_wait(mp_condition_t *c, mp_timeout_ms timeout) {
  if (c == NULL) return -EINVAL;
  return wait_until(impl(c), mp__deadline_in(timeout));
}

int mp_condition_wait_for(mp_condition_t *c, bool (*pred)(void *arg), void *arg,
                          mp_timeout_ms timeout) {
  if (c == NULL || pred == NULL) return -EINVAL;
  cond_impl *ci = impl(c);
  if (!mp__olock_mine(olock_of(ci))) return MP_ESTATE;
  mp__deadline d = mp__deadline_in(timeout);
  for (;;) {
    if (pred(arg)) return 0;
    if (mp__deadline_passed(d)) return MP_ETIMEDOUT;
    int rc = wait_until(ci, d);
    if (rc != 0 && rc != MP_ETIMEDOUT) return rc;
  }
}

int mp_condition_notify(mp_condition_t *c, int n) {
  if (c == NULL || n < 0) return -EINVAL;
  cond_impl *ci = impl(c);
  if (!mp__olock_mine(olock_of(ci))) return MP_ESTATE;
  uint32_t head = atomic_load(&ci->head);
  uint32_t granted = atomic_load(&ci->granted);
  uint32_t start = granted;
  int woken = 0;
  while (woken < n && granted != head) {
    if (!(ci->skip[0] & 1)) woken++;
    skip_shift(ci);
    granted++;
  }
  if (granted == start) return 0;
  atomic_store(&ci->granted, granted);
  atomic_fetch_add(&ci->seq, 1);
  mp__futex_wake(&ci->seq, INT_MAX);
  return 0;
}

int mp_condition_notify_all(mp_condition_t *c) { return mp_condition_notify(c, INT_MAX); }
