/* SPDX-License-Identifier: MIT */
/* allocfail.c -- allocation-failure injection: runs one scenario (values and their codec, a
 * pipe, a queue, a manager's dict, an authenticated listener) once to count its allocations,
 * then again in a child whose Nth allocation fails, for every N up to the listener's part and
 * for LISTENER_RUNS values of N spread over that part (libcrypto's HMAC allocates thousands
 * of times; each one failing would take minutes).  Every run must end cleanly: each call
 * returns 0 or an error code, a result that came back is the right one, and the child neither
 * crashes nor hangs.  The program replaces malloc, calloc and realloc for the whole process
 * (glibc allows that), failing only in the process that armed the count, so children (the
 * manager's server, the listener's client) allocate normally.
 *   allocfail            the runs above (ctest)
 *   allocfail N          one run, in this process, failing allocation N (for a debugger) */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "multiproc.h"

/* ---- the allocator: glibc's, with the Nth call of the armed process failing ---- */

void *__libc_malloc(size_t size);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *p, size_t size);

static _Atomic long calls; /* allocations counted since arming */
static long fail_at; /* 0: none fails */
static _Atomic pid_t armed_pid; /* 0: not counting */

static int should_fail(void) {
  pid_t armed = atomic_load_explicit(&armed_pid, memory_order_relaxed);
  if (armed == 0 || getpid() != armed) return 0;
  long n = atomic_fetch_add(&calls, 1) + 1;
  return n == fail_at;
}

void *malloc(size_t size) {
  if (should_fail()) {
    errno = ENOMEM;
    return NULL;
  }
  return __libc_malloc(size);
}

void *calloc(size_t n, size_t size) {
  if (should_fail()) {
    errno = ENOMEM;
    return NULL;
  }
  return __libc_calloc(n, size);
}

void *realloc(void *p, size_t size) {
  if (should_fail()) {
    errno = ENOMEM;
    return NULL;
  }
  return __libc_realloc(p, size);
}

/* ---- the scenario ---- */

#define LISTENER_RUNS 150

static int failures; /* checks that did not hold */
static long before_listener; /* allocations counted when the listener's part began */

#define CHECK(cond)                                                                                \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      fprintf(stderr, "allocfail: N=%ld: %s:%d: %s\n", fail_at, __FILE__, __LINE__, #cond);        \
      failures++;                                                                                  \
    }                                                                                              \
  } while (0)

/* An error code a caller can act on: negative, and named by mp_strerror. */
static bool clean_error(int rc) { return rc < 0 && mp_strerror(rc) != NULL; }

static mp_obj *sample(void) {
  mp_obj *d = mp_obj_dict();
  if (d == NULL) return NULL;
  mp_obj *l = mp_obj_list();
  int rc = mp_obj_list_append_steal(l, mp_obj_int(7));
  if (rc == 0) rc = mp_obj_list_append_steal(l, mp_obj_str("seven"));
  if (rc == 0)
    rc = mp_obj_dict_set_steal(d, mp_obj_str("list"), l);
  else
    mp_obj_decref(l);
  if (rc == 0)
    rc = mp_obj_dict_set_steal(d, mp_obj_bytes("\0\1\2", 3),
                               mp_obj_tuple2_steal(mp_obj_float(2.5), mp_obj_bool(true)));
  if (rc != 0) {
    CHECK(clean_error(rc));
    mp_obj_decref(d);
    return NULL;
  }
  return d;
}

static void values(const mp_obj *v) {
  void *buf = NULL;
  size_t len = 0;
  int rc = mp_obj_encode(v, &buf, &len);
  CHECK(rc == 0 || clean_error(rc));
  if (rc == 0) {
    mp_obj *back = NULL;
    rc = mp_obj_decode(buf, len, NULL, &back);
    CHECK(rc == 0 || clean_error(rc));
    if (rc == 0) CHECK(mp_obj_equal(v, back));
    mp_obj_decref(back);
  }
  free(buf);
  free(mp_obj_repr(v)); /* NULL when memory ran out: nothing to check but no crash */
}

static void pipe_round_trip(const mp_obj *v) {
  mp_conn *a = NULL, *b = NULL;
  int rc = mp_pipe(&a, &b, true);
  CHECK(rc == 0 || clean_error(rc));
  if (rc == 0) {
    rc = mp_conn_send(a, v, 1000);
    CHECK(rc == 0 || clean_error(rc));
    if (rc == 0) {
      mp_obj *got = NULL;
      rc = mp_conn_recv(b, &got, 1000);
      CHECK(rc == 0 || clean_error(rc));
      if (rc == 0) CHECK(mp_obj_equal(v, got));
      mp_obj_decref(got);
    }
  }
  mp_conn_free(a);
  mp_conn_free(b);
}

static void queue_round_trip(const mp_obj *v) {
  mp_queue *q = NULL;
  int rc = mp_queue_new(&q, 0);
  CHECK(rc == 0 || clean_error(rc));
  if (rc != 0) return;
  rc = mp_queue_put_obj(q, v, 1000);
  CHECK(rc == 0 || clean_error(rc));
  mp_obj *got = NULL;
  int grc = mp_queue_get_obj(q, &got, rc == 0 ? 1000 : 0);
  if (rc == 0) {
    CHECK(grc == 0 || clean_error(grc));
    if (grc == 0) CHECK(mp_obj_equal(v, got));
  } else {
    CHECK(grc == MP_EEMPTY || clean_error(grc));
  }
  mp_obj_decref(got);
  mp_queue_free(q);
}

/* The listener's side of an authenticated connection (HMAC, libcrypto's allocations too); the
 * client is a child, which allocates normally. */
static void listener_round_trip(const mp_obj *v) {
  static const char key[] = "allocfail key";
  mp_listener *l = NULL;
  mp_listener_opts lo = {.authkey = key, .authkey_len = sizeof key - 1};
  int rc = mp_listener_new(&l, NULL, &lo);
  CHECK(rc == 0 || clean_error(rc));
  if (rc != 0) return;
  char addr[MP_ADDRESS_MAX];
  snprintf(addr, sizeof addr, "%s", mp_listener_address(l));
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    atomic_store(&armed_pid, 0);
    mp_conn *c = NULL;
    mp_client_opts co = {.authkey = key, .authkey_len = sizeof key - 1};
    if (mp_client(&c, addr, &co, 5000) == 0) (void)mp_conn_send(c, v, 5000);
    mp_conn_free(c);
    _exit(0);
  }
  CHECK(pid > 0);
  if (pid > 0) {
    mp_conn *c = NULL;
    rc = mp_listener_accept(l, &c, 5000);
    CHECK(rc == 0 || clean_error(rc));
    if (rc == 0) {
      mp_obj *got = NULL;
      rc = mp_conn_recv(c, &got, 5000);
      CHECK(rc == 0 || clean_error(rc));
      if (rc == 0) CHECK(mp_obj_equal(v, got));
      mp_obj_decref(got);
    }
    mp_conn_free(c);
  }
  mp_listener_free(l); /* a client still in its handshake sees the end and leaves */
  if (pid > 0)
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
    }
}

static void manager_dict(const mp_obj *v) {
  mp_manager *m = NULL;
  int rc = mp_manager_new(&m, NULL);
  CHECK(rc == 0 || clean_error(rc));
  if (rc != 0) return;
  rc = mp_manager_start(m);
  CHECK(rc == 0 || clean_error(rc));
  if (rc == 0) {
    mp_proxy *d = NULL;
    rc = mp_manager_dict(m, NULL, &d);
    CHECK(rc == 0 || clean_error(rc));
    if (rc == 0) {
      mp_obj *k = mp_obj_str("k");
      rc = k != NULL ? mp_dict_proxy_set(d, k, v) : -ENOMEM;
      CHECK(rc == 0 || clean_error(rc));
      if (rc == 0) {
        mp_obj *got = NULL;
        rc = mp_dict_proxy_get(d, k, &got);
        CHECK(rc == 0 || clean_error(rc));
        if (rc == 0) CHECK(mp_obj_equal(v, got));
        mp_obj_decref(got);
      }
      mp_obj_decref(k);
      mp_proxy_free(d);
    }
    rc = mp_manager_shutdown(m);
    CHECK(rc == 0 || clean_error(rc));
  }
  mp_manager_free(m);
}

static void scenario(void) {
  mp_obj *v = sample();
  if (v == NULL) return;
  values(v);
  pipe_round_trip(v);
  queue_round_trip(v);
  manager_dict(v);
  before_listener = atomic_load(&calls);
  listener_round_trip(v);
  mp_obj_decref(v);
}

/* Runs the scenario with allocation n failing (0: none); returns the allocations counted. */
static long run(long n) {
  fail_at = n;
  atomic_store(&calls, 0);
  atomic_store(&armed_pid, getpid());
  scenario();
  atomic_store(&armed_pid, 0);
  return atomic_load(&calls);
}

int main(int argc, char **argv) {
  if (argc > 1) {
    run(atol(argv[1]));
    return failures ? 1 : 0;
  }
  /* The library's own lazy set-up (the heap, the start method, exit hooks) happens in the
   * first run; the children fork after it, so each fails one of the scenario's own. */
  long total = run(0);
  if (failures || total == 0) {
    fprintf(stderr, "allocfail: the scenario itself fails (%ld allocations)\n", total);
    return 1;
  }
  int bad = 0;
  long dense = before_listener, stride = (total - dense) / LISTENER_RUNS + 1, runs = 0;
  for (long n = 1; n <= total; n += n < dense ? 1 : stride) {
    runs++;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) return 2;
    if (pid == 0) {
      alarm(20); /* a hang is a failure too: SIGALRM ends the child */
      run(n);
      /* exit, not _exit: the library's hooks end a daemon server the run left */
      exit(failures ? 1 : 0);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
      fprintf(stderr, "allocfail: allocation %ld of %ld failing: %s %d\n", n, total,
              WIFSIGNALED(st) ? "killed by signal" : "exit",
              WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
      bad++;
    }
  }
  printf("allocfail: %ld allocations, %ld of them failed once each: %d runs not clean\n", total,
         runs, bad);
  return bad ? 1 : 0;
}
