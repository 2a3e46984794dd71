/* SPDX-License-Identifier: MIT */
/* test_sync_barrier.c -- multiprocessing.Barrier: arrival indexes, the action run once per
 * cycle, timeouts that break it, abort, reset, broken state, n_waiting, misuse. */
#include <stdatomic.h>
#include <unistd.h>

#include "harness.h"
#include "heap/heap.h"

enum { PARTIES = 3, CYCLES = 20 };
typedef struct {
  mp_barrier_t barrier;
  _Atomic int actions;
  _Atomic int index_sum[CYCLES];
  _Atomic int index_mask[CYCLES];
} shared;

static shared *shared_new(unsigned parties, void (*action)(void *)) {
  shared *s = mp__shared_alloc(sizeof *s);
  ck_assert_ptr_nonnull(s);
  mp_assert_ok(mp_barrier_init(&s->barrier, parties, action, s));
  return s;
}

static void count_action(void *arg) {
  shared *s = arg;
  atomic_fetch_add(&s->actions, 1);
}

START_TEST(misuse_and_single_party) {
  mp_barrier_t *b;
  mp_assert_rc(mp_barrier_new(NULL, 1, NULL, NULL), -EINVAL);
  mp_assert_rc(mp_barrier_new(&b, 0, NULL, NULL), -EINVAL);
  mp_assert_rc(mp_barrier_init(NULL, 1, NULL, NULL), -EINVAL);
  mp_assert_rc(mp_barrier_wait(NULL, 0), -EINVAL);
  mp_assert_rc(mp_barrier_abort(NULL), -EINVAL);
  mp_assert_rc(mp_barrier_reset(NULL), -EINVAL);
  mp_assert_rc(mp_barrier_n_waiting(NULL), -EINVAL);
  ck_assert(!mp_barrier_broken(NULL));
  ck_assert_uint_eq(mp_barrier_parties(NULL), 0);
  shared *s = shared_new(1, count_action);
  ck_assert_uint_eq(mp_barrier_parties(&s->barrier), 1);
  for (int i = 0; i < 3; i++) mp_assert_rc(mp_barrier_wait(&s->barrier, 0), 0);
  ck_assert_int_eq(atomic_load(&s->actions), 3);
  mp_barrier_free(NULL);
  mp_assert_ok(mp_barrier_new(&b, 2, NULL, NULL));
  ck_assert_int_eq(mp_barrier_n_waiting(b), 0);
  mp_barrier_free(b);
  mp__shared_free(s, sizeof *s);
}
END_TEST

/* Every cycle: indexes 0..parties-1 each once, and the action once, before anyone leaves. */
static int party(void *arg) {
  shared *s = arg;
  for (int c = 0; c < CYCLES; c++) {
    int idx = mp_barrier_wait(&s->barrier, 20000);
    if (idx < 0 || idx >= PARTIES) return 1;
    if (atomic_load(&s->actions) < c + 1) return 2; /* the action ran before release */
    atomic_fetch_add(&s->index_sum[c], idx);
    atomic_fetch_or(&s->index_mask[c], 1 << idx);
  }
  return 0;
}

START_TEST(cycles_indexes_and_action_once) {
  shared *s = shared_new(PARTIES, count_action);
  mp_process *p[PARTIES - 1];
  for (int i = 0; i < PARTIES - 1; i++) p[i] = mp_test_start(party, s);
  ck_assert_int_eq(party(s), 0);
  for (int i = 0; i < PARTIES - 1; i++) ck_assert_int_eq(mp_test_finish(p[i]), 0);
  ck_assert_int_eq(atomic_load(&s->actions), CYCLES);
  for (int c = 0; c < CYCLES; c++) {
    ck_assert_int_eq(atomic_load(&s->index_mask[c]), (1 << PARTIES) - 1);
    ck_assert_int_eq(atomic_load(&s->index_sum[c]), PARTIES * (PARTIES - 1) / 2);
  }
  ck_assert(!mp_barrier_broken(&s->barrier));
  ck_assert_int_eq(mp_barrier_n_waiting(&s->barrier), 0);
  mp__shared_free(s, sizeof *s);
}
END_TEST

static int expect_broken(void *arg) {
  shared *s = arg;
  return mp_barrier_wait(&s->barrier, 20000) == MP_EBROKEN ? 0 : 1;
}

static void wait_n_waiting(shared *s, int n) {
  for (int i = 0; i < 20000 && mp_barrier_n_waiting(&s->barrier) < n; i++) mp_test_sleep_ms(1);
  ck_assert_int_eq(mp_barrier_n_waiting(&s->barrier), n);
}

/* A timeout breaks the barrier for everyone, until reset(). */
START_TEST(timeout_breaks_it) {
  shared *s = shared_new(PARTIES, count_action);
  mp_process *p = mp_test_start(expect_broken, s);
  wait_n_waiting(s, 1);
  int64_t t0 = mp_test_now_ms();
  mp_assert_rc(mp_barrier_wait(&s->barrier, 200), MP_ETIMEDOUT);
  int64_t took = mp_test_now_ms() - t0;
  ck_assert_int_ge(took, 190);
  ck_assert_int_lt(took, 5000);
  ck_assert_int_eq(mp_test_finish(p), 0);
  ck_assert(mp_barrier_broken(&s->barrier));
  ck_assert_int_eq(mp_barrier_n_waiting(&s->barrier), 0);
  mp_assert_rc(mp_barrier_wait(&s->barrier, 1000), MP_EBROKEN); /* at once */
  ck_assert_int_eq(atomic_load(&s->actions), 0);
  mp_assert_ok(mp_barrier_reset(&s->barrier));
  ck_assert(!mp_barrier_broken(&s->barrier));
  mp__shared_free(s, sizeof *s);
}
END_TEST

START_TEST(abort_releases_waiters) {
  shared *s = shared_new(PARTIES, count_action);
  mp_process *p[2] = {mp_test_start(expect_broken, s), mp_test_start(expect_broken, s)};
  wait_n_waiting(s, 2);
  mp_assert_ok(mp_barrier_abort(&s->barrier));
  for (int i = 0; i < 2; i++) ck_assert_int_eq(mp_test_finish(p[i]), 0);
  ck_assert(mp_barrier_broken(&s->barrier));
  mp_assert_rc(mp_barrier_wait(&s->barrier, 0), MP_EBROKEN);
  ck_assert_int_eq(atomic_load(&s->actions), 0);
  mp__shared_free(s, sizeof *s);
}
END_TEST

static int one_cycle(void *arg) {
  shared *s = arg;
  int idx = mp_barrier_wait(&s->barrier, 20000);
  return idx >= 0 && idx < PARTIES ? 0 : 1;
}

/* reset() with waiters: they get MP_EBROKEN, and the barrier works again at once. */
START_TEST(reset_with_waiters) {
  shared *s = shared_new(PARTIES, count_action);
  mp_process *p = mp_test_start(expect_broken, s);
  wait_n_waiting(s, 1);
  mp_assert_ok(mp_barrier_reset(&s->barrier));
  ck_assert_int_eq(mp_test_finish(p), 0);
  ck_assert(!mp_barrier_broken(&s->barrier));
  ck_assert_int_eq(mp_barrier_n_waiting(&s->barrier), 0);
  mp_process *q[2] = {mp_test_start(one_cycle, s), mp_test_start(one_cycle, s)};
  int idx = mp_barrier_wait(&s->barrier, 20000);
  ck_assert_int_ge(idx, 0);
  ck_assert_int_lt(idx, PARTIES);
  for (int i = 0; i < 2; i++) ck_assert_int_eq(mp_test_finish(q[i]), 0);
  ck_assert_int_eq(atomic_load(&s->actions), 1);
  mp__shared_free(s, sizeof *s);
}
END_TEST

Suite *mp_test_suite(void) {
  Suite *s = suite_create("sync_barrier");
  TCase *tc = mp_tcase("barrier", 30);
  tcase_add_test(tc, misuse_and_single_party);
  tcase_add_test(tc, cycles_indexes_and_action_once);
  tcase_add_test(tc, timeout_breaks_it);
  tcase_add_test(tc, abort_releases_waiters);
  tcase_add_test(tc, reset_with_waiters);
  suite_add_tcase(s, tc);
  return s;
}
