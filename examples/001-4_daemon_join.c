/* SPDX-License-Identifier: MIT */
/* 001-4_daemon_join.c -- twin of multiprocessing_ndaemon_join.py in seed 001.
 *
 * The same daemon and non-daemon as 001-3, but main joins both.  join waits for the daemon's
 * 2 s sleep to end, so this time both "Exiting" lines appear, the daemon's last.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <multiproc.h>

static void check(int rc, const char *what) {
  if (rc < 0) {
    fprintf(stderr, "%s: %s\n", what, mp_strerror(rc));
    exit(1);
  }
}

static int daemon_main(void *arg) {
  (void)arg;
  mp_process *p = mp_current_process();
  printf("Starting: %s %d\n", mp_process_name(p), (int)mp_process_pid(p));
  sleep(2);
  printf("Exiting : %s %d\n", mp_process_name(p), (int)mp_process_pid(p));
  return 0;
}

static int non_daemon_main(void *arg) {
  (void)arg;
  mp_process *p = mp_current_process();
  printf("Starting: %s %d\n", mp_process_name(p), (int)mp_process_pid(p));
  printf("Exiting : %s %d\n", mp_process_name(p), (int)mp_process_pid(p));
  return 0;
}

int main(void) {
  /* Line buffering, so each child's lines leave in the order they are printed even when
   * stdout is a pipe (see 001-3). */
  setvbuf(stdout, NULL, _IOLBF, 0);

  mp_process *d, *n;
  mp_process_opts d_opts = {.name = "daemon", .daemon = true};
  mp_process_opts n_opts = {.name = "non-daemon"};
  check(mp_process_new(&d, daemon_main, NULL, &d_opts), "mp_process_new(daemon)");
  check(mp_process_new(&n, non_daemon_main, NULL, &n_opts), "mp_process_new(non-daemon)");

  check(mp_process_start(d), "mp_process_start(daemon)");
  sleep(1);
  check(mp_process_start(n), "mp_process_start(non-daemon)");

  check(mp_process_join(d, MP_FOREVER), "mp_process_join(daemon)");
  check(mp_process_join(n, MP_FOREVER), "mp_process_join(non-daemon)");

  mp_process_free(d);
  mp_process_free(n);
  return 0;
}
