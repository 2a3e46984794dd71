/* SPDX-License-Identifier: MIT */
/* idle_lock_acquire.c -- workload "idle_lock_acquire": CPU of a process blocked in
 * mp_lock_acquire with a timeout while a child holds the lock (the child sleeps holding it, and
 * lets go when told), until the timeout (see idle_common.h).
 * Python twin: python/idle_lock_acquire.py (Lock().acquire(timeout=...)). */
#include <stdlib.h>
#include <unistd.h>

#include "idle_common.h"
#include "multiproc.h"

typedef struct holder {
  mp_lock_t *lock;
  int fds[2]; /* the holder lets go when the parent closes the write end */
  mp_process *child;
} holder;

static int hold(void *arg) {
  holder *h = arg;
  char c;
  close(h->fds[1]); /* our copy of the write end would keep the pipe open */
  if (mp_lock_acquire(h->lock, MP_FOREVER) != 0) return 1;
  while (read(h->fds[0], &c, 1) > 0) {
  }
  return mp_lock_release(h->lock) == 0 ? 0 : 1;
}

static void *setup(void) {
  holder *h = calloc(1, sizeof *h);
  if (h == NULL) bench_die("out of memory");
  bench_check_mp(mp_lock_new(&h->lock), "mp_lock_new");
  if (pipe(h->fds) != 0) bench_die("pipe failed");
  h->child = bench_start(hold, h);
  close(h->fds[0]);
  while (!mp_lock_locked(h->lock)) usleep(1000); /* the child holds it before we block */
  return h;
}

static void block(void *ctx, long ms) {
  holder *h = ctx;
  int rc = mp_lock_acquire(h->lock, (mp_timeout_ms)ms);
  if (rc != MP_ETIMEDOUT) bench_die("mp_lock_acquire returned %d, expected MP_ETIMEDOUT", rc);
}

static void teardown(void *ctx) {
  holder *h = ctx;
  close(h->fds[1]);
  bench_finish(h->child, "holder");
  mp_lock_free(h->lock);
  free(h);
}

int main(void) {
  idle_workload w = {"idle_lock_acquire", setup, block, teardown};
  return idle_main(&w);
}
