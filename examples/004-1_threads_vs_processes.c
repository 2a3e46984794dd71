/* SPDX-License-Identifier: MIT */
/* 004-1_threads_vs_processes.c -- twin of Vamei's thread-vs-process program in seed 004.
 *
 * Five threads, then five processes, each print a sign ("thread" or "process") and the pid
 * they run in.  Every thread prints the main program's pid: threads live inside one process.
 * Every process prints a pid of its own.  A lock keeps the lines from mixing on stdout.
 *
 * Python needs two locks here (threading.Lock for the threads, multiprocessing.Lock for the
 * processes); an mp_lock_t from mp_lock_new() lives in shared memory and works for both, so
 * one lock serves the two halves.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <multiproc.h>

#define N 5

struct job {
  const char *sign;
  mp_lock_t *lock;
};

static void check(int rc, const char *what) {
  if (rc < 0) {
    fprintf(stderr, "%s: %s\n", what, mp_strerror(rc));
    exit(1);
  }
}

/* worker(sign, lock) of the Python: print under the lock.  Returns 0, or 1 on failure. */
static int worker(void *arg) {
  const struct job *job = arg;
  int rc = mp_lock_acquire(job->lock, MP_FOREVER);
  if (rc < 0) {
    fprintf(stderr, "mp_lock_acquire: %s\n", mp_strerror(rc));
    return 1;
  }
  printf("%s %d\n", job->sign, (int)getpid());
  rc = mp_lock_release(job->lock);
  if (rc < 0) {
    fprintf(stderr, "mp_lock_release: %s\n", mp_strerror(rc));
    return 1;
  }
  return 0;
}

/* pthreads want void *(*)(void *): run the same worker and hand back its result. */
static void *thread_main(void *arg) { return (void *)(intptr_t)worker(arg); }

int main(void) {
  mp_lock_t *lock;
  check(mp_lock_new(&lock), "mp_lock_new");

  printf("Main: %d\n", (int)getpid());

  /* Multi-thread */
  struct job thread_job = {"thread", lock};
  pthread_t threads[N];
  for (int i = 0; i < N; i++) {
    int err = pthread_create(&threads[i], NULL, thread_main, &thread_job);
    if (err != 0) {
      fprintf(stderr, "pthread_create: %s\n", strerror(err));
      return 1;
    }
  }
  for (int i = 0; i < N; i++) {
    void *result;
    int err = pthread_join(threads[i], &result);
    if (err != 0) {
      fprintf(stderr, "pthread_join: %s\n", strerror(err));
      return 1;
    }
    if (result != NULL) return 1; /* the worker already said what failed */
  }

  /* Multi-process */
  struct job process_job = {"process", lock};
  mp_process *procs[N];
  for (int i = 0; i < N; i++) {
    check(mp_process_new(&procs[i], worker, &process_job, NULL), "mp_process_new");
    check(mp_process_start(procs[i]), "mp_process_start");
  }
  for (int i = 0; i < N; i++) {
    int code;
    check(mp_process_join(procs[i], MP_FOREVER), "mp_process_join");
    check(mp_process_exitcode(procs[i], &code), "mp_process_exitcode");
    if (code != 0) {
      fprintf(stderr, "%s exited with code %d\n", mp_process_name(procs[i]), code);
      return 1;
    }
    mp_process_free(procs[i]);
  }

  mp_lock_free(lock);
  return 0;
}
