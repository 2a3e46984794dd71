/* SPDX-License-Identifier: MIT */
/* error.c -- names and descriptions of every error code the library returns. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

typedef struct {
  int code;
  const char *name;
  const char *text;
} mp__err_entry;

static const mp__err_entry lib_errors[] = {
    {MP_EOF, "MP_EOF", "end of file: every writer of the channel is gone"},
    {MP_ECLOSED, "MP_ECLOSED", "the object is closed"},
    {MP_EFULL, "MP_EFULL", "the queue is full"},
    {MP_EEMPTY, "MP_EEMPTY", "the queue is empty"},
    {MP_EOWNERDEAD, "MP_EOWNERDEAD", "acquired, but the previous owner died holding it"},
    {MP_ENOTRECOVERABLE, "MP_ENOTRECOVERABLE", "the lock's state is not recoverable"},
    {MP_EBROKEN, "MP_EBROKEN", "broken: a barrier was aborted or a peer vanished"},
    {MP_EAUTH, "MP_EAUTH", "authentication failed"},
    {MP_EWORKER, "MP_EWORKER", "the worker process died while running the task"},
    {MP_ESTATE, "MP_ESTATE", "the object is in the wrong state for this call"},
    {MP_ENOTREADY, "MP_ENOTREADY", "the result is not ready yet"},
    {MP_ETOOBIG, "MP_ETOOBIG", "the message is larger than the allowed maximum"},
    {MP_ECORRUPT, "MP_ECORRUPT", "received data is malformed"},
    {MP_ENOTCHILD, "MP_ENOTCHILD", "the process is not a child of the calling process"},
    {MP_ETASK, "MP_ETASK", "a pool task reported an error"},
    {MP_EREMOTE, "MP_EREMOTE", "the manager's server reported an error"},
    {MP_ENOTREG, "MP_ENOTREG",
     "the function is not a registered task (forkserver and spawn need MP_TASK)"},
    {MP_ECANCELLED, "MP_ECANCELLED", "the task was cancelled before it started"},
};

/* The errno names the library's own code paths can return, so mp_err_name() can name them
 * without depending on glibc's non-standard strerrorname_np(). */
static const mp__err_entry errno_names[] = {
    {ETIMEDOUT, "ETIMEDOUT", NULL},
    {EINVAL, "EINVAL", NULL},
    {ENOMEM, "ENOMEM", NULL},
    {EAGAIN, "EAGAIN", NULL},
    {EINTR, "EINTR", NULL},
    {ECHILD, "ECHILD", NULL},
    {ESRCH, "ESRCH", NULL},
    {EPERM, "EPERM", NULL},
    {EBADF, "EBADF", NULL},
    {ENOSYS, "ENOSYS", NULL},
    {EPIPE, "EPIPE", NULL},
    {EMFILE, "EMFILE", NULL},
    {ENFILE, "ENFILE", NULL},
    {ENOENT, "ENOENT", NULL},
    {EEXIST, "EEXIST", NULL},
    {EACCES, "EACCES", NULL},
    {EBUSY, "EBUSY", NULL},
    {ENOSPC, "ENOSPC", NULL},
    {ECONNRESET, "ECONNRESET", NULL},
    {ECONNREFUSED, "ECONNREFUSED", NULL},
    {EADDRINUSE, "EADDRINUSE", NULL},
    {EOVERFLOW, "EOVERFLOW", NULL},
    {ERANGE, "ERANGE", NULL},
    {ENAMETOOLONG, "ENAMETOOLONG", NULL},
    {ENXIO, "ENXIO", NULL},
    {EIO, "EIO", NULL},
    {EADDRNOTAVAIL, "EADDRNOTAVAIL", NULL},
    {ENETUNREACH, "ENETUNREACH", NULL},
    {EHOSTUNREACH, "EHOSTUNREACH", NULL},
    {ENOTSUP, "ENOTSUP", NULL},
};

static const mp__err_entry *find_lib_error(int err) {
  for (size_t i = 0; i < MP__ARRAY_LEN(lib_errors); i++)
    if (lib_errors[i].code == err) return &lib_errors[i];
  return NULL;
}

const char *mp_strerror(int err) {
  if (err == 0) return "success";
  const mp__err_entry *e = find_lib_error(err);
  if (e) return e->text;
  /* Linux keeps errno values below 4096 (the kernel's MAX_ERRNO). */
  if (err > -4096 && err < 4096) return strerror(abs(err));
  return "unknown error";
}

const char *mp_err_name(int err) {
  if (err == 0) return "OK";
  const mp__err_entry *e = find_lib_error(err);
  if (e) return e->name;
  for (size_t i = 0; i < MP__ARRAY_LEN(errno_names); i++)
    if (errno_names[i].code == err || -errno_names[i].code == err) return errno_names[i].name;
  return "UNKNOWN";
}
