/* SPDX-License-Identifier: MIT */
/* chaos_queue.c -- a Queue with two putters and two getters, one of the four SIGKILLed at a
 * random moment (inside a put or a get, holding a slot's claim or not).  Iterations alternate
 * a bounded queue (one ring, putters wait for room) and an unbounded one (its rings grow while
 * the putters run ahead of the getters, so kills land in the middle of chaining and sealing).
 *
 * Each putter puts Q_MSGS numbered messages, of lengths that alternate between the inline form
 * (up to MP_QUEUE_INLINE_MAX bytes in the ring slot) and heap blocks, and marks in shared memory every put that
 * returned.  Each getter checks every message it takes (its length and a pattern derived from
 * its number: a torn message fails) and counts it against its number.  Afterwards the
 * scenario process drains what is left.  A message whose put returned must have been received
 * exactly once -- except that a killed getter may have taken one message into its own memory
 * when it died, which then never reaches the counts: one such message per killed getter is
 * not counted as lost.  A put killed before it returned may be delivered or not, never twice. */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "chaos.h"

#define Q_PUTTERS 2
#define Q_GETTERS 2
#define Q_MSGS 1000
#define Q_MAXSIZE 32
#define Q_MAXLEN 1500
#define Q_TIMEOUT 5000 /* ms: a survivor's put or get waiting longer is a hang */

typedef struct {
  uint32_t putter, seq, len, pad;
} qmsg_hdr;

typedef struct {
  mp_queue *q;
  int id;
  _Atomic int stop;
  _Atomic int hangs, torn;
  _Atomic long puts; /* returned, all putters together */
  _Atomic uint8_t returned[Q_PUTTERS][Q_MSGS];
  _Atomic uint16_t received[Q_PUTTERS][Q_MSGS];
} qstate;

typedef struct {
  qstate *s;
  int id;
} qarg;

static size_t msg_len(uint32_t seq) {
  return seq % 3 == 0 ? sizeof(qmsg_hdr) + 8 : sizeof(qmsg_hdr) + 64 + (seq * 37) % Q_MAXLEN;
}

static uint8_t pattern(uint32_t putter, uint32_t seq, size_t i) {
  return (uint8_t)(putter * 131 + seq * 7 + i);
}

static int putter(void *arg) {
  qarg *a = arg;
  uint8_t buf[sizeof(qmsg_hdr) + 64 + Q_MAXLEN];
  for (uint32_t seq = 0; seq < Q_MSGS; seq++) {
    size_t len = msg_len(seq);
    qmsg_hdr h = {(uint32_t)a->id, seq, (uint32_t)len, 0};
    memcpy(buf, &h, sizeof h);
    for (size_t i = sizeof h; i < len; i++) buf[i] = pattern(h.putter, seq, i);
    int64_t t0 = chaos_now_ms();
    int rc = mp_queue_put_bytes(a->s->q, buf, len, Q_TIMEOUT);
    if (rc == 0) {
      atomic_store(&a->s->returned[a->id][seq], 1);
      atomic_fetch_add(&a->s->puts, 1);
    } else {
      /* full for the whole timeout with a getter alive is a hang; anything else unexpected */
      if (rc == MP_EFULL && chaos_now_ms() - t0 >= Q_TIMEOUT)
        atomic_fetch_add(&a->s->hangs, 1);
      else
        atomic_fetch_add(&a->s->torn, 1);
      return 1;
    }
  }
  return 0;
}

/* Checks one message and counts it; returns false when it is torn. */
static bool take(qstate *s, const uint8_t *buf, size_t len) {
  qmsg_hdr h;
  if (len < sizeof h) return false;
  memcpy(&h, buf, sizeof h);
  if (h.putter >= Q_PUTTERS || h.seq >= Q_MSGS || h.len != len || msg_len(h.seq) != len)
    return false;
  for (size_t i = sizeof h; i < len; i++)
    if (buf[i] != pattern(h.putter, h.seq, i)) return false;
  atomic_fetch_add(&s->received[h.putter][h.seq], 1);
  return true;
}

static int getter(void *arg) {
  qarg *a = arg;
  static uint8_t buf[sizeof(qmsg_hdr) + 64 + Q_MAXLEN];
  for (;;) {
    size_t len = 0;
    int64_t t0 = chaos_now_ms();
    int rc = mp_queue_get_bytes(a->s->q, buf, sizeof buf, &len, 100);
    if (rc == 0) {
      if (!take(a->s, buf, len)) atomic_fetch_add(&a->s->torn, 1);
    } else if (rc == MP_EEMPTY) {
      if (chaos_now_ms() - t0 > 100 + 2000) atomic_fetch_add(&a->s->hangs, 1);
      if (atomic_load(&a->s->stop)) return 0;
    } else {
      atomic_fetch_add(&a->s->torn, 1); /* an unexpected result: too big, closed, ... */
      return 1;
    }
  }
}

static void iteration(chaos_row *row, qstate *s, bool bounded) {
  memset(s, 0, sizeof *s);
  if (mp_queue_new(&s->q, bounded ? Q_MAXSIZE : 0) != 0) {
    chaos_note(row, "mp_queue_new failed");
    row->torn++;
    return;
  }
  qarg args[Q_PUTTERS + Q_GETTERS];
  mp_process *procs[Q_PUTTERS + Q_GETTERS];
  for (int i = 0; i < Q_PUTTERS + Q_GETTERS; i++) {
    args[i] = (qarg){s, i < Q_PUTTERS ? i : i - Q_PUTTERS};
    procs[i] = chaos_start(i < Q_PUTTERS ? putter : getter, &args[i]);
  }
  /* A random moment in the run: once a random share of the puts have returned (so the kill
   * lands while the putters still put), and a random few microseconds more. */
  long at = (long)chaos_below(Q_PUTTERS * Q_MSGS);
  int64_t give_up = chaos_now_ms() + 5000;
  while (atomic_load(&s->puts) < at && chaos_now_ms() < give_up) chaos_sleep_us(100);
  chaos_sleep_us((int64_t)chaos_below(500));
  int victim = (int)chaos_below(Q_PUTTERS + Q_GETTERS);
  if (chaos_kill(procs[victim])) row->kills++;
  int hung = 0;
  for (int i = 0; i < Q_PUTTERS; i++) hung += chaos_finish(procs[i], 30000);
  atomic_store(&s->stop, 1);
  for (int i = Q_PUTTERS; i < Q_PUTTERS + Q_GETTERS; i++) hung += chaos_finish(procs[i], 30000);
  /* what no getter took */
  static uint8_t buf[sizeof(qmsg_hdr) + 64 + Q_MAXLEN];
  size_t len;
  int rc;
  while ((rc = mp_queue_get_bytes(s->q, buf, sizeof buf, &len, 0)) == 0)
    if (!take(s, buf, len)) s->torn++;
  if (rc != MP_EEMPTY) {
    chaos_note(row, "draining the queue: %s", mp_err_name(rc));
    row->torn++;
  }
  long missing = 0, dup = 0;
  for (int p = 0; p < Q_PUTTERS; p++)
    for (int q = 0; q < Q_MSGS; q++) {
      unsigned got = s->received[p][q];
      if (got > 1) dup += got - 1;
      if (got == 0 && s->returned[p][q]) missing++;
    }
  long allowed = victim >= Q_PUTTERS ? 1 : 0; /* the message a killed getter may have held */
  long lost = missing > allowed ? missing - allowed : 0;
  if (lost) chaos_note(row, "iteration %ld: %ld messages lost", row->iterations, lost);
  if (dup) chaos_note(row, "iteration %ld: %ld messages duplicated", row->iterations, dup);
  if (s->torn) chaos_note(row, "iteration %ld: %d torn messages", row->iterations, s->torn);
  row->lost += lost;
  row->duplicated += dup;
  row->torn += s->torn;
  row->hangs += hung + s->hangs;
  mp_queue_free(s->q);
}

void chaos_queue(chaos_row *row, int64_t deadline_ms, long max_iters) {
  qstate *s = chaos_shared(sizeof *s);
  chaos_census before;
  chaos_census_take(&before);
  while (chaos_now_ms() < deadline_ms && (max_iters == 0 || row->iterations < max_iters)) {
    iteration(row, s, row->iterations % 2 == 0);
    row->iterations++;
    row->leaks += chaos_leaks(row, &before, 3000);
  }
}
