/* SPDX-License-Identifier: MIT */
/* test_queue_watch.c -- mp_queue_watch: an fd an event loop polls for a queue's messages.  It
 * fires for a message put by another process, stays quiet on an empty queue, fires again after
 * its counter is read while messages remain, fires for a close, and for a message that a dead
 * get held (which only the watch is there to put back). */
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <unistd.h>

#include "harness.h"
#include "queue/queue_internal.h" /* a slot's claim, to die holding it */

static bool readable(int fd, int timeout_ms) {
  struct pollfd p = {.fd = fd, .events = POLLIN};
  int n = poll(&p, 1, timeout_ms);
  ck_assert_int_ge(n, 0);
  return n == 1 && (p.revents & POLLIN);
}

static void read_counter(int fd) {
  uint64_t v;
  ck_assert_int_eq(read(fd, &v, sizeof v), (ssize_t)sizeof v);
}

static int64_t get_now(mp_queue *q) {
  int64_t v = -1;
  size_t len = 0;
  mp_assert_ok(mp_queue_get_bytes(q, &v, sizeof v, &len, 0));
  ck_assert_uint_eq(len, sizeof v);
  return v;
}

static int put_later(void *arg) {
  mp_test_sleep_ms(50);
  int64_t v = 7;
  return mp_queue_put_bytes(arg, &v, sizeof v, 5000) == 0 ? 0 : 1;
}

START_TEST(fires_for_messages) {
  mp_queue *q;
  mp_assert_ok(mp_queue_new(&q, 0));
  mp_queue_watch *w;
  mp_assert_ok(mp_queue_watch_new(q, &w));
  int fd = mp_queue_watch_fd(w);
  ck_assert_int_ge(fd, 0);
  ck_assert(!readable(fd, 100)); /* empty: quiet */
  mp_process *p = mp_test_start(put_later, q);
  ck_assert(readable(fd, 5000)); /* another process's put */
  ck_assert_int_eq(mp_test_finish(p), 0);
  ck_assert_int_eq(get_now(q), 7);
  read_counter(fd);
  ck_assert(!readable(fd, 100)); /* taken and read: quiet again */
  /* two messages: readable after each read of the counter while one remains */
  for (int64_t v = 1; v <= 2; v++) mp_assert_ok(mp_queue_put_bytes(q, &v, sizeof v, 0));
  ck_assert(readable(fd, 5000));
  read_counter(fd);
  ck_assert(readable(fd, 5000)); /* both still there */
  ck_assert_int_eq(get_now(q), 1);
  read_counter(fd);
  ck_assert(readable(fd, 5000));
  ck_assert_int_eq(get_now(q), 2);
  read_counter(fd);
  ck_assert(!readable(fd, 100));
  /* a closed queue stays readable, and its get says so */
  mp_assert_ok(mp_queue_close(q));
  ck_assert(readable(fd, 5000));
  int64_t v;
  size_t len;
  mp_assert_rc(mp_queue_get_bytes(q, &v, sizeof v, &len, 0), MP_ECLOSED);
  read_counter(fd);
  ck_assert(readable(fd, 5000));
  mp_queue_watch_free(w);
  mp_queue_free(q);
}
END_TEST

/* The watch's thread is waiting in either of its two steps when it is freed: both end. */
START_TEST(free_in_either_step) {
  mp_queue *q;
  mp_assert_ok(mp_queue_new(&q, 2));
  mp_queue_watch *w;
  mp_assert_ok(mp_queue_watch_new(q, &w));
  mp_test_sleep_ms(20); /* asleep as a getter */
  mp_queue_watch_free(w);
  int64_t v = 1;
  mp_assert_ok(mp_queue_put_bytes(q, &v, sizeof v, 0));
  mp_assert_ok(mp_queue_watch_new(q, &w));
  ck_assert(readable(mp_queue_watch_fd(w), 5000)); /* waiting for the read of its counter */
  mp_queue_watch_free(w);
  ck_assert_int_eq(get_now(q), 1);
  mp_queue_free(q);
}
END_TEST

START_TEST(bad_arguments) {
  mp_queue_watch *w = (mp_queue_watch *)1;
  mp_assert_rc(mp_queue_watch_new(NULL, &w), -EINVAL);
  ck_assert_ptr_null(w);
  mp_queue *q;
  mp_assert_ok(mp_queue_new(&q, 0));
  mp_assert_rc(mp_queue_watch_new(q, NULL), -EINVAL);
  mp_assert_rc(mp_queue_watch_fd(NULL), -EINVAL);
  mp_queue_watch_free(NULL);
  mp_queue_free(q);
}
END_TEST

/* A get killed holding its claim on the head's message: once the watch has put the message
 * back (after one sleep slice), it is announced, with no get waiting to heal it.  (A dead
 * put's claim is always at the tail, with nothing behind it for the watch to announce: the
 * next put heals it.) */
static int claim_head_and_die(void *arg) {
  mp_queue *q = arg;
  queue_seg *g = atomic_load(&q->cons);
  uint64_t pos = atomic_load(&g->head);
  uint64_t want = pos + 1;
  if (!atomic_compare_exchange_strong(&g->s[pos & (g->cap - 1)].state, &want,
                                      mp__qslot_claim(mp__self(), SLOT_READING)))
    return 1;
  kill(getpid(), SIGKILL);
  return 2;
}

START_TEST(heals_a_dead_claim) {
  mp_queue *q;
  mp_assert_ok(mp_queue_new(&q, 4));
  int64_t v = 9;
  mp_assert_ok(mp_queue_put_bytes(q, &v, sizeof v, 0));
  ck_assert_int_eq(mp_test_finish(mp_test_start(claim_head_and_die, q)), -SIGKILL);
  mp_queue_watch *w;
  mp_assert_ok(mp_queue_watch_new(q, &w));
  ck_assert(readable(mp_queue_watch_fd(w), 5000));
  ck_assert_int_eq(get_now(q), 9); /* put back by the watch: a get that does not wait takes it */
  mp_queue_watch_free(w);
  mp_queue_free(q);
}
END_TEST

Suite *mp_test_suite(void) {
  Suite *s = suite_create("queue_watch");
  TCase *tc = mp_tcase("queue_watch", 30);
  tcase_add_test(tc, fires_for_messages);
  tcase_add_test(tc, free_in_either_step);
  tcase_add_test(tc, bad_arguments);
  tcase_add_test(tc, heals_a_dead_claim);
  suite_add_tcase(s, tc);
  return s;
}
