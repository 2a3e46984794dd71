/* SPDX-License-Identifier: MIT */
/* test_hostile.c -- hostile peers on loopback against a keyed Listener and a remote manager:
 * garbage bytes, forged length prefixes (0x7fffffff, and 0xffffffff + a u64), truncated
 * frames, wrong keys, malformed requests after a good handshake, and ten thousand
 * connections opened and dropped.  Each bad peer must get an error (#FAILURE#, an error reply,
 * or the end of the stream), the server must go on serving good clients, its memory and fds
 * must stay bounded, and nothing may crash.  (Silent clients, the handshake timeout and the
 * connection limits are in test_conn_listener.c and test_manager_remote.c.) */
#include <dirent.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"

#define KEY "hostile test key"
#define KEYLEN (sizeof KEY - 1)
#define DROPS 10000

/* AddressSanitizer keeps freed memory in quarantine (256 MB by default) on purpose, so the
 * resident size of a sanitized server says nothing about leaks; the bound is checked in the
 * ordinary build. */
#if defined(__SANITIZE_ADDRESS__)
#define RSS_CHECKED 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RSS_CHECKED 0
#endif
#endif
#ifndef RSS_CHECKED
#define RSS_CHECKED 1
#endif
#define RSS_GROWTH_MAX_KB (16 * 1024)

static const mp_listener_opts keyed = {.authkey = KEY, .authkey_len = KEYLEN};

/* ---- helpers ---- */

static long rss_kb(pid_t pid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/statm", (int)pid);
  FILE *f = fopen(path, "re");
  ck_assert_ptr_nonnull(f);
  long size = 0, resident = 0;
  ck_assert_int_eq(fscanf(f, "%ld %ld", &size, &resident), 2);
  fclose(f);
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static int fd_count(pid_t pid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
  int n = 0;
  DIR *d = opendir(path);
  ck_assert_ptr_nonnull(d);
  while (readdir(d) != NULL) n++;
  closedir(d);
  return n - 2;
}

static void send_all(int fd, const void *buf, size_t len) {
  ck_assert_int_eq(send(fd, buf, len, MSG_NOSIGNAL), (ssize_t)len);
}

static void put_be32(unsigned char *p, uint32_t v) {
  p[0] = (unsigned char)(v >> 24);
  p[1] = (unsigned char)(v >> 16);
  p[2] = (unsigned char)(v >> 8);
  p[3] = (unsigned char)v;
}

/* Whether the peer closes fd within ms, whatever it sends first (#FAILURE#, say). */
static bool closed_within(int fd, int ms) {
  int64_t end = mp_test_now_ms() + ms;
  char buf[512];
  for (;;) {
    int left = (int)(end - mp_test_now_ms());
    if (left <= 0) return false;
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, left) != 1) return false;
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return true;
  }
}

/* A good client in a child: handshake, "hello", expects "HELLO". */
static char good_address[MP_ADDRESS_MAX];

static int good_client(void *arg) {
  (void)arg;
  mp_conn *c = NULL;
  void *buf = NULL;
  size_t n = 0;
  int rc =
      mp_client(&c, good_address, &(mp_client_opts){.authkey = KEY, .authkey_len = KEYLEN}, 10000);
  if (rc == 0) rc = mp_conn_send_bytes(c, "hello", 0, 5, 10000);
  if (rc == 0) rc = mp_conn_recv_bytes(c, &buf, &n, 0, 10000);
  int code = rc != 0 ? 1 : n != 5 || memcmp(buf, "HELLO", 5) ? 2 : 0;
  free(buf);
  mp_conn_free(c);
  return code;
}

/* Serves one good client on l: accept (skipping the errors of bad peers still being
 * reported), answer its hello. */
static void serve_good_client(mp_listener *l) {
  snprintf(good_address, sizeof good_address, "%s", mp_listener_address(l));
  mp_process *p = mp_test_start(good_client, NULL);
  mp_conn *c = NULL;
  int rc;
  int64_t end = mp_test_now_ms() + 20000;
  while ((rc = mp_listener_accept(l, &c, 10000)) != 0)
    ck_assert_msg(mp_test_now_ms() < end, "no good client accepted: %s", mp_err_name(rc));
  void *buf = NULL;
  size_t n = 0;
  mp_assert_ok(mp_conn_recv_bytes(c, &buf, &n, 0, 10000));
  ck_assert(n == 5 && memcmp(buf, "hello", 5) == 0);
  free(buf);
  mp_assert_ok(mp_conn_send_bytes(c, "HELLO", 0, 5, 10000));
  mp_conn_free(c);
  ck_assert_int_eq(mp_test_finish(p), 0);
}

/* ---- a Listener ---- */

typedef struct {
  const char *what;
  unsigned char bytes[64];
  size_t len;
  bool hang_up; /* close our sending side after the bytes (a truncated frame) */
} bad_peer;

static size_t frame_of(unsigned char *out, uint32_t header, const char *body, size_t len) {
  put_be32(out, header);
  memcpy(out + 4, body, len);
  return 4 + len;
}

START_TEST(listener_refuses_each_bad_peer_and_keeps_serving) {
  bad_peer peers[6] = {
      {.what = "garbage bytes"},
      {.what = "0x7fffffff length"},
      {.what = "0xffffffff + u64 length"},
      {.what = "truncated frame", .hang_up = true},
      {.what = "a frame, then nothing of the next", .hang_up = true},
      {.what = "wrong key (a 16-byte answer)"},
  };
  const char garbage[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  memcpy(peers[0].bytes, garbage, sizeof garbage - 1);
  peers[0].len = sizeof garbage - 1;
  peers[1].len = frame_of(peers[1].bytes, 0x7fffffffu, "abc", 3);
  put_be32(peers[2].bytes, 0xffffffffu);
  put_be32(peers[2].bytes + 4, 0x00000100u); /* 2^40 */
  put_be32(peers[2].bytes + 8, 0);
  peers[2].len = 12;
  peers[3].len = frame_of(peers[3].bytes, 100, "only ten b", 10);
  peers[4].len = frame_of(peers[4].bytes, 16, "0123456789abcdef", 16);
  peers[4].bytes[peers[4].len++] = 0; /* two bytes of a header */
  peers[4].bytes[peers[4].len++] = 0;
  peers[5].len = frame_of(peers[5].bytes, 16, "sixteen bytes!!!", 16);

  mp_listener *l;
  mp_assert_ok(mp_listener_new(&l, "127.0.0.1:0", &keyed));
  for (size_t i = 0; i < sizeof peers / sizeof peers[0]; i++) {
    int fd = mp_test_silent_connect(mp_listener_address(l));
    /* the challenge comes as soon as accept moves the handshake */
    mp_conn *c = (mp_conn *)1;
    mp_assert_rc(mp_listener_accept(l, &c, 50), MP_ETIMEDOUT);
    ck_assert_msg(mp_test_first_heard(fd, 5000) == 1, "%s: no challenge", peers[i].what);
    send_all(fd, peers[i].bytes, peers[i].len);
    if (peers[i].hang_up) shutdown(fd, SHUT_WR);
    int rc = mp_listener_accept(l, &c, 10000);
    ck_assert_msg(rc != 0 && rc != MP_ETIMEDOUT, "%s: accept gave %s", peers[i].what,
                  mp_err_name(rc));
    ck_assert_ptr_null(c);
    ck_assert_msg(closed_within(fd, 5000), "%s: the listener kept the peer", peers[i].what);
    close(fd);
    serve_good_client(l);
  }
  mp_listener_free(l);
}
END_TEST

START_TEST(listener_survives_ten_thousand_dropped_connections) {
  mp_listener *l;
  mp_assert_ok(mp_listener_new(&l, "127.0.0.1:0", &keyed));
  serve_good_client(l); /* warm: the first connection's buffers are in the baseline */
  long rss0 = rss_kb(getpid());
  int fds0 = fd_count(getpid());
  for (int i = 0; i < DROPS; i++) {
    int fd = mp_test_silent_connect(mp_listener_address(l));
    if (i % 3 == 1) send_all(fd, "\x00\x00", 2); /* some leave inside a header */
    close(fd);
    if (i % 64 == 63) {
      /* let the listener take the dropped clients in and report them */
      mp_conn *c = NULL;
      while (mp_listener_accept(l, &c, 0) != MP_ETIMEDOUT) ck_assert_ptr_null(c);
    }
  }
  serve_good_client(l);
  mp_conn *c = NULL;
  while (mp_listener_accept(l, &c, 100) != MP_ETIMEDOUT) ck_assert_ptr_null(c);
  ck_assert_int_le(fd_count(getpid()), fds0);
  long growth = rss_kb(getpid()) - rss0;
  if (RSS_CHECKED) ck_assert_msg(growth < RSS_GROWTH_MAX_KB, "RSS grew by %ld KiB", growth);
  mp_listener_free(l);
}
END_TEST

/* ---- a remote manager ---- */

/* The manager's server: the child that appeared across mp_manager_start(). */
static pid_t start_remote(mp_manager **m) {
  pid_t before = 0;
  char path[64];
  snprintf(path, sizeof path, "/proc/self/task/%d/children", (int)getpid());
  mp_assert_ok(mp_manager_new(
      m, &(mp_manager_opts){.address = "127.0.0.1:0", .authkey = KEY, .authkey_len = KEYLEN}));
  FILE *f = fopen(path, "re");
  ck_assert_ptr_nonnull(f);
  if (fscanf(f, "%d", &before) != 1) before = 0;
  fclose(f);
  mp_assert_ok(mp_manager_start(*m));
  pid_t server = 0, pid;
  f = fopen(path, "re");
  ck_assert_ptr_nonnull(f);
  while (fscanf(f, "%d", &pid) == 1)
    if (pid != before) server = pid;
  fclose(f);
  ck_assert_int_gt(server, 0);
  return server;
}

/* A good remote client: connects by address, makes a list, appends, reads it back. */
static void good_remote_call(const char *address) {
  mp_manager *c;
  mp_assert_ok(mp_manager_new(
      &c, &(mp_manager_opts){.address = address, .authkey = KEY, .authkey_len = KEYLEN}));
  mp_assert_ok(mp_manager_connect(c, 10000));
  mp_proxy *l;
  mp_assert_ok(mp_manager_list(c, NULL, &l));
  mp_obj *v = mp_obj_int(42);
  mp_assert_ok(mp_list_proxy_append(l, v));
  mp_obj_decref(v);
  int64_t n = 0;
  mp_assert_ok(mp_list_proxy_len(l, &n));
  ck_assert_int_eq(n, 1);
  mp_proxy_free(l);
  mp_manager_free(c);
}

/* A request: the 32-byte little-endian header (op, name length, session, caller, id), the
 * name, then args (src/manager/mgr_internal.h). */
static size_t request(unsigned char *out, int op, size_t name_len_claimed, const char *name,
                      const void *args, size_t args_len) {
  memset(out, 0, 32);
  out[0] = (unsigned char)op;
  out[1] = (unsigned char)name_len_claimed;
  out[8] = 7; /* session */
  out[16] = 9; /* caller */
  out[24] = 1; /* object id */
  size_t nl = strlen(name);
  memcpy(out + 32, name, nl);
  if (args_len > 0) memcpy(out + 32 + nl, args, args_len);
  return 32 + nl + args_len;
}

START_TEST(manager_answers_malformed_requests_with_errors) {
  mp_manager *m;
  pid_t server = start_remote(&m);
  const char *addr = mp_manager_address(m);
  good_remote_call(addr);
  long rss0 = rss_kb(server);
  int fds0 = fd_count(server);

  unsigned char reqs[6][96];
  size_t lens[6];
  const char *what[6] = {"5 bytes",
                         "a name longer than the request",
                         "a reserved MessagePack byte",
                         "an array of 2^32-1 items in 5 bytes",
                         "arguments that are not a tuple",
                         "an unknown operation"};
  memcpy(reqs[0], "hello", 5);
  lens[0] = 5;
  lens[1] = request(reqs[1], 1, 200, "append", NULL, 0);
  lens[2] = request(reqs[2], 1, 6, "append", "\xc1", 1);
  lens[3] = request(reqs[3], 1, 6, "append", "\xdd\xff\xff\xff\xff", 5);
  lens[4] = request(reqs[4], 1, 6, "append", "\x2a", 1);
  lens[5] = request(reqs[5], 99, 0, "", NULL, 0);
  for (int round = 0; round < 50; round++) {
    mp_conn *c;
    mp_assert_ok(
        mp_client(&c, addr, &(mp_client_opts){.authkey = KEY, .authkey_len = KEYLEN}, 10000));
    for (int i = 0; i < 6; i++) {
      mp_assert_ok(mp_conn_send_bytes(c, reqs[i], 0, lens[i], 10000));
      void *rep = NULL;
      size_t n = 0;
      int rc = mp_conn_recv_bytes(c, &rep, &n, 0, 10000);
      ck_assert_msg(rc == 0, "%s: %s", what[i], mp_err_name(rc));
      /* an error reply: status MGR_ERR (1), then the code and a message */
      ck_assert_msg(n >= 8 && ((unsigned char *)rep)[0] == 1, "%s: not an error reply", what[i]);
      free(rep);
    }
    mp_conn_free(c);
  }
  good_remote_call(addr);

  /* Frames the server cannot take at all: it closes the connection. */
  unsigned char frames[3][16];
  size_t flen[3];
  put_be32(frames[0], 0x7fffffffu);
  flen[0] = 4;
  put_be32(frames[1], 0xffffffffu);
  put_be32(frames[1] + 4, 0x40000000u); /* 2^62 */
  put_be32(frames[1] + 8, 0);
  flen[1] = 12;
  put_be32(frames[2], 1000);
  memcpy(frames[2] + 4, "ten bytes.", 10);
  flen[2] = 14;
  for (int i = 0; i < 3; i++) {
    mp_conn *c;
    mp_assert_ok(
        mp_client(&c, addr, &(mp_client_opts){.authkey = KEY, .authkey_len = KEYLEN}, 10000));
    send_all(mp_conn_fileno(c), frames[i], flen[i]);
    if (i == 2) shutdown(mp_conn_fileno(c), SHUT_WR);
    void *rep = NULL;
    size_t n;
    int rc = mp_conn_recv_bytes(c, &rep, &n, 0, 10000);
    ck_assert_msg(rc == MP_EOF || rc == -ECONNRESET, "frame %d: %s", i, mp_err_name(rc));
    mp_conn_free(c);
  }
  good_remote_call(addr);

  int64_t end = mp_test_now_ms() + 5000;
  while (fd_count(server) > fds0 && mp_test_now_ms() < end) mp_test_sleep_ms(20);
  ck_assert_int_le(fd_count(server), fds0);
  long growth = rss_kb(server) - rss0;
  if (RSS_CHECKED) ck_assert_msg(growth < RSS_GROWTH_MAX_KB, "RSS grew by %ld KiB", growth);
  mp_manager_free(m);
}
END_TEST

START_TEST(manager_survives_garbage_wrong_keys_and_dropped_connections) {
  mp_manager *m;
  pid_t server = start_remote(&m);
  const char *addr = mp_manager_address(m);
  good_remote_call(addr);
  long rss0 = rss_kb(server);
  int fds0 = fd_count(server);

  /* garbage instead of an answer: #FAILURE# or just the end */
  for (int i = 0; i < 20; i++) {
    int fd = mp_test_silent_connect(addr);
    ck_assert_int_eq(mp_test_first_heard(fd, 5000), 1);
    send_all(fd, "\x00\x00\x00\x05garbage and more", 20);
    ck_assert(closed_within(fd, 5000));
    close(fd);
  }
  /* wrong keys */
  for (int i = 0; i < 20; i++) {
    mp_conn *c = NULL;
    mp_assert_rc(
        mp_client(&c, addr, &(mp_client_opts){.authkey = "not the key", .authkey_len = 11}, 10000),
        MP_EAUTH);
    ck_assert_ptr_null(c);
  }
  /* connections opened and dropped, some inside a frame header, good clients among them */
  for (int i = 0; i < DROPS; i++) {
    int fd = mp_test_silent_connect(addr);
    if (i % 3 == 1) send_all(fd, "\x7f", 1);
    close(fd);
    if (i % 2500 == 2499) good_remote_call(addr);
  }
  good_remote_call(addr);
  int64_t end = mp_test_now_ms() + 5000;
  while (fd_count(server) > fds0 && mp_test_now_ms() < end) mp_test_sleep_ms(20);
  ck_assert_int_le(fd_count(server), fds0);
  long growth = rss_kb(server) - rss0;
  if (RSS_CHECKED) ck_assert_msg(growth < RSS_GROWTH_MAX_KB, "RSS grew by %ld KiB", growth);
  mp_manager_free(m);
}
END_TEST

Suite *mp_test_suite(void) {
  Suite *s = suite_create("hostile");
  /* the ten thousand connections take seconds here, more on a loaded machine */
  TCase *tc = mp_tcase("hostile", 120);
  tcase_add_test(tc, listener_refuses_each_bad_peer_and_keeps_serving);
  tcase_add_test(tc, listener_survives_ten_thousand_dropped_connections);
  tcase_add_test(tc, manager_answers_malformed_requests_with_errors);
  tcase_add_test(tc, manager_survives_garbage_wrong_keys_and_dropped_connections);
  suite_add_tcase(s, tc);
  return s;
}
