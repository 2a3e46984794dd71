/* SPDX-License-Identifier: MIT */
/* log.c -- Python's multiprocessing logging in C: off by default, "[LEVEL/ProcessName] msg". */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

int mp__log_threshold = MP_LOG_OFF;
static mp_log_handler_fn log_handler;
static void *log_user;
/* The calling process's name, a buffer the process layer keeps current (identity.c hands it
 * over at load): core sits below the process layer and never calls into it. */
static const char *process_name = "MainProcess";

void mp__log_name_from(const char *name) { process_name = name; }

void mp_log_to_stderr(int level) { mp_log_set_handler(level, NULL, NULL); }

void mp_log_set_handler(int level, mp_log_handler_fn handler, void *user) {
  log_handler = handler;
  log_user = user;
  mp__log_threshold = level;
}

int mp_log_level(void) { return mp__log_threshold; }

const char *mp_log_level_name(int level) {
  switch (level) {
    case MP_LOG_SUBDEBUG: return "SUBDEBUG";
    case MP_LOG_DEBUG: return "DEBUG";
    case MP_LOG_INFO: return "INFO";
    case MP_LOG_SUBWARNING: return "SUBWARNING";
    case MP_LOG_WARNING: return "WARNING";
    case MP_LOG_ERROR: return "ERROR";
    default: return NULL;
  }
}

void mp_log(int level, const char *fmt, ...) {
  if (level < mp__log_threshold || fmt == NULL) return;
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  const char *proc = process_name;
  if (log_handler) {
    log_handler(level, proc, msg, log_user);
    return;
  }
  char line[1200];
  const char *lname = mp_log_level_name(level);
  int n = lname ? snprintf(line, sizeof line, "[%s/%s] %s\n", lname, proc, msg)
                : snprintf(line, sizeof line, "[Level %d/%s] %s\n", level, proc, msg);
  if (n < 0) return;
  if ((size_t)n >= sizeof line) {
    n = sizeof line - 1;
    line[n - 1] = '\n';
  }
  /* One write() per record, bypassing stdio buffering, so records from concurrent processes
   * stay whole lines and nothing is left in a buffer a fork could duplicate. */
  ssize_t w;
  do w = write(STDERR_FILENO, line, (size_t)n);
  while (w < 0 && errno == EINTR);
}
