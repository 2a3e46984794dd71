/* SPDX-License-Identifier: MIT */
/* mpi_pool_map_chunk1.c -- workload "mpi_pool_map_chunk1": the MPI pool's map of 20 k trivial
 * tasks with chunksize 1 (each task one round trip to a rank), 4 ranks on this machine: rank 0
 * and 3 workers.  Unit: tasks per second.  multiproc: mp_pool_map_array() on an MPI pool.
 * limit: the raw task farm in the same program and ranks -- rank 0 keeps one 8-byte task in
 * flight per worker with MPI_Send, takes each result with MPI_Recv(MPI_ANY_SOURCE) and sends
 * that worker the next task.  The farm runs first (its workers then enter mp_mpi_init(), which
 * they never leave), so the two sides take turns by phase, not by batch.  CPU columns: '-',
 * the ranks are not rank 0's descendants.  Python twin: python/mpi_pool_map_chunk1.py (a local
 * Pool of 3 workers, the same machine). */
#include <mpi.h>

#include "../bench_util.h"
#include "mpi_launch.h"
#include "multiproc.h"
#include "multiproc/mpi.h"

#define RANKS 4
#define N 20000
#define BATCHES 5
enum { TAG_T = 1, TAG_R = 2, TAG_END = 3 };

static int64_t tiny(int64_t x) { return 2 * x + 1; }

static int tiny_elem(const void *in, void *out) {
  *(int64_t *)out = tiny(*(const int64_t *)in);
  return 0;
}
MP_MAP_TASK(tiny_elem);

static int64_t in[N], out[N];

/* One batch of the raw farm on rank 0: N tasks over the workers, tasks per second. */
static double farm_batch(int size) {
  uint64_t t0 = bench_now_ns();
  int64_t next = 0;
  for (int w = 1; w < size && next < N; w++, next++)
    MPI_Send(&in[next], 1, MPI_INT64_T, w, TAG_T, MPI_COMM_WORLD);
  for (int64_t got = 0; got < N; got++) {
    int64_t res[2];
    MPI_Status st;
    MPI_Recv(res, 2, MPI_INT64_T, MPI_ANY_SOURCE, TAG_R, MPI_COMM_WORLD, &st);
    out[res[0]] = res[1];
    if (next < N) {
      MPI_Send(&in[next], 1, MPI_INT64_T, st.MPI_SOURCE, TAG_T, MPI_COMM_WORLD);
      next++;
    }
  }
  uint64_t t1 = bench_now_ns();
  for (int i = 0; i < N; i += 97)
    if (out[i] != tiny(in[i])) bench_die("raw farm: wrong result at %d", i);
  return bench_ops_per_s(t1 - t0, N);
}

/* A raw worker: answers tasks (index = value here) until the end message. */
static void farm_worker(void) {
  for (;;) {
    int64_t x;
    MPI_Status st;
    MPI_Recv(&x, 1, MPI_INT64_T, 0, MPI_ANY_TAG, MPI_COMM_WORLD, &st);
    if (st.MPI_TAG == TAG_END) return;
    int64_t res[2] = {x, tiny(x)};
    MPI_Send(res, 2, MPI_INT64_T, 0, TAG_R, MPI_COMM_WORLD);
  }
}

static double pool_batch(mp_pool *p) {
  uint64_t t0 = bench_now_ns();
  bench_check_mp(
      mp_pool_map_array(p, tiny_elem, in, N, sizeof *in, out, sizeof *out, 1, MP_FOREVER), "map");
  uint64_t t1 = bench_now_ns();
  for (int i = 0; i < N; i += 97)
    if (out[i] != tiny(in[i])) bench_die("pool: wrong result at %d", i);
  return bench_ops_per_s(t1 - t0, N);
}

int main(int argc, char **argv) {
  mpi_launch_self(RANKS);
  int provided, rank, size;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_SERIALIZED, &provided);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  for (int i = 0; i < N; i++) in[i] = i;
  double raw[BATCHES] = {0}, mp[BATCHES] = {0};
  if (rank == 0) {
    (void)farm_batch(size); /* warm-up */
    if (getenv("MPI_BENCH_POOL_ONLY")) goto farm_done; /* for profiling one side alone */
    for (int b = 0; b < BATCHES; b++) raw[b] = farm_batch(size);
  farm_done:
    for (int w = 1; w < size; w++) MPI_Send(NULL, 0, MPI_INT64_T, w, TAG_END, MPI_COMM_WORLD);
  } else {
    farm_worker();
  }
  bench_check_mp(mp_mpi_init(&argc, &argv, NULL), "mp_mpi_init"); /* workers stay inside */
  mp_pool_opts o = {.backend = mp_mpi_backend()};
  mp_pool *p;
  bench_check_mp(mp_pool_new(&p, &o), "mp_pool_new");
  (void)pool_batch(p); /* warm-up */
  for (int b = 0; b < BATCHES; b++) mp[b] = pool_batch(p);
  bench_check_mp(mp_pool_close(p), "close");
  bench_check_mp(mp_pool_join(p, MP_FOREVER), "join");
  mp_pool_free(p);
  for (int b = 0; b < BATCHES; b++)
    fprintf(stderr, "mpi_pool_map_chunk1: batch %d raw %.0f mp %.0f tasks/s\n", b, raw[b], mp[b]);
  bench_report_cpu("mpi_pool_map_chunk1", "tasks/s", true, bench_median(mp, BATCHES),
                   bench_best(raw, BATCHES, true), -1, -1);
  fflush(stdout);
  bench_check_mp(mp_mpi_finalize(), "mp_mpi_finalize"); /* stops the worker ranks */
  MPI_Finalize(); /* the program initialised MPI, so it finalizes it */
  return 0;
}
