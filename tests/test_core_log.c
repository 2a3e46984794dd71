/* SPDX-License-Identifier: MIT */
/* test_core_log.c -- the logging helper: off by default, Python's format, the process name. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

typedef struct {
  int calls, level;
  char proc[64], msg[128];
} capture;

static void capture_handler(int level, const char *proc, const char *msg, void *user) {
  capture *c = user;
  c->calls++;
  c->level = level;
  snprintf(c->proc, sizeof c->proc, "%s", proc);
  snprintf(c->msg, sizeof c->msg, "%s", msg);
}

START_TEST(off_by_default_then_filtered) {
  ck_assert_int_eq(mp_log_level(), MP_LOG_OFF);
  capture c = {0};
  mp_log_set_handler(MP_LOG_INFO, capture_handler, &c);
  mp_log(MP_LOG_DEBUG, "hidden %d", 1);
  ck_assert_int_eq(c.calls, 0);
  mp_log(MP_LOG_WARNING, "seen %d", 2);
  ck_assert_int_eq(c.calls, 1);
  ck_assert_int_eq(c.level, MP_LOG_WARNING);
  ck_assert_str_eq(c.proc, "MainProcess");
  ck_assert_str_eq(c.msg, "seen 2");
  ck_assert_str_eq(mp_log_level_name(MP_LOG_INFO), "INFO");
  ck_assert_ptr_null(mp_log_level_name(17));
  mp_log_to_stderr(MP_LOG_OFF);
  mp_log(MP_LOG_ERROR, "after off");
  ck_assert_int_eq(c.calls, 1);
}
END_TEST

static int log_in_child(void *arg) {
  (void)arg;
  mp_log(MP_LOG_INFO, "hello from %s", "child");
  return 0;
}

/* With logging to stderr on, the library's own records and the user's carry the name of the
 * process that wrote them, in Python's "[LEVEL/name] message" form. */
START_TEST(stderr_format_and_names) {
  int fds[2];
  ck_assert_int_eq(pipe(fds), 0);
  int saved = dup(STDERR_FILENO);
  dup2(fds[1], STDERR_FILENO);
  close(fds[1]);
  mp_log_to_stderr(MP_LOG_INFO);
  mp_log(MP_LOG_INFO, "main says %d", 42);
  mp_process *p;
  mp_assert_ok(mp_process_new(&p, log_in_child, NULL, &(mp_process_opts){.name = "logger"}));
  mp_assert_ok(mp_process_start(p));
  mp_assert_ok(mp_process_join(p, 10000));
  mp_process_free(p);
  mp_log_to_stderr(MP_LOG_OFF);
  dup2(saved, STDERR_FILENO);
  close(saved);
  char out[4096] = {0};
  ssize_t n = read(fds[0], out, sizeof out - 1);
  close(fds[0]);
  ck_assert_int_gt(n, 0);
  ck_assert_msg(strstr(out, "[INFO/MainProcess] main says 42\n") != NULL, "got: %s", out);
  ck_assert_msg(strstr(out, "[INFO/logger] child process calling self.run()\n") != NULL, "got: %s",
                out);
  ck_assert_msg(strstr(out, "[INFO/logger] hello from child\n") != NULL, "got: %s", out);
  ck_assert_msg(strstr(out, "[INFO/logger] process exiting with exitcode 0\n") != NULL, "got: %s",
                out);
}
END_TEST

Suite *mp_test_suite(void) {
  Suite *s = suite_create("log");
  TCase *tc = mp_tcase("log", 10);
  tcase_add_test(tc, off_by_default_then_filtered);
  tcase_add_test(tc, stderr_format_and_names);
  suite_add_tcase(s, tc);
  return s;
}
