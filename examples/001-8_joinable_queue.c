/* SPDX-License-Identifier: MIT */
/* 001-8_joinable_queue.c -- twin of multiprocessing_queue.py in seed 001: a producer puts
 * (function, argument) tasks on a JoinableQueue at random intervals and ends them with a None
 * sentinel; a consumer runs each task, calls task_done and puts the result on a results Queue;
 * main joins the task queue, joins both processes and prints every result.
 *
 * Tasks are values, as Python pickles them: the tuple ("double", wt), where the function goes
 * by name (pickle, too, sends a function as its name) and the consumer looks it up in a table.
 *
 * Three changes, each for a reason:
 *   - The producer also prints each argument it puts ("Produced: wt"), so that the output shows
 *     every task's doubled value coming out.  wt is a random multiple of 0.001 and the sleeps
 *     are a tenth of the seed's (random() s), so a run takes about half a second.
 *   - The consumer calls task_done for the None sentinel too.  In the seed it does not, so
 *     tasks_queue.join() can only return while nothing has been put yet: it returns at once
 *     in Python because the producer sleeps before its first put, and would hang otherwise.
 *     Here join really waits until the consumer has processed every task.
 *   - After join the results queue is complete, so "while not empty: get" drains all of it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <multiproc.h>

static void check(int rc, const char *what) {
  if (rc < 0) {
    fprintf(stderr, "%s: %s\n", what, mp_strerror(rc));
    exit(1);
  }
}

static double double_fn(double n) { return n * 2; }

/* The functions a task may name. */
static const struct {
  const char *name;
  double (*fn)(double);
} functions[] = {{"double", double_fn}};

static double (*lookup(const mp_obj *name))(double) {
  size_t len;
  const char *s = mp_obj_str_data(name, &len);
  for (size_t i = 0; s && i < sizeof functions / sizeof functions[0]; i++)
    if (strlen(functions[i].name) == len && memcmp(functions[i].name, s, len) == 0)
      return functions[i].fn;
  return NULL;
}

typedef struct {
  mp_queue *in, *out;
} queues;

static int producer(void *arg) {
  mp_queue *in_queue = arg;
  srand((unsigned)time(NULL) ^ (unsigned)getpid());
  for (;;) {
    double wt = (rand() % 1000) / 1000.0; /* random() */
    usleep((useconds_t)(wt * 100000)); /* time.sleep(wt / 10) */
    mp_obj *task = mp_obj_tuple2_steal(mp_obj_str("double"), mp_obj_float(wt));
    if (!task) return 1;
    printf("Produced: %.3f\n", wt);
    fflush(stdout);
    int rc = mp_queue_put_obj(in_queue, task, MP_FOREVER);
    mp_obj_decref(task);
    check(rc, "in_queue.put");
    if (wt > 0.9) {
      check(mp_queue_put_obj(in_queue, mp_obj_none(), MP_FOREVER), "in_queue.put(None)");
      printf("stop producer\n");
      break;
    }
  }
  return 0;
}

static int consumer(void *arg) {
  queues *q = arg;
  for (;;) {
    mp_obj *task;
    check(mp_queue_get_obj(q->in, &task, MP_FOREVER), "in_queue.get");
    if (mp_obj_type_of(task) == MP_OBJ_NONE) {
      mp_obj_decref(task);
      check(mp_queue_task_done(q->in), "task_done"); /* see the header */
      break;
    }
    double (*func)(double) = lookup(mp_obj_item(task, 0));
    double x;
    if (!func || mp_obj_get_float(mp_obj_item(task, 1), &x) < 0) {
      fprintf(stderr, "consumer: a malformed task\n");
      return 1;
    }
    mp_obj_decref(task);
    mp_obj *result = mp_obj_float(func(x));
    check(mp_queue_task_done(q->in), "task_done");
    check(mp_queue_put_obj(q->out, result, MP_FOREVER), "out_queue.put");
    mp_obj_decref(result);
  }
  return 0;
}

int main(void) {
  queues q;
  check(mp_joinable_queue_new(&q.in, 0), "JoinableQueue()");
  check(mp_queue_new(&q.out, 0), "Queue()");

  mp_process *processes[2];
  check(mp_process_new(&processes[0], producer, q.in, NULL), "Process(producer)");
  check(mp_process_start(processes[0]), "producer.start");
  check(mp_process_new(&processes[1], consumer, &q, NULL), "Process(consumer)");
  check(mp_process_start(processes[1]), "consumer.start");

  check(mp_queue_join(q.in, MP_FOREVER), "tasks_queue.join");
  for (int i = 0; i < 2; i++) check(mp_process_join(processes[i], MP_FOREVER), "p.join");

  while (!mp_queue_empty(q.out)) {
    mp_obj *result;
    check(mp_queue_get_obj(q.out, &result, MP_FOREVER), "results_queue.get");
    printf("Result: ");
    check(mp_obj_fprint(stdout, result), "print");
    printf("\n");
    mp_obj_decref(result);
  }

  for (int i = 0; i < 2; i++) mp_process_free(processes[i]);
  mp_queue_free(q.in);
  mp_queue_free(q.out);
  return 0;
}
