/* SPDX-License-Identifier: MIT */
/* chaos_orphan.c -- a process whose parent dies: a child starts a daemon grandchild and an
 * ordinary one, and is SIGKILLed at a random moment (before, while or after starting them).
 *
 * The daemon grandchild must go with its parent (PR_SET_PDEATHSIG, set by the library for
 * daemons).  The ordinary one is Python's case of a child outliving its parent: it keeps
 * running, and must be able to see that its parent is gone -- it waits on
 * mp_parent_process() and leaves when that join returns.  Nothing may outlive the iteration:
 * the census waits a few seconds for both grandchildren to end. */
#include <stdatomic.h>
#include <string.h>

#include "chaos.h"

#define O_NOTICE 5000 /* ms the census gives the grandchildren */

typedef struct {
  _Atomic int noticed, started;
} ostate;

static ostate *os_;

static int daemon_grandchild(void *arg) {
  (void)arg;
  for (;;) chaos_sleep_us(100000);
  return 0;
}

static int watching_grandchild(void *arg) {
  (void)arg;
  mp_process *parent = mp_parent_process();
  if (parent == NULL) return 1;
  /* the parent's end, or a minute (then the census has counted this process as a leak) */
  int rc = mp_process_join(parent, 60000);
  if (rc == 0) atomic_fetch_add(&os_->noticed, 1);
  return rc == 0 ? 0 : 1;
}

static int parent(void *arg) {
  (void)arg;
  mp_process *d = NULL, *w = NULL;
  mp_process_opts dopts = {.daemon = true};
  if (mp_process_new(&d, daemon_grandchild, NULL, &dopts) != 0 || mp_process_start(d) != 0)
    return 1;
  atomic_fetch_add(&os_->started, 1);
  if (mp_process_new(&w, watching_grandchild, NULL, NULL) != 0 || mp_process_start(w) != 0)
    return 1;
  atomic_fetch_add(&os_->started, 1);
  for (;;) chaos_sleep_us(100000);
  return 0;
}

void chaos_orphan(chaos_row *row, int64_t deadline_ms, long max_iters) {
  os_ = chaos_shared(sizeof *os_);
  chaos_census before;
  chaos_census_take(&before);
  long watchers = 0, noticed = 0;
  while (chaos_now_ms() < deadline_ms && (max_iters == 0 || row->iterations < max_iters)) {
    memset(os_, 0, sizeof *os_);
    mp_process *p = chaos_start(parent, NULL);
    chaos_sleep_us((int64_t)chaos_below(15000));
    if (chaos_kill(p)) row->kills++;
    mp_process_free(p);
    row->iterations++;
    row->leaks += chaos_leaks(row, &before, O_NOTICE);
    watchers += atomic_load(&os_->started) == 2;
    noticed += atomic_load(&os_->noticed);
  }
  /* a watcher started and then gone without noticing was killed by the census: a leak
   * already; this only says how many saw their parent go */
  if (noticed < watchers) chaos_note(row, "%ld of %ld watchers noticed", noticed, watchers);
}
