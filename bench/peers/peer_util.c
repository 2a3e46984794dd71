/* SPDX-License-Identifier: MIT */
/* peer_util.c -- the shared part of the peer programs; see peer_util.h. */
#include "peer_util.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_util.h"

static pid_t main_pid; /* the measuring process: the only one that cleans up */
static pid_t batch_pid; /* its live batch process, killed if the main process ends first */
static void (*user_exit)(void);
static char dir[128]; /* the endpoints' directory; "" when there is none */
static char endpoint[256];

static volatile sig_atomic_t stop_signal; /* in the main process: SIGINT, SIGTERM or SIGHUP */
static volatile pid_t child_pid; /* in a batch process: its child */
static int start_w = -1, start_r = -1; /* the start signal: parent's and child's ends */

/* Removes the directory's entries (the endpoints a library left behind) and itself. */
static void remove_dir(void) {
  DIR *d = opendir(dir);
  if (d != NULL) {
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
      if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
        unlinkat(dirfd(d), e->d_name, 0);
    closedir(d);
  }
  if (rmdir(dir) != 0) fprintf(stderr, "bench: cannot remove %s: %s\n", dir, strerror(errno));
  dir[0] = '\0';
}

/* atexit: runs in every process that exit()s (bench_die() does), so it checks that it is the
 * main one.  The batch process's child dies with it (PR_SET_PDEATHSIG). */
static void cleanup(void) {
  if (getpid() != main_pid) return;
  if (batch_pid > 0) {
    kill(batch_pid, SIGKILL);
    waitpid(batch_pid, NULL, 0);
    batch_pid = 0;
  }
  if (user_exit != NULL) user_exit();
  if (dir[0] != '\0') remove_dir();
}

/* In a fresh child: dies with its parent (so nothing outlives a failed or killed bench). */
static void die_with_parent(pid_t parent) {
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) _exit(1);
}

/* In the main process, without SA_RESTART: the wait for a batch returns EINTR and the
 * program ends through exit(), so that the clean-up runs (a Ctrl-C must not leave queues in
 * /dev/shm); the batch process and its child, which get the signal too or die with their
 * parent, are killed by the default action. */
static void on_stop(int sig) { stop_signal = sig; }

static void catch_stop_signals(void (*handler)(int)) {
  static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = handler;
  sigemptyset(&sa.sa_mask);
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
    if (sigaction(sigs[i], &sa, NULL) != 0) bench_die("sigaction: %s", strerror(errno));
}

/* Runs one batch in a fresh process (see peer_util.h) and returns its value. */
static double run_batch(const char *peer, peer_batch_fn fn, long iters) {
  int p[2];
  if (pipe(p) != 0) bench_die("pipe: %s", strerror(errno));
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid < 0) bench_die("fork: %s", strerror(errno));
  if (pid == 0) {
    close(p[0]);
    catch_stop_signals(SIG_DFL);
    die_with_parent(main_pid);
    double v = fn(iters);
    _exit(write(p[1], &v, sizeof v) == (ssize_t)sizeof v ? 0 : 1);
  }
  batch_pid = pid;
  close(p[1]);
  double v = 0;
  ssize_t r;
  do r = read(p[0], &v, sizeof v);
  while (r < 0 && errno == EINTR && !stop_signal);
  if (stop_signal) bench_die("%s: stopped by signal %d", peer, (int)stop_signal);
  close(p[0]);
  int st = 0;
  if (waitpid(pid, &st, 0) != pid) bench_die("waitpid: %s", strerror(errno));
  batch_pid = 0;
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || r != (ssize_t)sizeof v)
    bench_die("%s: a batch process failed (wait status %#x)", peer, (unsigned)st);
  return v;
}

static void make_dir(void) {
  const char *tmp = getenv("TMPDIR");
  if (tmp == NULL || *tmp == '\0') tmp = "/tmp";
  /* an AF_UNIX path holds 107 bytes: keep room for the endpoint's name */
  if (snprintf(dir, sizeof dir, "%s/mp-peer-XXXXXX", tmp) >= (int)sizeof dir - 32)
    bench_die("TMPDIR too long for an ipc endpoint: %s", tmp);
  if (mkdtemp(dir) == NULL) {
    int e = errno;
    dir[0] = '\0';
    bench_die("mkdtemp in %s: %s", tmp, strerror(e));
  }
}

int peer_main(const peer_spec *spec, int argc, char **argv) {
  if (argc != 2) bench_die("usage: %s WORKLOAD", spec->peer);
  const peer_workload *w = NULL;
  for (int i = 0; i < spec->n; i++)
    if (strcmp(spec->workloads[i].name, argv[1]) == 0) w = &spec->workloads[i];
  if (w == NULL) {
    fprintf(stderr, "bench: peer %s has no workload %s\n", spec->peer, argv[1]);
    return 3;
  }
  main_pid = getpid();
  user_exit = spec->at_exit;
  if (atexit(cleanup) != 0) bench_die("atexit failed");
  catch_stop_signals(on_stop);
  if (spec->ipc_dir) make_dir();

  bench_opts o = bench_default_opts(w->name, w->base_iters);
  (void)run_batch(spec->peer, w->fn, o.warmup);
  double *v = calloc((size_t)o.batches, sizeof *v);
  if (v == NULL) bench_die("out of memory");
  uint64_t cpu = 0;
  for (int i = 0; i < o.batches; i++) {
    uint64_t c0 = bench_cpu_ns();
    v[i] = run_batch(spec->peer, w->fn, o.iters);
    uint64_t c1 = bench_cpu_ns();
    cpu += c1 > c0 ? c1 - c0 : 0;
    fprintf(stderr, "%s %s: batch %d  %.3f\n", spec->peer, w->name, i + 1, v[i]);
  }
  double lo = v[0], hi = v[0], med = bench_median(v, o.batches);
  for (int i = 1; i < o.batches; i++) {
    lo = v[i] < lo ? v[i] : lo;
    hi = v[i] > hi ? v[i] : hi;
  }
  fprintf(stderr, "%s %s: min %.3f  median %.3f  max %.3f  (%d batches x %ld iters)\n", spec->peer,
          w->name, lo, med, hi, o.batches, o.iters);
  printf("%.3f\t%.4g\n", med, (double)cpu / 1e3 / ((double)o.iters * o.batches));
  fflush(stdout);
  free(v);
  return 0;
}

const char *peer_endpoint(const char *name) {
  if (dir[0] == '\0') bench_die("peer_endpoint without an ipc directory");
  snprintf(endpoint, sizeof endpoint, "ipc://%s/%s", dir, name);
  return endpoint;
}

/* SIGCHLD in a batch process: a child that fails ends the batch (see peer_fork()). */
static void on_child(int sig) {
  (void)sig;
  int saved = errno;
  siginfo_t si;
  si.si_pid = 0;
  /* WNOWAIT: only a look; peer_reap() reaps it, so no thread races another for the status */
  if (child_pid > 0 && waitid(P_PID, (id_t)child_pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
      si.si_pid == child_pid && (si.si_code != CLD_EXITED || si.si_status != 0)) {
    static const char msg[] = "bench: the batch's child failed\n";
    (void)!write(2, msg, sizeof msg - 1);
    _exit(1);
  }
  errno = saved;
}

static void block_sigchld(sigset_t *old) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  sigprocmask(SIG_BLOCK, &set, old);
}

void peer_fork(int (*fn)(void *arg), void *arg) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_child;
  sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
  sigemptyset(&sa.sa_mask);
  if (sigaction(SIGCHLD, &sa, NULL) != 0) bench_die("sigaction: %s", strerror(errno));
  int p[2];
  if (pipe(p) != 0) bench_die("pipe: %s", strerror(errno));
  pid_t parent = getpid();
  fflush(stdout);
  fflush(stderr);
  sigset_t old;
  block_sigchld(&old); /* until child_pid is set: a child may fail at once */
  pid_t pid = fork();
  if (pid < 0) bench_die("fork: %s", strerror(errno));
  if (pid == 0) {
    close(p[1]);
    start_r = p[0];
    signal(SIGCHLD, SIG_DFL);
    sigprocmask(SIG_SETMASK, &old, NULL);
    die_with_parent(parent);
    _exit(fn(arg));
  }
  child_pid = pid;
  sigprocmask(SIG_SETMASK, &old, NULL);
  close(p[0]);
  start_w = p[1];
}

void peer_ready(void) {
  char b = 1;
  if (write(start_w, &b, 1) != 1) bench_die("start signal: %s", strerror(errno));
}

bool peer_await_ready(void) {
  char b;
  ssize_t r;
  do r = read(start_r, &b, 1);
  while (r < 0 && errno == EINTR);
  return r == 1;
}

void peer_await_end(void) {
  char b;
  for (;;) {
    ssize_t r = read(start_r, &b, 1);
    if (r == 0 || (r < 0 && errno != EINTR)) return; /* EOF: the parent is done */
  }
}

void peer_reap(const char *who) {
  close(start_w);
  start_w = -1;
  int st = 0;
  pid_t r;
  do r = waitpid(child_pid, &st, 0);
  while (r < 0 && errno == EINTR);
  if (r != child_pid) bench_die("waitpid: %s", strerror(errno));
  child_pid = 0;
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
    bench_die("%s failed (wait status %#x)", who, (unsigned)st);
}

void peer_child_die(const char *fmt, ...) {
  va_list ap;
  fputs("bench: child: ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  _exit(1);
}
