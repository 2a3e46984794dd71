/* SPDX-License-Identifier: MIT */
/* test_sync_lock.c -- multiprocessing.Lock: exclusion across processes, timeouts, misuse. */
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "heap/heap.h"

START_TEST(basic_and_misuse) {
  mp_lock_t *l;
  mp_assert_rc(mp_lock_new(NULL), -EINVAL);
  mp_assert_ok(mp_lock_new(&l));
  ck_assert(!mp_lock_locked(l));
  mp_assert_rc(mp_lock_release(l), MP_ESTATE); /* not held */
  mp_assert_ok(mp_lock_acquire(l, 0));
  ck_assert(mp_lock_locked(l));
  mp_assert_rc(mp_lock_acquire(l, 0), MP_ETIMEDOUT); /* not recursive */
  mp_assert_ok(mp_lock_release(l));
  mp_assert_rc(mp_lock_release(l), MP_ESTATE);
  mp_assert_rc(mp_lock_acquire(NULL, 0), -EINVAL);
  mp_assert_rc(mp_lock_release(NULL), -EINVAL);
  mp_assert_rc(mp_lock_init(NULL), -EINVAL);
  mp_lock_free(l);
  mp_lock_free(NULL);
}
END_TEST

START_TEST(timeout_honoured) {
  mp_lock_t *l;
  mp_assert_ok(mp_lock_new(&l));
  mp_assert_ok(mp_lock_acquire(l, MP_FOREVER));
  int64_t t0 = mp_test_now_ms();
  mp_assert_rc(mp_lock_acquire(l, 150), MP_ETIMEDOUT);
  int64_t took = mp_test_now_ms() - t0;
  ck_assert_int_ge(took, 140);
  ck_assert_int_lt(took, 5000);
  mp_assert_ok(mp_lock_release(l));
  mp_lock_free(l);
}
END_TEST

/* A child holds the lock for a while; the parent's blocking acquire must wait for it, and the
 * lock may be released by a process other than the one that acquired it (Python allows it). */
static int hold_then_release(void *arg) {
  mp_lock_t *l = arg;
  mp_test_sleep_ms(200);
  return mp_lock_release(l) == 0 ? 0 : 1;
}

START_TEST(release_by_other_process) {
  mp_lock_t *l;
  mp_assert_ok(mp_lock_new(&l));
  mp_assert_ok(mp_lock_acquire(l, 0));
  mp_process *p;
  mp_assert_ok(mp_process_new(&p, hold_then_release, l, NULL));
  mp_assert_ok(mp_process_start(p));
  int64_t t0 = mp_test_now_ms();
  mp_assert_ok(mp_lock_acquire(l, 10000));
  ck_assert_int_ge(mp_test_now_ms() - t0, 150);
  mp_assert_ok(mp_process_join(p, 10000));
  int code;
  mp_assert_ok(mp_process_exitcode(p, &code));
  ck_assert_int_eq(code, 0);
  mp_assert_ok(mp_lock_release(l));
  mp_process_free(p);
  mp_lock_free(l);
}
END_TEST

/* Counters hammered by several processes (and threads inside them) under the lock. */
enum { WORKERS = 3, THREADS = 2, ROUNDS = 20000 };
typedef struct {
  mp_lock_t lock;
  long counter;
} shared_counter;

static void *bump(void *arg) {
  shared_counter *c = arg;
  for (int i = 0; i < ROUNDS; i++) {
    if (mp_lock_acquire(&c->lock, 10000) != 0) return (void *)1;
    long v = c->counter; /* a non-atomic read-modify-write: only the lock keeps it exact */
    __asm__ volatile("" ::: "memory");
    c->counter = v + 1;
    mp_lock_release(&c->lock);
  }
  return NULL;
}

static int hammer(void *arg) { return mp_test_threads(bump, arg, THREADS) != 0; }

START_TEST(counter_exact_under_contention) {
  shared_counter *c = mp__shared_alloc(sizeof *c);
  ck_assert_ptr_nonnull(c);
  mp_assert_ok(mp_lock_init(&c->lock));
  mp_process *p[WORKERS];
  for (int i = 0; i < WORKERS; i++) p[i] = mp_test_start(hammer, c);
  for (int i = 0; i < WORKERS; i++) ck_assert_int_eq(mp_test_finish(p[i]), 0);
  ck_assert_int_eq(c->counter, (long)WORKERS * THREADS * ROUNDS);
  ck_assert(!mp_lock_locked(&c->lock));
  mp__shared_free(c, sizeof *c);
}
END_TEST

Suite *mp_test_suite(void) {
  Suite *s = suite_create("lock");
  TCase *tc = mp_tcase("lock", 60);
  tcase_add_test(tc, basic_and_misuse);
  tcase_add_test(tc, timeout_honoured);
  tcase_add_test(tc, release_by_other_process);
  tcase_add_test(tc, counter_exact_under_contention);
  suite_add_tcase(s, tc);
  return s;
}
