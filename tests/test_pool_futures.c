/* SPDX-License-Identifier: MIT */
/* test_pool_futures.c -- what concurrent.futures users expect of pool results: cancel() of
 * tasks not yet started (whole and partial, and of a finished result), a per-call task timeout
 * that kills only its own overdue task, a readable fd per result (before and after completion,
 * with a callback, freed early), waiting for any or all of several results (as_completed
 * order, timeouts, bad arguments), the synchronous calls' own timeout, and a long imap whose
 * consumed results are given back keeping the heap's use bounded. */
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

/* Sleeps the number of ms its int64 argument says, then returns it. */
static int sleeper(mp_task *t) {
  size_t len;
  const int64_t *ms = mp_task_arg(t, &len);
  if (len != sizeof *ms) return mp_task_error(22, "bad argument");
  mp_test_sleep_ms(*ms);
  return mp_task_return(t, ms, sizeof *ms);
}

/* A value task: sleeps its int argument in ms, returns it squared. */
static int sleep_square(mp_task *t) {
  mp_obj *a;
  int rc = mp_task_arg_obj(t, &a);
  if (rc) return 9;
  int64_t v = 0;
  (void)mp_obj_get_int(a, &v);
  mp_obj_decref(a);
  mp_test_sleep_ms(v);
  mp_obj *r = mp_obj_int(v * v);
  rc = mp_task_return_obj(t, r);
  mp_obj_decref(r);
  return rc ? 1 : 0;
}

static mp_pool *pool_of(int n) {
  mp_pool_opts o = {.processes = n};
  mp_pool *p;
  mp_assert_ok(mp_pool_new(&p, &o));
  return p;
}

static void end_pool(mp_pool *p) {
  mp_assert_ok(mp_pool_close(p));
  mp_assert_ok(mp_pool_join(p, 30000));
  mp_pool_free(p);
}

static mp_async_result *sleep_async(mp_pool *p, int64_t ms, const mp_async_opts *o) {
  mp_async_result *r;
  mp_assert_ok(mp_pool_apply_async(p, sleeper, &ms, sizeof ms, o, &r));
  return r;
}

static mp_obj *ints(int n, int64_t each) {
  mp_obj *l = mp_obj_list();
  for (int i = 0; i < n; i++) mp_obj_list_append_steal(l, mp_obj_int(each));
  return l;
}

static bool fd_readable(int fd, int ms) {
  struct pollfd q = {.fd = fd, .events = POLLIN};
  return poll(&q, 1, ms) == 1 && (q.revents & POLLIN);
}

/* ---- cancel ---- */

START_TEST(cancel_before_start) {
  mp_pool *p = pool_of(1);
  mp_async_result *busy = sleep_async(p, 300, NULL); /* the one worker is taken */
  mp_test_sleep_ms(50);
  mp_obj *items = ints(10, 1);
  mp_async_result *r;
  mp_assert_ok(mp_pool_map_async(p, sleep_square, items, 1, NULL, &r));
  size_t n = 99;
  mp_assert_ok(mp_async_result_cancel(r, &n));
  ck_assert_uint_eq(n, 10);
  /* ready at once, every item cancelled, nothing of it ran */
  ck_assert(mp_async_result_ready(r));
  mp_assert_rc(mp_async_result_get(r, 0), MP_ECANCELLED);
  for (size_t i = 0; i < 10; i++) {
    int code;
    const char *msg;
    mp_assert_ok(mp_async_result_item_error(r, i, &code, NULL, &msg));
    ck_assert_int_eq(code, MP_ECANCELLED);
    ck_assert_str_eq(msg, "the task was cancelled before it started");
  }
  size_t done, total;
  mp_async_result_progress(r, &done, &total);
  ck_assert_uint_eq(done, 10);
  /* a second cancel finds nothing left; nor does cancelling a finished result */
  mp_assert_rc(mp_async_result_cancel(r, &n), MP_ESTATE);
  ck_assert_uint_eq(n, 0);
  mp_assert_ok(mp_async_result_get(busy, 30000));
  mp_assert_rc(mp_async_result_cancel(busy, NULL), MP_ESTATE);
  /* the pool goes on */
  mp_async_result *after = sleep_async(p, 1, NULL);
  mp_assert_ok(mp_async_result_get(after, 30000));
  mp_async_result_free(after);
  mp_async_result_free(busy);
  mp_async_result_free(r);
  mp_obj_decref(items);
  mp_assert_rc(mp_async_result_cancel(NULL, NULL), -EINVAL);
  end_pool(p);
}
END_TEST

START_TEST(cancel_partly_started) {
  mp_pool *p = pool_of(1);
  mp_obj *items = ints(4, 200);
  mp_async_result *r;
  mp_assert_ok(mp_pool_map_async(p, sleep_square, items, 1, NULL, &r));
  mp_test_sleep_ms(80); /* item 0 runs, 1-3 wait */
  size_t n = 0;
  mp_assert_ok(mp_async_result_cancel(r, &n));
  ck_assert_uint_eq(n, 3);
  ck_assert(!mp_async_result_ready(r)); /* item 0 still runs */
  mp_assert_rc(mp_async_result_get(r, 30000), MP_ECANCELLED);
  mp_obj *o;
  mp_assert_ok(mp_async_result_item_obj(r, 0, &o));
  int64_t v = 0;
  mp_assert_ok(mp_obj_get_int(o, &v));
  ck_assert_int_eq(v, 40000);
  mp_obj_decref(o);
  for (size_t i = 1; i < 4; i++) mp_assert_rc(mp_async_result_item_obj(r, i, &o), MP_ECANCELLED);
  /* another job queued behind the cancelled one still runs: the active list is intact */
  mp_async_result *next = sleep_async(p, 1, NULL);
  mp_assert_ok(mp_async_result_get(next, 30000));
  mp_async_result_free(next);
  mp_async_result_free(r);
  mp_obj_decref(items);
  end_pool(p);
}
END_TEST

/* A job between two others on the active list is unlinked without losing either. */
START_TEST(cancel_middle_job) {
  mp_pool *p = pool_of(1);
  mp_async_result *busy = sleep_async(p, 150, NULL);
  mp_test_sleep_ms(30);
  mp_async_result *a = sleep_async(p, 1, NULL), *b = sleep_async(p, 1, NULL),
                  *c = sleep_async(p, 1, NULL);
  mp_assert_ok(mp_async_result_cancel(b, NULL));
  mp_assert_ok(mp_async_result_get(a, 30000));
  mp_assert_rc(mp_async_result_get(b, 0), MP_ECANCELLED);
  mp_assert_ok(mp_async_result_get(c, 30000));
  mp_async_result *d = sleep_async(p, 1, NULL); /* appended after the tail was fixed */
  mp_assert_ok(mp_async_result_get(d, 30000));
  mp_async_result *all[] = {busy, a, b, c, d};
  for (size_t i = 0; i < 5; i++) mp_async_result_free(all[i]);
  end_pool(p);
}
END_TEST

/* ---- per-call task timeout ---- */

START_TEST(per_call_task_timeout) {
  mp_pool *p = pool_of(2);
  mp_async_opts limited = {.task_timeout = 100};
  int64_t t0 = mp_test_now_ms();
  mp_async_result *slow = sleep_async(p, 20000, &limited);
  mp_async_result *fine = sleep_async(p, 400, NULL); /* no limit of its own, none in the pool */
  mp_assert_rc(mp_async_result_get(slow, 30000), MP_ETIMEDOUT);
  ck_assert_int_lt(mp_test_now_ms() - t0, 5000);
  const char *msg;
  mp_assert_ok(mp_async_result_error(slow, NULL, NULL, &msg));
  ck_assert_msg(strstr(msg, "task timeout of 100 ms"), "message: %s", msg);
  mp_assert_ok(mp_async_result_get(fine, 30000)); /* not killed */
  /* within its limit it succeeds; the worker killed above was replaced */
  mp_async_opts roomy = {.task_timeout = 5000};
  mp_async_result *ok = sleep_async(p, 20, &roomy);
  mp_assert_ok(mp_async_result_get(ok, 30000));
  ck_assert_int_eq(mp_pool_size(p), 2);
  mp_async_result_free(ok);
  mp_async_result_free(fine);
  mp_async_result_free(slow);
  end_pool(p);

  /* a ThreadPool cannot kill a task */
  mp_pool_opts to = {.processes = 1, .threads = true};
  mp_assert_ok(mp_pool_new(&p, &to));
  mp_async_result *r = NULL;
  int64_t ms = 1;
  mp_assert_rc(mp_pool_apply_async(p, sleeper, &ms, sizeof ms, &limited, &r), -ENOTSUP);
  ck_assert_ptr_null(r);
  end_pool(p);
}
END_TEST

/* ---- the readable fd ---- */

static _Atomic int callback_ran;
static void note_callback(mp_async_result *r, void *user) {
  (void)r;
  (void)user;
  mp_test_sleep_ms(50); /* the fd must not fire before this returns */
  callback_ran = 1;
}

START_TEST(result_fd) {
  mp_pool *p = pool_of(2);
  mp_async_result *r = sleep_async(p, 150, NULL);
  int fd = -1, fd2 = -1;
  mp_assert_ok(mp_async_result_fd(r, &fd));
  ck_assert_int_ge(fd, 0);
  mp_assert_ok(mp_async_result_fd(r, &fd2));
  ck_assert_int_eq(fd, fd2); /* one per result */
  ck_assert(!fd_readable(fd, 0));
  ck_assert(fd_readable(fd, 10000));
  ck_assert(mp_async_result_ready(r));
  ck_assert(fd_readable(fd, 0)); /* and it stays readable */
  mp_assert_ok(mp_async_result_get(r, 0));
  mp_async_result_free(r);

  /* asked for after the result was ready: readable at once */
  r = sleep_async(p, 1, NULL);
  mp_assert_ok(mp_async_result_wait(r, 10000));
  mp_assert_ok(mp_async_result_fd(r, &fd));
  ck_assert(fd_readable(fd, 0));
  mp_async_result_free(r);

  /* with a callback: readable only once the callback returned */
  mp_async_opts cb = {.callback = note_callback};
  r = sleep_async(p, 50, &cb);
  mp_assert_ok(mp_async_result_fd(r, &fd));
  ck_assert(fd_readable(fd, 10000));
  ck_assert_int_eq(callback_ran, 1);
  mp_async_result_free(r);

  /* freed while its task runs: the fd goes with the result, nothing leaks */
  r = sleep_async(p, 100, NULL);
  mp_assert_ok(mp_async_result_fd(r, &fd));
  mp_async_result_free(r);
  mp_assert_rc(mp_async_result_fd(NULL, &fd), -EINVAL);
  end_pool(p); /* the harness checks that no fd is left */
}
END_TEST

/* The pool's fd fires after a submission finishes; reading it resets it. */
START_TEST(pool_fd) {
  mp_pool *p = pool_of(2);
  int fd = -1, fd2 = -1;
  mp_assert_ok(mp_pool_fd(p, &fd));
  mp_assert_ok(mp_pool_fd(p, &fd2));
  ck_assert_int_eq(fd, fd2);
  mp_test_sleep_ms(50); /* the workers' start is behind us */
  uint64_t n;
  while (read(fd, &n, sizeof n) > 0) {
  }
  ck_assert(!fd_readable(fd, 0));
  mp_async_result *r = sleep_async(p, 100, NULL);
  ck_assert(fd_readable(fd, 10000));
  ck_assert(mp_async_result_ready(r));
  ck_assert_int_eq(read(fd, &n, sizeof n), (ssize_t)sizeof n);
  ck_assert_uint_ge(n, 1);
  mp_async_result_free(r);
  mp_assert_rc(mp_pool_fd(NULL, &fd), -EINVAL);
  end_pool(p); /* closes it: the harness checks no fd is left */
}
END_TEST

/* ---- waiting for several ---- */

START_TEST(as_completed_order) {
  mp_pool *p = pool_of(3);
  int64_t ms[] = {600, 100, 350};
  mp_async_result *rs[3], *left[3];
  for (int i = 0; i < 3; i++) left[i] = rs[i] = sleep_async(p, ms[i], NULL);
  size_t order[3], idx = 99;
  mp_assert_rc(mp_async_result_wait_any(left, 3, 0, &idx), MP_ETIMEDOUT);
  mp_assert_rc(mp_async_result_wait_all(left, 3, 20), MP_ETIMEDOUT);
  for (int k = 0; k < 3; k++) {
    mp_assert_ok(mp_async_result_wait_any(left, 3, 30000, &idx));
    ck_assert(mp_async_result_ready(left[idx]));
    order[k] = idx;
    left[idx] = NULL;
  }
  ck_assert_uint_eq(order[0], 1);
  ck_assert_uint_eq(order[1], 2);
  ck_assert_uint_eq(order[2], 0);
  mp_assert_rc(mp_async_result_wait_any(left, 3, 0, &idx), -EINVAL); /* none left */
  mp_assert_ok(mp_async_result_wait_all(rs, 3, 0));
  for (int i = 0; i < 3; i++) mp_async_result_free(rs[i]);

  /* results of two pools together */
  mp_pool *q = pool_of(1);
  mp_async_result *two[] = {sleep_async(p, 300, NULL), sleep_async(q, 30, NULL)};
  mp_assert_ok(mp_async_result_wait_any(two, 2, 30000, &idx));
  ck_assert_uint_eq(idx, 1);
  mp_assert_ok(mp_async_result_wait_all(two, 2, 30000));
  mp_async_result_free(two[0]);
  mp_async_result_free(two[1]);
  mp_assert_rc(mp_async_result_wait_any(NULL, 1, 0, &idx), -EINVAL);
  end_pool(q);
  end_pool(p);
}
END_TEST

/* ---- the synchronous calls' own timeout ---- */

START_TEST(sync_calls_time_out) {
  mp_pool *p = pool_of(1);
  int64_t ms = 2000;
  int64_t t0 = mp_test_now_ms();
  mp_assert_rc(mp_pool_apply(p, sleeper, &ms, sizeof ms, NULL, NULL, 100), MP_ETIMEDOUT);
  ck_assert_int_lt(mp_test_now_ms() - t0, 1500);
  /* a map that times out has the tasks it had not started cancelled: the pool is free again
   * once the running one ends, long before the 10 x 300 ms of the whole map */
  mp_obj *items = ints(10, 300), *res = NULL;
  t0 = mp_test_now_ms();
  mp_assert_rc(mp_pool_map(p, sleep_square, items, 1, &res, 100), MP_ETIMEDOUT);
  ck_assert_ptr_null(res);
  int64_t one = 1;
  void *out = NULL;
  size_t len = 0;
  mp_assert_ok(mp_pool_apply(p, sleeper, &one, sizeof one, &out, &len, 30000));
  ck_assert_int_lt(mp_test_now_ms() - t0, 2500 + 2000);
  ck_assert_uint_eq(len, sizeof one);
  free(out);
  /* and within the limit everything as before */
  mp_obj *two = ints(2, 1);
  mp_assert_ok(mp_pool_map(p, sleep_square, two, 1, &res, 30000));
  ck_assert_uint_eq(mp_obj_len(res), 2);
  mp_obj_decref(res);
  mp_obj_decref(two);
  mp_obj_decref(items);
  end_pool(p);
}
END_TEST

/* ---- a long map with bounded memory ---- */

/* A 4 KiB result per item. */
static int big_result(mp_task *t) {
  static unsigned char buf[4096];
  buf[0] = (unsigned char)mp_task_index(t);
  return mp_task_return(t, buf, sizeof buf);
}

static size_t heap_allocated(void) {
  mp_heap_stats st;
  mp_assert_ok(mp_heap_stats_get(&st));
  return st.allocated;
}

/* imap over n items, each read and (when release) given back as it comes; the heap's
 * allocated bytes once every item was consumed, over what they were before. */
static size_t imap_growth(mp_pool *p, int n, bool release) {
  mp_obj *items = ints(n, 0);
  size_t before = heap_allocated();
  mp_async_result *r;
  mp_assert_ok(mp_pool_imap_unordered(p, big_result, items, 16, &r));
  for (int k = 0; k < n; k++) {
    size_t i;
    mp_assert_ok(mp_async_result_next(r, &i, 30000));
    const void *d;
    size_t len;
    mp_assert_ok(mp_async_result_item(r, i, &d, &len));
    ck_assert_uint_eq(len, 4096);
    ck_assert_uint_eq(((const unsigned char *)d)[0], (unsigned char)i);
    if (release) {
      mp_assert_ok(mp_async_result_item_release(r, i));
      mp_assert_rc(mp_async_result_item(r, i, &d, &len), MP_ESTATE);
      mp_assert_rc(mp_async_result_item_release(r, i), MP_ESTATE);
    }
  }
  size_t after = heap_allocated();
  if (release) {
    mp_obj *all;
    mp_assert_rc(mp_async_result_list(r, &all), MP_ESTATE);
  }
  mp_async_result_free(r);
  mp_obj_decref(items);
  return after > before ? after - before : 0;
}

START_TEST(streaming_map_memory) {
  mp_pool *p = pool_of(2);
  enum { N = 4000 }; /* 16 MB of results in all */
  size_t kept = imap_growth(p, N, false), released = imap_growth(p, N, true);
  ck_assert_msg(kept >= (size_t)N * 4096, "kept %zu bytes", kept);
  ck_assert_msg(released < (size_t)N * 4096 / 8, "released: still %zu bytes", released);
  mp_assert_rc(mp_async_result_item_release(NULL, 0), -EINVAL);
  end_pool(p);
}
END_TEST

Suite *mp_test_suite(void) {
  Suite *s = suite_create("pool_futures");
  TCase *tc = mp_tcase("pool_futures", 60);
  tcase_add_test(tc, cancel_before_start);
  tcase_add_test(tc, cancel_partly_started);
  tcase_add_test(tc, cancel_middle_job);
  tcase_add_test(tc, per_call_task_timeout);
  tcase_add_test(tc, result_fd);
  tcase_add_test(tc, pool_fd);
  tcase_add_test(tc, as_completed_order);
  tcase_add_test(tc, sync_calls_time_out);
  tcase_add_test(tc, streaming_map_memory);
  suite_add_tcase(s, tc);
  return s;
}
