/* SPDX-License-Identifier: MIT */
/* test_sync_condition.c -- multiprocessing.Condition: exact and ordered notify(n), notify_all,
 * wait timeouts that keep the lock, wait_for, each lock kind under contention, misuse. */
#include <stdatomic.h>
#include <unistd.h>

#include "harness.h"
#include "heap/heap.h"

enum { MAXW = 4 };
typedef struct {
  mp_condition_t cond;
  mp_lock_t lock;
  mp_rlock_t rlock;
  int ready; /* under the condition's lock */
  int value; /* under the condition's lock */
  long counter; /* under the condition's lock */
  _Atomic int woken;
  _Atomic int order[MAXW];
  _Atomic int next_slot;
} shared;

static shared *shared_new(int kind) {
  shared *s = mp__shared_alloc(sizeof *s);
  ck_assert_ptr_nonnull(s);
  mp_assert_ok(mp_lock_init(&s->lock));
  mp_assert_ok(mp_rlock_init(&s->rlock));
  mp_condition_opts o = {0};
  if (kind == 1) o.lock = &s->lock;
  if (kind == 2) o.rlock = &s->rlock;
  mp_assert_ok(mp_condition_init(&s->cond, kind ? &o : NULL));
  return s;
}

START_TEST(misuse) {
  mp_condition_t *c;
  shared *s = shared_new(0);
  mp_condition_opts both = {.lock = &s->lock, .rlock = &s->rlock};
  mp_assert_rc(mp_condition_new(NULL, NULL), -EINVAL);
  mp_assert_rc(mp_condition_init(NULL, NULL), -EINVAL);
  mp_assert_rc(mp_condition_new(&c, &both), -EINVAL);
  mp_assert_rc(mp_condition_acquire(NULL, 0), -EINVAL);
  mp_assert_rc(mp_condition_release(NULL), -EINVAL);
  mp_assert_rc(mp_condition_wait(NULL, 0), -EINVAL);
  mp_assert_rc(mp_condition_notify(NULL, 1), -EINVAL);
  mp_assert_rc(mp_condition_notify_all(NULL), -EINVAL);
  mp_assert_rc(mp_condition_consistent(NULL), -EINVAL);
  mp_assert_ok(mp_condition_new(&c, NULL));
  mp_assert_rc(mp_condition_wait(c, 0), MP_ESTATE); /* lock not held */
  mp_assert_rc(mp_condition_notify(c, 1), MP_ESTATE);
  mp_assert_rc(mp_condition_notify_all(c), MP_ESTATE);
  mp_assert_rc(mp_condition_release(c), MP_ESTATE);
  mp_assert_ok(mp_condition_acquire(c, 0));
  mp_assert_rc(mp_condition_wait_for(c, NULL, NULL, 0), -EINVAL);
  mp_assert_rc(mp_condition_notify(c, -1), -EINVAL);
  mp_assert_ok(mp_condition_notify(c, 0));
  mp_assert_ok(mp_condition_notify(c, 3)); /* nobody waits: nothing happens */
  mp_assert_rc(mp_condition_consistent(c), MP_ESTATE);
  mp_assert_ok(mp_condition_release(c));
  mp_condition_free(c);
  mp_condition_free(NULL);
  /* With a caller's Lock: waiting needs that lock held by the caller. */
  mp_condition_opts ol = {.lock = &s->lock};
  mp_assert_ok(mp_condition_init(&s->cond, &ol));
  mp_assert_rc(mp_condition_wait(&s->cond, 0), MP_ESTATE);
  mp_assert_ok(mp_lock_acquire(&s->lock, 0));
  mp_assert_rc(mp_condition_wait(&s->cond, 50), MP_ETIMEDOUT);
  ck_assert(mp_lock_locked(&s->lock));
  mp_assert_ok(mp_condition_release(&s->cond));
  ck_assert(!mp_lock_locked(&s->lock));
  mp__shared_free(s, sizeof *s);
}
END_TEST

/* A wait that times out returns with the RLock held at the same depth. */
START_TEST(wait_timeout_keeps_rlock_depth) {
  shared *s = shared_new(2);
  mp_assert_ok(mp_condition_acquire(&s->cond, 0));
  mp_assert_ok(mp_condition_acquire(&s->cond, 0));
  int64_t t0 = mp_test_now_ms();
  mp_assert_rc(mp_condition_wait(&s->cond, 200), MP_ETIMEDOUT);
  int64_t took = mp_test_now_ms() - t0;
  ck_assert_int_ge(took, 190);
  ck_assert_int_lt(took, 5000);
  ck_assert_int_eq(mp_rlock_count(&s->rlock), 2);
  mp_assert_ok(mp_condition_release(&s->cond));
  mp_assert_ok(mp_condition_release(&s->cond));
  ck_assert_int_eq(mp_rlock_count(&s->rlock), 0);
  mp__shared_free(s, sizeof *s);
}
END_TEST

/* Waiters take tickets in the order they start waiting; each records when it is woken. */
static int cond_waiter(void *arg) {
  shared *s = arg;
  if (mp_condition_acquire(&s->cond, 20000) != 0) return 1;
  int me = s->ready++;
  int rc = mp_condition_wait(&s->cond, 30000);
  atomic_store(&s->order[atomic_fetch_add(&s->next_slot, 1)], me);
  atomic_fetch_add(&s->woken, 1);
  if (mp_condition_release(&s->cond) != 0) return 2;
  return rc == 0 ? 0 : 3;
}

/* Starts MAXW waiters one after another, so their order is known, and returns once all of them
 * are inside wait() (they registered under the lock, which wait() released). */
static void start_waiters(shared *s, mp_process **p) {
  for (int i = 0; i < MAXW; i++) {
    p[i] = mp_test_start(cond_waiter, s);
    for (;;) {
      mp_assert_ok(mp_condition_acquire(&s->cond, 20000));
      int r = s->ready;
      mp_assert_ok(mp_condition_release(&s->cond));
      if (r == i + 1) break;
      mp_test_sleep_ms(1);
    }
  }
}

static void expect_woken(shared *s, int n) {
  for (int i = 0; i < 10000 && atomic_load(&s->woken) < n; i++) mp_test_sleep_ms(1);
  mp_test_sleep_ms(200); /* generous time for a wrong extra wake-up to show */
  int woken = atomic_load(&s->woken);
  ck_assert_int_eq(woken, n);
}

static void notify(shared *s, int n) {
  mp_assert_ok(mp_condition_acquire(&s->cond, 20000));
  if (n < 0)
    mp_assert_ok(mp_condition_notify_all(&s->cond));
  else
    mp_assert_ok(mp_condition_notify(&s->cond, n));
  mp_assert_ok(mp_condition_release(&s->cond));
}

START_TEST(notify_n_wakes_exactly_n) {
  shared *s = shared_new(_i);
  mp_process *p[MAXW];
  start_waiters(s, p);
  expect_woken(s, 0);
  notify(s, 2);
  expect_woken(s, 2);
  notify(s, 1);
  expect_woken(s, 3);
  notify(s, -1);
  expect_woken(s, 4);
  for (int i = 0; i < MAXW; i++) ck_assert_int_eq(mp_test_finish(p[i]), 0);
  notify(s, -1); /* nobody left: a no-op */
  mp__shared_free(s, sizeof *s);
}
END_TEST

START_TEST(notify_is_fifo) {
  shared *s = shared_new(0);
  mp_process *p[MAXW];
  start_waiters(s, p);
  for (int i = 0; i < MAXW; i++) {
    notify(s, 1);
    expect_woken(s, i + 1);
  }
  for (int i = 0; i < MAXW; i++) ck_assert_int_eq(atomic_load(&s->order[i]), i);
  for (int i = 0; i < MAXW; i++) ck_assert_int_eq(mp_test_finish(p[i]), 0);
  mp__shared_free(s, sizeof *s);
}
END_TEST

/* A waiter that timed out gives its place up: the next notify(1) reaches a live waiter. */
static int short_waiter(void *arg) {
  shared *s = arg;
  if (mp_condition_acquire(&s->cond, 20000) != 0) return 1;
  s->ready++;
  int rc = mp_condition_wait(&s->cond, 150);
  mp_condition_release(&s->cond);
  return rc == MP_ETIMEDOUT ? 0 : 2;
}

START_TEST(timed_out_waiter_gives_up_its_place) {
  shared *s = shared_new(0);
  mp_process *a = mp_test_start(short_waiter, s); /* ticket 0, times out */
  for (;;) {
    mp_assert_ok(mp_condition_acquire(&s->cond, 20000));
    int r = s->ready;
    mp_assert_ok(mp_condition_release(&s->cond));
    if (r == 1) break;
    mp_test_sleep_ms(1);
  }
  mp_process *b = mp_test_start(cond_waiter, s); /* ticket 1, waits long */
  mp_process *c = mp_test_start(cond_waiter, s); /* ticket 2 */
  for (;;) {
    mp_assert_ok(mp_condition_acquire(&s->cond, 20000));
    int r = s->ready;
    mp_assert_ok(mp_condition_release(&s->cond));
    if (r == 3) break;
    mp_test_sleep_ms(1);
  }
  ck_assert_int_eq(mp_test_finish(a), 0); /* timed out, gave ticket 0 up */
  notify(s, 1);
  expect_woken(s, 1);
  notify(s, 1);
  expect_woken(s, 2);
  ck_assert_int_eq(mp_test_finish(b), 0);
  ck_assert_int_eq(mp_test_finish(c), 0);
  mp__shared_free(s, sizeof *s);
}
END_TEST

static bool value_reached(void *arg) { return ((shared *)arg)->value >= 3; }

static int bump_value(void *arg) {
  shared *s = arg;
  for (int i = 0; i < 3; i++) {
    mp_test_sleep_ms(30);
    if (mp_condition_acquire(&s->cond, 20000) != 0) return 1;
    s->value++;
    mp_condition_notify_all(&s->cond);
    mp_condition_release(&s->cond);
  }
  return 0;
}

START_TEST(wait_for_predicate) {
  shared *s = shared_new(0);
  mp_process *p = mp_test_start(bump_value, s);
  mp_assert_ok(mp_condition_acquire(&s->cond, 0));
  mp_assert_ok(mp_condition_wait_for(&s->cond, value_reached, s, 20000));
  ck_assert_int_ge(s->value, 3);
  mp_assert_ok(mp_condition_wait_for(&s->cond, value_reached, s, 0)); /* already true */
  mp_assert_ok(mp_condition_release(&s->cond));
  ck_assert_int_eq(mp_test_finish(p), 0);
  mp__shared_free(s, sizeof *s);
}
END_TEST

START_TEST(wait_for_timeout) {
  shared *s = shared_new(1);
  mp_assert_rc(mp_condition_wait_for(&s->cond, value_reached, s, 0), MP_ESTATE);
  mp_assert_ok(mp_condition_acquire(&s->cond, 0));
  int64_t t0 = mp_test_now_ms();
  mp_assert_rc(mp_condition_wait_for(&s->cond, value_reached, s, 200), MP_ETIMEDOUT);
  int64_t took = mp_test_now_ms() - t0;
  ck_assert_int_ge(took, 190);
  ck_assert_int_lt(took, 5000);
  ck_assert(mp_lock_locked(&s->lock));
  mp_assert_ok(mp_condition_release(&s->cond));
  mp__shared_free(s, sizeof *s);
}
END_TEST

/* Counter under the condition's lock, for each lock kind, with waits and notifies mixed in. */
enum { WORKERS = 3, ROUNDS = 5000 };
static int hammer(void *arg) {
  shared *s = arg;
  for (int i = 0; i < ROUNDS; i++) {
    if (mp_condition_acquire(&s->cond, 20000) != 0) return 1;
    long v = s->counter;
    __asm__ volatile("" ::: "memory");
    s->counter = v + 1;
    if (i % 500 == 0) mp_condition_wait(&s->cond, 1); /* releases and re-takes the lock */
    mp_condition_notify(&s->cond, 1);
    if (mp_condition_release(&s->cond) != 0) return 2;
  }
  return 0;
}

START_TEST(counter_exact_each_lock_kind) {
  shared *s = shared_new(_i);
  mp_process *p[WORKERS];
  for (int i = 0; i < WORKERS; i++) p[i] = mp_test_start(hammer, s);
  for (int i = 0; i < WORKERS; i++) ck_assert_int_eq(mp_test_finish(p[i]), 0);
  ck_assert_int_eq(s->counter, (long)WORKERS * ROUNDS);
  mp__shared_free(s, sizeof *s);
}
END_TEST

Suite *mp_test_suite(void) {
  Suite *s = suite_create("sync_condition");
  TCase *tc = mp_tcase("condition", 60);
  tcase_add_test(tc, misuse);
  tcase_add_test(tc, wait_timeout_keeps_rlock_depth);
  tcase_add_loop_test(tc, notify_n_wakes_exactly_n, 0, 3); /* own RLock, Lock, RLock */
  tcase_add_test(tc, notify_is_fifo);
  tcase_add_test(tc, timed_out_waiter_gives_up_its_place);
  tcase_add_test(tc, wait_for_predicate);
  tcase_add_test(tc, wait_for_timeout);
  tcase_add_loop_test(tc, counter_exact_each_lock_kind, 0, 3);
  suite_add_tcase(s, tc);
  return s;
}
