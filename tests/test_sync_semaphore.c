/* SPDX-License-Identifier: MIT */
/* test_sync_semaphore.c -- Semaphore and BoundedSemaphore: counting, bounds, timeouts, limits
 * on concurrency across processes, misuse. */
#include <stdatomic.h>
#include <unistd.h>

#include "harness.h"
#include "heap/heap.h"

START_TEST(counting_and_misuse) {
  mp_semaphore_t *s;
  mp_assert_rc(mp_semaphore_new(NULL, 1, false), -EINVAL);
  mp_assert_rc(mp_semaphore_init(NULL, 1, false), -EINVAL);
  mp_assert_rc(mp_semaphore_new(&s, (unsigned)INT32_MAX + 1, false), -EINVAL);
  mp_assert_rc(mp_semaphore_acquire(NULL, 0), -EINVAL);
  mp_assert_rc(mp_semaphore_release(NULL), -EINVAL);
  mp_assert_rc(mp_semaphore_value(NULL), -EINVAL);
  mp_assert_ok(mp_semaphore_new(&s, 2, false));
  ck_assert_int_eq(mp_semaphore_value(s), 2);
  mp_assert_ok(mp_semaphore_acquire(s, 0));
  mp_assert_ok(mp_semaphore_acquire(s, MP_FOREVER));
  mp_assert_rc(mp_semaphore_acquire(s, 0), MP_ETIMEDOUT);
  ck_assert_int_eq(mp_semaphore_value(s), 0);
  for (int i = 0; i < 5; i++) mp_assert_ok(mp_semaphore_release(s)); /* unbounded */
  ck_assert_int_eq(mp_semaphore_value(s), 5);
  mp_semaphore_free(s);
  mp_semaphore_free(NULL);
  mp_assert_ok(mp_semaphore_new(&s, INT32_MAX, false));
  mp_assert_rc(mp_semaphore_release(s), -EOVERFLOW);
  mp_semaphore_free(s);
}
END_TEST

START_TEST(bounded_over_release) {
  mp_semaphore_t *s;
  mp_assert_ok(mp_semaphore_new(&s, 2, true));
  mp_assert_rc(mp_semaphore_release(s), -EOVERFLOW);
  ck_assert_int_eq(mp_semaphore_value(s), 2); /* unchanged */
  mp_assert_ok(mp_semaphore_acquire(s, 0));
  mp_assert_ok(mp_semaphore_release(s));
  mp_assert_rc(mp_semaphore_release(s), -EOVERFLOW);
  ck_assert_int_eq(mp_semaphore_value(s), 2);
  mp_semaphore_free(s);
}
END_TEST

START_TEST(timeout_honoured) {
  mp_semaphore_t *s;
  mp_assert_ok(mp_semaphore_new(&s, 0, false));
  int64_t t0 = mp_test_now_ms();
  mp_assert_rc(mp_semaphore_acquire(s, 200), MP_ETIMEDOUT);
  int64_t took = mp_test_now_ms() - t0;
  ck_assert_int_ge(took, 190);
  ck_assert_int_lt(took, 5000);
  ck_assert_int_eq(mp_semaphore_value(s), 0);
  mp_semaphore_free(s);
}
END_TEST

/* A child releases N times, slowly; the parent's blocking acquires take every one. */
enum { N = 50 };
static int producer(void *arg) {
  mp_semaphore_t *s = arg;
  for (int i = 0; i < N; i++) {
    if (i % 10 == 0) mp_test_sleep_ms(20);
    if (mp_semaphore_release(s) != 0) return 1;
  }
  return 0;
}

START_TEST(release_wakes_across_processes) {
  mp_semaphore_t *s;
  mp_assert_ok(mp_semaphore_new(&s, 0, false));
  mp_process *p = mp_test_start(producer, s);
  for (int i = 0; i < N; i++) mp_assert_ok(mp_semaphore_acquire(s, 20000));
  ck_assert_int_eq(mp_test_finish(p), 0);
  ck_assert_int_eq(mp_semaphore_value(s), 0);
  mp_semaphore_free(s);
}
END_TEST

/* Semaphore(2) admits at most two holders at once, across processes. */
enum { WORKERS = 4, ROUNDS = 3000 };
typedef struct {
  mp_semaphore_t sem;
  mp_lock_t lock;
  _Atomic int inside;
  _Atomic int max_inside;
  long counter;
} shared;

static int worker(void *arg) {
  shared *sh = arg;
  for (int i = 0; i < ROUNDS; i++) {
    if (mp_semaphore_acquire(&sh->sem, 20000) != 0) return 1;
    int now = atomic_fetch_add(&sh->inside, 1) + 1;
    int m = atomic_load(&sh->max_inside);
    while (now > m && !atomic_compare_exchange_weak(&sh->max_inside, &m, now)) {
    }
    if (mp_lock_acquire(&sh->lock, 20000) != 0) return 2;
    sh->counter++;
    mp_lock_release(&sh->lock);
    atomic_fetch_sub(&sh->inside, 1);
    if (mp_semaphore_release(&sh->sem) != 0) return 3;
  }
  return 0;
}

START_TEST(bounded_admits_at_most_value) {
  shared *sh = mp__shared_alloc(sizeof *sh);
  ck_assert_ptr_nonnull(sh);
  mp_assert_ok(mp_semaphore_init(&sh->sem, 2, true));
  mp_assert_ok(mp_lock_init(&sh->lock));
  mp_process *p[WORKERS];
  for (int i = 0; i < WORKERS; i++) p[i] = mp_test_start(worker, sh);
  for (int i = 0; i < WORKERS; i++) ck_assert_int_eq(mp_test_finish(p[i]), 0);
  ck_assert_int_eq(sh->counter, (long)WORKERS * ROUNDS);
  ck_assert_int_le(atomic_load(&sh->max_inside), 2);
  ck_assert_int_ge(atomic_load(&sh->max_inside), 1);
  ck_assert_int_eq(mp_semaphore_value(&sh->sem), 2);
  mp__shared_free(sh, sizeof *sh);
}
END_TEST

Suite *mp_test_suite(void) {
  Suite *s = suite_create("sync_semaphore");
  TCase *tc = mp_tcase("semaphore", 60);
  tcase_add_test(tc, counting_and_misuse);
  tcase_add_test(tc, bounded_over_release);
  tcase_add_test(tc, timeout_honoured);
  tcase_add_test(tc, release_wakes_across_processes);
  tcase_add_test(tc, bounded_admits_at_most_value);
  suite_add_tcase(s, tc);
  return s;
}
