/* SPDX-License-Identifier: MIT */
/* process.c -- operations on a process handle: create, join, poll, signal, close, free. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "heap/heap.h"
#include "os/olock.h"
#include "process/process_internal.h"
#include "start/start_internal.h"

/* Copies a name in, checking its length.  Returns 0 or -EINVAL. */
static int copy_name(char dst[MP_PROCESS_NAME_MAX], const char *name) {
  if (name == NULL) return -EINVAL;
  size_t len = strlen(name);
  if (len == 0 || len >= MP_PROCESS_NAME_MAX) return -EINVAL;
  memcpy(dst, name, len + 1);
  return 0;
}

void mp__process_set_extra_fd(mp_process *p, int fd) { p->extra_fd = fd; }

void mp__process_drop_payload(mp_process *p) {
  free(p->payload);
  p->payload = NULL;
  p->payload_len = 0;
}

/* A new handle with its defaults and options; the caller sets what it runs. */
static int handle_new(mp_process **out, const mp_process_opts *opts) {
  mp_process *p = mp__registry_take_spare();
  if (p != NULL)
    memset(p, 0, sizeof *p);
  else
    p = calloc(1, sizeof *p);
  if (p == NULL) return -ENOMEM;
  p->kind = MP__PROC_CHILD;
  p->state = MP__PROC_NEW;
  p->method = MP_START_FORK;
  p->pidfd = -1;
  p->extra_fd = -1;
  p->owner_pid = mp__self_pid();
  mp__identity_next(p->ident, p->name);
  if (opts) {
    p->daemon = opts->daemon;
    if (opts->name && copy_name(p->name, opts->name) != 0) {
      if (!mp__registry_keep_spare(p)) free(p);
      return -EINVAL;
    }
  }
  *out = p;
  return 0;
}

/* What a forkserver or spawn child of mp_process_new() runs: the registered target, with the
 * pointer it was given (NULL or into the shared heap). */
typedef struct target_payload {
  mp__task_ref target;
  uint64_t arg;
} target_payload;

static int run_target(void *payload, size_t len) {
  target_payload tp;
  if (len != sizeof tp) return 255;
  memcpy(&tp, payload, sizeof tp);
  free(payload);
  mp_target_fn fn = (mp_target_fn)mp__task_resolve(MP__FN_TARGET, tp.target);
  if (fn == NULL) {
    mp_log(MP_LOG_ERROR, "this image has no registered target the parent named");
    return 255;
  }
  return fn((void *)(uintptr_t)tp.arg);
}
MP__ENTRY(run_target);

int mp_process_new(mp_process **out, mp_target_fn target, void *arg, const mp_process_opts *opts) {
  if (out) *out = NULL;
  if (out == NULL || target == NULL) return -EINVAL;
  int method = mp__start_method_resolve(opts ? opts->start_method : MP_START_DEFAULT);
  if (method < 0) return method;
  if (method != MP_START_FORK) {
    /* Another image: the target goes by name, and arg must mean the same thing there. */
    target_payload tp = {.arg = (uint64_t)(uintptr_t)arg};
    int r = mp__task_ref_of(MP__FN_TARGET, (void (*)(void))target, &tp.target);
    if (r != 0) return r;
    if (arg != NULL && !mp__heap_contains(arg, 1)) return -EINVAL;
    void *copy = malloc(sizeof tp);
    if (copy == NULL) return -ENOMEM;
    memcpy(copy, &tp, sizeof tp);
    return mp__process_new_entry(out, method, run_target, copy, sizeof tp, opts);
  }
  int r = handle_new(out, opts);
  if (r != 0) return r;
  (*out)->target = target;
  (*out)->arg = arg;
  return 0;
}

int mp__process_new_entry(mp_process **out, int method, int (*entry)(void *, size_t), void *payload,
                          size_t len, const mp_process_opts *opts) {
  int r = handle_new(out, opts);
  if (r != 0) {
    free(payload);
    return r;
  }
  mp_process *p = *out;
  p->method = method;
  p->entry = entry;
  p->payload = payload;
  p->payload_len = len;
  return 0;
}

/* Checks that p is a started child of the caller.  Returns 0 or the error to report. */
static int check_started_child(const mp_process *p) {
  if (p == NULL) return -EINVAL;
  if (p->kind != MP__PROC_CHILD) return MP_ESTATE;
  if (p->state == MP__PROC_CLOSED) return MP_ECLOSED;
  if (p->owner_pid != mp__self_pid()) return MP_ENOTCHILD;
  if (p->state == MP__PROC_NEW) return MP_ESTATE;
  return 0;
}

int mp_process_join(mp_process *p, mp_timeout_ms timeout) {
  if (p && p->kind == MP__PROC_PARENT) return mp__parent_join(p, timeout);
  int r = check_started_child(p);
  if (r != 0) return r;
  mp__deadline d = mp__deadline_in(timeout);
  for (;;) {
    r = mp__process_poll(p);
    if (r != 0) return r < 0 ? r : 0;
    r = mp__poll_readable_interruptible(p->pidfd, d);
    if (r < 0) return r;
    if (r == 0) return MP_ETIMEDOUT;
  }
}

bool mp_process_is_alive(mp_process *p) {
  if (p == NULL) return false;
  if (p->kind == MP__PROC_SELF) return true;
  if (p->kind == MP__PROC_PARENT) return mp__parent_is_alive(p);
  if (check_started_child(p) != 0) return false;
  return mp__process_poll(p) == 0;
}

int mp_process_exitcode(mp_process *p, int *code) {
  if (p == NULL || code == NULL) return -EINVAL;
  if (p->kind != MP__PROC_CHILD) return MP_ENOTREADY; /* Python: None */
  if (p->state == MP__PROC_CLOSED) return MP_ECLOSED;
  if (p->state == MP__PROC_NEW) return MP_ENOTREADY;
  if (p->state == MP__PROC_RUNNING) {
    if (p->owner_pid != mp__self_pid()) return MP_ENOTCHILD;
    int r = mp__process_poll(p);
    if (r < 0) return r;
    if (r == 0) return MP_ENOTREADY;
  }
  if (p->reap_error) return p->reap_error;
  *code = p->exitcode;
  return 0;
}

static int send_signal(mp_process *p, int sig) {
  int r = check_started_child(p);
  if (r != 0) return r;
  mp__registry_lock();
  /* Under the lock the pidfd cannot be closed by a concurrent reap-and-free. */
  r = p->state == MP__PROC_RUNNING ? mp__pidfd_signal(p->pidfd, sig) : 0;
  mp__registry_unlock();
  return r;
}

int mp_process_terminate(mp_process *p) { return send_signal(p, SIGTERM); }
int mp_process_kill(mp_process *p) { return send_signal(p, SIGKILL); }

pid_t mp_process_pid(const mp_process *p) {
  if (p == NULL) return 0;
  if (p->kind == MP__PROC_SELF) return mp__self_pid();
  return p->pid;
}

int mp_process_sentinel(mp_process *p) {
  if (p && p->kind == MP__PROC_PARENT) return mp__parent_sentinel(p);
  int r = check_started_child(p);
  return r != 0 ? r : p->pidfd;
}

const char *mp_process_name(const mp_process *p) { return p ? p->name : NULL; }

int mp_process_set_name(mp_process *p, const char *name) {
  if (p == NULL) return -EINVAL;
  return copy_name(p->name, name);
}

bool mp_process_daemon(const mp_process *p) { return p && p->daemon; }

int mp_process_set_daemon(mp_process *p, bool daemon) {
  if (p == NULL) return -EINVAL;
  if (p->kind != MP__PROC_CHILD || p->state != MP__PROC_NEW) return MP_ESTATE;
  p->daemon = daemon;
  return 0;
}

int mp_process_run(mp_process *p) {
  if (p == NULL) return -EINVAL;
  if (p->kind != MP__PROC_CHILD) return MP_ESTATE;
  if (p->entry) {
    /* The entry consumes its payload; run it on a copy so the handle can still start. */
    void *copy = malloc(p->payload_len ? p->payload_len : 1);
    if (copy == NULL) return -ENOMEM;
    if (p->payload_len) memcpy(copy, p->payload, p->payload_len);
    return p->entry(copy, p->payload_len);
  }
  return p->target(p->arg);
}

int mp_process_close(mp_process *p) {
  if (p == NULL || p->kind != MP__PROC_CHILD) return p ? MP_ESTATE : -EINVAL;
  if (p->state == MP__PROC_CLOSED) return 0;
  if (p->state == MP__PROC_RUNNING) {
    if (p->owner_pid != mp__self_pid()) return MP_ENOTCHILD;
    int r = mp__process_poll(p);
    if (r < 0) return r;
    if (r == 0) return MP_ESTATE; /* still running: join or terminate it first */
  }
  mp__registry_lock();
  mp__registry_remove(p);
  p->state = MP__PROC_CLOSED;
  mp__registry_unlock();
  return 0;
}

void mp_process_free(mp_process *p) {
  if (p == NULL || p->kind != MP__PROC_CHILD) return;
  mp__registry_lock();
  if (p->registered && p->state == MP__PROC_RUNNING) {
    /* Still running: the registry keeps it and frees it once reaped. */
    mp__registry_mark_released(p);
    mp__registry_unlock();
    return;
  }
  mp__registry_remove(p);
  mp__registry_unlock();
  mp__process_drop_payload(p);
  if (!mp__registry_keep_spare(p)) free(p);
}
