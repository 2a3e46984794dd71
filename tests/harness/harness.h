/* SPDX-License-Identifier: MIT */
/* harness.h -- what every test file shares: Check, the leak-checking fixture, and helpers.
 * Each test file defines mp_test_suite(); harness.c runs it with every case in its own forked
 * process under a time limit (Check's CK_FORK), and after each case verifies that it left no
 * child, no open fd and no /dev/shm entry behind. */
#ifndef MP_TEST_HARNESS_H
#define MP_TEST_HARNESS_H

#include <check.h>
#include <stdbool.h>
#include <stdint.h>

#include "multiproc.h"

/* Each test file provides its suite. */
Suite *mp_test_suite(void);

/* A test case with the leak-checking fixture and a timeout in seconds (scaled by Check's
 * CK_TIMEOUT_MULTIPLIER, which the sanitizer pass raises). */
TCase *mp_tcase(const char *name, double timeout_s);

/* Asserts that a multiproc call returned the expected code, naming both on failure. */
#define mp_assert_rc(expr, expected)                                                               \
  do {                                                                                             \
    int rc_ = (expr);                                                                              \
    int ex_ = (expected);                                                                          \
    ck_assert_msg(rc_ == ex_, "%s returned %d (%s), expected %d (%s)", #expr, rc_,                 \
                  mp_err_name(rc_), ex_, mp_err_name(ex_));                                        \
  } while (0)
#define mp_assert_ok(expr) mp_assert_rc((expr), 0)

/* An int value's number, or -999 for anything else (which no test expects). */
int64_t mp_test_int_of(const mp_obj *o);

/* Makes and starts a child running fn(arg), failing the test on any error. */
mp_process *mp_test_start(mp_target_fn fn, void *arg);

/* Joins a child (60 s at most), frees it and returns its exit code, failing the test if it
 * does not end or its code cannot be read. */
int mp_test_finish(mp_process *p);

/* Runs fn(arg) on n threads (n <= 16) and joins them; returns how many returned non-NULL (a
 * thread reports a failure by returning non-NULL). */
int mp_test_threads(void *(*fn)(void *), void *arg, int n);

/* Milliseconds on the monotonic clock, for generous timing bounds. */
int64_t mp_test_now_ms(void);

/* Sleeps ms milliseconds. */
void mp_test_sleep_ms(int64_t ms);

/* Runs a fresh image of the test program (/proc/self/exe) with exactly the environment envp
 * (NULL-terminated) and waits for it; returns its exit code, or -signal.  For checks that need
 * a process whose library state was never touched (settings read once per image); the test
 * file's constructor recognises the environment and does the work.  Fails the test if the
 * program cannot be started. */
int mp_test_run_fresh_image(char *const envp[]);

/* A raw TCP connection to a Listener (or a manager) on "127.0.0.1:port" that will say
 * nothing: for the tests of silent clients.  Fails the test if it cannot connect. */
int mp_test_silent_connect(const char *address);

/* What such a raw connection gets within ms: 1 a handshake challenge, 0 the end of the stream
 * before anything, -1 neither. */
int mp_test_first_heard(int fd, int ms);

/* Whether a process with this pid exists (zombies count as existing). */
bool mp_test_pid_exists(pid_t pid);

#endif
