/* bench_util.c -- the shared bench helpers; see bench_util.h for the output protocol. */
#include "bench_util.h"

#include <errno.h>
#include <limits.h>
#include <math.h> /* isfinite, a macro */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "multiproc.h"

uint64_t bench_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void bench_die(const char *fmt, ...) {
  va_list ap;
  fflush(stdout);
  fputs("bench: ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  exit(1);
}

void bench_check_mp(int rc, const char *what) {
  if (rc != 0)
    bench_die("%s failed: %s (%s, %d)", what, mp_strerror(rc), mp_err_name(rc), rc);
}

double bench_scale(void) {
  const char *s = getenv("BENCH_SCALE");
  char *end;
  double v;

  if (s == NULL || *s == '\0')
    return 1.0;
  errno = 0;
  v = strtod(s, &end);
  if (errno != 0 || end == s || *end != '\0' || !isfinite(v) || v <= 0.0)
    bench_die("BENCH_SCALE must be a positive number, got \"%s\"", s);
  return v;
}

long bench_iters(long base, long min_iters) {
  double v = (double)base * bench_scale() + 0.5; /* rounded; no libm needed */
  long n = v >= (double)LONG_MAX ? LONG_MAX : (long)v;
  return n < min_iters ? min_iters : n;
}

bench_opts bench_default_opts(const char *name, long base_iters) {
  bench_opts o;
  memset(&o, 0, sizeof o);
  o.iters = bench_iters(base_iters, 1);
  o.warmup = o.iters / 10 > 0 ? o.iters / 10 : 1;
  o.slice = 0;
  o.batches = 9;
  o.higher = false;
  o.use_best = false;
  o.name = name;
  return o;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

double bench_median(const double *v, int n) {
  double *c = malloc((size_t)n * sizeof *c);
  double m;
  if (c == NULL)
    bench_die("out of memory");
  memcpy(c, v, (size_t)n * sizeof *c);
  qsort(c, (size_t)n, sizeof *c, cmp_double);
  m = (n % 2) ? c[n / 2] : (c[n / 2 - 1] + c[n / 2]) / 2.0;
  free(c);
  return m;
}

/* The reported value of one side, with its spread on stderr. */
static double summarize(const bench_opts *o, const char *side, const double *v, int n) {
  double lo = v[0], hi = v[0], med = bench_median(v, n);
  for (int i = 1; i < n; i++) {
    if (v[i] < lo)
      lo = v[i];
    if (v[i] > hi)
      hi = v[i];
  }
  fprintf(stderr, "%s: %-9s min %.3f  median %.3f  max %.3f  (%d batches x %ld iters)\n",
          o->name, side, lo, med, hi, n, o->iters);
  if (o->use_best)
    return o->higher ? hi : lo;
  return med;
}

/* Accumulates one slice's value v over k iterations into *acc, so that the batch value is
 * total work over total time (see bench_compare()). */
static void add_slice(const bench_opts *o, double *acc, double v, long k) {
  if (o->higher) {
    if (v <= 0.0)
      bench_die("%s: a slice measured a rate of %g", o->name, v);
    *acc += (double)k / v; /* time, in 1/unit */
  } else {
    *acc += v * (double)k; /* time, in unit */
  }
}

static double slice_total(const bench_opts *o, double acc, long iters) {
  return o->higher ? (double)iters / acc : acc / (double)iters;
}

/* One measured batch of each side; batch number i decides which side starts. */
static void run_batch(const bench_opts *o, int i, bench_fn a, void *actx, bench_fn b,
                      void *bctx, double *a_out, double *b_out) {
  long slice = o->slice > 0 && o->slice < o->iters ? o->slice : o->iters;
  double acc_a = 0.0, acc_b = 0.0;
  int turn = i % 2; /* alternates by batch, then by slice: A B B A A B ... */
  for (long done = 0; done < o->iters; done += slice, turn ^= 1) {
    long k = o->iters - done < slice ? o->iters - done : slice;
    if (turn == 0) {
      add_slice(o, &acc_a, a(actx, k), k);
      add_slice(o, &acc_b, b(bctx, k), k);
    } else {
      add_slice(o, &acc_b, b(bctx, k), k);
      add_slice(o, &acc_a, a(actx, k), k);
    }
  }
  *a_out = slice_total(o, acc_a, o->iters);
  *b_out = slice_total(o, acc_b, o->iters);
}

void bench_compare(const bench_opts *o, bench_fn mp_fn, void *mp_ctx, bench_fn limit_fn,
                   void *limit_ctx, double *mp_out, double *limit_out) {
  int n = o->batches > 0 ? o->batches : 1;
  double *mp = calloc((size_t)n, sizeof *mp);
  double *lim = calloc((size_t)n, sizeof *lim);
  if (mp == NULL || lim == NULL)
    bench_die("out of memory");

  if (o->warmup > 0) {
    (void)mp_fn(mp_ctx, o->warmup);
    (void)limit_fn(limit_ctx, o->warmup);
  }
  /* A B B A A B B A ...: each side goes first in half of the pairs. */
  for (int i = 0; i < n; i++) {
    run_batch(o, i, mp_fn, mp_ctx, limit_fn, limit_ctx, &mp[i], &lim[i]);
    fprintf(stderr, "%s: batch %d  multiproc %.3f  limit %.3f\n", o->name, i + 1, mp[i],
            lim[i]);
  }
  *mp_out = summarize(o, "multiproc", mp, n);
  *limit_out = summarize(o, "limit", lim, n);
  free(mp);
  free(lim);
}

double bench_us_per_op(uint64_t elapsed_ns, long iters) {
  return (double)elapsed_ns / 1000.0 / (double)iters;
}

double bench_ops_per_s(uint64_t elapsed_ns, long iters) {
  return elapsed_ns == 0 ? 0.0 : (double)iters * 1e9 / (double)elapsed_ns;
}

void bench_report(const char *workload, const char *unit, bool higher, double mp_result,
                  double limit_value) {
  printf("%s\t%s\t%s\t%.3f\t%.3f\n", workload, unit, higher ? "higher" : "lower", mp_result,
         limit_value);
  fflush(stdout);
}

mp_process *bench_start(mp_target_fn fn, void *arg) {
  mp_process *p = NULL;
  bench_check_mp(mp_process_new(&p, fn, arg, NULL), "mp_process_new");
  bench_check_mp(mp_process_start(p), "mp_process_start");
  return p;
}

void bench_finish(mp_process *p, const char *who) {
  int code = -1;
  bench_check_mp(mp_process_join(p, MP_FOREVER), "mp_process_join");
  bench_check_mp(mp_process_exitcode(p, &code), "mp_process_exitcode");
  if (code != 0) bench_die("%s exited with code %d", who, code);
  mp_process_free(p);
}
