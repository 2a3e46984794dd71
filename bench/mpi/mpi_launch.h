/* SPDX-License-Identifier: MIT */
/* mpi_launch.h -- lets scripts/bench.sh run an MPI workload like any other: started without
 * mpirun, the program runs itself again under `mpirun -np N` on this machine (oversubscribed,
 * unbound, allowed as root) and passes on its exit status; rank 0 prints the result line. */
#ifndef MP_BENCH_MPI_LAUNCH_H
#define MP_BENCH_MPI_LAUNCH_H

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void mpi_launch_self(int ranks) {
  if (getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMI_SIZE")) return; /* already a rank */
  char self[PATH_MAX], np[16];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) {
    fprintf(stderr, "bench: cannot find its own binary\n");
    exit(1);
  }
  self[n] = '\0';
  snprintf(np, sizeof np, "%d", ranks);
  if (geteuid() == 0) {
    setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
    setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
  }
  char *argv[] = {"mpirun", "--oversubscribe", "--bind-to", "none", "-np", np, self, NULL};
  execvp("mpirun", argv);
  fprintf(stderr, "bench: cannot run mpirun (Open MPI's openmpi-bin)\n");
  exit(1);
}

#endif
