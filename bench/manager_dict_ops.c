/* SPDX-License-Identifier: MIT */
/* manager_dict_ops.c -- workload "manager_dict_ops": a child process calls a manager's dict
 * through its proxy, alternating d['k'] = i and d['k'] (each call one operation).
 *
 * multiproc: mp_manager_start() (server in a child), mp_manager_dict(); the worker child
 * alternates mp_dict_proxy_set and mp_dict_proxy_get; it shares the manager's heap, so its
 * calls go through a shared-memory request channel.  limit: the same request/reply shape with
 * no library: a raw shared-memory ring between two processes carrying a request of the same
 * size (memcpy in, memcpy out, a reply of the same size), handed over with atomics, a short
 * spin and FUTEX_WAIT/FUTEX_WAKE -- the transport without encoding, dispatch or a dict.
 * Unit: operations per second (measured inside the calling child), higher is better.
 * Python twin: python/manager_dict_ops.py (Manager().dict() from a forked child). */
#include <linux/futex.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"
#include "multiproc.h"

#define BASE_ITERS 200000

typedef struct {
  mp_proxy *d;
  long n;
  double *result; /* in the shared heap: ops/s measured by the child */
} mp_ctx;

static int worker(void *arg) {
  mp_ctx *cx = arg;
  mp_obj *k = mp_obj_str("k"), *v;
  for (int i = 0; i < 100; i++) { /* warm up: attach the channel, fault the pages */
    mp_obj *x = mp_obj_int(i);
    if (mp_dict_proxy_set(cx->d, k, x) != 0) return 1;
    mp_obj_decref(x);
  }
  uint64_t t0 = bench_now_ns();
  for (long i = 0; i < cx->n; i += 2) {
    mp_obj *x = mp_obj_int(i);
    if (mp_dict_proxy_set(cx->d, k, x) != 0) return 2;
    mp_obj_decref(x);
    if (mp_dict_proxy_get(cx->d, k, &v) != 0) return 3;
    int64_t got;
    if (mp_obj_get_int(v, &got) != 0 || got != i) return 4;
    mp_obj_decref(v);
  }
  *cx->result = bench_ops_per_s(bench_now_ns() - t0, cx->n);
  mp_obj_decref(k);
  return 0;
}

static double run_multiproc(void *ctx, long iters) {
  mp_ctx *cx = ctx;
  cx->n = iters;
  bench_finish(bench_start(worker, cx), "dict client");
  return *cx->result;
}

/* ---- the raw floor ---- */

#define RAW_MSG 48 /* about the size of a set request (header, name, key, value) */

typedef struct {
  _Alignas(64) _Atomic uint32_t req;
  _Atomic uint32_t srv_sleep;
  _Alignas(64) _Atomic uint32_t rep;
  _Atomic uint32_t cli_sleep;
  _Alignas(64) unsigned char buf[256];
} raw_chan;

static void fwait(_Atomic uint32_t *w, uint32_t v) {
  syscall(SYS_futex, w, FUTEX_WAIT, v, NULL, NULL, 0);
}
static void fwake(_Atomic uint32_t *w) { syscall(SYS_futex, w, FUTEX_WAKE, 1, NULL, NULL, 0); }

/* The same wait as the library's channel: spin up to spin_ns, then sleep announced. */
static void raw_wait(_Atomic uint32_t *w, _Atomic uint32_t *sleep_flag, uint32_t old,
                     uint64_t spin_ns) {
  uint64_t until = bench_now_ns() + spin_ns;
  do {
    for (int i = 0; i < 64; i++)
      if (atomic_load_explicit(w, memory_order_acquire) != old) return;
  } while (bench_now_ns() < until);
  for (;;) {
    atomic_store(sleep_flag, 1);
    if (atomic_load(w) != old) break;
    fwait(w, old);
    if (atomic_load(w) != old) break;
  }
  atomic_store(sleep_flag, 0);
}

static void raw_post(_Atomic uint32_t *w, _Atomic uint32_t *sleep_flag, uint32_t v) {
  atomic_store(w, v);
  if (atomic_load(sleep_flag)) fwake(w);
}

static double run_limit(void *ctx, long iters) {
  (void)ctx;
  raw_chan *c =
      mmap(NULL, sizeof(raw_chan) + 64, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  double *result = (double *)(c + 1);
  if (c == MAP_FAILED) bench_die("mmap");
  memset(c, 0, sizeof *c);
  pid_t server = fork();
  if (server < 0) bench_die("fork");
  if (server == 0) {
    unsigned char msg[RAW_MSG];
    for (uint32_t seen = 0;;) {
      raw_wait(&c->req, &c->srv_sleep, seen, 100000);
      seen = atomic_load(&c->req);
      if (seen == UINT32_MAX) _exit(0);
      memcpy(msg, c->buf, RAW_MSG);
      msg[0]++;
      memcpy(c->buf, msg, RAW_MSG);
      raw_post(&c->rep, &c->cli_sleep, seen);
    }
  }
  pid_t client = fork();
  if (client < 0) bench_die("fork");
  if (client == 0) {
    unsigned char msg[RAW_MSG] = {0};
    uint32_t seq = 0;
    uint64_t t0 = 0;
    for (long i = -100; i < iters; i++) {
      if (i == 0) t0 = bench_now_ns();
      memcpy(c->buf, msg, RAW_MSG);
      raw_post(&c->req, &c->srv_sleep, ++seq);
      raw_wait(&c->rep, &c->cli_sleep, seq - 1, 60000);
      memcpy(msg, c->buf, RAW_MSG);
    }
    *result = bench_ops_per_s(bench_now_ns() - t0, iters);
    raw_post(&c->req, &c->srv_sleep, UINT32_MAX);
    _exit(0);
  }
  int st1, st2;
  waitpid(client, &st1, 0);
  waitpid(server, &st2, 0);
  if (!WIFEXITED(st1) || WEXITSTATUS(st1) || !WIFEXITED(st2) || WEXITSTATUS(st2))
    bench_die("raw ring children failed");
  double r = *result;
  munmap(c, sizeof(raw_chan) + 64);
  return r;
}

int main(void) {
  mp_ctx cx = {0};
  mp_manager *m;
  bench_check_mp(mp_manager_new(&m, NULL), "mp_manager_new");
  bench_check_mp(mp_manager_start(m), "mp_manager_start");
  bench_check_mp(mp_manager_dict(m, NULL, &cx.d), "mp_manager_dict");
  cx.result = mp_shared_alloc(sizeof(double));
  if (cx.result == NULL) bench_die("mp_shared_alloc");
  bench_opts o = bench_default_opts("manager_dict_ops", BASE_ITERS);
  o.higher = true;
  double mp, limit;
  bench_compare(&o, run_multiproc, &cx, run_limit, NULL, &mp, &limit);
  mp_proxy_free(cx.d);
  mp_manager_free(m);
  mp_shared_free(cx.result, sizeof(double));
  bench_report("manager_dict_ops", "ops/s", true, mp, limit);
  return 0;
}
