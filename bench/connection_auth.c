/* SPDX-License-Identifier: MIT */
/* connection_auth.c -- workload "connection_auth": a client connects to a listener in another
 * process over TCP on 127.0.0.1 and completes the auth-key handshake.
 *
 * multiproc: mp_client() with an auth key against an mp_listener accepting in a child (the
 * HMAC challenge both ways: three round trips).  limit: a raw connect()/accept() on 127.0.0.1
 * and one 1-byte round trip, without authentication.
 * Unit: microseconds per connection, lower is better.
 * Python twin: python/connection_auth.py (multiprocessing.connection Client/Listener). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_util.h"
#include "multiproc.h"

#define BASE_ITERS 1000
#define KEY "bench auth key"

typedef struct {
  mp_listener *l;
  long n;
} mp_ctx;

static int mp_server(void *arg) {
  mp_ctx *cx = arg;
  for (long i = 0; i < cx->n; i++) {
    mp_conn *c;
    if (mp_listener_accept(cx->l, &c, 60000) != 0) return 1;
    mp_conn_free(c);
  }
  return 0;
}

static double run_multiproc(void *ctx, long iters) {
  mp_ctx *cx = ctx;
  mp_listener_opts o = {.authkey = KEY, .authkey_len = sizeof KEY - 1};
  bench_check_mp(mp_listener_new(&cx->l, "127.0.0.1:0", &o), "mp_listener_new");
  cx->n = iters;
  mp_process *p = bench_start(mp_server, cx);
  char addr[MP_ADDRESS_MAX];
  strcpy(addr, mp_listener_address(cx->l));
  mp_listener_close(cx->l); /* the child accepts */
  uint64_t t0 = bench_now_ns();
  for (long i = 0; i < iters; i++) {
    mp_conn *c;
    bench_check_mp(mp_client(&c, addr, &(mp_client_opts){KEY, sizeof KEY - 1}, 60000), "mp_client");
    mp_conn_free(c);
  }
  uint64_t t1 = bench_now_ns();
  bench_finish(p, "listener child");
  mp_listener_free(cx->l);
  return bench_us_per_op(t1 - t0, iters);
}

static double run_limit(void *ctx, long iters) {
  (void)ctx;
  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof sa;
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(lfd, 128) != 0 ||
      getsockname(lfd, (struct sockaddr *)&sa, &len) != 0)
    bench_die("raw listen failed");
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) bench_die("fork failed");
  if (pid == 0) {
    for (long i = 0; i < iters; i++) {
      int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
      char b;
      if (fd < 0 || read(fd, &b, 1) != 1 || write(fd, &b, 1) != 1) _exit(1);
      close(fd);
    }
    _exit(0);
  }
  close(lfd);
  uint64_t t0 = bench_now_ns();
  for (long i = 0; i < iters; i++) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    char b = 'x';
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
      bench_die("raw connect failed");
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (write(fd, &b, 1) != 1 || read(fd, &b, 1) != 1) bench_die("raw round trip failed");
    close(fd);
  }
  uint64_t t1 = bench_now_ns();
  int st;
  waitpid(pid, &st, 0);
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) bench_die("raw listener child failed");
  return bench_us_per_op(t1 - t0, iters);
}

int main(void) {
  mp_ctx cx = {0};
  bench_opts o = bench_default_opts("connection_auth", BASE_ITERS);
  double mp, limit;
  bench_compare(&o, run_multiproc, &cx, run_limit, NULL, &mp, &limit);
  bench_report("connection_auth", "us", false, mp, limit);
  return 0;
}
