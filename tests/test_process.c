/* SPDX-License-Identifier: MIT */
/* test_process.c -- the Process API: life cycle, exit codes, signals, timeouts, misuse,
 * names, sentinels, active_children, fork hygiene and the at-exit policy. */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <wchar.h>

#include "harness.h"

static int return_arg(void *arg) { return (int)(intptr_t)arg; }
static int call_exit(void *arg) { exit((int)(intptr_t)arg); }
static int sleep_ms(void *arg) {
  mp_test_sleep_ms((int64_t)(intptr_t)arg);
  return 0;
}
static int kill_self(void *arg) {
  raise((int)(intptr_t)arg);
  return 0;
}

/* Starts target(arg), joins it and returns its exit code. */
static int run_child(mp_target_fn target, intptr_t arg) {
  mp_process *p;
  mp_assert_ok(mp_process_new(&p, target, (void *)arg, NULL));
  mp_assert_ok(mp_process_start(p));
  ck_assert_int_gt(mp_process_pid(p), 0);
  mp_assert_ok(mp_process_join(p, 10000));
  ck_assert(!mp_process_is_alive(p));
  int code = 12345;
  mp_assert_ok(mp_process_exitcode(p, &code));
  mp_process_free(p);
  return code;
}

START_TEST(exit_codes) {
  ck_assert_int_eq(run_child(return_arg, 0), 0);
  ck_assert_int_eq(run_child(return_arg, 7), 7);
  ck_assert_int_eq(run_child(call_exit, 3), 3);
  ck_assert_int_eq(run_child(kill_self, SIGKILL), -SIGKILL);
  ck_assert_int_eq(run_child(kill_self, SIGABRT), -SIGABRT); /* not SEGV: ASan catches it */
}
END_TEST

START_TEST(terminate_and_kill) {
  mp_process *a, *b;
  mp_assert_ok(mp_process_new(&a, sleep_ms, (void *)30000, NULL));
  mp_assert_ok(mp_process_new(&b, sleep_ms, (void *)30000, NULL));
  mp_assert_ok(mp_process_start(a));
  mp_assert_ok(mp_process_start(b));
  ck_assert(mp_process_is_alive(a));
  int code;
  mp_assert_rc(mp_process_exitcode(a, &code), MP_ENOTREADY);
  mp_assert_ok(mp_process_terminate(a));
  mp_assert_ok(mp_process_kill(b));
  mp_assert_ok(mp_process_join(a, 10000));
  mp_assert_ok(mp_process_join(b, 10000));
  mp_assert_ok(mp_process_exitcode(a, &code));
  ck_assert_int_eq(code, -SIGTERM);
  mp_assert_ok(mp_process_exitcode(b, &code));
  ck_assert_int_eq(code, -SIGKILL);
  /* Signalling a child that has ended is a harmless no-op, as in Python. */
  mp_assert_ok(mp_process_terminate(a));
  mp_assert_ok(mp_process_kill(b));
  mp_process_free(a);
  mp_process_free(b);
}
END_TEST

START_TEST(join_timeout) {
  mp_process *p;
  mp_assert_ok(mp_process_new(&p, sleep_ms, (void *)30000, NULL));
  mp_assert_ok(mp_process_start(p));
  mp_assert_rc(mp_process_join(p, 0), MP_ETIMEDOUT);
  int64_t t0 = mp_test_now_ms();
  mp_assert_rc(mp_process_join(p, 200), MP_ETIMEDOUT);
  int64_t waited = mp_test_now_ms() - t0;
  ck_assert_int_ge(waited, 190);
  ck_assert_int_lt(waited, 5000);
  ck_assert(mp_process_is_alive(p));
  mp_assert_ok(mp_process_terminate(p));
  mp_assert_ok(mp_process_join(p, MP_FOREVER));
  mp_process_free(p);
}
END_TEST

START_TEST(misuse_is_an_error) {
  mp_process *p;
  mp_assert_rc(mp_process_new(NULL, return_arg, NULL, NULL), -EINVAL);
  mp_assert_rc(mp_process_new(&p, NULL, NULL, NULL), -EINVAL);
  ck_assert_ptr_null(p);
  char longname[MP_PROCESS_NAME_MAX + 1];
  memset(longname, 'x', sizeof longname - 1);
  longname[sizeof longname - 1] = 0;
  mp_assert_rc(mp_process_new(&p, return_arg, NULL, &(mp_process_opts){.name = longname}), -EINVAL);
  mp_assert_rc(mp_process_new(&p, return_arg, NULL, &(mp_process_opts){.name = ""}), -EINVAL);

  mp_assert_ok(mp_process_new(&p, sleep_ms, (void *)30000, NULL));
  int code;
  mp_assert_rc(mp_process_join(p, 0), MP_ESTATE); /* join before start */
  mp_assert_rc(mp_process_exitcode(p, &code), MP_ENOTREADY);
  mp_assert_rc(mp_process_terminate(p), MP_ESTATE);
  mp_assert_rc(mp_process_sentinel(p), MP_ESTATE);
  ck_assert(!mp_process_is_alive(p));
  ck_assert_int_eq(mp_process_pid(p), 0);
  mp_assert_ok(mp_process_start(p));
  mp_assert_rc(mp_process_start(p), MP_ESTATE); /* start twice */
  mp_assert_rc(mp_process_set_daemon(p, true), MP_ESTATE); /* daemon after start */
  mp_assert_rc(mp_process_close(p), MP_ESTATE); /* close while running */
  mp_assert_rc(mp_process_join(mp_current_process(), 0), MP_ESTATE); /* join self */
  mp_assert_rc(mp_process_start(mp_current_process()), MP_ESTATE);
  mp_assert_rc(mp_process_run(mp_current_process()), MP_ESTATE);
  mp_assert_ok(mp_process_kill(p));
  mp_assert_ok(mp_process_join(p, MP_FOREVER));
  mp_assert_ok(mp_process_close(p));
  mp_assert_ok(mp_process_close(p)); /* idempotent */
  mp_assert_rc(mp_process_join(p, 0), MP_ECLOSED);
  mp_assert_rc(mp_process_start(p), MP_ECLOSED);
  mp_assert_rc(mp_process_exitcode(p, &code), MP_ECLOSED);
  mp_assert_rc(mp_process_sentinel(p), MP_ECLOSED);
  mp_process_free(p);
  mp_process_free(NULL);
  mp_assert_rc(mp_process_join(NULL, 0), -EINVAL);
  mp_assert_rc(mp_process_start(NULL), -EINVAL);
}
END_TEST

START_TEST(run_in_caller) {
  mp_process *p;
  mp_assert_ok(mp_process_new(&p, return_arg, (void *)9, NULL));
  ck_assert_int_eq(mp_process_run(p), 9);
  mp_process_free(p);
}
END_TEST

START_TEST(sentinel_polls) {
  mp_process *p;
  mp_assert_ok(mp_process_new(&p, sleep_ms, (void *)300, NULL));
  mp_assert_ok(mp_process_start(p));
  int fd = mp_process_sentinel(p);
  ck_assert_int_ge(fd, 0);
  struct pollfd pfd = {.fd = fd, .events = POLLIN};
  ck_assert_int_eq(poll(&pfd, 1, 0), 0);
  ck_assert_int_eq(poll(&pfd, 1, 10000), 1);
  ck_assert(pfd.revents & POLLIN);
  ck_assert(!mp_process_is_alive(p));
  mp_process_free(p);
}
END_TEST

/* ---- names: Process-N, Process-N:M, parent_process ---- */
static int report_names(void *arg) {
  int wfd = (int)(intptr_t)arg;
  mp_process *me = mp_current_process(), *par = mp_parent_process();
  mp_process *grandchild;
  if (mp_process_new(&grandchild, return_arg, NULL, NULL) != 0) return 1;
  dprintf(wfd, "%s|%s|%d|%d|%s|%d\n", mp_process_name(me), mp_process_name(grandchild),
          (int)mp_process_pid(me), (int)mp_process_pid(par), mp_process_name(par),
          (int)mp_process_is_alive(par));
  mp_process_free(grandchild);
  return 0;
}

START_TEST(names_follow_python) {
  ck_assert_str_eq(mp_process_name(mp_current_process()), "MainProcess");
  ck_assert_ptr_null(mp_parent_process());
  ck_assert(mp_process_is_alive(mp_current_process()));
  ck_assert_int_eq(mp_process_pid(mp_current_process()), getpid());
  int fds[2];
  ck_assert_int_eq(pipe(fds), 0);
  mp_process *a, *b;
  mp_assert_ok(mp_process_new(&a, report_names, (void *)(intptr_t)fds[1], NULL));
  mp_assert_ok(mp_process_new(&b, return_arg, NULL, &(mp_process_opts){.name = "worker"}));
  const char *first = mp_process_name(a);
  ck_assert(strncmp(first, "Process-", 8) == 0);
  int n = atoi(first + 8);
  char expect_b[32];
  snprintf(expect_b, sizeof expect_b, "Process-%d", n + 1);
  ck_assert_str_eq(mp_process_name(b), "worker");
  mp_assert_ok(mp_process_set_name(b, expect_b));
  ck_assert_str_eq(mp_process_name(b), expect_b);
  mp_assert_ok(mp_process_start(a));
  mp_assert_ok(mp_process_join(a, 10000));
  close(fds[1]);
  char buf[256] = {0};
  ck_assert_int_gt(read(fds[0], buf, sizeof buf - 1), 0);
  close(fds[0]);
  char expect[256];
  snprintf(expect, sizeof expect, "Process-%d|Process-%d:1|%d|%d|MainProcess|1\n", n, n,
           (int)mp_process_pid(a), (int)getpid());
  ck_assert_str_eq(buf, expect);
  mp_process_free(a);
  mp_process_free(b);
}
END_TEST

/* ---- active_children, and handles freed while running ---- */
START_TEST(active_children_reaps) {
  mp_process *p[3];
  for (int i = 0; i < 3; i++) {
    mp_assert_ok(mp_process_new(&p[i], sleep_ms, (void *)(intptr_t)(i == 0 ? 30000 : 200), NULL));
    mp_assert_ok(mp_process_start(p[i]));
  }
  mp_process *live[4];
  ck_assert_int_eq(mp_active_children(live, 4), 3);
  ck_assert_int_eq(mp_active_children(NULL, 0), 3);
  /* A freed running child stays tracked until it ends. */
  mp_process_free(p[2]);
  int64_t t0 = mp_test_now_ms();
  while (mp_active_children(live, 4) > 1 && mp_test_now_ms() - t0 < 10000) mp_test_sleep_ms(10);
  ck_assert_int_eq(mp_active_children(live, 4), 1);
  ck_assert_ptr_eq(live[0], p[0]);
  mp_assert_ok(mp_process_kill(p[0]));
  mp_assert_ok(mp_process_join(p[0], 10000));
  ck_assert_int_eq(mp_active_children(live, 4), 0);
  mp_process_free(p[0]);
  mp_process_free(p[1]);
}
END_TEST

/* ---- a child may not join or signal its siblings ---- */
static mp_process *sibling;
static int use_sibling(void *arg) {
  (void)arg;
  int code;
  if (mp_process_join(sibling, 0) != MP_ENOTCHILD) return 1;
  if (mp_process_kill(sibling) != MP_ENOTCHILD) return 2;
  if (mp_process_exitcode(sibling, &code) != MP_ENOTCHILD) return 3;
  if (mp_process_is_alive(sibling)) return 4;
  if (mp_active_children(NULL, 0) != 0) return 5;
  mp_process_free(sibling); /* frees only this process's copy */
  return 0;
}

START_TEST(not_a_child) {
  mp_assert_ok(mp_process_new(&sibling, sleep_ms, (void *)30000, NULL));
  mp_assert_ok(mp_process_start(sibling));
  ck_assert_int_eq(run_child(use_sibling, 0), 0);
  ck_assert(mp_process_is_alive(sibling));
  mp_assert_ok(mp_process_kill(sibling));
  mp_assert_ok(mp_process_join(sibling, 10000));
  mp_process_free(sibling);
}
END_TEST

/* ---- daemons may not have children ---- */
static int daemon_tries_child(void *arg) {
  (void)arg;
  mp_process *p;
  if (!mp_process_daemon(mp_current_process())) return 1;
  if (mp_process_new(&p, return_arg, NULL, NULL) != 0) return 2;
  int r = mp_process_start(p);
  mp_process_free(p);
  return r == MP_ESTATE ? 0 : 3;
}

START_TEST(daemon_cannot_fork) {
  mp_process *p;
  mp_assert_ok(mp_process_new(&p, daemon_tries_child, NULL, &(mp_process_opts){.daemon = true}));
  ck_assert(mp_process_daemon(p));
  mp_assert_ok(mp_process_start(p));
  mp_assert_ok(mp_process_join(p, 10000));
  int code;
  mp_assert_ok(mp_process_exitcode(p, &code));
  ck_assert_int_eq(code, 0);
  mp_process_free(p);
}
END_TEST

/* ---- fork hygiene: buffered output is printed once ---- */
static int print_child(void *arg) {
  (void)arg;
  printf("child;");
  return 0;
}

START_TEST(stdio_flushed_once) {
  int fds[2];
  ck_assert_int_eq(pipe(fds), 0);
  pid_t prog = fork();
  if (prog == 0) { /* a whole "program" whose stdout is a fully buffered pipe */
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    close(fds[1]);
    static char buf[4096];
    setvbuf(stdout, buf, _IOFBF, sizeof buf);
    printf("before;");
    mp_process *p;
    if (mp_process_new(&p, print_child, NULL, NULL) || mp_process_start(p) ||
        mp_process_join(p, 10000))
      _exit(9);
    mp_process_free(p);
    printf("after;");
    exit(0);
  }
  close(fds[1]);
  char out[256] = {0};
  size_t len = 0;
  ssize_t r;
  while ((r = read(fds[0], out + len, sizeof out - 1 - len)) > 0) len += (size_t)r;
  close(fds[0]);
  int st;
  ck_assert_int_eq(waitpid(prog, &st, 0), prog);
  ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  ck_assert_str_eq(out, "before;child;after;");
}
END_TEST

/* A child's output left in stdio buffers when its target returns is written exactly once,
 * whether it sits in stdout or in a stream the target opened and never flushed or closed (the
 * child skips its flush only when no stream holds anything). */
static int leave_narrow(void *arg) {
  FILE *narrow = fdopen(dup((int)(intptr_t)arg), "w");
  if (narrow == NULL) return 1;
  setvbuf(narrow, NULL, _IOFBF, 4096);
  fputs("narrow;", narrow); /* no fflush, no fclose */
  return 0;
}
static int leave_unflushed(void *arg) {
  FILE *wide = fdopen(dup((int)(intptr_t)arg), "w");
  if (wide == NULL) return 1;
  fwprintf(wide, L"wide;"); /* a wide-oriented stream */
  return leave_narrow(arg);
}
static void *nap(void *arg) {
  (void)arg;
  mp_test_sleep_ms(10000);
  return NULL;
}
static int leave_unflushed_threaded(void *arg) {
  /* With a second thread still alive when the child leaves (its exit ends that thread), the
   * streams are flushed under glibc's lock. */
  pthread_t t;
  if (pthread_create(&t, NULL, nap, NULL) != 0) return 1;
  pthread_detach(t);
  return leave_unflushed(arg);
}
static int print_nothing(void *arg) {
  (void)arg;
  return 0;
}

/* Runs target(wfd) in a child and returns what it wrote to the pipe, sorted into one string. */
static void child_output(mp_target_fn target, char *out, size_t cap) {
  int fds[2];
  ck_assert_int_eq(pipe(fds), 0);
  mp_process *p = mp_test_start(target, (void *)(intptr_t)fds[1]);
  ck_assert_int_eq(mp_test_finish(p), 0);
  close(fds[1]);
  size_t len = 0;
  ssize_t r;
  while ((r = read(fds[0], out + len, cap - 1 - len)) > 0) len += (size_t)r;
  out[len] = 0;
  close(fds[0]);
}

START_TEST(child_buffers_flushed_once) {
  char out[256];
  child_output(leave_narrow, out, sizeof out);
  ck_assert_str_eq(out, "narrow;");
  child_output(leave_unflushed, out, sizeof out);
  ck_assert(strstr(out, "narrow;") != NULL && strstr(out, "wide;") != NULL);
  ck_assert_uint_eq(strlen(out), strlen("narrow;wide;"));
  child_output(leave_unflushed_threaded, out, sizeof out);
  ck_assert(strstr(out, "narrow;") != NULL && strstr(out, "wide;") != NULL);
  ck_assert_uint_eq(strlen(out), strlen("narrow;wide;"));
  child_output(print_nothing, out, sizeof out);
  ck_assert_str_eq(out, "");
}
END_TEST

/* ---- at exit: daemons are terminated, other children are waited for ---- */
static int daemon_body(void *arg) {
  mp_test_sleep_ms(20000);
  dprintf((int)(intptr_t)arg, "daemon-survived;");
  return 0;
}
static int worker_body(void *arg) {
  mp_test_sleep_ms(300);
  dprintf((int)(intptr_t)arg, "worker-done;");
  return 0;
}

START_TEST(exit_policy) {
  int fds[2];
  ck_assert_int_eq(pipe(fds), 0);
  int64_t t0 = mp_test_now_ms();
  pid_t prog = fork();
  if (prog == 0) {
    close(fds[0]);
    mp_process *d, *w;
    void *out = (void *)(intptr_t)fds[1];
    if (mp_process_new(&d, daemon_body, out, &(mp_process_opts){.daemon = true}) ||
        mp_process_new(&w, worker_body, out, NULL) || mp_process_start(d) || mp_process_start(w))
      _exit(9);
    exit(0); /* neither joined: the exit handler must deal with both */
  }
  close(fds[1]);
  char out[256] = {0};
  size_t len = 0;
  ssize_t r;
  while ((r = read(fds[0], out + len, sizeof out - 1 - len)) > 0) len += (size_t)r;
  close(fds[0]);
  int st;
  ck_assert_int_eq(waitpid(prog, &st, 0), prog);
  int64_t took = mp_test_now_ms() - t0;
  ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  ck_assert_str_eq(out, "worker-done;");
  ck_assert_int_ge(took, 290); /* it waited for the non-daemon */
  ck_assert_int_lt(took, 15000); /* and did not wait for the daemon */
}
END_TEST

/* ---- a parent killed by SIGKILL does not leave its daemons running ---- */
START_TEST(daemon_dies_with_killed_parent) {
  /* Become a subreaper so the orphaned daemon is re-parented to us and we can reap it. */
  ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  int fds[2];
  ck_assert_int_eq(pipe(fds), 0);
  pid_t prog = fork();
  if (prog == 0) {
    close(fds[0]);
    mp_process *d, *nd;
    if (mp_process_new(&d, sleep_ms, (void *)30000, &(mp_process_opts){.daemon = true}) ||
        mp_process_new(&nd, sleep_ms, (void *)300, NULL) || mp_process_start(d) ||
        mp_process_start(nd))
      _exit(9);
    pid_t pids[2] = {mp_process_pid(d), mp_process_pid(nd)};
    if (write(fds[1], pids, sizeof pids) != sizeof pids) _exit(8);
    pause();
    _exit(7);
  }
  close(fds[1]);
  pid_t pids[2];
  ck_assert_int_eq(read(fds[0], pids, sizeof pids), (ssize_t)sizeof pids);
  close(fds[0]);
  kill(prog, SIGKILL);
  int st;
  ck_assert_int_eq(waitpid(prog, &st, 0), prog);
  /* The daemon gets SIGKILL from the kernel; the non-daemon finishes its work normally. */
  ck_assert_int_eq(waitpid(pids[0], &st, 0), pids[0]);
  ck_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
  ck_assert_int_eq(waitpid(pids[1], &st, 0), pids[1]);
  ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}
END_TEST

/* ---- a SIGCHLD handler of the host program is left alone and does not disturb us ---- */
static volatile sig_atomic_t sigchld_seen;
static void on_sigchld(int sig) {
  (void)sig;
  sigchld_seen++;
}

START_TEST(host_sigchld_handler_untouched) {
  struct sigaction sa = {.sa_handler = on_sigchld};
  sigemptyset(&sa.sa_mask);
  ck_assert_int_eq(sigaction(SIGCHLD, &sa, NULL), 0);
  ck_assert_int_eq(run_child(return_arg, 5), 5);
  struct sigaction now;
  sigaction(SIGCHLD, NULL, &now);
  ck_assert(now.sa_handler == on_sigchld);
  ck_assert_int_ge(sigchld_seen, 1);
}
END_TEST

/* ---- several threads starting and joining children at once ---- */
static void *thread_spawner(void *arg) {
  (void)arg;
  for (int i = 0; i < 20; i++) {
    mp_process *p;
    if (mp_process_new(&p, return_arg, (void *)(intptr_t)(i % 7), NULL) || mp_process_start(p))
      return (void *)1;
    int code = -1;
    if (mp_process_join(p, 10000) || mp_process_exitcode(p, &code) || code != i % 7)
      return (void *)2;
    mp_process_free(p);
  }
  return NULL;
}

START_TEST(threads_start_children) {
  pthread_t t[3];
  for (int i = 0; i < 3; i++)
    ck_assert_int_eq(pthread_create(&t[i], NULL, thread_spawner, NULL), 0);
  for (int i = 0; i < 3; i++) {
    void *res;
    pthread_join(t[i], &res);
    ck_assert_ptr_null(res);
  }
}
END_TEST

/* ---- a manager thread starting children while another thread uses the process API ---- */
#define NAMED_PER_THREAD 25
typedef struct {
  char names[NAMED_PER_THREAD][MP_PROCESS_NAME_MAX];
  mp_process *slot; /* the handle being started, read by the child from its copy */
} named_run;
static _Atomic int spawners_left;

/* In the child: its own name and identity must be those of the handle it was started from. */
static int check_own_name(void *arg) {
  mp_process *const *slot = arg;
  const char *mine = mp_process_name(mp_current_process());
  if (strcmp(mine, mp_process_name(*slot)) != 0) return 1;
  if (mp_parent_process() == NULL) return 2;
  if (strcmp(mp_process_name(mp_parent_process()), "MainProcess") != 0) return 3;
  return 0;
}

static void *named_spawner(void *arg) {
  named_run *run = arg;
  void *fail = NULL;
  for (int i = 0; i < NAMED_PER_THREAD && fail == NULL; i++) {
    mp_process *p;
    if (mp_process_new(&p, check_own_name, &run->slot, NULL) != 0) {
      fail = (void *)1;
      break;
    }
    run->slot = p;
    snprintf(run->names[i], MP_PROCESS_NAME_MAX, "%s", mp_process_name(p));
    int code = -1;
    if (mp_process_start(p) || mp_process_join(p, 10000) || mp_process_exitcode(p, &code) ||
        code != 0)
      fail = (void *)2;
    mp_process_free(p);
  }
  atomic_fetch_sub(&spawners_left, 1);
  return fail;
}

/* Lists the active children until the spawners are done, as a user thread would. */
static void *lister(void *arg) {
  (void)arg;
  mp_process *live[8];
  while (atomic_load(&spawners_left) > 0)
    if (mp_active_children(live, 8) > 2) return (void *)1; /* at most one per spawner */
  return NULL;
}

static int cmp_int(const void *a, const void *b) {
  return (*(const int *)a > *(const int *)b) - (*(const int *)a < *(const int *)b);
}

START_TEST(threads_number_children_distinctly) {
  static named_run runs[2];
  memset(runs, 0, sizeof runs);
  atomic_store(&spawners_left, 2);
  pthread_t t[3];
  ck_assert_int_eq(pthread_create(&t[0], NULL, named_spawner, &runs[0]), 0);
  ck_assert_int_eq(pthread_create(&t[1], NULL, named_spawner, &runs[1]), 0);
  ck_assert_int_eq(pthread_create(&t[2], NULL, lister, NULL), 0);
  for (int i = 0; i < 3; i++) {
    void *res;
    pthread_join(t[i], &res);
    ck_assert_ptr_null(res);
  }
  /* Every name is Process-N, and the N are 2 * NAMED_PER_THREAD consecutive numbers. */
  int nums[2 * NAMED_PER_THREAD];
  for (int r = 0; r < 2; r++)
    for (int i = 0; i < NAMED_PER_THREAD; i++) {
      const char *name = runs[r].names[i];
      ck_assert_msg(strncmp(name, "Process-", 8) == 0, "bad name %s", name);
      nums[r * NAMED_PER_THREAD + i] = atoi(name + 8);
    }
  qsort(nums, 2 * NAMED_PER_THREAD, sizeof nums[0], cmp_int);
  for (int i = 1; i < 2 * NAMED_PER_THREAD; i++) ck_assert_int_eq(nums[i], nums[i - 1] + 1);
  ck_assert_int_eq(mp_active_children(NULL, 0), 0);
}
END_TEST

/* ---- cpu counts ---- */
START_TEST(cpu_counts) {
  int all = mp_cpu_count(), usable = mp_usable_cpu_count();
  ck_assert_int_ge(all, 1);
  ck_assert_int_ge(usable, 1);
  ck_assert_int_le(usable, all);
  ck_assert_int_eq(all, (int)sysconf(_SC_NPROCESSORS_ONLN));
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(sched_getcpu(), &one);
  ck_assert_int_eq(sched_setaffinity(0, sizeof one, &one), 0);
  ck_assert_int_eq(mp_usable_cpu_count(), 1);
  ck_assert_int_eq(mp_cpu_count(), all);
}
END_TEST

Suite *mp_test_suite(void) {
  Suite *s = suite_create("process");
  TCase *tc = mp_tcase("lifecycle", 30);
  tcase_add_test(tc, exit_codes);
  tcase_add_test(tc, terminate_and_kill);
  tcase_add_test(tc, join_timeout);
  tcase_add_test(tc, misuse_is_an_error);
  tcase_add_test(tc, run_in_caller);
  tcase_add_test(tc, sentinel_polls);
  tcase_add_test(tc, names_follow_python);
  tcase_add_test(tc, active_children_reaps);
  tcase_add_test(tc, not_a_child);
  tcase_add_test(tc, daemon_cannot_fork);
  tcase_add_test(tc, stdio_flushed_once);
  tcase_add_test(tc, child_buffers_flushed_once);
  tcase_add_test(tc, exit_policy);
  tcase_add_test(tc, daemon_dies_with_killed_parent);
  tcase_add_test(tc, host_sigchld_handler_untouched);
  tcase_add_test(tc, threads_start_children);
  tcase_add_test(tc, threads_number_children_distinctly);
  tcase_add_test(tc, cpu_counts);
  suite_add_tcase(s, tc);
  return s;
}
