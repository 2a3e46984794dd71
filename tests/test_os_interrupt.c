/* SPDX-License-Identifier: MIT */
/* test_os_interrupt.c -- mp_interrupt(): a call blocked in another thread (pool get, queue get,
 * Event wait, Semaphore, Lock and RLock acquire, Condition and Barrier waits) returns -EINTR
 * promptly; a pending interrupt makes such calls return at once until mp_interrupt_clear();
 * calls that do not block are not affected; a SIGINT through mp_interrupt_on() stops a get()
 * blocked in the thread the signal lands on; a process join blocked in another thread is
 * woken through the interrupt's eventfd. */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "harness.h"

static int sleeper(mp_task *t) {
  (void)t;
  mp_test_sleep_ms(3000);
  return 0;
}

typedef struct blocked {
  int (*call)(void *);
  void *arg;
  _Atomic int rc;
  _Atomic int64_t returned_ms;
} blocked;

static void *run_blocked(void *arg) {
  blocked *b = arg;
  b->rc = b->call(b->arg);
  b->returned_ms = mp_test_now_ms();
  return NULL;
}

/* Starts call(arg) on a thread, interrupts after 200 ms, and checks it came back with -EINTR
 * within 2 s of the interrupt. */
static void expect_interrupted(int (*call)(void *), void *arg) {
  blocked b = {.call = call, .arg = arg, .rc = 999};
  pthread_t t;
  ck_assert_int_eq(pthread_create(&t, NULL, run_blocked, &b), 0);
  mp_test_sleep_ms(200);
  ck_assert_int_eq(b.rc, 999); /* still blocked */
  int64_t at = mp_test_now_ms();
  mp_interrupt();
  pthread_join(t, NULL);
  mp_assert_rc(b.rc, -EINTR);
  ck_assert_int_lt(b.returned_ms - at, 2000);
  ck_assert(mp_interrupted());
  ck_assert(mp_interrupt_clear());
  ck_assert(!mp_interrupted());
}

static int get_forever(void *arg) { return mp_async_result_get(arg, MP_FOREVER); }
static int queue_get_forever(void *arg) {
  char buf[8];
  size_t n;
  return mp_queue_get_bytes(arg, buf, sizeof buf, &n, MP_FOREVER);
}
static int event_wait_forever(void *arg) { return mp_event_wait(arg, MP_FOREVER); }
static int sem_acquire_forever(void *arg) { return mp_semaphore_acquire(arg, MP_FOREVER); }
static int lock_acquire_forever(void *arg) { return mp_lock_acquire(arg, MP_FOREVER); }
static int pool_join_forever(void *arg) { return mp_pool_join(arg, MP_FOREVER); }
static int barrier_wait_forever(void *arg) { return mp_barrier_wait(arg, MP_FOREVER); }
/* Condition.wait returns with its lock held again, interrupted or not. */
static int cond_wait_forever(void *arg) {
  mp_condition_t *c = arg;
  int rc = mp_condition_acquire(c, MP_FOREVER);
  if (rc != 0) return rc;
  rc = mp_condition_wait(c, MP_FOREVER);
  int rrc = mp_condition_release(c);
  return rrc != 0 ? 1000 + rrc : rc;
}
static int rlock_acquire_forever(void *arg) { return mp_rlock_acquire(arg, MP_FOREVER); }

START_TEST(interrupts_blocked_threads) {
  mp_pool *p;
  mp_assert_ok(mp_pool_new(&p, &(mp_pool_opts){.processes = 1}));
  mp_async_result *r;
  mp_assert_ok(mp_pool_apply_async(p, sleeper, NULL, 0, NULL, &r));
  expect_interrupted(get_forever, r);
  mp_assert_rc(mp_async_result_wait(r, 0), MP_ETIMEDOUT); /* cleared: a plain timeout again */

  mp_queue *q;
  mp_assert_ok(mp_queue_new(&q, 0));
  expect_interrupted(queue_get_forever, q);

  mp_event_t *ev;
  mp_assert_ok(mp_event_new(&ev));
  expect_interrupted(event_wait_forever, ev);

  mp_semaphore_t *sem = mp_shared_alloc(sizeof *sem);
  ck_assert_ptr_nonnull(sem);
  mp_assert_ok(mp_semaphore_init(sem, 0, false));
  expect_interrupted(sem_acquire_forever, sem);

  mp_lock_t *lk;
  mp_assert_ok(mp_lock_new(&lk));
  mp_assert_ok(mp_lock_acquire(lk, 0)); /* held here: the thread's acquire sleeps */
  expect_interrupted(lock_acquire_forever, lk);
  mp_assert_ok(mp_lock_release(lk));
  mp_lock_free(lk);
  mp_rlock_t *rl;
  mp_assert_ok(mp_rlock_new(&rl));
  mp_assert_ok(mp_rlock_acquire(rl, 0));
  expect_interrupted(rlock_acquire_forever, rl);
  mp_assert_ok(mp_rlock_release(rl));
  mp_rlock_free(rl);

  mp_condition_t *cv;
  mp_assert_ok(mp_condition_new(&cv, NULL));
  expect_interrupted(cond_wait_forever, cv);
  mp_condition_free(cv);
  mp_barrier_t *bar;
  mp_assert_ok(mp_barrier_new(&bar, 2, NULL, NULL));
  expect_interrupted(barrier_wait_forever, bar);
  mp_assert_rc(mp_barrier_wait(bar, 0), MP_EBROKEN); /* broken for the others, as a timeout does */
  mp_barrier_free(bar);

  /* pending: interruptible calls return at once, others work; cleared: all as before */
  mp_interrupt();
  mp_assert_rc(mp_async_result_get(r, 10000), -EINTR);
  mp_assert_rc(mp_event_wait(ev, 10000), -EINTR);
  mp_assert_ok(mp_event_set(ev));
  mp_assert_ok(mp_event_wait(ev, 10000)); /* set: nothing to wait for */
  mp_assert_ok(mp_queue_put_bytes(q, "x", 1, 0));
  char buf[8];
  size_t n;
  mp_assert_ok(mp_queue_get_bytes(q, buf, sizeof buf, &n, 10000)); /* there: no wait */
  ck_assert(mp_interrupt_clear());
  mp_assert_ok(mp_async_result_get(r, 30000));

  /* a join waiting for a closed pool's long task */
  mp_async_result *long_one;
  mp_assert_ok(mp_pool_apply_async(p, sleeper, NULL, 0, NULL, &long_one));
  mp_async_result_free(long_one);
  mp_async_result_free(r);
  mp_assert_ok(mp_pool_close(p));
  expect_interrupted(pool_join_forever, p);
  mp_pool_free(p); /* its own join is not interrupted: it waits for the task */
  mp_queue_free(q);
  mp_event_free(ev);
  mp_shared_free(sem, sizeof *sem);
}
END_TEST

/* SIGINT to this very thread, blocked in get(): the handler mp_interrupt_on() installed has no
 * SA_RESTART, so the futex sleep ends at once. */
static void *send_sigint(void *arg) {
  mp_test_sleep_ms(200);
  pthread_kill(*(pthread_t *)arg, SIGINT);
  return NULL;
}

START_TEST(sigint_stops_a_get) {
  mp_assert_ok(mp_interrupt_on(SIGINT));
  mp_assert_rc(mp_interrupt_on(0), -EINVAL);
  mp_pool *p;
  mp_assert_ok(mp_pool_new(&p, &(mp_pool_opts){.processes = 1}));
  mp_async_result *r;
  mp_assert_ok(mp_pool_apply_async(p, sleeper, NULL, 0, NULL, &r));
  pthread_t self = pthread_self(), t;
  ck_assert_int_eq(pthread_create(&t, NULL, send_sigint, &self), 0);
  int64_t t0 = mp_test_now_ms();
  mp_assert_rc(mp_async_result_get(r, MP_FOREVER), -EINTR);
  ck_assert_int_lt(mp_test_now_ms() - t0, 2000);
  pthread_join(t, NULL);
  ck_assert(mp_interrupt_clear());
  mp_assert_ok(mp_pool_terminate(p));
  mp_assert_ok(mp_pool_join(p, 30000));
  mp_assert_rc(mp_async_result_get(r, 0), MP_ECLOSED);
  mp_async_result_free(r);
  mp_pool_free(p);
  signal(SIGINT, SIG_DFL);
}
END_TEST

/* A process join blocked in another thread: once mp_interrupt_on() made its eventfd, the
 * interrupt wakes the poll() of every thread. */
static int child_sleeps(void *arg) {
  (void)arg;
  mp_test_sleep_ms(3000);
  return 0;
}
static int join_forever(void *arg) { return mp_process_join(arg, MP_FOREVER); }

START_TEST(interrupts_a_process_join) {
  mp_assert_ok(mp_interrupt_on(SIGUSR1));
  mp_process *c = mp_test_start(child_sleeps, NULL);
  expect_interrupted(join_forever, c);
  mp_assert_ok(mp_process_kill(c));
  mp_assert_ok(mp_process_join(c, 10000));
  mp_process_free(c);
  signal(SIGUSR1, SIG_DFL);
}
END_TEST

/* A child forked while the parent has an interrupt pending starts without it. */
static int child_waits(void *arg) {
  char buf[8];
  size_t n;
  /* an empty queue's get times out with MP_EEMPTY (queue.Empty); an interrupt would be -EINTR */
  int rc = mp_queue_get_bytes(arg, buf, sizeof buf, &n, 100);
  if (rc != MP_EEMPTY) fprintf(stderr, "child: get gave %s\n", mp_err_name(rc));
  return rc == MP_EEMPTY ? 0 : 1;
}

START_TEST(child_starts_uninterrupted) {
  mp_queue *q;
  mp_assert_ok(mp_queue_new(&q, 0));
  mp_interrupt();
  mp_process *c = mp_test_start(child_waits, q);
  ck_assert(mp_interrupt_clear());
  ck_assert_int_eq(mp_test_finish(c), 0); /* its get timed out, it was not interrupted */
  mp_queue_free(q);
}
END_TEST

Suite *mp_test_suite(void) {
  Suite *s = suite_create("interrupt");
  TCase *tc = mp_tcase("interrupt", 60);
  tcase_add_test(tc, interrupts_blocked_threads);
  tcase_add_test(tc, sigint_stops_a_get);
  tcase_add_test(tc, interrupts_a_process_join);
  tcase_add_test(tc, child_starts_uninterrupted);
  suite_add_tcase(s, tc);
  return s;
}
