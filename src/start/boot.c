/* SPDX-License-Identifier: MIT */
/* boot.c -- how a child exec'd by the spawn or forkserver start method begins: a constructor
 * of the library finds the MP__BOOT variable, reads the record its parent wrote (mp__boot and
 * a payload), maps the parent's shared heap at the same address, runs the program's own
 * constructors (which register its named tasks), and then runs the record's entry instead of
 * main().  A program started without MP__BOOT is not touched. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "os/os.h"
#include "process/process_internal.h"
#include "start/start_internal.h"

static char **boot_argv;
static int boot_socket = -1;

static int boot_extra_fd = -1;

int mp__boot_socket(void) { return boot_socket; }
int mp__boot_extra_fd(void) { return boot_extra_fd; }

char *const *mp__boot_argv(void) { return boot_argv; }

int mp__boot_prepare(mp__boot *b, const char *name, const char *ident, bool daemon,
                     mp__entry_fn entry, size_t payload_len) {
  memset(b, 0, sizeof *b);
  b->magic = MP__BOOT_MAGIC;
  int r = mp__heap_export(&b->heap);
  if (r != 0) return r;
  r = mp__task_ref_of(MP__FN_ENTRY, (void (*)(void))entry, &b->entry);
  if (r != 0) return r;
  b->parent_pid = (int32_t)getpid();
  b->daemon = daemon;
  b->log_threshold = mp__log_threshold;
  snprintf(b->name, sizeof b->name, "%s", name);
  snprintf(b->ident, sizeof b->ident, "%s", ident);
  const mp_process *self = mp_current_process();
  snprintf(b->parent_name, sizeof b->parent_name, "%s", mp_process_name(self));
  snprintf(b->parent_ident, sizeof b->parent_ident, "%s", mp__identity_of(self));
  b->payload_len = payload_len;
  b->extra_fd = -1;
  return 0;
}

void mp__boot_run(const mp__boot *b, void *payload) {
  mp__log_threshold = b->log_threshold;
  boot_extra_fd = b->extra_fd;
  if (boot_extra_fd >= 0) (void)fcntl(boot_extra_fd, F_SETFD, FD_CLOEXEC);
  mp__identity_adopt(b->name, b->ident, b->daemon, b->parent_pid, b->parent_name, b->parent_ident);
  mp__child_prelude(b->daemon, b->parent_pid);
  mp__entry_fn fn = (mp__entry_fn)mp__task_resolve(MP__FN_ENTRY, b->entry);
  if (fn == NULL) {
    mp_log(MP_LOG_ERROR, "start: this image does not know the entry it was asked to run");
    mp__child_leave(255);
  }
  mp__log(MP_LOG_INFO, "child process calling self.run()");
  int code = fn(payload, b->payload_len);
  mp__log(MP_LOG_INFO, "process exiting with exitcode %d", code & 0xff);
  mp__child_leave(code & 0xff);
}

__attribute__((noreturn)) static void boot_failed(const char *what, int err) {
  char line[256];
  int n = snprintf(line, sizeof line, "multiproc: a %s child could not start: %s (%s)\n",
                   "spawn/forkserver", what, mp_strerror(err));
  if (n > 0) (void)!write(STDERR_FILENO, line, (size_t)n);
  mp__exit_now(255);
}

/* No priority: it must run after the library's entries registered themselves (priority 150)
 * and, when the library is linked into the program, it runs the program's later constructors
 * itself. */
__attribute__((constructor)) static void boot_constructor(int argc, char **argv, char **envp) {
  boot_argv = argv;
  const char *var = getenv("MP__BOOT");
  if (var == NULL) return;
  int fd = atoi(var);
  unsetenv("MP__BOOT"); /* our own children start from their own records */
  mp__boot b;
  if (mp__read_all(fd, &b, sizeof b) != 0 || b.magic != MP__BOOT_MAGIC)
    boot_failed("the start record is missing or malformed", MP_ECORRUPT);
  void *payload = malloc(b.payload_len ? b.payload_len : 1);
  if (payload == NULL) boot_failed("no memory for the start record", -ENOMEM);
  if (mp__read_all(fd, payload, b.payload_len) != 0)
    boot_failed("the start record is cut short", MP_ECORRUPT);
  if (b.keep_socket)
    boot_socket = fd;
  else
    close(fd);
  int r = mp__heap_attach(&b.heap);
  if (r != 0) boot_failed("the shared heap cannot be mapped at its address", r);
  r = mp__run_program_constructors(argc, argv, envp, (void (*)(void))boot_constructor);
  if (r != 0) boot_failed("the program's constructors cannot be found", r);
  mp__boot_run(&b, payload);
}
