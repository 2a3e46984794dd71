/* SPDX-License-Identifier: MIT */
/* test_os.c -- the OS layer: deadlines and futex waits honour their timeouts; the owner ids
 * of os/owner.c name a thread and tell a dead one; mp__wait ends on its condition, deadline or
 * check, is woken across processes and stops spinning in vain, and MP_WAIT_POLICY=passive
 * makes it sleep at once. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "os/olock.h"
#include "os/os.h"
#include "os/wait.h"

START_TEST(deadlines) {
  mp__deadline never = mp__deadline_in(MP_FOREVER);
  ck_assert(mp__deadline_forever(never));
  ck_assert(!mp__deadline_passed(never));
  ck_assert_int_eq(mp__deadline_poll_ms(never), -1);
  struct timespec ts;
  ck_assert_ptr_null(mp__deadline_abs(never, &ts));
  ck_assert(mp__deadline_forever(mp__deadline_in(-5)));

  mp__deadline now = mp__deadline_in(0);
  ck_assert(mp__deadline_passed(now));
  ck_assert_int_eq(mp__deadline_poll_ms(now), 0);

  mp__deadline soon = mp__deadline_in(1500);
  int left = mp__deadline_poll_ms(soon);
  ck_assert_int_gt(left, 1000);
  ck_assert_int_le(left, 1500);
  ck_assert_ptr_nonnull(mp__deadline_abs(soon, &ts));
  ck_assert_int_eq((int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec, soon.at_ns);

  /* Huge timeouts are clamped, not overflowed into the past. */
  mp__deadline far = mp__deadline_in(INT64_MAX);
  ck_assert(!mp__deadline_forever(far));
  ck_assert(!mp__deadline_passed(far));
  ck_assert_int_gt(mp__deadline_poll_ms(far), 1000000);
}
END_TEST

START_TEST(futex_wait_times_out) {
  _Atomic uint32_t word = 5;
  ck_assert_int_eq(mp__futex_wait(&word, 4, mp__deadline_in(1000)), -EAGAIN);
  int64_t t0 = mp_test_now_ms();
  int r;
  mp__deadline d = mp__deadline_in(150);
  while ((r = mp__futex_wait(&word, 5, d)) == 0 || r == -EINTR) {
  }
  ck_assert_int_eq(r, -ETIMEDOUT);
  int64_t took = mp_test_now_ms() - t0;
  ck_assert_int_ge(took, 140);
  ck_assert_int_lt(took, 5000);
  ck_assert_int_eq(mp__futex_wake(&word, 1), 0); /* nobody waiting */
}
END_TEST

START_TEST(futex_wakes_other_process) {
  _Atomic uint32_t *word =
      mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  ck_assert_ptr_ne(word, MAP_FAILED);
  atomic_store(word, 0);
  pid_t pid = fork();
  if (pid == 0) {
    mp__deadline d = mp__deadline_in(10000);
    while (atomic_load(word) == 0) {
      int r = mp__futex_wait(word, 0, d);
      if (r == -ETIMEDOUT) _exit(1);
    }
    _exit(0);
  }
  mp_test_sleep_ms(50);
  atomic_store(word, 1);
  mp__futex_wake(word, 1);
  int st;
  ck_assert_int_eq(waitpid(pid, &st, 0), pid);
  ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  munmap((void *)(uintptr_t)word, 4096);
}
END_TEST

/* ---- owner ids ---- */

static void *id_of_thread(void *arg) {
  *(uint64_t *)arg = mp__self();
  return NULL;
}

START_TEST(owner_id_names_the_thread) {
  uint64_t me = mp__self();
  ck_assert_int_eq(mp__owner_pid(me), getpid());
  ck_assert_int_eq(mp__owner_tid(me), (pid_t)syscall(SYS_gettid));
  ck_assert_uint_ne(mp__owner_stamp(me), 0); /* pidfs or /proc gave a birth stamp */
  ck_assert_uint_eq(mp__self(), me);
  ck_assert_int_eq(mp__self_pid(), getpid());
  ck_assert_uint_eq(me & MP__OWN_FLAGS, 0);
  ck_assert_uint_ne(me, MP__OWN_NOTREC);
  ck_assert(!mp__owner_dead(me));
  ck_assert(mp__owner_id(mp__owner_pid(me), mp__owner_tid(me), mp__owner_stamp(me)) == me);

  uint64_t other = 0;
  pthread_t t;
  ck_assert_int_eq(pthread_create(&t, NULL, id_of_thread, &other), 0);
  ck_assert_int_eq(pthread_join(t, NULL), 0);
  ck_assert_int_eq(mp__owner_pid(other), getpid());
  ck_assert_int_ne(mp__owner_tid(other), mp__owner_tid(me));
  ck_assert(mp__owner_dead(other)); /* the thread ended */

  /* a child gets its own id (the parent's cache is not inherited), dead once it exits */
  uint64_t *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  ck_assert_ptr_ne(shared, MAP_FAILED);
  pid_t pid = fork();
  if (pid == 0) {
    shared[0] = mp__self();
    shared[1] = (uint64_t)mp__self_pid();
    _exit(0);
  }
  int st;
  ck_assert_int_eq(waitpid(pid, &st, 0), pid);
  ck_assert_int_eq(mp__owner_pid(shared[0]), pid);
  ck_assert_int_eq((pid_t)shared[1], pid);
  ck_assert(mp__owner_dead(shared[0]));
  /* the same pid and tid with another stamp: not this thread any more */
  uint32_t wrong = mp__owner_stamp(me) ^ 2; /* keeps the kind bit, changes the value */
  ck_assert(mp__owner_dead(mp__owner_id(getpid(), (pid_t)syscall(SYS_gettid), wrong)));
  ck_assert(!mp__owner_dead(mp__owner_id(getpid(), (pid_t)syscall(SYS_gettid), 0)));
  munmap(shared, 4096);
}
END_TEST

/* ---- mp__wait ---- */

static bool always(void *arg) {
  (void)arg;
  return true;
}

static int give_up(void *arg) { return ++*(int *)arg >= 2 ? -ECANCELED : 0; }

START_TEST(wait_ends_done_timeout_or_check) {
  _Atomic uint32_t word = 7, sleepers = 0;
  mp__waiter done = {.word = &word, .done = always, .spin_ns = MP__WAIT_SPIN_LONG_NS};
  mp_assert_ok(mp__wait(&done, mp__deadline_in(MP_FOREVER)));
  mp__waiter moved = {.word = &word, .old = 6};
  mp_assert_ok(mp__wait(&moved, mp__deadline_in(0)));

  mp__waiter still = {
      .word = &word, .sleepers = &sleepers, .old = 7, .spin_ns = MP__WAIT_SPIN_LONG_NS};
  mp_assert_rc(mp__wait(&still, mp__deadline_in(0)), MP_ETIMEDOUT); /* a poll never sleeps */
  int64_t t0 = mp_test_now_ms();
  mp_assert_rc(mp__wait(&still, mp__deadline_in(120)), MP_ETIMEDOUT);
  int64_t took = mp_test_now_ms() - t0;
  ck_assert_int_ge(took, 110);
  ck_assert_int_lt(took, 5000);
  ck_assert_uint_eq(atomic_load(&sleepers), 0); /* the count is given back */

  /* check() runs after every slice (50 ms) and ends the wait with its code */
  int calls = 0;
  mp__waiter checked = {.word = &word, .old = 7, .check = give_up, .arg = &calls};
  t0 = mp_test_now_ms();
  mp_assert_rc(mp__wait(&checked, mp__deadline_in(MP_FOREVER)), -ECANCELED);
  ck_assert_int_eq(calls, 2);
  ck_assert_int_lt(mp_test_now_ms() - t0, 5000);

  mp__spin full = {0}, least = {MP__WAIT_SPIN_MIN_SHIFT}, beyond = {MP__WAIT_SPIN_MIN_SHIFT + 5};
  ck_assert_int_eq(mp__wait_spin_budget(&full, 4000), 4000);
  ck_assert_int_eq(mp__wait_spin_budget(&least, 4000), 500);
  ck_assert_int_eq(mp__wait_spin_budget(&beyond, 4000), 500);
  ck_assert_int_eq(mp__wait_spin_budget(&full, 0), 0);
}
END_TEST

typedef struct {
  _Atomic uint32_t seq, sleepers, state;
} shared_wait;

static bool state_set(void *arg) { return atomic_load(&((shared_wait *)arg)->state) != 0; }

/* A sleeper in another process, counted, sleeping whole (no slices to hide a lost wake-up), is
 * woken by the waker's half of the protocol. */
START_TEST(wait_woken_from_other_process) {
  shared_wait *sw = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  ck_assert_ptr_ne(sw, MAP_FAILED);
  for (int round = 0; round < 20; round++) {
    atomic_store(&sw->state, 0);
    pid_t pid = fork();
    if (pid == 0) {
      mp__waiter w = {.word = &sw->seq,
                      .sleepers = &sw->sleepers,
                      .done = state_set,
                      .arg = sw,
                      .spin_ns = MP__WAIT_SPIN_LONG_NS,
                      .whole = true};
      _exit(mp__wait(&w, mp__deadline_in(10000)) == 0 ? 0 : 1);
    }
    if (round % 2) mp_test_sleep_ms(5); /* now asleep, or (even rounds) maybe still spinning */
    atomic_store(&sw->state, 1);
    mp__wake_bump(&sw->seq, &sw->sleepers, 1);
    int64_t t0 = mp_test_now_ms();
    int st;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    ck_assert_int_lt(mp_test_now_ms() - t0, 5000);
    ck_assert_uint_eq(atomic_load(&sw->sleepers), 0);
  }
  munmap(sw, 4096);
}
END_TEST

typedef struct {
  _Atomic uint32_t word;
  _Atomic int stop;
} slow_waker_state;

static void *slow_waker(void *arg) {
  slow_waker_state *sw = arg;
  while (!atomic_load(&sw->stop)) {
    mp_test_sleep_ms(2);
    atomic_fetch_add(&sw->word, 1);
    mp__futex_wake(&sw->word, 1);
  }
  return NULL;
}

/* A waiter whose waker takes milliseconds cuts its spin for it to the smallest step within a
 * few waits. */
START_TEST(wait_spins_less_for_a_slow_waker) {
  slow_waker_state sw = {0};
  pthread_t th;
  ck_assert_int_eq(pthread_create(&th, NULL, slow_waker, &sw), 0);
  mp__spin learned = {0};
  for (int i = 0; i < 10; i++) {
    mp__waiter w = {.word = &sw.word,
                    .old = atomic_load(&sw.word),
                    .spin_ns = MP__WAIT_SPIN_LONG_NS,
                    .whole = true,
                    .spin = &learned};
    mp_assert_ok(mp__wait(&w, mp__deadline_in(10000)));
  }
  atomic_store(&sw.stop, 1);
  pthread_join(th, NULL);
  ck_assert_uint_eq(learned.shift, MP__WAIT_SPIN_MIN_SHIFT);
  ck_assert_int_eq(mp__wait_spin_budget(&learned, MP__WAIT_SPIN_LONG_NS),
                   MP__WAIT_SPIN_LONG_NS >> MP__WAIT_SPIN_MIN_SHIFT);
}
END_TEST

/* How many times a wait looked at its condition before it timed out after 60 ms. */
static bool count_looks(void *arg) {
  (*(int *)arg)++;
  return false;
}
static int looks_in_a_wait(void) {
  _Atomic uint32_t word = 0;
  int looks = 0;
  mp__waiter w = {
      .word = &word, .done = count_looks, .arg = &looks, .spin_ns = MP__WAIT_SPIN_LONG_NS};
  if (mp__wait(&w, mp__deadline_in(60)) != MP_ETIMEDOUT) return -1;
  return looks;
}

/* The exec'd half of passive_policy_sleeps_at_once: a fresh image started with
 * MP_WAIT_POLICY=passive (the policy is read once per image).  Exits 0 when the wait only
 * looked around its sleeps (about once per 50 ms slice, never the thousands of a spin). */
__attribute__((constructor)) static void passive_child(void) {
  if (getenv("MP_TEST_PASSIVE") == NULL) return;
  _exit(mp__wait_passive() && looks_in_a_wait() <= 6 ? 0 : 1);
}

START_TEST(passive_policy_sleeps_at_once) {
  ck_assert(!mp__wait_passive());
  ck_assert_int_gt(looks_in_a_wait(), 50); /* active: the spin looks many times */
  char *envp[] = {"MP_TEST_PASSIVE=1", "MP_WAIT_POLICY=passive", NULL};
  ck_assert_int_eq(mp_test_run_fresh_image(envp), 0);
}
END_TEST

Suite *mp_test_suite(void) {
  Suite *s = suite_create("os");
  TCase *tc = mp_tcase("clock_futex", 20);
  tcase_add_test(tc, deadlines);
  tcase_add_test(tc, futex_wait_times_out);
  tcase_add_test(tc, futex_wakes_other_process);
  tcase_add_test(tc, owner_id_names_the_thread);
  suite_add_tcase(s, tc);
  TCase *tw = mp_tcase("wait", 30);
  tcase_add_test(tw, wait_ends_done_timeout_or_check);
  tcase_add_test(tw, wait_woken_from_other_process);
  tcase_add_test(tw, wait_spins_less_for_a_slow_waker);
  tcase_add_test(tw, passive_policy_sleeps_at_once);
  suite_add_tcase(s, tw);
  return s;
}
