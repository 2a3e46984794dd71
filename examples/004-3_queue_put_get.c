/* SPDX-License-Identifier: MIT */
/* 004-3_queue_put_get.c -- twin of Vamei's Queue program in seed 004: a Queue(3), 10 processes
 * that each put a string with their pid and the time, 10 processes that each get one and print
 * it after their own pid, under a Lock so lines never mix.
 *
 * Only 3 strings fit in the queue at once: the other putters block in put until getters make
 * room (seed 004's comments ask why 10 puts into a Queue(3) raise nothing: that is why).  After
 * the putters are joined the queue is closed ("no more object will come"); the getters still
 * take the strings already in it.  The strings are values (str), as in Python.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>
#include <unistd.h>

#include <multiproc.h>

static void check(int rc, const char *what) {
  if (rc < 0) {
    fprintf(stderr, "%s: %s\n", what, mp_strerror(rc));
    exit(1);
  }
}

typedef struct {
  mp_queue *queue;
  mp_lock_t *lock;
} shared;

/* input worker */
static int inputQ(void *arg) {
  shared *sh = arg;
  struct timeval tv;
  gettimeofday(&tv, NULL);
  char info[64];
  snprintf(info, sizeof info, "%d(put):%lld.%06ld", (int)getpid(), (long long)tv.tv_sec,
           (long)tv.tv_usec);
  mp_obj *s = mp_obj_str(info);
  if (s == NULL) return 1;
  check(mp_queue_put_obj(sh->queue, s, MP_FOREVER), "queue.put");
  mp_obj_decref(s);
  return 0;
}

/* output worker */
static int outputQ(void *arg) {
  shared *sh = arg;
  mp_obj *info;
  check(mp_queue_get_obj(sh->queue, &info, MP_FOREVER), "queue.get");
  check(mp_lock_acquire(sh->lock, MP_FOREVER), "lock.acquire");
  const char *text = mp_obj_str_data(info, NULL);
  printf("%d(get):%s\n", (int)getpid(), text ? text : "?");
  fflush(stdout);
  check(mp_lock_release(sh->lock), "lock.release");
  mp_obj_decref(info);
  return 0;
}

int main(void) {
  shared sh;
  check(mp_lock_new(&sh.lock), "Lock"); /* To prevent messy print */
  check(mp_queue_new(&sh.queue, 3), "Queue(3)");
  mp_process *record1[10], *record2[10];
  for (int i = 0; i < 10; i++) { /* input processes */
    check(mp_process_new(&record1[i], inputQ, &sh, NULL), "Process");
    check(mp_process_start(record1[i]), "start");
  }
  for (int i = 0; i < 10; i++) { /* output processes */
    check(mp_process_new(&record2[i], outputQ, &sh, NULL), "Process");
    check(mp_process_start(record2[i]), "start");
  }
  for (int i = 0; i < 10; i++) check(mp_process_join(record1[i], MP_FOREVER), "join");
  check(mp_queue_close(sh.queue), "queue.close"); /* No more object will come, close the queue */
  for (int i = 0; i < 10; i++) check(mp_process_join(record2[i], MP_FOREVER), "join");
  for (int i = 0; i < 10; i++) {
    mp_process_free(record1[i]);
    mp_process_free(record2[i]);
  }
  mp_queue_free(sh.queue);
  mp_lock_free(sh.lock);
  return 0;
}
