/* SPDX-License-Identifier: MIT */
/* pool_progress.c -- a long map followed by a progress bar (not a seed twin).
 *
 * Four workers square 2000 numbers, each element taking about 1 ms (a sleep standing for real
 * work), through the typed array map.  While the map runs, the main thread waits on the result
 * 50 ms at a time and reads its counters with mp_async_result_progress(), never blocking on
 * the workers.  On a terminal the bar is redrawn in place (\r); when stdout is a pipe or a file
 * a plain line is printed each time the bar passes another tenth, so logs stay readable.
 * Finally the program checks every square.
 *
 * Usage: pool_progress [N]   (N elements, default 2000)
 *
 * Progress moves a chunk at a time: done counts the items of finished chunks, so the chunk size
 * (10 here) sets how smooth the bar is.  Python's rule, ceil(n / (4 * workers)), would give
 * only 16 steps.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <multiproc.h>

#define BAR_WIDTH 40

static void check(int rc, const char *what) {
  if (rc < 0) {
    fprintf(stderr, "%s: %s\n", what, mp_strerror(rc));
    exit(1);
  }
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One element: about a millisecond of "work", then its square. */
static int square_slowly(const void *in, void *out) {
  int64_t x = *(const int64_t *)in;
  usleep(1000);
  *(int64_t *)out = x * x;
  return 0;
}

/* [#########...............]  37%   740/2000, ending with \r on a terminal, \n elsewhere. */
static void draw(size_t done, size_t total, bool tty) {
  size_t filled = total ? done * BAR_WIDTH / total : BAR_WIDTH;
  char bar[BAR_WIDTH + 1];
  for (size_t i = 0; i < BAR_WIDTH; i++) bar[i] = i < filled ? '#' : '.';
  bar[BAR_WIDTH] = '\0';
  printf("[%s] %3zu%% %5zu/%zu%s", bar, total ? done * 100 / total : 100, done, total,
         tty ? "\r" : "\n");
  fflush(stdout);
}

int main(int argc, char **argv) {
  size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 2000;
  bool tty = isatty(STDOUT_FILENO);
  int64_t *in = malloc(n * sizeof *in), *out = malloc(n * sizeof *out);
  if (!in || !out) return 1;
  for (size_t i = 0; i < n; i++) in[i] = (int64_t)i;

  mp_pool *pool;
  check(mp_pool_new(&pool, &(mp_pool_opts){.processes = 4}), "Pool(4)");
  double start = now();
  mp_async_result *r;
  check(mp_pool_map_array_async(pool, square_slowly, in, n, sizeof *in, out, sizeof *out, 10, NULL,
                                &r),
        "map_async");

  size_t done, total, shown_tenth = 0;
  mp_async_result_progress(r, &done, &total);
  draw(done, total, tty);
  shown_tenth = total ? done * 10 / total : 10;
  while (mp_async_result_wait(r, 50) == MP_ETIMEDOUT) {
    mp_async_result_progress(r, &done, &total);
    size_t tenth = done * 10 / total;
    if (tty || tenth > shown_tenth) { /* a terminal redraws always, a log each tenth */
      draw(done, total, tty);
      shown_tenth = tenth;
    }
  }
  /* The copy-out of the results happens in get(); the final bar after it. */
  check(mp_async_result_get(r, MP_FOREVER), "get");
  mp_async_result_progress(r, &done, &total);
  if (tty || shown_tenth < 10) draw(done, total, tty);
  if (tty) printf("\n");
  double secs = now() - start;

  size_t bad = 0;
  for (size_t i = 0; i < n; i++) bad += out[i] != (int64_t)i * (int64_t)i;
  printf("%zu squares in %.2f s, %zu wrong\n", n, secs, bad);

  mp_async_result_free(r);
  check(mp_pool_close(pool), "close");
  check(mp_pool_join(pool, MP_FOREVER), "join");
  mp_pool_free(pool);
  free(in);
  free(out);
  return bad ? 1 : 0;
}
