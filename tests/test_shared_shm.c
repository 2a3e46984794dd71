/* SPDX-License-Identifier: MIT */
/* test_shared_shm.c -- shared_memory.SharedMemory: create/attach by name (from a forked child and
 * from an exec'd, unrelated program), unlink semantics, and cleanup after SIGKILL. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

static bool shm_exists(const char *name) {
  char path[300];
  snprintf(path, sizeof path, "/dev/shm/%s", name);
  struct stat st;
  return stat(path, &st) == 0;
}

/* Waits up to ms for a name to vanish. */
static bool gone_within(const char *name, int64_t ms) {
  int64_t end = mp_test_now_ms() + ms;
  while (shm_exists(name)) {
    if (mp_test_now_ms() > end) return false;
    mp_test_sleep_ms(5);
  }
  return true;
}

/* The exec'd helper: attaches to $MP_SHM_TEST_ATTACH, checks "ping", writes "pong", closes. */
__attribute__((constructor)) static void exec_helper(void) {
  const char *name = getenv("MP_SHM_TEST_ATTACH");
  if (name == NULL) return;
  mp_shm *s;
  int rc = mp_shm_attach(&s, name);
  if (rc < 0) _exit(10);
  if (mp_shm_size(s) != 4096 || memcmp(mp_shm_buf(s), "ping", 5) != 0) _exit(11);
  memcpy(mp_shm_buf(s), "pong", 5);
  mp_shm_free(s);
  _exit(0);
}

START_TEST(create_attach_close) {
  mp_shm *c, *a;
  mp_assert_ok(mp_shm_create(&c, NULL, 1000));
  ck_assert(strncmp(mp_shm_name(c), MP_SHM_PREFIX, strlen(MP_SHM_PREFIX)) == 0);
  ck_assert_uint_eq(mp_shm_size(c), 1000);
  ck_assert(shm_exists(mp_shm_name(c)));
  unsigned char *buf = mp_shm_buf(c);
  for (int i = 0; i < 1000; i++) ck_assert_int_eq(buf[i], 0);
  memcpy(buf, "hello", 6);

  mp_assert_ok(mp_shm_attach(&a, mp_shm_name(c)));
  ck_assert_str_eq(mp_shm_name(a), mp_shm_name(c));
  ck_assert_uint_eq(mp_shm_size(a), 1000);
  ck_assert_str_eq(mp_shm_buf(a), "hello");
  ck_assert_ptr_ne(mp_shm_buf(a), mp_shm_buf(c));
  memcpy(mp_shm_buf(a), "world", 6);
  ck_assert_str_eq((char *)buf, "world");
  mp_assert_ok(mp_shm_close(a)); /* an attacher's close never unlinks */
  mp_assert_ok(mp_shm_close(a)); /* idempotent */
  ck_assert_ptr_null(mp_shm_buf(a));
  ck_assert(shm_exists(mp_shm_name(c)));
  mp_shm_free(a);

  char name[MP_SHM_NAME_MAX + 1];
  snprintf(name, sizeof name, "%s", mp_shm_name(c));
  mp_assert_ok(mp_shm_close(c)); /* the last user: unlinked */
  ck_assert(!shm_exists(name));
  mp_assert_rc(mp_shm_attach(&a, name), -ENOENT);
  mp_shm_free(c);
  mp_shm_free(NULL);
}
END_TEST

START_TEST(names_and_errors) {
  char name[64];
  snprintf(name, sizeof name, "/mp-test-named-%d", (int)getpid());
  mp_shm *c, *d = (mp_shm *)1;
  mp_assert_ok(mp_shm_create(&c, name, 64));
  ck_assert_str_eq(mp_shm_name(c), name + 1); /* the leading '/' is dropped, as Python */
  mp_assert_rc(mp_shm_create(&d, name + 1, 64), -EEXIST);
  ck_assert_ptr_null(d);
  mp_assert_rc(mp_shm_create(&d, NULL, 0), -EINVAL);
  mp_assert_rc(mp_shm_create(&d, "", 10), -EINVAL);
  mp_assert_rc(mp_shm_create(&d, "a/b", 10), -EINVAL);
  mp_assert_rc(mp_shm_create(&d, "..", 10), -EINVAL);
  char longname[MP_SHM_NAME_MAX + 2];
  memset(longname, 'x', sizeof longname - 1);
  longname[sizeof longname - 1] = 0;
  mp_assert_rc(mp_shm_create(&d, longname, 10), -EINVAL);
  mp_assert_rc(mp_shm_create(NULL, NULL, 10), -EINVAL);
  mp_assert_rc(mp_shm_attach(&d, "mp-test-no-such-segment"), -ENOENT);
  mp_assert_rc(mp_shm_attach(&d, NULL), -EINVAL);
  mp_assert_rc(mp_shm_attach(NULL, name), -EINVAL);
  mp_assert_rc(mp_shm_close(NULL), -EINVAL);
  mp_assert_rc(mp_shm_unlink(NULL), -EINVAL);
  ck_assert_uint_eq(mp_shm_size(NULL), 0);
  ck_assert_ptr_null(mp_shm_buf(NULL));
  mp_shm_free(c);
  ck_assert(!shm_exists(name + 1));
}
END_TEST

START_TEST(explicit_unlink) {
  mp_shm *c, *a;
  mp_assert_ok(mp_shm_create(&c, NULL, 4096));
  mp_assert_ok(mp_shm_attach(&a, mp_shm_name(c)));
  mp_assert_ok(mp_shm_unlink(a)); /* Python lets anyone unlink on request */
  ck_assert(!shm_exists(mp_shm_name(c)));
  mp_assert_rc(mp_shm_unlink(c), -ENOENT);
  memcpy(mp_shm_buf(a), "still", 6); /* mappings outlive the name */
  ck_assert_str_eq(mp_shm_buf(c), "still");
  /* a new segment under the old name is not the creator's to unlink */
  mp_shm *n;
  mp_assert_ok(mp_shm_create(&n, mp_shm_name(c), 10));
  mp_assert_rc(mp_shm_unlink(c), -ENOENT);
  mp_shm_free(c);
  ck_assert(shm_exists(mp_shm_name(n)));
  mp_shm_free(a);
  mp_shm_free(n);
}
END_TEST

START_TEST(attach_from_exec) {
  mp_shm *c;
  mp_assert_ok(mp_shm_create(&c, NULL, 4096));
  memcpy(mp_shm_buf(c), "ping", 5);
  fflush(NULL);
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    setenv("MP_SHM_TEST_ATTACH", mp_shm_name(c), 1);
    execl("/proc/self/exe", "test_shared_shm", (char *)NULL);
    _exit(99);
  }
  int st;
  ck_assert_int_eq(waitpid(pid, &st, 0), pid);
  ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "helper status %d", st);
  ck_assert_str_eq(mp_shm_buf(c), "pong");
  ck_assert(shm_exists(mp_shm_name(c))); /* the attacher did not unlink it */
  char name[MP_SHM_NAME_MAX + 1];
  snprintf(name, sizeof name, "%s", mp_shm_name(c));
  mp_shm_free(c);
  ck_assert(!shm_exists(name));
}
END_TEST

/* A forked child is a user: the parent closes first, the name stays until the child closes. */
typedef struct {
  mp_shm *shm;
  volatile int *go; /* set by the parent once it has closed */
} child_args;

static int child_closes_last(void *arg) {
  child_args *a = arg;
  char *buf = mp_shm_buf(a->shm);
  memcpy(buf, "child", 6);
  int64_t end = mp_test_now_ms() + 10000;
  while (!*a->go)
    if (mp_test_now_ms() > end)
      return 1;
    else
      mp_test_sleep_ms(2);
  if (!shm_exists(mp_shm_name(a->shm))) return 2; /* still in use by us */
  if (strcmp(buf, "child") != 0) return 3;
  char name[MP_SHM_NAME_MAX + 1];
  snprintf(name, sizeof name, "%s", mp_shm_name(a->shm));
  mp_shm_free(a->shm);
  return shm_exists(name) ? 4 : 0; /* the last user unlinked it */
}

START_TEST(forked_child_is_a_user) {
  mp_value *go;
  mp_assert_ok(mp_value_new(&go, 'i', NULL, &(mp_shared_opts){.raw = true}));
  child_args a = {NULL, mp_value_ptr(go)};
  mp_assert_ok(mp_shm_create(&a.shm, NULL, 100));
  char name[MP_SHM_NAME_MAX + 1];
  snprintf(name, sizeof name, "%s", mp_shm_name(a.shm));
  mp_process *p;
  mp_assert_ok(mp_process_new(&p, child_closes_last, &a, NULL));
  mp_assert_ok(mp_process_start(p));
  while (strcmp(mp_shm_buf(a.shm), "child") != 0) mp_test_sleep_ms(2);
  mp_shm_free(a.shm);
  ck_assert(shm_exists(name)); /* the child still uses it */
  *a.go = 1;
  mp_assert_ok(mp_process_join(p, 10000));
  int code;
  mp_assert_ok(mp_process_exitcode(p, &code));
  ck_assert_int_eq(code, 0);
  ck_assert(!shm_exists(name));
  mp_process_free(p);
  mp_value_free(go);
}
END_TEST

/* A child that is the last user and returns from its target without closing still unlinks:
 * the library runs its exit hooks before the child's _exit(). */
static int child_leaves_open(void *arg) {
  child_args *a = arg;
  memcpy(mp_shm_buf(a->shm), "child", 6);
  int64_t end = mp_test_now_ms() + 10000;
  while (!*a->go)
    if (mp_test_now_ms() > end)
      return 1;
    else
      mp_test_sleep_ms(2);
  return 0; /* the handle stays open */
}

START_TEST(child_exit_closes_its_handles) {
  mp_value *go;
  mp_assert_ok(mp_value_new(&go, 'i', NULL, &(mp_shared_opts){.raw = true}));
  child_args a = {NULL, mp_value_ptr(go)};
  mp_assert_ok(mp_shm_create(&a.shm, NULL, 100));
  char name[MP_SHM_NAME_MAX + 1];
  snprintf(name, sizeof name, "%s", mp_shm_name(a.shm));
  mp_process *p;
  mp_assert_ok(mp_process_new(&p, child_leaves_open, &a, NULL));
  mp_assert_ok(mp_process_start(p));
  while (strcmp(mp_shm_buf(a.shm), "child") != 0) mp_test_sleep_ms(2);
  mp_shm_free(a.shm);
  ck_assert(shm_exists(name));
  *a.go = 1;
  mp_assert_ok(mp_process_join(p, 10000));
  int code;
  mp_assert_ok(mp_process_exitcode(p, &code));
  ck_assert_int_eq(code, 0);
  ck_assert(!shm_exists(name)); /* no sweep ran in this process meanwhile */
  mp_process_free(p);
  mp_value_free(go);
}
END_TEST

/* The creator is SIGKILLed while a child it forked still uses the segment: the name stays
 * while the child lives and goes when the child closes. */
static int grandchild(void *arg) {
  mp_shm *s = arg;
  volatile char *buf = mp_shm_buf(s);
  int64_t end = mp_test_now_ms() + 10000;
  while (buf[1] != 'q') /* the test writes "q" at [1] when it wants us to close */
    if (mp_test_now_ms() > end)
      return 1;
    else
      mp_test_sleep_ms(2);
  mp_shm_free(s);
  return 0;
}

static int creator(void *arg) {
  const char *name = arg;
  mp_shm *s;
  if (mp_shm_create(&s, name, 64) < 0) return 1;
  mp_process *g;
  if (mp_process_new(&g, grandchild, s, NULL) < 0 || mp_process_start(g) < 0) return 2;
  ((char *)mp_shm_buf(s))[0] = 'r'; /* ready */
  for (;;) pause(); /* until SIGKILL */
}

static void kill_creator(char *name) {
  mp_process *p;
  mp_assert_ok(mp_process_new(&p, creator, name, NULL));
  mp_assert_ok(mp_process_start(p));
  mp_shm *a = NULL;
  int64_t end = mp_test_now_ms() + 10000;
  while (mp_shm_attach(&a, name) != 0 || ((volatile char *)mp_shm_buf(a))[0] != 'r') {
    mp_shm_free(a);
    a = NULL;
    ck_assert(mp_test_now_ms() < end);
    mp_test_sleep_ms(2);
  }
  mp_assert_ok(mp_process_kill(p));
  mp_assert_ok(mp_process_join(p, 10000));
  int code;
  mp_assert_ok(mp_process_exitcode(p, &code));
  ck_assert_int_eq(code, -SIGKILL);
  mp_process_free(p);
  mp_test_sleep_ms(50);
  ck_assert(shm_exists(name)); /* the grandchild still uses it; a sweep must not take it */
  mp_shm_sweep();
  ck_assert(shm_exists(name));
  ((volatile char *)mp_shm_buf(a))[1] = 'q';
  ck_assert_msg(gone_within(name, 10000), "the last user's close did not unlink %s", name);
  mp_shm_free(a);
}

START_TEST(creator_sigkilled_child_closes_last) {
  char name[64];
  snprintf(name, sizeof name, "mp-test-kill-%d", (int)getpid());
  kill_creator(name);
}
END_TEST

/* Every user is SIGKILLed: nobody can run code, so the next sweep removes the name. */
static int create_and_hang(void *arg) {
  mp_shm *s;
  if (mp_shm_create(&s, arg, 64) < 0) return 1;
  ((char *)mp_shm_buf(s))[0] = 'r';
  for (;;) pause();
}

START_TEST(all_users_sigkilled_then_swept) {
  char name[64];
  snprintf(name, sizeof name, "mp-test-killall-%d", (int)getpid());
  mp_process *p;
  mp_assert_ok(mp_process_new(&p, create_and_hang, name, NULL));
  mp_assert_ok(mp_process_start(p));
  mp_shm *a = NULL;
  int64_t end = mp_test_now_ms() + 10000;
  while (mp_shm_attach(&a, name) != 0 || ((volatile char *)mp_shm_buf(a))[0] != 'r') {
    mp_shm_free(a);
    a = NULL;
    ck_assert(mp_test_now_ms() < end);
    mp_test_sleep_ms(2);
  }
  mp_assert_ok(mp_shm_sweep());
  ck_assert(shm_exists(name)); /* in use */
  mp_assert_ok(mp_process_kill(p));
  mp_assert_ok(mp_process_join(p, 10000));
  mp_process_free(p);
  ck_assert(shm_exists(name));
  ck_assert_int_ge(mp_shm_sweep(), 1); /* an attacher does not keep it */
  ck_assert(!shm_exists(name));
  ck_assert_str_eq(mp_shm_buf(a), "r"); /* the attacher's mapping is intact */
  mp_shm_free(a);
}
END_TEST

/* Many processes take and drop the same segment at once: exactly one unlink, no leak. */
static int churn(void *arg) {
  mp_shm *s = arg;
  mp_test_sleep_ms(20);
  mp_shm_free(s);
  return 0;
}

START_TEST(concurrent_last_closers) {
  for (int round = 0; round < 20; round++) {
    mp_shm *s;
    mp_assert_ok(mp_shm_create(&s, NULL, 32));
    char name[MP_SHM_NAME_MAX + 1];
    snprintf(name, sizeof name, "%s", mp_shm_name(s));
    mp_process *p[4];
    for (int i = 0; i < 4; i++) {
      mp_assert_ok(mp_process_new(&p[i], churn, s, NULL));
      mp_assert_ok(mp_process_start(p[i]));
    }
    mp_test_sleep_ms(20);
    mp_shm_free(s);
    for (int i = 0; i < 4; i++) {
      mp_assert_ok(mp_process_join(p[i], 10000));
      mp_process_free(p[i]);
    }
    ck_assert_msg(!shm_exists(name), "round %d left %s", round, name);
  }
}
END_TEST

/* ---- Python attaching to our segments ---- */

/* Runs python3 (from PATH) on a script attaching to name: it checks "ping", writes "pong" and
 * closes; with keep, it first takes the segment off its resource tracker's list (how a Python
 * <= 3.12 program must attach to a segment it does not own; 3.13+ has track=False).  Returns
 * the exit status. */
static int python_attach(const char *name, bool keep) {
  char cmd[1024];
  snprintf(cmd, sizeof cmd,
           "python3 -c 'import sys\n"
           "from multiprocessing import shared_memory, resource_tracker\n"
           "s = shared_memory.SharedMemory(\"%s\")\n"
           "%s"
           "assert bytes(s.buf[:5]) == b\"ping\\0\"\n"
           "s.buf[:5] = b\"pong\\0\"\n"
           "s.close()' 2>/dev/null",
           name, keep ? "resource_tracker.unregister(s._name, \"shared_memory\")\n" : "");
  fflush(NULL);
  int st = system(cmd);
  ck_assert(WIFEXITED(st));
  return WEXITSTATUS(st);
}

/* Python's SharedMemory(name) registers the segment with its resource tracker even when it
 * only attaches, and the tracker unlinks it when that Python program ends (with a "leaked
 * shared_memory objects" warning): a segment we created loses its name while we still use it.
 * Our mapping and handle stay valid, and our last close copes with the missing name. */
START_TEST(python_attacher_unlinks_at_exit) {
  mp_shm *c;
  mp_assert_ok(mp_shm_create(&c, NULL, 4096));
  memcpy(mp_shm_buf(c), "ping", 5);
  ck_assert_int_eq(python_attach(mp_shm_name(c), false), 0);
  ck_assert_str_eq(mp_shm_buf(c), "pong");
  ck_assert_msg(gone_within(mp_shm_name(c), 10000), "Python's tracker kept %s", mp_shm_name(c));
  mp_assert_ok(mp_shm_close(c));
  mp_shm_free(c);
}
END_TEST

/* The remedy: a Python attacher that unregisters the segment leaves it alone. */
START_TEST(python_attacher_that_unregisters_keeps_it) {
  mp_shm *c;
  mp_assert_ok(mp_shm_create(&c, NULL, 4096));
  memcpy(mp_shm_buf(c), "ping", 5);
  ck_assert_int_eq(python_attach(mp_shm_name(c), true), 0);
  ck_assert_str_eq(mp_shm_buf(c), "pong");
  mp_test_sleep_ms(300); /* the tracker's exit, had it anything to unlink */
  ck_assert(shm_exists(mp_shm_name(c)));
  char name[MP_SHM_NAME_MAX + 1];
  snprintf(name, sizeof name, "%s", mp_shm_name(c));
  mp_assert_ok(mp_shm_close(c)); /* the last user: unlinked */
  ck_assert(!shm_exists(name));
  mp_shm_free(c);
}
END_TEST

Suite *mp_test_suite(void) {
  Suite *s = suite_create("shm");
  TCase *tc = mp_tcase("shm", 60);
  tcase_add_test(tc, create_attach_close);
  tcase_add_test(tc, names_and_errors);
  tcase_add_test(tc, explicit_unlink);
  tcase_add_test(tc, attach_from_exec);
  tcase_add_test(tc, forked_child_is_a_user);
  tcase_add_test(tc, child_exit_closes_its_handles);
  tcase_add_test(tc, creator_sigkilled_child_closes_last);
  tcase_add_test(tc, all_users_sigkilled_then_swept);
  tcase_add_test(tc, concurrent_last_closers);
  tcase_add_test(tc, python_attacher_unlinks_at_exit);
  tcase_add_test(tc, python_attacher_that_unregisters_keeps_it);
  suite_add_tcase(s, tc);
  return s;
}
