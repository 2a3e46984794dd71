/* SPDX-License-Identifier: MIT */
/* process_start_exec.h -- the body of workloads "process_start_join_forkserver" and
 * "process_start_join_spawn": the cost of one short-lived child started in another image of
 * the program, beside the same mechanism done raw.
 *
 * multiproc: mp_process_new (a registered target, start method forkserver or spawn) +
 * mp_process_start + mp_process_join + mp_process_free, the exit code checked.
 * limit, forkserver: a raw forkserver -- a helper forked once that, per request byte on a
 * socketpair, makes a child with clone(CLONE_PARENT) that exits at once and writes back its
 * pid; the bench reaps the child with waitpid().
 * limit, spawn: posix_spawn() of /proc/self/exe with an argument that makes main() exit at
 * once, then waitpid().
 * Unit: microseconds per child, lower is better.  Python twins: the same names in python/. */
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_util.h"
#include "multiproc.h"

#define FLOOR_CHILD_ARG "--bench-floor-child"

extern char **environ;

static int noop_target(void *arg) {
  (void)arg;
  return 0;
}
MP_TARGET(noop_target);

static double run_multiproc(void *ctx, long iters) {
  mp_process_opts o = {.start_method = *(const mp_start_method *)ctx};
  uint64_t t0 = bench_now_ns();
  for (long i = 0; i < iters; i++) {
    mp_process *p = NULL;
    int code = -1;
    bench_check_mp(mp_process_new(&p, noop_target, NULL, &o), "mp_process_new");
    bench_check_mp(mp_process_start(p), "mp_process_start");
    bench_check_mp(mp_process_join(p, MP_FOREVER), "mp_process_join");
    bench_check_mp(mp_process_exitcode(p, &code), "mp_process_exitcode");
    if (code != 0) bench_die("multiproc child exited with code %d, expected 0", code);
    mp_process_free(p);
  }
  return bench_us_per_op(bench_now_ns() - t0, iters);
}

static void reap(pid_t pid) {
  int status;
  pid_t r;
  do r = waitpid(pid, &status, 0);
  while (r < 0 && errno == EINTR);
  if (r != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    bench_die("raw child %d ended badly (status 0x%x)", (int)pid, (unsigned)status);
}

/* The raw forkserver: forked once, single-threaded, never touches stdio. */
static int raw_server = -1;

static void start_raw_server(void) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) bench_die("socketpair");
  pid_t pid = fork();
  if (pid < 0) bench_die("fork: %s", strerror(errno));
  if (pid == 0) {
    close(sv[0]);
    char c;
    while (read(sv[1], &c, 1) == 1) {
      pid_t child = (pid_t)syscall(SYS_clone, CLONE_PARENT | SIGCHLD, NULL, NULL, NULL, 0);
      if (child == 0) syscall(SYS_exit_group, 0);
      if (write(sv[1], &child, sizeof child) != sizeof child) break;
    }
    _exit(0);
  }
  close(sv[1]);
  raw_server = sv[0];
}

static double run_raw_forkserver(void *ctx, long iters) {
  (void)ctx;
  uint64_t t0 = bench_now_ns();
  for (long i = 0; i < iters; i++) {
    pid_t child;
    if (write(raw_server, "x", 1) != 1 || read(raw_server, &child, sizeof child) != sizeof child ||
        child <= 0)
      bench_die("raw forkserver request failed");
    reap(child);
  }
  return bench_us_per_op(bench_now_ns() - t0, iters);
}

static double run_raw_spawn(void *ctx, long iters) {
  (void)ctx;
  char *argv[] = {(char *)"bench", (char *)FLOOR_CHILD_ARG, NULL};
  uint64_t t0 = bench_now_ns();
  for (long i = 0; i < iters; i++) {
    pid_t pid;
    int e = posix_spawn(&pid, "/proc/self/exe", NULL, NULL, argv, environ);
    if (e != 0) bench_die("posix_spawn: %s", strerror(e));
    reap(pid);
  }
  return bench_us_per_op(bench_now_ns() - t0, iters);
}

static int bench_exec_main(int argc, char **argv, const char *workload, mp_start_method method,
                           long base_iters, int batches) {
  if (argc > 1 && strcmp(argv[1], FLOOR_CHILD_ARG) == 0) return 0; /* the raw spawn's child */
  if (method == MP_START_FORKSERVER) start_raw_server();
  bench_opts o = bench_default_opts(workload, base_iters);
  o.slice = 1; /* alternate child by child, as process_start_join does */
  o.batches = batches;
  double mp_us, limit_us;
  bench_compare(&o, run_multiproc, &method,
                method == MP_START_FORKSERVER ? run_raw_forkserver : run_raw_spawn, NULL, &mp_us,
                &limit_us);
  bench_report(workload, "us", false, mp_us, limit_us);
  if (raw_server >= 0) close(raw_server);
  mp_forkserver_stop();
  return 0;
}
