/* SPDX-License-Identifier: MIT */
/* manager_remote_ops.c -- workload "manager_remote_ops": as manager_dict_ops, but the client
 * is connected over TCP on 127.0.0.1 (mp_manager_connect with the auth key), as an unrelated
 * process or another machine would be.
 *
 * multiproc: the server started with address "127.0.0.1:0"; a child makes its own handle,
 * connects, creates a dict and alternates d['k'] = i and d['k'].  limit: a raw TCP
 * request/response round trip of the same sizes on 127.0.0.1 (TCP_NODELAY, blocking write()
 * and read() of a 48-byte request and a 16-byte reply, no framing, no codec, no dispatch).
 * Unit: operations per second measured in the client, higher is better.
 * Python twin: python/manager_remote_ops.py (SyncManager on 127.0.0.1, a child connects). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_util.h"
#include "multiproc.h"

#define BASE_ITERS 10000
#define KEY "bench-key"

typedef struct {
  const char *address;
  long n;
  double *result;
} mp_ctx;

static int worker(void *arg) {
  mp_ctx *cx = arg;
  mp_manager *m;
  if (mp_manager_new(&m, &(mp_manager_opts){.address = cx->address,
                                            .authkey = KEY,
                                            .authkey_len = strlen(KEY)}) != 0 ||
      mp_manager_connect(m, 10000) != 0)
    return 1;
  mp_proxy *d;
  if (mp_manager_dict(m, NULL, &d) != 0) return 2;
  mp_obj *k = mp_obj_str("k"), *v;
  for (int i = 0; i < 100; i++) {
    mp_obj *x = mp_obj_int(i);
    if (mp_dict_proxy_set(d, k, x) != 0) return 3;
    mp_obj_decref(x);
  }
  uint64_t t0 = bench_now_ns();
  for (long i = 0; i < cx->n; i += 2) {
    mp_obj *x = mp_obj_int(i);
    if (mp_dict_proxy_set(d, k, x) != 0) return 4;
    mp_obj_decref(x);
    int64_t got;
    if (mp_dict_proxy_get(d, k, &v) != 0 || mp_obj_get_int(v, &got) != 0 || got != i) return 5;
    mp_obj_decref(v);
  }
  *cx->result = bench_ops_per_s(bench_now_ns() - t0, cx->n);
  mp_obj_decref(k);
  mp_proxy_free(d);
  mp_manager_free(m);
  return 0;
}

static double run_multiproc(void *ctx, long iters) {
  mp_ctx *cx = ctx;
  cx->n = iters;
  bench_finish(bench_start(worker, cx), "remote dict client");
  return *cx->result;
}

/* ---- the raw floor ---- */

static void full_io(int fd, void *buf, size_t len, bool rd) {
  size_t done = 0;
  while (done < len) {
    ssize_t r =
        rd ? read(fd, (char *)buf + done, len - done) : write(fd, (char *)buf + done, len - done);
    if (r <= 0) bench_die("raw tcp i/o failed");
    done += (size_t)r;
  }
}

static double run_limit(void *ctx, long iters) {
  (void)ctx;
  double *result = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (result == MAP_FAILED) bench_die("mmap");
  int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t al = sizeof a;
  if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof a) != 0 || listen(ls, 4) != 0 ||
      getsockname(ls, (struct sockaddr *)&a, &al) != 0)
    bench_die("raw listen");
  pid_t server = fork();
  if (server == 0) {
    int c = accept(ls, NULL, NULL);
    int one = 1;
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    unsigned char req[48], rep[16] = {0};
    for (long i = -100; i < iters; i++) {
      full_io(c, req, sizeof req, true);
      rep[0] = req[0];
      full_io(c, rep, sizeof rep, false);
    }
    _exit(0);
  }
  pid_t client = fork();
  if (client == 0) {
    int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (connect(c, (struct sockaddr *)&a, sizeof a) != 0) _exit(1);
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    unsigned char req[48] = {0}, rep[16];
    uint64_t t0 = 0;
    for (long i = -100; i < iters; i++) {
      if (i == 0) t0 = bench_now_ns();
      req[0] = (unsigned char)i;
      full_io(c, req, sizeof req, false);
      full_io(c, rep, sizeof rep, true);
      if (rep[0] != req[0]) _exit(2);
    }
    *result = bench_ops_per_s(bench_now_ns() - t0, iters);
    _exit(0);
  }
  close(ls);
  int s1, s2;
  waitpid(client, &s1, 0);
  waitpid(server, &s2, 0);
  if (!WIFEXITED(s1) || WEXITSTATUS(s1) || !WIFEXITED(s2) || WEXITSTATUS(s2))
    bench_die("raw tcp children failed");
  double r = *result;
  munmap(result, 4096);
  return r;
}

int main(void) {
  mp_manager *m;
  bench_check_mp(mp_manager_new(&m, &(mp_manager_opts){.address = "127.0.0.1:0",
                                                       .authkey = KEY,
                                                       .authkey_len = strlen(KEY)}),
                 "mp_manager_new");
  bench_check_mp(mp_manager_start(m), "mp_manager_start");
  mp_ctx cx = {.address = mp_manager_address(m)};
  cx.result = mp_shared_alloc(sizeof(double));
  if (cx.result == NULL) bench_die("mp_shared_alloc");
  bench_opts o = bench_default_opts("manager_remote_ops", BASE_ITERS);
  o.higher = true;
  double mp, limit;
  bench_compare(&o, run_multiproc, &cx, run_limit, NULL, &mp, &limit);
  mp_manager_free(m);
  mp_shared_free(cx.result, sizeof(double));
  bench_report("manager_remote_ops", "ops/s", true, mp, limit);
  return 0;
}
