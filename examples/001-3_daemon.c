/* SPDX-License-Identifier: MIT */
/* 001-3_daemon.c -- twin of multiprocessing_daemon.py in seed 001.
 *
 * A daemon and a non-daemon child, neither joined.  The daemon prints "Starting", sleeps 2 s
 * and would then print "Exiting", but main ends after about 1 s: at the main program's exit
 * the library terminates daemon children (SIGTERM) and waits for the others, as Python does.
 * So the daemon's "Exiting" line never appears, while the non-daemon prints both of its lines.
 *
 *   Python                                          C
 *   Process(name='daemon', target=daemon,           mp_process_opts o = {.name = "daemon",
 *           daemon=True)                                                 .daemon = true};
 *   multiprocessing.current_process()               mp_current_process()
 *   p.name, p.pid                                   mp_process_name(p), mp_process_pid(p)
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
  /* When stdout is a pipe or a file, C buffers it in blocks, and a daemon killed by SIGTERM
   * never writes out what it buffered: its "Starting" line would be lost (Python loses it too,
   * unless run with -u).  Line buffering sends each line out as soon as it is printed. */
  setvbuf(stdout, NULL, _IOLBF, 0);

  mp_process *d, *n;
  mp_process_opts d_opts = {.name = "daemon", .daemon = true};
  mp_process_opts n_opts = {.name = "non-daemon"};
  check(mp_process_new(&d, daemon_main, NULL, &d_opts), "mp_process_new(daemon)");
  check(mp_process_new(&n, non_daemon_main, NULL, &n_opts), "mp_process_new(non-daemon)");

  check(mp_process_start(d), "mp_process_start(daemon)");
  sleep(1);
  check(mp_process_start(n), "mp_process_start(non-daemon)");

  /* No join.  Freeing the handles does not stop the children: at exit the library still
   * terminates the daemon and waits for the non-daemon. */
  mp_process_free(d);
  mp_process_free(n);
  return 0;
}
