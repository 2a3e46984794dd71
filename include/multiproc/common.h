/* SPDX-License-Identifier: MIT */
/* multiproc/common.h -- export macro, timeout type and the error model shared by every area. */
#ifndef MULTIPROC_COMMON_H
#define MULTIPROC_COMMON_H

#include <errno.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Every public function is declared with MP_EXTERN; everything else is built hidden so that
 * the library's internal names can never clash with the host program's. */
#if defined(MP_BUILDING) && defined(__GNUC__)
#define MP_EXTERN __attribute__((visibility("default")))
#else
#define MP_EXTERN
#endif

/* Alignment of the opaque storage in public structs, in C11 and in C++11 or later (whose
 * keyword is alignas; C's _Alignas is not C++). */
#ifdef __cplusplus
#define MP_ALIGNAS(n) alignas(n)
#else
#define MP_ALIGNAS(n) _Alignas(n)
#endif

#define MP_VERSION_MAJOR 0
#define MP_VERSION_MINOR 1
#define MP_VERSION_PATCH 0
#define MP_VERSION_STRING "0.1.0"

/* The version of the library the program runs with, "MAJOR.MINOR.PATCH" (static storage):
 * compare with MP_VERSION_STRING, the version of the headers it was built against, to catch a
 * shared library older or newer than the headers.  Never fails. */
MP_EXTERN const char *mp_version(void);

/* Timeouts.  Every blocking call takes an mp_timeout_ms: a relative number of milliseconds.
 * MP_FOREVER waits without limit and 0 polls once without sleeping.  Any other negative value
 * is treated as MP_FOREVER.  Inside the library the value becomes one absolute CLOCK_MONOTONIC
 * deadline, so retries after EINTR or a spurious wake-up never stretch the total wait. */
typedef int64_t mp_timeout_ms;
#define MP_FOREVER ((mp_timeout_ms)-1)

/* Errors.  Functions that can fail return int: 0 on success, otherwise a negative errno value
 * (-EINVAL, -ENOMEM, ...) or one of the library codes below, which sit outside the errno range.
 * mp_strerror() describes any of them and mp_err_name() gives its symbolic name. */
enum {
  MP_ETIMEDOUT = -ETIMEDOUT, /* the timeout passed before the call could complete */
  MP_ERRBASE = -10000,
  MP_EOF = MP_ERRBASE - 1, /* end of stream: every writer of a channel is gone */
  MP_ECLOSED = MP_ERRBASE - 2, /* the object was closed */
  MP_EFULL = MP_ERRBASE - 3, /* a bounded queue is full */
  MP_EEMPTY = MP_ERRBASE - 4, /* a queue is empty */
  MP_EOWNERDEAD = MP_ERRBASE - 5, /* acquired, but the previous owner died holding it */
  MP_ENOTRECOVERABLE = MP_ERRBASE - 6, /* a lock left inconsistent can no longer be used */
  MP_EBROKEN = MP_ERRBASE - 7, /* a barrier is broken, or a peer vanished mid-exchange */
  MP_EAUTH = MP_ERRBASE - 8, /* authentication with the peer failed */
  MP_EWORKER = MP_ERRBASE - 9, /* a worker process died while running the task */
  MP_ESTATE = MP_ERRBASE - 10, /* the object is in the wrong state for this call */
  MP_ENOTREADY = MP_ERRBASE - 11, /* a result or exit status is not available yet */
  MP_ETOOBIG = MP_ERRBASE - 12, /* a message is larger than the allowed maximum */
  MP_ECORRUPT = MP_ERRBASE - 13, /* received data is malformed */
  MP_ENOTCHILD = MP_ERRBASE - 14, /* the process is not a child of the calling process */
  MP_ETASK = MP_ERRBASE - 15, /* a pool task reported an error (a non-zero status) */
  MP_EREMOTE = MP_ERRBASE - 16, /* a manager's server reported an error (see its message) */
  MP_ENOTREG = MP_ERRBASE - 17, /* a function is not a registered (named) task */
  MP_ECANCELLED = MP_ERRBASE - 18, /* a pool task was cancelled before it started */
  MP_ERRLAST = MP_ERRBASE - 19
};

/* Describes an error code returned by any multiproc function ("operation timed out", ...).
 * Accepts library codes, negative errno values and positive errno values alike.  The string is
 * static and must not be freed; an unknown code yields "unknown error". */
MP_EXTERN const char *mp_strerror(int err);

/* Gives the symbolic name of an error code ("MP_EOF", "ETIMEDOUT", ...).  The string is static;
 * an unknown code yields "UNKNOWN". */
MP_EXTERN const char *mp_err_name(int err);

/* The message for err as the calling thread's last failed library call explained it:
 * mp_strerror(err), then ": " and what exactly went wrong when that call recorded a detail for
 * this same code -- "Invalid argument: address \"127.0.0.1\" has no port" rather than
 * "Invalid argument" alone.  Calls that record details say so in their comments (addresses,
 * strings that are not UTF-8, MP_HEAP_SIZE, typecodes, a Python pickle where MessagePack was
 * expected); each of them forgets an older detail when it starts.  The string lives in
 * thread-local storage until the thread's next call of this function; for a code with no
 * recorded detail it is mp_strerror(err).  Never fails. */
MP_EXTERN const char *mp_error_message(int err);

#ifdef __cplusplus
}
#endif
#endif
