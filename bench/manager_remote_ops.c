/* SPDX-License-Identifier: MIT */
/* manager_remote_ops.c -- workload "manager_remote_ops": as manager_dict_ops, but the client
 * is connected over TCP on 127.0.0.1 (mp_manager_connect with the auth key), as an unrelated
 * process or another machine would be.
 *
 * multiproc: the server started with address "127.0.0.1:0"; a child makes its own handle,
 * connects, creates a dict and alternates d['k'] = i and d['k'].  limit: a raw TCP
 * request/response round trip of the same sizes on 127.0.0.1 (TCP_NODELAY, write() of a
 * 48-byte request and of a 16-byte reply, no framing, no codec, no dispatch), waiting for the
 * bytes the fastest raw way at the moment: multiproc's connection polls before it sleeps, so
 * the floor runs the round trips polling recv(MSG_DONTWAIT) with a pause or a sched_yield()
 * between polls, and with blocking reads, and takes the fastest (raw_stream.h); its best
 * batch counts (opts.limit_best), as that fastest way swings with where the two run.
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
#include "raw_stream.h"

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

#define RAW_WARMUP 100 /* untimed round trips first, as the multiproc client's 100 sets */

/* The raw client: iters timed round trips after the warm-up, each reply checked to carry its
 * request's number; the rate into *result. */
static void raw_client(const struct sockaddr_in *a, long iters, enum raw_wait how, double *result) {
  int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  if (c < 0 || connect(c, (const struct sockaddr *)a, sizeof *a) != 0) bench_die("raw connect");
  setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  unsigned char req[48] = {0}, rep[16];
  uint64_t t0 = 0;
  for (long i = -RAW_WARMUP; i < iters; i++) {
    if (i == 0) t0 = bench_now_ns();
    memcpy(req, &i, sizeof i);
    raw_write_full(c, req, sizeof req);
    raw_read_full(c, rep, sizeof rep, how);
    if (memcmp(rep, &i, sizeof i) != 0) bench_die("raw tcp: wrong reply to %ld", i);
  }
  *result = bench_ops_per_s(bench_now_ns() - t0, iters);
  close(c);
}

/* The raw server: answers every request with a reply carrying the request's number. */
static void raw_server(int ls, long iters, enum raw_wait how) {
  int c = accept(ls, NULL, NULL);
  int one = 1;
  if (c < 0) bench_die("raw accept");
  setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  unsigned char req[48], rep[16] = {0};
  for (long i = -RAW_WARMUP; i < iters; i++) {
    raw_read_full(c, req, sizeof req, how);
    memcpy(rep, req, sizeof(long));
    raw_write_full(c, rep, sizeof rep);
  }
  close(c);
}

/* A raw_stream_run: a fresh listener, server and client; ops/s measured in the client. */
static double run_limit_one(void *ctx, long iters, enum raw_wait how) {
  double *result = ctx;
  int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t al = sizeof a;
  if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof a) != 0 || listen(ls, 4) != 0 ||
      getsockname(ls, (struct sockaddr *)&a, &al) != 0)
    bench_die("raw listen");
  pid_t server = fork();
  if (server < 0) bench_die("fork failed");
  if (server == 0) {
    raw_server(ls, iters, how);
    _exit(0);
  }
  close(ls);
  pid_t client = fork();
  if (client < 0) bench_die("fork failed");
  if (client == 0) {
    raw_client(&a, iters, how, result);
    _exit(0);
  }
  int s1, s2;
  waitpid(client, &s1, 0);
  waitpid(server, &s2, 0);
  if (!WIFEXITED(s1) || WEXITSTATUS(s1) || !WIFEXITED(s2) || WEXITSTATUS(s2))
    bench_die("raw tcp children failed");
  return *result;
}

static double run_limit(void *ctx, long iters) {
  return raw_stream_best(run_limit_one, ctx, iters, true);
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
  /* where the raw client leaves its rate: shared with the parent */
  double *raw_result =
      mmap(NULL, sizeof(double), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (raw_result == MAP_FAILED) bench_die("mmap");
  bench_opts o = bench_default_opts("manager_remote_ops", BASE_ITERS);
  o.higher = true;
  double mp, limit;
  bench_compare(&o, run_multiproc, &cx, run_limit, raw_result, &mp, &limit);
  mp_manager_free(m);
  mp_shared_free(cx.result, sizeof(double));
  bench_report("manager_remote_ops", "ops/s", true, mp, limit);
  return 0;
}
