/* SPDX-License-Identifier: MIT */
/* test_sync_owner_death.c -- a Lock, RLock or Condition lock whose holder dies (process killed,
 * or a thread that ends) is handed to the next acquirer with MP_EOWNERDEAD within a bounded
 * time; consistent() repairs it; releasing without consistent() makes it not recoverable; a
 * waiter that dies wedges nobody. */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <unistd.h>

#include "harness.h"
#include "heap/heap.h"
#include "os/olock.h"

/* Detection is bounded by one 50 ms slice plus a /proc read; this bound is generous. */
#define DETECT_MS 3000

typedef struct {
  mp_lock_t lock;
  mp_rlock_t rlock;
  mp_condition_t cond;
  mp_barrier_t barrier;
  mp_semaphore_t sem;
  _Atomic int stage;
} shared;

static shared *shared_new(void) {
  shared *s = mp__shared_alloc(sizeof *s);
  ck_assert_ptr_nonnull(s);
  mp_assert_ok(mp_lock_init(&s->lock));
  mp_assert_ok(mp_rlock_init(&s->rlock));
  mp_assert_ok(mp_condition_init(&s->cond, NULL));
  mp_assert_ok(mp_semaphore_init(&s->sem, 0, false));
  return s;
}

static void wait_stage(shared *s, int stage) {
  for (int i = 0; i < 20000 && atomic_load(&s->stage) < stage; i++) mp_test_sleep_ms(1);
  ck_assert_int_ge(atomic_load(&s->stage), stage);
}

static void die(void) { kill(getpid(), SIGKILL); }

static int take_lock_and_die(void *arg) {
  shared *s = arg;
  if (mp_lock_acquire(&s->lock, 0) != 0) return 1;
  atomic_store(&s->stage, 1);
  die();
  return 2;
}

/* The parent acquires while the dead child is still an unreaped zombie. */
START_TEST(lock_owner_process_killed) {
  shared *s = shared_new();
  mp_process *p = mp_test_start(take_lock_and_die, s);
  wait_stage(s, 1);
  int64_t t0 = mp_test_now_ms();
  mp_assert_rc(mp_lock_acquire(&s->lock, 20000), MP_EOWNERDEAD);
  ck_assert_int_lt(mp_test_now_ms() - t0, DETECT_MS);
  ck_assert(mp_lock_locked(&s->lock));
  mp_assert_rc(mp_lock_acquire(&s->lock, 0), MP_ETIMEDOUT); /* we hold it now */
  mp_assert_ok(mp_lock_consistent(&s->lock));
  mp_assert_rc(mp_lock_consistent(&s->lock), MP_ESTATE);
  mp_assert_ok(mp_lock_release(&s->lock));
  mp_assert_ok(mp_lock_acquire(&s->lock, 0));
  mp_assert_ok(mp_lock_release(&s->lock));
  mp_assert_rc(mp_lock_consistent(&s->lock), MP_ESTATE);
  ck_assert_int_eq(mp_test_finish(p), -SIGKILL);
  mp__shared_free(s, sizeof *s);
}
END_TEST

/* A poll (timeout 0) also sees the dead owner, here after the child was reaped. */
START_TEST(lock_poll_sees_dead_owner) {
  shared *s = shared_new();
  mp_process *p = mp_test_start(take_lock_and_die, s);
  ck_assert_int_eq(mp_test_finish(p), -SIGKILL);
  ck_assert(mp_lock_locked(&s->lock));
  mp_assert_rc(mp_lock_acquire(&s->lock, 0), MP_EOWNERDEAD);
  mp_assert_ok(mp_lock_consistent(&s->lock));
  mp_assert_ok(mp_lock_release(&s->lock));
  ck_assert(!mp_lock_locked(&s->lock));
  mp__shared_free(s, sizeof *s);
}
END_TEST

static int acquire_expect_notrec(void *arg) {
  shared *s = arg;
  return mp_lock_acquire(&s->lock, 5000) == MP_ENOTRECOVERABLE ? 0 : 1;
}

START_TEST(lock_not_recoverable) {
  shared *s = shared_new();
  mp_process *p = mp_test_start(take_lock_and_die, s);
  ck_assert_int_eq(mp_test_finish(p), -SIGKILL);
  mp_assert_rc(mp_lock_acquire(&s->lock, 5000), MP_EOWNERDEAD);
  mp_assert_ok(mp_lock_release(&s->lock)); /* without consistent() */
  mp_assert_rc(mp_lock_acquire(&s->lock, 0), MP_ENOTRECOVERABLE);
  mp_assert_rc(mp_lock_acquire(&s->lock, 1000), MP_ENOTRECOVERABLE);
  mp_assert_rc(mp_lock_release(&s->lock), MP_ENOTRECOVERABLE);
  mp_assert_rc(mp_lock_consistent(&s->lock), MP_ESTATE);
  ck_assert_int_eq(mp_test_finish(mp_test_start(acquire_expect_notrec, s)), 0);
  mp_assert_ok(mp_lock_init(&s->lock)); /* re-initialising is the way back */
  mp_assert_ok(mp_lock_acquire(&s->lock, 0));
  mp_assert_ok(mp_lock_release(&s->lock));
  mp__shared_free(s, sizeof *s);
}
END_TEST

/* A waiter already asleep when the owner dies is handed the lock. */
static int hold_then_die(void *arg) {
  shared *s = arg;
  if (mp_lock_acquire(&s->lock, 0) != 0) return 1;
  atomic_store(&s->stage, 1);
  mp_test_sleep_ms(300);
  die();
  return 2;
}

START_TEST(lock_sleeping_waiter_gets_it) {
  shared *s = shared_new();
  mp_process *p = mp_test_start(hold_then_die, s);
  wait_stage(s, 1);
  int64_t t0 = mp_test_now_ms();
  mp_assert_rc(mp_lock_acquire(&s->lock, MP_FOREVER), MP_EOWNERDEAD);
  int64_t took = mp_test_now_ms() - t0;
  ck_assert_int_ge(took, 100); /* it did wait for the holder */
  ck_assert_int_lt(took, 300 + DETECT_MS);
  mp_assert_ok(mp_lock_consistent(&s->lock));
  mp_assert_ok(mp_lock_release(&s->lock));
  ck_assert_int_eq(mp_test_finish(p), -SIGKILL);
  mp__shared_free(s, sizeof *s);
}
END_TEST

/* A live holder is never mistaken for a dead one, however many slices the wait spans. */
static int hold_alive(void *arg) {
  shared *s = arg;
  if (mp_lock_acquire(&s->lock, 0) != 0) return 1;
  atomic_store(&s->stage, 1);
  mp_test_sleep_ms(1200);
  return mp_lock_release(&s->lock) == 0 ? 0 : 3;
}

START_TEST(live_owner_not_taken) {
  shared *s = shared_new();
  mp_process *p = mp_test_start(hold_alive, s);
  wait_stage(s, 1);
  int64_t t0 = mp_test_now_ms();
  mp_assert_rc(mp_lock_acquire(&s->lock, 400), MP_ETIMEDOUT);
  ck_assert_int_ge(mp_test_now_ms() - t0, 390);
  mp_assert_ok(mp_lock_acquire(&s->lock, 20000)); /* plain 0 once the holder releases */
  mp_assert_ok(mp_lock_release(&s->lock));
  ck_assert_int_eq(mp_test_finish(p), 0);
  mp__shared_free(s, sizeof *s);
}
END_TEST

/* A dead owner's pid (and tid) handed to a live process: the live one is a stranger, told
 * apart by the stamp of its birth in the lock word.  Recycling a pid for real takes root or
 * tens of thousands of forks, so the test leaves the word as a recycled pid would: the live
 * process's pid and tid with the dead owner's stamp. */
static int hold_until_stage2(void *arg) {
  shared *s = arg;
  if (mp_lock_acquire(&s->lock, 0) != 0) return 1;
  atomic_store(&s->stage, 1);
  for (int i = 0; i < 20000 && atomic_load(&s->stage) < 2; i++) mp_test_sleep_ms(1);
  return 0; /* without releasing: after the forgery the lock is not its own */
}

static _Atomic uint64_t *lock_word(mp_lock_t *l) { return &((mp__olock *)(void *)l)->word; }

START_TEST(lock_recycled_pid_is_dead_owner) {
  shared *s = shared_new();
  _Atomic uint64_t *word = lock_word(&s->lock);
  ck_assert_int_eq(mp_test_finish(mp_test_start(take_lock_and_die, s)), -SIGKILL);
  uint64_t dead = atomic_load(word);
  mp_assert_ok(mp_lock_init(&s->lock));
  atomic_store(&s->stage, 0);
  mp_test_sleep_ms(30); /* born a few clock ticks later, for a start-time stamp too */
  mp_process *p = mp_test_start(hold_until_stage2, s);
  wait_stage(s, 1);
  mp_assert_rc(mp_lock_acquire(&s->lock, 120), MP_ETIMEDOUT); /* a live owner is respected */
  mp_assert_rc(mp_lock_acquire(&s->lock, 0), MP_ETIMEDOUT);
  uint64_t live = atomic_load(word); /* the child's id, and WAITERS set by the waits above */
  uint64_t reused = (live & ~MP__OWN_STAMP_MASK) | (dead & MP__OWN_STAMP_MASK);
  ck_assert(atomic_compare_exchange_strong(word, &live, reused));
  int64_t t0 = mp_test_now_ms();
  mp_assert_rc(mp_lock_acquire(&s->lock, 5000), MP_EOWNERDEAD);
  ck_assert_int_lt(mp_test_now_ms() - t0, DETECT_MS);
  mp_assert_ok(mp_lock_consistent(&s->lock));
  mp_assert_ok(mp_lock_release(&s->lock));
  atomic_store(word, reused); /* a poll checks the owner once, too */
  mp_assert_rc(mp_lock_acquire(&s->lock, 0), MP_EOWNERDEAD);
  mp_assert_ok(mp_lock_consistent(&s->lock));
  mp_assert_ok(mp_lock_release(&s->lock));
  atomic_store(&s->stage, 2);
  ck_assert_int_eq(mp_test_finish(p), 0);
  mp__shared_free(s, sizeof *s);
}
END_TEST

/* A waiter's watch on an owner it found alive: later looks poll the owner's thread pidfd
 * (kept for the wait, where the stamp comes from pidfs), and see it turn dead. */
START_TEST(owner_watch_sees_death_through_pidfd) {
  shared *s = shared_new();
  mp_process *p = mp_test_start(hold_until_stage2, s);
  wait_stage(s, 1);
  uint64_t id = mp__olock_owner(atomic_load(lock_word(&s->lock)));
  bool by_pidfs = (mp__owner_stamp(id) & 1u) != 0;
  mp__owner_watch w = MP__OWNER_WATCH_INIT;
  ck_assert(!mp__owner_watch_dead(&w, id));
  if (by_pidfs) ck_assert_int_ge(w.fd, 0);
  int fd = w.fd;
  ck_assert(!mp__owner_watch_dead(&w, id)); /* the same fd answers */
  ck_assert_int_eq(w.fd, fd);
  ck_assert(!mp__owner_watch_dead(&w, mp__self())); /* another owner: a full check, a new fd */
  ck_assert(w.id == mp__self());
  if (by_pidfs) ck_assert_int_ge(w.fd, 0);
  ck_assert(!mp__owner_watch_dead(&w, id));
  mp_assert_ok(mp_process_kill(p));
  bool dead = false;
  for (int i = 0; i < 3000 && !dead; i++) {
    dead = mp__owner_watch_dead(&w, id);
    if (!dead) mp_test_sleep_ms(1);
  }
  ck_assert(dead);
  mp__owner_watch_end(&w);
  ck_assert_int_eq(w.fd, -1);
  ck_assert_int_eq(mp_test_finish(p), -SIGKILL);
  mp__shared_free(s, sizeof *s);
}
END_TEST

/* A thread that ends holding the lock is a dead owner too. */
static void *thread_take(void *arg) {
  shared *s = arg;
  return (void *)(intptr_t)mp_lock_acquire(&s->lock, 0);
}

START_TEST(lock_owner_thread_ended) {
  shared *s = shared_new();
  pthread_t t;
  void *r;
  ck_assert_int_eq(pthread_create(&t, NULL, thread_take, s), 0);
  ck_assert_int_eq(pthread_join(t, &r), 0);
  ck_assert_int_eq((int)(intptr_t)r, 0);
  mp_assert_rc(mp_lock_acquire(&s->lock, 5000), MP_EOWNERDEAD);
  mp_assert_ok(mp_lock_consistent(&s->lock));
  mp_assert_ok(mp_lock_release(&s->lock));
  mp__shared_free(s, sizeof *s);
}
END_TEST

static int take_rlock_and_die(void *arg) {
  shared *s = arg;
  for (int i = 0; i < 3; i++)
    if (mp_rlock_acquire(&s->rlock, 0) != 0) return 1;
  atomic_store(&s->stage, 1);
  die();
  return 2;
}

START_TEST(rlock_owner_killed) {
  shared *s = shared_new();
  mp_process *p = mp_test_start(take_rlock_and_die, s);
  wait_stage(s, 1);
  mp_assert_rc(mp_rlock_release(&s->rlock), MP_ESTATE); /* not ours */
  mp_assert_rc(mp_rlock_consistent(&s->rlock), MP_ESTATE);
  int64_t t0 = mp_test_now_ms();
  mp_assert_rc(mp_rlock_acquire(&s->rlock, 20000), MP_EOWNERDEAD);
  ck_assert_int_lt(mp_test_now_ms() - t0, DETECT_MS);
  ck_assert_int_eq(mp_rlock_count(&s->rlock), 1); /* the dead owner's count is not inherited */
  mp_assert_ok(mp_rlock_acquire(&s->rlock, 0)); /* recursion still works while inconsistent */
  mp_assert_ok(mp_rlock_consistent(&s->rlock));
  mp_assert_ok(mp_rlock_release(&s->rlock));
  mp_assert_ok(mp_rlock_release(&s->rlock));
  ck_assert_int_eq(mp_rlock_count(&s->rlock), 0);
  mp_assert_rc(mp_rlock_release(&s->rlock), MP_ESTATE);
  ck_assert_int_eq(mp_test_finish(p), -SIGKILL);
  mp_assert_ok(mp_rlock_acquire(&s->rlock, 0));
  mp_assert_ok(mp_rlock_release(&s->rlock));
  mp__shared_free(s, sizeof *s);
}
END_TEST

START_TEST(rlock_not_recoverable) {
  shared *s = shared_new();
  ck_assert_int_eq(mp_test_finish(mp_test_start(take_rlock_and_die, s)), -SIGKILL);
  mp_assert_rc(mp_rlock_acquire(&s->rlock, 5000), MP_EOWNERDEAD);
  mp_assert_ok(mp_rlock_release(&s->rlock));
  mp_assert_rc(mp_rlock_acquire(&s->rlock, 0), MP_ENOTRECOVERABLE);
  mp_assert_rc(mp_rlock_acquire(&s->rlock, 200), MP_ENOTRECOVERABLE);
  mp__shared_free(s, sizeof *s);
}
END_TEST

/* A child takes the condition's own RLock, notifies, and dies holding it: the parent, asleep
 * in wait(), is notified and re-takes the lock with MP_EOWNERDEAD. */
static int notify_and_die(void *arg) {
  shared *s = arg;
  wait_stage(s, 1);
  if (mp_condition_acquire(&s->cond, 10000) != 0) return 1;
  if (mp_condition_notify(&s->cond, 1) != 0) return 2;
  die();
  return 3;
}

START_TEST(condition_lock_owner_killed) {
  shared *s = shared_new();
  mp_process *p = mp_test_start(notify_and_die, s);
  mp_assert_ok(mp_condition_acquire(&s->cond, 0));
  atomic_store(&s->stage, 1);
  int64_t t0 = mp_test_now_ms();
  mp_assert_rc(mp_condition_wait(&s->cond, 20000), MP_EOWNERDEAD);
  ck_assert_int_lt(mp_test_now_ms() - t0, 10000);
  mp_assert_ok(mp_condition_consistent(&s->cond));
  mp_assert_rc(mp_condition_consistent(&s->cond), MP_ESTATE);
  mp_assert_ok(mp_condition_release(&s->cond));
  mp_assert_rc(mp_condition_consistent(&s->cond), MP_ESTATE); /* not held */
  ck_assert_int_eq(mp_test_finish(p), -SIGKILL);
  mp__shared_free(s, sizeof *s);
}
END_TEST

/* The same through mp_condition_acquire, with a caller-supplied Lock. */
static int cond_take_and_die(void *arg) {
  shared *s = arg;
  if (mp_condition_acquire(&s->cond, 0) != 0) return 1;
  die();
  return 2;
}

START_TEST(condition_user_lock_owner_killed) {
  shared *s = shared_new();
  mp_condition_opts o = {.lock = &s->lock};
  mp_assert_ok(mp_condition_init(&s->cond, &o));
  ck_assert_int_eq(mp_test_finish(mp_test_start(cond_take_and_die, s)), -SIGKILL);
  mp_assert_rc(mp_condition_acquire(&s->cond, 5000), MP_EOWNERDEAD);
  mp_assert_ok(mp_condition_release(&s->cond)); /* without consistent() */
  mp_assert_rc(mp_condition_acquire(&s->cond, 0), MP_ENOTRECOVERABLE);
  mp_assert_rc(mp_lock_acquire(&s->lock, 0), MP_ENOTRECOVERABLE);
  mp__shared_free(s, sizeof *s);
}
END_TEST

/* A process killed while asleep in acquire wedges nobody. */
static int wait_for_lock(void *arg) {
  shared *s = arg;
  atomic_fetch_add(&s->stage, 1);
  return mp_lock_acquire(&s->lock, MP_FOREVER) == 0 ? 0 : 1;
}

static int wait_for_sem(void *arg) {
  shared *s = arg;
  atomic_fetch_add(&s->stage, 1);
  return mp_semaphore_acquire(&s->sem, MP_FOREVER) == 0 ? 0 : 1;
}

START_TEST(dead_waiters_wedge_nobody) {
  shared *s = shared_new();
  mp_assert_ok(mp_lock_acquire(&s->lock, 0));
  mp_process *a = mp_test_start(wait_for_lock, s);
  mp_process *b = mp_test_start(wait_for_sem, s);
  wait_stage(s, 2);
  mp_test_sleep_ms(100); /* let both fall asleep */
  mp_assert_ok(mp_process_kill(a));
  mp_assert_ok(mp_process_kill(b));
  ck_assert_int_eq(mp_test_finish(a), -SIGKILL);
  ck_assert_int_eq(mp_test_finish(b), -SIGKILL);
  atomic_store(&s->stage, 0);
  mp_process *c = mp_test_start(wait_for_lock, s);
  mp_process *d = mp_test_start(wait_for_sem, s);
  wait_stage(s, 2);
  mp_assert_ok(mp_lock_release(&s->lock));
  mp_assert_ok(mp_semaphore_release(&s->sem));
  ck_assert_int_eq(mp_test_finish(c), 0);
  ck_assert_int_eq(mp_test_finish(d), 0);
  ck_assert(mp_lock_locked(&s->lock)); /* c took it and exited holding it */
  ck_assert_int_eq(mp_semaphore_value(&s->sem), 0);
  mp__shared_free(s, sizeof *s);
}
END_TEST

/* The party that runs the barrier's action dies in it: the others get MP_EBROKEN. */
static void action_die(void *arg) {
  (void)arg;
  die();
}

static int barrier_party(void *arg) {
  shared *s = arg;
  return mp_barrier_wait(&s->barrier, 20000) == MP_EBROKEN ? 0 : 1;
}

static int barrier_last(void *arg) {
  shared *s = arg;
  while (mp_barrier_n_waiting(&s->barrier) < 2) mp_test_sleep_ms(1);
  mp_barrier_wait(&s->barrier, 20000);
  return 2;
}

START_TEST(barrier_action_dies) {
  shared *s = shared_new();
  mp_assert_ok(mp_barrier_init(&s->barrier, 3, action_die, NULL));
  mp_process *a = mp_test_start(barrier_party, s);
  mp_process *last = mp_test_start(barrier_last, s);
  int64_t t0 = mp_test_now_ms();
  mp_assert_rc(mp_barrier_wait(&s->barrier, MP_FOREVER), MP_EBROKEN);
  ck_assert_int_lt(mp_test_now_ms() - t0, 15000);
  ck_assert(mp_barrier_broken(&s->barrier));
  ck_assert_int_eq(mp_test_finish(a), 0);
  ck_assert_int_eq(mp_test_finish(last), -SIGKILL);
  mp_assert_ok(mp_barrier_reset(&s->barrier));
  ck_assert(!mp_barrier_broken(&s->barrier));
  mp__shared_free(s, sizeof *s);
}
END_TEST

Suite *mp_test_suite(void) {
  Suite *s = suite_create("sync_owner_death");
  TCase *tc = mp_tcase("owner_death", 30);
  tcase_add_test(tc, lock_owner_process_killed);
  tcase_add_test(tc, lock_poll_sees_dead_owner);
  tcase_add_test(tc, lock_not_recoverable);
  tcase_add_test(tc, lock_sleeping_waiter_gets_it);
  tcase_add_test(tc, live_owner_not_taken);
  tcase_add_test(tc, lock_recycled_pid_is_dead_owner);
  tcase_add_test(tc, lock_owner_thread_ended);
  tcase_add_test(tc, owner_watch_sees_death_through_pidfd);
  tcase_add_test(tc, rlock_owner_killed);
  tcase_add_test(tc, rlock_not_recoverable);
  tcase_add_test(tc, condition_lock_owner_killed);
  tcase_add_test(tc, condition_user_lock_owner_killed);
  tcase_add_test(tc, dead_waiters_wedge_nobody);
  tcase_add_test(tc, barrier_action_dies);
  suite_add_tcase(s, tc);
  return s;
}
