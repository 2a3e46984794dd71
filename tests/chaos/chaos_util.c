/* SPDX-License-Identifier: MIT */
/* chaos_util.c -- the helpers of chaos.h: clocks, random numbers, children, the leak census. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "chaos.h"

int64_t chaos_now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t chaos_now_ms(void) { return chaos_now_us() / 1000; }

void chaos_sleep_us(int64_t us) {
  struct timespec ts = {.tv_sec = us / 1000000, .tv_nsec = (us % 1000000) * 1000};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

void chaos_seed(uint64_t seed) { rng_state = seed ? seed : 0x9e3779b97f4a7c15u; }

uint64_t chaos_rand(void) {
  uint64_t x = rng_state;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return rng_state = x;
}

void chaos_note(chaos_row *row, const char *fmt, ...) {
  if (row->note[0]) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(row->note, sizeof row->note, fmt, ap);
  va_end(ap);
}

void *chaos_shared(size_t size) {
  void *p = mp_shared_alloc(size);
  if (p == NULL) {
    fprintf(stderr, "chaos: the shared heap cannot give %zu bytes\n", size);
    abort();
  }
  memset(p, 0, size);
  return p;
}

mp_process *chaos_start(mp_target_fn fn, void *arg) {
  mp_process *p = NULL;
  int rc = mp_process_new(&p, fn, arg, NULL);
  if (rc == 0) rc = mp_process_start(p);
  if (rc != 0) {
    fprintf(stderr, "chaos: cannot start a process: %s\n", mp_strerror(rc));
    abort();
  }
  return p;
}

bool chaos_kill(mp_process *p) {
  (void)mp_process_kill(p);
  int code = 0;
  return mp_process_join(p, 10000) == 0 && mp_process_exitcode(p, &code) == 0 && code == -SIGKILL;
}

int chaos_finish(mp_process *p, int64_t ms) {
  int hung = 0;
  if (mp_process_join(p, ms) != 0) {
    hung = 1;
    (void)mp_process_kill(p);
    (void)mp_process_join(p, 10000);
  }
  mp_process_free(p);
  return hung;
}

/* Entries of a directory other than "." and ".." (and, for /proc/self/fd, the one reading
 * it and the library's own: the heap's memfd and the /dev/null children take as stdin). */
static bool library_fd(const char *name) {
  char path[300], target[128];
  snprintf(path, sizeof path, "/proc/self/fd/%s", name);
  ssize_t n = readlink(path, target, sizeof target - 1);
  if (n <= 0) return true; /* the directory's own fd, closed by now */
  target[n] = 0;
  return strncmp(target, "/memfd:multiproc-heap", 21) == 0 || strcmp(target, "/dev/null") == 0;
}

static int count_entries(const char *dir, bool fds) {
  DIR *d = opendir(dir);
  if (d == NULL) return 0;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    if (fds && (atoi(e->d_name) == dirfd(d) || library_fd(e->d_name))) continue;
    n++;
  }
  closedir(d);
  return n;
}

void chaos_census_take(chaos_census *c) {
  c->fds = count_entries("/proc/self/fd", true);
  c->shm = count_entries("/dev/shm", false);
}

/* Whether pid is a zombie or gone (its state letter in /proc/pid/stat). */
static bool dead_or_zombie(pid_t pid) {
  char path[64], buf[256];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  FILE *f = fopen(path, "re");
  if (f == NULL) return true;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  const char *rp = strrchr(buf, ')');
  return rp == NULL || rp[1] == 0 || rp[2] == 'Z' || rp[2] == 'X';
}

int chaos_children(pid_t *out, int cap) {
  DIR *d = opendir("/proc/self/task");
  if (d == NULL) return 0;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    char path[300];
    snprintf(path, sizeof path, "/proc/self/task/%s/children", e->d_name);
    FILE *f = fopen(path, "re");
    if (f == NULL) continue;
    int pid;
    while (fscanf(f, "%d", &pid) == 1)
      if (n < cap && !dead_or_zombie(pid)) out[n++] = pid;
    fclose(f);
  }
  closedir(d);
  return n;
}

/* Reaps every ended child that no handle waits for: between iterations every handle is
 * freed, so whatever is left is a stray (an orphaned grandchild this subreaper adopted). */
static void reap_ended(void) {
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
}

int chaos_leaks(chaos_row *row, chaos_census *before, int64_t grace_ms) {
  int leaks = 0;
  pid_t kids[64];
  int64_t end = chaos_now_ms() + grace_ms;
  int n;
  for (;;) {
    reap_ended();
    n = chaos_children(kids, 64);
    if (n == 0 || chaos_now_ms() >= end) break;
    chaos_sleep_us(5000);
  }
  for (int i = 0; i < n; i++) {
    chaos_note(row, "process %d outlived its iteration", (int)kids[i]);
    kill(kids[i], SIGKILL);
    leaks++;
  }
  if (n > 0) {
    chaos_sleep_us(20000);
    reap_ended();
  }
  chaos_census now;
  /* fds and /dev/shm entries may take a moment to go: a library thread closing them. */
  for (;;) {
    chaos_census_take(&now);
    if ((now.fds <= before->fds && now.shm <= before->shm) || chaos_now_ms() >= end) break;
    chaos_sleep_us(5000);
  }
  if (now.fds > before->fds) {
    chaos_note(row, "%d fds left open", now.fds - before->fds);
    leaks += now.fds - before->fds;
  }
  if (now.shm > before->shm) {
    chaos_note(row, "%d /dev/shm entries left", now.shm - before->shm);
    leaks += now.shm - before->shm;
  }
  /* counted once: what is left becomes the baseline of the next iteration */
  if (leaks) *before = now;
  return leaks;
}
