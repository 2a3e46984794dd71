/* SPDX-License-Identifier: MIT */
/* detail.c -- what exactly went wrong, per thread: a failing call records a sentence with its
 * error code, and mp_error_message() joins it to mp_strerror() for that code only, so a detail
 * never explains some other, later error. */
#include <stdarg.h>
#include <stdio.h>

#include "internal.h"

static _Thread_local int detail_code;
static _Thread_local char detail[256];
static _Thread_local char message[400];

int mp__fail(int err, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(detail, sizeof detail, fmt, ap);
  va_end(ap);
  detail_code = err;
  return err;
}

void mp__fail_clear(void) { detail_code = 0; }

const char *mp_error_message(int err) {
  if (err == 0 || err != detail_code || detail[0] == '\0') return mp_strerror(err);
  snprintf(message, sizeof message, "%s: %s", mp_strerror(err), detail);
  return message;
}
