/* SPDX-License-Identifier: MIT */
/* harness.c -- runs one test file's suite: every case forked, timed, and checked for leaks. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "os/os.h" /* mp__interrupt_fd */

#define MAX_FDS 256
#define MAX_SHM 256

static int fds_before[MAX_FDS];
static int nfds_before;
static char shm_before[MAX_SHM][256];
static int nshm_before;

/* The shared heap's memfd is the library's for the life of the process (exec'd children of
 * the spawn and forkserver methods map the heap through it), and so are the /dev/null that
 * forked children take as stdin and the eventfd mp_interrupt_on() makes: not leaks. */
static bool library_fd(int fd) {
  if (fd == mp__interrupt_fd()) return true;
  char path[64], target[128];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(path, target, sizeof target - 1);
  if (n <= 0) return false;
  target[n] = '\0';
  return strncmp(target, "/memfd:multiproc-heap", 21) == 0 || strcmp(target, "/dev/null") == 0;
}

static int list_fds(int *out, int cap) {
  DIR *d = opendir("/proc/self/fd");
  ck_assert_ptr_nonnull(d);
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    int fd = atoi(e->d_name);
    if (fd == dirfd(d) || library_fd(fd)) continue;
    if (n < cap) out[n++] = fd;
  }
  closedir(d);
  return n;
}

static int list_shm(char (*out)[256], int cap) {
  DIR *d = opendir("/dev/shm");
  if (d == NULL) return 0;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    if (n < cap) snprintf(out[n++], 256, "%s", e->d_name);
  }
  closedir(d);
  return n;
}

static void leak_setup(void) {
  /* Check's forked test process kills its whole process group on SIGTERM; children forked by
   * a test would inherit that handler and turn a terminate() into the test's own death. */
  signal(SIGTERM, SIG_DFL);
  nfds_before = list_fds(fds_before, MAX_FDS);
  nshm_before = list_shm(shm_before, MAX_SHM);
}

static void leak_teardown(void) {
  /* A forkserver started by the case is its child and holds a socket; Python's runs for the
   * life of the program too, but a test case must end with nothing left. */
  ck_assert_int_eq(mp_forkserver_stop(), 0);
  /* Children: any child still running or unreaped (a zombie) is a leak. */
  siginfo_t si;
  memset(&si, 0, sizeof si);
  int r = waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT);
  ck_assert_msg(r == -1 && errno == ECHILD, "test left a child process behind (pid %d)",
                (int)si.si_pid);

  int now[MAX_FDS];
  int n = list_fds(now, MAX_FDS);
  for (int i = 0; i < n; i++) {
    bool known = false;
    for (int j = 0; j < nfds_before && !known; j++) known = now[i] == fds_before[j];
    ck_assert_msg(known, "test left fd %d open", now[i]);
  }

  static char shm_now[MAX_SHM][256];
  int ns = list_shm(shm_now, MAX_SHM);
  for (int i = 0; i < ns; i++) {
    bool known = false;
    for (int j = 0; j < nshm_before && !known; j++) known = !strcmp(shm_now[i], shm_before[j]);
    ck_assert_msg(known, "test left /dev/shm/%s behind", shm_now[i]);
  }
}

TCase *mp_tcase(const char *name, double timeout_s) {
  TCase *tc = tcase_create(name);
  tcase_add_checked_fixture(tc, leak_setup, leak_teardown);
  tcase_set_timeout(tc, timeout_s);
  return tc;
}

mp_process *mp_test_start(mp_target_fn fn, void *arg) {
  mp_process *p;
  mp_assert_ok(mp_process_new(&p, fn, arg, NULL));
  mp_assert_ok(mp_process_start(p));
  return p;
}

int64_t mp_test_int_of(const mp_obj *o) {
  int64_t v = -999;
  (void)mp_obj_get_int(o, &v);
  return v;
}

int mp_test_finish(mp_process *p) {
  int code = 99;
  mp_assert_ok(mp_process_join(p, 60000));
  mp_assert_ok(mp_process_exitcode(p, &code));
  mp_process_free(p);
  return code;
}

int mp_test_threads(void *(*fn)(void *), void *arg, int n) {
  pthread_t t[16];
  ck_assert_int_le(n, 16);
  for (int i = 0; i < n; i++) ck_assert_int_eq(pthread_create(&t[i], NULL, fn, arg), 0);
  int bad = 0;
  for (int i = 0; i < n; i++) {
    void *r;
    pthread_join(t[i], &r);
    bad += r != NULL;
  }
  return bad;
}

int64_t mp_test_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void mp_test_sleep_ms(int64_t ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
  while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
  }
}

int mp_test_run_fresh_image(char *const envp[]) {
  char *argv[] = {"mp-test-fresh-image", NULL};
  pid_t pid;
  ck_assert_int_eq(posix_spawn(&pid, "/proc/self/exe", NULL, NULL, argv, envp), 0);
  int st;
  pid_t r;
  do r = waitpid(pid, &st, 0);
  while (r < 0 && errno == EINTR);
  ck_assert_int_eq(r, pid);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
}

int mp_test_silent_connect(const char *address) {
  const char *colon = strrchr(address, ':');
  ck_assert_ptr_nonnull(colon);
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_port = htons((uint16_t)atoi(colon + 1)),
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(connect(fd, (const struct sockaddr *)&a, sizeof a), 0);
  return fd;
}

int mp_test_first_heard(int fd, int ms) {
  struct pollfd p = {.fd = fd, .events = POLLIN};
  if (poll(&p, 1, ms) != 1) return -1;
  char buf[64];
  ssize_t n = recv(fd, buf, sizeof buf, 0);
  if (n <= 0) return 0;
  return n > 15 && memcmp(buf + 4, "#CHALLENGE#", 11) == 0 ? 1 : -1;
}

bool mp_test_pid_exists(pid_t pid) { return kill(pid, 0) == 0 || errno == EPERM; }

int main(void) {
  SRunner *sr = srunner_create(mp_test_suite());
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
