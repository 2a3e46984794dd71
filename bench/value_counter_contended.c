/* SPDX-License-Identifier: MIT */
/* value_counter_contended.c -- workload "value_counter_contended": two processes increment one
 * shared counter under its lock.
 *
 * multiproc: a Value('i') with its default RLock; each of 2 child processes calls
 * mp_value_add_i64(v, 1) (lock, add, unlock) iters/2 times.  limit: the same with a raw
 * three-state futex mutex guarding an int in a shared mapping.  The final count is checked.
 * Unit: increments per second over both processes, higher is better.
 * Python twin: python/value_counter_contended.py ("with v.get_lock(): v.value += 1"). */
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_util.h"
#include "multiproc.h"
#include "raw_futex.h"

#define BASE_ITERS 2000000
#define WORKERS 2

typedef struct {
  mp_value *v;
  long n;
} mp_job;

static int mp_worker(void *arg) {
  mp_job *j = arg;
  for (long i = 0; i < j->n; i++)
    if (mp_value_add_i64(j->v, 1, NULL) != 0) return 1;
  return 0;
}

static double run_multiproc(void *ctx, long iters) {
  mp_job job = {ctx, iters / WORKERS};
  bench_check_mp(mp_value_set_i64(job.v, 0), "mp_value_set_i64");
  mp_process *p[WORKERS];
  uint64_t t0 = bench_now_ns();
  for (int i = 0; i < WORKERS; i++) p[i] = bench_start(mp_worker, &job);
  for (int i = 0; i < WORKERS; i++) bench_finish(p[i], "worker");
  uint64_t t1 = bench_now_ns();
  int64_t total;
  bench_check_mp(mp_value_get_i64(job.v, &total), "mp_value_get_i64");
  if (total != job.n * WORKERS)
    bench_die("counter is %lld, expected %ld", (long long)total, job.n * WORKERS);
  return bench_ops_per_s(t1 - t0, job.n * WORKERS);
}

typedef struct {
  _Atomic uint32_t lock;
  int counter;
} raw_shared;

static double run_limit(void *ctx, long iters) {
  raw_shared *s = ctx;
  long n = iters / WORKERS;
  s->counter = 0;
  pid_t pid[WORKERS];
  uint64_t t0 = bench_now_ns();
  for (int i = 0; i < WORKERS; i++) {
    pid[i] = fork();
    if (pid[i] < 0) bench_die("fork failed");
    if (pid[i] == 0) {
      for (long k = 0; k < n; k++) {
        raw_lock(&s->lock);
        s->counter++;
        raw_unlock(&s->lock);
      }
      _exit(0);
    }
  }
  for (int i = 0; i < WORKERS; i++) waitpid(pid[i], NULL, 0);
  uint64_t t1 = bench_now_ns();
  if (s->counter != n * WORKERS) bench_die("raw counter is %d", s->counter);
  return bench_ops_per_s(t1 - t0, n * WORKERS);
}

int main(void) {
  mp_value *v;
  int zero = 0;
  bench_check_mp(mp_value_new(&v, 'i', &zero, NULL), "mp_value_new");
  raw_shared *s = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (s == MAP_FAILED) bench_die("mmap failed");
  bench_opts o = bench_default_opts("value_counter_contended", BASE_ITERS);
  o.higher = true;
  o.batches = 5;
  double mp, limit;
  bench_compare(&o, run_multiproc, v, run_limit, s, &mp, &limit);
  bench_report("value_counter_contended", "ops/s", true, mp, limit);
  mp_value_free(v);
  return 0;
}
