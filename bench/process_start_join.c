/* SPDX-License-Identifier: MIT */
/* process_start_join.c -- workload "process_start_join": the cost of one short-lived child.
 *
 * multiproc: mp_process_new + mp_process_start + mp_process_join(MP_FOREVER) +
 * mp_process_free of a child whose target returns 0 at once (the exit code is checked too).
 * limit: the same with raw system calls, fork() + _exit(0) in the child + waitpid().
 * Unit: microseconds per child, lower is better.  Python twin: python/process_start_join.py. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_util.h"
#include "multiproc.h"

#define BASE_ITERS 120 /* children per batch at BENCH_SCALE=1 */
#define BATCHES 15 /* median of 15 batches of each side */

static int noop_target(void *arg) {
  (void)arg;
  return 0;
}

static double run_multiproc(void *ctx, long iters) {
  uint64_t t0;
  (void)ctx;
  t0 = bench_now_ns();
  for (long i = 0; i < iters; i++) {
    mp_process *p = NULL;
    int code = -1;
    bench_check_mp(mp_process_new(&p, noop_target, NULL, NULL), "mp_process_new");
    bench_check_mp(mp_process_start(p), "mp_process_start");
    bench_check_mp(mp_process_join(p, MP_FOREVER), "mp_process_join");
    bench_check_mp(mp_process_exitcode(p, &code), "mp_process_exitcode");
    if (code != 0) bench_die("multiproc child exited with code %d, expected 0", code);
    mp_process_free(p);
  }
  return bench_us_per_op(bench_now_ns() - t0, iters);
}

static double run_limit(void *ctx, long iters) {
  uint64_t t0;
  (void)ctx;
  t0 = bench_now_ns();
  for (long i = 0; i < iters; i++) {
    int status;
    pid_t r;
    pid_t pid = fork();
    if (pid < 0) bench_die("fork failed: %s", strerror(errno));
    if (pid == 0) _exit(0);
    do r = waitpid(pid, &status, 0);
    while (r < 0 && errno == EINTR);
    if (r != pid)
      bench_die("waitpid(%d) failed: %s", (int)pid, r < 0 ? strerror(errno) : "wrong pid");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
      bench_die("raw child ended with status 0x%x, expected exit 0", (unsigned)status);
  }
  return bench_us_per_op(bench_now_ns() - t0, iters);
}

int main(void) {
  bench_opts o = bench_default_opts("process_start_join", BASE_ITERS);
  double mp_us, limit_us;

  /* Alternate the two sides child by child: on a VM the cost of a fork drifts by tens of
   * percent within seconds, more than the difference being measured. */
  o.slice = 1;
  o.batches = BATCHES;

  bench_compare(&o, run_multiproc, NULL, run_limit, NULL, &mp_us, &limit_us);
  bench_report("process_start_join", "us", false, mp_us, limit_us);
  return 0;
}
