/* SPDX-License-Identifier: MIT */
/* bench_util.h -- helpers shared by the bench workloads: clock, iteration scaling, batched
 * measurement with a median (or best) and the one result line.
 *
 * The protocol every workload follows: the program prints exactly one line on stdout,
 *
 *   workload<TAB>unit<TAB>better<TAB>multiproc_value<TAB>limit_value
 *
 * where better is "lower" (times such as us) or "higher" (rates such as ops/s) and limit is the
 * same shape of work done with raw system calls, measured in the same program and the same way
 * (same iteration counts, same warm-up, median of the same number of batches, batches of the
 * two sides alternated).  Diagnostics go to stderr.  The BENCH_SCALE environment variable (a
 * float, default 1) scales the iteration counts, so BENCH_SCALE=0.1 gives a quick smoke run.
 * scripts/bench.sh runs every workload and its Python twin and prints the table. */
#ifndef MP_BENCH_UTIL_H
#define MP_BENCH_UTIL_H

#include <stdbool.h>
#include <stdint.h>

#include "multiproc.h"

/* Nanoseconds from CLOCK_MONOTONIC. */
uint64_t bench_now_ns(void);

/* CPU time (user + system, ns) used so far by this process, by its children already reaped,
 * and by every live descendant (found through /proc/PID/task/TID/children; each live one's
 * threads read from /proc/PID/task/TID/schedstat, its reaped children from /proc/PID/stat).
 * The difference of two calls is what the whole process tree spent in between, whoever did
 * it: spinning helpers and servers count.  Costs a few /proc reads per live descendant. */
uint64_t bench_cpu_ns(void);

/* The BENCH_SCALE factor: a positive float, 1 when unset.  A malformed or non-positive value
 * ends the program with a message (a silent fallback would make a typo look like a result). */
double bench_scale(void);

/* base * BENCH_SCALE, rounded, at least min_iters. */
long bench_iters(long base, long min_iters);

/* Prints "bench: <message>" on stderr and exits with status 1.  For every unexpected return
 * code: a workload never reports a number measured over failed calls. */
void bench_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Checks a multiproc return code: rc == 0 or bench_die() naming what failed and why. */
void bench_check_mp(int rc, const char *what);

/* One batch of a measurement: does the work iters times and returns the batch's value in the
 * workload's unit (for instance us per iteration, or operations per second).  Any failure
 * inside should bench_die(). */
typedef double (*bench_fn)(void *ctx, long iters);

/* How to measure.  bench_default_opts() fills it from the base counts and BENCH_SCALE. */
typedef struct bench_opts {
  long iters; /* iterations per batch (already scaled) */
  long warmup; /* iterations of one unmeasured warm-up batch per side; 0 skips it */
  long slice; /* 0: each side runs a whole batch per call.  n > 0: a batch of each side
                       is run as calls of n iterations, the two sides alternating, so both
                       see the same moment of the machine (for work without per-call setup) */
  int batches; /* measured batches per side; the median of them is reported */
  bool higher; /* true when higher values are better (rates) */
  bool use_best; /* report the best batch instead of the median */
  bool limit_best; /* the floor is its best batch (the default): the least the mechanism
                       cost in this run, so that multiproc's median cannot come out below it
                       on noise alone (docs/BENCHMARKS.md, "How a workload is measured") */
  long ops_per_iter; /* operations of the unit in one iteration (tasks of one map), for the
                        CPU per operation; 1 by default */
  const char *name; /* the workload, used only in the stderr diagnostics */
} bench_opts;

/* Fills opts: iters = base_iters scaled (at least 1), warmup = a tenth of that (at least 1),
 * slice = 0, batches = 9, lower is better, multiproc's median against the floor's best batch,
 * one operation per iteration. */
bench_opts bench_default_opts(const char *name, long base_iters);

/* The median of n values (sorts a copy; n > 0). */
double bench_median(const double *v, int n);

/* The best of n values: the highest where higher is better, else the lowest (n > 0). */
double bench_best(const double *v, int n, bool higher);

/* A floor that does the same iterations several ways and reports the best (raw_futex.h,
 * raw_stream.h, raw_placement.h) must be charged the CPU of that way only, not of all of them:
 * start with bench_ways w = bench_ways_new(higher), run each way through bench_ways_run(),
 * and return bench_ways_best(&w).  The CPU of the ways that lost is then left out of the
 * bench_compare() call around them; ways may nest (a way that is itself a best of ways counts
 * only its own winner). */
typedef struct bench_ways {
  bool higher, any;
  double value;     /* the best value so far */
  uint64_t cpu_ns;  /* the CPU of the way that gave it */
  uint64_t all_ns;  /* the CPU of every way run */
} bench_ways;
bench_ways bench_ways_new(bool higher);
void bench_ways_run(bench_ways *w, bench_fn fn, void *ctx, long iters);
double bench_ways_best(bench_ways *w);

/* Measures two implementations of the same work: multiproc (mp_fn) and the raw system-call
 * floor (limit_fn).  Around each call it also takes bench_cpu_ns(), so bench_report() can
 * print each side's CPU per operation over the measured batches (warm-up excluded; whatever
 * the process tree spends during a side's call is charged to that side).  Runs one warm-up batch of each, then opts->batches batches of each in the
 * order A B B A A B B A ... (with opts->slice, the slices inside a batch alternate the same
 * way) so drift (frequency, caches, other load) hits both sides alike, and stores the median
 * (or best) per side in *mp_out and *limit_out.  The slices of a batch are combined as total
 * work over total time: an iteration-weighted mean of per-op times (lower is better), an
 * iteration-weighted harmonic mean of rates (higher is better).  Per-batch values and each
 * side's min/median/max go to stderr. */
void bench_compare(const bench_opts *opts, bench_fn mp_fn, void *mp_ctx, bench_fn limit_fn,
                   void *limit_ctx, double *mp_out, double *limit_out);

/* Converts a batch's elapsed time to the usual units. */
double bench_us_per_op(uint64_t elapsed_ns, long iters);
double bench_ops_per_s(uint64_t elapsed_ns, long iters);

/* Makes and starts a child running fn(arg); any failure ends the bench (bench_die). */
mp_process *bench_start(mp_target_fn fn, void *arg);

/* Joins a child started by bench_start(), ends the bench unless it exited with 0 (who names
 * it in the message), and frees it. */
void bench_finish(mp_process *p, const char *who);

/* Prints the one result line on stdout and flushes it:
 *   workload unit better multiproc limit multiproc_cpu_us limit_cpu_us
 * the last two being the CPU microseconds per operation that the last bench_compare()
 * measured for each side (all processes of the tree, see bench_cpu_ns()). */
void bench_report(const char *workload, const char *unit, bool higher, double mp_result,
                  double limit_value);

/* The same line with CPU figures the workload measured itself (us per operation; < 0: '-'),
 * for workloads that do not go through bench_compare(). */
void bench_report_cpu(const char *workload, const char *unit, bool higher, double mp_result,
                      double limit_value, double mp_cpu_us, double limit_cpu_us);

#endif
