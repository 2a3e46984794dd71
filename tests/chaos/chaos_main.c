/* SPDX-License-Identifier: MIT */
/* chaos_main.c -- mp_chaos: SIGKILL a random process at a random moment, many times over, for
 * each primitive, and print what the survivors saw.
 *
 *   mp_chaos [--seconds S] [--iters N] [--seed X] [primitive ...]
 *
 * S is the time budget of each primitive (default 60), N caps its iterations (default: none);
 * the environment's CHAOS_SECONDS / CHAOS_ITERS give the defaults.  With no primitive named,
 * all of them run.  One row per primitive goes to stdout:
 *   primitive  iterations  kills  lost  duplicated  torn  hangs  leaks
 * The exit status is 1 when any lost, duplicated, torn, hangs or leaks figure is nonzero (or a
 * scenario process died), else 0.
 *
 * Each primitive runs in a process of its own, forked before the library is touched: it gets a
 * fresh shared heap, becomes a subreaper (so a grandchild orphaned by a kill is still its to
 * count), and reports its row through shared memory.  A scenario process that outlives its
 * budget by two minutes is itself counted as a hang and killed. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "chaos.h"

typedef struct {
  const char *name;
  chaos_scenario_fn fn;
} scenario;

static const scenario scenarios[] = {
    {"queue", chaos_queue},
    {"sync", chaos_sync},
    {"heap", chaos_heap},
    {"pool_workers", chaos_pool_workers},
    {"pool_owner", chaos_pool_owner},
    {"manager_clients", chaos_manager_clients},
    {"manager_server", chaos_manager_server},
    {"orphan", chaos_orphan},
};
#define NSCENARIOS (sizeof scenarios / sizeof scenarios[0])

static long env_long(const char *name, long dflt) {
  const char *s = getenv(name);
  return s && *s ? strtol(s, NULL, 10) : dflt;
}

/* Runs one scenario in a fresh process; fills row. */
static void run_one(const scenario *sc, chaos_row *shared_row, int64_t seconds, long iters,
                    uint64_t seed) {
  memset(shared_row, 0, sizeof *shared_row);
  snprintf(shared_row->name, sizeof shared_row->name, "%s", sc->name);
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) {
    perror("chaos: fork");
    exit(2);
  }
  if (pid == 0) {
    (void)prctl(PR_SET_CHILD_SUBREAPER, 1);
    chaos_seed(seed ^ (uint64_t)getpid() << 32);
    sc->fn(shared_row, chaos_now_ms() + seconds * 1000, iters);
    fflush(NULL);
    _exit(0);
  }
  int64_t limit = chaos_now_ms() + (seconds + 120) * 1000;
  int status = 0;
  for (;;) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (chaos_now_ms() > limit) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      shared_row->hangs++;
      chaos_note(shared_row, "the scenario process overran its budget");
      return;
    }
    chaos_sleep_us(50000);
  }
  /* A scenario process that crashed or aborted measured nothing after that: a failure, shown
   * in the hangs column with its status in the note. */
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    shared_row->hangs++;
    chaos_note(shared_row, "the scenario process ended with status %#x", status);
  }
}

int main(int argc, char **argv) {
  int64_t seconds = env_long("CHAOS_SECONDS", 60);
  long iters = env_long("CHAOS_ITERS", 0);
  uint64_t seed = (uint64_t)chaos_now_us();
  bool chosen[NSCENARIOS] = {false};
  bool any = false;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--seconds") && i + 1 < argc) {
      seconds = strtol(argv[++i], NULL, 10);
    } else if (!strcmp(argv[i], "--iters") && i + 1 < argc) {
      iters = strtol(argv[++i], NULL, 10);
    } else if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
      seed = strtoull(argv[++i], NULL, 0);
    } else {
      size_t k = 0;
      while (k < NSCENARIOS && strcmp(argv[i], scenarios[k].name)) k++;
      if (k == NSCENARIOS) {
        fprintf(stderr,
                "usage: %s [--seconds S] [--iters N] [--seed X] [primitive ...]\n"
                "primitives:",
                argv[0]);
        for (size_t j = 0; j < NSCENARIOS; j++) fprintf(stderr, " %s", scenarios[j].name);
        fprintf(stderr, "\n");
        return 2;
      }
      chosen[k] = any = true;
    }
  }
  chaos_row *rows = mmap(NULL, sizeof(chaos_row) * NSCENARIOS, PROT_READ | PROT_WRITE,
                         MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (rows == MAP_FAILED) {
    perror("chaos: mmap");
    return 2;
  }
  fprintf(stderr, "chaos: seed %#llx, %lld s per primitive%s\n", (unsigned long long)seed,
          (long long)seconds, iters ? ", iterations capped" : "");
  printf("%-16s %10s %7s %5s %10s %5s %5s %5s\n", "primitive", "iterations", "kills", "lost",
         "duplicated", "torn", "hangs", "leaks");
  fflush(stdout);
  int bad = 0;
  for (size_t k = 0; k < NSCENARIOS; k++) {
    if (any && !chosen[k]) continue;
    chaos_row *r = &rows[k];
    run_one(&scenarios[k], r, seconds, iters, seed + k);
    printf("%-16s %10ld %7ld %5ld %10ld %5ld %5ld %5ld\n", r->name, r->iterations, r->kills,
           r->lost, r->duplicated, r->torn, r->hangs, r->leaks);
    fflush(stdout);
    if (r->note[0]) fprintf(stderr, "chaos: %s: %s\n", r->name, r->note);
    if (r->lost || r->duplicated || r->torn || r->hangs || r->leaks || r->iterations == 0) bad = 1;
  }
  return bad;
}
