/* SPDX-License-Identifier: MIT */
/* test_conn_interrupt.c -- mp_interrupt() and connections: a receive (every form), a poll, a
 * connection.wait, a send on a full socket, an accept (with and without a key) and a connect
 * blocked in another thread return -EINTR promptly; a SIGINT through mp_interrupt_on() stops a
 * receive in the thread it lands on, and so does a program's own handler that calls
 * mp_interrupt() while the receive blocks in the kernel; a pending interrupt makes waits return
 * at once but leaves what needs no wait alone; and the connection stays in step: after
 * mp_interrupt_clear() the next receive gets the message the peer sends then, even one whose
 * first bytes had arrived before the interrupt. */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "harness.h"

#define KEY "secret"

typedef struct blocked {
  int (*call)(void *);
  void *arg;
  _Atomic int rc;
  _Atomic int64_t returned_ms;
} blocked;

static void *run_blocked(void *arg) {
  blocked *b = arg;
  b->rc = b->call(b->arg);
  b->returned_ms = mp_test_now_ms();
  return NULL;
}

/* Starts call(arg) on a thread, interrupts after 200 ms, and checks that it came back with
 * -EINTR within 2 s; then clears the interrupt. */
static void expect_interrupted(int (*call)(void *), void *arg) {
  blocked b = {.call = call, .arg = arg, .rc = 999};
  pthread_t t;
  ck_assert_int_eq(pthread_create(&t, NULL, run_blocked, &b), 0);
  mp_test_sleep_ms(200);
  ck_assert_int_eq(b.rc, 999); /* still blocked */
  int64_t at = mp_test_now_ms();
  mp_interrupt();
  pthread_join(t, NULL);
  mp_assert_rc(b.rc, -EINTR);
  ck_assert_int_lt(b.returned_ms - at, 2000);
  ck_assert(mp_interrupt_clear());
}

static int recv_forever(void *arg) {
  void *buf;
  size_t n;
  return mp_conn_recv_bytes(arg, &buf, &n, 0, MP_FOREVER);
}
static int recv_timed(void *arg) {
  void *buf;
  size_t n;
  return mp_conn_recv_bytes(arg, &buf, &n, 0, 30000);
}
static int recv_into_forever(void *arg) {
  char buf[64];
  size_t n;
  return mp_conn_recv_bytes_into(arg, buf, sizeof buf, 0, &n, MP_FOREVER);
}
static int recv_value_forever(void *arg) {
  mp_obj *v;
  return mp_conn_recv(arg, &v, MP_FOREVER);
}
static int poll_forever(void *arg) { return mp_conn_poll(arg, MP_FOREVER); }
static int wait_forever(void *arg) {
  mp_wait_item it = {.kind = MP_WAIT_CONN, .u.conn = arg};
  return mp_wait(&it, 1, MP_FOREVER);
}

/* The next message on a is want. */
static void expect_message(mp_conn *a, const char *want) {
  void *buf;
  size_t n;
  mp_assert_ok(mp_conn_recv_bytes(a, &buf, &n, 0, 5000));
  ck_assert_uint_eq(n, strlen(want));
  ck_assert(memcmp(buf, want, n) == 0);
  free(buf);
}

/* Every receive form, a poll and a wait blocked on a silent peer, woken from another thread
 * (mp_interrupt_on() made the interrupt's eventfd, which their poll() watches); each time the
 * connection then gets the peer's next message. */
START_TEST(interrupts_blocked_receives) {
  mp_assert_ok(mp_interrupt_on(SIGUSR1));
  mp_conn *a, *b;
  mp_assert_ok(mp_pipe(&a, &b, true));
  int (*calls[])(void *) = {recv_forever,  recv_timed,   recv_into_forever,
                            recv_value_forever, poll_forever, wait_forever};
  for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++) {
    expect_interrupted(calls[i], a);
    mp_assert_ok(mp_conn_send_bytes(b, "after", 0, 5, 5000));
    expect_message(a, "after");
  }
  mp_conn_free(a);
  mp_conn_free(b);
  signal(SIGUSR1, SIG_DFL);
}
END_TEST

/* A frame whose header and first bytes arrived before the interrupt: the receive keeps them,
 * and the next one finishes the same message once the rest comes. */
START_TEST(keeps_a_partial_frame) {
  mp_assert_ok(mp_interrupt_on(SIGUSR1));
  mp_conn *a, *b;
  mp_assert_ok(mp_pipe(&a, &b, true));
  const unsigned char head[] = {0, 0, 0, 10, 'h', 'e', 'l', 'l'};
  int fd = mp_conn_fileno(b);
  ck_assert_int_eq(send(fd, head, sizeof head, MSG_NOSIGNAL), (ssize_t)sizeof head);
  expect_interrupted(recv_forever, a);
  ck_assert_int_eq(send(fd, "o worl", 6, MSG_NOSIGNAL), 6);
  expect_message(a, "hello worl");
  mp_assert_ok(mp_conn_send_bytes(b, "next", 0, 4, 5000)); /* still in step */
  expect_message(a, "next");
  mp_conn_free(a);
  mp_conn_free(b);
  signal(SIGUSR1, SIG_DFL);
}
END_TEST

/* A pending interrupt: waits return -EINTR at once; a message already there is delivered, and a
 * poll that does not wait is no wait. */
START_TEST(pending_interrupt) {
  mp_conn *a, *b;
  mp_assert_ok(mp_pipe(&a, &b, true));
  mp_interrupt();
  int64_t t0 = mp_test_now_ms();
  void *buf;
  size_t n;
  mp_assert_rc(mp_conn_recv_bytes(a, &buf, &n, 0, 10000), -EINTR);
  mp_assert_rc(mp_conn_recv_bytes(a, &buf, &n, 0, MP_FOREVER), -EINTR);
  mp_assert_rc(mp_conn_poll(a, 10000), -EINTR);
  mp_assert_rc(mp_conn_poll(a, 0), 0);
  ck_assert_int_lt(mp_test_now_ms() - t0, 2000);
  mp_assert_ok(mp_conn_send_bytes(b, "there", 0, 5, 10000)); /* room: no wait */
  mp_assert_rc(mp_conn_poll(a, 10000), 1);
  expect_message(a, "there");
  ck_assert(mp_interrupt_clear());
  mp_assert_rc(mp_conn_poll(a, 0), 0);
  mp_conn_free(a);
  mp_conn_free(b);
}
END_TEST

static pthread_t main_thread;
static void *signal_main(void *arg) {
  mp_test_sleep_ms(200);
  pthread_kill(main_thread, *(int *)arg);
  return NULL;
}

/* SIGINT to the very thread blocked in a receive, through mp_interrupt_on(SIGINT). */
START_TEST(sigint_stops_a_recv) {
  mp_assert_ok(mp_interrupt_on(SIGINT));
  mp_conn *a, *b;
  mp_assert_ok(mp_pipe(&a, &b, true));
  main_thread = pthread_self();
  int sig = SIGINT;
  pthread_t t;
  ck_assert_int_eq(pthread_create(&t, NULL, signal_main, &sig), 0);
  int64_t t0 = mp_test_now_ms();
  mp_assert_rc(recv_forever(a), -EINTR);
  ck_assert_int_lt(mp_test_now_ms() - t0, 2000);
  pthread_join(t, NULL);
  ck_assert(mp_interrupt_clear());
  mp_assert_ok(mp_conn_send_bytes(b, "again", 0, 5, 5000));
  expect_message(a, "again");
  mp_conn_free(a);
  mp_conn_free(b);
  signal(SIGINT, SIG_DFL);
}
END_TEST

/* A program's own handler, installed without SA_RESTART and without mp_interrupt_on(): an
 * untimed receive blocks in the kernel then, and the signal ends it. */
static void own_handler(int signo) {
  (void)signo;
  mp_interrupt();
}

START_TEST(own_handler_stops_a_kernel_recv) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = own_handler;
  sigemptyset(&sa.sa_mask);
  ck_assert_int_eq(sigaction(SIGUSR2, &sa, NULL), 0);
  mp_conn *a, *b;
  mp_assert_ok(mp_pipe(&a, &b, true));
  main_thread = pthread_self();
  int sig = SIGUSR2;
  pthread_t t;
  ck_assert_int_eq(pthread_create(&t, NULL, signal_main, &sig), 0);
  mp_assert_rc(recv_forever(a), -EINTR);
  pthread_join(t, NULL);
  ck_assert(mp_interrupt_clear());
  mp_assert_ok(mp_conn_send_bytes(b, "again", 0, 5, 5000));
  expect_message(a, "again");
  mp_conn_free(a);
  mp_conn_free(b);
  signal(SIGUSR2, SIG_DFL);
}
END_TEST

static int send_forever(void *arg) { return mp_conn_send_bytes(arg, "x", 0, 1, MP_FOREVER); }

/* A send on a socket the peer does not read: interrupted before any byte went out, the
 * connection stays intact. */
START_TEST(interrupts_a_blocked_send) {
  mp_assert_ok(mp_interrupt_on(SIGUSR1));
  mp_conn *a, *b;
  mp_assert_ok(mp_pipe(&a, &b, true));
  static char junk[65536];
  while (send(mp_conn_fileno(b), junk, sizeof junk, MSG_DONTWAIT | MSG_NOSIGNAL) > 0) {
  }
  expect_interrupted(send_forever, b);
  mp_assert_rc(mp_conn_send_bytes(b, "x", 0, 1, 0), MP_ETIMEDOUT); /* full still, not broken */
  mp_conn_free(a);
  mp_conn_free(b);
  signal(SIGUSR1, SIG_DFL);
}
END_TEST

static int accept_forever(void *arg) {
  mp_conn *c = NULL;
  int rc = mp_listener_accept(arg, &c, MP_FOREVER);
  mp_conn_free(c);
  return rc;
}

typedef struct dial {
  const char *address;
  const char *key;
  mp_conn *conn;
  int rc;
} dial;

static void *dial_main(void *arg) {
  dial *d = arg;
  mp_client_opts o = {.authkey = d->key, .authkey_len = d->key ? strlen(d->key) : 0};
  d->rc = mp_client(&d->conn, d->address, &o, 10000);
  return NULL;
}

/* An accept with nobody connecting, for a listener without a key and one with (whose
 * handshakes run inside accept); after the clear, a client is accepted as usual. */
static void accept_case(const char *key) {
  mp_listener *l;
  mp_listener_opts o = {.authkey = key, .authkey_len = key ? strlen(key) : 0};
  mp_assert_ok(mp_listener_new(&l, "127.0.0.1:0", &o));
  expect_interrupted(accept_forever, l);
  mp_interrupt();
  mp_conn *c = NULL;
  mp_assert_rc(mp_listener_accept(l, &c, 10000), -EINTR); /* pending: at once */
  ck_assert(mp_interrupt_clear());
  dial d = {.address = mp_listener_address(l), .key = key};
  pthread_t t;
  ck_assert_int_eq(pthread_create(&t, NULL, dial_main, &d), 0);
  mp_assert_ok(mp_listener_accept(l, &c, 10000));
  pthread_join(t, NULL);
  mp_assert_ok(d.rc);
  mp_assert_ok(mp_conn_send_bytes(d.conn, "hi", 0, 2, 5000));
  expect_message(c, "hi");
  mp_conn_free(d.conn);
  mp_conn_free(c);
  mp_listener_free(l);
}

START_TEST(interrupts_accept) {
  mp_assert_ok(mp_interrupt_on(SIGUSR1));
  accept_case(NULL);
  accept_case(KEY);
  signal(SIGUSR1, SIG_DFL);
}
END_TEST

/* A client whose listener accepts but never runs the handshake: the client waits for the
 * challenge and is interrupted; the pending interrupt also stops a new connect at once. */
static int client_forever(void *arg) {
  mp_conn *c = NULL;
  mp_client_opts o = {.authkey = KEY, .authkey_len = strlen(KEY)};
  int rc = mp_client(&c, arg, &o, MP_FOREVER);
  mp_conn_free(c);
  return rc;
}

START_TEST(interrupts_a_client_handshake) {
  mp_assert_ok(mp_interrupt_on(SIGUSR1));
  mp_listener *l; /* no key: it sends no challenge, and nobody accepts */
  mp_assert_ok(mp_listener_new(&l, "127.0.0.1:0", NULL));
  char address[MP_ADDRESS_MAX];
  strcpy(address, mp_listener_address(l));
  expect_interrupted(client_forever, address);
  mp_interrupt();
  mp_assert_rc(client_forever(address), -EINTR);
  ck_assert(mp_interrupt_clear());
  mp_listener_free(l);
  signal(SIGUSR1, SIG_DFL);
}
END_TEST

Suite *mp_test_suite(void) {
  Suite *s = suite_create("conn_interrupt");
  TCase *tc = mp_tcase("conn_interrupt", 60);
  tcase_add_test(tc, interrupts_blocked_receives);
  tcase_add_test(tc, keeps_a_partial_frame);
  tcase_add_test(tc, pending_interrupt);
  tcase_add_test(tc, sigint_stops_a_recv);
  tcase_add_test(tc, own_handler_stops_a_kernel_recv);
  tcase_add_test(tc, interrupts_a_blocked_send);
  tcase_add_test(tc, interrupts_accept);
  tcase_add_test(tc, interrupts_a_client_handshake);
  suite_add_tcase(s, tc);
  return s;
}
