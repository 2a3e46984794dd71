/* SPDX-License-Identifier: MIT */
/* test_manager_interrupt.c -- mp_interrupt() and manager proxies: a call blocked for its reply
 * (Queue.get on an empty queue, Lock.acquire of a held lock) returns -EINTR promptly, through a
 * heap-sharing client's channel and through a TCP connection; afterwards the same proxy works
 * and gets its own replies, never the interrupted call's (the server gave that call up, so a
 * put is not taken by it); a pending interrupt sends nothing; a proxy's clean-up still runs. */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>

#include "harness.h"
#include "manager_util.h"

#define KEY "secret"

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

/* Starts call(arg) on a thread, interrupts after 300 ms, checks -EINTR within 2 s and clears
 * the interrupt. */
static void expect_interrupted(int (*call)(void *), void *arg) {
  blocked b = {.call = call, .arg = arg, .rc = 999};
  pthread_t t;
  ck_assert_int_eq(pthread_create(&t, NULL, run_blocked, &b), 0);
  mp_test_sleep_ms(300);
  ck_assert_int_eq(b.rc, 999); /* still blocked */
  int64_t at = mp_test_now_ms();
  mp_interrupt();
  pthread_join(t, NULL);
  mp_assert_rc(b.rc, -EINTR);
  ck_assert_int_lt(b.returned_ms - at, 2000);
  ck_assert(mp_interrupt_clear());
}

static int get_forever(void *arg) {
  mp_obj *v = NULL;
  int rc = mp_queue_proxy_get(arg, &v, MP_FOREVER);
  mp_obj_decref(v);
  return rc;
}
static int acquire_forever(void *arg) { return mp_lock_proxy_acquire(arg, MP_FOREVER); }

static void put_int(mp_proxy *q, int64_t v) {
  mp_obj *o = mp_obj_int(v);
  mp_assert_ok(mp_queue_proxy_put(q, o, 5000));
  mp_obj_decref(o);
}

static int64_t get_now(mp_proxy *q) {
  mp_obj *v = NULL;
  mp_assert_ok(mp_queue_proxy_get(q, &v, 5000));
  return get_int(v);
}

/* The same checks through any manager m: get and acquire interrupted, then the proxies answer
 * their own calls with the right values. */
static void interrupt_proxies(mp_manager *m) {
  mp_proxy *q;
  mp_assert_ok(mp_manager_queue(m, 0, &q));
  expect_interrupted(get_forever, q);
  put_int(q, 7); /* not taken by the interrupted get: the server gave it up */
  ck_assert_int_eq(get_now(q), 7);
  expect_interrupted(get_forever, q);
  put_int(q, 8);
  put_int(q, 9);
  ck_assert_int_eq(get_now(q), 8);
  ck_assert_int_eq(get_now(q), 9);
  int64_t n = -1;
  mp_assert_ok(mp_queue_proxy_qsize(q, &n));
  ck_assert_int_eq(n, 0);

  /* pending: nothing is sent (the put does not happen), until the clear */
  mp_interrupt();
  mp_obj *o = mp_obj_int(10);
  mp_assert_rc(mp_queue_proxy_put(q, o, 5000), -EINTR);
  mp_obj_decref(o);
  ck_assert(mp_interrupt_clear());
  mp_assert_ok(mp_queue_proxy_qsize(q, &n));
  ck_assert_int_eq(n, 0);

  mp_proxy *lk;
  mp_assert_ok(mp_manager_lock(m, &lk));
  mp_assert_ok(mp_lock_proxy_acquire(lk, 0));
  expect_interrupted(acquire_forever, lk);
  mp_assert_ok(mp_lock_proxy_release(lk));
  mp_assert_ok(mp_lock_proxy_acquire(lk, 5000)); /* free: the interrupted acquire gave up */
  mp_assert_ok(mp_lock_proxy_release(lk));

  /* a proxy freed with an interrupt pending still drops its reference */
  mp_interrupt();
  mp_proxy_free(lk);
  mp_proxy_free(q);
  ck_assert(mp_interrupt_clear());
}

START_TEST(interrupts_heap_client) {
  mp_manager *m = start_manager();
  interrupt_proxies(m);
  int64_t n = -1;
  mp_assert_ok(mp_manager_number_of_objects(m, &n));
  ck_assert_int_eq(n, 0);
  mp_manager_free(m);
}
END_TEST

/* A client that does not share the server's heap talks TCP; its waits are poll()s, which the
 * interrupt's eventfd (made by mp_interrupt_on) wakes from another thread. */
START_TEST(interrupts_tcp_client) {
  mp_assert_ok(mp_interrupt_on(SIGUSR1));
  mp_manager *m;
  mp_assert_ok(mp_manager_new(
      &m, &(mp_manager_opts){.address = "127.0.0.1:0", .authkey = KEY, .authkey_len = strlen(KEY)}));
  mp_assert_ok(mp_manager_start(m));
  mp_manager *c;
  mp_assert_ok(mp_manager_new(&c, &(mp_manager_opts){.address = mp_manager_address(m),
                                                     .authkey = KEY,
                                                     .authkey_len = strlen(KEY)}));
  mp_assert_ok(mp_manager_connect(c, 5000));
  interrupt_proxies(c);
  mp_manager_free(c);
  int64_t n = -1;
  mp_assert_ok(mp_manager_number_of_objects(m, &n));
  ck_assert_int_eq(n, 0);
  mp_manager_free(m);
  signal(SIGUSR1, SIG_DFL);
}
END_TEST

Suite *mp_test_suite(void) {
  Suite *s = suite_create("manager_interrupt");
  TCase *tc = mp_tcase("manager_interrupt", 60);
  tcase_add_test(tc, interrupts_heap_client);
  tcase_add_test(tc, interrupts_tcp_client);
  suite_add_tcase(s, tc);
  return s;
}
