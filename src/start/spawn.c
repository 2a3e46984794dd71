/* SPDX-License-Identifier: MIT */
/* spawn.c -- the spawn start method: every child is a fresh exec of the program's own binary
 * (/proc/self/exe).  posix_spawn() does not copy the caller's address space (glibc uses
 * clone(CLONE_VM | CLONE_VFORK)), so it is safe from any thread.  The child finds its start
 * record on an inherited socket named by MP__BOOT (boot.c). */
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "os/os.h"
#include "start/start_internal.h"

extern char **environ;

/* environ plus MP__BOOT=fd, in a new malloc'd vector (the strings are borrowed). */
static char **child_env(char *boot_var) {
  size_t n = 0;
  while (environ[n]) n++;
  char **env = malloc((n + 2) * sizeof *env);
  if (env == NULL) return NULL;
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (strncmp(environ[i], "MP__BOOT=", 9) != 0) env[k++] = environ[i];
  env[k++] = boot_var;
  env[k] = NULL;
  return env;
}

pid_t mp__spawn_launch(const mp__boot *b, const void *payload, int *keep) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return -errno;
  char boot_var[32];
  snprintf(boot_var, sizeof boot_var, "MP__BOOT=%d", sv[1]);
  char **env = child_env(boot_var);
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t at;
  int rc = -ENOMEM;
  pid_t pid = 0;
  if (env == NULL) goto out_fds;
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&at);
  /* Duplicating an fd onto itself clears its close-on-exec flag (glibc 2.29 and later): the
   * record's socket and the heap's memfd, and nothing else, cross the exec. */
  posix_spawn_file_actions_adddup2(&fa, sv[1], sv[1]);
  posix_spawn_file_actions_adddup2(&fa, b->heap.fd, b->heap.fd);
  if (b->extra_fd >= 0) posix_spawn_file_actions_adddup2(&fa, b->extra_fd, b->extra_fd);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&at, &none);
  posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK);
  char *fallback[] = {(char *)"multiproc-child", NULL};
  char *const *argv = mp__boot_argv() ? mp__boot_argv() : fallback;
  int e = posix_spawn(&pid, "/proc/self/exe", &fa, &at, argv, env);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&at);
  free(env);
  if (e != 0) {
    rc = -e;
    goto out_fds;
  }
  close(sv[1]);
  /* The child reads the record at once; if it died first, the send fails and the caller
   * still gets a pid to reap (its exit code tells what happened). */
  if (mp__send_all(sv[0], b, sizeof *b) == 0) (void)mp__send_all(sv[0], payload, b->payload_len);
  if (keep)
    *keep = sv[0];
  else
    close(sv[0]);
  return pid;
out_fds:
  close(sv[0]);
  close(sv[1]);
  return rc;
}
