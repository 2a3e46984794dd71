/* SPDX-License-Identifier: MIT */
/* multiproc/mpi.h -- the same Pool across machines, on MPI (libmultiproc-mpi).
 *
 * The program is launched with `mpirun -np N prog`.  Every rank calls mp_mpi_init() at the top
 * of main().  Rank 0 returns from it and is the program; every other rank stays inside it as a
 * pool worker and leaves the process (exit status 0) when rank 0 calls mp_mpi_finalize() or
 * dies.  On rank 0, a pool made with the MPI backend gives the calls of multiproc/pool.h --
 * apply/apply_async with callbacks, map/map_async, imap/imap_unordered, starmap, the typed
 * array map, close/terminate/join, AsyncResult with timeouts and progress -- and runs its
 * chunks on the worker ranks:
 *
 *   mp_mpi_init(&argc, &argv, NULL);                  // ranks >= 1 never return from here
 *   mp_pool_opts o = {.backend = mp_mpi_backend()};
 *   mp_pool *pool;
 *   mp_pool_new(&pool, &o);  ...  mp_pool_map(pool, square, items, 1, &results, MP_FOREVER);  ...
 *   mp_pool_close(pool); mp_pool_join(pool, MP_FOREVER); mp_pool_free(pool);
 *   return mp_mpi_finalize();
 *
 * Tasks are named (MP_TASK, MP_MAP_TASK in multiproc/start.h): a rank on another machine runs
 * the same binary and finds the function by its registered name.  Arguments and results are
 * bytes or MessagePack values, sent as they are; the typed array map sends whole chunks of
 * elements, never one element at a time.  Every rank runs the same binary on machines of one
 * architecture (the wire is the host's byte order).
 *
 * A rank per machine with a pool of its own: with local_processes > 1 (or the environment
 * variable MP_MPI_LOCAL_PROCESSES), each worker rank runs the chunks it gets on a local pool of
 * that many worker processes, and rank 0 keeps that many chunks in flight per rank, so a map
 * spreads over machines and their cores.  (Launch with `--bind-to none`, or the local workers
 * inherit one core's binding.)
 *
 * Failure (docs/scale-out.md, docs/mpi-engines.md):
 *   - a task that fails on a rank reaches get() as MP_ETASK with its status and message;
 *   - a worker rank that dies fails only the chunks it held, with MP_EWORKER and a message
 *     naming the rank and its host; the rest of the map completes on the other ranks.  Open MPI
 *     lets the job survive only under `mpirun --enable-recovery`; without it mpirun itself ends
 *     every rank about a second after the death, naming the lost rank.  Each worker rank holds
 *     a TCP connection to rank 0 beside MPI, and its closing is how the death is seen (within
 *     ~0.3 s); MPI itself reports nothing.
 *   - when rank 0 dies, every worker rank sees its connection close and exits.
 * Never a hang: rank 0 never blocks inside an MPI call while the ranks work.
 *
 * Threads: MPI is initialised with MPI_THREAD_SERIALIZED.  While an MPI pool exists, its engine
 * thread is the only one that may call MPI on rank 0; the program must make no MPI calls of its
 * own then. */
#ifndef MULTIPROC_MPI_H
#define MULTIPROC_MPI_H

#include <stdbool.h>

#include "multiproc/common.h"
#include "multiproc/pool_backend.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mp_mpi_opts {
  /* Worker processes of each worker rank's local pool; 0: MP_MPI_LOCAL_PROCESSES from the
   * environment, else 1 (the rank runs tasks itself). */
  int local_processes;
  /* How long rank 0 waits at start-up for every worker rank's connection, in ms; 0: 30 s. */
  mp_timeout_ms connect_timeout;
} mp_mpi_opts;

/* Initialises MPI (unless the program already did, with at least MPI_THREAD_SERIALIZED) and
 * connects the ranks.  opts may be NULL.  On rank 0 it returns 0 once every worker rank is
 * connected.  On any other rank it serves as a pool worker and ends the process: exit(0) when
 * rank 0 finalizes, exit(1) when rank 0 is lost; it returns only on an error during start-up.
 * A single rank (mpirun -np 1, or a program not started by mpirun) is rank 0 with no workers:
 * an MPI pool then cannot be made (MP_EBROKEN).  Call once.
 * Errors: MP_ESTATE (called twice), -ENOTSUP (MPI already initialised below
 * MPI_THREAD_SERIALIZED), MP_ETIMEDOUT (a worker rank did not connect in time), MP_EWORKER
 * (MPI failed to initialise), negative errno of the liveness sockets. */
MP_EXTERN int mp_mpi_init(int *argc, char ***argv, const mp_mpi_opts *opts);

/* This process's rank and the number of ranks (0 and 1 before mp_mpi_init). */
MP_EXTERN int mp_mpi_rank(void);
MP_EXTERN int mp_mpi_size(void);

/* The backend for mp_pool_opts.backend: its slots are the worker ranks' lanes (local_processes
 * per rank).  NULL before mp_mpi_init() and on worker ranks.  mp_pool_new() with it fails with
 * -EBUSY while another MPI pool exists (the ranks serve one pool at a time) and MP_EBROKEN
 * when no worker rank is left.  A rank lost during one pool is left out of later ones. */
MP_EXTERN const mp_pool_backend *mp_mpi_backend(void);

/* How many worker ranks were lost so far; their ranks in ranks[0..cap) (may be NULL). */
MP_EXTERN int mp_mpi_lost(int *ranks, int cap);

/* Rank 0: stops the worker ranks and finalizes MPI (if mp_mpi_init initialised it).  Every MPI
 * pool must be joined first (-EBUSY otherwise).  After a rank was lost MPI cannot be finalized
 * safely (Open MPI's MPI_Finalize may wait for the dead rank for ever), so every rank leaves
 * without it: the workers with status 0, rank 0 -- after flushing stdio -- with _exit(3),
 * without returning.  (Under --enable-recovery mpirun itself exits 0 whatever rank 0's status:
 * a program that must report the loss prints it before calling this.)  Returns 0, or MP_ESTATE
 * when not initialised or not rank 0. */
MP_EXTERN int mp_mpi_finalize(void);

#ifdef __cplusplus
}
#endif
#endif
