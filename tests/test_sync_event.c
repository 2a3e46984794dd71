/* SPDX-License-Identifier: MIT */
/* test_sync_event.c -- multiprocessing.Event: set, clear, is_set, wait across processes. */
#include <stdatomic.h>
#include <unistd.h>

#include "harness.h"
#include "heap/heap.h"

START_TEST(set_clear_and_misuse) {
  mp_event_t *e;
  mp_assert_rc(mp_event_new(NULL), -EINVAL);
  mp_assert_rc(mp_event_init(NULL), -EINVAL);
  mp_assert_rc(mp_event_set(NULL), -EINVAL);
  mp_assert_rc(mp_event_clear(NULL), -EINVAL);
  mp_assert_rc(mp_event_wait(NULL, 0), -EINVAL);
  ck_assert(!mp_event_is_set(NULL));
  mp_assert_ok(mp_event_new(&e));
  ck_assert(!mp_event_is_set(e));
  mp_assert_rc(mp_event_wait(e, 0), MP_ETIMEDOUT);
  mp_assert_ok(mp_event_set(e));
  mp_assert_ok(mp_event_set(e)); /* idempotent */
  ck_assert(mp_event_is_set(e));
  mp_assert_ok(mp_event_wait(e, 0));
  mp_assert_ok(mp_event_wait(e, MP_FOREVER));
  mp_assert_ok(mp_event_clear(e));
  mp_assert_ok(mp_event_clear(e));
  ck_assert(!mp_event_is_set(e));
  mp_assert_rc(mp_event_wait(e, 0), MP_ETIMEDOUT);
  mp_event_free(e);
  mp_event_free(NULL);
}
END_TEST

START_TEST(timeout_honoured) {
  mp_event_t *e;
  mp_assert_ok(mp_event_new(&e));
  int64_t t0 = mp_test_now_ms();
  mp_assert_rc(mp_event_wait(e, 200), MP_ETIMEDOUT);
  int64_t took = mp_test_now_ms() - t0;
  ck_assert_int_ge(took, 190);
  ck_assert_int_lt(took, 5000);
  mp_event_free(e);
}
END_TEST

typedef struct {
  mp_event_t ev;
  _Atomic int waiting;
} shared;

static int waiter(void *arg) {
  shared *s = arg;
  atomic_fetch_add(&s->waiting, 1);
  return mp_event_wait(&s->ev, 20000) == 0 ? 0 : 1;
}

enum { WAITERS = 4 };

/* Every process waiting is released by one set(), even if clear() follows at once. */
static void run_waiters(bool clear_at_once) {
  shared *s = mp__shared_alloc(sizeof *s);
  ck_assert_ptr_nonnull(s);
  mp_assert_ok(mp_event_init(&s->ev));
  mp_process *p[WAITERS];
  for (int i = 0; i < WAITERS; i++) p[i] = mp_test_start(waiter, s);
  while (atomic_load(&s->waiting) < WAITERS) mp_test_sleep_ms(1);
  mp_test_sleep_ms(100); /* let them fall asleep */
  for (int i = 0; i < WAITERS; i++) ck_assert(mp_process_is_alive(p[i]));
  mp_assert_ok(mp_event_set(&s->ev));
  if (clear_at_once) mp_assert_ok(mp_event_clear(&s->ev));
  for (int i = 0; i < WAITERS; i++) ck_assert_int_eq(mp_test_finish(p[i]), 0);
  ck_assert(mp_event_is_set(&s->ev) == !clear_at_once);
  mp__shared_free(s, sizeof *s);
}

START_TEST(set_releases_all_processes) { run_waiters(false); }
END_TEST

START_TEST(set_then_clear_still_releases) { run_waiters(true); }
END_TEST

static int setter(void *arg) {
  shared *s = arg;
  mp_test_sleep_ms(150);
  return mp_event_set(&s->ev) == 0 ? 0 : 1;
}

START_TEST(set_from_child) {
  shared *s = mp__shared_alloc(sizeof *s);
  ck_assert_ptr_nonnull(s);
  mp_assert_ok(mp_event_init(&s->ev));
  mp_process *p = mp_test_start(setter, s);
  int64_t t0 = mp_test_now_ms();
  mp_assert_ok(mp_event_wait(&s->ev, 20000));
  ck_assert_int_ge(mp_test_now_ms() - t0, 100);
  ck_assert(mp_event_is_set(&s->ev));
  ck_assert_int_eq(mp_test_finish(p), 0);
  mp__shared_free(s, sizeof *s);
}
END_TEST

Suite *mp_test_suite(void) {
  Suite *s = suite_create("sync_event");
  TCase *tc = mp_tcase("event", 30);
  tcase_add_test(tc, set_clear_and_misuse);
  tcase_add_test(tc, timeout_honoured);
  tcase_add_test(tc, set_releases_all_processes);
  tcase_add_test(tc, set_then_clear_still_releases);
  tcase_add_test(tc, set_from_child);
  suite_add_tcase(s, tc);
  return s;
}
