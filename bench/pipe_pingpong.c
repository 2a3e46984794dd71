/* SPDX-License-Identifier: MIT */
/* pipe_pingpong.c -- workload "pipe_pingpong": two processes bounce an 8-byte message.
 *
 * multiproc: a duplex mp_pipe; the parent sends with mp_conn_send_bytes and waits with
 * mp_conn_recv_bytes_into, the child echoes each message back.  limit: the same ping-pong
 * with write() and a polling non-blocking recv() of 8 bytes on a raw socketpair (no
 * framing) with the fastest raw wait at the moment: polling with MSG_DONTWAIT (pausing or
 * yielding between polls) or a blocking read (raw_stream.h), as raw_best_pingpong does for
 * shared words (raw_futex.h); in the _sleep row (bench_variant.h), with blocking reads.
 * Unit: microseconds per round trip, lower is better.
 * Python twin: python/pipe_pingpong.py (Pipe().send_bytes / recv_bytes). */
#include <stdint.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_util.h"
#include "bench_variant.h"
#include "multiproc.h"
#include "raw_stream.h"

#define BASE_ITERS 50000

typedef struct {
  mp_conn *parent, *child;
  long n;
} mp_ctx;

static int mp_echo(void *arg) {
  mp_ctx *cx = arg;
  mp_conn_close(cx->parent);
  uint64_t msg;
  size_t n;
  for (long i = 0; i < cx->n; i++) {
    if (mp_conn_recv_bytes_into(cx->child, &msg, sizeof msg, 0, &n, MP_FOREVER) != 0 ||
        mp_conn_send_bytes(cx->child, &msg, 0, sizeof msg, MP_FOREVER) != 0)
      return 1;
  }
  return 0;
}

static double run_multiproc(void *ctx, long iters) {
  mp_ctx *cx = ctx;
  bench_check_mp(mp_pipe(&cx->parent, &cx->child, true), "mp_pipe");
  cx->n = iters;
  mp_process *p = bench_start(mp_echo, cx);
  mp_conn_close(cx->child);
  uint64_t msg = 0, back = 0;
  size_t n;
  uint64_t t0 = bench_now_ns();
  for (long i = 0; i < iters; i++) {
    msg = (uint64_t)i;
    bench_check_mp(mp_conn_send_bytes(cx->parent, &msg, 0, sizeof msg, MP_FOREVER), "send");
    bench_check_mp(mp_conn_recv_bytes_into(cx->parent, &back, sizeof back, 0, &n, MP_FOREVER),
                   "recv");
    if (back != msg || n != sizeof back) bench_die("wrong echo");
  }
  uint64_t t1 = bench_now_ns();
  bench_finish(p, "echo child");
  mp_conn_free(cx->parent);
  mp_conn_free(cx->child);
  return bench_us_per_op(t1 - t0, iters);
}

/* A raw_stream_run: iters round trips on a fresh socketpair, both sides waiting the one way. */
static double run_limit_one(void *ctx, long iters, enum raw_wait how) {
  (void)ctx;
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) bench_die("socketpair");
  pid_t pid = fork();
  if (pid < 0) bench_die("fork failed");
  if (pid == 0) {
    close(sv[0]);
    uint64_t msg;
    for (long i = 0; i < iters; i++) {
      raw_read_full(sv[1], &msg, sizeof msg, how);
      raw_write_full(sv[1], &msg, sizeof msg);
    }
    _exit(0);
  }
  close(sv[1]);
  uint64_t msg, back;
  uint64_t t0 = bench_now_ns();
  for (long i = 0; i < iters; i++) {
    msg = (uint64_t)i;
    raw_write_full(sv[0], &msg, sizeof msg);
    raw_read_full(sv[0], &back, sizeof back, how);
    if (back != msg) bench_die("wrong raw echo");
  }
  uint64_t t1 = bench_now_ns();
  int st;
  waitpid(pid, &st, 0);
  close(sv[0]);
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) bench_die("raw echo child failed");
  return bench_us_per_op(t1 - t0, iters);
}

static double run_limit(void *ctx, long iters) {
  if (BENCH_SLEEP) return raw_stream_block_best(run_limit_one, ctx, iters, false);
  return raw_stream_best(run_limit_one, ctx, iters, false);
}

int main(void) {
  bench_variant_setup();
  mp_ctx cx = {0};
  const char *name = "pipe_pingpong" BENCH_VARIANT_SUFFIX;
  bench_opts o = bench_default_opts(name, BASE_ITERS);
  double mp, limit;
  bench_compare(&o, run_multiproc, &cx, run_limit, NULL, &mp, &limit);
  bench_report(name, "us", false, mp, limit);
  return 0;
}
