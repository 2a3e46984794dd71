/* SPDX-License-Identifier: MIT */
/* test_pool.c -- Pool and ThreadPool: apply/map/imap/imap_unordered/starmap and the typed array
 * map against a serial run over thousands of items and odd chunk sizes; task errors; callbacks
 * in the pool's process in completion order; workers killed by a signal, crashing, calling
 * exit() or SIGKILLed from outside in the middle of a map (only their task fails, the worker
 * is replaced); maxtasksperchild; terminate during work; task and get timeouts; initializers;
 * large arguments and results; and that nothing leaks. */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "pool/pool_internal.h" /* the pool lock and redo log, to die inside them */

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---- task functions ---- */

static int square_bytes(mp_task *t) {
  size_t len;
  const int64_t *x = mp_task_arg(t, &len);
  if (len != sizeof *x) return mp_task_error(22, "bad argument length %zu", len);
  int64_t y = *x * *x;
  return mp_task_return(t, &y, sizeof y);
}

/* Values: int -> int*int + 1; a str gets "!" appended; -13 fails. */
static int value_task(mp_task *t) {
  mp_obj *a;
  int rc = mp_task_arg_obj(t, &a);
  if (rc) return rc;
  mp_obj *r = NULL;
  if (mp_obj_type_of(a) == MP_OBJ_INT) {
    int64_t v = mp_test_int_of(a);
    if (v == -13) {
      mp_obj_decref(a);
      return mp_task_error(13, "unlucky %lld", (long long)v);
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

static int64_t arg_i64(mp_task *t) {
  size_t len;
  const int64_t *x = mp_task_arg(t, &len);
  return len == sizeof *x ? *x : -1;
}

static int sleep_ms_task(mp_task *t) {
  int64_t ms = arg_i64(t);
  mp_test_sleep_ms(ms);
  return mp_task_return(t, &ms, sizeof ms);
}

/* Sleeps, then returns when it finished (monotonic ms, the same clock in every process). */
static int sleep_then_time_task(mp_task *t) {
  mp_test_sleep_ms(arg_i64(t));
  int64_t now = mp_test_now_ms();
  return mp_task_return(t, &now, sizeof now);
}

static int pid_task(mp_task *t) {
  int64_t pid = getpid();
  return mp_task_return(t, &pid, sizeof pid);
}

static int name_task(mp_task *t) {
  const char *n = mp_process_name(mp_current_process());
  return mp_task_return(t, n, strlen(n));
}

/* LeakSanitizer asks this hook at exit() whether to check for leaks; a worker that calls exit()
 * in the middle of a task leaves the pool's memory behind on purpose, and the check would turn
 * its exit status 7 into the sanitizer's.  (Unused outside sanitizer builds.) */
static volatile int exiting_on_purpose;
int __lsan_is_turned_off(void);
int __lsan_is_turned_off(void) { return exiting_on_purpose; }

/* -1: raise SIGKILL; -2: a crash (abort(): SIGABRT, which the sanitizers leave alone, unlike
 * SIGSEGV); -3: exit(7); else square. */
static int dying_task(mp_task *t) {
  int64_t x = arg_i64(t);
  if (x == -1) raise(SIGKILL);
  if (x == -2) abort();
  if (x == -3) {
    exiting_on_purpose = 1;
    exit(7);
  }
  int64_t y = x * x;
  return mp_task_return(t, &y, sizeof y);
}

static int cube(const void *in, void *out) {
  int64_t x = *(const int32_t *)in;
  *(int64_t *)out = x * x * x;
  return 0;
}

static int cube_fail_at_777(const void *in, void *out) {
  int32_t x = *(const int32_t *)in;
  if (x == 777) return mp_task_error(5, "element %d refused", x);
  *(int64_t *)out = (int64_t)x * x * x;
  return 0;
}

typedef struct pair_args {
  int32_t a, b;
} pair_args;

static int add_pair(const void *in, void *out) {
  const pair_args *p = in;
  *(int64_t *)out = (int64_t)p->a + p->b;
  return 0;
}

static int spin_elem(const void *in, void *out) {
  /* about 20 us of work per element */
  volatile uint64_t acc = *(const int32_t *)in;
  for (int i = 0; i < 20000; i++) acc = acc * 6364136223846793005ull + 1;
  *(int64_t *)out = *(const int32_t *)in;
  return 0;
}

/* ---- helpers ---- */

static mp_pool *new_pool(int n, bool threads) {
  mp_pool *p;
  mp_pool_opts o = {.processes = n, .threads = threads};
  mp_assert_ok(mp_pool_new(&p, &o));
  return p;
}

static void finish_pool(mp_pool *p) {
  mp_assert_ok(mp_pool_close(p));
  mp_assert_ok(mp_pool_join(p, 30000));
  mp_pool_free(p);
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

/* ---- cases ---- */

static void apply_and_misuse_on(bool threads) {
  mp_pool *p = new_pool(2, threads);
  ck_assert_int_eq(mp_pool_size(p), 2);
  int64_t x = 12;
  void *res = NULL;
  size_t len = 0;
  mp_assert_ok(mp_pool_apply(p, square_bytes, &x, sizeof x, &res, &len, MP_FOREVER));
  ck_assert_uint_eq(len, 8);
  ck_assert_int_eq(*(int64_t *)res, 144);
  free(res);
  /* a task error reaches get() with its status and message */
  mp_async_result *r;
  mp_assert_ok(mp_pool_apply_async(p, square_bytes, &x, 3, NULL, &r));
  mp_assert_rc(mp_async_result_get(r, 10000), MP_ETASK);
  ck_assert_int_eq(mp_async_result_successful(r), 0);
  int code, status;
  const char *msg;
  mp_assert_ok(mp_async_result_error(r, &code, &status, &msg));
  ck_assert_int_eq(code, MP_ETASK);
  ck_assert_int_eq(status, 22);
  ck_assert_str_eq(msg, "bad argument length 3");
  mp_async_result_free(r);
  /* values */
  mp_obj *arg = mp_obj_int(9), *out = NULL;
  mp_assert_ok(mp_pool_apply_obj(p, value_task, arg, &out, MP_FOREVER));
  ck_assert_int_eq(mp_test_int_of(out), 82);
  mp_obj_decref(out);
  mp_obj_decref(arg);
  /* misuse */
  mp_assert_rc(mp_pool_apply_async(p, NULL, &x, 8, NULL, &r), -EINVAL);
  mp_assert_rc(mp_pool_apply_async(p, square_bytes, NULL, 8, NULL, &r), -EINVAL);
  mp_assert_rc(mp_pool_join(p, 0), MP_ESTATE); /* join before close */
  mp_assert_rc(mp_pool_new(&p, &(mp_pool_opts){.processes = -1}), -EINVAL);
  mp_assert_rc(mp_pool_close(p), 0);
  mp_assert_rc(mp_pool_apply_async(p, square_bytes, &x, 8, NULL, &r), MP_ECLOSED);
  mp_assert_ok(mp_pool_join(p, 30000));
  mp_pool_free(p);
  mp_pool_free(NULL);
  mp_async_result_free(NULL);
}

START_TEST(apply_and_misuse) { apply_and_misuse_on(false); }
END_TEST

START_TEST(thread_pool_apply_and_misuse) {
  apply_and_misuse_on(true);
  mp_pool *p;
  mp_assert_rc(mp_pool_new(&p, &(mp_pool_opts){.threads = true, .task_timeout = 10}), -ENOTSUP);
}
END_TEST

/* map, map_async, imap and imap_unordered over n values equal a serial run, for odd chunk
 * sizes. */
static void maps_equal_serial(bool threads) {
  mp_pool *p = new_pool(threads ? 3 : 2, threads);
  const int64_t n = 3001;
  mp_obj *items = int_list(n);
  mp_obj_list_set_steal(items, 1000, mp_obj_str("abc"));
  size_t chunks[] = {0, 1, 7, 1000, 5000};
  for (size_t k = 0; k < NELEM(chunks); k++) {
    mp_obj *res = NULL;
    mp_assert_ok(mp_pool_map(p, value_task, items, chunks[k], &res, MP_FOREVER));
    ck_assert_uint_eq(mp_obj_len(res), (size_t)n);
    for (int64_t i = 0; i < n; i++) {
      mp_obj *v = mp_obj_item(res, (size_t)i);
      if (i == 1000) {
        size_t len;
        ck_assert_str_eq(mp_obj_str_data(v, &len), "abc!");
      } else {
        ck_assert_int_eq(mp_test_int_of(v), i * i + 1);
      }
    }
    mp_obj_decref(res);

    mp_async_result *r;
    mp_assert_ok(mp_pool_imap(p, value_task, items, chunks[k], &r));
    size_t idx;
    for (int64_t i = 0; i < n; i++) {
      mp_assert_ok(mp_async_result_next(r, &idx, 30000));
      ck_assert_uint_eq(idx, (size_t)i);
    }
    mp_assert_rc(mp_async_result_next(r, &idx, 0), MP_EOF);
    size_t done, total;
    mp_async_result_progress(r, &done, &total);
    ck_assert_uint_eq(done, (size_t)n);
    ck_assert_uint_eq(total, (size_t)n);
    mp_async_result_free(r);

    mp_assert_ok(mp_pool_imap_unordered(p, value_task, items, chunks[k], &r));
    char *seen = calloc((size_t)n, 1);
    for (int64_t i = 0; i < n; i++) {
      mp_assert_ok(mp_async_result_next(r, &idx, 30000));
      ck_assert_uint_lt(idx, (size_t)n);
      ck_assert_int_eq(seen[idx], 0);
      seen[idx] = 1;
      mp_obj *v;
      mp_assert_ok(mp_async_result_item_obj(r, idx, &v));
      if (idx != 1000) ck_assert_int_eq(mp_test_int_of(v), (int64_t)idx * (int64_t)idx + 1);
      mp_obj_decref(v);
    }
    mp_assert_rc(mp_async_result_next(r, &idx, 0), MP_EOF);
    free(seen);
    mp_async_result_free(r);
  }
  /* one failing item fails map() with its error; imap gives the others */
  mp_obj_list_set_steal(items, 13, mp_obj_int(-13));
  mp_obj *res = NULL;
  mp_assert_rc(mp_pool_map(p, value_task, items, 10, &res, MP_FOREVER), MP_ETASK);
  ck_assert_ptr_null(res);
  mp_async_result *r;
  mp_assert_ok(mp_pool_imap(p, value_task, items, 1, &r));
  for (int64_t i = 0; i < n; i++) {
    size_t idx;
    int rc = mp_async_result_next(r, &idx, 30000);
    ck_assert_uint_eq(idx, (size_t)i);
    if (i == 13) {
      mp_assert_rc(rc, MP_ETASK);
      const char *msg;
      int status;
      mp_assert_ok(mp_async_result_item_error(r, idx, NULL, &status, &msg));
      ck_assert_int_eq(status, 13);
      ck_assert_str_eq(msg, "unlucky -13");
    } else {
      mp_assert_ok(rc);
      mp_assert_rc(mp_async_result_item_error(r, idx, NULL, NULL, NULL), MP_ESTATE);
    }
  }
  mp_async_result_free(r);
  /* empty input */
  mp_obj *empty = mp_obj_list();
  mp_assert_ok(mp_pool_map(p, value_task, empty, 0, &res, MP_FOREVER));
  ck_assert_uint_eq(mp_obj_len(res), 0);
  mp_obj_decref(res);
  mp_obj_decref(empty);
  mp_assert_rc(mp_pool_map(p, value_task, mp_obj_item(items, 0), 0, &res, MP_FOREVER), -EINVAL);
  mp_obj_decref(items);
  finish_pool(p);
}

START_TEST(maps_equal_serial_processes) { maps_equal_serial(false); }
END_TEST
START_TEST(maps_equal_serial_threads) { maps_equal_serial(true); }
END_TEST

static void array_maps(bool threads) {
  mp_pool *p = new_pool(2, threads);
  const size_t n = 100003;
  int32_t *in = malloc(n * sizeof *in);
  int64_t *out = malloc(n * sizeof *out);
  for (size_t i = 0; i < n; i++) in[i] = (int32_t)(i % 2001) - 1000;
  size_t chunks[] = {0, 1, 13, 4096, 200000};
  for (size_t k = 0; k < NELEM(chunks); k++) {
    if (chunks[k] == 1 && n > 20000) {
      /* chunk size 1 over a shorter prefix keeps the case fast under the sanitizers */
      memset(out, 0, n * sizeof *out);
      mp_assert_ok(
          mp_pool_map_array(p, cube, in, 20000, sizeof *in, out, sizeof *out, 1, MP_FOREVER));
      for (size_t i = 0; i < 20000; i++) ck_assert_int_eq(out[i], (int64_t)in[i] * in[i] * in[i]);
      continue;
    }
    memset(out, 0, n * sizeof *out);
    mp_assert_ok(
        mp_pool_map_array(p, cube, in, n, sizeof *in, out, sizeof *out, chunks[k], MP_FOREVER));
    for (size_t i = 0; i < n; i++) ck_assert_int_eq(out[i], (int64_t)in[i] * in[i] * in[i]);
  }
  /* arrays already in the shared heap are used in place */
  int32_t *hin = mp_shared_alloc(n * sizeof *hin);
  int64_t *hout = mp_shared_alloc(n * sizeof *hout);
  memcpy(hin, in, n * sizeof *in);
  mp_assert_ok(mp_pool_map_array(p, cube, hin, n, sizeof *hin, hout, sizeof *hout, 0, MP_FOREVER));
  for (size_t i = 0; i < n; i++) ck_assert_int_eq(hout[i], (int64_t)in[i] * in[i] * in[i]);
  mp_shared_free(hin, n * sizeof *hin);
  mp_shared_free(hout, n * sizeof *hout);
  /* starmap over argument structs */
  pair_args args[1000];
  int64_t sums[1000];
  for (int i = 0; i < 1000; i++) args[i] = (pair_args){i, 3 * i};
  mp_assert_ok(
      mp_pool_starmap(p, add_pair, args, 1000, sizeof *args, sums, sizeof *sums, 7, MP_FOREVER));
  for (int i = 0; i < 1000; i++) ck_assert_int_eq(sums[i], 4 * i);
  /* an element error fails the map with its message; async with a callback */
  mp_async_result *r;
  for (size_t i = 0; i < 2000; i++) in[i] = (int32_t)i;
  mp_assert_ok(mp_pool_map_array_async(p, cube_fail_at_777, in, 2000, sizeof *in, out, sizeof *out,
                                       100, NULL, &r));
  mp_assert_rc(mp_async_result_get(r, 30000), MP_ETASK);
  const char *msg;
  mp_assert_ok(mp_async_result_error(r, NULL, NULL, &msg));
  ck_assert_str_eq(msg, "element 777 refused");
  mp_assert_rc(mp_async_result_item(r, 0, NULL, NULL), -EINVAL); /* array maps have no items */
  mp_async_result_free(r);
  /* bad arguments */
  mp_assert_rc(mp_pool_map_array(p, cube, NULL, 5, 4, out, 8, 0, MP_FOREVER), -EINVAL);
  mp_assert_rc(mp_pool_map_array(p, cube, in, 5, 0, out, 8, 0, MP_FOREVER), -EINVAL);
  mp_assert_rc(mp_pool_map_array(p, cube, in, 5, 4, out, 0, 0, MP_FOREVER), -EINVAL);
  mp_assert_rc(mp_pool_map_array(p, cube, in, 5, 4, NULL, 8, 0, MP_FOREVER), -EINVAL);
  free(in);
  free(out);
  finish_pool(p);
}

START_TEST(array_maps_processes) { array_maps(false); }
END_TEST
START_TEST(array_maps_threads) { array_maps(true); }
END_TEST

/* Callbacks: in the pool's process, one thread, completion order. */
typedef struct cb_log {
  pthread_mutex_t mu;
  int n, errors;
  pid_t pid[64];
  pthread_t thread[64];
  int64_t value[64];
} cb_log;

static void on_result(mp_async_result *r, void *user) {
  cb_log *log = user;
  pthread_mutex_lock(&log->mu);
  if (log->n < 64) {
    log->pid[log->n] = getpid();
    log->thread[log->n] = pthread_self();
    log->value[log->n] = mp_async_result_len(r) == 1 ? item_i64(r, 0) : -1;
    log->n++;
  }
  pthread_mutex_unlock(&log->mu);
}

static void on_error(mp_async_result *r, void *user) {
  cb_log *log = user;
  int code;
  ck_assert_int_eq(mp_async_result_error(r, &code, NULL, NULL), 0);
  pthread_mutex_lock(&log->mu);
  log->errors++;
  pthread_mutex_unlock(&log->mu);
}

static void callbacks_on(bool threads) {
  mp_pool *p = new_pool(2, threads);
  static cb_log log = {.mu = PTHREAD_MUTEX_INITIALIZER};
  mp_async_opts o = {.callback = on_result, .error_callback = on_error, .user = &log};
  /* On two workers these finish at about 20, 420, 540, 600, 650 and 780 ms, each at least 50 ms
   * apart, in an order that is neither submission nor duration order. */
  int64_t ms[6] = {600, 20, 400, 120, 240, 50};
  mp_async_result *r[6];
  for (int i = 0; i < 6; i++)
    mp_assert_ok(mp_pool_apply_async(p, sleep_then_time_task, &ms[i], 8, &o, &r[i]));
  mp_async_result *bad;
  mp_assert_ok(mp_pool_apply_async(p, square_bytes, ms, 1, &o, &bad));
  mp_async_result_free(bad); /* freed before its callback ran: the callback still runs */
  finish_pool(p);
  ck_assert_int_eq(log.n, 6);
  ck_assert_int_eq(log.errors, 1);
  for (int i = 0; i < 6; i++) {
    ck_assert_int_eq(log.pid[i], getpid());
    ck_assert(pthread_equal(log.thread[i], log.thread[0]));
    ck_assert(!pthread_equal(log.thread[i], pthread_self()));
    mp_assert_ok(mp_async_result_get(r[i], 0));
    mp_async_result_free(r[i]);
  }
  /* completion order: the callbacks came in the order the tasks finished */
  for (int i = 1; i < 6; i++) ck_assert_int_le(log.value[i - 1], log.value[i]);
}

START_TEST(callbacks_processes) { callbacks_on(false); }
END_TEST
START_TEST(callbacks_threads) { callbacks_on(true); }
END_TEST

/* A worker that dies (SIGKILL, SIGSEGV, exit()) fails only its task; the pool goes on. */
START_TEST(dying_workers_fail_only_their_task) {
  mp_pool *p = new_pool(2, false);
  int64_t xs[] = {5, -1, 6, -2, 7, -3, 8};
  mp_async_result *r[7];
  for (int i = 0; i < 7; i++)
    mp_assert_ok(mp_pool_apply_async(p, dying_task, &xs[i], 8, NULL, &r[i]));
  for (int i = 0; i < 7; i++) {
    int rc = mp_async_result_get(r[i], 30000);
    if (xs[i] >= 0) {
      mp_assert_ok(rc);
      ck_assert_int_eq(item_i64(r[i], 0), xs[i] * xs[i]);
      continue;
    }
    mp_assert_rc(rc, MP_EWORKER);
    int status;
    const char *msg;
    mp_assert_ok(mp_async_result_error(r[i], NULL, &status, &msg));
    if (xs[i] == -1) {
      ck_assert_int_eq(status, -SIGKILL);
      ck_assert_msg(strstr(msg, "killed by signal 9 (SIGKILL)") != NULL, "%s", msg);
    } else if (xs[i] == -2) {
      ck_assert_int_eq(status, -SIGABRT);
      ck_assert_msg(strstr(msg, "SIGABRT") != NULL, "%s", msg);
    } else {
      ck_assert_int_eq(status, 7);
      ck_assert_msg(strstr(msg, "exited with status 7") != NULL, "%s", msg);
    }
    ck_assert_msg(strstr(msg, "ForkPoolWorker-") != NULL, "%s", msg);
  }
  for (int i = 0; i < 7; i++) mp_async_result_free(r[i]);
  /* still usable, with two live workers */
  mp_obj *items = int_list(200), *res;
  mp_assert_ok(mp_pool_map(p, value_task, items, 3, &res, MP_FOREVER));
  ck_assert_uint_eq(mp_obj_len(res), 200);
  mp_obj_decref(res);
  mp_obj_decref(items);
  /* every dead worker was replaced (the last replacement may still be starting) */
  for (int k = 0; k < 500 && mp_active_children(NULL, 0) != 2; k++) mp_test_sleep_ms(10);
  ck_assert_int_eq(mp_active_children(NULL, 0), 2);
  finish_pool(p);
}
END_TEST

/* kill -9 of a random worker in the middle of a large map: at most the chunk it held fails. */
START_TEST(sigkill_worker_mid_map) {
  mp_pool *p = new_pool(2, false);
  const size_t n = 20000, cs = 50;
  int32_t *in = malloc(n * sizeof *in);
  int64_t *out = malloc(n * sizeof *out);
  for (size_t i = 0; i < n; i++) in[i] = (int32_t)i;
  srand((unsigned)getpid());
  for (int round = 0; round < 3; round++) {
    mp_async_result *r;
    mp_assert_ok(
        mp_pool_map_array_async(p, spin_elem, in, n, sizeof *in, out, sizeof *out, cs, NULL, &r));
    size_t done = 0, total;
    while (done < n / 4) {
      mp_async_result_progress(r, &done, &total);
      mp_test_sleep_ms(1);
    }
    mp_process *kids[8];
    int k = mp_active_children(kids, 8);
    ck_assert_int_ge(k, 1);
    mp_assert_ok(mp_process_kill(kids[rand() % k]));
    int rc = mp_async_result_get(r, 60000);
    ck_assert_msg(rc == 0 || rc == MP_EWORKER, "get: %s", mp_err_name(rc));
    mp_async_result_progress(r, &done, &total);
    ck_assert_uint_eq(done, n);
    /* everything outside one chunk is right */
    size_t wrong = 0;
    for (size_t i = 0; i < n; i++) wrong += out[i] != (int64_t)i;
    ck_assert_uint_le(wrong, cs);
    mp_async_result_free(r);
  }
  free(in);
  free(out);
  finish_pool(p);
}
END_TEST

START_TEST(maxtasksperchild_replaces_workers) {
  mp_pool *p;
  mp_pool_opts o = {.processes = 2, .maxtasksperchild = 2};
  mp_assert_ok(mp_pool_new(&p, &o));
  mp_async_result *r[20];
  for (int i = 0; i < 20; i++) mp_assert_ok(mp_pool_apply_async(p, pid_task, NULL, 0, NULL, &r[i]));
  int64_t pids[20];
  int distinct = 0;
  for (int i = 0; i < 20; i++) {
    mp_assert_ok(mp_async_result_get(r[i], 30000));
    int64_t pid = item_i64(r[i], 0);
    bool seen = false;
    for (int k = 0; k < distinct; k++) seen |= pids[k] == pid;
    if (!seen) pids[distinct++] = pid;
    mp_async_result_free(r[i]);
  }
  ck_assert_int_ge(distinct, 10);
  /* under load with a map too */
  mp_obj *items = int_list(500), *res;
  mp_assert_ok(mp_pool_map(p, value_task, items, 1, &res, MP_FOREVER));
  ck_assert_uint_eq(mp_obj_len(res), 500);
  mp_obj_decref(res);
  mp_obj_decref(items);
  finish_pool(p);
}
END_TEST

START_TEST(terminate_during_work) {
  for (int threads = 0; threads < 2; threads++) {
    mp_pool *p = new_pool(2, threads);
    int64_t ms = 200;
    mp_async_result *r[10];
    for (int i = 0; i < 10; i++)
      mp_assert_ok(mp_pool_apply_async(p, sleep_ms_task, &ms, 8, NULL, &r[i]));
    mp_test_sleep_ms(50);
    int64_t t0 = mp_test_now_ms();
    mp_assert_ok(mp_pool_terminate(p));
    mp_assert_ok(mp_pool_terminate(p)); /* idempotent */
    mp_assert_ok(mp_pool_join(p, 30000));
    ck_assert_int_lt(mp_test_now_ms() - t0, threads ? 3000 : 1000);
    int closed = 0;
    for (int i = 0; i < 10; i++) {
      ck_assert(mp_async_result_ready(r[i]));
      int rc = mp_async_result_get(r[i], 0);
      ck_assert_msg(rc == 0 || rc == MP_ECLOSED, "%s", mp_err_name(rc));
      closed += rc == MP_ECLOSED;
      mp_async_result_free(r[i]);
    }
    ck_assert_int_ge(closed, 8);
    mp_pool_free(p);
  }
}
END_TEST

START_TEST(timeouts) {
  mp_pool *p;
  mp_pool_opts o = {.processes = 2, .task_timeout = 300};
  mp_assert_ok(mp_pool_new(&p, &o));
  int64_t long_ms = 20000, short_ms = 20;
  mp_async_result *slow, *fast;
  int64_t t0 = mp_test_now_ms();
  mp_assert_ok(mp_pool_apply_async(p, sleep_ms_task, &long_ms, 8, NULL, &slow));
  mp_assert_ok(mp_pool_apply_async(p, sleep_ms_task, &short_ms, 8, NULL, &fast));
  /* get's own timeout leaves the task running */
  mp_assert_rc(mp_async_result_get(slow, 50), MP_ETIMEDOUT);
  ck_assert(!mp_async_result_ready(slow));
  mp_assert_rc(mp_async_result_successful(slow), MP_ENOTREADY);
  mp_assert_rc(mp_async_result_error(slow, NULL, NULL, NULL), MP_ENOTREADY);
  /* the task timeout kills the worker and fails the task */
  mp_assert_rc(mp_async_result_get(slow, 30000), MP_ETIMEDOUT);
  ck_assert(mp_async_result_ready(slow));
  ck_assert_int_lt(mp_test_now_ms() - t0, 10000);
  const char *msg;
  mp_assert_ok(mp_async_result_error(slow, NULL, NULL, &msg));
  ck_assert_msg(strstr(msg, "task timeout of 300 ms") != NULL, "%s", msg);
  mp_assert_ok(mp_async_result_get(fast, 30000));
  mp_async_result_free(slow);
  mp_async_result_free(fast);
  int64_t x = 4;
  void *res;
  size_t len;
  mp_assert_ok(
      mp_pool_apply(p, square_bytes, &x, 8, &res, &len, MP_FOREVER)); /* replaced, still serving */
  ck_assert_int_eq(*(int64_t *)res, 16);
  free(res);
  finish_pool(p);
}
END_TEST

static int init_value;
static int good_init(void *arg) {
  init_value = *(int *)arg;
  return 0;
}
static int bad_init(void *arg) {
  (void)arg;
  return 9;
}
static int read_init(mp_task *t) {
  int64_t v = init_value;
  return mp_task_return(t, &v, sizeof v);
}

START_TEST(initializers) {
  for (int threads = 0; threads < 2; threads++) {
    int arg = 41 + threads;
    mp_pool *p;
    mp_pool_opts o = {
        .processes = 2, .initializer = good_init, .initarg = &arg, .threads = threads};
    mp_assert_ok(mp_pool_new(&p, &o));
    void *res;
    size_t len;
    mp_assert_ok(mp_pool_apply(p, read_init, NULL, 0, &res, &len, MP_FOREVER));
    ck_assert_int_eq(*(int64_t *)res, arg);
    free(res);
    finish_pool(p);
    /* an initializer that always fails breaks the pool instead of restarting it forever */
    o.initializer = bad_init;
    mp_assert_ok(mp_pool_new(&p, &o));
    /* a task submitted before the pool broke fails with MP_EWORKER; once broken, submissions
     * are refused with MP_EBROKEN */
    mp_async_result *r;
    int rc = mp_pool_apply_async(p, read_init, NULL, 0, NULL, &r);
    if (rc == 0) {
      mp_assert_rc(mp_async_result_get(r, 30000), MP_EWORKER);
      const char *msg;
      mp_assert_ok(mp_async_result_error(r, NULL, NULL, &msg));
      ck_assert_msg(strstr(msg, "initializer failed") != NULL, "%s", msg);
      mp_async_result_free(r);
      rc = mp_pool_apply_async(p, read_init, NULL, 0, NULL, &r);
    }
    for (int i = 0; rc == 0 && i < 3000; i++) { /* raced ahead of the third failure */
      mp_assert_rc(mp_async_result_get(r, 30000), MP_EWORKER);
      mp_async_result_free(r);
      mp_test_sleep_ms(1);
      rc = mp_pool_apply_async(p, read_init, NULL, 0, NULL, &r);
    }
    mp_assert_rc(rc, MP_EBROKEN);
    finish_pool(p);
  }
}
END_TEST

static int echo_twice(mp_task *t) {
  size_t len;
  const unsigned char *a = mp_task_arg(t, &len);
  unsigned char *b = malloc(2 * len);
  memcpy(b, a, len);
  memcpy(b + len, a, len);
  int rc = mp_task_return(t, b, 2 * len);
  free(b);
  return rc;
}

START_TEST(large_arguments_and_results_and_names) {
  mp_pool *p = new_pool(2, false);
  size_t n = (size_t)3 << 20;
  unsigned char *big = malloc(n);
  for (size_t i = 0; i < n; i++) big[i] = (unsigned char)(i * 7 + 3);
  void *res;
  size_t len;
  mp_assert_ok(mp_pool_apply(p, echo_twice, big, n, &res, &len, MP_FOREVER));
  ck_assert_uint_eq(len, 2 * n);
  ck_assert_mem_eq(res, big, n);
  ck_assert_mem_eq((unsigned char *)res + n, big, n);
  free(res);
  free(big);
  mp_assert_ok(mp_pool_apply(p, echo_twice, NULL, 0, &res, &len, MP_FOREVER));
  ck_assert_uint_eq(len, 0);
  free(res);
  mp_assert_ok(mp_pool_apply(p, name_task, NULL, 0, &res, &len, MP_FOREVER));
  ck_assert_msg(len > 15 && memcmp(res, "ForkPoolWorker-", 15) == 0, "%.*s", (int)len, (char *)res);
  free(res);
  finish_pool(p);
}
END_TEST

/* A result freed while its tasks still run is dropped by the pool when they finish; the heap
 * goes back to where it was. */
START_TEST(results_freed_early_and_heap_returns) {
  mp_pool *p = new_pool(2, false);
  mp_heap_stats before, after;
  mp_assert_ok(mp_heap_stats_get(&before));
  int64_t ms = 100;
  for (int i = 0; i < 4; i++) {
    mp_async_result *r;
    mp_assert_ok(mp_pool_apply_async(p, sleep_ms_task, &ms, 8, NULL, &r));
    mp_async_result_free(r);
  }
  mp_obj *items = int_list(5000);
  mp_async_result *r;
  mp_assert_ok(mp_pool_map_async(p, value_task, items, 0, NULL, &r));
  mp_async_result_free(r);
  mp_obj_decref(items);
  mp_assert_ok(mp_pool_close(p));
  mp_assert_ok(mp_pool_join(p, 30000));
  mp_assert_ok(mp_heap_stats_get(&after));
  ck_assert_uint_eq(after.allocated, before.allocated);
  mp_pool_free(p);
}
END_TEST

/* A pool left open is terminated when its process exits: through the exit hooks of a library
 * child that returns, and through atexit() in one that calls exit(). */
typedef struct exit_ctx {
  _Atomic int64_t pids[4];
  int how; /* 0: return from the target, 1: exit(0) */
} exit_ctx;

static int open_pool_then_leave(void *arg) {
  exit_ctx *cx = arg;
  mp_pool *p;
  if (mp_pool_new(&p, &(mp_pool_opts){.processes = 2}) != 0) return 1;
  for (int i = 0; i < 2; i++) {
    void *res;
    size_t len;
    /* two tasks at once so both workers report their pid */
    mp_async_result *r[2];
    int64_t ms = 100;
    for (int k = 0; k < 2; k++)
      if (mp_pool_apply_async(p, sleep_ms_task, &ms, 8, NULL, &r[k]) != 0) return 2;
    for (int k = 0; k < 2; k++) mp_async_result_free(r[k]);
    if (mp_pool_apply(p, pid_task, NULL, 0, &res, &len, MP_FOREVER) != 0) return 3;
    free(res);
  }
  mp_process *kids[4];
  int n = mp_active_children(kids, 4);
  for (int i = 0; i < n && i < 4; i++) atomic_store(&cx->pids[i], mp_process_pid(kids[i]));
  if (cx->how == 1) exit(0);
  return 0;
}

START_TEST(open_pool_terminated_at_exit) {
  for (int how = 0; how < 2; how++) {
    exit_ctx *cx = mp_shared_alloc(sizeof *cx);
    cx->how = how;
    int64_t t0 = mp_test_now_ms();
    ck_assert_int_eq(mp_test_finish(mp_test_start(open_pool_then_leave, cx)), 0);
    ck_assert_int_lt(mp_test_now_ms() - t0, 20000);
    for (int i = 0; i < 4; i++) {
      pid_t pid = (pid_t)atomic_load(&cx->pids[i]);
      if (pid == 0) continue;
      for (int k = 0; k < 500 && mp_test_pid_exists(pid); k++) mp_test_sleep_ms(10);
      ck_assert_msg(!mp_test_pid_exists(pid), "worker %d outlived its pool's process", (int)pid);
    }
    ck_assert_int_ne(atomic_load(&cx->pids[0]), 0);
    mp_shared_free(cx, sizeof *cx);
  }
}
END_TEST

/* A child holds a forked copy of the handle: it may not use or end the parent's pool. */
static mp_pool *shared_pool;
static int use_parents_pool(void *arg) {
  (void)arg;
  mp_async_result *r;
  int64_t x = 2;
  if (mp_pool_apply_async(shared_pool, square_bytes, &x, 8, NULL, &r) != MP_ESTATE) return 1;
  if (mp_pool_close(shared_pool) != MP_ESTATE) return 2;
  if (mp_pool_terminate(shared_pool) != MP_ESTATE) return 3;
  if (mp_pool_join(shared_pool, 0) != MP_ESTATE) return 4;
  mp_pool_free(shared_pool); /* does nothing here */
  return 0;
}

static void *make_pool_thread(void *arg) {
  mp_pool **out = arg;
  return mp_pool_new(out, &(mp_pool_opts){.processes = 2}) == 0 ? NULL : (void *)1;
}

START_TEST(foreign_copies_and_creator_thread_exit) {
  /* made on a thread that then exits: the workers are not tied to that thread */
  pthread_t t;
  ck_assert_int_eq(pthread_create(&t, NULL, make_pool_thread, &shared_pool), 0);
  void *ret;
  pthread_join(t, &ret);
  ck_assert_ptr_null(ret);
  mp_test_sleep_ms(100);
  ck_assert_int_eq(mp_test_finish(mp_test_start(use_parents_pool, NULL)), 0);
  int64_t x = 5;
  void *res;
  size_t len;
  mp_async_result *r[4];
  for (int i = 0; i < 4; i++)
    mp_assert_ok(mp_pool_apply_async(shared_pool, pid_task, NULL, 0, NULL, &r[i]));
  for (int i = 0; i < 4; i++) {
    mp_assert_ok(mp_async_result_get(r[i], 30000));
    mp_async_result_free(r[i]);
  }
  mp_assert_ok(mp_pool_apply(shared_pool, square_bytes, &x, 8, &res, &len, MP_FOREVER));
  ck_assert_int_eq(*(int64_t *)res, 25);
  free(res);
  finish_pool(shared_pool);
}
END_TEST

/* map_async's callback runs once, with every item ready. */
static void on_map_done(mp_async_result *r, void *user) {
  mp_obj *list = NULL;
  if (mp_async_result_list(r, &list) == 0 && mp_obj_len(list) == 500 &&
      mp_test_int_of(mp_obj_item(list, 499)) == 499 * 499 + 1)
    atomic_fetch_add((_Atomic int *)user, 1);
  else
    atomic_fetch_add((_Atomic int *)user, 100);
  mp_obj_decref(list);
}

START_TEST(map_async_callback_once) {
  mp_pool *p = new_pool(2, false);
  static _Atomic int calls;
  mp_obj *items = int_list(500);
  mp_async_result *r;
  mp_async_opts o = {.callback = on_map_done, .user = &calls};
  mp_assert_ok(mp_pool_map_async(p, value_task, items, 7, &o, &r));
  mp_obj *empty = mp_obj_list();
  mp_async_result *r0;
  mp_assert_ok(mp_pool_map_async(p, value_task, empty, 0,
                                 &(mp_async_opts){.error_callback = on_map_done, .user = &calls},
                                 &r0));
  mp_assert_ok(mp_async_result_get(r, 30000));
  mp_assert_ok(mp_async_result_get(r0, 30000));
  ck_assert_int_eq(mp_async_result_successful(r0), 1);
  finish_pool(p);
  ck_assert_int_eq(atomic_load(&calls), 1); /* the empty map succeeded: no error callback */
  mp_async_result_free(r);
  mp_async_result_free(r0);
  mp_obj_decref(items);
  mp_obj_decref(empty);
}
END_TEST

/* As in Python, get() and wait() return only after the callback has run. */
static _Atomic int slow_cb_done;
static void slow_callback(mp_async_result *r, void *user) {
  (void)user;
  ck_assert(mp_async_result_ready(r)); /* its own result is ready inside the callback */
  mp_assert_ok(mp_async_result_get(r, 0));
  mp_test_sleep_ms(100);
  atomic_store(&slow_cb_done, 1);
}

START_TEST(get_returns_after_callback) {
  for (int threads = 0; threads < 2; threads++) {
    mp_pool *p = new_pool(1, threads);
    for (int round = 0; round < 2; round++) {
      atomic_store(&slow_cb_done, 0);
      int64_t x = 3;
      mp_async_result *r;
      mp_assert_ok(mp_pool_apply_async(p, square_bytes, &x, 8,
                                       &(mp_async_opts){.callback = slow_callback}, &r));
      if (round == 0)
        mp_assert_ok(mp_async_result_get(r, 30000));
      else
        mp_assert_ok(mp_async_result_wait(r, 30000));
      ck_assert_int_eq(atomic_load(&slow_cb_done), 1);
      ck_assert(mp_async_result_ready(r));
      mp_async_result_free(r);
    }
    finish_pool(p);
  }
}
END_TEST

/* A process killed while it holds the pool lock, with a committed redo log half applied, or
 * with a log it never committed: the next taker of the lock finishes the first and ignores the
 * second, and the pool goes on. */
typedef struct die_ctx {
  mp_pool *pool;
  uint64_t *word; /* in the heap */
  bool commit;
} die_ctx;

static int die_holding_pool_lock(void *arg) {
  die_ctx *cx = arg;
  pool_shared *sh = cx->pool->sh;
  mp__pool_lock(sh);
  pool_txn *t = &sh->slots[0].txn; /* slot 0's worker cannot touch it while we hold the lock */
  mp__txn_begin(t);
  mp__txn_set(t, &cx->word[0], 41);
  mp__txn_set(t, &cx->word[1], 42);
  if (cx->commit) {
    atomic_store(&t->committed, 1);
    cx->word[0] = 41; /* the first entry applied, the second not */
  }
  raise(SIGKILL);
  return 1;
}

/* The redo log refuses a word past its TXN_MAX, and then its whole commit: all or nothing. */
START_TEST(txn_refuses_past_its_limit) {
  uint64_t words[TXN_MAX + 1] = {0};
  pool_txn *t = calloc(1, sizeof *t);
  ck_assert_ptr_nonnull(t);
  mp__txn_begin(t);
  for (int i = 0; i < TXN_MAX; i++) mp_assert_ok(mp__txn_set(t, &words[i], (uint64_t)i + 1));
  mp_assert_rc(mp__txn_set(t, &words[TXN_MAX], 99), -ENOSPC);
  mp_assert_rc(mp__txn_commit(t), -ENOSPC);
  for (int i = 0; i <= TXN_MAX; i++) ck_assert_uint_eq(words[i], 0);
  /* a fresh log of exactly TXN_MAX words commits them all */
  mp__txn_begin(t);
  for (int i = 0; i < TXN_MAX; i++) mp_assert_ok(mp__txn_set(t, &words[i], (uint64_t)i + 1));
  mp_assert_ok(mp__txn_commit(t));
  for (int i = 0; i < TXN_MAX; i++) ck_assert_uint_eq(words[i], (uint64_t)i + 1);
  ck_assert_uint_eq(words[TXN_MAX], 0);
  free(t);
}
END_TEST

START_TEST(killed_inside_the_pool_lock) {
  for (int commit = 0; commit < 2; commit++) {
    mp_pool *p = new_pool(2, false);
    die_ctx *cx = mp_shared_alloc(sizeof *cx);
    cx->pool = p;
    cx->word = mp_shared_alloc(2 * sizeof(uint64_t));
    cx->commit = commit;
    ck_assert_int_eq(mp_test_finish(mp_test_start(die_holding_pool_lock, cx)), -SIGKILL);
    /* the workers need the lock for this map: whoever takes it first repairs it */
    mp_obj *items = int_list(300), *res;
    mp_assert_ok(mp_pool_map(p, value_task, items, 1, &res, MP_FOREVER));
    ck_assert_uint_eq(mp_obj_len(res), 300);
    mp_obj_decref(res);
    mp_obj_decref(items);
    ck_assert_uint_eq(cx->word[0], commit ? 41 : 0);
    ck_assert_uint_eq(cx->word[1], commit ? 42 : 0);
    ck_assert_uint_eq(atomic_load(&p->sh->slots[0].txn.committed), 0);
    finish_pool(p);
    mp_shared_free(cx->word, 2 * sizeof(uint64_t));
    mp_shared_free(cx, sizeof *cx);
  }
}
END_TEST

Suite *mp_test_suite(void) {
  Suite *s = suite_create("pool");
  TCase *tc = mp_tcase("pool", 60);
  tcase_add_test(tc, apply_and_misuse);
  tcase_add_test(tc, thread_pool_apply_and_misuse);
  tcase_add_test(tc, maps_equal_serial_processes);
  tcase_add_test(tc, maps_equal_serial_threads);
  tcase_add_test(tc, array_maps_processes);
  tcase_add_test(tc, array_maps_threads);
  tcase_add_test(tc, callbacks_processes);
  tcase_add_test(tc, callbacks_threads);
  tcase_add_test(tc, dying_workers_fail_only_their_task);
  tcase_add_test(tc, sigkill_worker_mid_map);
  tcase_add_test(tc, maxtasksperchild_replaces_workers);
  tcase_add_test(tc, terminate_during_work);
  tcase_add_test(tc, timeouts);
  tcase_add_test(tc, initializers);
  tcase_add_test(tc, large_arguments_and_results_and_names);
  tcase_add_test(tc, results_freed_early_and_heap_returns);
  tcase_add_test(tc, open_pool_terminated_at_exit);
  tcase_add_test(tc, foreign_copies_and_creator_thread_exit);
  tcase_add_test(tc, map_async_callback_once);
  tcase_add_test(tc, get_returns_after_callback);
  tcase_add_test(tc, txn_refuses_past_its_limit);
  tcase_add_test(tc, killed_inside_the_pool_lock);
  suite_add_tcase(s, tc);
  return s;
}
