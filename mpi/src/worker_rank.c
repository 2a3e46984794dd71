/* SPDX-License-Identifier: MIT */
/* worker_rank.c -- what a worker rank does: take chunks from rank 0, run them, send the
 * replies, until rank 0 says stop or is gone.
 *
 * With one lane the rank runs each chunk itself.  With more, it runs them on a local pool of
 * that many worker processes (forked once, at start-up, before the rank does any work): each
 * chunk message becomes one task of the local pool, run by the registered task below, whose
 * result is the reply.  The rank polls without blocking in MPI, so that it also sees rank 0's
 * connection close: polling while a map runs, sleeping in growing steps once idle. */
#include <mpi.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mpi_internal.h"

/* How long an idle rank keeps polling before it sleeps, and how often it looks at rank 0's
 * connection. */
#define IDLE_POLL_NS INT64_C(20000000)
#define LOOK_EVERY_NS INT64_C(2000000)

/* The local pool's task: one whole chunk message in, its reply out. */
static int mp_mpi_chunk(mp_task *t) {
  size_t len;
  const void *msg = mp_task_arg(t, &len);
  wire_buf out = {0};
  int rc = mp__wire_run_task(msg, len, &out);
  if (rc == 0) rc = mp_task_return(t, out.p, out.len);
  free(out.p);
  return rc == 0 ? 0 : 1;
}
MP_TASK(mp_mpi_chunk);

/* A chunk running on the local pool.  A lane may have more than one: after terminate() rank 0
 * reuses a lane whose old chunk still runs here; the local pool simply queues the new one. */
typedef struct inflight {
  mp_async_result *r;
  int lane;
  uint64_t seq; /* of the chunk message it runs */
} inflight;

typedef struct sender {
  MPI_Request req;
  wire_buf buf;
} sender;

/* Sends a reply without blocking in MPI; waits for the previous reply's send first, watching
 * rank 0.  Returns false when rank 0 is gone. */
static bool send_reply(sender *s, wire_buf *reply) {
  int64_t spins = 0;
  while (s->req != MPI_REQUEST_NULL) {
    int flag = 0;
    MPI_Test(&s->req, &flag, MPI_STATUS_IGNORE);
    if (flag) break;
    if (++spins % 4096 == 0 && !mp__liveness_master_alive()) return false;
    if (spins > 100000) sched_yield();
  }
  wire_buf t = s->buf;
  s->buf = *reply;
  *reply = t;
  MPI_Isend(s->buf.p, (int)s->buf.len, MPI_BYTE, 0, TAG_RESULT, MPI_COMM_WORLD, &s->req);
  return true;
}

int mp__mpi_worker_main(bool *finalize) {
  mp_pool *local = NULL;
  if (mp__mpi.lanes > 1) {
    mp_pool_opts o = {.processes = mp__mpi.lanes};
    int rc = mp_pool_new(&local, &o);
    if (rc != 0) {
      mp_log(MP_LOG_ERROR, "MPI rank %d: cannot start its local pool: %s", mp__mpi.rank,
             mp_strerror(rc));
      return 1;
    }
  }
  inflight *fl = NULL;
  size_t nfl = 0, capfl = 0;
  wire_buf in = {0}, reply = {0};
  sender snd = {.req = MPI_REQUEST_NULL};
  int status = 0;
  int64_t idle_since = mp__mpi_now_ns(), last_look = idle_since;
  bool stop = false;
  while (!stop) {
    bool progress = false;
    int flag = 0;
    MPI_Status st;
    MPI_Message m;
    MPI_Improbe(0, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &m, &st);
    if (flag) {
      progress = true;
      int len = 0;
      MPI_Get_count(&st, MPI_BYTE, &len);
      if (len < 0 || mp__wire_reserve(&in, (size_t)len + 1)) len = 0;
      MPI_Mrecv(in.p, len, MPI_BYTE, &m, MPI_STATUS_IGNORE);
      if (st.MPI_TAG == TAG_STOP) {
        stop = true;
        *finalize = len == 1 && in.p[0] == 0;
        mp__liveness_ack_stop();
      } else if (st.MPI_TAG == TAG_TASK && local == NULL) {
        if (mp__wire_run_task(in.p, (size_t)len, &reply) != 0 || !send_reply(&snd, &reply)) {
          mp_log(MP_LOG_ERROR, "MPI rank %d: cannot reply to rank 0 (out of memory, or it is gone)",
                 mp__mpi.rank);
          status = 1;
          break;
        }
      } else if (st.MPI_TAG == TAG_TASK) {
        int lane;
        uint64_t seq;
        mp__wire_task_ids(in.p, (size_t)len, &lane, &seq);
        int rc = 0;
        if (nfl == capfl) {
          size_t cap = capfl ? 2 * capfl : 8;
          inflight *g = realloc(fl, cap * sizeof *g);
          if (g) {
            fl = g;
            capfl = cap;
          } else {
            rc = -ENOMEM;
          }
        }
        if (rc == 0) {
          fl[nfl] = (inflight){.lane = lane, .seq = seq};
          rc = mp_pool_apply_async(local, mp_mpi_chunk, in.p, (size_t)len, NULL, &fl[nfl].r);
          if (rc == 0) nfl++;
        }
        if (rc != 0) {
          (void)mp__wire_error_reply(&reply, lane, seq, MP_EWORKER, rc, mp_strerror(rc));
          if (!send_reply(&snd, &reply)) break;
        }
      }
    }
    for (size_t k = 0; k < nfl; k++) {
      if (!mp_async_result_ready(fl[k].r)) continue;
      progress = true;
      const void *data;
      size_t n;
      int rc = mp_async_result_get(fl[k].r, 0);
      if (rc == 0) rc = mp_async_result_item(fl[k].r, 0, &data, &n);
      if (rc == 0 && mp__wire_reserve(&reply, n) == 0) {
        memcpy(reply.p, data, n);
        reply.len = n;
      } else {
        /* The local worker running it died (or its reply was lost): the chunk fails. */
        const char *why = NULL;
        char msg[MP_TASK_MSG_MAX];
        (void)mp_async_result_error(fl[k].r, NULL, NULL, &why);
        snprintf(msg, sizeof msg, "on MPI rank %d: %s", mp__mpi.rank, why ? why : mp_strerror(rc));
        (void)mp__wire_error_reply(&reply, fl[k].lane, fl[k].seq,
                                   rc == MP_ETASK ? MP_ETASK : MP_EWORKER, 0, msg);
      }
      mp_async_result_free(fl[k].r);
      fl[k--] = fl[--nfl];
      if (!send_reply(&snd, &reply)) {
        mp_log(MP_LOG_ERROR, "MPI rank %d: rank 0 is gone; leaving", mp__mpi.rank);
        stop = true;
        status = 1;
        break;
      }
    }
    int64_t now = mp__mpi_now_ns();
    if (progress) {
      idle_since = now;
      continue;
    }
    if (now - last_look > LOOK_EVERY_NS) { /* rank 0 gone: nothing more will come */
      last_look = now;
      if (!mp__liveness_master_alive()) {
        /* Rank 0 closes the connection as it leaves, perhaps before its stop is read here. */
        int stop_waiting = 0;
        MPI_Iprobe(0, TAG_STOP, MPI_COMM_WORLD, &stop_waiting, MPI_STATUS_IGNORE);
        if (stop_waiting) continue;
        mp_log(MP_LOG_ERROR, "MPI rank %d: rank 0 is gone (its connection closed); leaving",
               mp__mpi.rank);
        status = 1;
        break;
      }
    }
    /* Idle.  While a map runs the next chunk follows the reply within microseconds, or within
     * a scheduler's turn on a machine with more ranks than cores, so the rank keeps polling
     * (MPI's progress engine yields the CPU by itself when oversubscribed) for IDLE_POLL_NS;
     * only then does it sleep, in growing steps, so an idle job costs little CPU. */
    int64_t idle = now - idle_since;
    if (idle < IDLE_POLL_NS) continue;
    struct timespec ts = {0, idle < 10 * IDLE_POLL_NS    ? 50000
                             : idle < 100 * IDLE_POLL_NS ? 200000
                                                         : 1000000};
    nanosleep(&ts, NULL);
  }
  if (local) {
    (void)mp_pool_terminate(local);
    (void)mp_pool_join(local, 5000);
    mp_pool_free(local);
  }
  for (size_t k = 0; k < nfl; k++) mp_async_result_free(fl[k].r);
  free(fl);
  free(in.p);
  free(reply.p);
  if (status == 0 && *finalize && snd.req != MPI_REQUEST_NULL)
    MPI_Wait(&snd.req, MPI_STATUS_IGNORE);
  free(snd.buf.p);
  return status;
}
