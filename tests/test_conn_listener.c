/* SPDX-License-Identifier: MIT */
/* test_conn_listener.c -- Listener/Client: every address family, the auth-key handshake both ways
 * (right and wrong keys, both digest forms), clients that stay silent or send too much, closed
 * listeners, timeouts, and interoperation with the real python3 in both directions. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define KEY "secret key"
#define KEYLEN (sizeof KEY - 1)

/* ---- a C client in a child process ---- */

typedef enum {
  TALK, /* after the handshake: send "hello", expect "HELLO" */
  SILENT, /* connect without a key, take the challenge, say nothing, expect EOF */
  OVERSIZE, /* connect without a key, take the challenge, answer with a 2 GiB frame header */
} client_mode;

typedef struct {
  char address[MP_ADDRESS_MAX];
  const char *key; /* NULL: no authentication */
  int expect; /* what mp_client() must return */
  client_mode mode;
} client_arg;

static int client_main(void *arg) {
  client_arg *a = arg;
  mp_conn *c = NULL;
  mp_client_opts co = {a->key, a->key ? strlen(a->key) : 0};
  int rc = mp_client(&c, a->address, &co, 10000);
  if (rc != a->expect) {
    fprintf(stderr, "mp_client(%s): %s, expected %s\n", a->address, mp_err_name(rc),
            mp_err_name(a->expect));
    return 1;
  }
  if (rc != 0) return c == NULL ? 0 : 2;
  void *buf = NULL;
  size_t n;
  int code = 0;
  if (a->mode == TALK) {
    if (mp_conn_send_bytes(c, "hello", 0, 5, 10000) != 0 ||
        mp_conn_recv_bytes(c, &buf, &n, 0, 10000) != 0 || n != 5 || memcmp(buf, "HELLO", 5))
      code = 3;
  } else {
    if (mp_conn_recv_bytes(c, &buf, &n, 0, 10000) != 0 || n < 11 ||
        memcmp(buf, "#CHALLENGE#", 11) != 0)
      code = 4;
    free(buf);
    buf = NULL;
    if (a->mode == OVERSIZE) {
      const unsigned char hdr[4] = {0x7f, 0xff, 0xff, 0xff};
      if (send(mp_conn_fileno(c), hdr, 4, MSG_NOSIGNAL) != 4) code = 5;
    }
    /* The listener must drop us: first what it may still send, then the end of the stream. */
    rc = mp_conn_recv_bytes(c, &buf, &n, 0, 10000);
    if (rc != MP_EOF && rc != -ECONNRESET) code = 6;
  }
  free(buf);
  mp_conn_free(c);
  return code;
}

static mp_process *start_client(client_arg *a, const char *address, const char *key, int expect,
                                client_mode mode) {
  snprintf(a->address, sizeof a->address, "%s", address);
  a->key = key;
  a->expect = expect;
  a->mode = mode;
  return mp_test_start(client_main, a);
}

/* Accepts one client and answers its "hello". */
/* The server's half of a TALK client's exchange on an accepted c, which it frees. */
static void talk(mp_conn *c) {
  void *buf;
  size_t n;
  mp_assert_ok(mp_conn_recv_bytes(c, &buf, &n, 0, 10000));
  ck_assert(n == 5 && memcmp(buf, "hello", 5) == 0);
  free(buf);
  mp_assert_ok(mp_conn_send_bytes(c, "HELLO", 0, 5, 10000));
  mp_conn_free(c);
}

static void serve_talk(mp_listener *l) {
  mp_conn *c = NULL;
  mp_assert_ok(mp_listener_accept(l, &c, 10000));
  talk(c);
}

/* One listener on address, one authenticated client, one exchange. */
static void round_trip(const char *address, const mp_listener_opts *o, const char *key) {
  mp_listener *l;
  mp_assert_ok(mp_listener_new(&l, address, o));
  client_arg a;
  mp_process *p = start_client(&a, mp_listener_address(l), key, 0, TALK);
  serve_talk(l);
  ck_assert_int_eq(mp_test_finish(p), 0);
  mp_listener_free(l);
}

static const mp_listener_opts keyed = {.authkey = KEY, .authkey_len = KEYLEN};

/* ---- address families ---- */

START_TEST(unix_path) {
  char dir[] = "/tmp/mp-listener-XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(dir));
  char path[MP_ADDRESS_MAX];
  snprintf(path, sizeof path, "%s/s.sock", dir);
  mp_listener *l;
  mp_assert_ok(mp_listener_new(&l, path, &keyed));
  ck_assert_str_eq(mp_listener_address(l), path);
  ck_assert_int_ge(mp_listener_fileno(l), 0);
  /* An existing path is refused rather than taken over. */
  mp_listener *l2;
  mp_assert_rc(mp_listener_new(&l2, path, NULL), -EADDRINUSE);
  ck_assert_ptr_null(l2);
  client_arg a;
  mp_process *p = start_client(&a, path, KEY, 0, TALK);
  serve_talk(l);
  ck_assert_int_eq(mp_test_finish(p), 0);
  mp_listener_free(l);
  ck_assert_int_ne(access(path, F_OK), 0); /* unlinked at close */
  /* A relative path works too ("./name"). */
  ck_assert_int_eq(chdir(dir), 0);
  round_trip("./rel.sock", &keyed, KEY);
  ck_assert_int_ne(access("rel.sock", F_OK), 0);
  ck_assert_int_eq(chdir("/"), 0);
  ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* A forked child that closes its copy of a listener leaves the socket file to its maker. */
static int close_copy(void *arg) {
  mp_listener_free(arg);
  return 0;
}

START_TEST(unix_path_child_close_keeps_file) {
  char dir[] = "/tmp/mp-listener-XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(dir));
  char path[MP_ADDRESS_MAX];
  snprintf(path, sizeof path, "%s/s.sock", dir);
  mp_listener *l;
  mp_assert_ok(mp_listener_new(&l, path, NULL));
  ck_assert_int_eq(mp_test_finish(mp_test_start(close_copy, l)), 0);
  ck_assert_int_eq(access(path, F_OK), 0);
  mp_listener_free(l);
  ck_assert_int_ne(access(path, F_OK), 0);
  ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

START_TEST(abstract_names) {
  char name[64];
  snprintf(name, sizeof name, "@mp-test-%d", (int)getpid());
  mp_listener *l;
  mp_assert_ok(mp_listener_new(&l, name, NULL));
  ck_assert_str_eq(mp_listener_address(l), name);
  mp_listener *l2;
  mp_assert_rc(mp_listener_new(&l2, name, NULL), -EADDRINUSE);
  mp_listener_free(l);
  round_trip(name, &keyed, KEY); /* the name is free again once closed */

  /* NULL picks a fresh abstract name, different every time. */
  mp_listener *a, *b;
  mp_assert_ok(mp_listener_new(&a, NULL, NULL));
  mp_assert_ok(mp_listener_new(&b, NULL, &keyed));
  ck_assert_int_eq(mp_listener_address(a)[0], '@');
  ck_assert_str_ne(mp_listener_address(a), mp_listener_address(b));
  client_arg ca;
  mp_process *p = start_client(&ca, mp_listener_address(b), KEY, 0, TALK);
  serve_talk(b);
  ck_assert_int_eq(mp_test_finish(p), 0);
  mp_listener_free(a);
  mp_listener_free(b);
}
END_TEST

/* The port of "host:port" as reported; port 0 must have become a real one. */
static int reported_port(const mp_listener *l) {
  const char *s = strrchr(mp_listener_address(l), ':');
  ck_assert_ptr_nonnull(s);
  int port = atoi(s + 1);
  ck_assert_int_gt(port, 0);
  ck_assert_int_lt(port, 65536);
  return port;
}

START_TEST(tcp_ipv4) {
  mp_listener *l;
  mp_assert_ok(mp_listener_new(&l, "127.0.0.1:0", &keyed));
  ck_assert(strncmp(mp_listener_address(l), "127.0.0.1:", 10) == 0);
  int port = reported_port(l);
  client_arg a;
  char addr[64];
  snprintf(addr, sizeof addr, "localhost:%d", port); /* a name resolves too */
  mp_process *p = start_client(&a, addr, KEY, 0, TALK);
  serve_talk(l);
  ck_assert_int_eq(mp_test_finish(p), 0);
  mp_listener_free(l);
  round_trip("localhost:0", &keyed, KEY);
  round_trip("127.0.0.1:0", NULL, NULL); /* no key: no handshake */
  /* Every interface: "0.0.0.0:port" or an empty host. */
  mp_assert_ok(mp_listener_new(&l, ":0", NULL));
  ck_assert(strncmp(mp_listener_address(l), "0.0.0.0:", 8) == 0);
  snprintf(addr, sizeof addr, "127.0.0.1:%d", reported_port(l));
  p = start_client(&a, addr, NULL, 0, TALK);
  serve_talk(l);
  ck_assert_int_eq(mp_test_finish(p), 0);
  mp_listener_free(l);
}
END_TEST

START_TEST(tcp_ipv6) {
  mp_listener *l;
  mp_assert_ok(mp_listener_new(&l, "[::1]:0", &keyed));
  ck_assert(strncmp(mp_listener_address(l), "[::1]:", 6) == 0);
  reported_port(l);
  client_arg a;
  mp_process *p = start_client(&a, mp_listener_address(l), KEY, 0, TALK);
  serve_talk(l);
  ck_assert_int_eq(mp_test_finish(p), 0);
  mp_listener_free(l);
}
END_TEST

START_TEST(bad_addresses_and_options) {
  mp_listener *l = (mp_listener *)1;
  static const char *const bad[] = {
      "",       "noport", "host:",   "host:x1", "host:65536", "127.0.0.1:-1",
      "::1:80", "[::1",   "[::1]80", "@"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    int rc = mp_listener_new(&l, bad[i], NULL);
    ck_assert_msg(rc == -EINVAL, "'%s' gave %s", bad[i], mp_err_name(rc));
    ck_assert_ptr_null(l);
    mp_conn *c = (mp_conn *)1;
    rc = mp_client(&c, bad[i], NULL, 1000);
    ck_assert_msg(rc == -EINVAL, "client '%s' gave %s", bad[i], mp_err_name(rc));
    ck_assert_ptr_null(c);
  }
  char longname[200];
  memset(longname, 'x', sizeof longname - 1);
  longname[0] = '/';
  longname[sizeof longname - 1] = '\0';
  mp_assert_rc(mp_listener_new(&l, longname, NULL), -ENAMETOOLONG);
  longname[110] = '\0'; /* fits MP_ADDRESS_MAX, not sun_path */
  mp_assert_rc(mp_listener_new(&l, longname, NULL), -ENAMETOOLONG);
  /* (An unknown host name gives -ENXIO; not checked here, as it needs a working resolver.) */

  mp_listener_opts o = {.authkey = NULL, .authkey_len = 3};
  mp_assert_rc(mp_listener_new(&l, NULL, &o), -EINVAL);
  o = (mp_listener_opts){.backlog = -1};
  mp_assert_rc(mp_listener_new(&l, NULL, &o), -EINVAL);
  o = (mp_listener_opts){.authkey = KEY, .authkey_len = KEYLEN, .digest = "sha1"};
  mp_assert_rc(mp_listener_new(&l, NULL, &o), -EINVAL);
  mp_assert_rc(mp_listener_new(NULL, NULL, NULL), -EINVAL);
  mp_conn *c;
  mp_assert_rc(mp_client(&c, NULL, NULL, 0), -EINVAL);
  mp_assert_rc(mp_client(NULL, "@x", NULL, 0), -EINVAL);
  mp_assert_rc(mp_client(&c, "@x", &(mp_client_opts){NULL, 5}, 0), -EINVAL);
  mp_assert_rc(mp_listener_accept(NULL, &c, 0), -EINVAL);
  ck_assert_ptr_null(mp_listener_address(NULL));
  ck_assert_int_eq(mp_listener_fileno(NULL), -1);
  mp_listener_close(NULL);
  mp_listener_free(NULL);
}
END_TEST

/* ---- authentication ---- */

START_TEST(auth_ok_and_wrong_key) {
  mp_listener *l;
  mp_assert_ok(mp_listener_new(&l, NULL, &keyed));
  client_arg a;
  /* The listener refuses the wrong key (and the client hears #FAILURE#): both MP_EAUTH. */
  mp_process *p = start_client(&a, mp_listener_address(l), "wrong key", MP_EAUTH, TALK);
  mp_conn *c = (mp_conn *)1;
  mp_assert_rc(mp_listener_accept(l, &c, 10000), MP_EAUTH);
  ck_assert_ptr_null(c);
  ck_assert_int_eq(mp_test_finish(p), 0);
  /* An empty key is a key, and a different one. */
  p = start_client(&a, mp_listener_address(l), "", MP_EAUTH, TALK);
  mp_assert_rc(mp_listener_accept(l, &c, 10000), MP_EAUTH);
  ck_assert_int_eq(mp_test_finish(p), 0);
  /* The listener is unharmed: the next client with the right key is served. */
  p = start_client(&a, mp_listener_address(l), KEY, 0, TALK);
  serve_talk(l);
  ck_assert_int_eq(mp_test_finish(p), 0);
  mp_listener_free(l);

  mp_listener_opts empty = {.authkey = "", .authkey_len = 0};
  round_trip(NULL, &empty, "");
}
END_TEST

/* Both challenge forms from our listener: our client answers each in kind. */
START_TEST(auth_digest_forms) {
  static const char *const forms[] = {"md5", "sha256", "sha384", "sha3_256", "sha3_384"};
  for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
    mp_listener_opts o = keyed;
    o.digest = forms[i];
    round_trip(NULL, &o, KEY);
    mp_listener *l;
    mp_assert_ok(mp_listener_new(&l, NULL, &o));
    client_arg a;
    mp_process *p = start_client(&a, mp_listener_address(l), "other", MP_EAUTH, TALK);
    mp_conn *c;
    mp_assert_rc(mp_listener_accept(l, &c, 10000), MP_EAUTH);
    ck_assert_int_eq(mp_test_finish(p), 0);
    mp_listener_free(l);
  }
}
END_TEST

/* Receives one handshake message from a raw (unauthenticated) connection. */
static void expect_prefix(mp_conn *c, const char *prefix, size_t len) {
  void *buf;
  size_t n;
  mp_assert_ok(mp_conn_recv_bytes(c, &buf, &n, 256, 10000));
  ck_assert_uint_ge(n, strlen(prefix));
  ck_assert(memcmp(buf, prefix, strlen(prefix)) == 0);
  if (len) ck_assert_uint_eq(n, len);
  free(buf);
}

/* The client checks the listener too: a listener that welcomes anybody but cannot answer the
 * client's challenge is refused with MP_EAUTH, and told so with #FAILURE#. */
START_TEST(client_refuses_wrong_listener) {
  mp_listener *l;
  mp_assert_ok(mp_listener_new(&l, NULL, NULL)); /* the fake listener scripts the handshake */
  client_arg a;
  mp_process *p = start_client(&a, mp_listener_address(l), KEY, MP_EAUTH, TALK);
  mp_conn *c;
  mp_assert_ok(mp_listener_accept(l, &c, 10000));
  const char challenge[] = "#CHALLENGE#01234567890123456789";
  mp_assert_ok(mp_conn_send_bytes(c, challenge, 0, sizeof challenge - 1, 10000));
  void *buf;
  size_t n;
  mp_assert_ok(mp_conn_recv_bytes(c, &buf, &n, 256, 10000));
  ck_assert_uint_eq(n, 16); /* a bare HMAC-MD5 for a bare challenge */
  free(buf);
  mp_assert_ok(mp_conn_send_bytes(c, "#WELCOME#", 0, 9, 10000));
  expect_prefix(c, "#CHALLENGE#", 11 + 20); /* the client challenges back in the same form */
  mp_assert_ok(mp_conn_send_bytes(c, "0123456789abcdef", 0, 16, 10000)); /* not the HMAC */
  expect_prefix(c, "#FAILURE#", 9);
  mp_conn_free(c);
  ck_assert_int_eq(mp_test_finish(p), 0);
  mp_listener_free(l);
}
END_TEST

/* What a client does with a listener that does not speak the protocol. */
static void fake_listener_says(const void *msg, size_t len, int expect) {
  mp_listener *l;
  mp_assert_ok(mp_listener_new(&l, NULL, NULL));
  client_arg a;
  mp_process *p = start_client(&a, mp_listener_address(l), KEY, expect, TALK);
  mp_conn *c;
  mp_assert_ok(mp_listener_accept(l, &c, 10000));
  if (msg != NULL) mp_assert_ok(mp_conn_send_bytes(c, msg, 0, len, 10000));
  mp_conn_free(c);
  ck_assert_int_eq(mp_test_finish(p), 0);
  mp_listener_free(l);
}

START_TEST(client_checks_the_challenge) {
  char big[300];
  memset(big, 'x', sizeof big);
  memcpy(big, "#CHALLENGE#", 11);
  fake_listener_says(big, sizeof big, MP_ECORRUPT); /* over the 256-byte cap */
  fake_listener_says("hello", 5, MP_ECORRUPT); /* not a challenge */
  fake_listener_says("#CHALLENGE#short", 16, MP_ECORRUPT); /* under 20 bytes */
  const char unknown[] = "#CHALLENGE#{sha1}0123456789012345678901234567890123456789";
  fake_listener_says(unknown, sizeof unknown - 1, MP_ECORRUPT); /* a digest we refuse */
  fake_listener_says(NULL, 0, MP_EOF); /* hangs up at once */
}
END_TEST

/* ---- listeners that must not be stalled ---- */

START_TEST(silent_client_times_out) {
  mp_listener_opts o = keyed;
  o.handshake_timeout = 300;
  mp_listener *l;
  mp_assert_ok(mp_listener_new(&l, "127.0.0.1:0", &o));
  client_arg a;
  mp_process *p = start_client(&a, mp_listener_address(l), NULL, 0, SILENT);
  mp_conn *c;
  int64_t t0 = mp_test_now_ms();
  mp_assert_rc(mp_listener_accept(l, &c, 10000), MP_ETIMEDOUT);
  int64_t took = mp_test_now_ms() - t0;
  ck_assert_int_ge(took, 250);
  ck_assert_int_lt(took, 5000);
  ck_assert_int_eq(mp_test_finish(p), 0); /* the silent client saw the listener hang up */
  /* The next client is served. */
  p = start_client(&a, mp_listener_address(l), KEY, 0, TALK);
  serve_talk(l);
  ck_assert_int_eq(mp_test_finish(p), 0);
  mp_listener_free(l);
}
END_TEST

/* A raw TCP connection to l (on 127.0.0.1) that will say nothing. */
static int silent_connect(const mp_listener *l) {
  return mp_test_silent_connect(mp_listener_address(l));
}

/* Whether the peer ends a raw connection within ms (what it still sends is dropped). */
static bool ended_within(int fd, int ms) {
  int64_t end = mp_test_now_ms() + ms;
  char buf[256];
  for (;;) {
    int left = (int)(end - mp_test_now_ms());
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (left <= 0 || poll(&p, 1, left) != 1) return false;
    if (recv(fd, buf, sizeof buf, 0) <= 0) return true;
  }
}

/* Clients that connect and say nothing do not delay one that comes after them: handshakes
 * run side by side, so accept() gives the good client at once, not after 16 handshake
 * timeouts. */
START_TEST(silent_clients_delay_nobody) {
  mp_listener *l;
  mp_assert_ok(mp_listener_new(&l, "127.0.0.1:0", &keyed)); /* the default handshake timeout */
  int silent[16];
  for (int i = 0; i < 16; i++) silent[i] = silent_connect(l);
  client_arg a;
  int64_t t0 = mp_test_now_ms();
  mp_process *p = start_client(&a, mp_listener_address(l), KEY, 0, TALK);
  serve_talk(l);
  int64_t took = mp_test_now_ms() - t0;
  ck_assert_msg(took < 3000, "the good client waited %lld ms", (long long)took);
  ck_assert_int_eq(mp_test_finish(p), 0);
  for (int i = 0; i < 16; i++) ck_assert_int_eq(mp_test_first_heard(silent[i], 1000), 1);
  mp_listener_free(l); /* ends the silent clients' handshakes */
  for (int i = 0; i < 16; i++) {
    ck_assert(ended_within(silent[i], 2000));
    close(silent[i]);
  }
}
END_TEST

/* A silent client that came first is dropped at its handshake timeout, after the client that
 * came next was served. */
START_TEST(handshake_timeout_drops_silent_client) {
  mp_listener_opts o = keyed;
  o.handshake_timeout = 300;
  mp_listener *l;
  mp_assert_ok(mp_listener_new(&l, "127.0.0.1:0", &o));
  int silent = silent_connect(l);
  client_arg a;
  mp_process *p = start_client(&a, mp_listener_address(l), KEY, 0, TALK);
  serve_talk(l);
  ck_assert_int_eq(mp_test_finish(p), 0);
  mp_conn *c;
  mp_assert_rc(mp_listener_accept(l, &c, 10000), MP_ETIMEDOUT);
  ck_assert_int_eq(mp_test_first_heard(silent, 1000), 1);
  ck_assert(ended_within(silent, 2000));
  close(silent);
  mp_listener_free(l);
}
END_TEST

/* Past max_pending clients in handshake, a new connection is closed before any challenge;
 * once the silent ones are gone, clients are served again. */
START_TEST(pending_limit_refuses_excess) {
  mp_listener_opts o = keyed;
  o.max_pending = 4;
  mp_listener *l;
  mp_assert_ok(mp_listener_new(&l, "127.0.0.1:0", &o));
  int silent[4];
  for (int i = 0; i < 4; i++) silent[i] = silent_connect(l);
  mp_conn *c;
  mp_assert_rc(mp_listener_accept(l, &c, 200), MP_ETIMEDOUT); /* takes them in */
  for (int i = 0; i < 4; i++) ck_assert_int_eq(mp_test_first_heard(silent[i], 2000), 1);
  int excess = silent_connect(l);
  mp_assert_rc(mp_listener_accept(l, &c, 200), MP_ETIMEDOUT);
  ck_assert_int_eq(mp_test_first_heard(excess, 2000), 0);
  close(excess);
  for (int i = 0; i < 4; i++) close(silent[i]);
  /* Each one that left is reported (MP_EOF); then the next good client is served. */
  client_arg a;
  mp_process *p = start_client(&a, mp_listener_address(l), KEY, 0, TALK);
  int rc, left = 0;
  while ((rc = mp_listener_accept(l, &c, 10000)) == MP_EOF) left++;
  mp_assert_ok(rc);
  ck_assert_int_eq(left, 4);
  talk(c);
  ck_assert_int_eq(mp_test_finish(p), 0);
  mp_listener_free(l);
  o.max_pending = -1;
  mp_assert_rc(mp_listener_new(&l, NULL, &o), -EINVAL);
  o.max_pending = MP_LISTENER_PENDING_MAX + 1;
  mp_assert_rc(mp_listener_new(&l, NULL, &o), -EINVAL);
}
END_TEST

/* Clients that sent garbage and left free their slots before anybody is refused: a good
 * client behind a burst of them, larger than max_pending, is still served. */
START_TEST(departed_clients_make_room) {
  mp_listener_opts o = keyed;
  o.max_pending = 2;
  mp_listener *l;
  mp_assert_ok(mp_listener_new(&l, "127.0.0.1:0", &o));
  for (int i = 0; i < 8; i++) {
    int fd = silent_connect(l);
    const unsigned char junk[8] = {0, 0, 1, 0, 'j', 'u', 'n', 'k'}; /* a 256 KiB length */
    ck_assert_int_eq(send(fd, junk, sizeof junk, MSG_NOSIGNAL), (ssize_t)sizeof junk);
    close(fd);
  }
  client_arg a;
  mp_process *p = start_client(&a, mp_listener_address(l), KEY, 0, TALK);
  mp_test_sleep_ms(200); /* all of them in the backlog before the listener looks */
  mp_conn *c;
  int rc, failed = 0;
  while ((rc = mp_listener_accept(l, &c, 10000)) == MP_EAUTH || rc == MP_EOF) failed++;
  mp_assert_ok(rc);
  ck_assert_int_le(failed, 8);
  talk(c);
  ck_assert_int_eq(mp_test_finish(p), 0);
  mp_listener_free(l);
}
END_TEST

/* A forked child that accepts on its copy of a listener lets go of the parent's handshakes
 * without ending them, and keeps the same fileno. */
static int child_accepts(void *arg) {
  mp_listener *l = arg;
  int fd = mp_listener_fileno(l);
  mp_conn *c;
  if (mp_listener_accept(l, &c, 300) != MP_ETIMEDOUT) return 1;
  if (mp_listener_fileno(l) != fd) return 2;
  mp_listener_free(l);
  return 0;
}

START_TEST(forked_child_leaves_parent_handshakes) {
  mp_listener *l;
  mp_assert_ok(mp_listener_new(&l, "127.0.0.1:0", &keyed));
  int silent = silent_connect(l);
  mp_conn *c;
  mp_assert_rc(mp_listener_accept(l, &c, 200), MP_ETIMEDOUT);
  ck_assert_int_eq(mp_test_first_heard(silent, 2000), 1);
  ck_assert_int_eq(mp_test_finish(mp_test_start(child_accepts, l)), 0);
  ck_assert_int_eq(mp_test_first_heard(silent, 200),
                   -1); /* still in handshake: no end, no message */
  client_arg a;
  mp_process *p = start_client(&a, mp_listener_address(l), KEY, 0, TALK);
  serve_talk(l);
  ck_assert_int_eq(mp_test_finish(p), 0);
  mp_listener_free(l);
  ck_assert(ended_within(silent, 2000));
  close(silent);
}
END_TEST

START_TEST(oversized_handshake_message) {
  mp_listener *l;
  mp_assert_ok(mp_listener_new(&l, NULL, &keyed));
  client_arg a;
  /* A 2 GiB length is refused from its header, before anything is allocated or read. */
  mp_process *p = start_client(&a, mp_listener_address(l), NULL, 0, OVERSIZE);
  mp_conn *c;
  mp_assert_rc(mp_listener_accept(l, &c, 10000), MP_EAUTH);
  ck_assert_int_eq(mp_test_finish(p), 0);
  p = start_client(&a, mp_listener_address(l), KEY, 0, TALK);
  serve_talk(l);
  ck_assert_int_eq(mp_test_finish(p), 0);
  mp_listener_free(l);
}
END_TEST

START_TEST(accept_timeout_and_poll) {
  mp_listener *l;
  mp_assert_ok(mp_listener_new(&l, NULL, &keyed));
  mp_conn *c = (mp_conn *)1;
  mp_assert_rc(mp_listener_accept(l, &c, 0), MP_ETIMEDOUT);
  ck_assert_ptr_null(c);
  int64_t t0 = mp_test_now_ms();
  mp_assert_rc(mp_listener_accept(l, &c, 100), MP_ETIMEDOUT);
  ck_assert_int_ge(mp_test_now_ms() - t0, 90);
  /* The fd turns readable when a client waits, so mp_wait can watch a listener. */
  client_arg a;
  mp_process *p = start_client(&a, mp_listener_address(l), KEY, 0, TALK);
  mp_wait_item it = {.kind = MP_WAIT_FD, .u.fd = mp_listener_fileno(l)};
  ck_assert_int_eq(mp_wait(&it, 1, 10000), 1);
  ck_assert(it.ready);
  serve_talk(l);
  ck_assert_int_eq(mp_test_finish(p), 0);
  /* Waiting on the fd and polling accept() alone also completes a handshake: the fd turns
   * readable at each of the client's messages. */
  p = start_client(&a, mp_listener_address(l), KEY, 0, TALK);
  int rc = MP_ETIMEDOUT;
  for (int i = 0; i < 20 && rc == MP_ETIMEDOUT; i++) {
    ck_assert_int_eq(mp_wait(&it, 1, 10000), 1);
    rc = mp_listener_accept(l, &c, 0);
  }
  mp_assert_ok(rc);
  talk(c);
  ck_assert_int_eq(mp_test_finish(p), 0);
  mp_listener_free(l);
}
END_TEST

/* A client whose listener never accepts: its timeout bounds connect and handshake. */
START_TEST(client_timeout) {
  mp_listener *l;
  mp_assert_ok(mp_listener_new(&l, "127.0.0.1:0", &keyed));
  mp_conn *c;
  int64_t t0 = mp_test_now_ms();
  mp_assert_rc(mp_client(&c, mp_listener_address(l), &(mp_client_opts){KEY, KEYLEN}, 200),
               MP_ETIMEDOUT);
  int64_t took = mp_test_now_ms() - t0;
  ck_assert_int_ge(took, 150);
  ck_assert_int_lt(took, 5000);
  mp_listener_free(l);
}
END_TEST

START_TEST(listener_closed) {
  char dir[] = "/tmp/mp-listener-XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(dir));
  char path[MP_ADDRESS_MAX];
  snprintf(path, sizeof path, "%s/s.sock", dir);
  const char *addrs[] = {path, NULL, "127.0.0.1:0"};
  for (size_t i = 0; i < 3; i++) {
    mp_listener *l;
    mp_assert_ok(mp_listener_new(&l, addrs[i], &keyed));
    char addr[MP_ADDRESS_MAX];
    snprintf(addr, sizeof addr, "%s", mp_listener_address(l));
    mp_listener_close(l);
    mp_listener_close(l); /* idempotent */
    ck_assert_int_eq(mp_listener_fileno(l), -1);
    mp_conn *c;
    mp_assert_rc(mp_listener_accept(l, &c, 1000), MP_ECLOSED);
    ck_assert_str_eq(mp_listener_address(l), addr); /* still readable */
    int rc = mp_client(&c, addr, &(mp_client_opts){KEY, KEYLEN}, 1000);
    ck_assert_msg(rc == (i == 0 ? -ENOENT : -ECONNREFUSED), "%s: %s", addr, mp_err_name(rc));
    mp_listener_free(l);
  }
  ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* ---- interoperation with python3 ---- */

/* python3 from PATH; the interop tests fail without it (scripts/deps.sh installs it). */
static const char *python3(void) {
  static char path[4096];
  const char *env = getenv("PATH");
  ck_assert_ptr_nonnull(env);
  char *dirs = strdup(env);
  ck_assert_ptr_nonnull(dirs);
  char *save = NULL;
  bool found = false;
  for (char *d = strtok_r(dirs, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
    snprintf(path, sizeof path, "%s/python3", *d ? d : ".");
    found = access(path, X_OK) == 0;
  }
  free(dirs);
  ck_assert_msg(found, "python3 is not on PATH (scripts/deps.sh test installs it)");
  return path;
}

/* Starts tests/interop/peer.py; for a listener role, reads the address it prints. */
static FILE *peer_start(const char *role, const char *address, const char *key, char *out) {
  char cmd[8192];
  snprintf(cmd, sizeof cmd, "'%s' '%s/peer.py' '%s' '%s' '%s'", python3(), MP_INTEROP_DIR, role,
           address, key ? key : "-");
  fflush(NULL);
  FILE *f = popen(cmd, "re");
  ck_assert_ptr_nonnull(f);
  if (out != NULL) {
    ck_assert_msg(fgets(out, MP_ADDRESS_MAX, f) != NULL, "%s printed no address", role);
    out[strcspn(out, "\n")] = '\0';
  }
  return f;
}

/* Waits for the peer; returns its exit status. */
static int peer_finish(FILE *f) {
  int st = pclose(f);
  ck_assert_int_ne(st, -1);
  ck_assert(WIFEXITED(st));
  return WEXITSTATUS(st);
}

/* A python3 client against our listener: the exchange, then the peer's verdict. */
static void python_client(const char *role, const char *address, const mp_listener_opts *o,
                          const char *key, int accept_rc) {
  mp_listener *l;
  mp_assert_ok(mp_listener_new(&l, address, o));
  FILE *f = peer_start(role, mp_listener_address(l), key, NULL);
  mp_conn *c = NULL;
  mp_assert_rc(mp_listener_accept(l, &c, 20000), accept_rc);
  if (accept_rc == 0) {
    void *buf;
    size_t n;
    mp_assert_ok(mp_conn_recv_bytes(c, &buf, &n, 0, 20000));
    ck_assert(n == 16 && memcmp(buf, "ping from python", 16) == 0);
    free(buf);
    mp_assert_ok(mp_conn_send_bytes(c, "pong:ping from python", 0, 21, 20000));
    mp_conn_free(c);
  }
  ck_assert_int_eq(peer_finish(f), accept_rc == 0 ? 0 : 3);
  mp_listener_free(l);
}

/* Our client against a python3 listener. */
static void python_listener(const char *role, const char *address, const char *key, int client_rc) {
  char addr[MP_ADDRESS_MAX];
  FILE *f = peer_start(role, address, key ? KEY : NULL, addr);
  mp_conn *c = NULL;
  mp_client_opts co = {key, key ? strlen(key) : 0};
  mp_assert_rc(mp_client(&c, addr, &co, 20000), client_rc);
  if (client_rc == 0) {
    mp_assert_ok(mp_conn_send_bytes(c, "hi", 0, 2, 20000));
    void *buf;
    size_t n;
    mp_assert_ok(mp_conn_recv_bytes(c, &buf, &n, 0, 20000));
    ck_assert(n == 7 && memcmp(buf, "pong:hi", 7) == 0);
    free(buf);
    mp_conn_free(c);
  }
  ck_assert_int_eq(peer_finish(f), client_rc == 0 ? 0 : 3);
}

START_TEST(interop_python_client) {
  python_client("client", NULL, &keyed, KEY, 0);
  python_client("client", "127.0.0.1:0", &keyed, KEY, 0);
  python_client("client", "127.0.0.1:0", NULL, NULL, 0);
  python_client("client", NULL, &keyed, "wrong", MP_EAUTH);
  /* A Python 3.11 client given the "{sha256}" challenge answers with HMAC-MD5 over it. */
  mp_listener_opts o = keyed;
  o.digest = "sha256";
  python_client("client", NULL, &o, KEY, 0);
  python_client("client", NULL, &o, "wrong", MP_EAUTH);
}
END_TEST

START_TEST(interop_python_listener) {
  char name[64];
  snprintf(name, sizeof name, "@mp-py-%d", (int)getpid());
  python_listener("listener", name, KEY, 0);
  python_listener("listener", "127.0.0.1:0", KEY, 0);
  python_listener("listener", "127.0.0.1:0", NULL, 0);
  python_listener("listener", name, "wrong", MP_EAUTH);
}
END_TEST

/* The "{sha256}" form as CPython 3.12+ speaks it, both directions. */
START_TEST(interop_modern_form) {
  mp_listener_opts o = keyed;
  o.digest = "sha256";
  python_client("modern-client", NULL, &keyed, KEY, 0); /* bare challenge from us */
  python_client("modern-client", NULL, &o, KEY, 0); /* "{sha256}" challenge from us */
  python_client("modern-client", "127.0.0.1:0", &o, "wrong", MP_EAUTH);
  python_listener("modern-listener", "127.0.0.1:0", KEY, 0);
  python_listener("modern-listener", "127.0.0.1:0", "wrong", MP_EAUTH);
}
END_TEST

Suite *mp_test_suite(void) {
  Suite *s = suite_create("listener");
  TCase *tc = mp_tcase("listener", 60);
  tcase_add_test(tc, unix_path);
  tcase_add_test(tc, unix_path_child_close_keeps_file);
  tcase_add_test(tc, abstract_names);
  tcase_add_test(tc, tcp_ipv4);
  tcase_add_test(tc, tcp_ipv6);
  tcase_add_test(tc, bad_addresses_and_options);
  tcase_add_test(tc, auth_ok_and_wrong_key);
  tcase_add_test(tc, auth_digest_forms);
  tcase_add_test(tc, client_refuses_wrong_listener);
  tcase_add_test(tc, client_checks_the_challenge);
  tcase_add_test(tc, silent_client_times_out);
  tcase_add_test(tc, silent_clients_delay_nobody);
  tcase_add_test(tc, handshake_timeout_drops_silent_client);
  tcase_add_test(tc, pending_limit_refuses_excess);
  tcase_add_test(tc, departed_clients_make_room);
  tcase_add_test(tc, forked_child_leaves_parent_handshakes);
  tcase_add_test(tc, oversized_handshake_message);
  tcase_add_test(tc, accept_timeout_and_poll);
  tcase_add_test(tc, client_timeout);
  tcase_add_test(tc, listener_closed);
  tcase_add_test(tc, interop_python_client);
  tcase_add_test(tc, interop_python_listener);
  tcase_add_test(tc, interop_modern_form);
  suite_add_tcase(s, tc);
  return s;
}
