/* SPDX-License-Identifier: MIT */
/* 000-4_queue_squares.c -- twin of seed 000 §2.1: p1 puts the squares of [1, 2, 3, 4] on a
 * Queue and ends; then p2 prints what the queue holds until it is empty, and
 * "Queue is now empty!".
 *
 * The items are values (multiproc/obj.h), as Python puts ints: put_obj encodes each one and
 * get_obj returns a new reference, printed with its repr.  Because a put that returned has its
 * message in shared memory (no feeder thread), p2's empty() sees every square p1 put.
 */
#include <stdio.h>
#include <stdlib.h>

#include <multiproc.h>

static void check(int rc, const char *what) {
  if (rc < 0) {
    fprintf(stderr, "%s: %s\n", what, mp_strerror(rc));
    exit(1);
  }
}

typedef struct {
  const int *mylist;
  int n;
  mp_queue *q;
} square_args;

/* append squares of mylist to queue */
static int square_list(void *arg) {
  square_args *a = arg;
  for (int i = 0; i < a->n; i++) {
    mp_obj *sq = mp_obj_int((int64_t)a->mylist[i] * a->mylist[i]);
    if (sq == NULL) return 1;
    check(mp_queue_put_obj(a->q, sq, MP_FOREVER), "q.put");
    mp_obj_decref(sq);
  }
  return 0;
}

static int print_queue(void *arg) {
  mp_queue *q = arg;
  printf("Queue elements:\n");
  while (!mp_queue_empty(q)) {
    mp_obj *item;
    check(mp_queue_get_obj(q, &item, MP_FOREVER), "q.get");
    check(mp_obj_fprint(stdout, item), "print");
    printf("\n");
    mp_obj_decref(item);
  }
  printf("Queue is now empty!\n");
  return 0;
}

int main(void) {
  static const int mylist[] = {1, 2, 3, 4}; /* input list */
  mp_queue *q;
  check(mp_queue_new(&q, 0), "Queue"); /* creating multiprocessing Queue */
  square_args a = {mylist, 4, q};
  mp_process *p1, *p2;
  check(mp_process_new(&p1, square_list, &a, NULL), "Process p1");
  check(mp_process_new(&p2, print_queue, q, NULL), "Process p2");
  /* running process p1 to square list */
  check(mp_process_start(p1), "p1.start");
  check(mp_process_join(p1, MP_FOREVER), "p1.join");
  /* running process p2 to get queue elements */
  check(mp_process_start(p2), "p2.start");
  check(mp_process_join(p2, MP_FOREVER), "p2.join");
  mp_process_free(p1);
  mp_process_free(p2);
  mp_queue_free(q);
  return 0;
}
