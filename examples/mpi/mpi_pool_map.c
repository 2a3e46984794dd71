/* SPDX-License-Identifier: MIT */
/* mpi_pool_map.c -- the Pool of seed 001's pool_map example, spread over MPI ranks:
 *
 *   mpirun -np 4 ./mpi_pool_map            (on one machine; add --oversubscribe if it has
 *                                            fewer than 4 cores)
 *   mpirun -np 3 --hostfile hosts --bind-to none -x MP_MPI_LOCAL_PROCESSES=8 ./mpi_pool_map
 *                                           (a rank per machine, 8 local workers each)
 *
 * Rank 0 runs main() past mp_mpi_init(); every other rank is a pool worker.  The tasks are
 * registered by name (MP_TASK, MP_MAP_TASK) because a function pointer means nothing on
 * another machine.  docs/scale-out.md says how to run it on real machines. */
#include <stdio.h>
#include <stdlib.h>

#include <multiproc.h>
#include <multiproc/mpi.h>

static void check(int rc, const char *what) {
  if (rc < 0) {
    fprintf(stderr, "%s: %s (%s)\n", what, mp_strerror(rc), mp_error_message(rc));
    exit(1);
  }
}

/* def square(x): return x * x -- on values (MessagePack), item by item. */
static int square(mp_task *t) {
  mp_obj *x;
  int rc = mp_task_arg_obj(t, &x);
  if (rc) return mp_task_error(1, "bad argument: %s", mp_strerror(rc));
  int64_t v = 0;
  rc = mp_obj_get_int(x, &v);
  mp_obj_decref(x);
  if (rc) return mp_task_error(1, "not an int");
  mp_obj *y = mp_obj_int(v * v);
  rc = mp_task_return_obj(t, y);
  mp_obj_decref(y);
  return rc ? 1 : 0;
}
MP_TASK(square);

/* The same on a typed array: whole chunks of doubles cross the network, no encoding. */
static int halve(const void *in, void *out) {
  *(double *)out = *(const double *)in / 2;
  return 0;
}
MP_MAP_TASK(halve);

int main(int argc, char **argv) {
  check(mp_mpi_init(&argc, &argv, NULL), "mp_mpi_init"); /* ranks >= 1 stay inside */
  if (mp_mpi_size() < 2) { /* no worker ranks: the MPI pool would be MP_EBROKEN */
    fprintf(stderr, "run me with mpirun -np 4 %s (rank 0 and three workers)\n", argv[0]);
    mp_mpi_finalize();
    return 2;
  }

  mp_pool_opts o = {.backend = mp_mpi_backend()};
  mp_pool *pool;
  check(mp_pool_new(&pool, &o), "mp_pool_new");
  printf("%d MPI ranks: rank 0 and %d pool slots\n", mp_mpi_size(), mp_pool_size(pool));

  mp_obj *items = mp_obj_list();
  for (int i = 0; i < 10; i++) mp_obj_list_append_steal(items, mp_obj_int(i));
  mp_obj *results;
  check(mp_pool_map(pool, square, items, 1, &results, MP_FOREVER), "map");
  printf("square over ranks:");
  for (size_t i = 0; i < mp_obj_len(results); i++) {
    int64_t v = 0;
    (void)mp_obj_get_int(mp_obj_item(results, i), &v);
    printf(" %lld", (long long)v);
  }
  printf("\n");
  mp_obj_decref(results);
  mp_obj_decref(items);

  enum { N = 100000 };
  double *in = malloc(N * sizeof *in), *out = malloc(N * sizeof *out);
  if (!in || !out) return 1;
  for (int i = 0; i < N; i++) in[i] = i;
  check(mp_pool_map_array(pool, halve, in, N, sizeof *in, out, sizeof *out, 0, MP_FOREVER),
        "map_array");
  double sum = 0;
  for (int i = 0; i < N; i++) sum += out[i];
  printf("halve over ranks: sum = %.1f\n", sum);
  free(in);
  free(out);

  check(mp_pool_close(pool), "close");
  check(mp_pool_join(pool, MP_FOREVER), "join");
  mp_pool_free(pool);
  return mp_mpi_finalize();
}
