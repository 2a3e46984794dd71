/* SPDX-License-Identifier: MIT */
/* 001-2_worker_args.c -- twin of multiprocessing_simpleargs.py in seed 001.
 *
 * A target with an argument: Process(target=worker, args=(i,)) becomes a void *arg.  Each of
 * five children prints "Worker: N" for its own N (0..4); the order depends on scheduling.
 *
 * The child gets a copy of the parent's memory as it is at mp_process_start() (fork), so
 * passing &nums[i] is safe: each child sees its own slot, whatever the parent does later.
 */
#include <stdio.h>
#include <stdlib.h>

#include <multiproc.h>

#define NJOBS 5

static void check(int rc, const char *what) {
  if (rc < 0) {
    fprintf(stderr, "%s: %s\n", what, mp_strerror(rc));
    exit(1);
  }
}

static int worker(void *arg) {
  int num = *(const int *)arg;
  printf("Worker: %d\n", num);
  return 0;
}

int main(void) {
  mp_process *jobs[NJOBS];
  int nums[NJOBS];

  for (int i = 0; i < NJOBS; i++) {
    nums[i] = i;
    check(mp_process_new(&jobs[i], worker, &nums[i], NULL), "mp_process_new");
    check(mp_process_start(jobs[i]), "mp_process_start");
  }

  /* No join, as in the Python: the library waits for the children when main returns. */
  for (int i = 0; i < NJOBS; i++) mp_process_free(jobs[i]);
  return 0;
}
