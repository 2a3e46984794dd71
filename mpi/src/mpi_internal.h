/* SPDX-License-Identifier: MIT */
/* mpi_internal.h -- libmultiproc-mpi inside: the state of this process's ranks (init.c), the
 * wire format of a chunk and its reply (wire.c), the liveness connections (liveness.c), rank
 * 0's engine that serves a pool (engine.c) and a worker rank's loop (worker_rank.c).
 *
 * Only MPI point-to-point messages between rank 0 and each worker carry tasks: a chunk goes
 * out (TAG_TASK), its reply comes back (TAG_RESULT), TAG_STOP ends a worker.  Beside MPI each
 * worker holds a TCP connection to rank 0 that carries nothing after its hello; its end of
 * file is the death of the other side, which MPI itself never reports (docs/mpi-engines.md). */
#ifndef MP_MPI_INTERNAL_H
#define MP_MPI_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "multiproc.h"
#include "multiproc/mpi.h"
#include "multiproc/pool_backend.h"

/* The monotonic clock in ns, for the engine's and the ranks' idle policies and deadlines (the
 * core library's clock is not part of its public API). */
static inline int64_t mp__mpi_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

enum { TAG_TASK = 7101, TAG_RESULT = 7102, TAG_STOP = 7103 };

#define MPI_HOST_MAX 64

/* ---- init.c: the ranks ---- */
typedef struct mpi_rank_info {
  int lanes; /* chunks in flight at once (its local pool's size, or 1) */
  int fd; /* rank 0: its liveness connection (-1 once lost or for rank 0) */
  bool lost;
  char host[MPI_HOST_MAX];
} mpi_rank_info;

typedef struct mpi_state {
  bool initialised;
  bool we_init_mpi; /* mp_mpi_init called MPI_Init_thread (so finalize calls MPI_Finalize) */
  int rank, size;
  int lanes; /* this worker rank's lanes */
  mpi_rank_info *ranks; /* rank 0: size entries */
  int nlost;
  bool pool_live; /* an MPI pool exists (one at a time) */
} mpi_state;

extern mpi_state mp__mpi;

/* A lost worker rank: marks it, closes its connection, logs it once. */
void mp__mpi_rank_lost(int rank, const char *why);

/* ---- wire.c: a chunk and its reply ---- */
#define WIRE_MAGIC 0x6d706d31u /* "mpm1" */
#define WIRE_RAW (UINT64_C(1) << 63) /* in a length word: raw bytes, not an encoding */
#define WIRE_NONE UINT64_MAX /* in a reply's length word: no result stored */

/* The fixed part of a chunk message; then name_len bytes of the task's name (no NUL); then,
 * generic: count length words and the bytes; array: count * in_size bytes.  Small on purpose:
 * a chunk of one small task fits Open MPI's inline shared-memory sends (256 bytes). */
typedef struct wire_task {
  uint32_t magic;
  uint16_t array;
  uint16_t lane;
  uint64_t seq;
  uint64_t first, count;
  uint64_t in_size, out_size; /* array */
  uint32_t name_len;
  uint32_t pad_;
} wire_task;

/* The fixed part of a reply; then msg_len bytes of the error message (no NUL); then, generic:
 * count length words (WIRE_NONE: no result) and the results; array: count * out_size bytes. */
typedef struct wire_reply {
  uint32_t magic;
  uint16_t lane;
  uint16_t msg_len;
  uint64_t seq;
  int32_t code, status; /* 0, or the chunk's error */
  uint64_t count; /* items that follow (generic: all of the chunk or 0; array: 0 or all) */
} wire_reply;

/* A reply taken apart (the message copied and terminated). */
typedef struct wire_reply_view {
  wire_reply h;
  char message[MP_TASK_MSG_MAX];
  const unsigned char *body;
  size_t body_len;
} wire_reply_view;

/* A growing buffer. */
typedef struct wire_buf {
  unsigned char *p;
  size_t len, cap;
} wire_buf;
int mp__wire_reserve(wire_buf *b, size_t cap);

/* Rank 0: the message that sends chunk c (held by lane) as seq.  0, or -ENOMEM. */
int mp__wire_pack_task(wire_buf *b, const mp_pool_chunk *c, int lane, uint64_t seq);
/* A worker: the lane and seq of a task message (0 for a message too short to say). */
void mp__wire_task_ids(const void *msg, size_t len, int *lane, uint64_t *seq);
/* A worker: runs the task message (len bytes) and writes its reply into out.  Never fails
 * without a reply: a malformed message or unknown task is a reply with an error code.
 * -ENOMEM only when even the reply cannot be built. */
int mp__wire_run_task(const void *msg, size_t len, wire_buf *out);
/* A reply that carries only an error (message NULL for none).  0 or -ENOMEM. */
int mp__wire_error_reply(wire_buf *out, int lane, uint64_t seq, int code, int status,
                         const char *message);
/* Rank 0: checks a reply and takes it apart, or MP_ECORRUPT. */
int mp__wire_reply_parse(const void *msg, size_t len, wire_reply_view *v);
/* Rank 0: stores a parsed reply into chunk c (held by slot of p) and completes it. */
int mp__wire_store_reply(mp_pool *p, int slot, mp_pool_chunk *c, const wire_reply_view *v);

/* ---- liveness.c: one TCP connection per worker rank ---- */
/* Rank 0: listens, tells the workers where (MPI_Bcast), accepts size-1 hellos (each with the
 * worker's lanes and host) before timeout_ms.  A worker: receives the address, connects and
 * says hello.  Collective: every rank calls it.  0 or an error. */
int mp__liveness_connect(mp_timeout_ms timeout_ms);
/* Rank 0: looks at every live worker's connection without waiting; a closed one is a lost
 * rank (mp__mpi_rank_lost).  Returns how many were lost by this call. */
int mp__liveness_check(void);
/* A worker: whether rank 0's end is still open (checked without waiting). */
bool mp__liveness_master_alive(void);
/* A worker that read rank 0's stop: closes its end, which tells rank 0 the stop arrived. */
void mp__liveness_ack_stop(void);
/* Rank 0, after sending the stops: waits until every live worker has closed its end (or the
 * timeout), closing rank 0's ends as they do.  Only then may rank 0 close its own: a worker
 * that saw the connection close before it read the stop would take it for rank 0's death. */
void mp__liveness_await_acks(mp_timeout_ms timeout_ms);

/* ---- engine.c: rank 0 serving a pool ---- */
const mp_pool_backend *mp__mpi_engine_backend(void);
/* Joins the engine thread of the last pool once it has finished: 0 (none is running any
 * more) or -EBUSY (a pool is being served). */
int mp__mpi_engine_reap(void);

/* ---- worker_rank.c ---- */
/* The worker loop; returns the process's exit status, and in *finalize whether rank 0's stop
 * said that MPI may be finalized (no rank was lost). */
int mp__mpi_worker_main(bool *finalize);

#endif
