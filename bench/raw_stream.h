/* SPDX-License-Identifier: MIT */
/* raw_stream.h -- the floors of request/reply over a socket (pipe_pingpong on a socketpair,
 * manager_remote_ops on TCP): reading and writing whole messages with raw system calls, and
 * the three raw ways to wait for a reply.
 *
 * multiproc's connections look for the peer's bytes without blocking for a while before they
 * sleep in the kernel, so on an idle machine two awake processes never pay a wake-up; a floor
 * that only blocks in read() would be no floor.  As raw_best_pingpong does for shared words
 * (raw_futex.h), the floor runs the same round trips each way -- polling recv(MSG_DONTWAIT)
 * with a pause between polls, polling it with sched_yield() between polls, and a blocking
 * recv() -- and takes the fastest: which one wins depends on where the scheduler puts the two
 * processes (a core each, one shared, a busier machine). */
#ifndef MP_BENCH_RAW_STREAM_H
#define MP_BENCH_RAW_STREAM_H

#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench_util.h"
#include "raw_futex.h"

/* How the raw side waits for bytes: blocking read, or polling with MSG_DONTWAIT, pausing or
 * yielding the CPU between polls. */
enum raw_wait { RAW_BLOCK, RAW_POLL_SPIN, RAW_POLL_YIELD };

/* Reads exactly len bytes (a stream may split them); ends the bench on failure or EOF. */
static inline void raw_read_full(int fd, void *buf, size_t len, enum raw_wait how) {
  size_t got = 0;
  while (got < len) {
    ssize_t r = recv(fd, (char *)buf + got, len - got, how == RAW_BLOCK ? 0 : MSG_DONTWAIT);
    if (r < 0 && errno == EAGAIN) {
      if (how == RAW_POLL_YIELD)
        sched_yield();
      else
        RAW_CPU_RELAX();
      continue;
    }
    if (r <= 0) bench_die("raw read failed");
    got += (size_t)r;
  }
}

/* Writes exactly len bytes; ends the bench on failure. */
static inline void raw_write_full(int fd, const void *buf, size_t len) {
  size_t done = 0;
  while (done < len) {
    ssize_t r = write(fd, (const char *)buf + done, len - done);
    if (r <= 0) bench_die("raw write failed");
    done += (size_t)r;
  }
}

/* One measured run of iters round trips, waiting the given way; the value in the bench's unit. */
typedef double (*raw_stream_run)(void *ctx, long iters, enum raw_wait how);

/* A raw_stream_run bound to its context and way, as a bench_fn for raw_placement.h. */
typedef struct raw_stream_call {
  raw_stream_run run;
  void *ctx;
  enum raw_wait how;
  bool higher; /* for raw_stream_block_best_fn */
} raw_stream_call;

static inline double raw_stream_call_fn(void *arg, long iters) {
  raw_stream_call *c = arg;
  return c->run(c->ctx, iters, c->how);
}

/* The floor of a wait that sleeps at once: iters round trips with blocking reads, where the
 * scheduler puts the two processes and on one CPU; the better value (raw_placement.h). */
static inline double raw_stream_block_best(raw_stream_run run, void *ctx, long iters,
                                           bool higher) {
  raw_stream_call c = {run, ctx, RAW_BLOCK, higher};
  return raw_best_placement(raw_stream_call_fn, &c, iters, higher);
}

/* raw_stream_block_best as a bench_fn over a raw_stream_call. */
static inline double raw_stream_block_best_fn(void *arg, long iters) {
  raw_stream_call *c = arg;
  return raw_stream_block_best(c->run, c->ctx, iters, c->higher);
}

/* The floor: the same iters round trips each of the three ways (the blocking one placed both
 * ways); the best of the values (the highest where higher is better), charged only the CPU of
 * the way that gave it. */
static inline double raw_stream_best(raw_stream_run run, void *ctx, long iters, bool higher) {
  bench_ways w = bench_ways_new(higher);
  raw_stream_call block = {run, ctx, RAW_BLOCK, higher};
  bench_ways_run(&w, raw_stream_block_best_fn, &block, iters);
  static const enum raw_wait polls[] = {RAW_POLL_SPIN, RAW_POLL_YIELD};
  for (size_t i = 0; i < sizeof polls / sizeof polls[0]; i++) {
    raw_stream_call c = {run, ctx, polls[i], higher};
    bench_ways_run(&w, raw_stream_call_fn, &c, iters);
  }
  return bench_ways_best(&w);
}

#endif
