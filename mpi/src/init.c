/* SPDX-License-Identifier: MIT */
/* init.c -- the ranks' life: mp_mpi_init() (MPI, the liveness connections, and a worker rank's
 * whole life), the lost-rank record, and mp_mpi_finalize(). */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "mpi_internal.h"

mpi_state mp__mpi = {.rank = 0, .size = 1};

#define CONNECT_TIMEOUT_MS 30000
/* How long finalize waits for the workers to confirm its stop; a worker busy with a long task
 * reads the stop only after it, so this bounds finalize, not the worker. */
#define STOP_ACK_TIMEOUT_MS 10000

static int env_lanes(void) {
  const char *v = getenv("MP_MPI_LOCAL_PROCESSES");
  if (v == NULL || *v == '\0') return 1;
  char *end;
  long n = strtol(v, &end, 10);
  return *end == '\0' && n >= 1 && n <= 4096 ? (int)n : -1;
}

int mp_mpi_init(int *argc, char ***argv, const mp_mpi_opts *opts) {
  if (mp__mpi.initialised) return MP_ESTATE;
  int lanes = opts && opts->local_processes > 0 ? opts->local_processes : env_lanes();
  if (lanes < 1) return -EINVAL;
  int inited = 0, provided = 0;
  MPI_Initialized(&inited);
  if (!inited) {
    if (MPI_Init_thread(argc, argv, MPI_THREAD_SERIALIZED, &provided) != MPI_SUCCESS)
      return MP_EWORKER;
    mp__mpi.we_init_mpi = true;
  } else {
    MPI_Query_thread(&provided);
  }
  if (provided < MPI_THREAD_SERIALIZED) return -ENOTSUP;
  MPI_Comm_rank(MPI_COMM_WORLD, &mp__mpi.rank);
  MPI_Comm_size(MPI_COMM_WORLD, &mp__mpi.size);
  /* Errors come back as codes rather than aborting the job: a rank's death must not end it. */
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  mp__mpi.lanes = lanes;
  if (mp__mpi.rank == 0) {
    mp__mpi.ranks = calloc((size_t)mp__mpi.size, sizeof *mp__mpi.ranks);
    if (mp__mpi.ranks == NULL) return -ENOMEM;
    for (int r = 0; r < mp__mpi.size; r++) mp__mpi.ranks[r].fd = -1;
    (void)gethostname(mp__mpi.ranks[0].host, MPI_HOST_MAX - 1);
  }
  mp_timeout_ms t = opts && opts->connect_timeout > 0 ? opts->connect_timeout : CONNECT_TIMEOUT_MS;
  int rc = mp__mpi.size > 1 ? mp__liveness_connect(t) : 0;
  mp__mpi.initialised = true;
  if (mp__mpi.rank == 0) return rc;
  if (rc != 0) {
    mp_log(MP_LOG_ERROR, "MPI rank %d: cannot reach rank 0: %s", mp__mpi.rank, mp_strerror(rc));
    return rc;
  }
  bool finalize = false;
  int status = mp__mpi_worker_main(&finalize);
  fflush(NULL);
  /* After a rank is lost MPI_Finalize may never return: only a clean stop finalizes. */
  if (status == 0 && finalize) MPI_Finalize(); /* the program never sees this rank again */
  _exit(status);
}

int mp_mpi_rank(void) { return mp__mpi.rank; }
int mp_mpi_size(void) { return mp__mpi.size; }

const mp_pool_backend *mp_mpi_backend(void) {
  return mp__mpi.initialised && mp__mpi.rank == 0 ? mp__mpi_engine_backend() : NULL;
}

void mp__mpi_rank_lost(int rank, const char *why) {
  mpi_rank_info *ri = &mp__mpi.ranks[rank];
  if (ri->lost) return;
  ri->lost = true;
  if (ri->fd >= 0) close(ri->fd);
  ri->fd = -1;
  mp__mpi.nlost++;
  mp_log(MP_LOG_WARNING, "MPI rank %d on host %s is lost: %s", rank, ri->host, why);
}

int mp_mpi_lost(int *ranks, int cap) {
  int k = 0;
  for (int r = 1; r < mp__mpi.size && mp__mpi.ranks; r++)
    if (mp__mpi.ranks[r].lost) {
      if (ranks && k < cap) ranks[k] = r;
      k++;
    }
  return k;
}

int mp_mpi_finalize(void) {
  if (!mp__mpi.initialised || mp__mpi.rank != 0) return MP_ESTATE;
  if (mp__mpi_engine_reap() != 0) return -EBUSY;
  (void)mp__liveness_check(); /* a rank that died between pools counts too */
  /* The stop is sent without blocking; a rank that dies meanwhile leaves its send pending.
   * Its one byte tells the worker whether a rank was lost, in which case nobody may call
   * MPI_Finalize: Open MPI's waits for the dead rank, for ever in some runs. */
  static unsigned char lost_flag;
  lost_flag = mp__mpi.nlost > 0;
  MPI_Request *reqs = calloc((size_t)mp__mpi.size, sizeof *reqs);
  int n = 0;
  for (int r = 1; r < mp__mpi.size && reqs; r++)
    if (!mp__mpi.ranks[r].lost)
      MPI_Isend(&lost_flag, 1, MPI_BYTE, r, TAG_STOP, MPI_COMM_WORLD, &reqs[n++]);
  for (int i = 0; i < n; i++) {
    int flag = 0;
    for (int spins = 0; !flag && spins < 200000; spins++) {
      MPI_Test(&reqs[i], &flag, MPI_STATUS_IGNORE);
      if (!flag && spins > 1000) usleep(10);
    }
  }
  free(reqs);
  mp__liveness_await_acks(STOP_ACK_TIMEOUT_MS);
  fflush(NULL);
  if (lost_flag) _exit(3);
  if (mp__mpi.we_init_mpi) MPI_Finalize();
  for (int r = 1; r < mp__mpi.size; r++)
    if (mp__mpi.ranks[r].fd >= 0) close(mp__mpi.ranks[r].fd);
  free(mp__mpi.ranks);
  mp__mpi.ranks = NULL;
  mp__mpi.initialised = false;
  return 0;
}
