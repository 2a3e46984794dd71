// SPDX-License-Identifier: MIT
/* boost.cpp -- the Boost.Interprocess peer of the bench table: boost::interprocess::
 * message_queue (a fixed ring of fixed-size slots in POSIX shared memory, guarded by one
 * process-shared pthread mutex and two condition variables), the same messages between the
 * same two processes as the multiproc workloads of the same names.
 *
 * queue_small  one queue of 4096 slots of 8 bytes (the depth of the raw floor's ring); the
 *              child sends the counter, the parent receives and checks it.  msgs/s.
 * queue_small_bounded  the same: this peer's queue holds 4096 messages in both rows.
 * queue_1mib   one queue of four 1 MiB slots (the floor's four buffers); the first byte is the
 *              counter, the parent receives each into its own buffer.  MB/s.
 * queue_latency, pipe_pingpong  two queues of 16 slots of 8 bytes, one each way: the parent
 *              sends on the first and receives on the second, the child echoes.  us per round
 *              trip.  (Boost has no pipe; two queues are how it does a duplex channel.)
 *
 * The calls: the blocking send() / receive(), the library's plain path: one copy into a slot,
 * one copy out, as put_bytes / get_bytes do (the timed_ variants add a clock read per call).
 * The queues are made in the batch process before the batch, as the C workloads make theirs
 * before theirs, and the forked child uses them through the mapping it inherits.  Their
 * names (in /dev/shm) are removed before they are made, after each batch and when the
 * program ends, however it ends.
 * Timing, as in the C workloads: the queues from before the fork to the last message; the
 * ping-pongs after one untimed round trip. */
#include <boost/interprocess/ipc/message_queue.hpp>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <unistd.h>
#include <vector>

#include "peer_util.h"

namespace bip = boost::interprocess;

namespace {

const long SMALL_ITERS = 2000000; /* BASE_ITERS of bench/queue_small_run.h */
const long BIG_ITERS = 2000; /* bench/queue_1mib.c */
const long LATENCY_ITERS = 20000; /* bench/queue_latency.c */
const long PIPE_ITERS = 50000; /* bench/pipe_pingpong.c */
const std::size_t BIG = std::size_t(1) << 20;

std::string qname[2]; /* made from the main process's pid, so every process agrees */
std::unique_ptr<bip::message_queue> q[2];

void remove_queues() {
  for (const std::string &n : qname)
    if (!n.empty()) bip::message_queue::remove(n.c_str());
}

void make_queues(int count, std::size_t slots, std::size_t size) {
  for (int i = 0; i < count; i++) {
    bip::message_queue::remove(qname[i].c_str());
    q[i].reset(new bip::message_queue(bip::create_only, qname[i].c_str(), slots, size));
  }
}

void drop_queues() {
  for (auto &p : q) p.reset();
  remove_queues();
}

struct job {
  std::size_t size;
  long n;
};

int producer(void *arg) {
  const job *j = static_cast<const job *>(arg);
  try {
    std::vector<unsigned char> buf(j->size, 0x5a);
    for (long i = 0; i < j->n; i++) {
      if (j->size == sizeof i)
        std::memcpy(buf.data(), &i, sizeof i);
      else
        buf[0] = static_cast<unsigned char>(i);
      q[0]->send(buf.data(), j->size, 0);
    }
  } catch (const std::exception &e) {
    peer_child_die("boost: %s", e.what());
  }
  return 0;
}

/* queue_small and queue_1mib: iters messages of size bytes from the child to the parent. */
double stream(std::size_t slots, std::size_t size, long iters) {
  job j = {size, iters};
  std::vector<unsigned char> dst(size, 0);
  double value = 0;
  try {
    make_queues(1, slots, size);
    uint64_t t0 = bench_now_ns();
    peer_fork(producer, &j);
    for (long i = 0; i < iters; i++) {
      bip::message_queue::size_type n = 0;
      unsigned prio = 0;
      q[0]->receive(dst.data(), size, n, prio);
      long v;
      std::memcpy(&v, dst.data(), sizeof v);
      if (n != size || (size == sizeof v ? v != i : dst[0] != static_cast<unsigned char>(i)))
        bench_die("boost: bad message %ld (%zu bytes)", i, static_cast<std::size_t>(n));
    }
    uint64_t t1 = bench_now_ns();
    peer_reap("boost producer");
    drop_queues();
    if (size == sizeof(long))
      value = bench_ops_per_s(t1 - t0, iters);
    else
      value = double(iters) * double(size) / (double(t1 - t0) / 1e9) / 1e6;
  } catch (const std::exception &e) {
    bench_die("boost: %s", e.what());
  }
  return value;
}

int echo(void *arg) {
  const job *j = static_cast<const job *>(arg);
  try {
    for (long i = 0; i <= j->n; i++) { /* n + 1: the untimed first round trip too */
      long v = 0;
      bip::message_queue::size_type n = 0;
      unsigned prio = 0;
      q[0]->receive(&v, sizeof v, n, prio);
      if (n != sizeof v) peer_child_die("boost: a %zu-byte message", static_cast<std::size_t>(n));
      q[1]->send(&v, sizeof v, 0);
    }
  } catch (const std::exception &e) {
    peer_child_die("boost: %s", e.what());
  }
  return 0;
}

void round_trip(long i) {
  long v = -2;
  bip::message_queue::size_type n = 0;
  unsigned prio = 0;
  q[0]->send(&i, sizeof i, 0);
  q[1]->receive(&v, sizeof v, n, prio);
  if (n != sizeof v || v != i) bench_die("boost: wrong reply %ld for %ld", v, i);
}

/* queue_latency and pipe_pingpong: iters round trips of an 8-byte message. */
double pingpong(long iters) {
  job j = {sizeof(long), iters};
  double value = 0;
  try {
    make_queues(2, 16, sizeof(long));
    peer_fork(echo, &j);
    round_trip(-1);
    uint64_t t0 = bench_now_ns();
    for (long i = 0; i < iters; i++) round_trip(i);
    uint64_t t1 = bench_now_ns();
    peer_reap("boost echo child");
    drop_queues();
    value = bench_us_per_op(t1 - t0, iters);
  } catch (const std::exception &e) {
    bench_die("boost: %s", e.what());
  }
  return value;
}

double queue_small(long iters) { return stream(4096, sizeof(long), iters); }
double queue_1mib(long iters) { return stream(4, BIG, iters); }
double queue_latency(long iters) { return pingpong(iters); }
double pipe_pingpong(long iters) { return pingpong(iters); }

} // namespace

int main(int argc, char **argv) {
  for (int i = 0; i < 2; i++)
    qname[i] = "mp-peer-boost-" + std::to_string(getpid()) + "-" + std::to_string(i);
  static const peer_workload w[] = {
      {"queue_small", SMALL_ITERS, queue_small},
      {"queue_small_bounded", SMALL_ITERS, queue_small}, /* its queues hold 4096 either way */
      {"queue_1mib", BIG_ITERS, queue_1mib},
      {"queue_latency", LATENCY_ITERS, queue_latency},
      {"pipe_pingpong", PIPE_ITERS, pipe_pingpong},
  };
  peer_spec spec = {"boost", w, int(sizeof w / sizeof w[0]), false, remove_queues};
  return peer_main(&spec, argc, argv);
}
