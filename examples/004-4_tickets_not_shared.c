/* SPDX-License-Identifier: MIT */
/* 004-4_tickets_not_shared.c -- twin of the first "ticket booth" program in the comments of
 * seed 004 (#11): 10 booth processes sell from a global counter of 100 tickets under a Lock.
 *
 * The Lock is shared (it is made before the fork, in shared memory), but the counter is a plain
 * global: each child decrements its own copy.  So every booth's first sale leaves "99", and every
 * booth sells 100 tickets -- 1000 in all, which is the surprise the commenter asked about.
 * The fix is 004-4_tickets_shared.c.
 *
 * Differences from the Python: the original sleeps 0.5 s per sale while holding the lock (500 s
 * in all); here a booth sleeps 1 ms after each sale, outside the lock, so booths interleave.
 * The original also calls os._exit(0) while holding the lock, so the first booth to run out
 * leaves the others waiting for ever; here a booth releases the lock before it leaves.  To keep
 * the output short each booth prints its first sale and its total instead of every sale.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <multiproc.h>

#define BOOTHS 10

static int tickets = 100; /* not shared: each child has its own copy */
static mp_lock_t *lock;

static void check(int rc, const char *what) {
  if (rc < 0) {
    fprintf(stderr, "%s: %s\n", what, mp_strerror(rc));
    exit(1);
  }
}

static int booth(void *arg) {
  int id = *(const int *)arg;
  int sold = 0;
  for (;;) {
    check(mp_lock_acquire(lock, MP_FOREVER), "acquire");
    if (tickets == 0) {
      check(mp_lock_release(lock), "release");
      break;
    }
    tickets--;
    if (++sold == 1) printf("%d booth %d: now left: %d\n", (int)getpid(), id, tickets);
    check(mp_lock_release(lock), "release");
    usleep(1000);
  }
  printf("booth %d: no more tickets, sold %d\n", id, sold);
  return 0;
}

int main(void) {
  check(mp_lock_new(&lock), "mp_lock_new");
  mp_process *p[BOOTHS];
  int ids[BOOTHS];
  for (int k = 0; k < BOOTHS; k++) {
    ids[k] = k;
    check(mp_process_new(&p[k], booth, &ids[k], NULL), "mp_process_new");
    check(mp_process_start(p[k]), "mp_process_start");
  }
  for (int k = 0; k < BOOTHS; k++) {
    check(mp_process_join(p[k], MP_FOREVER), "mp_process_join");
    mp_process_free(p[k]);
  }
  printf("main: tickets left in the main process: %d\n", tickets);
  mp_lock_free(lock);
  return 0;
}
