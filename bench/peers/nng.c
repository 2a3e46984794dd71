/* SPDX-License-Identifier: MIT */
/* nng.c -- the nng peer of the bench table (libnng, ipc:// endpoints): the same messages
 * between the same two processes as the multiproc workloads of the same names.
 *
 * queue_small  push0 (the child, producer) -> pull0 (the parent): 8-byte messages, each the
 *              counter, checked in order.  msgs/s.
 * queue_small_bounded  the same: this peer's queue holds 4096 messages in both rows.
 * queue_1mib   the same with 1 MiB messages, the first byte the counter; the parent receives
 *              each into its own buffer and checks its size and first byte.  MB/s.
 * queue_latency  req0 (parent) / rep0 (child): the 8-byte request is the reply.  us per round trip.
 * pipe_pingpong  pair1 / pair1: the parent sends, the child echoes.  us per round trip.
 *
 * The calls: nng_send() / nng_recv() with the caller's buffer, nng's plain path (one copy into
 * a message on send, one copy out on receive, as put_bytes / get_bytes do; NNG_FLAG_ALLOC
 * would hand over nng's buffer instead, but the consumer wants the message in its own).
 * push0 never drops: with no room a send blocks.  Its send and pull0's receive buffers
 * (NNG_OPT_SENDBUF / NNG_OPT_RECVBUF, in messages; none by default, so that a send waits for
 * a pipe to take its message) are set to the depth of the raw floor's ring (4096 small
 * messages) and its four 1 MiB buffers, as a queue would be used; for small messages this
 * measured no faster than none (nng's cost per message is in its threads, not the wait).
 * NNG_OPT_RECVMAXSZ (default 1 MiB, beyond which a message is refused) is lifted, so that the
 * 1 MiB payload does not sit at the limit.  nng has no linger: a socket closed with messages
 * still queued loses them, so the child keeps its socket open until the parent has received
 * everything (peer_await_end).  The parent listens, and the child dials once the parent's
 * endpoint exists (peer_ready): a dial before that would retry only after
 * NNG_OPT_RECONNMINT.
 * Timing, as in the C workloads: the queues from before the fork to the last message (the
 * child's socket and dial included, as the child's start is); the ping-pongs after one
 * untimed round trip that finds the connection made. */
#include <nng/nng.h>
#include <nng/protocol/pair1/pair.h>
#include <nng/protocol/pipeline0/pull.h>
#include <nng/protocol/pipeline0/push.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "peer_util.h"

#define SMALL_ITERS 2000000 /* BASE_ITERS of bench/queue_small_run.h */
#define BIG_ITERS 2000 /* bench/queue_1mib.c */
#define LATENCY_ITERS 20000 /* bench/queue_latency.c */
#define PIPE_ITERS 50000 /* bench/pipe_pingpong.c */
#define BIG ((size_t)1 << 20)

typedef int (*open_fn)(nng_socket *);

typedef struct {
  open_fn open; /* the child's socket type */
  size_t size;
  int depth; /* send/receive buffer in messages; 0: nng's default */
  long n;
} job;

/* A failed nng call: bench_die() in the parent, peer_child_die() in the child. */
static void ncheck(int rv, bool child, const char *what) {
  if (rv == 0) return;
  if (child) peer_child_die("nng %s: %s", what, nng_strerror(rv));
  bench_die("nng %s: %s", what, nng_strerror(rv));
}

/* Sends and receives give up after 10 s, as the C workloads' puts and gets do: a transfer
 * that stalls with both processes alive ends the bench instead of hanging it (a dead child
 * ends it at once, see peer_fork()). */
static nng_socket nopen(open_fn open, int depth, bool child) {
  nng_socket s;
  ncheck(open(&s), child, "open");
  ncheck(nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, 10000), child, "NNG_OPT_RECVTIMEO");
  ncheck(nng_socket_set_ms(s, NNG_OPT_SENDTIMEO, 10000), child, "NNG_OPT_SENDTIMEO");
  if (depth > 0) {
    ncheck(nng_socket_set_int(s, NNG_OPT_SENDBUF, depth), child, "NNG_OPT_SENDBUF");
    ncheck(nng_socket_set_int(s, NNG_OPT_RECVBUF, depth), child, "NNG_OPT_RECVBUF");
  }
  ncheck(nng_socket_set_size(s, NNG_OPT_RECVMAXSZ, 0), child, "NNG_OPT_RECVMAXSZ");
  return s;
}

/* The parent's socket, listening, and the child told it may dial. */
static nng_socket nlisten(open_fn open, int depth) {
  nng_socket s = nopen(open, depth, false);
  ncheck(nng_listen(s, peer_endpoint("ep"), NULL, 0), false, "nng_listen");
  peer_ready();
  return s;
}

static nng_socket ndial_child(open_fn open, int depth) {
  nng_socket s = nopen(open, depth, true);
  if (!peer_await_ready()) peer_child_die("the parent went away");
  ncheck(nng_dial(s, peer_endpoint("ep"), NULL, 0), true, "nng_dial");
  return s;
}

/* The child's end: stays until the parent has everything, then closes. */
static int child_end(nng_socket s) {
  peer_await_end();
  nng_close(s);
  return 0;
}

static int producer(void *arg) {
  const job *j = arg;
  unsigned char *buf = malloc(j->size);
  if (buf == NULL) peer_child_die("out of memory");
  memset(buf, 0x5a, j->size);
  nng_socket s = ndial_child(j->open, j->depth);
  for (long i = 0; i < j->n; i++) {
    if (j->size == sizeof i)
      memcpy(buf, &i, sizeof i);
    else
      buf[0] = (unsigned char)i;
    ncheck(nng_send(s, buf, j->size, 0), true, "nng_send");
  }
  free(buf);
  return child_end(s);
}

/* queue_small and queue_1mib: iters messages of size bytes from the child to the parent. */
static double stream(size_t size, int depth, long iters) {
  job j = {nng_push0_open, size, depth, iters};
  unsigned char *dst = malloc(size);
  if (dst == NULL) bench_die("out of memory");
  memset(dst, 0, size);
  uint64_t t0 = bench_now_ns();
  peer_fork(producer, &j);
  nng_socket s = nlisten(nng_pull0_open, depth);
  for (long i = 0; i < iters; i++) {
    size_t n = size;
    ncheck(nng_recv(s, dst, &n, 0), false, "nng_recv");
    long v;
    memcpy(&v, dst, sizeof v);
    if (n != size || (size == sizeof v ? v != i : dst[0] != (unsigned char)i))
      bench_die("nng: bad message %ld (%zu bytes)", i, n);
  }
  uint64_t t1 = bench_now_ns();
  nng_close(s);
  peer_reap("nng producer");
  free(dst);
  if (size == sizeof(long)) return bench_ops_per_s(t1 - t0, iters);
  return (double)iters * (double)size / ((double)(t1 - t0) / 1e9) / 1e6;
}

static int echo(void *arg) {
  const job *j = arg;
  nng_socket s = ndial_child(j->open, 0);
  for (long i = 0; i <= j->n; i++) { /* n + 1: the untimed first round trip too */
    long v;
    size_t n = sizeof v;
    ncheck(nng_recv(s, &v, &n, 0), true, "nng_recv");
    if (n != sizeof v) peer_child_die("nng: a %zu-byte message", n);
    ncheck(nng_send(s, &v, sizeof v, 0), true, "nng_send");
  }
  return child_end(s);
}

static void round_trip(nng_socket s, long i) {
  long v = -2;
  size_t n = sizeof v;
  ncheck(nng_send(s, &i, sizeof i, 0), false, "nng_send");
  ncheck(nng_recv(s, &v, &n, 0), false, "nng_recv");
  if (n != sizeof v || v != i) bench_die("nng: wrong reply %ld for %ld", v, i);
}

/* queue_latency and pipe_pingpong: iters round trips of an 8-byte message. */
static double pingpong(open_fn parent_open, open_fn child_open, long iters) {
  job j = {child_open, sizeof(long), 0, iters};
  peer_fork(echo, &j);
  nng_socket s = nlisten(parent_open, 0);
  round_trip(s, -1);
  uint64_t t0 = bench_now_ns();
  for (long i = 0; i < iters; i++) round_trip(s, i);
  uint64_t t1 = bench_now_ns();
  nng_close(s);
  peer_reap("nng echo child");
  return bench_us_per_op(t1 - t0, iters);
}

static double queue_small(long iters) { return stream(sizeof(long), 4096, iters); }
static double queue_1mib(long iters) { return stream(BIG, 4, iters); }
static double queue_latency(long iters) { return pingpong(nng_req0_open, nng_rep0_open, iters); }
static double pipe_pingpong(long iters) { return pingpong(nng_pair1_open, nng_pair1_open, iters); }

int main(int argc, char **argv) {
  static const peer_workload w[] = {
      /* a twentieth of the C workload's batch: nng moves about 20 k small messages per second
       * here (a system call each way per message and several thread hand-offs), so 2 M
       * would take over 15 minutes a run; a rate needs no more (cf. the Python twins) */
      {"queue_small", SMALL_ITERS / 20, queue_small},
      {"queue_small_bounded", SMALL_ITERS / 20, queue_small}, /* its queues hold 4096 either way */
      {"queue_1mib", BIG_ITERS, queue_1mib},
      {"queue_latency", LATENCY_ITERS, queue_latency},
      {"pipe_pingpong", PIPE_ITERS, pipe_pingpong},
  };
  peer_spec spec = {"nng", w, (int)(sizeof w / sizeof w[0]), true, NULL};
  return peer_main(&spec, argc, argv);
}
