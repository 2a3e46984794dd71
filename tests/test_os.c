/* test_os.c -- the OS layer: deadlines and futex waits honour their timeouts; the owner ids
 * of os/owner.c name a thread and tell a dead one. */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "os/olock.h"
#include "os/os.h"

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
  _Atomic uint32_t *word = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                                -1, 0);
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

Suite *mp_test_suite(void) {
  Suite *s = suite_create("os");
  TCase *tc = mp_tcase("clock_futex", 20);
  tcase_add_test(tc, deadlines);
  tcase_add_test(tc, futex_wait_times_out);
  tcase_add_test(tc, futex_wakes_other_process);
  tcase_add_test(tc, owner_id_names_the_thread);
  suite_add_tcase(s, tc);
  return s;
}
