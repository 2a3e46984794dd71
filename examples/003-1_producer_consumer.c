/* SPDX-License-Identifier: MIT */
/* 003-1_producer_consumer.c -- twin of seed 003 §7.2: Producer and Consumer as Process
 * "subclasses" (docs/process.md: a struct holding the state plus its run function) sharing a
 * Queue.  The producer appends 10 random items and prints the queue's size after each; the
 * consumer, slower, pops them until it finds the queue empty.
 *
 * qsize() is exact here, on every platform (Python's fails with NotImplementedError on macOS).
 * The sleeps are a tenth of the original's (1 s, 2 s + 1 s).  The original's consumer checks
 * empty() as soon as it starts and quits if the producer has not put its first item yet, a race
 * Python wins by the producer's head start; here main starts the consumer once the first item
 * is in the queue, so the run always ends with the 10 items consumed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <multiproc.h>

static void check(int rc, const char *what) {
  if (rc < 0) {
    fprintf(stderr, "%s: %s\n", what, mp_strerror(rc));
    exit(1);
  }
}

/* class Producer(multiprocessing.Process) */
typedef struct {
  mp_process *proc;
  mp_queue *queue;
} producer;

static int producer_run(void *self) {
  producer *pr = self;
  srand((unsigned)time(NULL) ^ (unsigned)getpid());
  for (int i = 0; i < 10; i++) {
    int64_t item = rand() % 257; /* random.randint(0, 256) */
    check(mp_queue_put_bytes(pr->queue, &item, sizeof item, MP_FOREVER), "put");
    printf("Process Producer : item %lld appended to queue %s\n", (long long)item,
           mp_process_name(mp_current_process()));
    fflush(stdout);
    usleep(100000);
    printf("The size of queue is %d\n", mp_queue_qsize(pr->queue));
    fflush(stdout);
  }
  return 0;
}

/* class Consumer(multiprocessing.Process) */
typedef struct {
  mp_process *proc;
  mp_queue *queue;
} consumer;

static int consumer_run(void *self) {
  consumer *co = self;
  for (;;) {
    if (mp_queue_empty(co->queue)) {
      printf("the queue is empty\n");
      break;
    }
    usleep(200000);
    int64_t item;
    size_t len;
    check(mp_queue_get_bytes(co->queue, &item, sizeof item, &len, MP_FOREVER), "get");
    printf("Process Consumer : item %lld popped from by %s \n\n", (long long)item,
           mp_process_name(mp_current_process()));
    fflush(stdout);
    usleep(100000);
  }
  return 0;
}

int main(void) {
  mp_queue *queue;
  check(mp_queue_new(&queue, 0), "Queue");
  producer process_producer = {.queue = queue};
  consumer process_consumer = {.queue = queue};
  check(mp_process_new(&process_producer.proc, producer_run, &process_producer,
                       &(mp_process_opts){.name = "Producer-1"}),
        "Producer");
  check(mp_process_new(&process_consumer.proc, consumer_run, &process_consumer,
                       &(mp_process_opts){.name = "Consumer-2"}),
        "Consumer");
  check(mp_process_start(process_producer.proc), "producer.start");
  while (mp_queue_empty(queue)) usleep(1000); /* see the header: the producer's head start */
  check(mp_process_start(process_consumer.proc), "consumer.start");
  check(mp_process_join(process_producer.proc, MP_FOREVER), "producer.join");
  check(mp_process_join(process_consumer.proc, MP_FOREVER), "consumer.join");
  mp_process_free(process_producer.proc);
  mp_process_free(process_consumer.proc);
  mp_queue_free(queue);
  return 0;
}
