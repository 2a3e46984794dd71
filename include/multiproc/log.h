/* SPDX-License-Identifier: MIT */
/* multiproc/log.h -- the library's logging helper (Python's log_to_stderr and get_logger).
 * Off by default: the library never prints unless the program turns logging on. */
#ifndef MULTIPROC_LOG_H
#define MULTIPROC_LOG_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Levels, with Python's logging values so that thresholds read the same. */
enum {
  MP_LOG_SUBDEBUG = 5,
  MP_LOG_DEBUG = 10,
  MP_LOG_INFO = 20,
  MP_LOG_SUBWARNING = 25,
  MP_LOG_WARNING = 30,
  MP_LOG_ERROR = 40,
  MP_LOG_OFF = 100
};

/* Receives each record at or above the threshold: level, the name of the process that logged
 * it, the formatted message (no trailing newline) and the user pointer given at install.
 * The strings live only for the duration of the call. */
typedef void (*mp_log_handler_fn)(int level, const char *process_name, const char *message,
                                  void *user);

/* Turns logging on at the given threshold, written to stderr as Python writes it:
 * "[INFO/Process-1] message".  Each record is written with one write() so lines from several
 * processes never interleave.  MP_LOG_OFF turns logging off again.  Children inherit the
 * setting at fork. */
MP_EXTERN void mp_log_to_stderr(int level);

/* Installs a handler in place of stderr (NULL restores stderr) and sets the threshold. */
MP_EXTERN void mp_log_set_handler(int level, mp_log_handler_fn handler, void *user);

/* The current threshold (MP_LOG_OFF when logging is off). */
MP_EXTERN int mp_log_level(void);

/* Logs a printf-style message at level, prefixed with the calling process's name.  Messages
 * longer than 1 KiB are cut.  Does nothing when level is below the threshold. */
MP_EXTERN void mp_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The name of a level ("INFO", "DEBUG", ...), or NULL for a value that names no level. */
MP_EXTERN const char *mp_log_level_name(int level);

#ifdef __cplusplus
}
#endif
#endif
