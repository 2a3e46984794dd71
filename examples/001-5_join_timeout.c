/* SPDX-License-Identifier: MIT */
/* 001-5_join_timeout.c -- twin of multiprocessing_ndaemon_join_timeout.py in seed 001.
 *
 * join with a timeout: both children start at once; main waits at most 1 s for the daemon,
 * which sleeps 2 s, so the join times out (MP_ETIMEDOUT, where Python's join(1) just returns)
 * and the daemon is still alive.  Main then joins the non-daemon and ends, which terminates
 * the daemon before it can print its "Exiting" line.
 *
 *   Python                                     C
 *   d.join(1)                                  mp_process_join(d, 1000)   (milliseconds)
 *   print('d.is_alive()', d.is_alive())        printf("d.is_alive() %s\n", ... "True" ...)
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
  /* Line buffering, so the daemon's "Starting" line is not lost when it is terminated while
   * stdout is a pipe (see 001-3). */
  setvbuf(stdout, NULL, _IOLBF, 0);

  mp_process *d, *n;
  mp_process_opts d_opts = {.name = "daemon", .daemon = true};
  mp_process_opts n_opts = {.name = "non-daemon"};
  check(mp_process_new(&d, daemon_main, NULL, &d_opts), "mp_process_new(daemon)");
  check(mp_process_new(&n, non_daemon_main, NULL, &n_opts), "mp_process_new(non-daemon)");

  check(mp_process_start(d), "mp_process_start(daemon)");
  check(mp_process_start(n), "mp_process_start(non-daemon)");

  int rc = mp_process_join(d, 1000);
  if (rc != MP_ETIMEDOUT) /* a timeout is the expected outcome here, not an error */
    check(rc, "mp_process_join(daemon, 1 s)");
  printf("d.is_alive() %s\n", mp_process_is_alive(d) ? "True" : "False");
  check(mp_process_join(n, MP_FOREVER), "mp_process_join(non-daemon)");

  mp_process_free(d);
  mp_process_free(n);
  return 0;
}
