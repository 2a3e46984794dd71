/* SPDX-License-Identifier: MIT */
/* queue_mpmc.c -- workload "queue_mpmc": 2 producer processes and 2 consumer processes share one
 * Queue of 8-byte messages; messages per second through the queue (all of them, from the start
 * of the four processes to the end of the last), higher is better.
 *
 * multiproc: mp_queue_new(0), put_bytes / get_bytes; each consumer takes half the messages.
 * limit: the same four processes on one pipe (8-byte writes and reads are atomic, so a pipe is
 * the raw system-call MPMC queue; every message costs one write and one read).
 * Python twin: python/queue_mpmc.py. */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_util.h"
#include "multiproc.h"

#define BASE_ITERS 1000000

typedef struct {
  mp_queue *q;
  long n; /* per process */
} mp_ctx;

static int mp_producer(void *arg) {
  mp_ctx *c = arg;
  for (long i = 0; i < c->n; i++)
    if (mp_queue_put_bytes(c->q, &i, sizeof i, 10000) != 0) return 1;
  return 0;
}

static int mp_consumer(void *arg) {
  mp_ctx *c = arg;
  for (long i = 0; i < c->n; i++) {
    long v;
    size_t len;
    if (mp_queue_get_bytes(c->q, &v, sizeof v, &len, 10000) != 0) return 1;
  }
  return 0;
}

static double run_multiproc(void *ctx, long iters) {
  mp_ctx *c = ctx;
  c->n = iters / 2;
  mp_process *p[4];
  uint64_t t0 = bench_now_ns();
  for (int i = 0; i < 4; i++) p[i] = bench_start(i < 2 ? mp_producer : mp_consumer, c);
  for (int i = 0; i < 4; i++) bench_finish(p[i], "worker");
  uint64_t t1 = bench_now_ns();
  return bench_ops_per_s(t1 - t0, c->n * 2);
}

static double run_limit(void *ctx, long iters) {
  (void)ctx;
  long n = iters / 2;
  int fd[2];
  if (pipe(fd) != 0) bench_die("pipe failed");
  uint64_t t0 = bench_now_ns();
  pid_t pid[4];
  for (int i = 0; i < 4; i++) {
    pid[i] = fork();
    if (pid[i] < 0) bench_die("fork failed");
    if (pid[i] == 0) {
      for (long k = 0; k < n; k++) {
        long v = k;
        ssize_t r = i < 2 ? write(fd[1], &v, sizeof v) : read(fd[0], &v, sizeof v);
        if (r != (ssize_t)sizeof v) _exit(1);
      }
      _exit(0);
    }
  }
  for (int i = 0; i < 4; i++) {
    int st;
    waitpid(pid[i], &st, 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) bench_die("pipe worker failed");
  }
  uint64_t t1 = bench_now_ns();
  close(fd[0]);
  close(fd[1]);
  return bench_ops_per_s(t1 - t0, n * 2);
}

int main(void) {
  mp_ctx c;
  bench_check_mp(mp_queue_new(&c.q, 0), "mp_queue_new");
  bench_opts o = bench_default_opts("queue_mpmc", BASE_ITERS);
  o.higher = true;
  double mp, limit;
  bench_compare(&o, run_multiproc, &c, run_limit, NULL, &mp, &limit);
  bench_report("queue_mpmc", "msgs/s", true, mp, limit);
  mp_queue_free(c.q);
  return 0;
}
