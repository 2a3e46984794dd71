/* SPDX-License-Identifier: MIT */
/* pool_cpu_speedup.c -- workload "pool_cpu_speedup": how much faster a CPU-bound map runs on a
 * pool of usable-cpu-count workers than serially in one process.  64 tasks of equal work (an
 * integer hash loop of about 6 ms each).  Unit: speedup (serial time / parallel time), higher is
 * better; the ideal is the number of cores.  multiproc: mp_pool_map_array with the default
 * chunking.  limit: the same tasks split statically in equal halves (thirds, ...) over forked
 * children joined with waitpid: the best a fork-based split can do on this machine.
 * Python twin: python/pool_cpu_speedup.py. */
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_util.h"
#include "cpu_work.h"
#include "multiproc.h"

#define TASKS 64

static int64_t work(int64_t seed) { return cpu_work(seed); }

static int work_elem(const void *in, void *out) {
  *(int64_t *)out = work(*(const int64_t *)in);
  return 0;
}

static int64_t in[TASKS], expect[TASKS];

static double serial_ns(void) {
  uint64_t t0 = bench_now_ns();
  for (int i = 0; i < TASKS; i++) expect[i] = work(in[i]);
  return (double)(bench_now_ns() - t0);
}

static double run_mp(void *ctx, long iters) {
  mp_pool *p = ctx;
  double serial = 0, par = 0;
  for (long k = 0; k < iters; k++) {
    int64_t out[TASKS];
    serial += serial_ns();
    uint64_t t0 = bench_now_ns();
    bench_check_mp(
        mp_pool_map_array(p, work_elem, in, TASKS, sizeof *in, out, sizeof *out, 0, MP_FOREVER),
        "map");
    par += (double)(bench_now_ns() - t0);
    for (int i = 0; i < TASKS; i++)
      if (out[i] != expect[i]) bench_die("wrong result");
  }
  return serial / par;
}

static double run_raw(void *ctx, long iters) {
  int workers = *(int *)ctx;
  int64_t *out = mmap(NULL, sizeof(int64_t) * TASKS, PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (out == MAP_FAILED) bench_die("mmap failed");
  double serial = 0, par = 0;
  for (long k = 0; k < iters; k++) {
    serial += serial_ns();
    uint64_t t0 = bench_now_ns();
    pid_t pids[64];
    for (int w = 0; w < workers; w++) {
      pids[w] = fork();
      if (pids[w] < 0) bench_die("fork failed");
      if (pids[w] == 0) {
        for (int i = w * TASKS / workers; i < (w + 1) * TASKS / workers; i++) out[i] = work(in[i]);
        _exit(0);
      }
    }
    for (int w = 0; w < workers; w++) waitpid(pids[w], NULL, 0);
    par += (double)(bench_now_ns() - t0);
    for (int i = 0; i < TASKS; i++)
      if (out[i] != expect[i]) bench_die("wrong raw result");
  }
  munmap(out, sizeof(int64_t) * TASKS);
  return serial / par;
}

int main(void) {
  for (int i = 0; i < TASKS; i++) in[i] = i;
  mp_pool *p;
  bench_check_mp(mp_pool_new(&p, NULL), "mp_pool_new");
  int workers = mp_pool_size(p);
  bench_opts o = bench_default_opts("pool_cpu_speedup", 1);
  o.higher = true;
  o.batches = 7;
  o.ops_per_iter = TASKS; /* CPU per task */
  double mp_x, raw_x;
  bench_compare(&o, run_mp, p, run_raw, &workers, &mp_x, &raw_x);
  bench_check_mp(mp_pool_close(p), "close");
  bench_check_mp(mp_pool_join(p, MP_FOREVER), "join");
  mp_pool_free(p);
  bench_report("pool_cpu_speedup", "x", true, mp_x, raw_x);
  return 0;
}
