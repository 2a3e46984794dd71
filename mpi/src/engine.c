/* SPDX-License-Identifier: MIT */
/* engine.c -- rank 0 serving an MPI pool: one thread that is the pool's every slot at once.
 *
 * A slot is one lane of one worker rank.  For each idle slot the engine claims a chunk and
 * sends it (MPI_Isend); it takes replies as they come (MPI_Improbe on any rank, then the
 * receive of the probed message, which is already there); it looks at the liveness connections
 * every few milliseconds.  It never blocks inside MPI: a blocking call involving a dead rank
 * never returns (docs/mpi-engines.md).  While chunks are out it polls, yielding the CPU once
 * the replies are slow to come, then sleeping in growing steps; with nothing out it sleeps on
 * the pool's work counter.
 *
 * Replies carry the sequence number of the message they answer, so a reply to a chunk the
 * engine failed at terminate(), arriving later (even during the next pool), is recognised and
 * dropped. */
#include <mpi.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mpi_internal.h"

typedef struct eslot {
  int rank, lane;
  bool busy, exited;
  uint64_t seq; /* of the message out, when busy */
  mp_pool_chunk chunk;
  MPI_Request send; /* MPI_REQUEST_NULL when none */
  wire_buf buf; /* the message out; kept until its send is complete */
} eslot;

typedef struct engine {
  mp_pool *pool;
  int nslots;
  eslot *slots;
  pthread_t thread;
  _Atomic int terminated;
  _Atomic int live; /* slots not exited: at 0 the thread is leaving, and is joined */
} engine;

/* How long the engine polls for replies with chunks out before it sleeps between polls (50 us
 * steps, 200 us once replies have been slow for 5 ms): replies of short tasks come within it,
 * and tasks long enough to outlast it lose a sleep step at most, while the engine's polling
 * does not take a core from them. */
#define BUSY_POLL_NS INT64_C(2000000)

static engine the_engine;
static uint64_t seq_counter; /* message numbers, never reused, across pools */

static int slots_of_live_ranks(void) {
  int n = 0;
  for (int r = 1; r < mp__mpi.size; r++)
    if (!mp__mpi.ranks[r].lost) n += mp__mpi.ranks[r].lanes;
  return n;
}

static int backend_slots(void *ctx) {
  (void)ctx;
  if (!mp__mpi.initialised || mp__mpi.rank != 0) return MP_ESTATE;
  if (mp__mpi_engine_reap() != 0) return -EBUSY;
  int n = slots_of_live_ranks();
  return n > 0 ? n : MP_EBROKEN;
}

/* Ends slot i for good, naming it. */
static void slot_exit(engine *e, int i, int code) {
  eslot *s = &e->slots[i];
  if (s->exited) return;
  char what[96];
  snprintf(what, sizeof what, "MPI rank %d on host %.48s", s->rank, mp__mpi.ranks[s->rank].host);
  s->exited = true;
  atomic_fetch_sub(&e->live, 1);
  (void)mp_pool_backend_slot_exit(e->pool, i, code, what);
}

/* Fails what slot i holds because its rank is lost (why: how that was seen), and ends the
 * slot. */
static void slot_lost(engine *e, int i, const char *why) {
  eslot *s = &e->slots[i];
  if (s->exited) return;
  if (s->busy) {
    char msg[MP_TASK_MSG_MAX];
    snprintf(msg, sizeof msg, "MPI rank %d on host %.48s was lost while running the task (%s)",
             s->rank, mp__mpi.ranks[s->rank].host, why);
    (void)mp_pool_backend_complete(e->pool, i, &s->chunk, MP_EWORKER, 0, msg);
    s->busy = false;
  }
  if (s->send != MPI_REQUEST_NULL) {
    /* A send to a dead rank may never complete: its request and buffer are abandoned. */
    MPI_Request_free(&s->send);
    s->buf = (wire_buf){0};
  }
  slot_exit(e, i, 1);
}

static int slot_of(const engine *e, int rank, int lane) {
  for (int i = 0; i < e->nslots; i++)
    if (e->slots[i].rank == rank && e->slots[i].lane == lane) return i;
  return -1;
}

/* Sends slot i a chunk if it is idle and there is one.  Returns 1 if it sent. */
static int feed(engine *e, int i, uint32_t *seq) {
  eslot *s = &e->slots[i];
  if (s->busy || s->exited) return 0;
  if (atomic_load(&e->terminated)) {
    slot_exit(e, i, 0);
    return 0;
  }
  int r = mp_pool_backend_claim(e->pool, i, &s->chunk, seq);
  if (r == MP_ECLOSED) {
    slot_exit(e, i, 0);
    return 0;
  }
  if (r != 1) return 0;
  if (s->send != MPI_REQUEST_NULL)
    MPI_Wait(&s->send, MPI_STATUS_IGNORE); /* done: it was answered */
  s->seq = ++seq_counter;
  if (mp__wire_pack_task(&s->buf, &s->chunk, s->lane, s->seq) != 0) {
    (void)mp_pool_backend_complete(e->pool, i, &s->chunk, -ENOMEM, 0,
                                   "rank 0 ran out of memory packing the chunk");
    return 0;
  }
  if (s->buf.len > (size_t)INT32_MAX) {
    (void)mp_pool_backend_complete(e->pool, i, &s->chunk, MP_ETOOBIG, 0,
                                   "the chunk is over MPI's 2 GiB message limit");
    return 0;
  }
  if (MPI_Isend(s->buf.p, (int)s->buf.len, MPI_BYTE, s->rank, TAG_TASK, MPI_COMM_WORLD, &s->send) !=
      MPI_SUCCESS) {
    /* Nothing went out, so no reply will come: the chunk fails now rather than wait. */
    s->send = MPI_REQUEST_NULL;
    (void)mp_pool_backend_complete(e->pool, i, &s->chunk, MP_EBROKEN, 0,
                                   "MPI could not send the chunk to its rank");
    return 0;
  }
  s->busy = true;
  return 1;
}

/* Takes every reply that has arrived.  Returns how many. */
static int drain(engine *e, wire_buf *in) {
  int got = 0;
  for (;;) {
    int flag = 0;
    MPI_Status st;
    MPI_Message m;
    /* A matched probe: the receive takes the very message probed, without matching again. */
    MPI_Improbe(MPI_ANY_SOURCE, TAG_RESULT, MPI_COMM_WORLD, &flag, &m, &st);
    if (!flag) return got;
    int len = 0;
    MPI_Get_count(&st, MPI_BYTE, &len);
    if (len < 0 || mp__wire_reserve(in, (size_t)len + 1)) len = 0; /* read as corrupt below */
    MPI_Mrecv(in->p, len, MPI_BYTE, &m, MPI_STATUS_IGNORE);
    got++;
    wire_reply_view v;
    int i = mp__wire_reply_parse(in->p, (size_t)len, &v) == 0 ? slot_of(e, st.MPI_SOURCE, v.h.lane)
                                                              : -1;
    if (i < 0) {
      /* A reply that names no chunk of ours cannot be matched to what the rank holds: the
       * rank is broken, and treated as lost, so that its chunks fail instead of waiting. */
      if (st.MPI_SOURCE > 0 && st.MPI_SOURCE < mp__mpi.size) {
        const char *why = "it sent a reply that names no chunk of this pool";
        mp__mpi_rank_lost(st.MPI_SOURCE, why);
        for (int k = 0; k < e->nslots; k++)
          if (e->slots[k].rank == st.MPI_SOURCE) slot_lost(e, k, why);
      }
      continue;
    }
    eslot *s = &e->slots[i];
    if (!s->busy || s->seq != v.h.seq) continue; /* a reply to a chunk failed at terminate() */
    (void)mp__wire_store_reply(e->pool, i, &s->chunk, &v);
    s->busy = false;
    /* The rank is idle now: its next chunk goes out before the next probe, which on a machine
     * with more ranks than cores may give the CPU away for a whole turn. */
    uint32_t seq;
    (void)feed(e, i, &seq);
  }
}

static void check_ranks(engine *e) {
  if (mp__liveness_check() == 0) return;
  for (int i = 0; i < e->nslots; i++)
    if (mp__mpi.ranks[e->slots[i].rank].lost) slot_lost(e, i, "its connection to rank 0 closed");
}

static void *engine_main(void *arg) {
  engine *e = arg;
  wire_buf in = {0};
  int64_t last_check = 0, quiet_since = 0;
  for (;;) {
    int live = 0, busy = 0, progress = 0;
    uint32_t seq = 0;
    if (atomic_load(&e->terminated)) /* a remote task cannot be stopped: its reply is dropped */
      for (int i = 0; i < e->nslots; i++)
        if (e->slots[i].busy) {
          (void)mp_pool_backend_complete(e->pool, i, &e->slots[i].chunk, MP_ECLOSED, 0,
                                         "the pool was terminated while the task ran");
          e->slots[i].busy = false;
        }
    for (int i = 0; i < e->nslots; i++) progress += feed(e, i, &seq);
    progress += drain(e, &in);
    for (int i = 0; i < e->nslots; i++) {
      live += !e->slots[i].exited;
      busy += e->slots[i].busy;
    }
    if (live == 0) break;
    int64_t now = mp__mpi_now_ns();
    if (now - last_check > 2000000) { /* every 2 ms */
      check_ranks(e);
      last_check = now;
    }
    if (progress) {
      quiet_since = now;
      continue;
    }
    if (busy == 0) {
      /* Nothing out: sleep until work comes, waking to watch the ranks. */
      (void)mp_pool_backend_wait_work(e->pool, seq, 20);
      check_ranks(e);
      last_check = mp__mpi_now_ns();
      continue;
    }
    /* Chunks are out: poll.  On a machine with more ranks than cores MPI's progress engine
     * yields the CPU at every empty poll, which is what lets the ranks' replies be computed;
     * only when replies have been slow for a long while (long tasks) does the engine sleep,
     * in short steps, so that it does not take a core from the work. */
    int64_t quiet = now - quiet_since;
    if (quiet < BUSY_POLL_NS) continue;
    struct timespec ts = {0, quiet < 5000000 ? 50000 : 200000};
    nanosleep(&ts, NULL);
  }
  /* A send not complete yet (to a lost rank, or one still busy after terminate) is not waited
   * for: its request is freed and its buffer left to MPI. */
  for (int i = 0; i < e->nslots; i++) {
    eslot *s = &e->slots[i];
    int flag = 0;
    if (s->send != MPI_REQUEST_NULL) MPI_Test(&s->send, &flag, MPI_STATUS_IGNORE);
    if (s->send != MPI_REQUEST_NULL && !flag) {
      MPI_Request_free(&s->send);
      s->buf = (wire_buf){0};
    }
  }
  free(in.p);
  return NULL;
}

static int backend_start(mp_pool *p, void *ctx) {
  (void)ctx;
  engine *e = &the_engine;
  if (mp__mpi_engine_reap() != 0) return -EBUSY;
  int n = slots_of_live_ranks();
  if (n <= 0) return MP_EBROKEN;
  if (n != mp_pool_size(p)) return MP_ESTATE; /* a rank was lost between slots() and now */
  eslot *slots = calloc((size_t)n, sizeof *slots);
  if (slots == NULL) return -ENOMEM;
  int k = 0;
  for (int r = 1; r < mp__mpi.size; r++) {
    if (mp__mpi.ranks[r].lost) continue;
    for (int l = 0; l < mp__mpi.ranks[r].lanes; l++)
      slots[k++] = (eslot){.rank = r, .lane = l, .send = MPI_REQUEST_NULL};
  }
  /* Slots are handed out lane-major (every rank's lane 0 first), so a small map spreads over
   * the machines before it doubles up on one. */
  eslot *order = calloc((size_t)n, sizeof *order);
  if (order == NULL) {
    free(slots);
    return -ENOMEM;
  }
  int o = 0;
  for (int l = 0; o < n; l++)
    for (int i = 0; i < n; i++)
      if (slots[i].lane == l) order[o++] = slots[i];
  free(slots);
  if (e->slots) { /* the previous pool's, kept until now for its abandoned buffers */
    for (int i = 0; i < e->nslots; i++) free(e->slots[i].buf.p);
    free(e->slots);
  }
  e->pool = p;
  e->nslots = n;
  e->slots = order;
  atomic_store(&e->terminated, 0);
  atomic_store(&e->live, n);
  mp__mpi.pool_live = true;
  int rc = -pthread_create(&e->thread, NULL, engine_main, e);
  if (rc != 0) {
    mp__mpi.pool_live = false;
    return rc;
  }
  return 0;
}

static void backend_terminate(mp_pool *p, void *ctx) {
  (void)p;
  (void)ctx;
  atomic_store(&the_engine.terminated, 1);
}

int mp__mpi_engine_reap(void) {
  engine *e = &the_engine;
  if (!mp__mpi.pool_live) return 0;
  if (atomic_load(&e->live) > 0) return -EBUSY;
  pthread_join(e->thread, NULL);
  mp__mpi.pool_live = false;
  return 0;
}

static mp_pool_backend backend = {
    .name = "mpi", .slots = backend_slots, .start = backend_start, .terminate = backend_terminate};

const mp_pool_backend *mp__mpi_engine_backend(void) { return &backend; }
