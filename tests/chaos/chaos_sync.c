/* SPDX-License-Identifier: MIT */
/* chaos_sync.c -- Lock, RLock, Semaphore, Condition and Barrier (one kind per iteration, in
 * turn): three processes loop through the primitive; one is SIGKILLed at a random moment,
 * inside or outside the critical section.
 *
 * Each worker marks in shared memory that it holds the primitive after each acquire and
 * clears the mark before each release (and counts itself in and out, for the semaphore), so
 * the marks are a subset of the real holders: more than the primitive allows (1 for a lock,
 * the value for a semaphore) is torn state.
 * A lock whose holder died must come to the next acquirer as MP_EOWNERDEAD (it clears the
 * dead worker's mark -- that is the repair -- and calls consistent()); a semaphore unit held
 * by the dead worker is simply gone, as in Python, and the survivors go on with the rest.
 * At a barrier the survivors must leave within their timeout (MP_ETIMEDOUT or MP_EBROKEN).
 * Any wait that outlasts its timeout by more than two seconds is a hang. */
#include <stdatomic.h>
#include <string.h>

#include "chaos.h"

#define S_WORKERS 3
#define S_PROGRESS 20 /* rounds the survivors must make after the kill */
#define S_TIMEOUT 5000 /* ms, acquire */
#define S_BTIMEOUT 1000 /* ms, barrier wait */
#define S_MARGIN 2000 /* ms past a timeout that counts as a hang */
#define S_SEM_VALUE 2

enum { K_LOCK, K_RLOCK, K_SEMAPHORE, K_CONDITION, K_BARRIER, K_KINDS };

typedef struct {
  int kind;
  _Atomic int victim;
  mp_lock_t lock;
  mp_rlock_t rlock;
  mp_semaphore_t sem;
  mp_condition_t cond;
  mp_barrier_t barrier;
  _Atomic uint8_t holding[S_WORKERS];
  _Atomic int inside; /* semaphore units held, counted by the holders */
  _Atomic long rounds;
  _Atomic int stop;
  _Atomic int torn, hangs, bad;
} sstate;

typedef struct {
  sstate *s;
  int id;
} sarg;

static int allowed(const sstate *s) { return s->kind == K_SEMAPHORE ? S_SEM_VALUE : 1; }

/* Marks this worker as a holder and checks how many there are.  For a lock (one holder) the
 * marks are read one by one: while the caller holds the lock nobody else can set one, and a
 * previous holder cleared its mark before its release.  A semaphore's two units can change
 * hands while the marks are read, so there an atomic count is the check: incremented after the
 * acquire, decremented before the release, it never exceeds the units really held (a dead
 * worker's increment stays, and so does the unit it died with). */
static void enter(sstate *s, int id) {
  atomic_store(&s->holding[id], 1);
  int n = 0;
  if (s->kind == K_SEMAPHORE) {
    n = atomic_fetch_add(&s->inside, 1) + 1;
  } else {
    for (int i = 0; i < S_WORKERS; i++) n += atomic_load(&s->holding[i]);
  }
  if (n > allowed(s)) atomic_fetch_add(&s->torn, 1);
  for (volatile int spin = 0; spin < 200; spin++) {
  }
}

static void leave(sstate *s, int id) {
  if (s->kind == K_SEMAPHORE) atomic_fetch_sub(&s->inside, 1);
  atomic_store(&s->holding[id], 0);
}

/* The repair after MP_EOWNERDEAD: the dead holder's mark goes. */
static void repair(sstate *s) { atomic_store(&s->holding[atomic_load(&s->victim)], 0); }

static bool overran(int64_t t0, int64_t timeout) {
  return chaos_now_ms() - t0 > timeout + S_MARGIN;
}

/* One acquire of the kind's lock; false when the worker must stop. */
static bool acquire(sstate *s) {
  int64_t t0 = chaos_now_ms();
  int rc;
  switch (s->kind) {
    case K_LOCK: rc = mp_lock_acquire(&s->lock, S_TIMEOUT); break;
    case K_RLOCK:
      rc = mp_rlock_acquire(&s->rlock, S_TIMEOUT);
      if (rc == MP_EOWNERDEAD) {
        repair(s);
        rc = mp_rlock_consistent(&s->rlock);
      }
      if (rc == 0) rc = mp_rlock_acquire(&s->rlock, S_TIMEOUT); /* nested: count 2 */
      break;
    case K_SEMAPHORE: rc = mp_semaphore_acquire(&s->sem, S_TIMEOUT); break;
    default: rc = mp_condition_acquire(&s->cond, S_TIMEOUT); break;
  }
  if (rc == MP_EOWNERDEAD) {
    repair(s);
    rc = s->kind == K_LOCK ? mp_lock_consistent(&s->lock) : mp_condition_consistent(&s->cond);
  }
  if (overran(t0, S_TIMEOUT) || rc == MP_ETIMEDOUT) {
    atomic_fetch_add(&s->hangs, 1);
    return false;
  }
  if (rc != 0) {
    atomic_fetch_add(&s->bad, 1);
    return false;
  }
  return true;
}

static void release(sstate *s) {
  int rc;
  switch (s->kind) {
    case K_LOCK: rc = mp_lock_release(&s->lock); break;
    case K_RLOCK:
      rc = mp_rlock_release(&s->rlock);
      if (rc == 0) rc = mp_rlock_release(&s->rlock);
      break;
    case K_SEMAPHORE: rc = mp_semaphore_release(&s->sem); break;
    default: rc = mp_condition_release(&s->cond); break;
  }
  if (rc != 0) atomic_fetch_add(&s->bad, 1);
}

static int worker(void *arg) {
  sarg *a = arg;
  sstate *s = a->s;
  while (!atomic_load(&s->stop)) {
    if (s->kind == K_BARRIER) {
      int64_t t0 = chaos_now_ms();
      int rc = mp_barrier_wait(&s->barrier, S_BTIMEOUT);
      if (overran(t0, S_BTIMEOUT)) atomic_fetch_add(&s->hangs, 1);
      if (rc < 0) {
        /* after a kill: the barrier is broken or timed out, and every survivor leaves */
        if (rc != MP_ETIMEDOUT && rc != MP_EBROKEN) atomic_fetch_add(&s->bad, 1);
        return 0;
      }
      atomic_fetch_add(&s->rounds, 1);
      continue;
    }
    if (!acquire(s)) return 1;
    enter(s, a->id);
    if (s->kind == K_CONDITION) {
      /* wake the others and wait a little for them, the lock given up meanwhile */
      if (mp_condition_notify_all(&s->cond) != 0) atomic_fetch_add(&s->bad, 1);
      leave(s, a->id);
      int64_t t0 = chaos_now_ms();
      int rc = mp_condition_wait(&s->cond, 2);
      if (overran(t0, 2)) atomic_fetch_add(&s->hangs, 1);
      if (rc == MP_EOWNERDEAD) {
        repair(s);
        rc = mp_condition_consistent(&s->cond);
      }
      if (rc != 0 && rc != MP_ETIMEDOUT) {
        atomic_fetch_add(&s->bad, 1);
        return 1;
      }
      enter(s, a->id);
    }
    atomic_fetch_add(&s->rounds, 1);
    leave(s, a->id);
    release(s);
  }
  return 0;
}

static void iteration(chaos_row *row, sstate *s, int kind) {
  memset(s, 0, sizeof *s);
  s->kind = kind;
  int rc = 0;
  switch (kind) {
    case K_LOCK: rc = mp_lock_init(&s->lock); break;
    case K_RLOCK: rc = mp_rlock_init(&s->rlock); break;
    case K_SEMAPHORE: rc = mp_semaphore_init(&s->sem, S_SEM_VALUE, false); break;
    case K_CONDITION: rc = mp_condition_init(&s->cond, NULL); break;
    default: rc = mp_barrier_init(&s->barrier, S_WORKERS, NULL, NULL); break;
  }
  if (rc != 0) {
    chaos_note(row, "init of kind %d: %s", kind, mp_err_name(rc));
    row->torn++;
    return;
  }
  sarg args[S_WORKERS];
  mp_process *procs[S_WORKERS];
  int victim = (int)chaos_below(S_WORKERS);
  atomic_store(&s->victim, victim);
  for (int i = 0; i < S_WORKERS; i++) {
    args[i] = (sarg){s, i};
    procs[i] = chaos_start(worker, &args[i]);
  }
  chaos_sleep_us((int64_t)chaos_below(30000));
  if (chaos_kill(procs[victim])) row->kills++;
  int hung = 0;
  /* The survivors go on: a lock's next holder is told of the death, a barrier's parties
   * leave it.  Give them until they have made some rounds (or, at a barrier, left). */
  long at_kill = atomic_load(&s->rounds);
  int64_t until = chaos_now_ms() + S_TIMEOUT + S_MARGIN;
  while (kind != K_BARRIER && atomic_load(&s->rounds) < at_kill + S_PROGRESS &&
         chaos_now_ms() < until)
    chaos_sleep_us(1000);
  if (kind != K_BARRIER && atomic_load(&s->rounds) < at_kill + S_PROGRESS) {
    chaos_note(row, "kind %d: the survivors made no progress after the kill", kind);
    hung++;
  }
  atomic_store(&s->stop, 1);
  for (int i = 0; i < S_WORKERS; i++) hung += chaos_finish(procs[i], 60000);
  if (s->torn) chaos_note(row, "kind %d: %d times more holders than allowed", kind, s->torn);
  if (s->hangs || hung) chaos_note(row, "kind %d: a survivor waited past its timeout", kind);
  if (s->bad) {
    chaos_note(row, "kind %d: %d unexpected results", kind, s->bad);
    row->torn += s->bad;
  }
  row->torn += s->torn;
  row->hangs += s->hangs + hung;
}

void chaos_sync(chaos_row *row, int64_t deadline_ms, long max_iters) {
  sstate *s = chaos_shared(sizeof *s);
  chaos_census before;
  chaos_census_take(&before);
  while (chaos_now_ms() < deadline_ms && (max_iters == 0 || row->iterations < max_iters)) {
    iteration(row, s, (int)(row->iterations % K_KINDS));
    row->iterations++;
    row->leaks += chaos_leaks(row, &before, 3000);
  }
}
