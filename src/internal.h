/* internal.h -- what every source file of the library shares: the public header, the likely()
 * hints and the convention that internal non-static names start with mp__. */
#ifndef MP_INTERNAL_H
#define MP_INTERNAL_H

#include "multiproc.h"

#define mp__likely(x) __builtin_expect(!!(x), 1)
#define mp__unlikely(x) __builtin_expect(!!(x), 0)

#define MP__ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Logs through the public helper only when a record would be kept, so a disabled logger costs
 * one load and one compare on hot paths. */
extern int mp__log_threshold;
#define mp__log(level, ...)                                   \
  do {                                                        \
    if (mp__unlikely((level) >= mp__log_threshold))           \
      mp_log((level), __VA_ARGS__);                           \
  } while (0)

#endif
