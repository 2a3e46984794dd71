/* SPDX-License-Identifier: MIT */
/* 001-1_workers.c -- twin of the first program in seed 001 (multiprocessing_simple.py).
 *
 * Five child processes each run worker() and print "Worker".  As in the Python original the
 * main program never calls join: when main returns, the library waits for its non-daemon
 * children, just as Python does at interpreter exit.
 *
 *   Python                                      C
 *   p = Process(target=worker)                  mp_process_new(&p, worker, NULL, NULL)
 *   p.start()                                   mp_process_start(p)
 */
#include <stdio.h>
#include <stdlib.h>

#include <multiproc.h>

#define NJOBS 5

/* Prints what failed and ends the program, for any negative return code. */
static void check(int rc, const char *what) {
  if (rc < 0) {
    fprintf(stderr, "%s: %s\n", what, mp_strerror(rc));
    exit(1);
  }
}

/* The target: runs in the child; its return value becomes the child's exit code. */
static int worker(void *arg) {
  (void)arg;
  printf("Worker\n");
  return 0;
}

int main(void) {
  mp_process *jobs[NJOBS];

  for (int i = 0; i < NJOBS; i++) {
    check(mp_process_new(&jobs[i], worker, NULL, NULL), "mp_process_new");
    check(mp_process_start(jobs[i]), "mp_process_start");
  }

  /* Freeing a handle does not stop its child: the library still waits for it at exit. */
  for (int i = 0; i < NJOBS; i++) mp_process_free(jobs[i]);
  return 0;
}
