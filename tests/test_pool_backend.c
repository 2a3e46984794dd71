/* SPDX-License-Identifier: MIT */
/* test_pool_backend.c -- a Pool whose chunks go to a backend (multiproc/pool_backend.h) rather
 * than to local workers.  A fake backend defined here serves the slots from threads of the test
 * process: it claims chunks, runs them with mp_task_run()/mp_map_task_run() (the executor's side
 * of the interface), stores results and completes them.  Checked: map, map_array, apply and imap
 * equal a serial run; task errors reach get() with status and message; a slot lost mid-chunk
 * fails only that chunk; every slot gone breaks the pool; terminate with chunks held leaves them
 * to the backend to complete; the options a backend pool refuses; the argument checks of every
 * mp_pool_backend_* call; a free racing a slot's exit; and mp_task_run()/mp_map_task_run() on
 * their own. */
#include <fcntl.h>
#include <linux/hw_breakpoint.h>
#include <linux/perf_event.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "multiproc/pool_backend.h"
#include "pool/pool_internal.h" /* where a slot's exit flag lies, to watch it */

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define FAKE_MAX 8

/* ---- task functions (registered: a backend pool takes nothing else) ---- */

/* int64 raw bytes -> its square; a wrong length fails with status 22. */
static int square_bytes(mp_task *t) {
  size_t len;
  const int64_t *x = mp_task_arg(t, &len);
  if (len != sizeof *x) return mp_task_error(22, "bad argument length %zu", len);
  int64_t y = *x * *x;
  return mp_task_return(t, &y, sizeof y);
}
MP_TASK(square_bytes);

/* Raw bytes -> the same bytes reversed: a result too long to sit inline in the job. */
static int reverse_bytes(mp_task *t) {
  size_t len;
  const unsigned char *in = mp_task_arg(t, &len);
  unsigned char buf[512];
  if (len > sizeof buf) return mp_task_error(23, "too long");
  for (size_t i = 0; i < len; i++) buf[i] = in[len - 1 - i];
  return mp_task_return(t, buf, len);
}
MP_TASK(reverse_bytes);

/* Values: int v -> v*v + 1 (v = -7 fails with status 7); a str gets "!" appended. */
static int value_task(mp_task *t) {
  mp_obj *a;
  int rc = mp_task_arg_obj(t, &a);
  if (rc) return rc;
  mp_obj *r;
  if (mp_obj_type_of(a) == MP_OBJ_INT) {
    int64_t v = mp_test_int_of(a);
    if (v == -7) {
      mp_obj_decref(a);
      return mp_task_error(7, "refused %lld at %zu", (long long)v, mp_task_index(t));
    }
    r = mp_obj_int(v * v + 1);
  } else if (mp_obj_type_of(a) == MP_OBJ_STR) {
    size_t n;
    const char *s = mp_obj_str_data(a, &n);
    char buf[64];
    snprintf(buf, sizeof buf, "%.*s!", (int)n, s);
    r = mp_obj_str(buf);
  } else {
    r = mp_obj_incref(a);
  }
  rc = mp_task_return_obj(t, r);
  mp_obj_decref(r);
  mp_obj_decref(a);
  return rc;
}
MP_TASK(value_task);

static int cube(const void *in, void *out) {
  int64_t x = *(const int32_t *)in;
  *(int64_t *)out = x * x * x;
  return 0;
}
MP_MAP_TASK(cube);

static int cube_fail_at_777(const void *in, void *out) {
  int32_t x = *(const int32_t *)in;
  if (x == 777) return mp_task_error(5, "element %d refused", x);
  *(int64_t *)out = (int64_t)x * x * x;
  return 0;
}
MP_MAP_TASK(cube_fail_at_777);

/* Not registered: a backend pool must refuse them. */
static int unregistered_task(mp_task *t) { return mp_task_return(t, "x", 1); }
static int unregistered_elem(const void *in, void *out) {
  *(int64_t *)out = *(const int32_t *)in;
  return 0;
}

/* ---- the fake backend ---- */

/* An atomic read that reads well in a failed assertion's message. */
static int ld(_Atomic int *v) { return atomic_load(v); }

typedef struct fake fake;
typedef struct fake_lane {
  fake *f;
  int slot;
} fake_lane;

struct fake {
  /* set before mp_pool_new() */
  int nslots; /* what slots() answers ... */
  int slots_rc; /* ... unless this is non-zero */
  int start_rc; /* non-zero: start() fails with it, starting nothing */
  bool manual; /* start() starts no thread: the test itself drives the slots */
  bool hold; /* keep every claimed chunk until terminate() */
  int lose_slot; /* >= 0: that slot "loses its executor" on its first chunk */
  _Atomic int go; /* 0: threads wait; 1: serve; 2: every slot exits at once */

  mp_pool_backend be;
  mp_pool *pool; /* as start() got it */
  int size_at_start; /* mp_pool_size() seen from start() */
  pthread_t caller, start_thread;
  fake_lane lanes[FAKE_MAX];
  pthread_t threads[FAKE_MAX];
  int nthreads;
  _Atomic int slots_calls, start_calls, terminate_calls;
  _Atomic int terminated;
  _Atomic int lost_done; /* lose_slot has exited: the others may start */
  _Atomic int chunks; /* chunks run and completed by the threads */
  _Atomic int held; /* hold: chunks claimed and held so far */
  _Atomic int late_done; /* hold: slots that made their calls after terminate() */
  size_t held_first[FAKE_MAX];
  int late_set_rc[FAKE_MAX], late_complete_rc[FAKE_MAX];
  /* Anything unexpected a slot thread saw: checked by the test, since a thread cannot fail it. */
  pthread_mutex_t mu;
  int errors;
  char first_error[256];
};

__attribute__((format(printf, 2, 3))) static void fake_error(fake *f, const char *fmt, ...) {
  pthread_mutex_lock(&f->mu);
  if (f->errors++ == 0) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->first_error, sizeof f->first_error, fmt, ap);
    va_end(ap);
  }
  pthread_mutex_unlock(&f->mu);
}

static void fake_expect(fake *f, int got, int want, const char *what, int slot) {
  if (got != want)
    fake_error(f, "slot %d: %s returned %d (%s), expected %d", slot, what, got, mp_err_name(got),
               want);
}

/* Runs a claimed chunk here, as an executor would on its side, and completes it. */
static void run_chunk(fake *f, int slot, mp_pool_chunk *c) {
  mp_pool *p = f->pool;
  int code = 0, status = 0;
  char msg[MP_TASK_MSG_MAX] = "";
  if (c->array) {
    mp_map_fn fn = mp_map_task_named(c->task_name);
    if (fn == NULL) {
      fake_error(f, "slot %d: no element function named %s", slot, c->task_name);
      code = MP_ENOTREG;
    } else {
      size_t at = SIZE_MAX;
      status = mp_map_task_run(fn, c->in, c->count, c->in_size, c->out, c->out_size, msg, &at);
      if (status != 0) code = MP_ETASK;
    }
  } else {
    mp_task_fn fn = mp_task_named(c->task_name);
    if (fn == NULL) {
      fake_error(f, "slot %d: no task named %s", slot, c->task_name);
      code = MP_ENOTREG;
    }
    for (size_t i = c->first; fn && i < c->first + c->count && code == 0; i++) {
      const void *arg;
      size_t len;
      bool raw;
      int r = mp_pool_backend_item_arg(c, i, &arg, &len, &raw);
      fake_expect(f, r, 0, "item_arg", slot);
      mp_task_outcome o;
      r = mp_task_run(fn, i, arg, len, raw, &o);
      if (r != 0) {
        code = MP_ETASK;
        status = r;
        snprintf(msg, sizeof msg, "the result of item %zu could not be kept", i);
      } else if (o.status != 0) {
        /* The items after a failure are not run, as in a local worker's chunk. */
        code = MP_ETASK;
        status = o.status;
        snprintf(msg, sizeof msg, "%s", o.message);
      } else if (o.result) {
        r = mp_pool_backend_set_result(p, slot, c, i, o.result, o.len, o.raw);
        fake_expect(f, r, 0, "set_result", slot);
      }
      free(o.result);
    }
  }
  atomic_fetch_add(&f->chunks, 1);
  fake_expect(f, mp_pool_backend_complete(p, slot, c, code, status, code ? msg : NULL), 0,
              "complete", slot);
}

/* hold: keeps the chunk until the pool is terminated, then does what terminate() asks of a
 * backend: the chunk is still its own (a store still works), and it completes it with
 * MP_ECLOSED. */
static void hold_until_terminated(fake *f, int slot, mp_pool_chunk *c) {
  f->held_first[slot] = c->first;
  atomic_fetch_add(&f->held, 1);
  while (!atomic_load(&f->terminated)) mp_test_sleep_ms(1);
  int64_t v = 4242;
  f->late_set_rc[slot] = mp_pool_backend_set_result(f->pool, slot, c, c->first, &v, sizeof v, true);
  f->late_complete_rc[slot] = mp_pool_backend_complete(f->pool, slot, c, MP_ECLOSED, 0,
                                                       "the fake backend dropped it at terminate");
  atomic_fetch_add(&f->late_done, 1);
}

static void *fake_slot_main(void *arg) {
  fake_lane *l = arg;
  fake *f = l->f;
  int slot = l->slot;
  mp_pool *p = f->pool;
  char what[32];
  snprintf(what, sizeof what, "fake executor %d", slot);
  while (atomic_load(&f->go) == 0) mp_test_sleep_ms(1);
  if (atomic_load(&f->go) == 2) { /* every executor lost before it ran anything */
    fake_expect(f, mp_pool_backend_slot_exit(p, slot, 1, what), 0, "slot_exit", slot);
    return NULL;
  }
  /* The lost slot must be the one that takes the first chunk, so the others wait for it. */
  if (f->lose_slot >= 0 && slot != f->lose_slot)
    while (!atomic_load(&f->lost_done)) mp_test_sleep_ms(1);
  for (;;) {
    mp_pool_chunk c;
    uint32_t seq;
    int r = mp_pool_backend_claim(p, slot, &c, &seq);
    if (r == MP_ECLOSED) break;
    if (r == 0) {
      /* long enough that only a wake-up (submission, close, terminate) ends it in time */
      r = mp_pool_backend_wait_work(p, seq, 10000);
      if (r != 0 && r != MP_ETIMEDOUT) fake_expect(f, r, 0, "wait_work", slot);
      continue;
    }
    if (r != 1) {
      fake_expect(f, r, 1, "claim", slot);
      break;
    }
    if (slot == f->lose_slot) {
      fake_expect(f,
                  mp_pool_backend_complete(p, slot, &c, MP_EWORKER, 1,
                                           "fake executor 0 was lost while running the task"),
                  0, "complete", slot);
      fake_expect(f, mp_pool_backend_slot_exit(p, slot, 1, what), 0, "slot_exit", slot);
      atomic_store(&f->lost_done, 1);
      return NULL;
    }
    if (f->hold)
      hold_until_terminated(f, slot, &c);
    else
      run_chunk(f, slot, &c);
  }
  fake_expect(f, mp_pool_backend_slot_exit(p, slot, 0, what), 0, "slot_exit", slot);
  return NULL;
}

static int fake_slots(void *ctx) {
  fake *f = ctx;
  atomic_fetch_add(&f->slots_calls, 1);
  return f->slots_rc ? f->slots_rc : f->nslots;
}

static int fake_start(mp_pool *p, void *ctx) {
  fake *f = ctx;
  atomic_fetch_add(&f->start_calls, 1);
  f->start_thread = pthread_self();
  if (f->start_rc) return f->start_rc;
  f->pool = p;
  f->size_at_start = mp_pool_size(p);
  if (f->manual) return 0;
  for (int i = 0; i < f->nslots; i++) {
    f->lanes[i] = (fake_lane){f, i};
    int r = pthread_create(&f->threads[i], NULL, fake_slot_main, &f->lanes[i]);
    if (r != 0) {
      /* The slots already started must end before the pool goes: make them exit at once. */
      atomic_store(&f->go, 2);
      for (int k = 0; k < i; k++) pthread_join(f->threads[k], NULL);
      f->nthreads = 0;
      return -r;
    }
    f->nthreads = i + 1;
  }
  return 0;
}

static void fake_terminate(mp_pool *p, void *ctx) {
  fake *f = ctx;
  if (p != f->pool) fake_error(f, "terminate() got another pool");
  atomic_fetch_add(&f->terminate_calls, 1);
  atomic_store(&f->terminated, 1);
}

static void fake_init(fake *f, int nslots) {
  memset(f, 0, sizeof *f);
  f->nslots = nslots;
  f->lose_slot = -1;
  atomic_store(&f->go, 1);
  pthread_mutex_init(&f->mu, NULL);
  f->caller = pthread_self();
  f->be = (mp_pool_backend){.name = "fake",
                            .ctx = f,
                            .slots = fake_slots,
                            .start = fake_start,
                            .terminate = fake_terminate};
  for (int i = 0; i < FAKE_MAX; i++) f->late_set_rc[i] = f->late_complete_rc[i] = 999;
}

static mp_pool *fake_pool(fake *f) {
  mp_pool *p = NULL;
  mp_assert_ok(mp_pool_new(&p, &(mp_pool_opts){.backend = &f->be}));
  ck_assert_ptr_eq(p, f->pool);
  ck_assert_int_eq(mp_pool_size(p), f->nslots);
  ck_assert_int_eq(f->size_at_start, f->nslots);
  ck_assert_int_eq(ld(&f->slots_calls), 1);
  ck_assert_int_eq(ld(&f->start_calls), 1);
  /* start() runs on the pool's result thread, not the caller's */
  ck_assert(!pthread_equal(f->start_thread, f->caller));
  return p;
}

/* Joins the slot threads (each returns once its slot exited) and checks they saw nothing odd.
 * Done before mp_pool_free(): the threads use the pool until they return. */
static void fake_finish(fake *f) {
  for (int i = 0; i < f->nthreads; i++) pthread_join(f->threads[i], NULL);
  f->nthreads = 0;
  ck_assert_msg(f->errors == 0, "the fake backend saw %d errors; first: %s", f->errors,
                f->first_error);
  pthread_mutex_destroy(&f->mu);
}

/* close() wakes the idle slots, which claim MP_ECLOSED and exit: well before their wait ends. */
static void close_join_free(mp_pool *p, fake *f) {
  int64_t t0 = mp_test_now_ms();
  mp_assert_ok(mp_pool_close(p));
  mp_assert_ok(mp_pool_join(p, 30000));
  ck_assert_int_lt(mp_test_now_ms() - t0, 5000);
  fake_finish(f);
  mp_pool_free(p);
}

static bool wait_until(_Atomic int *v, int want, int64_t ms) {
  int64_t end = mp_test_now_ms() + ms;
  while (atomic_load(v) != want) {
    if (mp_test_now_ms() > end) return false;
    mp_test_sleep_ms(1);
  }
  return true;
}

static mp_obj *int_list(int64_t n) {
  mp_obj *l = mp_obj_list();
  for (int64_t i = 0; i < n; i++) mp_obj_list_append_steal(l, mp_obj_int(i));
  return l;
}

static int64_t item_i64(mp_async_result *r, size_t i) {
  const void *d;
  size_t len;
  mp_assert_ok(mp_async_result_item(r, i, &d, &len));
  ck_assert_uint_eq(len, 8);
  int64_t v;
  memcpy(&v, d, 8);
  return v;
}

static int nchunks(size_t n, size_t chunksize) { return (int)((n + chunksize - 1) / chunksize); }

static void expect_item_error(mp_async_result *r, size_t i, int code, int status, const char *msg) {
  int c = 0, s = -12345;
  const char *m = NULL;
  mp_assert_ok(mp_async_result_item_error(r, i, &c, &s, &m));
  ck_assert_int_eq(c, code);
  ck_assert_int_eq(s, status);
  ck_assert_str_eq(m, msg);
  mp_assert_rc(mp_async_result_item(r, i, NULL, NULL), code);
}

/* ---- 1: the maps, apply and imap through the backend equal a serial run ---- */

static _Atomic int callbacks_seen;
static void count_callback(mp_async_result *r, void *user) {
  (void)user;
  if (mp_async_result_len(r) == 1 && item_i64(r, 0) == 81) atomic_fetch_add(&callbacks_seen, 1);
}

START_TEST(maps_and_apply_equal_serial) {
  fake f;
  fake_init(&f, 3);
  mp_pool *p = fake_pool(&f);
  int expect_chunks = 0;

  /* map over values, with a str among the ints */
  const int64_t n = 1001;
  mp_obj *items = int_list(n);
  mp_obj_list_set_steal(items, 500, mp_obj_str("abc"));
  mp_obj *res = NULL;
  mp_assert_ok(mp_pool_map(p, value_task, items, 7, &res, MP_FOREVER));
  expect_chunks += nchunks((size_t)n, 7);
  ck_assert_uint_eq(mp_obj_len(res), (size_t)n);
  for (int64_t i = 0; i < n; i++) {
    mp_obj *v = mp_obj_item(res, (size_t)i);
    if (i == 500) {
      size_t len;
      ck_assert_str_eq(mp_obj_str_data(v, &len), "abc!");
    } else {
      ck_assert_int_eq(mp_test_int_of(v), i * i + 1);
    }
  }
  mp_obj_decref(res);
  ck_assert_int_eq(ld(&f.chunks), expect_chunks);

  /* the typed array map, with the default chunk size and an odd one */
  const size_t m = 10007;
  int32_t *in = malloc(m * sizeof *in);
  int64_t *out = malloc(m * sizeof *out);
  for (size_t i = 0; i < m; i++) in[i] = (int32_t)(i % 2001) - 1000;
  size_t sizes[] = {0, 13};
  for (size_t k = 0; k < NELEM(sizes); k++) {
    memset(out, 0, m * sizeof *out);
    mp_assert_ok(
        mp_pool_map_array(p, cube, in, m, sizeof *in, out, sizeof *out, sizes[k], MP_FOREVER));
    /* Python's rule: ceil(n / (4 * slots)) items per chunk */
    expect_chunks += nchunks(m, sizes[k] ? sizes[k] : (m + 11) / 12);
    for (size_t i = 0; i < m; i++) ck_assert_int_eq(out[i], (int64_t)in[i] * in[i] * in[i]);
    ck_assert_int_eq(ld(&f.chunks), expect_chunks);
  }
  free(in);
  free(out);

  /* apply with raw bytes: a result that sits inline, and one that does not */
  int64_t x = 12;
  void *buf = NULL;
  size_t len = 0;
  mp_assert_ok(mp_pool_apply(p, square_bytes, &x, sizeof x, &buf, &len, MP_FOREVER));
  ck_assert_uint_eq(len, sizeof(int64_t));
  ck_assert_int_eq(*(int64_t *)buf, 144);
  free(buf);
  unsigned char big[300];
  for (size_t i = 0; i < sizeof big; i++) big[i] = (unsigned char)(i * 7);
  mp_assert_ok(mp_pool_apply(p, reverse_bytes, big, sizeof big, &buf, &len, MP_FOREVER));
  ck_assert_uint_eq(len, sizeof big);
  for (size_t i = 0; i < sizeof big; i++)
    ck_assert_uint_eq(((unsigned char *)buf)[i], big[sizeof big - 1 - i]);
  free(buf);
  /* a value argument and result */
  mp_obj *arg = mp_obj_int(9), *vout = NULL;
  mp_assert_ok(mp_pool_apply_obj(p, value_task, arg, &vout, MP_FOREVER));
  ck_assert_int_eq(mp_test_int_of(vout), 82);
  mp_obj_decref(vout);
  mp_obj_decref(arg);
  expect_chunks += 3;
  ck_assert_int_eq(ld(&f.chunks), expect_chunks);

  /* a callback runs for a backend's result as for a local one */
  atomic_store(&callbacks_seen, 0);
  mp_async_result *r;
  x = 9;
  mp_assert_ok(mp_pool_apply_async(p, square_bytes, &x, sizeof x,
                                   &(mp_async_opts){.callback = count_callback}, &r));
  mp_assert_ok(mp_async_result_get(r, 30000));
  ck_assert_int_eq(ld(&callbacks_seen), 1);
  mp_async_result_free(r);
  expect_chunks += 1;

  /* imap: in item order, each as it comes */
  mp_obj *few = int_list(200);
  mp_assert_ok(mp_pool_imap(p, value_task, few, 0, &r));
  for (size_t i = 0; i < 200; i++) {
    size_t idx = SIZE_MAX;
    mp_assert_ok(mp_async_result_next(r, &idx, 30000));
    ck_assert_uint_eq(idx, i);
    mp_obj *v;
    mp_assert_ok(mp_async_result_item_obj(r, idx, &v));
    ck_assert_int_eq(mp_test_int_of(v), (int64_t)(i * i + 1));
    mp_obj_decref(v);
  }
  size_t idx;
  mp_assert_rc(mp_async_result_next(r, &idx, 0), MP_EOF);
  mp_async_result_free(r);
  expect_chunks += 200; /* imap's chunksize 0 means 1 */
  ck_assert_int_eq(ld(&f.chunks), expect_chunks);
  mp_obj_decref(few);
  mp_obj_decref(items);

  close_join_free(p, &f);
  ck_assert_int_eq(ld(&f.terminate_calls), 0); /* close, join and free end it quietly */
}
END_TEST

/* ---- 2: a failing task reaches get() with its status and message ---- */

START_TEST(task_errors_reach_get) {
  fake f;
  fake_init(&f, 2);
  mp_pool *p = fake_pool(&f);
  int code, status;
  const char *msg;

  mp_obj *arg = mp_obj_int(-7);
  mp_async_result *r;
  mp_assert_ok(mp_pool_apply_async_obj(p, value_task, arg, NULL, &r));
  mp_assert_rc(mp_async_result_get(r, 30000), MP_ETASK);
  ck_assert_int_eq(mp_async_result_successful(r), 0);
  mp_assert_ok(mp_async_result_error(r, &code, &status, &msg));
  ck_assert_int_eq(code, MP_ETASK);
  ck_assert_int_eq(status, 7);
  ck_assert_str_eq(msg, "refused -7 at 0");
  mp_async_result_free(r);
  mp_obj_decref(arg);

  /* a raw-bytes task failing without a result */
  mp_assert_ok(mp_pool_apply_async(p, square_bytes, "abc", 3, NULL, &r));
  mp_assert_rc(mp_async_result_get(r, 30000), MP_ETASK);
  expect_item_error(r, 0, MP_ETASK, 22, "bad argument length 3");
  mp_async_result_free(r);

  /* in a map: only the failing item's chunk fails; the rest have their values */
  mp_obj *items = int_list(40);
  mp_obj_list_set_steal(items, 13, mp_obj_int(-7));
  mp_assert_ok(mp_pool_map_async(p, value_task, items, 5, NULL, &r));
  mp_assert_rc(mp_async_result_get(r, 30000), MP_ETASK);
  mp_assert_ok(mp_async_result_error(r, &code, &status, &msg));
  ck_assert_int_eq(status, 7);
  ck_assert_str_eq(msg, "refused -7 at 13");
  for (size_t i = 0; i < 40; i++) {
    if (i >= 10 && i < 15) {
      expect_item_error(r, i, MP_ETASK, 7, "refused -7 at 13");
      continue;
    }
    mp_obj *v;
    mp_assert_ok(mp_async_result_item_obj(r, i, &v));
    ck_assert_int_eq(mp_test_int_of(v), (int64_t)(i * i + 1));
    mp_obj_decref(v);
  }
  mp_obj *list = NULL;
  mp_assert_rc(mp_async_result_list(r, &list), MP_ETASK);
  ck_assert_ptr_null(list);
  mp_async_result_free(r);
  mp_obj_decref(items);

  /* an element function failing in the array map */
  int32_t in[2000];
  int64_t out[2000];
  for (int i = 0; i < 2000; i++) in[i] = i;
  mp_assert_ok(mp_pool_map_array_async(p, cube_fail_at_777, in, 2000, sizeof *in, out, sizeof *out,
                                       100, NULL, &r));
  mp_assert_rc(mp_async_result_get(r, 30000), MP_ETASK);
  mp_assert_ok(mp_async_result_error(r, &code, &status, &msg));
  ck_assert_int_eq(code, MP_ETASK);
  ck_assert_int_eq(status, 5);
  ck_assert_str_eq(msg, "element 777 refused");
  mp_async_result_free(r);

  close_join_free(p, &f);
}
END_TEST

/* ---- 3: a slot whose executor is lost fails only its chunk ---- */

START_TEST(lost_executor_fails_only_its_chunk) {
  fake f;
  fake_init(&f, 3);
  f.lose_slot = 0;
  mp_pool *p = fake_pool(&f);
  mp_obj *items = int_list(60);
  mp_async_result *r;
  mp_assert_ok(mp_pool_map_async(p, value_task, items, 5, NULL, &r));
  mp_assert_rc(mp_async_result_get(r, 30000), MP_EWORKER);
  int code, status;
  const char *msg;
  mp_assert_ok(mp_async_result_error(r, &code, &status, &msg));
  ck_assert_int_eq(code, MP_EWORKER);
  ck_assert_int_eq(status, 1);
  ck_assert_str_eq(msg, "fake executor 0 was lost while running the task");
  /* slot 0 took chunk 0 (items 0..4); the other slots ran the other eleven */
  for (size_t i = 0; i < 60; i++) {
    if (i < 5) {
      expect_item_error(r, i, MP_EWORKER, 1, "fake executor 0 was lost while running the task");
      continue;
    }
    mp_obj *v;
    mp_assert_ok(mp_async_result_item_obj(r, i, &v));
    ck_assert_int_eq(mp_test_int_of(v), (int64_t)(i * i + 1));
    mp_obj_decref(v);
  }
  mp_async_result_free(r);
  ck_assert_int_eq(ld(&f.chunks), 11);
  /* the exited slot is gone for good; the pool goes on with the others */
  mp_pool_chunk c;
  mp_assert_rc(mp_pool_backend_claim(p, 0, &c, NULL), MP_ESTATE);
  mp_assert_rc(mp_pool_backend_slot_exit(p, 0, 0, NULL), MP_ESTATE);
  ck_assert_int_eq(mp_pool_size(p), 3);
  int64_t x = 5;
  void *buf = NULL;
  size_t len;
  mp_assert_ok(mp_pool_apply(p, square_bytes, &x, sizeof x, &buf, &len, MP_FOREVER));
  ck_assert_int_eq(*(int64_t *)buf, 25);
  free(buf);
  mp_obj_decref(items);
  close_join_free(p, &f);
}
END_TEST

/* ---- 4: every slot gone breaks the pool ---- */

static void expect_broken_error(mp_async_result *r) {
  mp_assert_rc(mp_async_result_get(r, 30000), MP_EWORKER);
  int code, status;
  const char *msg;
  mp_assert_ok(mp_async_result_error(r, &code, &status, &msg));
  ck_assert_int_eq(code, MP_EWORKER);
  ck_assert_int_eq(status, 0);
  ck_assert_str_eq(msg, "the pool is broken: every executor of its backend is lost");
}

START_TEST(all_slots_lost_breaks_the_pool) {
  /* an open pool */
  fake f;
  fake_init(&f, 2);
  atomic_store(&f.go, 0);
  mp_pool *p = fake_pool(&f);
  mp_obj *items = int_list(10);
  mp_async_result *rm, *ra;
  mp_assert_ok(mp_pool_map_async(p, value_task, items, 1, NULL, &rm));
  int64_t x = 3;
  mp_assert_ok(mp_pool_apply_async(p, square_bytes, &x, sizeof x, NULL, &ra));
  mp_test_sleep_ms(20);
  ck_assert(!mp_async_result_ready(rm));
  atomic_store(&f.go, 2); /* both executors vanish without running anything */
  expect_broken_error(rm);
  expect_item_error(rm, 9, MP_EWORKER, 0,
                    "the pool is broken: every executor of its backend is lost");
  expect_broken_error(ra);
  mp_async_result_free(rm);
  mp_async_result_free(ra);
  mp_async_result *r = NULL;
  mp_assert_rc(mp_pool_apply_async(p, square_bytes, &x, sizeof x, NULL, &r), MP_EBROKEN);
  mp_assert_rc(mp_pool_map_async(p, value_task, items, 0, NULL, &r), MP_EBROKEN);
  int32_t in[4] = {1, 2, 3, 4};
  int64_t out[4];
  mp_assert_rc(mp_pool_map_array_async(p, cube, in, 4, sizeof *in, out, sizeof *out, 0, NULL, &r),
               MP_EBROKEN);
  ck_assert_ptr_null(r);
  ck_assert_int_eq(ld(&f.chunks), 0);
  mp_assert_ok(mp_pool_close(p));
  mp_assert_ok(mp_pool_join(p, 30000));
  fake_finish(&f);
  mp_pool_free(p);

  /* a closed pool with work still waiting breaks the same way */
  fake_init(&f, 2);
  atomic_store(&f.go, 0);
  p = fake_pool(&f);
  mp_assert_ok(mp_pool_map_async(p, value_task, items, 3, NULL, &rm));
  mp_assert_ok(mp_pool_close(p));
  atomic_store(&f.go, 2);
  expect_broken_error(rm);
  mp_async_result_free(rm);
  mp_assert_ok(mp_pool_join(p, 30000));
  fake_finish(&f);
  mp_pool_free(p);
  mp_obj_decref(items);
}
END_TEST

/* ---- 5: terminate with chunks held: the backend completes them ---- */

START_TEST(terminate_leaves_held_chunks_to_the_backend) {
  fake f;
  fake_init(&f, 2);
  f.hold = true;
  mp_pool *p = fake_pool(&f);
  mp_obj *items = int_list(4);
  mp_async_result *r;
  mp_assert_ok(mp_pool_map_async(p, value_task, items, 1, NULL, &r));
  ck_assert(wait_until(&f.held, 2, 30000));
  /* chunks 0 and 1 are held, one per slot; 2 and 3 wait */
  ck_assert_uint_eq(f.held_first[0] + f.held_first[1], 1);
  ck_assert_uint_ne(f.held_first[0], f.held_first[1]);
  mp_assert_ok(mp_pool_terminate(p));
  ck_assert_int_eq(ld(&f.terminate_calls), 1);
  mp_assert_rc(mp_async_result_get(r, 30000), MP_ECLOSED);
  /* both slots completed what they held, then claimed (MP_ECLOSED) and exit */
  ck_assert(wait_until(&f.late_done, 2, 30000));
  for (int s = 0; s < 2; s++) {
    ck_assert_int_eq(f.late_set_rc[s], 0);
    ck_assert_int_eq(f.late_complete_rc[s], 0);
  }
  for (size_t i = 0; i < 2; i++)
    expect_item_error(r, i, MP_ECLOSED, 0, "the fake backend dropped it at terminate");
  for (size_t i = 2; i < 4; i++)
    expect_item_error(r, i, MP_ECLOSED, 0, "the pool was terminated before the task ran");
  size_t done, total;
  mp_async_result_progress(r, &done, &total);
  ck_assert_uint_eq(done, 4);
  ck_assert_uint_eq(total, 4);
  mp_assert_rc(mp_pool_apply_async(p, square_bytes, "12345678", 8, NULL, &(mp_async_result *){0}),
               MP_ECLOSED);
  mp_assert_ok(mp_pool_join(p, 30000));
  fake_finish(&f);
  mp_async_result_free(r);
  mp_pool_free(p);
  ck_assert_int_eq(ld(&f.chunks), 0);
  mp_obj_decref(items);

  /* terminate wakes slots idle in wait_work(): they claim MP_ECLOSED and exit */
  fake_init(&f, 2);
  p = fake_pool(&f);
  mp_test_sleep_ms(20); /* both idle by now */
  int64_t t0 = mp_test_now_ms();
  mp_assert_ok(mp_pool_terminate(p));
  mp_assert_ok(mp_pool_join(p, 30000));
  ck_assert_int_lt(mp_test_now_ms() - t0, 5000);
  ck_assert_int_eq(ld(&f.terminate_calls), 1);
  fake_finish(&f);
  mp_pool_free(p);
}
END_TEST

/* ---- 6: what a backend pool refuses ---- */

static int an_initializer(void *arg) {
  (void)arg;
  return 0;
}

START_TEST(backend_options_checked) {
  fake f;
  fake_init(&f, 2);
  mp_pool *p = NULL;
  /* what cannot hold for a remote executor */
  mp_assert_rc(mp_pool_new(&p, &(mp_pool_opts){.backend = &f.be, .initializer = an_initializer}),
               -ENOTSUP);
  mp_assert_rc(mp_pool_new(&p, &(mp_pool_opts){.backend = &f.be, .maxtasksperchild = 1}), -ENOTSUP);
  mp_assert_rc(mp_pool_new(&p, &(mp_pool_opts){.backend = &f.be, .task_timeout = 100}), -ENOTSUP);
  /* slots() and start() are required */
  mp_pool_backend half = f.be;
  half.slots = NULL;
  mp_assert_rc(mp_pool_new(&p, &(mp_pool_opts){.backend = &half}), -EINVAL);
  half = f.be;
  half.start = NULL;
  mp_assert_rc(mp_pool_new(&p, &(mp_pool_opts){.backend = &half}), -EINVAL);
  ck_assert_int_eq(ld(&f.slots_calls), 0);
  ck_assert_int_eq(ld(&f.start_calls), 0);
  /* slots() answering no slot, or an error */
  f.slots_rc = 0;
  f.nslots = 0;
  mp_assert_rc(mp_pool_new(&p, &(mp_pool_opts){.backend = &f.be}), -EINVAL);
  f.slots_rc = -EBUSY;
  mp_assert_rc(mp_pool_new(&p, &(mp_pool_opts){.backend = &f.be}), -EBUSY);
  f.slots_rc = MP_EBROKEN;
  mp_assert_rc(mp_pool_new(&p, &(mp_pool_opts){.backend = &f.be}), MP_EBROKEN);
  ck_assert_int_eq(ld(&f.slots_calls), 3);
  ck_assert_int_eq(ld(&f.start_calls), 0);
  /* start() failing: no pool, and (the fixture checks) no fd or child left */
  f.slots_rc = 0;
  f.nslots = 2;
  f.start_rc = -EAGAIN;
  mp_assert_rc(mp_pool_new(&p, &(mp_pool_opts){.backend = &f.be}), -EAGAIN);
  ck_assert_int_eq(ld(&f.start_calls), 1);
  ck_assert_int_eq(ld(&f.terminate_calls), 0);
  ck_assert_ptr_null(p);
  fake_finish(&f);

  /* unregistered functions are refused at submission; the pool stays usable */
  fake_init(&f, 2);
  p = fake_pool(&f);
  mp_async_result *r = NULL;
  mp_obj *items = int_list(3), *one = mp_obj_int(1);
  int32_t in[3] = {1, 2, 3};
  int64_t out[3];
  mp_assert_rc(mp_pool_apply_async(p, unregistered_task, NULL, 0, NULL, &r), MP_ENOTREG);
  mp_assert_rc(mp_pool_apply_async_obj(p, unregistered_task, one, NULL, &r), MP_ENOTREG);
  mp_assert_rc(mp_pool_map_async(p, unregistered_task, items, 0, NULL, &r), MP_ENOTREG);
  mp_assert_rc(mp_pool_imap(p, unregistered_task, items, 0, &r), MP_ENOTREG);
  mp_assert_rc(mp_pool_imap_unordered(p, unregistered_task, items, 0, &r), MP_ENOTREG);
  mp_assert_rc(mp_pool_map_array_async(p, unregistered_elem, in, 3, sizeof *in, out, sizeof *out, 0,
                                       NULL, &r),
               MP_ENOTREG);
  mp_assert_rc(
      mp_pool_starmap(p, unregistered_elem, in, 3, sizeof *in, out, sizeof *out, 0, MP_FOREVER),
      MP_ENOTREG);
  ck_assert_ptr_null(r);
  mp_assert_ok(mp_pool_map_array(p, cube, in, 3, sizeof *in, out, sizeof *out, 0, MP_FOREVER));
  ck_assert_int_eq(out[2], 27);
  ck_assert_int_eq(ld(&f.chunks), 3); /* one item per chunk: ceil(3 / (4 * 2)) */
  mp_obj_decref(items);
  mp_obj_decref(one);
  close_join_free(p, &f);
}
END_TEST

/* ---- 7: the argument checks of the backend's calls (the test drives the slots itself) ---- */

START_TEST(backend_calls_checked) {
  fake f;
  fake_init(&f, 2);
  f.manual = true;
  mp_pool *p = fake_pool(&f);
  mp_pool_chunk c, c2;
  uint32_t seq = 0;
  int64_t v = 77;

  /* claim: bad pool, slot, chunk; nothing to claim yet */
  mp_assert_rc(mp_pool_backend_claim(NULL, 0, &c, &seq), -EINVAL);
  mp_assert_rc(mp_pool_backend_claim(p, -1, &c, &seq), -EINVAL);
  mp_assert_rc(mp_pool_backend_claim(p, 2, &c, &seq), -EINVAL);
  mp_assert_rc(mp_pool_backend_claim(p, 0, NULL, &seq), -EINVAL);
  mp_assert_rc(mp_pool_backend_claim(p, 0, &c, &seq), 0);
  mp_assert_rc(mp_pool_backend_claim(p, 1, &c, NULL), 0);
  mp_assert_rc(mp_pool_backend_wait_work(NULL, seq, 10), -EINVAL);
  mp_assert_rc(mp_pool_backend_wait_work(p, seq, 10), MP_ETIMEDOUT);

  /* a submission is work: the wait ends, the claim gets it */
  int64_t x = 6;
  mp_async_result *r;
  mp_assert_ok(mp_pool_apply_async(p, square_bytes, &x, sizeof x, NULL, &r));
  mp_assert_rc(mp_pool_backend_wait_work(p, seq, 10000), 0);
  mp_assert_rc(mp_pool_backend_claim(p, 0, &c, &seq), 1);
  ck_assert(!c.array);
  ck_assert_str_eq(c.task_name, "square_bytes");
  ck_assert_uint_eq(c.first, 0);
  ck_assert_uint_eq(c.count, 1);
  mp_assert_rc(mp_pool_backend_claim(p, 0, &c2, &seq), MP_ESTATE); /* it holds one */
  mp_assert_rc(mp_pool_backend_claim(p, 1, &c2, &seq), 0); /* nothing else waits */

  /* item_arg */
  const void *data = NULL;
  size_t len = 0;
  bool raw = false;
  mp_assert_rc(mp_pool_backend_item_arg(NULL, 0, &data, &len, &raw), -EINVAL);
  mp_assert_rc(mp_pool_backend_item_arg(&c, 1, &data, &len, &raw), -EINVAL);
  mp_assert_ok(mp_pool_backend_item_arg(&c, 0, &data, &len, &raw));
  ck_assert_uint_eq(len, sizeof x);
  ck_assert(raw);
  ck_assert_int_eq(*(const int64_t *)data, 6);

  /* set_result */
  mp_assert_rc(mp_pool_backend_set_result(NULL, 0, &c, 0, &v, sizeof v, true), -EINVAL);
  mp_assert_rc(mp_pool_backend_set_result(p, 2, &c, 0, &v, sizeof v, true), -EINVAL);
  mp_assert_rc(mp_pool_backend_set_result(p, -1, &c, 0, &v, sizeof v, true), -EINVAL);
  mp_assert_rc(mp_pool_backend_set_result(p, 0, NULL, 0, &v, sizeof v, true), -EINVAL);
  mp_assert_rc(mp_pool_backend_set_result(p, 0, &c, 1, &v, sizeof v, true), -EINVAL);
  mp_assert_rc(mp_pool_backend_set_result(p, 0, &c, 0, NULL, 4, true), -EINVAL);

  /* slot_exit while holding, and bad slots */
  mp_assert_rc(mp_pool_backend_slot_exit(p, 0, 0, "x"), MP_ESTATE);
  mp_assert_rc(mp_pool_backend_slot_exit(NULL, 0, 0, "x"), -EINVAL);
  mp_assert_rc(mp_pool_backend_slot_exit(p, 2, 0, "x"), -EINVAL);

  /* complete: bad pool, slot, chunk; then for real */
  mp_assert_rc(mp_pool_backend_complete(NULL, 0, &c, 0, 0, NULL), -EINVAL);
  mp_assert_rc(mp_pool_backend_complete(p, 2, &c, 0, 0, NULL), -EINVAL);
  mp_assert_rc(mp_pool_backend_complete(p, 0, NULL, 0, 0, NULL), -EINVAL);
  ck_assert(!mp_async_result_ready(r));
  mp_assert_ok(mp_pool_backend_set_result(p, 0, &c, 0, &v, sizeof v, true));
  mp_assert_ok(mp_pool_backend_complete(p, 0, &c, 0, 0, NULL));
  mp_assert_ok(mp_async_result_get(r, 10000));
  ck_assert_int_eq(item_i64(r, 0), 77); /* what the backend stored, not what the task would */
  mp_async_result_free(r);

  /* an array chunk: no per-item arguments or results */
  int32_t in[4] = {1, 2, 3, 4};
  int64_t out[4] = {0};
  mp_assert_ok(mp_pool_map_array_async(p, cube, in, 4, sizeof *in, out, sizeof *out, 4, NULL, &r));
  mp_assert_rc(mp_pool_backend_claim(p, 0, &c2, &seq), 1);
  ck_assert(c2.array);
  ck_assert_str_eq(c2.task_name, "cube");
  ck_assert_uint_eq(c2.first, 0);
  ck_assert_uint_eq(c2.count, 4);
  ck_assert_uint_eq(c2.in_size, sizeof *in);
  ck_assert_uint_eq(c2.out_size, sizeof *out);
  ck_assert_ptr_nonnull(c2.in);
  ck_assert_ptr_nonnull(c2.out);
  ck_assert_int_eq(((const int32_t *)c2.in)[3], 4);
  mp_assert_rc(mp_pool_backend_item_arg(&c2, 0, &data, &len, &raw), -EINVAL);
  mp_assert_rc(mp_pool_backend_set_result(p, 0, &c2, 0, &v, sizeof v, true), -EINVAL);
  /* the slot's earlier chunk, already completed, does not complete the one it holds now */
  mp_assert_rc(mp_pool_backend_complete(p, 0, &c, 0, 0, NULL), MP_ESTATE);
  ck_assert(!mp_async_result_ready(r));
  mp_assert_ok(mp_map_task_run(cube, c2.in, c2.count, c2.in_size, c2.out, c2.out_size, NULL, NULL));
  mp_assert_ok(mp_pool_backend_complete(p, 0, &c2, 0, 0, NULL));
  mp_assert_ok(mp_async_result_get(r, 10000));
  for (int i = 0; i < 4; i++) ck_assert_int_eq(out[i], (int64_t)in[i] * in[i] * in[i]);
  mp_async_result_free(r);

  /* a pool that is not a backend's */
  mp_pool *tp;
  mp_assert_ok(mp_pool_new(&tp, &(mp_pool_opts){.processes = 1, .threads = true}));
  mp_assert_rc(mp_pool_backend_claim(tp, 0, &c, &seq), -EINVAL);
  mp_assert_rc(mp_pool_backend_wait_work(tp, seq, 0), -EINVAL);
  mp_assert_rc(mp_pool_backend_slot_exit(tp, 0, 0, NULL), -EINVAL);
  mp_assert_rc(mp_pool_backend_complete(tp, 0, &c, 0, 0, NULL), -EINVAL);
  mp_assert_ok(mp_pool_close(tp));
  mp_assert_ok(mp_pool_join(tp, 30000));
  mp_pool_free(tp);

  /* closed with nothing left: the slots are told to exit, and exit once */
  mp_assert_ok(mp_pool_close(p));
  mp_assert_rc(mp_pool_backend_claim(p, 0, &c, &seq), MP_ECLOSED);
  mp_assert_ok(mp_pool_backend_slot_exit(p, 0, 0, "test slot 0"));
  mp_assert_rc(mp_pool_backend_slot_exit(p, 0, 0, "test slot 0"), MP_ESTATE);
  mp_assert_rc(mp_pool_backend_claim(p, 0, &c, &seq), MP_ESTATE);
  mp_assert_rc(mp_pool_join(p, 50), MP_ETIMEDOUT); /* slot 1 still serves */
  mp_assert_ok(mp_pool_backend_slot_exit(p, 1, 0, NULL));
  mp_assert_ok(mp_pool_join(p, 30000));
  fake_finish(&f);
  mp_pool_free(p);
}
END_TEST

/* A complete for a chunk the slot does not hold -- another slot's, or one completed already
 * -- is refused with MP_ESTATE, not taken as if it were the slot's. */
START_TEST(complete_with_nothing_held) {
  fake f;
  fake_init(&f, 2);
  f.manual = true;
  mp_pool *p = fake_pool(&f);
  mp_pool_chunk c;
  int64_t x = 4, v = 16;
  mp_async_result *r;
  mp_assert_ok(mp_pool_apply_async(p, square_bytes, &x, sizeof x, NULL, &r));
  while (mp_pool_backend_claim(p, 0, &c, NULL) == 0) mp_test_sleep_ms(1);
  mp_assert_ok(mp_pool_backend_set_result(p, 0, &c, 0, &v, sizeof v, true));
  /* slot 1 holds nothing, in an open pool */
  mp_assert_rc(mp_pool_backend_complete(p, 1, &c, 0, 0, NULL), MP_ESTATE);
  mp_assert_ok(mp_pool_backend_complete(p, 0, &c, 0, 0, NULL));
  /* completed twice: slot 0 holds nothing now */
  mp_assert_rc(mp_pool_backend_complete(p, 0, &c, 0, 0, NULL), MP_ESTATE);
  mp_assert_ok(mp_async_result_get(r, 10000));
  mp_async_result_free(r);
  mp_assert_ok(mp_pool_close(p));
  mp_assert_ok(mp_pool_backend_slot_exit(p, 0, 0, NULL));
  mp_assert_ok(mp_pool_backend_slot_exit(p, 1, 0, NULL));
  mp_assert_ok(mp_pool_join(p, 30000));
  fake_finish(&f);
  mp_pool_free(p);
}
END_TEST

/* mp_pool_backend_slot_exit() publishes the exit and then kicks the result thread through
 * p->sh.  Once every slot's exit is visible the pool may be joined and freed, possibly while a
 * slot_exit() call is still between its store and its kick; mp_pool_free() must wait for it
 * (a backend cannot know when the pool is gone).  The window is two instructions wide, so the
 * case holds a thread in it with a hardware watchpoint on the slot's exit flag: a signal
 * arrives right after the store, and its handler waits there until the pool is freed (or
 * 300 ms, which is how a free that waits for the call ends the wait).  A free that did not
 * wait would touch the freed pool on resuming: a heap-use-after-free under the sanitizers, a
 * crash or garbage otherwise.  Where perf_event_open() is refused it says so and passes. */
static _Atomic int watch_paused, watch_release;

static void on_watch_signal(int sig) {
  (void)sig;
  atomic_store(&watch_paused, 1);
  for (int i = 0; i < 300 && !atomic_load(&watch_release); i++) {
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
  }
}

typedef struct watched_exit {
  mp_pool *p;
  int fd;
  _Atomic int rc; /* 999 until slot_exit() returned */
  int open_errno;
} watched_exit;

/* Slot 0's exit, on a thread that traps right after slot_exit() stores the exit flag. */
static void *exit_watched(void *arg) {
  watched_exit *w = arg;
  struct perf_event_attr a = {.type = PERF_TYPE_BREAKPOINT,
                              .size = sizeof a,
                              .bp_type = HW_BREAKPOINT_W,
                              .bp_addr = (uintptr_t)&w->p->sh->slots[0].exited,
                              .bp_len = HW_BREAKPOINT_LEN_4,
                              .sample_period = 1,
                              .exclude_kernel = 1,
                              .exclude_hv = 1};
  w->fd = (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
  if (w->fd < 0) {
    w->open_errno = errno;
  } else {
    /* the watchpoint's signal goes to this very thread */
    struct f_owner_ex owner = {.type = F_OWNER_TID, .pid = (pid_t)syscall(SYS_gettid)};
    if (fcntl(w->fd, F_SETOWN_EX, &owner) != 0 || fcntl(w->fd, F_SETSIG, SIGIO) != 0 ||
        fcntl(w->fd, F_SETFL, O_ASYNC) != 0) {
      w->open_errno = errno;
      close(w->fd);
      w->fd = -1;
    }
  }
  atomic_store(&w->rc, mp_pool_backend_slot_exit(w->p, 0, 0, "watched slot"));
  return NULL;
}

START_TEST(free_while_slot_exit_runs) {
  fake f;
  fake_init(&f, 2);
  f.manual = true;
  mp_pool *p = fake_pool(&f);
  struct sigaction sa = {.sa_handler = on_watch_signal};
  sigemptyset(&sa.sa_mask);
  ck_assert_int_eq(sigaction(SIGIO, &sa, NULL), 0);
  mp_assert_ok(mp_pool_close(p));
  watched_exit w = {.p = p, .fd = -1, .rc = 999};
  pthread_t t;
  ck_assert_int_eq(pthread_create(&t, NULL, exit_watched, &w), 0);
  int64_t end = mp_test_now_ms() + 10000;
  while (!atomic_load(&watch_paused) && atomic_load(&w.rc) == 999 && mp_test_now_ms() < end)
    mp_test_sleep_ms(1);
  if (!atomic_load(&watch_paused)) {
    pthread_join(t, NULL);
    fprintf(stderr, "free_while_slot_exit_runs: no hardware watchpoint here (%s): not run\n",
            strerror(w.open_errno));
    if (w.fd >= 0) close(w.fd);
    mp_assert_ok(mp_pool_backend_slot_exit(p, 1, 0, NULL));
    mp_assert_ok(mp_pool_join(p, 30000));
    fake_finish(&f);
    mp_pool_free(p);
    return;
  }
  /* Slot 0 has stored its exit and not kicked yet; the last slot's exit wakes the result
   * thread, which sees both. */
  mp_assert_ok(mp_pool_backend_slot_exit(p, 1, 0, NULL));
  mp_assert_ok(mp_pool_join(p, 30000));
  mp_pool_free(p);
  atomic_store(&watch_release, 1);
  pthread_join(t, NULL); /* slot 0's slot_exit() resumes, after the free */
  ck_assert_int_eq(atomic_load(&w.rc), 0);
  close(w.fd);
  fake_finish(&f);
}
END_TEST

/* ---- 8: the executor's side on its own ---- */

static int obj_result_task(mp_task *t) {
  mp_obj *a;
  int rc = mp_task_arg_obj(t, &a);
  if (rc) return rc;
  mp_obj *l = mp_obj_list();
  mp_obj_list_append_steal(l, mp_obj_int(mp_test_int_of(a) * 10));
  mp_obj_list_append_steal(l, mp_obj_int((int64_t)mp_task_index(t)));
  mp_obj_decref(a);
  rc = mp_task_return_obj(t, l);
  mp_obj_decref(l);
  return rc;
}

/* Stores twice: the second result replaces the first. */
static int raw_result_task(mp_task *t) {
  size_t len;
  const char *s = mp_task_arg(t, &len);
  int rc = mp_task_return(t, "first", 5);
  if (rc) return rc;
  char buf[64];
  int n = snprintf(buf, sizeof buf, "%.*s/%zu", (int)len, s, mp_task_index(t));
  return mp_task_return(t, buf, (size_t)n);
}

static int bytes_obj_task(mp_task *t) {
  mp_obj *a;
  int rc = mp_task_arg_obj(t, &a);
  if (rc) return rc;
  /* a raw argument arrives as a bytes value, and a bytes value goes back raw */
  rc = mp_obj_type_of(a) == MP_OBJ_BYTES ? mp_task_return_obj(t, a) : mp_task_error(9, "not bytes");
  mp_obj_decref(a);
  return rc;
}

static int no_result_task(mp_task *t) {
  (void)t;
  return 0;
}

static int failing_task(mp_task *t) { return mp_task_error(7, "failed at %zu", mp_task_index(t)); }

static int silent_failing_task(mp_task *t) {
  (void)t;
  return 4;
}

static int silent_fail_elem(const void *in, void *out) {
  (void)out;
  return *(const int32_t *)in == 3 ? 6 : 0;
}

START_TEST(task_run_directly) {
  mp_task_outcome o;
  /* a value result: its encoding */
  mp_obj *arg = mp_obj_int(4);
  void *enc;
  size_t enc_len;
  mp_assert_ok(mp_obj_encode(arg, &enc, &enc_len));
  mp_assert_ok(mp_task_run(obj_result_task, 17, enc, enc_len, false, &o));
  ck_assert_int_eq(o.status, 0);
  ck_assert(!o.raw);
  ck_assert_ptr_nonnull(o.result);
  ck_assert_str_eq(o.message, "");
  mp_obj *got;
  mp_assert_ok(mp_obj_decode(o.result, o.len, NULL, &got));
  ck_assert_uint_eq(mp_obj_len(got), 2);
  ck_assert_int_eq(mp_test_int_of(mp_obj_item(got, 0)), 40);
  ck_assert_int_eq(mp_test_int_of(mp_obj_item(got, 1)), 17);
  mp_obj_decref(got);
  free(o.result);
  free(enc);
  mp_obj_decref(arg);

  /* raw bytes, replaced by a second mp_task_return() */
  mp_assert_ok(mp_task_run(raw_result_task, 3, "abc", 3, true, &o));
  ck_assert_int_eq(o.status, 0);
  ck_assert(o.raw);
  ck_assert_uint_eq(o.len, 5);
  ck_assert_int_eq(memcmp(o.result, "abc/3", 5), 0);
  free(o.result);

  /* a raw argument is a bytes value; a bytes value result is raw */
  mp_assert_ok(mp_task_run(bytes_obj_task, 0, "\x01\x02\x03", 3, true, &o));
  ck_assert_int_eq(o.status, 0);
  ck_assert(o.raw);
  ck_assert_uint_eq(o.len, 3);
  ck_assert_int_eq(memcmp(o.result, "\x01\x02\x03", 3), 0);
  free(o.result);

  /* no result, and no argument */
  mp_assert_ok(mp_task_run(no_result_task, 0, NULL, 0, true, &o));
  ck_assert_int_eq(o.status, 0);
  ck_assert_ptr_null(o.result);
  ck_assert_uint_eq(o.len, 0);

  /* a failure is a status in the outcome, with its message; the next run starts clean */
  mp_assert_ok(mp_task_run(failing_task, 12, NULL, 0, true, &o));
  ck_assert_int_eq(o.status, 7);
  ck_assert_str_eq(o.message, "failed at 12");
  ck_assert_ptr_null(o.result);
  mp_assert_ok(mp_task_run(silent_failing_task, 0, NULL, 0, true, &o));
  ck_assert_int_eq(o.status, 4);
  ck_assert_str_eq(o.message, "");
  ck_assert_ptr_null(o.result);
  /* outside a task, mp_task_error() only returns its status */
  ck_assert_int_eq(mp_task_error(3, "outside"), 3);
  mp_assert_ok(mp_task_run(silent_failing_task, 0, NULL, 0, true, &o));
  ck_assert_str_eq(o.message, "");

  mp_assert_rc(mp_task_run(NULL, 0, NULL, 0, true, &o), -EINVAL);
  mp_assert_rc(mp_task_run(no_result_task, 0, NULL, 0, true, NULL), -EINVAL);
  mp_assert_rc(mp_task_run(no_result_task, 0, NULL, 5, true, &o), -EINVAL);

  /* the array map's chunk: success leaves msg and failed_at alone */
  int32_t in[20];
  int64_t out[20];
  for (int i = 0; i < 20; i++) in[i] = 770 + i;
  char msg[MP_TASK_MSG_MAX] = "untouched";
  size_t at = 999;
  mp_assert_ok(mp_map_task_run(cube, in, 5, sizeof *in, out, sizeof *out, msg, &at));
  ck_assert_str_eq(msg, "untouched");
  ck_assert_uint_eq(at, 999);
  for (int i = 0; i < 5; i++) ck_assert_int_eq(out[i], (int64_t)in[i] * in[i] * in[i]);
  /* the first failing element: its status, position and message; those before it are done */
  memset(out, 0, sizeof out);
  ck_assert_int_eq(
      mp_map_task_run(cube_fail_at_777, in, 20, sizeof *in, out, sizeof *out, msg, &at), 5);
  ck_assert_uint_eq(at, 7);
  ck_assert_str_eq(msg, "element 777 refused");
  for (int i = 0; i < 7; i++) ck_assert_int_eq(out[i], (int64_t)in[i] * in[i] * in[i]);
  ck_assert_int_eq(out[7], 0);
  ck_assert_int_eq(out[8], 0); /* nothing after the failure runs */
  /* a failure without a message gives "", not the previous message; no output at all */
  for (int i = 0; i < 5; i++) in[i] = i;
  ck_assert_int_eq(mp_map_task_run(silent_fail_elem, in, 5, sizeof *in, NULL, 0, msg, &at), 6);
  ck_assert_uint_eq(at, 3);
  ck_assert_str_eq(msg, "");
  ck_assert_int_eq(mp_map_task_run(silent_fail_elem, in, 5, sizeof *in, NULL, 0, NULL, NULL), 6);
  mp_assert_ok(mp_map_task_run(cube, in, 0, sizeof *in, out, sizeof *out, msg, &at));
  mp_assert_rc(mp_map_task_run(NULL, in, 5, sizeof *in, out, sizeof *out, msg, &at), -EINVAL);
  mp_assert_rc(mp_map_task_run(cube, NULL, 5, sizeof *in, out, sizeof *out, msg, &at), -EINVAL);
  mp_assert_rc(mp_map_task_run(cube, in, 5, 0, out, sizeof *out, msg, &at), -EINVAL);
  mp_assert_rc(mp_map_task_run(cube, in, 5, sizeof *in, NULL, sizeof *out, msg, &at), -EINVAL);
  mp_assert_rc(mp_map_task_run(cube, in, 5, sizeof *in, out, 0, msg, &at), -EINVAL);
}
END_TEST

Suite *mp_test_suite(void) {
  Suite *s = suite_create("pool_backend");
  TCase *tc = mp_tcase("pool_backend", 60);
  tcase_add_test(tc, maps_and_apply_equal_serial);
  tcase_add_test(tc, task_errors_reach_get);
  tcase_add_test(tc, lost_executor_fails_only_its_chunk);
  tcase_add_test(tc, all_slots_lost_breaks_the_pool);
  tcase_add_test(tc, terminate_leaves_held_chunks_to_the_backend);
  tcase_add_test(tc, backend_options_checked);
  tcase_add_test(tc, backend_calls_checked);
  tcase_add_test(tc, complete_with_nothing_held);
  tcase_add_test(tc, free_while_slot_exit_runs);
  tcase_add_test(tc, task_run_directly);
  suite_add_tcase(s, tc);
  return s;
}
