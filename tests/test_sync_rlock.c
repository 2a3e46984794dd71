/* SPDX-License-Identifier: MIT */
/* test_sync_rlock.c -- multiprocessing.RLock: recursion, owner checks, exclusion across
 * processes and threads, timeouts, misuse. */
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "harness.h"
#include "heap/heap.h"

START_TEST(recursion_and_misuse) {
  mp_rlock_t *r;
  mp_assert_rc(mp_rlock_new(NULL), -EINVAL);
  mp_assert_rc(mp_rlock_init(NULL), -EINVAL);
  mp_assert_rc(mp_rlock_acquire(NULL, 0), -EINVAL);
  mp_assert_rc(mp_rlock_release(NULL), -EINVAL);
  mp_assert_rc(mp_rlock_consistent(NULL), -EINVAL);
  ck_assert_int_eq(mp_rlock_count(NULL), 0);
  mp_assert_ok(mp_rlock_new(&r));
  ck_assert_int_eq(mp_rlock_count(r), 0);
  mp_assert_rc(mp_rlock_release(r), MP_ESTATE);
  mp_assert_ok(mp_rlock_acquire(r, 0));
  mp_assert_ok(mp_rlock_acquire(r, 0));
  mp_assert_ok(mp_rlock_acquire(r, MP_FOREVER));
  ck_assert_int_eq(mp_rlock_count(r), 3);
  mp_assert_rc(mp_rlock_consistent(r), MP_ESTATE); /* not in the owner-died state */
  mp_assert_ok(mp_rlock_release(r));
  mp_assert_ok(mp_rlock_release(r));
  ck_assert_int_eq(mp_rlock_count(r), 1);
  mp_assert_ok(mp_rlock_release(r));
  ck_assert_int_eq(mp_rlock_count(r), 0);
  mp_assert_rc(mp_rlock_release(r), MP_ESTATE);
  mp_rlock_free(r);
  mp_rlock_free(NULL);
}
END_TEST

/* Another thread neither owns nor may release it, and times out acquiring it. */
static void *other_thread(void *arg) {
  mp_rlock_t *r = arg;
  int ok = mp_rlock_count(r) == 0 && mp_rlock_release(r) == MP_ESTATE &&
           mp_rlock_acquire(r, 0) == MP_ETIMEDOUT && mp_rlock_acquire(r, 100) == MP_ETIMEDOUT;
  return ok ? NULL : (void *)1;
}

START_TEST(owner_is_the_thread) {
  mp_rlock_t *r;
  mp_assert_ok(mp_rlock_new(&r));
  mp_assert_ok(mp_rlock_acquire(r, 0));
  pthread_t t;
  void *res;
  ck_assert_int_eq(pthread_create(&t, NULL, other_thread, r), 0);
  ck_assert_int_eq(pthread_join(t, &res), 0);
  ck_assert_ptr_null(res);
  mp_assert_ok(mp_rlock_release(r));
  mp_rlock_free(r);
}
END_TEST

/* A forked child is not the owner of its parent's RLock, even on the forking thread. */
static int child_not_owner(void *arg) {
  mp_rlock_t *r = arg;
  if (mp_rlock_count(r) != 0) return 1;
  if (mp_rlock_release(r) != MP_ESTATE) return 2;
  if (mp_rlock_acquire(r, 0) != MP_ETIMEDOUT) return 3;
  return 0;
}

START_TEST(child_is_not_owner) {
  mp_rlock_t *r;
  mp_assert_ok(mp_rlock_new(&r));
  mp_assert_ok(mp_rlock_acquire(r, 0));
  ck_assert_int_eq(mp_test_finish(mp_test_start(child_not_owner, r)), 0);
  ck_assert_int_eq(mp_rlock_count(r), 1);
  mp_assert_ok(mp_rlock_release(r));
  mp_rlock_free(r);
}
END_TEST

static int timed_child(void *arg) {
  mp_rlock_t *r = arg;
  int64_t t0 = mp_test_now_ms();
  if (mp_rlock_acquire(r, 250) != MP_ETIMEDOUT) return 1;
  int64_t took = mp_test_now_ms() - t0;
  return took >= 240 && took < 5000 ? 0 : 2;
}

START_TEST(timeout_across_processes) {
  mp_rlock_t *r;
  mp_assert_ok(mp_rlock_new(&r));
  mp_assert_ok(mp_rlock_acquire(r, 0));
  ck_assert_int_eq(mp_test_finish(mp_test_start(timed_child, r)), 0);
  mp_assert_ok(mp_rlock_release(r));
  mp_rlock_free(r);
}
END_TEST

enum { WORKERS = 3, THREADS = 2, ROUNDS = 10000 };
typedef struct {
  mp_rlock_t lock;
  long counter;
} shared_counter;

static void *bump(void *arg) {
  shared_counter *c = arg;
  for (int i = 0; i < ROUNDS; i++) {
    if (mp_rlock_acquire(&c->lock, 20000) != 0) return (void *)1;
    if (mp_rlock_acquire(&c->lock, 0) != 0) return (void *)2; /* recursive */
    long v = c->counter;
    __asm__ volatile("" ::: "memory");
    c->counter = v + 1;
    if (mp_rlock_release(&c->lock) != 0 || mp_rlock_release(&c->lock) != 0) return (void *)3;
  }
  return NULL;
}

static int hammer(void *arg) { return mp_test_threads(bump, arg, THREADS) != 0; }

START_TEST(counter_exact_under_contention) {
  shared_counter *c = mp__shared_alloc(sizeof *c);
  ck_assert_ptr_nonnull(c);
  mp_assert_ok(mp_rlock_init(&c->lock));
  mp_process *p[WORKERS];
  for (int i = 0; i < WORKERS; i++) p[i] = mp_test_start(hammer, c);
  for (int i = 0; i < WORKERS; i++) ck_assert_int_eq(mp_test_finish(p[i]), 0);
  ck_assert_int_eq(c->counter, (long)WORKERS * THREADS * ROUNDS);
  mp_assert_ok(mp_rlock_acquire(&c->lock, 0)); /* left free */
  mp_assert_ok(mp_rlock_release(&c->lock));
  mp__shared_free(c, sizeof *c);
}
END_TEST

Suite *mp_test_suite(void) {
  Suite *s = suite_create("sync_rlock");
  TCase *tc = mp_tcase("rlock", 60);
  tcase_add_test(tc, recursion_and_misuse);
  tcase_add_test(tc, owner_is_the_thread);
  tcase_add_test(tc, child_is_not_owner);
  tcase_add_test(tc, timeout_across_processes);
  tcase_add_test(tc, counter_exact_under_contention);
  suite_add_tcase(s, tc);
  return s;
}
