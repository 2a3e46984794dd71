/* SPDX-License-Identifier: MIT */
/* leakcheck.c -- runs a command (the test suite) as a child subreaper and fails if, once it
 * has finished, any process it started is still running or any /dev/shm entry it created is
 * still there.  Orphans re-parent to us, so even a grandchild whose parent died is seen. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_SHM 1024

static int list_shm(char (*out)[256], int cap) {
  DIR *d = opendir("/dev/shm");
  if (d == NULL) return 0;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL)
    if (e->d_name[0] != '.' && n < cap) snprintf(out[n++], 256, "%s", e->d_name);
  closedir(d);
  return n;
}

/* Reaps every exited child; returns how many children are still running. */
static int reap_and_count(void) {
  int running = 0;
  for (;;) {
    siginfo_t si = {0};
    if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG) != 0) break; /* ECHILD: none left */
    if (si.si_pid == 0) {
      running = 1;
      break;
    }
  }
  return running;
}

static void report_children(void) {
  char path[64], cmd[256];
  DIR *d = opendir("/proc");
  struct dirent *e;
  while (d && (e = readdir(d)) != NULL) {
    pid_t pid = atoi(e->d_name);
    if (pid <= 0) continue;
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f) continue;
    int ppid = 0;
    if (fscanf(f, "%*d (%255[^)]) %*c %d", cmd, &ppid) == 2 && ppid == getpid()) {
      fprintf(stderr, "leakcheck: process %d (%s) left running\n", (int)pid, cmd);
      kill(pid, SIGKILL);
    }
    fclose(f);
  }
  if (d) closedir(d);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: leakcheck COMMAND [ARGS...]\n");
    return 2;
  }
  static char before[MAX_SHM][256], after[MAX_SHM][256];
  int nbefore = list_shm(before, MAX_SHM);
  if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) perror("leakcheck: PR_SET_CHILD_SUBREAPER");
  pid_t cmd = fork();
  if (cmd == 0) {
    execvp(argv[1], argv + 1);
    perror("leakcheck: exec");
    _exit(127);
  }
  int st = 0;
  while (waitpid(cmd, &st, 0) < 0 && errno == EINTR) {
  }
  int rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);

  /* Give processes that are already on their way out (a daemon hit by its parent-death
   * signal) a moment to finish before calling them leaks. */
  int running = 1;
  for (int i = 0; i < 40 && (running = reap_and_count()); i++) {
    struct timespec ts = {0, 50 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  int leaks = 0;
  if (running) {
    report_children();
    leaks++;
  }
  int nafter = list_shm(after, MAX_SHM);
  for (int i = 0; i < nafter; i++) {
    int known = 0;
    for (int j = 0; j < nbefore && !known; j++) known = !strcmp(after[i], before[j]);
    if (!known) {
      fprintf(stderr, "leakcheck: /dev/shm/%s left behind\n", after[i]);
      leaks++;
    }
  }
  if (leaks) {
    fprintf(stderr, "leakcheck: FAILED: the run left processes or shared memory behind\n");
    return rc ? rc : 1;
  }
  fprintf(stderr, "leakcheck: no process or /dev/shm entry left behind\n");
  return rc;
}
