/* SPDX-License-Identifier: MIT */
/* bench_util.c -- the shared bench helpers; see bench_util.h for the output protocol. */
#include "bench_util.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h> /* isfinite, a macro */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "multiproc.h"

uint64_t bench_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Reads a small /proc file into buf (NUL-terminated); false if it is gone. */
static bool read_small(const char *path, char *buf, size_t cap) {
  FILE *f = fopen(path, "r");
  if (f == NULL) return false;
  size_t n = fread(buf, 1, cap - 1, f);
  fclose(f);
  buf[n] = '\0';
  return n > 0;
}

/* CPU of live process pid (all its threads, plus its reaped children) and of its live
 * descendants, in ns.  A process that ends while being read is simply missed this time; its
 * parent's reaped-children figure picks it up. */
static uint64_t tree_cpu_ns(long pid, bool self) {
  char path[320], buf[4096];
  uint64_t total = 0;
  if (!self) {
    /* Reaped children: cutime and cstime, fields 16 and 17 of stat, after the ')' of comm. */
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    if (read_small(path, buf, sizeof buf)) {
      char *p = strrchr(buf, ')');
      unsigned long long cu = 0, cs = 0;
      if (p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %llu %llu", &cu,
                      &cs) == 2)
        total += (cu + cs) * (1000000000ull / (uint64_t)sysconf(_SC_CLK_TCK));
    }
  }
  snprintf(path, sizeof path, "/proc/%ld/task", pid);
  DIR *d = opendir(path);
  if (d == NULL) return total;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    if (!self) { /* this thread's run time: the first field of schedstat, ns */
      snprintf(path, sizeof path, "/proc/%ld/task/%s/schedstat", pid, e->d_name);
      unsigned long long ns = 0;
      if (read_small(path, buf, sizeof buf) && sscanf(buf, "%llu", &ns) == 1) total += ns;
    }
    snprintf(path, sizeof path, "/proc/%ld/task/%s/children", pid, e->d_name);
    if (read_small(path, buf, sizeof buf)) {
      char *save = NULL;
      for (char *t = strtok_r(buf, " \n", &save); t; t = strtok_r(NULL, " \n", &save))
        total += tree_cpu_ns(strtol(t, NULL, 10), false);
    }
  }
  closedir(d);
  return total;
}

uint64_t bench_cpu_ns(void) {
  struct timespec ts;
  struct rusage ru;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  getrusage(RUSAGE_CHILDREN, &ru);
  uint64_t reaped = ((uint64_t)ru.ru_utime.tv_sec + (uint64_t)ru.ru_stime.tv_sec) * 1000000000u +
                    ((uint64_t)ru.ru_utime.tv_usec + (uint64_t)ru.ru_stime.tv_usec) * 1000u;
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec + reaped +
         tree_cpu_ns((long)getpid(), true);
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
  if (rc != 0) bench_die("%s failed: %s (%s, %d)", what, mp_strerror(rc), mp_err_name(rc), rc);
}

double bench_scale(void) {
  const char *s = getenv("BENCH_SCALE");
  char *end;
  double v;

  if (s == NULL || *s == '\0') return 1.0;
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
  o.limit_best = true;
  o.ops_per_iter = 1;
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
  if (c == NULL) bench_die("out of memory");
  memcpy(c, v, (size_t)n * sizeof *c);
  qsort(c, (size_t)n, sizeof *c, cmp_double);
  m = (n % 2) ? c[n / 2] : (c[n / 2 - 1] + c[n / 2]) / 2.0;
  free(c);
  return m;
}

double bench_best(const double *v, int n, bool higher) {
  double best = v[0];
  for (int i = 1; i < n; i++)
    if (higher ? v[i] > best : v[i] < best) best = v[i];
  return best;
}

/* The reported value of one side, with its spread on stderr. */
static double summarize(const bench_opts *o, const char *side, const double *v, int n, bool best) {
  double lo = v[0], hi = v[0], med = bench_median(v, n);
  for (int i = 1; i < n; i++) {
    if (v[i] < lo) lo = v[i];
    if (v[i] > hi) hi = v[i];
  }
  fprintf(stderr, "%s: %-9s min %.3f  median %.3f  max %.3f  (%d batches x %ld iters)\n", o->name,
          side, lo, med, hi, n, o->iters);
  if (best) return o->higher ? hi : lo;
  return med;
}

/* Accumulates one slice's value v over k iterations into *acc, so that the batch value is
 * total work over total time (see bench_compare()). */
static void add_slice(const bench_opts *o, double *acc, double v, long k) {
  if (o->higher) {
    if (v <= 0.0) bench_die("%s: a slice measured a rate of %g", o->name, v);
    *acc += (double)k / v; /* time, in 1/unit */
  } else {
    *acc += v * (double)k; /* time, in unit */
  }
}

static double slice_total(const bench_opts *o, double acc, long iters) {
  return o->higher ? (double)iters / acc : acc / (double)iters;
}

/* CPU of the measured batches of each side of the last bench_compare(), for bench_report(). */
static uint64_t cpu_ns[2], cpu_iters[2];
static long cpu_ops_per_iter = 1;

/* CPU of ways that lost to a better one (bench_ways_best), which no side is charged. */
static uint64_t losing_ways_ns;

/* CPU spent from c0/l0 (bench_cpu_ns(), losing_ways_ns) to now, less that of losing ways. */
static uint64_t cpu_since(uint64_t c0, uint64_t l0) {
  uint64_t c1 = bench_cpu_ns(), spent = c1 > c0 ? c1 - c0 : 0, lost = losing_ways_ns - l0;
  return spent > lost ? spent - lost : 0;
}

bench_ways bench_ways_new(bool higher) { return (bench_ways){.higher = higher}; }

void bench_ways_run(bench_ways *w, bench_fn fn, void *ctx, long iters) {
  uint64_t c0 = bench_cpu_ns(), l0 = losing_ways_ns;
  double v = fn(ctx, iters);
  uint64_t cpu = cpu_since(c0, l0);
  w->all_ns += cpu;
  if (!w->any || (w->higher ? v > w->value : v < w->value)) {
    w->value = v;
    w->cpu_ns = cpu;
    w->any = true;
  }
}

double bench_ways_best(bench_ways *w) {
  losing_ways_ns += w->all_ns - w->cpu_ns;
  return w->value;
}

/* Runs one call of a side (0: multiproc, 1: limit) and charges its CPU to that side. */
static double timed_call(int side, bench_fn fn, void *ctx, long k) {
  uint64_t c0 = bench_cpu_ns(), l0 = losing_ways_ns;
  double v = fn(ctx, k);
  cpu_ns[side] += cpu_since(c0, l0);
  cpu_iters[side] += (uint64_t)k * (uint64_t)cpu_ops_per_iter;
  return v;
}

/* One measured batch of each side; batch number i decides which side starts. */
static void run_batch(const bench_opts *o, int i, bench_fn a, void *actx, bench_fn b, void *bctx,
                      double *a_out, double *b_out) {
  long slice = o->slice > 0 && o->slice < o->iters ? o->slice : o->iters;
  double acc_a = 0.0, acc_b = 0.0;
  int turn = i % 2; /* alternates by batch, then by slice: A B B A A B ... */
  for (long done = 0; done < o->iters; done += slice, turn ^= 1) {
    long k = o->iters - done < slice ? o->iters - done : slice;
    if (turn == 0) {
      add_slice(o, &acc_a, timed_call(0, a, actx, k), k);
      add_slice(o, &acc_b, timed_call(1, b, bctx, k), k);
    } else {
      add_slice(o, &acc_b, timed_call(1, b, bctx, k), k);
      add_slice(o, &acc_a, timed_call(0, a, actx, k), k);
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
  if (mp == NULL || lim == NULL) bench_die("out of memory");

  if (o->warmup > 0) {
    (void)mp_fn(mp_ctx, o->warmup);
    (void)limit_fn(limit_ctx, o->warmup);
  }
  cpu_ns[0] = cpu_ns[1] = cpu_iters[0] = cpu_iters[1] = 0;
  cpu_ops_per_iter = o->ops_per_iter > 0 ? o->ops_per_iter : 1;
  /* A B B A A B B A ...: each side goes first in half of the pairs. */
  for (int i = 0; i < n; i++) {
    run_batch(o, i, mp_fn, mp_ctx, limit_fn, limit_ctx, &mp[i], &lim[i]);
    fprintf(stderr, "%s: batch %d  multiproc %.3f  limit %.3f\n", o->name, i + 1, mp[i], lim[i]);
  }
  *mp_out = summarize(o, "multiproc", mp, n, o->use_best);
  *limit_out = summarize(o, "limit", lim, n, o->use_best || o->limit_best);
  free(mp);
  free(lim);
}

double bench_us_per_op(uint64_t elapsed_ns, long iters) {
  return (double)elapsed_ns / 1000.0 / (double)iters;
}

double bench_ops_per_s(uint64_t elapsed_ns, long iters) {
  return elapsed_ns == 0 ? 0.0 : (double)iters * 1e9 / (double)elapsed_ns;
}

void bench_report_cpu(const char *workload, const char *unit, bool higher, double mp_result,
                      double limit_value, double mp_cpu_us, double limit_cpu_us) {
  double cpu[2] = {mp_cpu_us, limit_cpu_us};
  printf("%s\t%s\t%s\t%.3f\t%.3f", workload, unit, higher ? "higher" : "lower", mp_result,
         limit_value);
  for (int side = 0; side < 2; side++) {
    if (cpu[side] < 0)
      printf("\t-");
    else
      printf("\t%.4g", cpu[side]);
  }
  printf("\n");
  fflush(stdout);
}

void bench_report(const char *workload, const char *unit, bool higher, double mp_result,
                  double limit_value) {
  double cpu[2];
  for (int side = 0; side < 2; side++)
    cpu[side] = cpu_iters[side] ? (double)cpu_ns[side] / 1e3 / (double)cpu_iters[side] : -1.0;
  bench_report_cpu(workload, unit, higher, mp_result, limit_value, cpu[0], cpu[1]);
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
