/* SPDX-License-Identifier: MIT */
/* peer_util.h -- what the peer programs (zmq.c, nng.c, boost.cpp) share: the argv dispatch,
 * the measurement (warm-up batch, median of batches, CPU per operation), the forked child of a
 * batch with its start signal, and the temporary directory of the ipc endpoints.
 *
 * A peer is run as `<peer> <workload>` by scripts/bench.sh and prints one line on stdout,
 *   value<TAB>cpu_us_per_op
 * in the unit of the multiproc workload of that name, or exits with status 3 and prints
 * nothing when it has no such workload; any failure ends it with status 1 (bench_die).
 *
 * Every batch (the warm-up one too) runs in a fresh process forked from the untouched main
 * process, and that process forks the batch's child itself: nng aborts in any child
 * forked after nng started in its parent, and a ZeroMQ context must not cross a fork, so
 * neither library may ever run in the process that forks for the next batch.  Inside the
 * batch process the shape is the C workload's: it is the consumer (or the pinging side), its
 * one forked child the producer (or the echoing side).
 *
 * This header is included by C and C++: bench_util.h cannot be (multiproc.h uses C11
 * keywords), so the few bench_util.h helpers a peer needs are declared here again, exactly as
 * there; peer_util.c includes both headers, so the compiler checks they agree. */
#ifndef MP_BENCH_PEER_UTIL_H
#define MP_BENCH_PEER_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* From bench_util.h (see there). */
uint64_t bench_now_ns(void);
void bench_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
double bench_us_per_op(uint64_t elapsed_ns, long iters);
double bench_ops_per_s(uint64_t elapsed_ns, long iters);

/* One batch: does the work iters times in the calling (batch) process and returns the
 * batch's value in the workload's unit.  Failures bench_die(). */
typedef double (*peer_batch_fn)(long iters);

typedef struct peer_workload {
  const char *name; /* the multiproc workload it matches, e.g. "queue_small" */
  long base_iters; /* that workload's BASE_ITERS */
  peer_batch_fn fn;
} peer_workload;

/* What a peer program is: its name (for diagnostics), its workloads, whether it needs the
 * directory of ipc endpoints, and an optional clean-up run once when the main process ends,
 * however it ends (e.g. removing named shared-memory objects). */
typedef struct peer_spec {
  const char *peer;
  const peer_workload *workloads;
  int n;
  bool ipc_dir;
  void (*at_exit)(void);
} peer_spec;

/* main() of a peer: picks argv[1] among spec's workloads, measures it as the C workloads do
 * (bench_default_opts(): BENCH_SCALE, a warm-up batch of a tenth, the median of 9 batches;
 * bench_cpu_ns() around each measured batch, so the batch process and its child are counted)
 * and prints the line.  Returns the exit status: 0, or 3 for a workload it does not have. */
int peer_main(const peer_spec *spec, int argc, char **argv);

/* "ipc://DIR/name": an endpoint in this run's fresh temporary directory (made by peer_main()
 * when spec->ipc_dir, removed with whatever is in it when the main process ends).  Static
 * storage.  One name serves every batch: a batch's endpoint is gone when it ends. */
const char *peer_endpoint(const char *name);

/* Forks the batch's child, which runs fn(arg) and _exit()s with its return value; it is
 * killed if the batch process dies first, and the batch process ends at once (status 1)
 * if the child fails first (a SIGCHLD handler), so that a parent blocked in a receive
 * does not wait for ever.  One child at a time. */
void peer_fork(int (*fn)(void *arg), void *arg);

/* The start signal, for a child that must not connect before the parent listens: the parent
 * calls peer_ready() once its endpoint is bound, the child waits in peer_await_ready()
 * (false if the parent went away).  peer_await_end() waits until the parent has received
 * everything and called peer_reap(): a child whose library drops unsent messages when its
 * socket closes stays until then. */
void peer_ready(void);
bool peer_await_ready(void);
void peer_await_end(void);

/* Ends the start signal, waits for the child and bench_die()s unless it exited with 0. */
void peer_reap(const char *who);

/* For failures inside the child: prints "bench: child: ..." on stderr and _exit(1)s, running
 * none of the parent's exit handlers. */
void peer_child_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#ifdef __cplusplus
}
#endif

#endif
