/* test_os.c -- the OS layer: deadlines and futex waits honour their timeouts. */
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
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

Suite *mp_test_suite(void) {
  Suite *s = suite_create("os");
  TCase *tc = mp_tcase("clock_futex", 20);
  tcase_add_test(tc, deadlines);
  tcase_add_test(tc, futex_wait_times_out);
  tcase_add_test(tc, futex_wakes_other_process);
  suite_add_tcase(s, tc);
  return s;
}
