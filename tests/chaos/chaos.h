/* SPDX-License-Identifier: MIT */
/* chaos.h -- what the chaos runs share (tests/chaos/): a row of figures per primitive, the
 * random source, the kill, the clocks, and the leak census taken after every iteration.
 *
 * One scenario per primitive (chaos_<primitive>.c) runs iterations until its time or
 * iteration budget is spent; each iteration starts processes that use the primitive, SIGKILLs
 * one of them at a random moment, lets the survivors finish, and checks the invariants,
 * adding what it saw to the row.  chaos_main.c runs each scenario in a process of its own
 * (so each has a fresh shared heap) and prints the table. */
#ifndef MP_CHAOS_H
#define MP_CHAOS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "multiproc.h"

/* The figures of one primitive.  lost: a message, task or list item whose operation returned
 * but that never arrived (or a task that failed though its worker was not killed).
 * duplicated: one delivered twice.  torn: one that arrived damaged, or an invariant of the
 * primitive's state broken (two holders of a lock, a heap block overwritten).  hangs: a
 * survivor's call that did not return within its timeout plus a margin, or a process that did
 * not end when it should.  leaks: children, fds or /dev/shm entries left after an iteration. */
typedef struct chaos_row {
  char name[24];
  long iterations, kills, lost, duplicated, torn, hangs, leaks;
  char note[160]; /* the first failure seen, for the log */
} chaos_row;

/* A scenario: runs iterations until now >= deadline_ms or max_iters are done (0: no limit). */
typedef void (*chaos_scenario_fn)(chaos_row *row, int64_t deadline_ms, long max_iters);

void chaos_queue(chaos_row *row, int64_t deadline_ms, long max_iters);
void chaos_sync(chaos_row *row, int64_t deadline_ms, long max_iters);
void chaos_heap(chaos_row *row, int64_t deadline_ms, long max_iters);
void chaos_pool_workers(chaos_row *row, int64_t deadline_ms, long max_iters);
void chaos_pool_owner(chaos_row *row, int64_t deadline_ms, long max_iters);
void chaos_manager_clients(chaos_row *row, int64_t deadline_ms, long max_iters);
void chaos_manager_server(chaos_row *row, int64_t deadline_ms, long max_iters);
void chaos_orphan(chaos_row *row, int64_t deadline_ms, long max_iters);

/* Milliseconds / microseconds on the monotonic clock. */
int64_t chaos_now_ms(void);
int64_t chaos_now_us(void);
void chaos_sleep_us(int64_t us);

/* A random number (xorshift, seeded per process from the clock and pid by chaos_seed()). */
uint64_t chaos_rand(void);
void chaos_seed(uint64_t seed);
/* Uniform in [0, n). */
static inline uint64_t chaos_below(uint64_t n) { return n ? chaos_rand() % n : 0; }

/* Records the first failure's description in row->note (printf-style). */
void chaos_note(chaos_row *row, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Zeroed memory in the shared heap, seen by every process forked after this call; aborts the
 * run when the heap cannot give it (the run cannot measure anything then). */
void *chaos_shared(size_t size);

/* Starts a child running fn(arg); aborts the run when it cannot (fork failing is the machine's
 * problem, not a finding). */
mp_process *chaos_start(mp_target_fn fn, void *arg);

/* SIGKILLs p and waits for it (10 s at most).  Returns true when the signal is what ended it
 * (the kill landed in a live process), false when it had already ended on its own. */
bool chaos_kill(mp_process *p);

/* Joins p within ms; on a timeout kills it and joins again.  Returns 0 when it ended in
 * time, 1 when it had to be killed (a hang).  Frees p either way. */
int chaos_finish(mp_process *p, int64_t ms);

/* The census of this process: open fds, /dev/shm entries.  Children are counted separately
 * (chaos_leaks), since there should be none between iterations. */
typedef struct chaos_census {
  int fds, shm;
} chaos_census;
void chaos_census_take(chaos_census *c);

/* After an iteration: waits up to grace_ms for every child of this process (the scenario
 * process is a subreaper, so orphaned grandchildren count) to end, reaping what ended, kills
 * and reaps what is left, and compares fds and /dev/shm with the census.  Returns the number
 * of leaked things (0 when clean), noting the first in row; the census is then updated, so
 * that a leak is counted once, not again after every later iteration. */
int chaos_leaks(chaos_row *row, chaos_census *before, int64_t grace_ms);

/* The live children of this process (all its threads' children; zombies not counted) into
 * out (cap at most).  Returns how many. */
int chaos_children(pid_t *out, int cap);

#endif
