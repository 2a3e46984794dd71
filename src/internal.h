/* SPDX-License-Identifier: MIT */
/* internal.h -- what every source file of the library shares: the public header, the likely()
 * hints and the convention that internal non-static names start with mp__. */
#ifndef MP_INTERNAL_H
#define MP_INTERNAL_H

#include "multiproc.h"

#define mp__likely(x) __builtin_expect(!!(x), 1)
#define mp__unlikely(x) __builtin_expect(!!(x), 0)
/* Keeps a rare path (and the registers and stack it needs) out of a hot caller. */
#define mp__noinline __attribute__((noinline))

#define MP__ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ThreadSanitizer sees no synchronisation that goes through another process: a block of the
 * shared heap that one thread wrote, another process freed and this process got again looks
 * like a race between the two threads.  mp__tsan_release(p) at the end of one thread's use of
 * p and mp__tsan_acquire(p) at the start of the next tell it what the other process ordered.
 * No-ops outside a TSan build. */
#if defined(__SANITIZE_THREAD__)
#define MP__TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define MP__TSAN 1
#endif
#endif
#ifdef MP__TSAN
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
#define mp__tsan_acquire(p) __tsan_acquire((void *)(p))
#define mp__tsan_release(p) __tsan_release((void *)(p))
#else
#define mp__tsan_acquire(p) ((void)(p))
#define mp__tsan_release(p) ((void)(p))
#endif

/* Logs through the public helper only when a record would be kept, so a disabled logger costs
 * one load and one compare on hot paths. */
extern int mp__log_threshold;
#define mp__log(level, ...)                                                                        \
  do {                                                                                             \
    if (mp__unlikely((level) >= mp__log_threshold)) mp_log((level), __VA_ARGS__);                  \
  } while (0)

/* Where log records read the calling process's name from: a buffer that stays valid and current
 * (the process layer's own, core/log.c). */
void mp__log_name_from(const char *name);

/* Records what exactly went wrong for the calling thread's mp_error_message() and returns err,
 * so a failing path reads `return mp__fail(-EINVAL, "address \"%s\" has no port", s);`.
 * (core/detail.c) */
int mp__fail(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Forgets the thread's detail: called on entry by the calls that record one, so a failure of
 * theirs without a detail never shows an older one of the same code. */
void mp__fail_clear(void);

/* Registers fn to run at exit() and when a child started by the library leaves (with _exit,
 * which skips atexit handlers).  Up to 8 hooks; returns 0 or -ENOMEM.  (core/exit_hooks.c) */
int mp__on_exit(void (*fn)(void));
/* Runs the hooks, last registered first; the child's exit path calls it. */
void mp__run_exit_hooks(void);

#endif
