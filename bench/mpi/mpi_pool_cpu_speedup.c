/* SPDX-License-Identifier: MIT */
/* mpi_pool_cpu_speedup.c -- workload "mpi_pool_cpu_speedup": how much faster a CPU-bound map
 * runs over MPI worker ranks than serially on rank 0.  3 ranks on this machine: rank 0 and 2
 * workers, one per core of this 2-core machine (the ideal is 2; set MPI_BENCH_RANKS for a
 * bigger one).  32 tasks of equal work (pool_cpu_speedup's hash loop, ~6 ms each).  Unit:
 * speedup (serial time / parallel time).  multiproc: mp_pool_map_array() on an MPI pool,
 * default chunking.  limit: the same tasks split statically in equal parts over the worker
 * ranks with raw MPI_Send/MPI_Recv, in the same program, before the pool (whose workers never
 * come back to raw MPI); its waiting ranks sleep between probes, as the pool's do, instead of
 * polling a core away from the work.  CPU columns: '-'.  Python twin: python/mpi_pool_cpu_speedup.py (a
 * local Pool of as many workers). */
#include <mpi.h>
#include <time.h>

#include "../bench_util.h"
#include "../cpu_work.h"
#include "mpi_launch.h"
#include "multiproc.h"
#include "multiproc/mpi.h"

#define TASKS 32
#define BATCHES 5
enum { TAG_GO = 1, TAG_RES = 2, TAG_END = 3 };

static int64_t work(int64_t seed) { return cpu_work(seed); }

static int work_elem(const void *in, void *out) {
  *(int64_t *)out = work(*(const int64_t *)in);
  return 0;
}
MP_MAP_TASK(work_elem);

static int64_t in[TASKS], out[TASKS], expect[TASKS];

static double serial_ns(void) {
  uint64_t t0 = bench_now_ns();
  for (int i = 0; i < TASKS; i++) expect[i] = work(in[i]);
  return (double)(bench_now_ns() - t0);
}

/* A receive that sleeps while nothing has come, as the pool's engine and idle ranks do: a
 * blocking MPI_Recv polls a core flat out, which on this machine would take a core from the
 * very work being timed (and make the floor no floor). */
static void sleepy_recv(void *buf, int n, int from, int tag, MPI_Status *st) {
  for (;;) {
    int flag = 0;
    MPI_Iprobe(from, tag, MPI_COMM_WORLD, &flag, st);
    if (flag) break;
    struct timespec ts = {0, 50000};
    nanosleep(&ts, NULL);
  }
  MPI_Recv(buf, n, MPI_INT64_T, st->MPI_SOURCE, st->MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
}

static void check(const char *who) {
  for (int i = 0; i < TASKS; i++)
    if (out[i] != expect[i]) bench_die("%s: wrong result at %d", who, i);
}

/* Raw: worker w computes tasks [w-1, TASKS) step workers and sends them back. */
static double raw_batch(int size) {
  double serial = serial_ns();
  int workers = size - 1;
  uint64_t t0 = bench_now_ns();
  for (int w = 1; w < size; w++) MPI_Send(NULL, 0, MPI_INT64_T, w, TAG_GO, MPI_COMM_WORLD);
  for (int w = 1; w < size; w++) {
    int64_t part[TASKS];
    MPI_Status st;
    sleepy_recv(part, TASKS, w, TAG_RES, &st);
    for (int i = w - 1, k = 0; i < TASKS; i += workers, k++) out[i] = part[k];
  }
  double par = (double)(bench_now_ns() - t0);
  check("raw");
  return serial / par;
}

static void raw_worker(int rank, int size) {
  for (;;) {
    MPI_Status st;
    sleepy_recv(NULL, 0, 0, MPI_ANY_TAG, &st);
    if (st.MPI_TAG == TAG_END) return;
    int64_t part[TASKS];
    int k = 0;
    for (int i = rank - 1; i < TASKS; i += size - 1) part[k++] = work(in[i]);
    MPI_Send(part, k, MPI_INT64_T, 0, TAG_RES, MPI_COMM_WORLD);
  }
}

static double pool_batch(mp_pool *p) {
  double serial = serial_ns();
  uint64_t t0 = bench_now_ns();
  bench_check_mp(
      mp_pool_map_array(p, work_elem, in, TASKS, sizeof *in, out, sizeof *out, 0, MP_FOREVER),
      "map");
  double par = (double)(bench_now_ns() - t0);
  check("pool");
  return serial / par;
}

int main(int argc, char **argv) {
  const char *r = getenv("MPI_BENCH_RANKS");
  mpi_launch_self(r ? atoi(r) : 3);
  int provided, rank, size;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_SERIALIZED, &provided);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (size < 2) bench_die("needs at least 2 ranks");
  for (int i = 0; i < TASKS; i++) in[i] = i;
  double raw[BATCHES], mp[BATCHES];
  if (rank == 0) {
    (void)raw_batch(size);
    for (int b = 0; b < BATCHES; b++) raw[b] = raw_batch(size);
    for (int w = 1; w < size; w++) MPI_Send(NULL, 0, MPI_INT64_T, w, TAG_END, MPI_COMM_WORLD);
  } else {
    raw_worker(rank, size);
  }
  bench_check_mp(mp_mpi_init(&argc, &argv, NULL), "mp_mpi_init");
  mp_pool_opts o = {.backend = mp_mpi_backend()};
  mp_pool *p;
  bench_check_mp(mp_pool_new(&p, &o), "mp_pool_new");
  (void)pool_batch(p);
  for (int b = 0; b < BATCHES; b++) mp[b] = pool_batch(p);
  bench_check_mp(mp_pool_close(p), "close");
  bench_check_mp(mp_pool_join(p, MP_FOREVER), "join");
  mp_pool_free(p);
  for (int b = 0; b < BATCHES; b++)
    fprintf(stderr, "mpi_pool_cpu_speedup: batch %d raw %.2f mp %.2f (%d worker ranks)\n", b,
            raw[b], mp[b], size - 1);
  bench_report_cpu("mpi_pool_cpu_speedup", "x", true, bench_median(mp, BATCHES),
                   bench_best(raw, BATCHES, true), -1, -1);
  fflush(stdout);
  bench_check_mp(mp_mpi_finalize(), "mp_mpi_finalize"); /* stops the worker ranks */
  MPI_Finalize(); /* the program initialised MPI, so it finalizes it */
  return 0;
}
