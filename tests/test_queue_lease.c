/* SPDX-License-Identifier: MIT */
/* test_queue_lease.c -- the leases with which a queue's one producer or one consumer goes
 * without a CAS (src/queue/lease.c): who takes them, that a second producer or consumer
 * arriving in the middle of a stream revokes them without a message lost or delivered twice,
 * that a dead holder's lease is taken over and one stopped inside an operation times out. */
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "heap/heap.h"
#include "queue/queue_internal.h" /* the leases, to look at them and to die inside one */

static int64_t get_i64(mp_queue *q, mp_timeout_ms t, int *rc) {
  int64_t v = -1;
  size_t len = 0;
  *rc = mp_queue_get_bytes(q, &v, sizeof v, &len, t);
  if (*rc == 0 && len != sizeof v) *rc = -EPROTO;
  return v;
}

static uint64_t owner_of(queue_lease *l) { return atomic_load(&l->owner); }

START_TEST(first_putter_and_getter_take_the_leases) {
  mp_queue *q;
  mp_assert_ok(mp_queue_new(&q, 0));
  ck_assert_uint_eq(owner_of(&q->put_lease), LEASE_FREE);
  ck_assert_uint_eq(owner_of(&q->get_lease), LEASE_FREE);
  int64_t v = 1;
  mp_assert_ok(mp_queue_put_bytes(q, &v, sizeof v, 0));
  ck_assert_uint_eq(owner_of(&q->put_lease), mp__self());
  ck_assert_uint_eq(owner_of(&q->get_lease), LEASE_FREE);
  int rc;
  ck_assert_int_eq(get_i64(q, 0, &rc), 1);
  ck_assert_uint_eq(owner_of(&q->get_lease), mp__self());
  /* a failed get keeps the message and the lease */
  mp_assert_ok(mp_queue_put_bytes(q, "0123456789", 10, 0));
  char small[4];
  size_t len;
  mp_assert_rc(mp_queue_get_bytes(q, small, sizeof small, &len, 0), MP_ETOOBIG);
  ck_assert_int_eq(mp_queue_qsize(q), 1);
  mp_queue_free(q);

  /* a JoinableQueue's puts hold its lock: its put side is shared from the start */
  mp_assert_ok(mp_joinable_queue_new(&q, 0));
  ck_assert_uint_eq(owner_of(&q->put_lease), LEASE_SHARED);
  mp_assert_ok(mp_queue_put_bytes(q, &v, sizeof v, 0));
  ck_assert_uint_eq(owner_of(&q->put_lease), LEASE_SHARED);
  mp_queue_free(q);
}
END_TEST

/* ---- a second producer or consumer in the middle of a stream ---- */

enum { STREAM = 20000, ROUNDS = 60 };

typedef struct {
  mp_queue *q;
  _Atomic int started; /* the child's first operation is done: it holds the lease */
  _Atomic int stop;
  int64_t got[STREAM]; /* the consuming child's messages, in its order */
  _Atomic int64_t ngot;
  _Atomic int err; /* the putting child's failed put's error... */
  _Atomic int64_t err_at; /* ...and its message */
} stream_arg;

static int stream_putter(void *arg) {
  stream_arg *a = arg;
  for (int64_t i = 0; i < STREAM; i++) {
    int rc = mp_queue_put_bytes(a->q, &i, sizeof i, 20000);
    if (rc != 0) {
      atomic_store(&a->err_at, i);
      atomic_store(&a->err, rc);
      return 1;
    }
    if (i == 0) atomic_store(&a->started, 1);
  }
  /* alive until the parent has put: a dead holder's lease would be taken over, not revoked */
  while (!atomic_load(&a->stop)) mp_test_sleep_ms(1);
  return 0;
}

/* The parent's puts (tagged with bit 32) join the child's stream once it has begun: the
 * first revokes the child's lease, wherever the child is inside its put.  Every message of
 * both arrives once, each producer's in its order. */
static void second_producer_round(void) {
  mp_queue *q;
  mp_assert_ok(mp_queue_new(&q, 0));
  stream_arg *a = mp__shared_alloc(sizeof *a);
  ck_assert_ptr_nonnull(a);
  a->q = q;
  mp_process *p = mp_test_start(stream_putter, a);
  while (!atomic_load(&a->started)) sched_yield();
  enum { MINE = 100 };
  for (int64_t i = 0; i < MINE; i++) {
    int64_t v = (INT64_C(1) << 32) | i;
    mp_assert_ok(mp_queue_put_bytes(q, &v, sizeof v, 5000));
  }
  atomic_store(&a->stop, 1);
  int status = mp_test_finish(p);
  ck_assert_msg(status == 0, "the child's put of %lld: %d", (long long)a->err_at, a->err);
  ck_assert_uint_eq(owner_of(&q->put_lease), LEASE_SHARED);
  int64_t next_child = 0, next_mine = 0;
  for (int n = 0; n < STREAM + MINE; n++) {
    int rc;
    int64_t v = get_i64(q, 0, &rc);
    mp_assert_ok(rc);
    if (v >> 32) ck_assert_int_eq(v & 0xffffffff, next_mine++);
    else ck_assert_int_eq(v, next_child++);
  }
  ck_assert(mp_queue_empty(q));
  mp__shared_free(a, sizeof *a);
  mp_queue_free(q);
}

START_TEST(second_producer_revokes_mid_stream) {
  for (int r = 0; r < ROUNDS; r++) second_producer_round();
}
END_TEST

static int stream_getter(void *arg) {
  stream_arg *a = arg;
  while (!atomic_load(&a->stop)) {
    int rc;
    int64_t v = get_i64(a->q, 0, &rc);
    if (rc == MP_EEMPTY) continue;
    if (rc != 0) return 1;
    a->got[atomic_load(&a->ngot)] = v;
    atomic_fetch_add(&a->ngot, 1);
    atomic_store(&a->started, 1);
  }
  return 0;
}

/* The parent gets from the stream a child is taking: its first get revokes the child's lease,
 * wherever the child is inside its get.  Each message is taken once, each taker's in order. */
static void second_consumer_round(void) {
  mp_queue *q;
  mp_assert_ok(mp_queue_new(&q, 0));
  for (int64_t i = 0; i < STREAM; i++) mp_assert_ok(mp_queue_put_bytes(q, &i, sizeof i, 0));
  stream_arg *a = mp__shared_alloc(sizeof *a);
  ck_assert_ptr_nonnull(a);
  a->q = q;
  mp_process *p = mp_test_start(stream_getter, a);
  while (!atomic_load(&a->started)) sched_yield();
  static unsigned char seen[STREAM];
  memset(seen, 0, sizeof seen);
  int64_t mine = 0, last = -1;
  for (;;) {
    int rc;
    int64_t v = get_i64(q, 0, &rc);
    if (rc == MP_EEMPTY) break;
    mp_assert_ok(rc);
    ck_assert_int_gt(v, last);
    last = v;
    seen[v]++;
    mine++;
  }
  atomic_store(&a->stop, 1);
  ck_assert_int_eq(mp_test_finish(p), 0);
  ck_assert_uint_eq(owner_of(&q->get_lease), LEASE_SHARED);
  int64_t n = atomic_load(&a->ngot);
  for (int64_t k = 0; k < n; k++) {
    if (k > 0) ck_assert_int_gt(a->got[k], a->got[k - 1]);
    seen[a->got[k]]++;
  }
  ck_assert_int_eq(n + mine, STREAM);
  for (int64_t i = 0; i < STREAM; i++) ck_assert_int_eq(seen[i], 1);
  mp__shared_free(a, sizeof *a);
  mp_queue_free(q);
}

START_TEST(second_consumer_revokes_mid_stream) {
  for (int r = 0; r < ROUNDS; r++) second_consumer_round();
}
END_TEST

/* ---- holders that die or stop ---- */

typedef struct {
  mp_queue *q;
  int64_t first; /* the message a getter takes first */
  bool getter; /* take the get lease (else the put lease) */
  bool inside; /* then die or stop inside an operation: begun, no store made */
  bool stop; /* stop (SIGSTOP) instead of dying; on SIGCONT, leave the operation */
} holder_arg;

/* Takes a lease with one operation (a put of 100, or a get), then ends, or dies or stops as
 * if inside its next operation. */
static int hold_lease(void *arg) {
  holder_arg *a = arg;
  int rc;
  int64_t v = 100;
  if (a->getter) {
    v = get_i64(a->q, 0, &rc);
    if (rc != 0 || v != a->first) return 1;
  } else if (mp_queue_put_bytes(a->q, &v, sizeof v, 0) != 0) {
    return 1;
  }
  queue_lease *l = a->getter ? &a->q->get_lease : &a->q->put_lease;
  if (owner_of(l) != mp__self()) return 2;
  if (!a->inside) return 0;
  atomic_store(&l->working, mp__qlease_pos(a->q, l) + 1); /* as mp__qleased_enter() */
  raise(a->stop ? SIGSTOP : SIGKILL);
  atomic_store(&l->working, 0); /* as mp__qleased_abandon() */
  return 0;
}

START_TEST(dead_holders_lease_is_taken_over) {
  for (int inside = 0; inside < 2; inside++) {
    mp_queue *q;
    mp_assert_ok(mp_queue_new(&q, 0));
    /* a putter that ends, or dies inside its next put: the next putter takes its lease */
    holder_arg put = {q, 0, false, inside, false};
    ck_assert_int_eq(mp_test_finish(mp_test_start(hold_lease, &put)), inside ? -SIGKILL : 0);
    for (int64_t v = 101; v <= 102; v++) mp_assert_ok(mp_queue_put_bytes(q, &v, sizeof v, 5000));
    ck_assert_uint_eq(owner_of(&q->put_lease), mp__self());
    /* a getter that ends, or dies inside its next get: that message stays queued, first */
    holder_arg get = {q, 100, true, inside, false};
    ck_assert_int_eq(mp_test_finish(mp_test_start(hold_lease, &get)), inside ? -SIGKILL : 0);
    int rc;
    ck_assert_int_eq(get_i64(q, 5000, &rc), 101);
    ck_assert_uint_eq(owner_of(&q->get_lease), mp__self());
    ck_assert_int_eq(get_i64(q, 0, &rc), 102);
    ck_assert(mp_queue_empty(q));
    mp_queue_free(q);
  }
}
END_TEST

/* A holder stopped inside an operation holds the other side's calls for their timeout (at
 * least a short grace, as a claim does) and no longer: they fail as a full put or an empty
 * get would, and go on once it leaves the operation. */
START_TEST(stopped_holder_times_out) {
  for (int getter = 0; getter < 2; getter++) {
    mp_queue *q;
    mp_assert_ok(mp_queue_new(&q, 0));
    int64_t v = 7;
    if (getter) { /* the parent holds the put lease; the child takes 0 */
      for (int64_t i = 0; i < 2; i++) mp_assert_ok(mp_queue_put_bytes(q, &i, sizeof i, 0));
    }
    holder_arg h = {q, 0, getter != 0, true, true};
    mp_process *p = mp_test_start(hold_lease, &h);
    queue_lease *l = getter ? &q->get_lease : &q->put_lease;
    while (!mp__qlease_in_flight(q, l)) mp_test_sleep_ms(1);
    int rc;
    int64_t t0 = mp_test_now_ms();
    if (getter) {
      get_i64(q, 300, &rc);
      mp_assert_rc(rc, MP_EEMPTY);
    } else {
      mp_assert_rc(mp_queue_put_bytes(q, &v, sizeof v, 300), MP_EFULL);
    }
    int64_t waited = mp_test_now_ms() - t0;
    ck_assert_int_ge(waited, 290);
    ck_assert_int_lt(waited, 5000);
    kill(mp_process_pid(p), SIGCONT);
    ck_assert_int_eq(mp_test_finish(p), 0);
    if (getter) {
      ck_assert_int_eq(get_i64(q, 5000, &rc), 1);
    } else {
      mp_assert_ok(mp_queue_put_bytes(q, &v, sizeof v, 5000));
      ck_assert_int_eq(get_i64(q, 0, &rc), 100);
      ck_assert_int_eq(get_i64(q, 0, &rc), 7);
    }
    ck_assert(mp_queue_empty(q));
    mp_queue_free(q);
  }
}
END_TEST

Suite *mp_test_suite(void) {
  Suite *s = suite_create("queue_lease");
  TCase *tc = mp_tcase("queue_lease", 120);
  tcase_add_test(tc, first_putter_and_getter_take_the_leases);
  tcase_add_test(tc, second_producer_revokes_mid_stream);
  tcase_add_test(tc, second_consumer_revokes_mid_stream);
  tcase_add_test(tc, dead_holders_lease_is_taken_over);
  tcase_add_test(tc, stopped_holder_times_out);
  suite_add_tcase(s, tc);
  return s;
}
