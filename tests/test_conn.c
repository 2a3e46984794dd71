/* SPDX-License-Identifier: MIT */
/* test_conn.c -- Pipe/Connection and connection.wait: bytes and values, framing
 * (Python's, including the long form), EOF across processes, size guards, corrupt frames,
 * timeouts in the middle of a frame, SIGPIPE-free sends and wait on connections + sentinels. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "harness.h"

/* Writes raw bytes to a connection's socket, bypassing the framing. */
static void raw_write(mp_conn *c, const void *buf, size_t len) {
  ck_assert_int_eq(send(mp_conn_fileno(c), buf, len, MSG_NOSIGNAL), (ssize_t)len);
}

/* Receives one message and checks it equals want (len bytes). */
static void expect_msg(mp_conn *c, const void *want, size_t len) {
  void *buf = NULL;
  size_t n = 99;
  mp_assert_ok(mp_conn_recv_bytes(c, &buf, &n, 0, 10000));
  ck_assert_ptr_nonnull(buf);
  ck_assert_uint_eq(n, len);
  ck_assert(len == 0 || memcmp(buf, want, len) == 0);
  free(buf);
}

START_TEST(duplex_both_ways) {
  mp_conn *a, *b;
  mp_assert_ok(mp_pipe(&a, &b, true));
  ck_assert(mp_conn_readable(a) && mp_conn_writable(a));
  ck_assert(mp_conn_readable(b) && mp_conn_writable(b));
  ck_assert_int_ge(mp_conn_fileno(a), 0);
  mp_assert_ok(mp_conn_send_bytes(a, "hello", 0, 5, MP_FOREVER));
  mp_assert_ok(mp_conn_send_bytes(b, "xxworldxx", 2, 5, MP_FOREVER)); /* offset and size */
  expect_msg(b, "hello", 5);
  expect_msg(a, "world", 5);
  /* Several queued messages come out one by one, in order. */
  for (int i = 0; i < 100; i++) mp_assert_ok(mp_conn_send_bytes(a, &i, 0, sizeof i, 1000));
  for (int i = 0; i < 100; i++) expect_msg(b, &i, sizeof i);
  mp_conn_free(a);
  mp_conn_free(b);
}
END_TEST

START_TEST(one_way) {
  mp_conn *r, *w;
  mp_assert_ok(mp_pipe(&r, &w, false));
  ck_assert(mp_conn_readable(r) && !mp_conn_writable(r));
  ck_assert(!mp_conn_readable(w) && mp_conn_writable(w));
  mp_assert_rc(mp_conn_send_bytes(r, "x", 0, 1, 0), MP_ESTATE);
  void *buf;
  size_t n;
  mp_assert_rc(mp_conn_recv_bytes(w, &buf, &n, 0, 0), MP_ESTATE);
  mp_assert_rc(mp_conn_poll(w, 0), MP_ESTATE);
  mp_assert_ok(mp_conn_send_bytes(w, "one", 0, 3, MP_FOREVER));
  expect_msg(r, "one", 3);
  mp_conn_close(w);
  mp_assert_rc(mp_conn_recv_bytes(r, &buf, &n, 0, 1000), MP_EOF);
  mp_conn_free(r);
  mp_conn_free(w);
}
END_TEST

START_TEST(empty_and_one_byte) {
  mp_conn *a, *b;
  mp_assert_ok(mp_pipe(&a, &b, true));
  mp_assert_ok(mp_conn_send_bytes(a, NULL, 0, 0, MP_FOREVER));
  mp_assert_ok(mp_conn_send_bytes(a, "z", 0, 1, MP_FOREVER));
  mp_assert_ok(mp_conn_send_bytes(a, "", 0, 0, MP_FOREVER));
  expect_msg(b, NULL, 0);
  expect_msg(b, "z", 1);
  char buf[4];
  size_t n = 7;
  mp_assert_ok(mp_conn_recv_bytes_into(b, buf, sizeof buf, 4, &n, 1000)); /* empty fits at end */
  ck_assert_uint_eq(n, 0);
  mp_conn_free(a);
  mp_conn_free(b);
}
END_TEST

/* ---- a child writes, the parent reads ---- */

#define BIG (1u << 20)

typedef struct {
  mp_conn *mine, *theirs; /* the child's end and the parent's end */
  int count;
} child_args;

static int send_big_then_exit(void *arg) {
  child_args *ca = arg;
  mp_conn_close(ca->theirs); /* the parent's end is not ours to keep open */
  unsigned char *big = malloc(BIG);
  if (big == NULL) return 1;
  for (size_t i = 0; i < BIG; i++) big[i] = (unsigned char)(i * 7 + 3);
  int rc = 0;
  for (int i = 0; i < ca->count && rc == 0; i++) {
    rc = mp_conn_send_bytes(ca->mine, &i, 0, sizeof i, MP_FOREVER);
    if (rc == 0) rc = mp_conn_send_bytes(ca->mine, big, 0, BIG, MP_FOREVER);
  }
  free(big);
  return rc == 0 ? 0 : 2;
}

START_TEST(child_writes_parent_reads_until_eof) {
  for (int duplex = 0; duplex < 2; duplex++) {
    mp_conn *r, *w;
    mp_assert_ok(mp_pipe(&r, &w, duplex));
    child_args ca = {.mine = w, .theirs = r, .count = 3};
    mp_process *p = mp_test_start(send_big_then_exit, &ca);
    mp_conn_close(w); /* only the child writes now */
    for (int i = 0; i < 3; i++) {
      int got = -1;
      size_t n = 0;
      mp_assert_ok(mp_conn_recv_bytes_into(r, &got, sizeof got, 0, &n, 10000));
      ck_assert_uint_eq(n, sizeof got);
      ck_assert_int_eq(got, i);
      void *buf;
      mp_assert_ok(mp_conn_recv_bytes(r, &buf, &n, BIG, 10000));
      ck_assert_uint_eq(n, BIG);
      const unsigned char *u = buf;
      for (size_t k = 0; k < BIG; k += 4093) ck_assert_uint_eq(u[k], (unsigned char)(k * 7 + 3));
      ck_assert_uint_eq(u[BIG - 1], (unsigned char)((BIG - 1) * 7 + 3));
      free(buf);
    }
    void *buf;
    size_t n;
    mp_assert_rc(mp_conn_recv_bytes(r, &buf, &n, 0, 10000), MP_EOF);
    mp_assert_rc(mp_conn_recv_bytes(r, &buf, &n, 0, 0), MP_EOF); /* and stays at EOF */
    ck_assert_int_eq(mp_conn_poll(r, 0), 1); /* EOF counts as ready */
    ck_assert_int_eq(mp_test_finish(p), 0);
    mp_conn_free(r);
    mp_conn_free(w);
  }
}
END_TEST

static int hold_end_then_exit(void *arg) {
  (void)arg; /* keeps every inherited end open while it sleeps */
  mp_test_sleep_ms(400);
  return 0;
}

START_TEST(eof_waits_for_every_copy) {
  mp_conn *r, *w;
  mp_assert_ok(mp_pipe(&r, &w, false));
  mp_process *p = mp_test_start(hold_end_then_exit, NULL);
  mp_conn_close(w);
  void *buf;
  size_t n;
  /* The child still holds a copy of the write end: no EOF yet... */
  mp_assert_rc(mp_conn_recv_bytes(r, &buf, &n, 0, 100), MP_ETIMEDOUT);
  /* ...until it exits. */
  mp_assert_rc(mp_conn_recv_bytes(r, &buf, &n, 0, 10000), MP_EOF);
  ck_assert_int_eq(mp_test_finish(p), 0);
  mp_conn_free(r);
  mp_conn_free(w);
}
END_TEST

/* ---- limits, guards and corrupt frames ---- */

START_TEST(max_size_guard) {
  mp_conn *a, *b;
  mp_assert_ok(mp_pipe(&a, &b, true));
  char msg[100] = {0};
  mp_assert_ok(mp_conn_send_bytes(a, msg, 0, sizeof msg, 1000));
  mp_assert_ok(mp_conn_send_bytes(a, msg, 0, 10, 1000));
  void *buf = (void *)1;
  size_t n = 5;
  mp_assert_rc(mp_conn_recv_bytes(b, &buf, &n, 99, 1000), MP_ETOOBIG);
  ck_assert_ptr_null(buf);
  ck_assert_uint_eq(n, 0);
  /* The stream is out of step now: the connection is done for. */
  mp_assert_rc(mp_conn_recv_bytes(b, &buf, &n, 0, 1000), MP_EBROKEN);
  mp_assert_rc(mp_conn_send_bytes(b, "x", 0, 1, 1000), MP_EBROKEN);
  mp_assert_rc(mp_conn_poll(b, 0), MP_EBROKEN);
  /* The other end and other connections carry on. */
  mp_assert_ok(mp_conn_send_bytes(a, "x", 0, 1, 1000));
  mp_conn_free(a);
  mp_conn_free(b);
}
END_TEST

START_TEST(recv_into_short_buffer_keeps_message) {
  mp_conn *a, *b;
  mp_assert_ok(mp_pipe(&a, &b, true));
  mp_assert_ok(mp_conn_send_bytes(a, "0123456789", 0, 10, 1000));
  mp_assert_ok(mp_conn_send_bytes(a, "next", 0, 4, 1000));
  char small[8], big[16];
  size_t n = 0;
  mp_assert_rc(mp_conn_recv_bytes_into(b, small, sizeof small, 0, &n, 1000), -EMSGSIZE);
  ck_assert_uint_eq(n, 10);
  mp_assert_rc(mp_conn_recv_bytes_into(b, big, sizeof big, 8, &n, 1000), -EMSGSIZE);
  mp_assert_ok(mp_conn_recv_bytes_into(b, big, sizeof big, 6, &n, 1000));
  ck_assert_uint_eq(n, 10);
  ck_assert(memcmp(big + 6, "0123456789", 10) == 0);
  expect_msg(b, "next", 4);
  mp_assert_rc(mp_conn_recv_bytes_into(b, big, sizeof big, 17, &n, 0), -EINVAL);
  mp_conn_free(a);
  mp_conn_free(b);
}
END_TEST

START_TEST(corrupt_frame) {
  mp_conn *a, *b;
  mp_assert_ok(mp_pipe(&a, &b, true));
  const unsigned char bad[] = {0x80, 0, 0, 1, 'x'}; /* a negative length other than -1 */
  raw_write(a, bad, sizeof bad);
  void *buf;
  size_t n;
  mp_assert_rc(mp_conn_recv_bytes(b, &buf, &n, 0, 1000), MP_ECORRUPT);
  mp_assert_rc(mp_conn_recv_bytes(b, &buf, &n, 0, 1000), MP_EBROKEN);
  mp_conn_free(a);
  mp_conn_free(b);

  /* A stream cut inside a frame (the writer vanished mid-message). */
  mp_assert_ok(mp_pipe(&a, &b, true));
  const unsigned char cut[] = {0, 0, 0, 10, 'a', 'b', 'c'};
  raw_write(a, cut, sizeof cut);
  mp_conn_close(a);
  mp_assert_rc(mp_conn_recv_bytes(b, &buf, &n, 0, 1000), MP_EBROKEN);
  mp_conn_free(a);
  mp_conn_free(b);

  /* Cut inside the header. */
  mp_assert_ok(mp_pipe(&a, &b, true));
  raw_write(a, cut, 2);
  mp_conn_close(a);
  mp_assert_rc(mp_conn_recv_bytes(b, &buf, &n, 0, 1000), MP_EBROKEN);
  mp_conn_free(a);
  mp_conn_free(b);
}
END_TEST

START_TEST(python_framing) {
  mp_conn *a, *b;
  mp_assert_ok(mp_pipe(&a, &b, true));
  /* What we send is exactly Python's "!i" + payload. */
  mp_assert_ok(mp_conn_send_bytes(a, "abc", 0, 3, 1000));
  unsigned char wire[7];
  ck_assert_int_eq(recv(mp_conn_fileno(b), wire, sizeof wire, MSG_WAITALL), 7);
  ck_assert(memcmp(wire, "\0\0\0\3abc", 7) == 0);
  /* Python's long form (-1, then "!Q") is accepted at any size. */
  const unsigned char lng[] = {0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 2, 'h', 'i'};
  raw_write(a, lng, sizeof lng);
  expect_msg(b, "hi", 2);
  /* A 3 GiB long-form header against a 1 MiB limit: refused before any allocation. */
  const unsigned char huge[] = {0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0xc0, 0, 0, 0};
  raw_write(a, huge, sizeof huge);
  void *buf;
  size_t n;
  mp_assert_rc(mp_conn_recv_bytes(b, &buf, &n, BIG, 1000), MP_ETOOBIG);
  mp_conn_free(a);
  mp_conn_free(b);
}
END_TEST

/* ---- timeouts ---- */

START_TEST(timeouts_and_poll) {
  mp_conn *a, *b;
  mp_assert_ok(mp_pipe(&a, &b, true));
  void *buf;
  size_t n;
  mp_assert_rc(mp_conn_recv_bytes(b, &buf, &n, 0, 0), MP_ETIMEDOUT);
  ck_assert_int_eq(mp_conn_poll(b, 0), 0);
  int64_t t0 = mp_test_now_ms();
  mp_assert_rc(mp_conn_recv_bytes(b, &buf, &n, 0, 200), MP_ETIMEDOUT);
  int64_t dt = mp_test_now_ms() - t0;
  ck_assert_int_ge(dt, 190);
  ck_assert_int_lt(dt, 5000);
  t0 = mp_test_now_ms();
  ck_assert_int_eq(mp_conn_poll(b, 150), 0);
  ck_assert_int_ge(mp_test_now_ms() - t0, 140);
  mp_assert_ok(mp_conn_send_bytes(a, "m", 0, 1, 0));
  ck_assert_int_eq(mp_conn_poll(b, 1000), 1);
  ck_assert_int_eq(mp_conn_poll(b, 0), 1); /* the bytes are still there (or buffered) */
  expect_msg(b, "m", 1);
  ck_assert_int_eq(mp_conn_poll(b, 0), 0);
  mp_conn_close(a);
  ck_assert_int_eq(mp_conn_poll(b, 1000), 1); /* the peer's close counts as ready */
  mp_conn_free(a);
  mp_conn_free(b);
}
END_TEST

START_TEST(timeout_mid_frame_resumes) {
  for (int into = 0; into < 2; into++) {
    mp_conn *a, *b;
    mp_assert_ok(mp_pipe(&a, &b, true));
    const unsigned char part1[] = {0, 0}, part2[] = {0, 8, '0', '1', '2'};
    const unsigned char part3[] = {'3', '4', '5', '6', '7'};
    void *buf;
    size_t n;
    char dst[8];
    raw_write(a, part1, sizeof part1); /* half a header */
    if (into)
      mp_assert_rc(mp_conn_recv_bytes_into(b, dst, sizeof dst, 0, &n, 50), MP_ETIMEDOUT);
    else
      mp_assert_rc(mp_conn_recv_bytes(b, &buf, &n, 0, 50), MP_ETIMEDOUT);
    raw_write(a, part2, sizeof part2); /* the rest of the header, part of the body */
    if (into)
      mp_assert_rc(mp_conn_recv_bytes_into(b, dst, sizeof dst, 0, &n, 50), MP_ETIMEDOUT);
    else
      mp_assert_rc(mp_conn_recv_bytes(b, &buf, &n, 0, 50), MP_ETIMEDOUT);
    raw_write(a, part3, sizeof part3);
    mp_assert_ok(mp_conn_send_bytes(a, "after", 0, 5, 1000));
    if (into) {
      memset(dst, 0, sizeof dst);
      mp_assert_ok(mp_conn_recv_bytes_into(b, dst, sizeof dst, 0, &n, 1000));
      ck_assert_uint_eq(n, 8);
      ck_assert(memcmp(dst, "01234567", 8) == 0);
    } else {
      expect_msg(b, "01234567", 8);
    }
    expect_msg(b, "after", 5);
    mp_conn_free(a);
    mp_conn_free(b);
  }
}
END_TEST

START_TEST(send_timeout) {
  mp_conn *a, *b;
  mp_assert_ok(mp_pipe(&a, &b, true));
  /* Small messages until the socket is full: a send that writes nothing times out and leaves
   * the connection intact. */
  long sent = 0;
  int rc;
  while ((rc = mp_conn_send_bytes(a, &sent, 0, sizeof sent, 0)) == 0) sent++;
  mp_assert_rc(rc, MP_ETIMEDOUT);
  ck_assert_int_gt(sent, 10);
  int64_t t0 = mp_test_now_ms();
  mp_assert_rc(mp_conn_send_bytes(a, &sent, 0, sizeof sent, 150), MP_ETIMEDOUT);
  ck_assert_int_ge(mp_test_now_ms() - t0, 140);
  for (long i = 0; i < sent; i++) expect_msg(b, &i, sizeof i);
  /* A message larger than the socket buffer, unread: the timeout passes after part of it went
   * out, which ends the connection. */
  void *big = calloc(1, 8 * BIG);
  ck_assert_ptr_nonnull(big);
  mp_assert_rc(mp_conn_send_bytes(a, big, 0, 8 * BIG, 100), MP_EBROKEN);
  mp_assert_rc(mp_conn_send_bytes(a, "x", 0, 1, 100), MP_EBROKEN);
  free(big);
  mp_conn_free(a);
  mp_conn_free(b);
}
END_TEST

/* ---- closed and broken connections ---- */

static int close_and_exit(void *arg) {
  child_args *ca = arg;
  mp_conn_close(ca->theirs);
  mp_conn_send_bytes(ca->mine, "bye", 0, 3, MP_FOREVER);
  return 0;
}

START_TEST(send_after_peer_death_no_sigpipe) {
  ck_assert(signal(SIGPIPE, SIG_DFL) != SIG_ERR);
  for (int duplex = 0; duplex < 2; duplex++) {
    mp_conn *mine, *theirs;
    /* one-way: the parent writes on b and the child holds (then drops) the read end a */
    mp_assert_ok(mp_pipe(&theirs, &mine, duplex));
    child_args ca = {.mine = theirs, .theirs = mine};
    mp_process *p = mp_test_start(duplex ? close_and_exit : hold_end_then_exit, &ca);
    mp_conn_close(theirs);
    ck_assert_int_eq(mp_test_finish(p), 0);
    if (duplex) expect_msg(mine, "bye", 3);
    mp_assert_rc(mp_conn_send_bytes(mine, "x", 0, 1, 1000), -EPIPE);
    mp_assert_rc(mp_conn_send_bytes(mine, "y", 0, 1, MP_FOREVER), -EPIPE);
    if (duplex) {
      void *buf;
      size_t n;
      mp_assert_rc(mp_conn_recv_bytes(mine, &buf, &n, 0, 1000), MP_EOF);
    }
    mp_conn_free(mine);
    mp_conn_free(theirs);
  }
}
END_TEST

START_TEST(closed_and_bad_arguments) {
  mp_conn *a, *b;
  mp_assert_rc(mp_pipe(NULL, &b, true), -EINVAL);
  mp_assert_ok(mp_pipe(&a, &b, true));
  mp_conn_close(a);
  mp_conn_close(a); /* idempotent */
  ck_assert(mp_conn_closed(a));
  ck_assert(!mp_conn_readable(a) && !mp_conn_writable(a));
  void *buf;
  size_t n;
  char c;
  mp_assert_rc(mp_conn_send_bytes(a, "x", 0, 1, 0), MP_ECLOSED);
  mp_assert_rc(mp_conn_recv_bytes(a, &buf, &n, 0, 0), MP_ECLOSED);
  mp_assert_rc(mp_conn_recv_bytes_into(a, &c, 1, 0, &n, 0), MP_ECLOSED);
  mp_assert_rc(mp_conn_poll(a, 0), MP_ECLOSED);
  mp_assert_rc(mp_conn_fileno(a), MP_ECLOSED);
  mp_assert_rc(mp_conn_send_bytes(NULL, "x", 0, 1, 0), -EINVAL);
  mp_assert_rc(mp_conn_send_bytes(b, NULL, 0, 1, 0), -EINVAL);
  mp_assert_rc(mp_conn_send_bytes(b, "x", SIZE_MAX, 2, 0), -EINVAL);
  mp_assert_rc(mp_conn_recv_bytes(b, NULL, &n, 0, 0), -EINVAL);
  mp_assert_rc(mp_conn_recv_bytes(NULL, &buf, &n, 0, 0), -EINVAL);
  mp_assert_rc(mp_conn_recv_bytes(b, &buf, &n, 0, 0), MP_EOF);
  mp_conn_free(a);
  mp_conn_free(b);
  mp_conn_free(NULL);
  mp_conn_close(NULL);
  ck_assert(mp_conn_closed(NULL));
}
END_TEST

/* ---- values ---- */

START_TEST(values_round_trip) {
  mp_conn *a, *b;
  mp_assert_ok(mp_pipe(&a, &b, true));
  mp_obj *d = mp_obj_dict();
  mp_assert_ok(mp_obj_dict_set_steal(d, mp_obj_str("name"), mp_obj_str("Hello 妹妹")));
  mp_assert_ok(mp_obj_dict_set_steal(d, mp_obj_str("n"), mp_obj_int(-12345678901)));
  mp_obj *l = mp_obj_list();
  mp_assert_ok(mp_obj_list_append_steal(l, mp_obj_tuple2_steal(mp_obj_str("Sam"), mp_obj_int(10))));
  mp_assert_ok(mp_obj_list_append_steal(l, mp_obj_float(2.5)));
  mp_assert_ok(mp_obj_list_append_steal(l, mp_obj_none()));
  mp_assert_ok(mp_obj_list_append_steal(l, mp_obj_bytes("\0\1", 2)));
  mp_assert_ok(mp_obj_dict_set_steal(d, mp_obj_str("items"), l));
  mp_assert_ok(mp_conn_send(a, d, 1000));
  mp_obj *got = NULL;
  mp_assert_ok(mp_conn_recv(b, &got, 1000));
  ck_assert(mp_obj_equal(got, d));
  ck_assert_int_eq(mp_obj_type_of(mp_obj_item(mp_obj_dict_get_str(got, "items"), 0)), MP_OBJ_TUPLE);
  mp_obj_decref(got);
  mp_obj_decref(d);

  /* A sound frame holding bytes that are not a value costs that message only. */
  const unsigned char junk[] = {0xc1};
  mp_assert_ok(mp_conn_send_bytes(a, junk, 0, sizeof junk, 1000));
  mp_obj *seven = mp_obj_int(7);
  mp_assert_ok(mp_conn_send(a, seven, 1000));
  mp_assert_rc(mp_conn_recv(b, &got, 1000), MP_ECORRUPT);
  ck_assert_ptr_null(got);
  mp_assert_ok(mp_conn_recv(b, &got, 1000));
  ck_assert(mp_obj_equal(got, seven));
  mp_obj_decref(got);
  mp_assert_rc(mp_conn_send(a, NULL, 0), -EINVAL);
  mp_conn_close(a);
  mp_assert_rc(mp_conn_send(a, seven, 0), MP_ECLOSED);
  mp_assert_rc(mp_conn_recv(b, &got, 1000), MP_EOF);
  mp_obj_decref(seven);
  mp_conn_free(a);
  mp_conn_free(b);
}
END_TEST

/* ---- wait ---- */

static int sleep_then_send(void *arg) {
  child_args *ca = arg;
  mp_conn_close(ca->theirs);
  mp_test_sleep_ms(200);
  int rc = mp_conn_send_bytes(ca->mine, "ping", 0, 4, MP_FOREVER);
  mp_test_sleep_ms(300); /* so the parent sees the message before the exit */
  return rc == 0 ? 0 : 1;
}

START_TEST(wait_on_connections_and_sentinels) {
  mp_conn *r1, *w1, *r2, *w2;
  mp_assert_ok(mp_pipe(&r1, &w1, false));
  mp_assert_ok(mp_pipe(&r2, &w2, false));
  child_args ca = {.mine = w2, .theirs = r2};
  mp_process *p = mp_test_start(sleep_then_send, &ca);
  mp_conn_close(w2);
  mp_wait_item items[3] = {{.kind = MP_WAIT_CONN, .u.conn = r1},
                           {.kind = MP_WAIT_CONN, .u.conn = r2},
                           {.kind = MP_WAIT_PROCESS, .u.process = p}};
  ck_assert_int_eq(mp_wait(items, 3, 0), 0);
  ck_assert(!items[0].ready && !items[1].ready && !items[2].ready);
  ck_assert_int_eq(mp_wait(items, 3, 10000), 1);
  ck_assert(!items[0].ready && items[1].ready);
  expect_msg(r2, "ping", 4);
  /* Next: the child's exit, which is also EOF on r2. */
  int ready = mp_wait(&items[2], 1, 10000);
  ck_assert_int_eq(ready, 1);
  ck_assert(items[2].ready);
  ck_assert_int_eq(mp_wait(items, 3, 10000), 2);
  ck_assert(!items[0].ready && items[1].ready && items[2].ready);
  ck_assert_int_eq(mp_test_finish(p), 0);
  /* Buffered bytes make a connection ready without the kernel's help. */
  mp_assert_ok(mp_conn_send_bytes(w1, "a", 0, 1, 0));
  mp_assert_ok(mp_conn_send_bytes(w1, "b", 0, 1, 0));
  expect_msg(r1, "a", 1); /* one recv() took both frames in */
  ck_assert_int_eq(mp_wait(items, 1, 0), 1);
  /* A plain fd works too; and misuse is reported. */
  mp_wait_item fdi = {.kind = MP_WAIT_FD, .u.fd = mp_conn_fileno(r2)};
  ck_assert_int_eq(mp_wait(&fdi, 1, 0), 1);
  mp_wait_item bad = {.kind = MP_WAIT_CONN, .u.conn = w1};
  mp_assert_rc(mp_wait(&bad, 1, 0), MP_ESTATE);
  ck_assert_int_eq(mp_wait(NULL, 0, 10), 0);
  mp_assert_rc(mp_wait(NULL, 1, 0), -EINVAL);
  mp_conn_close(r1);
  bad.u.conn = r1;
  mp_assert_rc(mp_wait(&bad, 1, 0), MP_ECLOSED);
  mp_conn_free(r1);
  mp_conn_free(w1);
  mp_conn_free(r2);
  mp_conn_free(w2);
}
END_TEST

/* ---- EINTR ---- */

static void on_alarm(int sig) { (void)sig; }

START_TEST(signals_do_not_disturb) {
  /* A handler without SA_RESTART: every blocking call sees EINTR every 5 ms. */
  struct sigaction sa = {.sa_handler = on_alarm};
  ck_assert_int_eq(sigaction(SIGALRM, &sa, NULL), 0);
  struct itimerval it = {{0, 5000}, {0, 5000}};
  mp_conn *a, *b;
  mp_assert_ok(mp_pipe(&a, &b, true));
  child_args ca = {.mine = b, .theirs = a};
  mp_process *p = mp_test_start(sleep_then_send, &ca);
  ck_assert_int_eq(setitimer(ITIMER_REAL, &it, NULL), 0);
  void *buf;
  size_t n;
  int64_t t0 = mp_test_now_ms();
  mp_assert_rc(mp_conn_recv_bytes(a, &buf, &n, 0, 100), MP_ETIMEDOUT);
  int64_t dt = mp_test_now_ms() - t0;
  ck_assert_int_ge(dt, 95);
  ck_assert_int_lt(dt, 5000);
  expect_msg(a, "ping", 4); /* untimed, through many signals */
  struct itimerval off = {{0, 0}, {0, 0}};
  ck_assert_int_eq(setitimer(ITIMER_REAL, &off, NULL), 0);
  ck_assert_int_eq(mp_test_finish(p), 0);
  mp_conn_free(a);
  mp_conn_free(b);
}
END_TEST

START_TEST(wait_many) {
  enum { N = 40 };
  mp_conn *r[N], *w[N];
  mp_wait_item items[N];
  for (int i = 0; i < N; i++) {
    mp_assert_ok(mp_pipe(&r[i], &w[i], false));
    items[i] = (mp_wait_item){.kind = MP_WAIT_CONN, .u.conn = r[i]};
  }
  mp_assert_ok(mp_conn_send_bytes(w[3], "x", 0, 1, 0));
  mp_conn_close(w[37]);
  ck_assert_int_eq(mp_wait(items, N, 1000), 2);
  for (int i = 0; i < N; i++) ck_assert(items[i].ready == (i == 3 || i == 37));
  for (int i = 0; i < N; i++) {
    mp_conn_free(r[i]);
    mp_conn_free(w[i]);
  }
}
END_TEST

Suite *mp_test_suite(void) {
  Suite *s = suite_create("connection");
  TCase *tc = mp_tcase("connection", 60);
  tcase_add_test(tc, duplex_both_ways);
  tcase_add_test(tc, one_way);
  tcase_add_test(tc, empty_and_one_byte);
  tcase_add_test(tc, child_writes_parent_reads_until_eof);
  tcase_add_test(tc, eof_waits_for_every_copy);
  tcase_add_test(tc, max_size_guard);
  tcase_add_test(tc, recv_into_short_buffer_keeps_message);
  tcase_add_test(tc, corrupt_frame);
  tcase_add_test(tc, python_framing);
  tcase_add_test(tc, timeouts_and_poll);
  tcase_add_test(tc, timeout_mid_frame_resumes);
  tcase_add_test(tc, send_timeout);
  tcase_add_test(tc, send_after_peer_death_no_sigpipe);
  tcase_add_test(tc, closed_and_bad_arguments);
  tcase_add_test(tc, values_round_trip);
  tcase_add_test(tc, wait_on_connections_and_sentinels);
  tcase_add_test(tc, wait_many);
  tcase_add_test(tc, signals_do_not_disturb);
  suite_add_tcase(s, tc);
  return s;
}
