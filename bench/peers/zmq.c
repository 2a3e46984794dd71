/* SPDX-License-Identifier: MIT */
/* zmq.c -- the ZeroMQ peer of the bench table (libzmq, ipc:// endpoints): the same messages
 * between the same two processes as the multiproc workloads of the same names.
 *
 * queue_small  PUSH (the child, producer) -> PULL (the parent): 8-byte messages, each the
 *              counter, checked in order.  msgs/s.
 * queue_small_bounded  the same: this peer's queue holds 4096 messages in both rows.
 * queue_1mib   the same with 1 MiB messages, the first byte the counter; the parent receives
 *              each into its own buffer and checks its size and first byte.  MB/s.
 * queue_latency  REQ (parent) / REP (child): the 8-byte request is the reply.  us per round trip.
 * pipe_pingpong  PAIR / PAIR: the parent sends, the child echoes.  us per round trip.
 *
 * The calls: zmq_send() / zmq_recv() with the caller's buffer, libzmq's plain path (one copy
 * into a message on send, one copy out on receive, as put_bytes / get_bytes do).  Zero-copy
 * sending (zmq_msg_init_data) needs a buffer per message in flight, handed to libzmq until it
 * is sent, which is not the work of put_bytes from one reused buffer.  PUSH never drops a
 * message: at its high-water mark a send blocks.  The marks are set to the depth of the raw
 * floor's ring (4096 small messages) and its four 1 MiB buffers; the default, 1000 messages a
 * side, would let 2 GB of 1 MiB messages pile up.
 * The parent binds, and the child connects once the parent's endpoint exists (peer_ready):
 * a connect before that would retry only after ZMQ_RECONNECT_IVL (100 ms).  The child
 * closes its socket only once the parent has received everything (zchild_end()).
 * Timing, as in the C workloads: the queues from before the fork to the last message (the
 * child's context and connect included, as the child's start is); the ping-pongs after one
 * untimed round trip that finds the connection made. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "peer_util.h"

#define SMALL_ITERS 2000000 /* BASE_ITERS of bench/queue_small_run.h */
#define BIG_ITERS 2000 /* bench/queue_1mib.c */
#define LATENCY_ITERS 20000 /* bench/queue_latency.c */
#define PIPE_ITERS 50000 /* bench/pipe_pingpong.c */
#define BIG ((size_t)1 << 20)

typedef struct {
  void *ctx, *sock;
} zside;

typedef struct {
  int type; /* the child's socket type */
  size_t size;
  int hwm; /* 0: libzmq's default */
  long n;
} job;

/* A failed libzmq call: bench_die() in the parent, peer_child_die() in the child. */
static void zcheck(bool ok, bool child, const char *what) {
  if (ok) return;
  if (child) peer_child_die("zmq %s: %s", what, zmq_strerror(zmq_errno()));
  bench_die("zmq %s: %s", what, zmq_strerror(zmq_errno()));
}

/* A context and one socket of this process; contexts are not shared across the fork.  Sends
 * and receives give up after 10 s, as the C workloads' puts and gets do: a transfer that
 * stalls with both processes alive ends the bench instead of hanging it (a dead child ends
 * it at once, see peer_fork()).  libzmq reads its clock only when a call has to wait. */
static void zopen(zside *z, int type, int hwm, bool child) {
  static const int timeout_ms = 10000;
  z->ctx = zmq_ctx_new();
  zcheck(z->ctx != NULL, child, "zmq_ctx_new");
  z->sock = zmq_socket(z->ctx, type);
  zcheck(z->sock != NULL, child, "zmq_socket");
  zcheck(zmq_setsockopt(z->sock, ZMQ_RCVTIMEO, &timeout_ms, sizeof timeout_ms) == 0, child,
         "ZMQ_RCVTIMEO");
  zcheck(zmq_setsockopt(z->sock, ZMQ_SNDTIMEO, &timeout_ms, sizeof timeout_ms) == 0, child,
         "ZMQ_SNDTIMEO");
  if (hwm > 0) {
    zcheck(zmq_setsockopt(z->sock, ZMQ_SNDHWM, &hwm, sizeof hwm) == 0, child, "ZMQ_SNDHWM");
    zcheck(zmq_setsockopt(z->sock, ZMQ_RCVHWM, &hwm, sizeof hwm) == 0, child, "ZMQ_RCVHWM");
  }
}

static void zclose(zside *z) {
  zmq_close(z->sock);
  while (zmq_ctx_term(z->ctx) != 0 && zmq_errno() == EINTR) {
  }
}

/* Send and receive, retried if a signal (SIGCHLD) interrupts them. */
static int zsend(void *s, const void *buf, size_t len) {
  int r;
  do r = zmq_send(s, buf, len, 0);
  while (r < 0 && zmq_errno() == EINTR);
  return r;
}

static int zrecv(void *s, void *buf, size_t len) {
  int r;
  do r = zmq_recv(s, buf, len, 0);
  while (r < 0 && zmq_errno() == EINTR);
  return r;
}

/* The child's connected socket, once the parent has bound its endpoint. */
static void zconnect_child(zside *z, int type, int hwm) {
  zopen(z, type, hwm, true);
  if (!peer_await_ready()) peer_child_die("the parent went away");
  zcheck(zmq_connect(z->sock, peer_endpoint("ep")) == 0, true, "zmq_connect");
}

/* The child's end.  Lingering (ZMQ_LINGER -1, the default) only sees every message into the
 * kernel: a receiver that stopped reading at its high-water mark, and then sees the
 * connection close, drops what is still in the socket (seen here as lost messages).  So the
 * child keeps its socket until the parent has received everything. */
static void zchild_end(zside *z) {
  peer_await_end();
  zclose(z);
}

static int producer(void *arg) {
  const job *j = arg;
  unsigned char *buf = malloc(j->size);
  if (buf == NULL) peer_child_die("out of memory");
  memset(buf, 0x5a, j->size);
  zside z;
  zconnect_child(&z, ZMQ_PUSH, j->hwm);
  for (long i = 0; i < j->n; i++) {
    if (j->size == sizeof i)
      memcpy(buf, &i, sizeof i);
    else
      buf[0] = (unsigned char)i;
    zcheck(zsend(z.sock, buf, j->size) == (int)j->size, true, "zmq_send");
  }
  zchild_end(&z);
  free(buf);
  return 0;
}

/* queue_small and queue_1mib: iters messages of size bytes from the child to the parent. */
static double stream(size_t size, int hwm, long iters) {
  job j = {ZMQ_PUSH, size, hwm, iters};
  unsigned char *dst = malloc(size);
  if (dst == NULL) bench_die("out of memory");
  memset(dst, 0, size);
  uint64_t t0 = bench_now_ns();
  peer_fork(producer, &j);
  zside z;
  zopen(&z, ZMQ_PULL, hwm, false);
  zcheck(zmq_bind(z.sock, peer_endpoint("ep")) == 0, false, "zmq_bind");
  peer_ready();
  for (long i = 0; i < iters; i++) {
    int n = zrecv(z.sock, dst, size);
    zcheck(n >= 0, false, "zmq_recv");
    long v;
    memcpy(&v, dst, sizeof v);
    if ((size_t)n != size || (size == sizeof v ? v != i : dst[0] != (unsigned char)i))
      bench_die("zmq: bad message %ld (%d bytes)", i, n);
  }
  uint64_t t1 = bench_now_ns();
  zclose(&z);
  peer_reap("zmq producer");
  free(dst);
  if (size == sizeof(long)) return bench_ops_per_s(t1 - t0, iters);
  return (double)iters * (double)size / ((double)(t1 - t0) / 1e9) / 1e6;
}

static int echo(void *arg) {
  const job *j = arg;
  zside z;
  zconnect_child(&z, j->type, 0);
  for (long i = 0; i <= j->n; i++) { /* n + 1: the untimed first round trip too */
    long v;
    zcheck(zrecv(z.sock, &v, sizeof v) == (int)sizeof v, true, "zmq_recv");
    zcheck(zsend(z.sock, &v, sizeof v) == (int)sizeof v, true, "zmq_send");
  }
  zchild_end(&z);
  return 0;
}

static void round_trip(void *s, long i) {
  long v = -2;
  zcheck(zsend(s, &i, sizeof i) == (int)sizeof i, false, "zmq_send");
  zcheck(zrecv(s, &v, sizeof v) == (int)sizeof v, false, "zmq_recv");
  if (v != i) bench_die("zmq: wrong reply %ld for %ld", v, i);
}

/* queue_latency and pipe_pingpong: iters round trips of an 8-byte message. */
static double pingpong(int parent_type, int child_type, long iters) {
  job j = {child_type, sizeof(long), 0, iters};
  peer_fork(echo, &j);
  zside z;
  zopen(&z, parent_type, 0, false);
  zcheck(zmq_bind(z.sock, peer_endpoint("ep")) == 0, false, "zmq_bind");
  peer_ready();
  round_trip(z.sock, -1);
  uint64_t t0 = bench_now_ns();
  for (long i = 0; i < iters; i++) round_trip(z.sock, i);
  uint64_t t1 = bench_now_ns();
  zclose(&z);
  peer_reap("zmq echo child");
  return bench_us_per_op(t1 - t0, iters);
}

static double queue_small(long iters) { return stream(sizeof(long), 4096, iters); }
static double queue_1mib(long iters) { return stream(BIG, 4, iters); }
static double queue_latency(long iters) { return pingpong(ZMQ_REQ, ZMQ_REP, iters); }
static double pipe_pingpong(long iters) { return pingpong(ZMQ_PAIR, ZMQ_PAIR, iters); }

int main(int argc, char **argv) {
  static const peer_workload w[] = {
      {"queue_small", SMALL_ITERS, queue_small},
      {"queue_small_bounded", SMALL_ITERS, queue_small}, /* its queues hold 4096 either way */
      {"queue_1mib", BIG_ITERS, queue_1mib},
      {"queue_latency", LATENCY_ITERS, queue_latency},
      {"pipe_pingpong", PIPE_ITERS, pipe_pingpong},
  };
  peer_spec spec = {"zmq", w, (int)(sizeof w / sizeof w[0]), true, NULL};
  return peer_main(&spec, argc, argv);
}
