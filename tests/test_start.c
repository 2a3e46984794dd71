/* SPDX-License-Identifier: MIT */
/* test_start.c -- start methods (fork, forkserver, spawn) and named tasks, through Process,
 * Pool (every map form) and Manager; children as Python makes them (stdin, exit(), SIGINT);
 * output printed once under fork while another thread prints; no deadlock when busy threads
 * hold their own mutexes while a pool keeps replacing workers. */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "manager/mgr_internal.h"

static const mp_start_method all_methods[] = {MP_START_FORK, MP_START_FORKSERVER, MP_START_SPAWN};

/* Changed by main's side before a start: fork children see the change, children of another
 * image see the load-time value. */
static int global_value = 1;

/* What a child reports, in the shared heap: the one memory every image shares. */
typedef struct report {
  int global;
  int ppid_ok;
  int stdin_devnull;
  int atexit_ran;
  char name[MP_PROCESS_NAME_MAX];
  char parent_name[MP_PROCESS_NAME_MAX];
} report;

static report *new_report(void) {
  report *r = mp_shared_alloc(sizeof *r);
  ck_assert_ptr_nonnull(r);
  return r;
}

static int stdin_is_devnull(void) {
  struct stat a, b;
  return fstat(STDIN_FILENO, &a) == 0 && stat("/dev/null", &b) == 0 && a.st_rdev == b.st_rdev &&
         S_ISCHR(a.st_mode);
}

static int describe(void *arg) {
  report *r = arg;
  r->global = global_value;
  mp_process *par = mp_parent_process();
  r->ppid_ok = par && mp_process_pid(par) == getppid() && mp_process_is_alive(par);
  r->stdin_devnull = stdin_is_devnull();
  snprintf(r->name, sizeof r->name, "%s", mp_process_name(mp_current_process()));
  snprintf(r->parent_name, sizeof r->parent_name, "%s", par ? mp_process_name(par) : "");
  return 42;
}
MP_TARGET(describe);

START_TEST(process_under_each_method) {
  global_value = 2;
  for (size_t k = 0; k < 3; k++) {
    report *r = new_report();
    mp_process *p;
    mp_process_opts o = {.name = "Describer", .start_method = all_methods[k]};
    mp_assert_ok(mp_process_new(&p, describe, r, &o));
    mp_assert_ok(mp_process_start(p));
    ck_assert_int_gt(mp_process_pid(p), 0); /* joined below: the program's own child */
    mp_assert_ok(mp_process_join(p, 30000));
    int code = -1;
    mp_assert_ok(mp_process_exitcode(p, &code));
    ck_assert_int_eq(code, 42);
    ck_assert_int_eq(r->global, all_methods[k] == MP_START_FORK ? 2 : 1);
    ck_assert_int_eq(r->ppid_ok, 1);
    ck_assert_int_eq(r->stdin_devnull, 1);
    ck_assert_str_eq(r->name, "Describer");
    ck_assert_str_eq(r->parent_name, "MainProcess");
    mp_process_free(p);
    mp_shared_free(r, sizeof *r);
  }
}
END_TEST

/* A task with a bytes argument: exit code = sum of the bytes. */
static int sum_bytes(mp_task *t) {
  size_t n;
  const unsigned char *a = mp_task_arg(t, &n);
  int s = 0;
  for (size_t i = 0; i < n; i++) s += a[i];
  if (mp_task_return(t, "x", 1) != MP_ESTATE) return 1; /* no result in a process */
  return s;
}
MP_TASK(sum_bytes);

static int obj_task(mp_task *t) {
  mp_obj *o;
  if (mp_task_arg_obj(t, &o) != 0) return 1;
  int64_t v = -1;
  int rc = mp_obj_get_int(mp_obj_item(o, 1), &v);
  mp_obj_decref(o);
  return rc == 0 ? (int)v : 2;
}
MP_TASK(obj_task);

START_TEST(named_process_tasks) {
  for (size_t k = 0; k < 3; k++) {
    mp_process_opts o = {.start_method = all_methods[k]};
    const unsigned char arg[] = {10, 20, 30};
    mp_process *p;
    mp_assert_ok(mp_process_new_task(&p, mp_task_named("sum_bytes"), arg, sizeof arg, &o));
    mp_assert_ok(mp_process_start(p));
    ck_assert_int_eq(mp_test_finish(p), 60);
    mp_obj *v = mp_obj_tuple2_steal(mp_obj_str("x"), mp_obj_int(77));
    mp_assert_ok(mp_process_new_task_obj(&p, obj_task, v, &o));
    mp_obj_decref(v);
    mp_assert_ok(mp_process_start(p));
    ck_assert_int_eq(mp_test_finish(p), 77);
  }
}
END_TEST

static int unregistered_target(void *arg) {
  (void)arg;
  return 0;
}
static int unregistered_task(mp_task *t) {
  (void)t;
  return 0;
}
static int unregistered_elem(const void *in, void *out) {
  (void)in;
  (void)out;
  return 0;
}

START_TEST(names_contexts_and_refusals) {
  mp_start_method m;
  mp_assert_ok(mp_get_context("spawn", &m));
  ck_assert_int_eq(m, MP_START_SPAWN);
  mp_assert_rc(mp_get_context("vfork", &m), -EINVAL);
  ck_assert_str_eq(mp_start_method_name(MP_START_FORKSERVER), "forkserver");
  ck_assert(mp_task_named("sum_bytes") == sum_bytes);
  ck_assert(mp_task_named("no_such_task") == NULL);
  ck_assert(mp_map_task_named("sum_bytes") == NULL); /* another kind */
  ck_assert_str_eq(mp_task_name_of((void (*)(void))describe), "describe");
  mp_assert_rc(mp_register_task("sum_bytes", obj_task), -EEXIST);
  mp_assert_ok(mp_register_task("sum_bytes", sum_bytes)); /* again, the same: a no-op */
  mp_assert_rc(mp_register_task("", sum_bytes), -EINVAL);

  /* Pointers mean nothing in another image: unregistered ones are refused clearly. */
  mp_process *p;
  mp_process_opts spawn = {.start_method = MP_START_SPAWN};
  mp_assert_rc(mp_process_new(&p, unregistered_target, NULL, &spawn), MP_ENOTREG);
  mp_assert_rc(mp_process_new_task(&p, unregistered_task, NULL, 0, &spawn), MP_ENOTREG);
  int on_stack;
  mp_assert_rc(mp_process_new(&p, describe, &on_stack, &spawn), -EINVAL); /* not in the heap */
  mp_pool *pool;
  mp_pool_opts po = {.processes = 1, .start_method = MP_START_FORKSERVER};
  mp_assert_rc(mp_pool_new(&pool, &(mp_pool_opts){.processes = 1,
                                                  .start_method = MP_START_SPAWN,
                                                  .initializer = unregistered_target}),
               MP_ENOTREG);
  mp_assert_ok(mp_pool_new(&pool, &po));
  mp_async_result *r;
  mp_assert_rc(mp_pool_apply_async(pool, unregistered_task, NULL, 0, NULL, &r), MP_ENOTREG);
  int in[4] = {0};
  mp_assert_rc(
      mp_pool_map_array(pool, unregistered_elem, in, 4, sizeof(int), NULL, 0, 0, MP_FOREVER),
      MP_ENOTREG);
  ck_assert_str_eq(mp_err_name(MP_ENOTREG), "MP_ENOTREG");
  mp_pool_free(pool);

  /* The default: fork until set; set once, as Python. */
  ck_assert_str_eq(mp_get_start_method(), "fork");
  mp_assert_rc(mp_set_start_method("spawn", false), MP_ESTATE);
  mp_assert_ok(mp_set_start_method("forkserver", true));
  ck_assert_int_gt(mp_forkserver_pid(), 0); /* started at once, before any thread */
  ck_assert_str_eq(mp_get_start_method(), "forkserver");
  mp_assert_rc(mp_set_start_method("nonsense", true), -EINVAL);
}
END_TEST

/* exit(n) inside a child ends it with n, without the parent's atexit handlers. */
static report *atexit_report;
static void parent_atexit(void) {
  if (atexit_report) atexit_report->atexit_ran = 1;
}

static int exits_early(void *arg) {
  (void)arg;
  exit(7);
}
MP_TARGET(exits_early);

START_TEST(exit_in_child_skips_parent_atexit) {
  atexit_report = new_report();
  atexit(parent_atexit);
  for (size_t k = 0; k < 3; k++) {
    mp_process *p;
    mp_assert_ok(
        mp_process_new(&p, exits_early, NULL, &(mp_process_opts){.start_method = all_methods[k]}));
    mp_assert_ok(mp_process_start(p));
    ck_assert_int_eq(mp_test_finish(p), 7);
    ck_assert_int_eq(atexit_report->atexit_ran, 0);
  }
  /* The report stays allocated: the handler runs at this case's own exit. */
}
END_TEST

/* ---- pools ---- */

static int square(mp_task *t) {
  mp_obj *a;
  if (mp_task_arg_obj(t, &a) != 0) return 1;
  int64_t v = 0;
  int rc = mp_obj_get_int(a, &v);
  mp_obj_decref(a);
  if (rc) return 2;
  if (v == -1) return mp_task_error(5, "minus one is refused");
  mp_obj *r = mp_obj_int(v * v);
  rc = mp_task_return_obj(t, r);
  mp_obj_decref(r);
  return rc;
}
MP_TASK(square);

static int triple(const void *in, void *out) {
  *(int64_t *)out = 3 * *(const int64_t *)in;
  return 0;
}
MP_MAP_TASK(triple);

typedef struct pair {
  int32_t a, b;
} pair;
static int multiply(const void *in, void *out) {
  const pair *p = in;
  *(int64_t *)out = (int64_t)p->a * p->b;
  return 0;
}
MP_MAP_TASK(multiply);

static int init_worker(void *arg) {
  int *count = arg;
  __atomic_fetch_add(count, 1, __ATOMIC_SEQ_CST);
  return 0;
}
MP_TARGET(init_worker);

static void count_cb(mp_async_result *r, void *user) {
  (void)r;
  (*(int *)user)++;
}

static mp_obj *ints(int n) {
  mp_obj *l = mp_obj_list();
  for (int i = 0; i < n; i++) mp_obj_list_append_steal(l, mp_obj_int(i));
  return l;
}

static void check_squares(mp_obj *res, int n) {
  ck_assert_uint_eq(mp_obj_len(res), (size_t)n);
  for (int i = 0; i < n; i++) {
    int64_t v = -1;
    mp_assert_ok(mp_obj_get_int(mp_obj_item(res, (size_t)i), &v));
    ck_assert_int_eq(v, (int64_t)i * i);
  }
}

/* Workers replaced every 3 tasks, so replacements happen while the main thread decodes
 * results -- except for fork under AddressSanitizer: clang 14's allocator is not fork-safe, and a
 * worker forked (from the pool's result thread) while the main thread is inside malloc inherits
 * the allocator's lock taken and hangs in its first malloc.  glibc's malloc, which the library
 * meets everywhere else, takes its locks around fork.  The replacements under fork are tested
 * in the plain pass. */
#if defined(__SANITIZE_ADDRESS__)
#define MP_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MP_TEST_ASAN 1
#endif
#endif
#ifdef MP_TEST_ASAN
static const bool fork_unsafe_allocator = true;
#else
static const bool fork_unsafe_allocator = false;
#endif

static void pool_every_form(mp_start_method method) {
  int *inits = mp_shared_alloc(sizeof *inits);
  mp_pool *p;
  bool replace = !(fork_unsafe_allocator && method == MP_START_FORK);
  mp_pool_opts o = {.processes = 2,
                    .start_method = method,
                    .initializer = init_worker,
                    .initarg = inits,
                    .maxtasksperchild = replace ? 3 : 0};
  mp_assert_ok(mp_pool_new(&p, &o));
  const int n = 301;
  mp_obj *items = ints(n), *res;

  mp_assert_ok(mp_pool_map(p, square, items, 7, &res, MP_FOREVER)); /* map */
  check_squares(res, n);
  mp_obj_decref(res);

  int calls = 0;
  mp_async_result *r;
  mp_assert_ok(mp_pool_map_async(p, square, items, 0,
                                 &(mp_async_opts){.callback = count_cb, .user = &calls}, &r));
  mp_assert_ok(mp_async_result_get(r, 60000));
  mp_assert_ok(mp_async_result_list(r, &res));
  check_squares(res, n);
  mp_obj_decref(res);
  mp_async_result_free(r);
  ck_assert_int_eq(calls, 1);

  for (int unordered = 0; unordered < 2; unordered++) { /* imap, imap_unordered */
    mp_assert_ok(unordered ? mp_pool_imap_unordered(p, square, items, 5, &r)
                           : mp_pool_imap(p, square, items, 5, &r));
    int64_t seen = 0;
    size_t idx, prev = 0, count = 0;
    while (mp_async_result_next(r, &idx, 60000) == 0) {
      mp_obj *v;
      mp_assert_ok(mp_async_result_item_obj(r, idx, &v));
      int64_t x;
      mp_assert_ok(mp_obj_get_int(v, &x));
      mp_obj_decref(v);
      ck_assert_int_eq(x, (int64_t)idx * (int64_t)idx);
      if (!unordered && count) ck_assert_uint_eq(idx, prev + 1);
      prev = idx;
      seen += x;
      count++;
    }
    ck_assert_uint_eq(count, (size_t)n);
    ck_assert_int_eq(seen, (int64_t)(n - 1) * n * (2 * n - 1) / 6);
    mp_async_result_free(r);
  }

  mp_obj *seven = mp_obj_int(7), *got; /* apply, apply_async, a task error */
  mp_assert_ok(mp_pool_apply_obj(p, square, seven, &got, MP_FOREVER));
  int64_t v;
  mp_assert_ok(mp_obj_get_int(got, &v));
  ck_assert_int_eq(v, 49);
  mp_obj_decref(got);
  mp_obj_decref(seven);
  mp_obj *minus = mp_obj_int(-1);
  mp_assert_ok(mp_pool_apply_async_obj(p, square, minus, NULL, &r));
  mp_obj_decref(minus);
  mp_assert_rc(mp_async_result_get(r, 60000), MP_ETASK);
  const char *msg;
  mp_assert_ok(mp_async_result_error(r, NULL, NULL, &msg));
  ck_assert_str_eq(msg, "minus one is refused");
  mp_async_result_free(r);

  enum { N = 10007 }; /* the typed array map and starmap, in and out of the heap */
  int64_t *in = malloc(N * sizeof *in), *out = malloc(N * sizeof *out);
  pair *args = malloc(N * sizeof *args);
  for (int i = 0; i < N; i++) {
    in[i] = i;
    args[i] = (pair){i, i + 1};
  }
  mp_assert_ok(mp_pool_map_array(p, triple, in, N, sizeof *in, out, sizeof *out, 0, MP_FOREVER));
  for (int i = 0; i < N; i++) ck_assert_int_eq(out[i], 3 * i);
  mp_assert_ok(
      mp_pool_starmap(p, multiply, args, N, sizeof *args, out, sizeof *out, 100, MP_FOREVER));
  for (int i = 0; i < N; i++) ck_assert_int_eq(out[i], (int64_t)i * (i + 1));
  free(in);
  free(out);
  free(args);

  mp_assert_ok(mp_pool_close(p));
  mp_assert_ok(mp_pool_join(p, 60000));
  mp_pool_free(p);
  mp_obj_decref(items);
  ck_assert_int_ge(*inits, 2); /* every worker, replacements included, ran the initializer */
  mp_shared_free(inits, sizeof *inits);
}

START_TEST(pool_fork) { pool_every_form(MP_START_FORK); }
END_TEST
START_TEST(pool_forkserver) { pool_every_form(MP_START_FORKSERVER); }
END_TEST
START_TEST(pool_spawn) { pool_every_form(MP_START_SPAWN); }
END_TEST

static int worker_name(mp_task *t) {
  const char *name = mp_process_name(mp_current_process());
  return mp_task_return(t, name, strlen(name));
}
MP_TASK(worker_name);

START_TEST(pool_worker_names) {
  static const char *const want[] = {"ForkPoolWorker-", "ForkServerPoolWorker-",
                                     "SpawnPoolWorker-"};
  for (size_t k = 0; k < 3; k++) {
    mp_pool *p;
    mp_assert_ok(mp_pool_new(&p, &(mp_pool_opts){.processes = 1, .start_method = all_methods[k]}));
    void *buf;
    size_t len;
    mp_assert_ok(mp_pool_apply(p, worker_name, NULL, 0, &buf, &len, MP_FOREVER));
    ck_assert_msg(len > strlen(want[k]) && memcmp(buf, want[k], strlen(want[k])) == 0,
                  "worker named %.*s", (int)len, (char *)buf);
    free(buf);
    mp_pool_free(p);
  }
}
END_TEST

/* ---- threads of the caller ---- */

typedef struct busy {
  pthread_mutex_t mu;
  _Atomic int stop;
  long rounds;
} busy;

static void *busy_thread(void *arg) {
  busy *b = arg;
  while (!b->stop) {
    pthread_mutex_lock(&b->mu); /* held most of the time, so a fork would likely copy it held */
    for (volatile int i = 0; i < 20000; i++) {
    }
    b->rounds++;
    pthread_mutex_unlock(&b->mu);
  }
  return NULL;
}

static int noop(mp_task *t) { return mp_task_return(t, "k", 1); }
MP_TASK(noop);

static void replacements_with_busy_threads(mp_start_method method, int tasks) {
  busy b[4];
  pthread_t th[4];
  for (int i = 0; i < 4; i++) {
    pthread_mutex_init(&b[i].mu, NULL);
    b[i].stop = 0;
    b[i].rounds = 0;
    ck_assert_int_eq(pthread_create(&th[i], NULL, busy_thread, &b[i]), 0);
  }
  mp_pool *p;
  mp_assert_ok(mp_pool_new(
      &p, &(mp_pool_opts){.processes = 2, .maxtasksperchild = 1, .start_method = method}));
  mp_obj *items = ints(tasks), *res;
  mp_assert_ok(
      mp_pool_map(p, noop, items, 1, &res, MP_FOREVER)); /* a worker replaced after every task */
  ck_assert_uint_eq(mp_obj_len(res), (size_t)tasks);
  mp_obj_decref(res);
  mp_obj_decref(items);
  mp_pool_free(p);
  for (int i = 0; i < 4; i++) {
    b[i].stop = 1;
    pthread_join(th[i], NULL);
    ck_assert_int_gt(b[i].rounds, 0);
  }
}

START_TEST(busy_threads_forkserver) { replacements_with_busy_threads(MP_START_FORKSERVER, 500); }
END_TEST
START_TEST(busy_threads_spawn) { replacements_with_busy_threads(MP_START_SPAWN, 500); }
END_TEST

/* ---- output printed once ---- */

static int print_line(mp_task *t) {
  printf("task %010zu\n", mp_task_index(t)); /* 16 bytes: whole lines fill a 64 KiB buffer */
  return mp_task_return(t, "", 0);
}

START_TEST(fork_output_once_while_main_prints) {
  char path[] = "/tmp/mp_test_start_XXXXXX";
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  fflush(stdout);
  int saved = dup(STDOUT_FILENO);
  dup2(fd, STDOUT_FILENO);
  close(fd);
  setvbuf(stdout, NULL, _IOFBF, 1 << 16); /* a file: fully buffered, as a redirected program */
  mp_pool *p;
  mp_assert_ok(mp_pool_new(
      &p, &(mp_pool_opts){.processes = 2, .maxtasksperchild = 1, .start_method = MP_START_FORK}));
  mp_obj *items = ints(200);
  mp_async_result *r;
  mp_assert_ok(mp_pool_map_async(p, print_line, items, 1, NULL, &r));
  int lines = 0;
  while (!mp_async_result_ready(r)) printf("main %010d\n", lines++);
  mp_assert_ok(mp_async_result_get(r, 60000));
  mp_async_result_free(r);
  mp_pool_free(p);
  mp_obj_decref(items);
  fflush(stdout);
  dup2(saved, STDOUT_FILENO);
  close(saved);
  setvbuf(stdout, NULL, _IOLBF, 0);

  FILE *f = fopen(path, "r");
  ck_assert_ptr_nonnull(f);
  unlink(path);
  char *main_seen = calloc((size_t)lines + 1, 1), task_seen[200] = {0};
  char line[64];
  int doubled = 0, torn = 0, missing = 0;
  while (fgets(line, sizeof line, f)) {
    int k;
    if (strlen(line) == 16 && sscanf(line, "main %d", &k) == 1 && k >= 0 && k < lines)
      doubled += main_seen[k]++ != 0;
    else if (strlen(line) == 16 && sscanf(line, "task %d", &k) == 1 && k >= 0 && k < 200)
      doubled += task_seen[k]++ != 0;
    else
      torn++;
  }
  fclose(f);
  for (int i = 0; i < lines; i++) missing += main_seen[i] == 0;
  for (int i = 0; i < 200; i++) missing += task_seen[i] == 0;
  free(main_seen);
  ck_assert_msg(doubled + torn + missing == 0, "%d lines doubled, %d torn, %d missing (of %d)",
                doubled, torn, missing, lines + 200);
}
END_TEST

/* ---- managers ---- */

static int tally_create(mp_manager_ctx *c, const mp_obj *args, void *arg, void **self) {
  (void)c;
  (void)args;
  (void)arg;
  int64_t *n = calloc(1, sizeof *n);
  if (n == NULL) return -ENOMEM;
  *self = n;
  return 0;
}
static void tally_destroy(void *self, void *arg) {
  (void)arg;
  free(self);
}
static int tally_add(mp_manager_ctx *c, void *self, const mp_obj *args, mp_obj **result) {
  (void)c;
  (void)args;
  int64_t *n = self;
  *result = mp_obj_int(++*n);
  return 0;
}
static const mp_manager_method tally_methods[] = {{"add", tally_add}};
static const mp_manager_type tally_type = {.type_id = "Tally",
                                           .create = tally_create,
                                           .destroy = tally_destroy,
                                           .methods = tally_methods,
                                           .nmethods = 1};
MP_MANAGER_TYPE(tally_type);

static void manager_under(mp_start_method method) {
  mp_manager *m;
  mp_assert_ok(mp_manager_new(&m, &(mp_manager_opts){.start_method = method}));
  mp_assert_ok(mp_manager_register(m, &tally_type));
  mp_assert_ok(mp_manager_start(m));
  /* Ctrl-C in a terminal reaches the whole group: the server ignores it and goes on serving. */
  ck_assert_int_eq(kill(mp_process_pid(m->server), SIGINT), 0);
  mp_test_sleep_ms(50);
  mp_proxy *d, *t;
  mp_assert_ok(mp_manager_dict(m, NULL, &d));
  mp_obj *k = mp_obj_str("k"), *v = mp_obj_int(5), *got;
  mp_assert_ok(mp_dict_proxy_set(d, k, v));
  mp_assert_ok(mp_dict_proxy_get(d, k, &got));
  ck_assert(mp_obj_equal(got, v));
  mp_obj_decref(got);
  mp_obj_decref(k);
  mp_obj_decref(v);
  mp_assert_ok(mp_manager_create(m, "Tally", NULL, &t));
  for (int i = 1; i <= 3; i++) {
    mp_obj *n;
    mp_assert_ok(mp_proxy_call(t, "add", NULL, &n, 10000));
    int64_t x;
    mp_assert_ok(mp_obj_get_int(n, &x));
    ck_assert_int_eq(x, i);
    mp_obj_decref(n);
  }
  mp_proxy_free(t);
  mp_proxy_free(d);
  mp_assert_ok(mp_manager_shutdown(m));
  mp_manager_free(m);
}

START_TEST(manager_fork) { manager_under(MP_START_FORK); }
END_TEST
START_TEST(manager_forkserver) { manager_under(MP_START_FORKSERVER); }
END_TEST
START_TEST(manager_spawn) { manager_under(MP_START_SPAWN); }
END_TEST

START_TEST(manager_unnamed_type_refused) {
  mp_manager_type local = tally_type; /* the same functions, but not the registered struct */
  local.arg = &local;
  mp_manager *m;
  mp_assert_ok(mp_manager_new(&m, &(mp_manager_opts){.start_method = MP_START_SPAWN}));
  mp_assert_ok(mp_manager_register(m, &local));
  mp_assert_rc(mp_manager_start(m), MP_ENOTREG);
  mp_manager_free(m);
}
END_TEST

Suite *mp_test_suite(void) {
  Suite *s = suite_create("start");
  TCase *tc = mp_tcase("process", 120);
  tcase_add_test(tc, process_under_each_method);
  tcase_add_test(tc, named_process_tasks);
  tcase_add_test(tc, names_contexts_and_refusals);
  tcase_add_test(tc, exit_in_child_skips_parent_atexit);
  suite_add_tcase(s, tc);
  tc = mp_tcase("pool", 240);
  tcase_add_test(tc, pool_fork);
  tcase_add_test(tc, pool_forkserver);
  tcase_add_test(tc, pool_spawn);
  tcase_add_test(tc, pool_worker_names);
  tcase_add_test(tc, busy_threads_forkserver);
  tcase_add_test(tc, busy_threads_spawn);
  tcase_add_test(tc, fork_output_once_while_main_prints);
  suite_add_tcase(s, tc);
  tc = mp_tcase("manager", 120);
  tcase_add_test(tc, manager_fork);
  tcase_add_test(tc, manager_forkserver);
  tcase_add_test(tc, manager_spawn);
  tcase_add_test(tc, manager_unnamed_type_refused);
  suite_add_tcase(s, tc);
  return s;
}
