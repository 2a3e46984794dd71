/* SPDX-License-Identifier: MIT */
/* 004-4_tickets_shared.c -- the fix for 004-4_tickets_not_shared.c (seed 004, comments #11-#17):
 * the 100 tickets are a shared Value guarded by a Lock, so the 10 booths sell exactly 100
 * tickets in all, each ticket once.
 *
 * The Value is made with lock=lock (Python's Value('i', 100, lock=lock)), so get_lock() is the
 * booth's Lock; since a Lock is not recursive, the check-and-decrement works on the raw value
 * while holding it, the C form of "with lock: if i.value: i.value -= 1".  As in the first half,
 * a booth sleeps 1 ms between sales instead of 0.5 s, and releases the lock before leaving.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <multiproc.h>

#define BOOTHS 10

static void check(int rc, const char *what) {
  if (rc < 0) {
    fprintf(stderr, "%s: %s\n", what, mp_strerror(rc));
    exit(1);
  }
}

typedef struct {
  int id;
  mp_value *tickets;
  mp_array *sold; /* sold[k]: what booth k sold, for the parent's total */
} booth_args;

static int booth(void *arg) {
  booth_args *a = arg;
  int sold = 0;
  for (;;) {
    check(mp_value_acquire(a->tickets, MP_FOREVER), "acquire");
    int *left = mp_value_ptr(a->tickets);
    if (*left == 0) {
      check(mp_value_release(a->tickets), "release");
      break;
    }
    --*left;
    sold++;
    check(mp_value_release(a->tickets), "release");
    usleep(1000);
  }
  check(mp_array_set_i64(a->sold, (size_t)a->id, sold), "sold[id]");
  printf("booth %d: no more tickets, sold %d\n", a->id, sold);
  return 0;
}

int main(void) {
  mp_lock_t *lock;
  mp_value *tickets;
  mp_array *sold;
  int hundred = 100;
  check(mp_lock_new(&lock), "mp_lock_new");
  check(mp_value_new(&tickets, 'i', &hundred, &(mp_shared_opts){.lock = lock}), "Value");
  check(mp_array_new(&sold, 'i', BOOTHS, NULL, NULL), "Array");

  mp_process *p[BOOTHS];
  booth_args args[BOOTHS];
  for (int k = 0; k < BOOTHS; k++) {
    args[k] = (booth_args){k, tickets, sold};
    check(mp_process_new(&p[k], booth, &args[k], NULL), "mp_process_new");
    check(mp_process_start(p[k]), "mp_process_start");
  }
  for (int k = 0; k < BOOTHS; k++) {
    check(mp_process_join(p[k], MP_FOREVER), "mp_process_join");
    mp_process_free(p[k]);
  }
  int64_t left, total = 0;
  for (int k = 0; k < BOOTHS; k++) {
    int64_t s;
    check(mp_array_get_i64(sold, (size_t)k, &s), "sold[k]");
    total += s;
  }
  check(mp_value_get_i64(tickets, &left), "tickets.value");
  printf("main: sold %lld in all, %lld left\n", (long long)total, (long long)left);
  mp_value_free(tickets);
  mp_array_free(sold);
  mp_lock_free(lock);
  return 0;
}
