/* SPDX-License-Identifier: MIT */
/* interrupt_map.c -- the graceful Ctrl-C: a long pool map that SIGINT stops cleanly.
 *
 * Python raises KeyboardInterrupt in the main thread and `with Pool() as p` terminates the
 * pool on the way out.  Here mp_interrupt_on(SIGINT) makes every blocking wait of the program
 * return -EINTR on Ctrl-C; the program then says how far the map got, terminates the pool
 * (workers killed, unfinished tasks failed) and leaves with status 130, as a shell reports a
 * program ended by Ctrl-C.  Run it and press Ctrl-C, or let it finish (10 s).
 * tests/examples/interrupt_map.sh drives it with SIGINT. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <multiproc.h>

static void check(int rc, const char *what) {
  if (rc < 0) {
    fprintf(stderr, "%s: %s\n", what, mp_strerror(rc));
    exit(1);
  }
}

/* A slow square: 100 ms of "work". */
static int slow_square(mp_task *t) {
  mp_obj *x;
  int64_t v = 0;
  if (mp_task_arg_obj(t, &x) || mp_obj_get_int(x, &v)) return 1;
  mp_obj_decref(x);
  struct timespec ts = {0, 100 * 1000000};
  nanosleep(&ts, NULL);
  mp_obj *y = mp_obj_int(v * v);
  int rc = mp_task_return_obj(t, y);
  mp_obj_decref(y);
  return rc ? 1 : 0;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  check(mp_interrupt_on(SIGINT), "mp_interrupt_on");
  mp_pool *pool;
  check(mp_pool_new(&pool, &(mp_pool_opts){.processes = 2}), "mp_pool_new");
  enum { N = 200 };
  mp_obj *items = mp_obj_list();
  for (int i = 0; i < N; i++) mp_obj_list_append_steal(items, mp_obj_int(i));

  printf("mapping %d tasks of 100 ms on 2 workers; press Ctrl-C to stop\n", N);
  mp_async_result *r;
  check(mp_pool_map_async(pool, slow_square, items, 1, NULL, &r), "map_async");
  int rc = mp_async_result_get(r, MP_FOREVER); /* mp_pool_map() would return -EINTR too */
  int status = 0;
  if (rc == -EINTR) {
    size_t done, total;
    mp_async_result_progress(r, &done, &total);
    printf("interrupted after %zu of %zu tasks; terminating the pool\n", done, total);
    mp_interrupt_clear(); /* the calls below must block again */
    check(mp_pool_terminate(pool), "terminate");
    status = 130;
  } else {
    check(rc, "map");
    printf("all %d tasks done\n", N);
    check(mp_pool_close(pool), "close");
  }
  check(mp_pool_join(pool, MP_FOREVER), "join");
  printf("the pool is stopped\n");
  mp_async_result_free(r);
  mp_obj_decref(items);
  mp_pool_free(pool);
  return status;
}
