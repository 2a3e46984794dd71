/* SPDX-License-Identifier: MIT */
/* mpi_check.c -- the MPI pool's test program, run under mpirun by tests/mpi/run.sh.  Rank 0
 * checks; the other ranks are the workers.  One mode per run (argv[1]):
 *   forms   every call of the pool on the ranks, each result equal to a serial run
 *   error   a task failing on a remote rank; an unregistered task
 *   corrupt garbage chunk messages sent to a worker rank get error replies, and it lives on
 *   kill    a worker rank SIGKILLed mid-map: only its chunks fail, the rest completes
 *   killdefault  the same without mpirun --enable-recovery: rank 0 names the lost rank and
 *                mpirun ends the job (the test checks the time and the message)
 * Prints "OK <mode>" at the end; any failed check prints "FAIL ..." and exits 1. */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mpi.h>
#include <multiproc.h>
#include <multiproc/mpi.h>

__attribute__((format(printf, 1, 2))) static void fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  printf("FAIL ");
  vprintf(fmt, ap);
  printf("\n");
  va_end(ap);
  fflush(stdout);
  _exit(1);
}

#define CHECK(cond, ...)                                                                           \
  do {                                                                                             \
    if (!(cond)) fail(__VA_ARGS__);                                                                \
  } while (0)
#define OK(rc, what) CHECK((rc) == 0, "%s: %s (line %d)", what, mp_strerror(rc), __LINE__)

/* ---- the tasks ---- */

static int64_t f(int64_t x) { return x * x + 3; }

/* f on an int value; item 13 fails when the value is negative (the error mode). */
static int square(mp_task *t) {
  mp_obj *x;
  int64_t v = 0;
  if (mp_task_arg_obj(t, &x)) return 9;
  int rc = mp_obj_get_int(x, &v);
  mp_obj_decref(x);
  if (rc) return mp_task_error(8, "not an int");
  if (v < 0) return mp_task_error(7, "bad item %lld on rank %d", (long long)v, mp_mpi_rank());
  mp_obj *y = mp_obj_int(f(v));
  rc = mp_task_return_obj(t, y);
  mp_obj_decref(y);
  return rc ? 1 : 0;
}
MP_TASK(square);

/* Raw bytes: reverses them. */
static int reverse(mp_task *t) {
  size_t n;
  const unsigned char *p = mp_task_arg(t, &n);
  unsigned char buf[256];
  if (n > sizeof buf) return 2;
  for (size_t i = 0; i < n; i++) buf[i] = p[n - 1 - i];
  return mp_task_return(t, buf, n) ? 1 : 0;
}
MP_TASK(reverse);

/* Sleeps the given ms, then says who ran it: [rank, pid, item]. */
static int who(mp_task *t) {
  mp_obj *x;
  int64_t ms = 0;
  if (mp_task_arg_obj(t, &x)) return 9;
  (void)mp_obj_get_int(x, &ms);
  mp_obj_decref(x);
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
  nanosleep(&ts, NULL);
  mp_obj *r = mp_obj_tuple3_steal(mp_obj_int(mp_mpi_rank()), mp_obj_int(getpid()),
                                  mp_obj_int((int64_t)mp_task_index(t)));
  int rc = mp_task_return_obj(t, r);
  mp_obj_decref(r);
  return rc ? 1 : 0;
}
MP_TASK(who);

static int elem(const void *in, void *out) {
  *(int64_t *)out = f(*(const int64_t *)in);
  return 0;
}
MP_MAP_TASK(elem);

typedef struct pair {
  int32_t a, b;
} pair;
static int star(const void *in, void *out) { /* starmap(pow-like, [(a, b)]) */
  const pair *p = in;
  *(int64_t *)out = (int64_t)p->a * 1000 + p->b;
  return 0;
}
MP_MAP_TASK(star);

static int unregistered(mp_task *t) {
  (void)t;
  return 0;
}

/* ---- helpers ---- */

static mp_obj *int_list(int n, int64_t (*gen)(int)) {
  mp_obj *l = mp_obj_list();
  for (int i = 0; i < n; i++) mp_obj_list_append_steal(l, mp_obj_int(gen(i)));
  return l;
}
static int64_t ident(int i) { return i; }
static int64_t as_ms(int i) { return 2 + i % 3; }

static int64_t int_at(const mp_obj *seq, size_t i) {
  int64_t v = -1;
  (void)mp_obj_get_int(mp_obj_item(seq, i), &v);
  return v;
}

static _Atomic int callbacks;
static void on_done(mp_async_result *r, void *user) {
  (void)r;
  (void)user;
  callbacks++;
}

static mp_pool *new_pool(void) {
  mp_pool_opts o = {.backend = mp_mpi_backend()};
  mp_pool *p;
  OK(mp_pool_new(&p, &o), "mp_pool_new");
  return p;
}

static void end_pool(mp_pool *p) {
  OK(mp_pool_close(p), "close");
  OK(mp_pool_join(p, 30000), "join");
  mp_pool_free(p);
}

/* ---- forms ---- */

static void check_map_list(const mp_obj *res, int n, const char *what) {
  CHECK(res && (int)mp_obj_len(res) == n, "%s: %zu results", what, res ? mp_obj_len(res) : 0);
  for (int i = 0; i < n; i++)
    CHECK(int_at(res, i) == f(i), "%s: item %d = %lld", what, i, (long long)int_at(res, i));
}

static void forms(void) {
  enum { N = 500 };
  mp_pool *p = new_pool();
  CHECK(mp_pool_size(p) >= 1, "no slots");
  /* apply and apply_async with a callback */
  mp_obj *x = mp_obj_int(12), *y = NULL;
  OK(mp_pool_apply_obj(p, square, x, &y, MP_FOREVER), "apply_obj");
  int64_t v = 0;
  (void)mp_obj_get_int(y, &v);
  CHECK(v == f(12), "apply gave %lld", (long long)v);
  mp_obj_decref(x);
  mp_obj_decref(y);
  void *out;
  size_t outlen;
  OK(mp_pool_apply(p, reverse, "abcdef", 6, &out, &outlen, MP_FOREVER), "apply raw");
  CHECK(outlen == 6 && memcmp(out, "fedcba", 6) == 0, "apply raw gave %.*s", (int)outlen,
        (char *)out);
  free(out);
  mp_async_opts cb = {.callback = on_done};
  mp_async_result *ar;
  x = mp_obj_int(5);
  OK(mp_pool_apply_async_obj(p, square, x, &cb, &ar), "apply_async");
  mp_obj_decref(x);
  OK(mp_async_result_get(ar, 30000), "apply_async get");
  CHECK(callbacks == 1, "callback ran %d times", (int)callbacks);
  mp_async_result_free(ar);

  /* map, every chunk size; map_async with progress; imap; imap_unordered */
  mp_obj *items = int_list(N, ident), *res;
  size_t chunks[] = {0, 1, 7, N};
  for (size_t k = 0; k < sizeof chunks / sizeof *chunks; k++) {
    OK(mp_pool_map(p, square, items, chunks[k], &res, MP_FOREVER), "map");
    check_map_list(res, N, "map");
    mp_obj_decref(res);
  }
  OK(mp_pool_map_async(p, square, items, 3, &cb, &ar), "map_async");
  OK(mp_async_result_wait(ar, 30000), "map_async wait");
  size_t done, total;
  mp_async_result_progress(ar, &done, &total);
  CHECK(done == N && total == N, "progress %zu/%zu", done, total);
  CHECK(mp_async_result_successful(ar) == 1, "map_async not successful");
  OK(mp_async_result_list(ar, &res), "list");
  check_map_list(res, N, "map_async");
  mp_obj_decref(res);
  mp_async_result_free(ar);
  CHECK(callbacks == 2, "map callback ran %d times in all", (int)callbacks);

  OK(mp_pool_imap(p, square, items, 4, &ar), "imap");
  for (int i = 0; i < N; i++) {
    size_t idx;
    OK(mp_async_result_next(ar, &idx, 30000), "imap next");
    CHECK(idx == (size_t)i, "imap gave %zu for %d", idx, i);
    mp_obj *o;
    OK(mp_async_result_item_obj(ar, idx, &o), "item_obj");
    (void)mp_obj_get_int(o, &v);
    mp_obj_decref(o);
    CHECK(v == f(i), "imap item %d = %lld", i, (long long)v);
  }
  size_t idx;
  CHECK(mp_async_result_next(ar, &idx, 1000) == MP_EOF, "imap: no EOF");
  mp_async_result_free(ar);

  OK(mp_pool_imap_unordered(p, square, items, 1, &ar), "imap_unordered");
  static char seen[N];
  for (int i = 0; i < N; i++) {
    OK(mp_async_result_next(ar, &idx, 30000), "imap_unordered next");
    CHECK(idx < N && !seen[idx], "imap_unordered index %zu", idx);
    seen[idx] = 1;
    mp_obj *o;
    OK(mp_async_result_item_obj(ar, idx, &o), "item_obj");
    (void)mp_obj_get_int(o, &v);
    mp_obj_decref(o);
    CHECK(v == f((int64_t)idx), "imap_unordered item %zu", idx);
  }
  mp_async_result_free(ar);
  mp_obj_decref(items);

  /* the typed array map and starmap, big enough for several chunks per rank */
  enum { M = 200000 };
  int64_t *in = malloc(M * sizeof *in), *o64 = malloc(M * sizeof *o64);
  pair *pairs = malloc(M * sizeof *pairs);
  CHECK(in && o64 && pairs, "malloc");
  for (int i = 0; i < M; i++) {
    in[i] = i;
    pairs[i] = (pair){i % 1000, i % 7};
  }
  OK(mp_pool_map_array(p, elem, in, M, sizeof *in, o64, sizeof *o64, 0, MP_FOREVER), "map_array");
  for (int i = 0; i < M; i++) CHECK(o64[i] == f(i), "map_array item %d", i);
  memset(o64, 0, M * sizeof *o64);
  OK(mp_pool_starmap(p, star, pairs, M, sizeof *pairs, o64, sizeof *o64, 1000, MP_FOREVER),
     "starmap");
  for (int i = 0; i < M; i++)
    CHECK(o64[i] == (int64_t)(i % 1000) * 1000 + i % 7, "starmap item %d", i);
  OK(mp_pool_map_array_async(p, elem, in, M, sizeof *in, o64, sizeof *o64, 5000, &cb, &ar),
     "map_array_async");
  OK(mp_async_result_get(ar, 30000), "map_array_async get");
  mp_async_result_free(ar);
  for (int i = 0; i < M; i++) CHECK(o64[i] == f(i), "map_array_async item %d", i);
  free(in);
  free(o64);
  free(pairs);

  /* a wait that times out leaves the task running; get then succeeds */
  x = mp_obj_int(300);
  OK(mp_pool_apply_async_obj(p, who, x, NULL, &ar), "apply_async who");
  mp_obj_decref(x);
  CHECK(mp_async_result_wait(ar, 20) == MP_ETIMEDOUT, "wait did not time out");
  CHECK(!mp_async_result_ready(ar), "ready too soon");
  OK(mp_async_result_get(ar, 30000), "get after timeout");
  mp_async_result_free(ar);
  end_pool(p);

  /* terminate with tasks out: they fail with MP_ECLOSED; the next pool works as before */
  p = new_pool();
  items = int_list(40, as_ms);
  OK(mp_pool_map_async(p, who, items, 1, NULL, &ar), "map_async who");
  mp_obj_decref(items);
  struct timespec ts = {0, 20000000};
  nanosleep(&ts, NULL);
  OK(mp_pool_terminate(p), "terminate");
  OK(mp_pool_join(p, 30000), "join after terminate");
  CHECK(mp_async_result_get(ar, 30000) == MP_ECLOSED, "terminated map did not fail MP_ECLOSED");
  mp_async_result_free(ar);
  mp_pool_free(p);
  p = new_pool();
  items = int_list(N, ident);
  OK(mp_pool_map(p, square, items, 1, &res, MP_FOREVER), "map after terminate");
  check_map_list(res, N, "map after terminate");
  mp_obj_decref(res);
  mp_obj_decref(items);
  /* one MPI pool at a time */
  mp_pool_opts o = {.backend = mp_mpi_backend()};
  mp_pool *second;
  CHECK(mp_pool_new(&second, &o) == -EBUSY, "a second MPI pool was made");
  end_pool(p);
}

/* ---- error ---- */

static int64_t neg13(int i) { return i == 13 ? -13 : i; }

static void error_mode(void) {
  mp_pool *p = new_pool();
  mp_obj *items = int_list(50, neg13);
  mp_async_result *ar;
  OK(mp_pool_map_async(p, square, items, 1, NULL, &ar), "map_async");
  mp_obj_decref(items);
  int rc = mp_async_result_get(ar, 30000);
  CHECK(rc == MP_ETASK, "get gave %s, not MP_ETASK", mp_strerror(rc));
  int code, status;
  const char *msg;
  OK(mp_async_result_error(ar, &code, &status, &msg), "error");
  CHECK(code == MP_ETASK && status == 7 && strstr(msg, "bad item -13 on rank "),
        "error %d status %d message '%s'", code, status, msg);
  for (size_t i = 0; i < 50; i++) {
    mp_obj *o;
    if (i == 13) {
      CHECK(mp_async_result_item_obj(ar, i, &o) == MP_ETASK, "item 13 did not fail");
      continue;
    }
    OK(mp_async_result_item_obj(ar, i, &o), "item_obj");
    int64_t v = 0;
    (void)mp_obj_get_int(o, &v);
    mp_obj_decref(o);
    CHECK(v == f((int64_t)i), "item %zu", i);
  }
  mp_async_result_free(ar);
  /* a function with no name cannot travel */
  CHECK(mp_pool_apply_async(p, unregistered, NULL, 0, NULL, &ar) == MP_ENOTREG,
        "unregistered task accepted");
  end_pool(p);
}

/* ---- corrupt: garbage chunk messages straight to a worker rank ---- */

/* The tags and the fixed part of a chunk message, as mpi/src/mpi_internal.h has them: this
 * mode plays a broken rank 0 before any pool exists. */
enum { TAG_TASK = 7101, TAG_RESULT = 7102 };
typedef struct fake_task {
  uint32_t magic;
  uint16_t array, lane;
  uint64_t seq, first, count, in_size, out_size;
  uint32_t name_len, pad_;
} fake_task;

static int corrupt_reply_code(const void *msg, int len) {
  MPI_Send(msg, len, MPI_BYTE, 1, TAG_TASK, MPI_COMM_WORLD);
  unsigned char buf[4096];
  MPI_Status st;
  MPI_Recv(buf, sizeof buf, MPI_BYTE, 1, TAG_RESULT, MPI_COMM_WORLD, &st);
  int n = 0;
  MPI_Get_count(&st, MPI_BYTE, &n);
  CHECK(n >= 32, "short reply (%d bytes)", n);
  int32_t code;
  memcpy(&code, buf + 16, sizeof code); /* magic, lane, msg_len, seq, then code */
  return code;
}

static void corrupt_mode(void) {
  unsigned char junk[64];
  memset(junk, 0xA5, sizeof junk);
  CHECK(corrupt_reply_code(junk, 3) == MP_ECORRUPT, "3 bytes");
  CHECK(corrupt_reply_code(junk, sizeof junk) == MP_ECORRUPT, "bad magic");
  fake_task h = {.magic = 0x6d706d31u, .count = 1, .name_len = 1000};
  CHECK(corrupt_reply_code(&h, sizeof h) == MP_ECORRUPT, "name longer than the message");
  struct {
    fake_task h;
    char name[6];
    uint64_t len;
  } m = {.h = {.magic = 0x6d706d31u, .count = UINT64_C(1) << 60, .name_len = 6}};
  memcpy(m.name, "square", 6);
  CHECK(corrupt_reply_code(&m, sizeof m) == MP_ECORRUPT, "count beyond the message");
  m.h.count = 1;
  m.len = 1u << 30; /* an item longer than the message */
  CHECK(corrupt_reply_code(&m, sizeof m) == MP_ECORRUPT, "item beyond the message");
  m.h.array = 1;
  m.h.in_size = 0;
  CHECK(corrupt_reply_code(&m, sizeof m) == MP_ECORRUPT, "array of 0-byte elements");
  memcpy(m.name, "nosuch", 6);
  m.h.array = 0;
  m.len = 0;
  CHECK(corrupt_reply_code(&m, sizeof m) == MP_ENOTREG, "unknown task name");
  /* the worker rank survived all of it */
  mp_pool *p = new_pool();
  mp_obj *items = int_list(100, ident), *res;
  OK(mp_pool_map(p, square, items, 1, &res, MP_FOREVER), "map after garbage");
  check_map_list(res, 100, "map after garbage");
  mp_obj_decref(res);
  mp_obj_decref(items);
  end_pool(p);
}

/* ---- kill ---- */

static void kill_mode(bool recovery) {
  const char *v = getenv("MPI_CHECK_VICTIM");
  int victim = v ? atoi(v) : mp_mpi_size() - 1;
  CHECK(victim >= 1 && victim < mp_mpi_size(), "no rank %d to kill", victim);
  mp_pool *p = new_pool();
  int slots = mp_pool_size(p);
  enum { N = 120 };
  mp_obj *items = int_list(N, as_ms);
  mp_async_result *ar;
  OK(mp_pool_map_async(p, who, items, 1, NULL, &ar), "map_async");
  mp_obj_decref(items);
  /* Find the victim's pid from a finished item it ran, then kill it mid-map. */
  pid_t pid = 0;
  for (int tries = 0; pid == 0 && tries < 3000; tries++) {
    size_t done, total;
    mp_async_result_progress(ar, &done, &total);
    for (size_t i = 0; i < N && pid == 0; i++) {
      mp_obj *o;
      if (mp_async_result_item_obj(ar, i, &o) != 0) continue;
      if (int_at(o, 0) == victim) pid = (pid_t)int_at(o, 1);
      mp_obj_decref(o);
    }
    if (pid == 0) usleep(2000);
  }
  CHECK(pid > 0, "rank %d ran nothing", victim);
  printf("killing rank %d (pid %d)\n", victim, (int)pid);
  fflush(stdout);
  CHECK(kill(pid, SIGKILL) == 0, "kill");
  if (!recovery) { /* mpirun ends the job; rank 0 only waits to be ended */
    for (;;) pause();
  }
  int rc = mp_async_result_get(ar, 60000);
  CHECK(rc == MP_EWORKER, "get gave %s, not MP_EWORKER", mp_strerror(rc));
  int failed = 0;
  for (size_t i = 0; i < N; i++) {
    mp_obj *o;
    int irc = mp_async_result_item_obj(ar, i, &o);
    if (irc == MP_EWORKER) {
      const char *msg;
      OK(mp_async_result_item_error(ar, i, NULL, NULL, &msg), "item_error");
      char want[32];
      snprintf(want, sizeof want, "MPI rank %d ", victim);
      CHECK(strstr(msg, want) && strstr(msg, "lost"), "item %zu: message '%s'", i, msg);
      failed++;
      continue;
    }
    OK(irc, "surviving item");
    CHECK(int_at(o, 2) == (int64_t)i, "item %zu ran as %lld", i, (long long)int_at(o, 2));
    mp_obj_decref(o);
  }
  int lanes = slots / (mp_mpi_size() - 1);
  CHECK(failed >= 1 && failed <= lanes, "%d items failed (lanes %d)", failed, lanes);
  mp_async_result_free(ar);
  int lost[4];
  CHECK(mp_mpi_lost(lost, 4) == 1 && lost[0] == victim, "mp_mpi_lost");
  end_pool(p);
  /* the next pool leaves the lost rank out */
  p = new_pool();
  CHECK(mp_pool_size(p) == slots - lanes, "slots after the loss: %d", mp_pool_size(p));
  mp_obj *res;
  items = int_list(100, ident);
  OK(mp_pool_map(p, square, items, 1, &res, MP_FOREVER), "map after the loss");
  check_map_list(res, 100, "map after the loss");
  mp_obj_decref(res);
  mp_obj_decref(items);
  end_pool(p);
  printf("lost %d of %d items with rank %d\n", failed, N, victim);
}

int main(int argc, char **argv) {
  int rc = mp_mpi_init(&argc, &argv, NULL);
  if (rc != 0) fail("mp_mpi_init: %s", mp_strerror(rc));
  const char *mode = argc > 1 ? argv[1] : "forms";
  CHECK(mp_mpi_size() >= 2, "needs at least 2 ranks, has %d", mp_mpi_size());
  if (strcmp(mode, "forms") == 0)
    forms();
  else if (strcmp(mode, "error") == 0)
    error_mode();
  else if (strcmp(mode, "corrupt") == 0)
    corrupt_mode();
  else if (strcmp(mode, "kill") == 0)
    kill_mode(true);
  else if (strcmp(mode, "killdefault") == 0)
    kill_mode(false);
  else
    fail("unknown mode %s", mode);
  printf("OK %s\n", mode);
  fflush(stdout);
  return mp_mpi_finalize();
}
